//! The whole evaluate-and-splice pipeline (`plan::build_from_sources`) on one
//! manifest file and one ImageStream snapshot file, in memory.
//!
//! Input: `manifest NUL snapshot [NUL flags]`; both texts must be UTF-8. The flags
//! byte picks settings: bit 0 `include_manual`, bit 1 `no_local_lookup`, bit 2
//! `--namespace ns1`, bit 3 an internal registry, bit 4 a kustomization namespace
//! `ns1` for the manifest, bit 5 the snapshot file is scanned too (not only read
//! for snapshots).
//!
//! The pipeline never has to reject its own edits (no `edit-unverified`), and
//! for every file the plan changes (see `streampin_fuzz::splice::check_file`):
//! - `new` is `old` with each change's edit spliced in, walked in lock-step: the
//!   bytes outside the edited ranges are identical and in the same order;
//! - every edited range is an image scalar (`image` / `lastTriggeredImage`) of the
//!   old tree: its whole token (its content's first line for a block scalar), an
//!   insertion into an empty scalar, or a `key: value` inserted into the mapping
//!   that lacked the key;
//! - `new` re-parses into as many documents, of the same shape: every other node
//!   has the same kind, value, style, tag and anchor, and the same source bytes;
//!   each edited scalar reads the change's new value, from exactly the token written;
//! - running the pipeline again on the new text changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    streampin_fuzz::splice::run(data);
});
