//! `manifest::yaml::parse` on any UTF-8 text: every span is in bounds, on char
//! boundaries, nested in its parent and in order, and slices to the node's source
//! text (see `streampin_fuzz::check_node`); `to_json` never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streampin::manifest::yaml;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(docs) = yaml::parse(src) {
        streampin_fuzz::check_documents(src, &docs);
    }
});
