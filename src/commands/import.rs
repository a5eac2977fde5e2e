//! `streampin import`: ask registries for the current digest of snapshot tags
//! and record new tag events, as `oc import-image` and the cluster's scheduled
//! imports do. The only command that uses the network (through `registry`).
//!
//! Every tag is resolved once per distinct (pull spec, transport, platform),
//! `--jobs` at a time. A tag that fails is a diagnostic; the others are still
//! recorded, and the snapshot files are rendered, verified and written as the
//! authoring verbs write them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::ExitStatus;
use crate::author::import::{self as imp, TagImport};
use crate::author::{self, Object, ResourceArg, Workspace, render, tabwriter, tag};
use crate::commands::apply::write_file;
use crate::diag::{Code, Diagnostic};
use crate::discover::ReadLimits;
use crate::manifest::yaml;
use crate::registry::{self, Client, FailureKind, Platform, Resolved, Selection, Target};
use crate::report::{Printer, diff, human, json as json_report};

/// `import`'s options, resolved.
#[derive(Debug, Clone)]
pub struct Options {
    /// Positional arguments: paths, or one `NAME[:TAG]`.
    pub args: Vec<String>,
    /// `-f` paths.
    pub files: Vec<PathBuf>,
    /// `-n`.
    pub namespace: Option<String>,
    /// `--scheduled-only`.
    pub scheduled_only: bool,
    /// `--from`.
    pub from: Option<String>,
    /// `--confirm`.
    pub confirm: bool,
    /// `--all`.
    pub all: bool,
    /// `--scheduled` (new tags).
    pub scheduled: bool,
    /// `--reference-policy` (new tags): `Source` or `Local`.
    pub reference_policy: String,
    /// `--import-mode`.
    pub import_mode: Option<String>,
    /// `--platform`.
    pub platform: String,
    /// `--insecure`.
    pub insecure: bool,
    /// `--jobs`.
    pub jobs: usize,
    /// `--timeout`, seconds.
    pub timeout: u64,
    /// `--retries`.
    pub retries: u32,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--format json`.
    pub json: bool,
    /// Colour.
    pub color: anstream::ColorChoice,
    /// `--max-*`.
    pub limits: ReadLimits,
}

/// The most tags a repository import records (the API server's
/// `MaxImagesBulkImportedPerRepository`).
const MAX_REPOSITORY_TAGS: usize = 50;

/// One tag to import, tied to the object that records it.
#[derive(Debug, Clone)]
struct Job {
    /// Index into the edited objects.
    slot: usize,
    import: TagImport,
    /// Where a failure is reported.
    file: String,
    line: (usize, usize),
}

/// One row of the report.
#[derive(Debug, Clone)]
struct Row {
    file: String,
    line: usize,
    namespace: String,
    stream: String,
    tag: String,
    from: String,
    import_mode: String,
    result: &'static str,
    resolved: Option<Resolved>,
    previous: Option<String>,
    reference: Option<String>,
    followers: Vec<String>,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::msg(msg.into())
}

fn now() -> String {
    crate::commands::tag::now()
}

/// Split positional arguments into paths (they exist) and names.
fn split_args(args: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let mut paths = Vec::new();
    let mut names = Vec::new();
    for a in args {
        if Path::new(a).exists() {
            paths.push(PathBuf::from(a));
        } else {
            names.push(a.clone());
        }
    }
    (paths, names)
}

/// Where spec tag `index` of an object starts, for diagnostics.
fn spec_tag_position(ws: &Workspace, o: &Object, index: Option<usize>) -> (usize, usize) {
    let source = &ws.files[o.file].1;
    let fallback = (o.line, 1);
    let Some(index) = index else {
        return fallback;
    };
    let Ok(docs) = yaml::parse_with_limits(&source.text, ws.limits.parse) else {
        return fallback;
    };
    let Some(doc) = docs.get(o.doc) else {
        return fallback;
    };
    let mut node = doc.resolve(&doc.root);
    if let Some(item) = o.item {
        match node.get_in(doc, "items").and_then(|i| i.items().get(item)) {
            Some(n) => node = doc.resolve(n),
            None => return fallback,
        }
    }
    match node
        .path(doc, &["spec", "tags"])
        .and_then(|t| t.items().get(index))
    {
        Some(n) => source.line_col(n.span.start),
        None => fallback,
    }
}

/// The diagnostic code for a registry failure.
fn failure_code(kind: FailureKind) -> Code {
    match kind {
        FailureKind::NotFound => Code::ImportNotFound,
        FailureKind::Unauthorized | FailureKind::Denied | FailureKind::Credentials => {
            Code::ImportUnauthorized
        }
        _ => Code::ImportFailed,
    }
}

fn spec_index(stream: &Value, tag: &str) -> Option<usize> {
    stream["spec"]["tags"]
        .as_array()?
        .iter()
        .position(|t| t["name"] == tag)
}

/// Run `import`.
pub fn run(opts: &Options) -> anyhow::Result<ExitStatus> {
    let (mut paths, names) = split_args(&opts.args);
    if names.len() > 1 {
        return Err(usage(format!(
            "import takes one image stream NAME[:TAG]; {:?} and {:?} are not paths",
            names[0], names[1]
        )));
    }
    let name = names.into_iter().next();
    if name.is_none() {
        for (flag, set) in [
            ("--from", opts.from.is_some()),
            ("--confirm", opts.confirm),
            ("--all", opts.all),
            ("--scheduled", opts.scheduled),
            ("--import-mode", opts.import_mode.is_some()),
        ] {
            if set {
                return Err(usage(format!(
                    "{flag} needs an image stream NAME (as in `streampin import NAME {flag}`)"
                )));
            }
        }
    }
    let platform = Platform::parse(&opts.platform).map_err(usage)?;
    paths.extend(opts.files.iter().cloned());
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let mut ws = Workspace::load(&paths, opts.namespace.clone(), opts.limits)?;
    let objects = ws.objects();
    let tag_opts = imp::Options {
        scheduled_only: opts.scheduled_only,
        insecure: opts.insecure.then_some(true),
        platform: Some(platform.clone()),
    };
    let client = Client::new(registry::Options {
        timeout: Duration::from_secs(opts.timeout.max(1)),
        retries: opts.retries,
        jobs: opts.jobs.max(1),
        ..registry::Options::default()
    });

    let mut edited: Vec<(Object, Value)> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let created = now();

    match &name {
        None => {
            for o in objects.iter().filter(|o| o.id.kind == "ImageStream") {
                let imports = imp::stream_imports(&o.value, &tag_opts);
                if imports.is_empty() {
                    continue;
                }
                edited.push((o.clone(), o.value.clone()));
                let slot = edited.len() - 1;
                for i in imports {
                    let line = spec_tag_position(&ws, o, spec_index(&o.value, &i.tag));
                    jobs.push(Job {
                        slot,
                        import: i,
                        file: ws.display(o).to_string(),
                        line,
                    });
                }
            }
        }
        Some(name) => {
            let plan = named(
                name,
                opts,
                &tag_opts,
                &ws,
                &objects,
                &client,
                &mut diagnostics,
                &mut notes,
            )?;
            if let Some((o, value, imports)) = plan {
                let slot = edited.len();
                edited.push((o.clone(), value));
                for i in imports {
                    let line = spec_tag_position(&ws, &o, spec_index(&edited[slot].1, &i.tag));
                    jobs.push(Job {
                        slot,
                        import: i,
                        file: ws.display(&o).to_string(),
                        line,
                    });
                }
            }
        }
    }

    // One request per distinct target.
    let targets: Vec<Target> = jobs
        .iter()
        .map(|j| j.import.target.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let answers: BTreeMap<Target, Result<Resolved, registry::Failure>> = targets
        .iter()
        .cloned()
        .zip(client.resolve_all(&targets))
        .collect();

    let mut rows = Vec::new();
    for j in &jobs {
        let (o, value) = &mut edited[j.slot];
        let i = &j.import;
        let mut row = Row {
            file: j.file.clone(),
            line: j.line.0,
            namespace: o.id.namespace.clone(),
            stream: o.id.name.clone(),
            tag: i.tag.clone(),
            from: i.target.pull_spec.clone(),
            import_mode: i.import_mode.clone(),
            result: "failed",
            resolved: None,
            previous: imp::current_image(value, &i.tag),
            reference: None,
            followers: Vec::new(),
        };
        match answers.get(&i.target) {
            Some(Ok(res)) => {
                let Some(reference) = imp::pinned_reference(&i.target.pull_spec, &res.digest)
                else {
                    continue;
                };
                let changed = imp::record(
                    value,
                    &i.tag,
                    &reference,
                    &res.digest,
                    &created,
                    i.generation,
                );
                row.result = if changed.first() == Some(&i.tag) {
                    if row.previous.is_none() {
                        "new"
                    } else {
                        "updated"
                    }
                } else {
                    "unchanged"
                };
                row.followers = changed.into_iter().skip(1).collect();
                row.resolved = Some(res.clone());
                row.reference = Some(reference);
            }
            Some(Err(f)) => {
                let code = failure_code(f.kind);
                let ns = if o.id.namespace.is_empty() {
                    String::new()
                } else {
                    format!("{}/", o.id.namespace)
                };
                diagnostics.push(
                    Diagnostic::new(
                        code,
                        &j.file,
                        j.line,
                        format!("tag `{ns}{}:{}`: {}", o.id.name, i.tag, f.message),
                    )
                    .with_object(Some(format!("ImageStream {ns}{}", o.id.name))),
                );
            }
            None => {}
        }
        rows.push(row);
    }

    finish(&ws, &edited, rows, diagnostics, notes, opts)
}

/// `oc import-image NAME[:TAG]`: the stream as it will be (a new spec tag, a
/// new repository source) and the tags to ask for.
#[allow(clippy::too_many_arguments)]
fn named(
    arg: &str,
    opts: &Options,
    tag_opts: &imp::Options,
    ws: &Workspace,
    objects: &[Object],
    client: &Client,
    diagnostics: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<(Object, Value, Vec<TagImport>)>> {
    if arg.contains('@') {
        return Err(usage("to import images by ID, use the 'tag' command"));
    }
    let (stream_name, tag_name) = match arg.split_once(':') {
        Some((s, t)) => (s.to_string(), Some(t.to_string())),
        None => (arg.to_string(), None),
    };
    if tag_name.as_deref() == Some("") || stream_name.is_empty() {
        return Err(usage(
            "the image name must be a valid container image pull spec or reference to an image stream (e.g. myregistry/myteam/image:tag)",
        ));
    }
    if let Some(t) = &tag_name
        && opts.all
    {
        return Err(usage(format!(
            "cannot specify a tag {t:?} as well as --all"
        )));
    }
    let found = author::find(
        objects,
        &ResourceArg {
            kind: "ImageStream",
            name: stream_name.clone(),
        },
        opts.namespace.as_deref(),
    );
    let o = match found {
        Ok(o) => o.clone(),
        Err(e) if e.contains("not found") => {
            let hint = if opts.confirm {
                "; streampin does not create streams: add the stream's snapshot to the files (`oc get is -o yaml`), then import"
            } else {
                ", pass --confirm to create and import"
            };
            return Err(usage(format!(
                "no image stream named {stream_name:?} exists in the files{hint}"
            )));
        }
        Err(e) => return Err(usage(e)),
    };
    let mut value = o.value.clone();
    let mode = opts.import_mode.clone();
    let platform_sel = |mode: &str| {
        if mode == "PreserveOriginal" {
            Selection::Original
        } else {
            Selection::Platform(
                tag_opts
                    .platform
                    .clone()
                    .unwrap_or_else(Platform::linux_amd64),
            )
        }
    };
    let insecure_for = |v: &Value| {
        opts.insecure || v["metadata"]["annotations"][imp::INSECURE_ANNOTATION] == "true"
    };

    if opts.all {
        let repo_spec = value["spec"]["dockerImageRepository"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let from = opts.from.clone().unwrap_or_else(|| repo_spec.clone());
        if from.is_empty() {
            let imports: Vec<TagImport> = value["spec"]["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| imp::tag_import(&value, t, tag_opts))
                .collect();
            if imports.is_empty() {
                return Err(usage(
                    "image stream does not have tags pointing to external container images",
                ));
            }
            return Ok(Some((o, value, imports)));
        }
        if from != repo_spec {
            if !opts.confirm {
                return Err(usage(if repo_spec.is_empty() {
                    "the image stream does not currently import an entire Docker repository, pass --confirm to update".to_string()
                } else {
                    format!(
                        "the image stream has a different import spec {repo_spec:?}, pass --confirm to update"
                    )
                }));
            }
            value["spec"]["dockerImageRepository"] = json!(from);
            tag::bump_generation(&mut value);
        }
        let mut base = crate::image_ref::ImageRef::parse(&from)
            .map_err(|e| usage(format!("--from {from:?} is not a valid pull spec: {e}")))?;
        base.tag.clear();
        base.id.clear();
        let insecure = insecure_for(&value);
        let tags = match client.list_tags(&base.exact(), insecure) {
            Ok(t) => t,
            Err(f) => {
                let code = failure_code(f.kind);
                diagnostics.push(Diagnostic::new(
                    code,
                    ws.display(&o),
                    (o.line, 1),
                    format!("repository `{}`: {}", base.exact(), f.message),
                ));
                return Ok(Some((o, value, Vec::new())));
            }
        };
        if tags.len() > MAX_REPOSITORY_TAGS {
            notes.push(format!(
                "The remote repository contained {} additional tags which were not imported: {}",
                tags.len() - MAX_REPOSITORY_TAGS,
                tags[MAX_REPOSITORY_TAGS..].join(", ")
            ));
        }
        let mode = mode.unwrap_or_else(|| "Legacy".to_string());
        let generation = value["metadata"]["generation"].as_i64();
        let imports = tags
            .iter()
            .take(MAX_REPOSITORY_TAGS)
            .map(|t| {
                let mut r = base.clone();
                r.tag = t.clone();
                TagImport {
                    tag: t.clone(),
                    target: Target {
                        pull_spec: r.exact(),
                        insecure,
                        selection: platform_sel(&mode),
                    },
                    generation,
                    import_mode: mode.clone(),
                }
            })
            .collect();
        return Ok(Some((o, value, imports)));
    }

    let tag_name = tag_name.unwrap_or_else(|| "latest".to_string());
    let followed = imp::follow_tag(&value, &tag_name).map_err(usage)?;
    let import = match followed {
        None => {
            let mut from = opts.from.clone().unwrap_or_default();
            if from.is_empty() && tag_name == "latest" {
                from = value["spec"]["dockerImageRepository"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
            }
            if from.is_empty() {
                return Err(usage(format!(
                    "the tag {tag_name:?} does not exist on the image stream - choose an existing tag to import or use the 'tag' command to create a new tag"
                )));
            }
            crate::image_ref::ImageRef::parse(&from)
                .map_err(|e| usage(format!("--from {from:?} is not a valid pull spec: {e}")))?;
            let mode = mode.unwrap_or_else(|| "Legacy".to_string());
            let mut spec = imp::new_spec_tag(
                &tag_name,
                &from,
                opts.scheduled,
                opts.insecure,
                &mode,
                &opts.reference_policy,
            );
            let generation = tag::bump_generation(&mut value);
            if let Some(g) = generation {
                spec["generation"] = json!(g);
            }
            tag::set_spec_tag(&mut value, spec.clone());
            let mut i = imp::tag_import(&value, &spec, tag_opts)
                .ok_or_else(|| usage(format!("tag {tag_name:?} cannot be imported")))?;
            i.target.selection = platform_sel(&mode);
            i
        }
        Some((final_tag, multiple)) => {
            let spec = imp::spec_tag(&value, &final_tag)
                .cloned()
                .unwrap_or(Value::Null);
            let kind = spec["from"]["kind"].as_str().unwrap_or_default();
            let existing = spec["from"]["name"].as_str().unwrap_or_default();
            if kind != "DockerImage" {
                return Err(usage(format!(
                    "tag {tag_name:?} points to existing {kind} {existing:?}, it cannot be re-imported"
                )));
            }
            if let Some(from) = &opts.from
                && from != existing
            {
                return Err(usage(if multiple {
                    format!(
                        "the tag {tag_name:?} points to the tag {final_tag:?} which points to {existing:?} - use the 'tag' command if you want to change the source to {from:?}"
                    )
                } else {
                    format!(
                        "the tag {tag_name:?} points to {existing:?} - use the 'tag' command if you want to change the source to {from:?}"
                    )
                }));
            }
            if spec["reference"] == true {
                return Err(usage(format!(
                    "tag {final_tag:?} is a reference tag (reference: true): the cluster never imports it"
                )));
            }
            let mut i = imp::tag_import(
                &value,
                &spec,
                &imp::Options {
                    scheduled_only: false,
                    ..tag_opts.clone()
                },
            )
            .ok_or_else(|| usage(format!("tag {final_tag:?} cannot be imported")))?;
            // --import-mode changes the tag's mode, as the import request
            // does on the cluster: a spec change, so the generation moves.
            if let Some(m) = &mode
                && *m != i.import_mode
            {
                let generation = tag::bump_generation(&mut value);
                if let Some(t) = value["spec"]["tags"]
                    .as_array_mut()
                    .and_then(|tags| tags.iter_mut().find(|t| t["name"] == final_tag.as_str()))
                {
                    if !t["importPolicy"].is_object() {
                        t["importPolicy"] = json!({});
                    }
                    t["importPolicy"]["importMode"] = json!(m);
                    if let Some(g) = generation {
                        t["generation"] = json!(g);
                        i.generation = Some(g);
                    }
                }
                i.target.selection = platform_sel(m);
                i.import_mode = m.clone();
            }
            i
        }
    };
    Ok(Some((o, value, vec![import])))
}

fn finish(
    ws: &Workspace,
    edited: &[(Object, Value)],
    mut rows: Vec<Row>,
    mut diagnostics: Vec<Diagnostic>,
    notes: Vec<String>,
    opts: &Options,
) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(opts.color);
    let ecolor = p.err.current_choice() != anstream::ColorChoice::Never;
    diagnostics.extend(ws.diagnostics.iter().cloned());
    let plans = match render(ws, edited) {
        Ok(plans) => plans,
        Err(failures) => {
            for f in failures {
                diagnostics.push(Diagnostic::new(
                    Code::EditUnverified,
                    &f.file,
                    (1, 1),
                    format!("not changed: {}", f.message),
                ));
            }
            Vec::new()
        }
    };
    let mut written = 0usize;
    if !opts.dry_run {
        for f in &plans {
            match write_file(f) {
                Ok(()) => written += 1,
                Err(e) => diagnostics.push(Diagnostic::new(
                    Code::WriteFailed,
                    &f.display,
                    (1, 1),
                    format!("not written: {e:#}"),
                )),
            }
        }
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
    rows.sort_by(|a, b| {
        (&a.file, a.line, &a.namespace, &a.stream, &a.tag).cmp(&(
            &b.file,
            b.line,
            &b.namespace,
            &b.stream,
            &b.tag,
        ))
    });
    let count = |r: &str| rows.iter().filter(|x| x.result == r).count();
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .count();
    let files_changed = plans.len();

    if opts.json {
        let imports: Vec<Value> = rows.iter().map(row_json).collect();
        let v = json!({
            "version": 1,
            "imports": imports,
            "diagnostics": diagnostics,
            "notes": notes,
            "summary": {
                "tags": rows.len(),
                "new": count("new"),
                "updated": count("updated"),
                "unchanged": count("unchanged"),
                "failed": count("failed"),
                "files_changed": files_changed,
                "errors": errors,
            },
        });
        p.print(&json_report::document(v))?;
        if opts.dry_run {
            p.eprint(&diff::render_all(&plans, ecolor))?;
        }
    } else {
        p.eprint(&human::diagnostics(&diagnostics, ecolor))?;
        let table = table(&rows);
        if opts.dry_run {
            p.print(&diff::render_all(&plans, p.color))?;
            p.eprint(&table)?;
        } else {
            p.print(&table)?;
        }
        let mut summary = format!(
            "{} tag{} checked: {} new, {} updated, {} unchanged, {} failed; ",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            count("new"),
            count("updated"),
            count("unchanged"),
            count("failed"),
        );
        summary.push_str(&if opts.dry_run {
            format!("{files_changed} file(s) would change (dry run)\n")
        } else {
            format!("{written} file(s) written\n")
        });
        for n in &notes {
            summary.push_str(&format!("info: {n}\n"));
        }
        p.eprint(&summary)?;
    }
    p.flush()?;
    Ok(if errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

fn row_json(r: &Row) -> Value {
    let res = r.resolved.as_ref();
    json!({
        "file": r.file,
        "line": r.line,
        "stream": {"namespace": r.namespace, "name": r.stream},
        "tag": r.tag,
        "from": r.from,
        "importMode": r.import_mode,
        "result": r.result,
        "digest": res.map(|x| x.digest.clone()),
        "digestKind": res.map(|x| x.kind.as_str()),
        "platform": res.and_then(|x| x.platform.clone()),
        "indexDigest": res.and_then(|x| x.index_digest.clone()),
        "dockerImageReference": r.reference,
        "previous": r.previous,
        "followers": r.followers,
    })
}

fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut t: Vec<Vec<String>> = vec![
        ["STREAM", "TAG", "RESULT", "DIGEST", "KIND"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ];
    for r in rows {
        let stream = if r.namespace.is_empty() {
            r.stream.clone()
        } else {
            format!("{}/{}", r.namespace, r.stream)
        };
        let mut tag = r.tag.clone();
        if !r.followers.is_empty() {
            tag.push_str(&format!(" (+{})", r.followers.join(",")));
        }
        let (digest, kind) = match &r.resolved {
            Some(x) => (
                x.digest.clone(),
                match &x.platform {
                    Some(p) => format!("{} {p}", x.kind.as_str()),
                    None => x.kind.as_str().to_string(),
                },
            ),
            None => ("-".to_string(), "-".to_string()),
        };
        t.push(vec![stream, tag, r.result.to_string(), digest, kind]);
    }
    tabwriter::render(&t)
}
