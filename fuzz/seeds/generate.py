#!/usr/bin/env python3
"""Regenerate the committed fuzz seeds from the repository's test data.

Run by hand from the repository root (`python3 fuzz/seeds/generate.py`); needs
PyYAML. It rewrites fuzz/seeds/<target>/ from fixtures/, tests/fixtures/ and the
conformance data under tests/conformance/. The seeds are small on purpose: libFuzzer
grows its working corpus (fuzz/corpus/, not committed) from them.
"""

import glob
import hashlib
import json
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
ANNOTATION = "image.openshift.io/triggers"
BASES = {
    "Pod": "spec.",
    "PodTemplate": "template.spec.",
    "CronJob": "spec.jobTemplate.spec.template.spec.",
}
DEFAULT_BASE = "spec.template.spec."
INTERNAL_REGISTRY_FLAG = 8  # see fuzz_targets/evaluate_splice.rs


def rel(*parts):
    return os.path.join(ROOT, *parts)


def write(target, items, limit):
    """Write up to `limit` distinct byte strings, named by content hash."""
    out = os.path.join(SEEDS, target)
    os.makedirs(out, exist_ok=True)
    # Inputs a fuzzer found (`regression-*`) stay; the generated ones are redone.
    for old in os.listdir(out):
        if not old.startswith("regression-"):
            os.remove(os.path.join(out, old))
    seen = set()
    for name, data in items:
        if isinstance(data, str):
            data = data.encode()
        digest = hashlib.sha1(data).hexdigest()[:12]
        if digest in seen:
            continue
        seen.add(digest)
        with open(os.path.join(out, f"{name}-{digest}"), "wb") as f:
            f.write(data)
        if len(seen) >= limit:
            break


def slug(path):
    return os.path.relpath(path, ROOT).replace("/", "_").replace(".", "_")


def torture_dirs():
    return sorted(d for d in glob.glob(rel("tests/fixtures/torture/*")) if os.path.isdir(d))


def manifests():
    """(name, text) of real manifests: the demo tree, torture inputs, dc-bc."""
    files = sorted(glob.glob(rel("fixtures/demo/**/*.yaml"), recursive=True))
    for d in torture_dirs():
        files += sorted(f for f in glob.glob(os.path.join(d, "in", "*")) if "/is." not in f)
    files += sorted(glob.glob(rel("tests/fixtures/dc-bc/*.yaml")))
    for f in files:
        with open(f, "rb") as fh:
            yield slug(f), fh.read()


def controller_cases():
    for f in sorted(glob.glob(rel("tests/conformance/controller/*.json"))):
        with open(f) as fh:
            yield os.path.basename(f)[:-5], json.load(fh)


def annotations():
    # Every annotation value the YAML test data holds...
    for name, text in manifests():
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue
        stack = list(docs)
        while stack:
            n = stack.pop()
            if isinstance(n, dict):
                v = n.get(ANNOTATION)
                if isinstance(v, str):
                    yield name, v
                stack.extend(n.values())
            elif isinstance(n, list):
                stack.extend(n)
    # ...and the controller cases' (hostile values included).
    for name, case in controller_cases():
        obj = case["input"].get("object", {})
        v = obj.get("metadata", {}).get("annotations", {}).get(ANNOTATION)
        if isinstance(v, str):
            yield name, v


def fieldpaths():
    with open(rel("tests/conformance/vectors/fieldpath.json")) as fh:
        vectors = json.load(fh)["vectors"]
    for v in vectors:
        i = v["input"]
        base = BASES.get(i["kind"], DEFAULT_BASE)
        yield v["id"], f"{base}\0{i['fieldPath']}"


def image_refs():
    with open(rel("tests/conformance/vectors/image-reference.json")) as fh:
        vectors = json.load(fh)["vectors"]
    for v in vectors:
        i = v["input"]
        if isinstance(i, dict):
            yield v["id"], i["ref"]
            if isinstance(v["expected"], str):
                yield v["id"] + "-exact", v["expected"]
        else:
            yield v["id"], i


def splice_pairs():
    # Torture cases: the manifest and its snapshot as they are on disk.
    for d in torture_dirs():
        ins = sorted(glob.glob(os.path.join(d, "in", "*")))
        manifest = [f for f in ins if "/is." not in f]
        snapshot = [f for f in ins if "/is." in f]
        if len(manifest) == 1 and len(snapshot) == 1:
            with open(manifest[0], "rb") as m, open(snapshot[0], "rb") as s:
                yield "torture_" + os.path.basename(d), m.read() + b"\0" + s.read()
    # Controller cases: the object and its streams, alternately as YAML and JSON.
    for n, (name, case) in enumerate(controller_cases()):
        i = case["input"]
        if "object" not in i:
            continue
        streams = i.get("imageStreams") or []
        if n % 2 == 0:
            manifest = yaml.safe_dump(i["object"], sort_keys=False)
            snapshot = "".join("---\n" + yaml.safe_dump(s, sort_keys=False) for s in streams)
        else:
            manifest = json.dumps(i["object"], indent=2) + "\n"
            snapshot = json.dumps({"apiVersion": "v1", "kind": "List", "items": streams}, indent=2)
        flags = INTERNAL_REGISTRY_FLAG if i.get("internalRegistryHostname") else 0
        yield name, manifest.encode() + b"\0" + snapshot.encode() + b"\0" + bytes([flags])


def main():
    write("yaml_spans", manifests(), 40)
    write("annotation", annotations(), 40)
    write("fieldpath", fieldpaths(), 40)
    write("image_ref", image_refs(), 60)
    write("evaluate_splice", splice_pairs(), 60)


if __name__ == "__main__":
    main()
