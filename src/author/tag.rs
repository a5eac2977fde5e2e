//! `oc tag` on ImageStream snapshots.
