//! SARIF 2.1.0 (`--format sarif`): one run whose results are the stale images and
//! the findings, for code-scanning dashboards. The rules are every diagnostic code
//! plus `stale-pin`; locations are relative to `%SRCROOT%` (the current directory).

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::json::{Elements, Frame};
use crate::diag::{Code, Diagnostic, Severity};
use crate::findings::Findings;
use crate::plan::Plan;
use crate::trigger::Change;

/// The schema the document names.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF version.
pub const VERSION: &str = "2.1.0";

/// The rule id of a stale image.
pub const STALE_PIN: &str = "stale-pin";

/// The base the relative artifact URIs are resolved against.
pub const SRCROOT: &str = "%SRCROOT%";

/// The partial fingerprint's key.
const FINGERPRINT_KEY: &str = "streampin/v1";

/// A SARIF result level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `error`.
    Error,
    /// `warning`.
    Warning,
    /// `note`.
    Note,
}

impl Level {
    /// The SARIF name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }

    /// The level of a severity.
    pub fn of(s: Severity) -> Level {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        }
    }
}

/// The index of a code's rule: `stale-pin` is 0, the codes follow in
/// `Code::ALL` order.
fn rule_index(code: Code) -> usize {
    Code::ALL.iter().position(|c| *c == code).unwrap_or(0) + 1
}

fn rules(stale_level: Level) -> Vec<Value> {
    let mut out = vec![json!({
        "id": STALE_PIN,
        "shortDescription": { "text": "a pinned image the trigger would change" },
        "defaultConfiguration": { "level": stale_level.as_str() },
    })];
    out.extend(Code::ALL.iter().map(|c| {
        json!({
            "id": c.as_str(),
            "shortDescription": { "text": c.description() },
            "defaultConfiguration": { "level": Level::of(c.severity()).as_str() },
        })
    }));
    out
}

/// Whether `b` may stand unescaped in a URI path: unreserved, sub-delims, `@`,
/// `/`, and `:` when `colon` (never in a relative reference, where a colon in
/// the first segment would read as a scheme).
fn uri_safe(b: u8, colon: bool) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) || (colon && b == b':')
}

