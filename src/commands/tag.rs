//! `streampin tag`: `oc tag` on the ImageStream snapshots. The one place the
//! clock is read: `SOURCE_DATE_EPOCH` (seconds) stands in for it when set, so
//! a run can be reproduced.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::ExitStatus;
use crate::author::tag::{self, Dest, Flags, Source, SourceKind};
use crate::author::{self, Object, ResourceArg, Workspace};
use crate::commands::author::{Common, finish};

/// Now, as RFC 3339 UTC: `SOURCE_DATE_EPOCH` when set, else the clock.
pub fn now() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    tag::rfc3339(secs)
}

/// `ns/stream:tag`, or `stream:tag` when the stream has no namespace.
fn qualified(ns: &str, d: &Dest) -> String {
    if ns.is_empty() {
        format!("{}:{}", d.stream, d.tag)
    } else {
        format!("{ns}/{}:{}", d.stream, d.tag)
    }
}

fn stream_arg(name: &str) -> ResourceArg {
    ResourceArg {
        kind: "ImageStream",
        name: name.to_string(),
    }
}

/// Run `tag`.
pub fn run(args: &[String], flags: &Flags, common: &Common) -> anyhow::Result<ExitStatus> {
    let (source, dest_args) = if flags.delete {
        (None, args)
    } else {
        let s = tag::parse_source(&args[0], flags.source).map_err(anyhow::Error::msg)?;
        (Some(s), &args[1..])
    };
    let dests: Vec<Dest> = dest_args
        .iter()
        .map(|d| tag::parse_dest(d))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    let mut ws = Workspace::load(&common.files, common.namespace.clone(), common.limits)?;
    let objects = ws.objects();
    let find = |name: &str, ns: Option<&str>| -> Result<&Object, String> {
        author::find(
            &objects,
            &stream_arg(name),
            ns.or(common.namespace.as_deref()),
        )
    };
    // The namespace oc would run in: -n, else the first destination's.
    let current_ns = match &common.namespace {
        Some(ns) => ns.clone(),
        None => match dests.first() {
            Some(d) => find(&d.stream, d.namespace.as_deref())
                .map(|o| o.id.namespace.clone())
                .unwrap_or_default(),
            None => String::new(),
        },
    };
    tag::validate(flags, source.as_ref(), &dests, &current_ns).map_err(anyhow::Error::msg)?;

    // A plain ImageStreamTag source is copied as it is now.
    let source: Option<Source> = match source {
        Some(s) if s.kind == SourceKind::ImageStreamTag && !flags.alias => {
            let ns = Some(s.reference.namespace.as_str()).filter(|n| !n.is_empty());
            let o =
                find(&s.reference.name, ns.or(Some(&current_ns))).map_err(anyhow::Error::msg)?;
            let stream = tag::stream_of(&o.value, &o.id.namespace)
                .ok_or_else(|| anyhow::anyhow!("cannot read imagestream {}", o.id.name))?;
            Some(tag::pin_source(&s, &stream, &args[0]).map_err(anyhow::Error::msg)?)
        }
        other => other,
    };

    let created = now();
    let mut errors = Vec::new();
    let mut messages = Vec::new();
    // Objects in the order first touched, with their values as edited so far.
    let mut edited: Vec<(Object, Value)> = Vec::new();
    let mut slot: BTreeMap<(usize, usize, Option<usize>), usize> = BTreeMap::new();
    for d in &dests {
        let o = match find(&d.stream, d.namespace.as_deref()) {
            Ok(o) => o,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let idx = *slot.entry((o.file, o.doc, o.item)).or_insert_with(|| {
            edited.push((o.clone(), o.value.clone()));
            edited.len() - 1
        });
        let ns = o.id.namespace.clone();
        let value = &mut edited[idx].1;
        let Some(source) = &source else {
            if tag::delete(value, &d.tag) {
                messages.push((idx, format!("Deleted tag {}.", qualified(&ns, d))));
            } else {
                errors.push(format!(
                    "destination tag {} does not exist.",
                    qualified(&ns, d)
                ));
            }
            continue;
        };
        let mut spec = tag::spec_tag(flags, source, d, &current_ns);
        if tag::spec_tag_unchanged(value, &spec) {
            messages.push((idx, tag::message(flags, source, d, &current_ns)));
            continue;
        }
        let generation = tag::bump_generation(value);
        if let Some(g) = generation
            && spec.get("generation").is_none()
        {
            spec["generation"] = serde_json::json!(g);
        }
        tag::set_spec_tag(value, spec);
        let dest_stream = tag::stream_of(value, &ns);
        // The stream the source names: this one, or another snapshot.
        let r = &source.reference;
        let same = (r.namespace.is_empty() || r.namespace == ns) && r.name == d.stream;
        let source_stream = if source.kind == SourceKind::DockerImage {
            None
        } else if same {
            dest_stream.clone()
        } else {
            let sns = Some(r.namespace.as_str())
                .filter(|n| !n.is_empty())
                .unwrap_or(&current_ns);
            find(&r.name, Some(sns))
                .ok()
                .and_then(|so| tag::stream_of(&so.value, &so.id.namespace))
        };
        let Some(dest_stream) = dest_stream else {
            errors.push(format!("cannot read imagestream {}", d.stream));
            continue;
        };
        match tag::status_event(flags, source, source_stream.as_ref(), &dest_stream) {
            Ok(Some((reference, image))) => {
                let e = tag::event(&reference, &image, &created, generation);
                tag::record(value, &d.tag, e);
            }
            Ok(None) => {}
            Err(e) => {
                errors.push(e);
                continue;
            }
        }
        messages.push((idx, tag::message(flags, source, d, &current_ns)));
    }
    finish(&ws, &edited, errors, &messages, common)
}
