//! `trigger::annotation::decode` on any string: never panics, and whatever
//! decodes re-encodes (`encode`, Go's `json.Marshal` form) to text that decodes
//! to the same triggers, less the unknown keys (which `encode` drops), and that
//! encoding is a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streampin::trigger::annotation::{decode, encode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(triggers) = decode(text) else {
        return;
    };
    let encoded = encode(&triggers);
    let again = decode(&encoded)
        .unwrap_or_else(|e| panic!("encode({text:?}) = {encoded:?} does not decode: {e}"));
    let known: Vec<_> = triggers
        .iter()
        .cloned()
        .map(|mut t| {
            t.unknown_keys.clear();
            t
        })
        .collect();
    assert_eq!(
        again, known,
        "decode(encode(decode(x))) differs for {text:?}"
    );
    assert_eq!(encode(&again), encoded, "encode is not a fixed point");
});