fn percent_encode(s: &str, colon: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if uri_safe(b, colon) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The artifact URI of a displayed path, and its `uriBaseId`: a path relative
/// to `%SRCROOT%`, or a `file:` URI for an absolute path. `None` for no path.
pub fn artifact_uri(display: &str) -> Option<(String, Option<&'static str>)> {
    let mut path = display.replace('\\', "/");
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    if path.is_empty() {
        return None;
    }
    let bytes = path.as_bytes();
    if path.starts_with('/') {
        Some((format!("file://{}", percent_encode(&path, true)), None))
    } else if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":/" {
        // A Windows drive path.
        Some((format!("file:///{}", percent_encode(&path, true)), None))
    } else {
        Some((percent_encode(&path, false), Some(SRCROOT)))
    }
}

fn locations(file: &str, line: usize, column: usize) -> Option<Value> {
    let (uri, base) = artifact_uri(file)?;
    let mut artifact = json!({ "uri": uri });
    if let Some(base) = base {
        artifact["uriBaseId"] = json!(base);
    }
    let mut physical = json!({ "artifactLocation": artifact });
    if line > 0 {
        let mut region = json!({ "startLine": line });
        if column > 0 {
            region["startColumn"] = json!(column);
        }
        physical["region"] = region;
    }
    Some(json!([{ "physicalLocation": physical }]))
}

fn hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn result(
    rule: &str,
    index: usize,
    level: Level,
    message: String,
    (file, line, column): (&str, usize, usize),
    fingerprint: String,
) -> Value {
    let mut r = json!({
        "ruleId": rule,
        "ruleIndex": index,
        "level": level.as_str(),
        "message": { "text": message },
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
    });
    if let Some(locs) = locations(file, line, column) {
        r["locations"] = locs;
    }
    r
}

fn stale(c: &Change, level: Level) -> Value {
    let what = if c.container.is_empty() {
        format!("`{}`", c.field)
    } else {
        format!("container `{}`", c.container)
    };
    let source = match c.source.kind {
        "deploymentconfig" => format!("the DeploymentConfig trigger on `{}`", c.source.from.name),
        "buildconfig" => format!("the BuildConfig trigger on `{}`", c.source.from.name),
        "local-lookup" => format!("the local lookup of `{}`", c.source.from.name),
        _ => format!("the trigger on `{}`", c.source.from.name),
    };
    let message = format!(
        "{} {what} is `{}`, but {source} pins `{}`",
        c.object.describe(),
        c.old,
        c.new
    );
    let object = c.object.describe();
    let fp = hash(&[STALE_PIN, &c.file, &object, &c.field, &c.source.from.name]);
    result(
        STALE_PIN,
        0,
        level,
        message,
        (&c.file, c.line, c.column),
        fp,
    )
}

fn finding(d: &Diagnostic) -> Value {
    let message = match &d.object {
        Some(o) => format!("{o}: {}", d.message),
        None => d.message.clone(),
    };
    let object = d.object.as_deref().unwrap_or("");
    let fp = hash(&[d.code.as_str(), &d.file, object, &d.message]);
    result(
        d.code.as_str(),
        rule_index(d.code),
        Level::of(d.severity),
        message,
        (&d.file, d.line, d.column),
        fp,
    )
}

/// The SARIF log of a plan held whole: a result per stale image (at
/// `stale_level`) and per finding, in plan order. Pretty, keys sorted, with a
/// final newline.
pub fn report(plan: &Plan, stale_level: Level) -> String {
    let mut findings = Findings::in_order(plan.diagnostics.clone());
    let mut out = Vec::new();
    let written = Report::new(stale_level).and_then(|mut r| {
        r.part(plan, &mut out)?;
        r.finish(&mut findings, &mut out)
    });
    match written {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The SARIF log, written as the plan streams: the results (the stale images
/// chunk by chunk, then the findings) straight to the output, an element at a
/// time, in the document the rest of which is known from the start.
pub struct Report {
    level: Level,
    frame: Frame,
    results: Elements,
    started: bool,
    /// The file of the last result, and how often each fingerprint was seen in
    /// it. A fingerprint hashes its file, so it repeats only within one file,
    /// and a file's results are together (the stale images and the findings
    /// come sorted by file).
    file: String,
    seen: HashMap<String, usize>,
}

impl Report {
    /// A log whose stale images are at `stale_level`.
    pub fn new(stale_level: Level) -> io::Result<Report> {
        let frame = Frame::new(1, |hole| {
            json!({
                "$schema": SCHEMA,
                "version": VERSION,
                "runs": [{
                    "tool": {
                        "driver": {
                            "name": "streampin",
                            "version": env!("CARGO_PKG_VERSION"),
                            "semanticVersion": env!("CARGO_PKG_VERSION"),
                            "rules": rules(stale_level),
                        }
                    },
                    "columnKind": "unicodeCodePoints",
                    "results": hole(0),
                }],
            })
        })?;
        Ok(Report {
            level: stale_level,
            results: Elements::new(frame.indent(0)),
            frame,
            started: false,
            file: String::new(),
            seen: HashMap::new(),
        })
    }

    /// Write one chunk's stale images.
    pub fn part(&mut self, part: &Plan, out: &mut impl Write) -> io::Result<()> {
        for c in &part.changes {
            let r = stale(c, self.level);
            self.push(&c.file, r, out)?;
        }
        self.results.drain_to(out, true)
    }

    /// Write the findings and the rest of the document.
    pub fn finish(mut self, findings: &mut Findings, out: &mut impl Write) -> io::Result<()> {
        for d in findings.iter()? {
            let d = d?;
            self.push(&d.file, finding(&d), out)?;
        }
        self.start(out)?;
        self.results.drain_to(out, true)?;
        out.write_all(self.results.close().as_bytes())?;
        out.write_all(self.frame.piece(1).as_bytes())
    }

    /// Write what comes before the results, once.
    fn start(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.started {
            out.write_all(self.frame.piece(0).as_bytes())?;
            self.started = true;
        }
        Ok(())
    }

    /// Number a repeated fingerprint (`hash:1`, `hash:2`, …) so that each is
    /// unique, and add the result.
    fn push(&mut self, file: &str, mut r: Value, out: &mut impl Write) -> io::Result<()> {
        self.start(out)?;
        if file != self.file {
            self.file = file.to_string();
            self.seen.clear();
        }
        let fp = &mut r["partialFingerprints"][FINGERPRINT_KEY];
        let base = fp.as_str().unwrap_or_default().to_string();
        let n = self.seen.entry(base.clone()).or_insert(0);
        *n += 1;
        *fp = json!(format!("{base}:{n}"));
        self.results.push_value(&r)?;
        self.results.drain_to(out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(
            artifact_uri("apps/a.yaml"),
            Some(("apps/a.yaml".into(), Some(SRCROOT)))
        );
        assert_eq!(
            artifact_uri("./my app/ä%#?.yaml"),
            Some(("my%20app/%C3%A4%25%23%3F.yaml".into(), Some(SRCROOT)))
        );
        // A colon never reads as a scheme.
        assert_eq!(
            artifact_uri("a:b.yaml"),
            Some(("a%3Ab.yaml".into(), Some(SRCROOT)))
        );
        assert_eq!(
            artifact_uri("dir\\x.yaml"),
            Some(("dir/x.yaml".into(), Some(SRCROOT)))
        );
        assert_eq!(
            artifact_uri("/tmp/a b.yaml"),
            Some(("file:///tmp/a%20b.yaml".into(), None))
        );
        assert_eq!(
            artifact_uri("C:\\x\\y.yaml"),
            Some(("file:///C:/x/y.yaml".into(), None))
        );
        assert_eq!(artifact_uri(""), None);
    }

    #[test]
    fn rules_cover_every_code_in_order() {
        let r = rules(Level::Error);
        assert_eq!(r.len(), Code::ALL.len() + 1);
        assert_eq!(r[0]["id"], STALE_PIN);
        for c in Code::ALL {
            assert_eq!(r[rule_index(*c)]["id"], c.as_str());
        }
    }

    #[test]
    fn findings_have_levels_regions_and_unique_fingerprints() {
        let mut plan = Plan::default();
        let d = Diagnostic::new(Code::TagNotFound, "a.yaml", (3, 4), "m".into());
        plan.diagnostics = vec![d.clone(), d, {
            let mut i = Diagnostic::new(Code::BuildTriggered, "b.yaml", (0, 0), "n".into());
            i.object = Some("BuildConfig ns/x".into());
            i
        }];
        let v: Value = serde_json::from_str(&report(&plan, Level::Note)).unwrap_or_default();
        let rs = &v["runs"][0]["results"];
        assert_eq!(rs[0]["level"], "warning");
        assert_eq!(rs[0]["ruleIndex"], rule_index(Code::TagNotFound));
        let region = &rs[0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (&region["startLine"], &region["startColumn"]),
            (&json!(3), &json!(4))
        );
        let fp = |i: usize| rs[i]["partialFingerprints"][FINGERPRINT_KEY].clone();
        assert_ne!(fp(0), fp(1));
        assert!(fp(1).as_str().is_some_and(|s| s.ends_with(":2")));
        assert_eq!(rs[2]["level"], "note");
        assert_eq!(rs[2]["message"]["text"], "BuildConfig ns/x: n");
        assert!(
            rs[2]["locations"][0]["physicalLocation"]
                .get("region")
                .is_none()
        );
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"],
            "note"
        );
    }
}
