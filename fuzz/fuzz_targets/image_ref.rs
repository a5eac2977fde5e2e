//! `image_ref::ImageRef::parse` on any string: never panics. What parses either
//! names a repository (`name` set), and then `exact()` parses back to the same
//! fields, less a tag shadowed by a digest (`NameString()` writes `@id` and drops
//! the tag), and is a fixed point; or it is registry-only (`quay.io`,
//! `localhost:5000`: the whole text in `registry`, nothing else set).
#![no_main]

use libfuzzer_sys::fuzz_target;
use streampin::image_ref::ImageRef;

fuzz_target!(|data: &[u8]| {
    let Ok(spec) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(r) = ImageRef::parse(spec) else {
        return;
    };
    let exact = r.exact();
    if r.name.is_empty() {
        // library-go's Exact() is "" here; ours is `registry/` (see docs/fuzzing.md).
        assert!(
            !r.registry.is_empty() && r.namespace.is_empty() && r.tag.is_empty(),
            "{spec:?} parses to {r:?}"
        );
        return;
    }
    assert!(
        r.id.is_empty() || r.id_is_digest(),
        "{spec:?}: id {:?}",
        r.id
    );
    let again = ImageRef::parse(&exact)
        .unwrap_or_else(|e| panic!("exact() of {spec:?} is {exact:?}, which does not parse: {e}"));
    let mut want = r.clone();
    if !want.id.is_empty() {
        want.tag.clear();
    }
    assert_eq!(again, want, "{spec:?} -> {exact:?} parses differently");
    assert_eq!(again.exact(), exact, "exact() is not a fixed point");
    let _ = r.is_single_segment();
});
