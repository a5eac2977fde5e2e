//! Every vector of `tests/conformance/vectors/imagestreamimage.json`: resolving
//! `name@id` against status, and the build generator's reference resolution.

use serde_json::Value;
use streampin::imagestream::{self, ImageStream, Index};
use streampin::manifest::{self, Inherited, yaml};

use crate::support::root;

fn index_of(streams: &[Value]) -> Index {
    let mut index = Index::default();
    let mut diags = Vec::new();
    for s in streams {
        let text = s.to_string();
        let docs = yaml::parse(&text).unwrap();
        for m in manifest::objects(&docs, &Inherited::default()) {
            index.add(
                ImageStream::from_manifest(&m),
                "is.json",
                (1, 1),
                &mut diags,
            );
        }
    }
    assert!(diags.is_empty(), "{diags:?}");
    index
}

#[test]
fn imagestreamimage_vectors() {
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/conformance/vectors/imagestreamimage.json"))
            .unwrap(),
    )
    .unwrap();
    let vectors = data["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 14, "vectors/README.md counts 14");
    let mut failures = Vec::new();
    for v in vectors {
        let id = v["id"].as_str().unwrap();
        let input = &v["input"];
        let want = &v["expected"];
        let got: Result<(String, String), String> = match v["group"].as_str().unwrap() {
            "ResolveImageID" => {
                let index = index_of(std::slice::from_ref(&input["imageStream"]));
                let snap = index.iter().next().unwrap();
                imagestream::resolve_image_id(&snap.stream, input["imageID"].as_str().unwrap())
                    .map(|e| (e.docker_image_reference, e.image))
            }
            "buildResolveImageStreamReference" => {
                let index = index_of(
                    input["imageStreams"]
                        .as_array()
                        .map(|a| a.as_slice())
                        .unwrap_or_default(),
                );
                let from = &input["from"];
                let ns = from["namespace"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .or(input["defaultNamespace"].as_str())
                    .unwrap();
                index
                    .resolve_build_reference(
                        from["kind"].as_str().unwrap_or_default(),
                        from["name"].as_str().unwrap(),
                        ns,
                    )
                    .map(|r| (r, String::new()))
            }
            other => panic!("unknown group {other}"),
        };
        let ok = match (&got, want.get("errorContains")) {
            (Err(e), Some(frag)) => e.contains(frag.as_str().unwrap()),
            (Ok(_), Some(_)) | (Err(_), None) => false,
            (Ok((reference, image)), None) => match want.get("ref") {
                Some(r) => r == reference.as_str(),
                None => {
                    want["dockerImageReference"] == reference.as_str()
                        && want["image"] == image.as_str()
                }
            },
        };
        if !ok {
            failures.push(format!("{id}: got {got:?}, want {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}
