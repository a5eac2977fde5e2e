//! Findings as data: `Diagnostic` with a stable kebab-case `Code`.
//!
//! A diagnostic never stops a run; its severity decides the exit status. Rendering
//! lives in `report`.

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Provenance: what streampin inferred.
    Info,
    /// streampin acted, but the cluster would differ or the input is suspicious.
    Warning,
    /// The object (or file) is left untouched.
    Error,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $sev:ident, $desc:literal; )*) => {
        /// Stable diagnostic codes. The names are a contract: never rename one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( #[doc = $desc] $variant, )* }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];
            /// The kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }
            /// The default severity.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
            /// One-line description.
            pub fn description(self) -> &'static str {
                match self { $( Code::$variant => $desc, )* }
            }
        }
    };
}

codes! {
    AnnotationInvalid = "annotation-invalid", Error, "the trigger annotation does not decode";
    AnnotationDuplicateFieldpath = "annotation-duplicate-fieldpath", Error, "two triggers share one fieldPath";
    FieldpathInvalid = "fieldpath-invalid", Error, "the fieldPath does not parse (once its tag resolved)";
    ContainerNotFound = "container-not-found", Error, "the fieldPath selects no container";
    TagNotFound = "tag-not-found", Warning, "the stream or tag is not in the snapshots";
    ImagestreamDuplicate = "imagestream-duplicate", Error, "two snapshots define one namespace/name differently";
    YamlInvalid = "yaml-invalid", Error, "the file does not parse as YAML";
    ClusterIgnoresKind = "cluster-ignores-kind", Warning, "the live controller does not watch this kind";
    ClusterRejectsSelector = "cluster-rejects-selector", Warning, "a single-quoted name selector, which the cluster rejects";
    TriggerKindIgnored = "trigger-kind-ignored", Warning, "from.kind is not ImageStreamTag or apiVersion is set";
    TriggerUnknownKey = "trigger-unknown-key", Warning, "a key the cluster ignores, such as the console's `pause`";
    FieldpathQuirk = "fieldpath-quirk", Warning, "a fieldPath form the cluster accepts by accident";
    PinNotDigest = "pin-not-digest", Warning, "the resolved reference has no digest";
    DcBlocked = "dc-blocked", Error, "a DeploymentConfig left alone by the blocking rule";
    BuildTriggered = "build-triggered", Info, "a build OpenShift would start";
    SnapshotCompleted = "snapshot-completed", Info, "a snapshot gap filled as the cluster would (semantics rule 3)";
    FieldpathSkipped = "fieldpath-skipped", Warning, "the fieldPath is not under this kind's pod spec, so the trigger is ignored";
    TriggerNameWithoutTag = "trigger-name-without-tag", Warning, "from.name has no `:` and never resolves";
    JobTemplateImmutable = "job-template-immutable", Warning, "a Job's pod template changed; it applies only when the Job is recreated";
    ResolveNamesValue = "resolve-names-value", Warning, "the resolve-names annotation is not exactly `*`";
    LookupWithoutTrigger = "lookup-without-trigger", Warning, "a lookup-enabled tag used without a trigger";
    ImageNotEditable = "image-not-editable", Error, "the image field is an alias, anchored, or a multi-line block scalar";
    ObjectInvalid = "object-invalid", Error, "the object does not have the shape its kind requires";
    EditUnverified = "edit-unverified", Error, "an edit did not verify after re-parsing; the file is not written";
    FileUnreadable = "file-unreadable", Error, "the file could not be read";
    FileBinary = "file-binary", Error, "the file holds binary data";
    FileNotUtf8 = "file-not-utf8", Error, "the file is not valid UTF-8";
    FileTooLarge = "file-too-large", Error, "the file is over the size limit (`--max-file-size`)";
    LimitDepth = "limit-depth", Error, "collections nest deeper than the limit, aliases expanded (`--max-depth`)";
    LimitDocuments = "limit-documents", Error, "the file holds more documents than the limit (`--max-documents`)";
    LimitAliases = "limit-aliases", Error, "aliases expand to more nodes than the limit (`--max-alias-nodes`)";
    AnnotationTooLarge = "annotation-too-large", Error, "the trigger annotation is over the size limit (`--max-annotation-size`)";
    SymlinkLoop = "symlink-loop", Error, "a symbolic link loop";
    SymlinkOutside = "symlink-outside", Warning, "a symbolic link points outside the scanned roots";
    WriteFailed = "write-failed", Error, "the file could not be written";
    ImportNotFound = "import-not-found", Error, "import: the registry has no such repository or tag";
    ImportUnauthorized = "import-unauthorized", Error, "import: the registry wants credentials we do not have, or refused ours";
    ImportFailed = "import-failed", Error, "import: the registry could not be reached or gave an unusable answer";
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding, located in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity (usually the code's default).
    pub severity: Severity,
    /// File as displayed.
    pub file: String,
    /// 1-based line (0 when the finding is about the file as a whole and it has no text).
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// `kind ns/name` of the object, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Message: lowercase, no trailing period, values in backticks.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, file: &str, (line, column): (usize, usize), message: String) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            file: file.to_string(),
            line,
            column,
            object: None,
            message,
        }
    }

    /// Attach the object description.
    pub fn with_object(mut self, object: Option<String>) -> Self {
        self.object = object;
        self
    }

    /// Sort key: file, position, code, message.
    pub fn sort_key(&self) -> (&str, usize, usize, Code, &str) {
        (&self.file, self.line, self.column, self.code, &self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {}", c.as_str());
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
            );
        }
    }
}
