//! Triggers: the annotation model (`annotation`) and the evaluation of one object
//! against the snapshot index (`eval`), which yields changes, diagnostics and the
//! rows of the `triggers` listing. No I/O, no rendering.

pub mod annotation;
pub mod buildconfig;
pub mod deploymentconfig;
pub mod eval;
pub mod lookup;

use std::sync::Arc;

use serde::Serialize;

use crate::edit::Edit;
use crate::manifest::{NamespaceSource, ObjectId};

/// Where a change came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeSource {
    /// `annotation`, `deploymentconfig` or `local-lookup`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Index of the trigger in its list.
    pub index: usize,
    /// The ImageStreamTag it names, with the namespace looked up.
    pub from: FromRef,
}

/// `{kind, namespace, name}` of a trigger source, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FromRef {
    /// `from.kind` as written.
    pub kind: String,
    /// The namespace searched.
    pub namespace: String,
    /// `from.name`.
    pub name: String,
}

pub use crate::imagestream::Resolution;

/// One image field that will change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// File (display path).
    pub file: String,
    /// 1-based line of the scalar (or of the mapping a key is inserted into).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The object.
    pub object: Arc<ObjectId>,
    /// Where the object's namespace came from.
    #[serde(rename = "namespaceSource")]
    pub namespace_source: NamespaceSource,
    /// Container name.
    pub container: String,
    /// Index-based path of the field.
    pub field: String,
    /// Current value ("" when the key is missing).
    pub old: String,
    /// New value.
    pub new: String,
    /// Which trigger.
    pub source: ChangeSource,
    /// Which snapshot event.
    pub resolution: Arc<Resolution>,
    /// The byte edit (not reported).
    #[serde(skip)]
    pub edit: Edit,
    /// For verification: the byte offset of the old scalar or of the map receiving a key.
    #[serde(skip)]
    pub anchor_offset: usize,
    /// The key the edit inserts into a mapping, when the field did not exist.
    #[serde(skip)]
    pub inserted_key: Option<&'static str>,
}

/// State of a trigger in the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The container already holds the resolved reference.
    Pinned,
    /// The container would change.
    Stale,
    /// The trigger is paused.
    Paused,
    /// The tag does not resolve.
    Unresolved,
    /// The trigger (or its object) has an error.
    Error,
    /// A DeploymentConfig trigger with `automatic` off: only `oc rollout latest` uses it.
    Manual,
    /// The fieldPath is not under this kind's pod spec: ignored.
    Skipped,
}

impl State {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pinned => "pinned",
            State::Stale => "stale",
            State::Paused => "paused",
            State::Unresolved => "unresolved",
            State::Error => "error",
            State::Manual => "manual",
            State::Skipped => "skipped",
        }
    }
}

/// One row of `streampin triggers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerRow {
    /// File.
    pub file: String,
    /// Line of the trigger's source (the annotation).
    pub line: usize,
    /// The object.
    pub object: Arc<ObjectId>,
    /// Where its namespace came from.
    #[serde(rename = "namespaceSource")]
    pub namespace_source: NamespaceSource,
    /// `annotation` (later: `deploymentconfig`, …).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Index of the trigger.
    pub index: usize,
    /// Container addressed, when known.
    pub container: Option<String>,
    /// `is:tag`, or `ns/is:tag` across namespaces.
    pub source: String,
    /// The resolved pull spec.
    pub resolved: Option<String>,
    /// State.
    pub state: State,
}

/// A build OpenShift would start for a BuildConfig.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Build {
    /// File.
    pub file: String,
    /// Line of the BuildConfig.
    pub line: usize,
    /// The BuildConfig.
    pub object: Arc<ObjectId>,
    /// The image stream tag the build request names (`ns/is:tag`).
    pub from: String,
    /// The pull spec that triggered it.
    #[serde(rename = "ref")]
    pub reference: String,
    /// One cause per distinct source that fired, in trigger order.
    pub causes: Vec<BuildCause>,
}

/// Why a build starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildCause {
    /// The source (`ns/is:tag`).
    pub from: String,
    /// Its new pull spec.
    #[serde(rename = "imageID")]
    pub image_id: String,
}
