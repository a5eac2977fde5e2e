//! Command-line types (clap derive) only. Resolved into `Settings` by `settings`;
//! nothing below `commands` sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Pin OpenShift image-trigger images in a GitOps tree, offline.
///
/// streampin reads Kubernetes/OpenShift manifests and ImageStream snapshots
/// (`oc get is -o yaml`), evaluates every `image.openshift.io/triggers`
/// annotation exactly as OpenShift's trigger controller would, and rewrites only
/// the image fields, keeping every other byte of every file.
///
/// Exit status: 0 = nothing to report, 1 = something would change (check, or
/// diff --exit-code) or an error finding, 2 = streampin could not do its job.
#[derive(Debug, Parser)]
#[command(name = "streampin", version, max_term_width = 100)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print, as a unified diff, what `apply` would write. Never writes.
    Diff(DiffArgs),
    /// Evaluate every trigger and rewrite the files in place.
    Apply(ScanArgs),
    /// Print what is out of date; exit 1 if anything would change.
    Check(CheckArgs),
    /// List every trigger with its resolved pull spec and state.
    Triggers(ScanArgs),
    /// Add, change, remove or list triggers in the manifests, as `oc set triggers`.
    SetTriggers(SetTriggersArgs),
    /// Point an ImageStream snapshot's tag at another tag or image, as `oc tag`.
    Tag(TagArgs),
    /// Turn local lookup on or off, as `oc set image-lookup`.
    SetImageLookup(SetImageLookupArgs),
    /// Ask registries for the current digests of snapshot tags and record them,
    /// as `oc import-image` and scheduled imports do. The only command that uses
    /// the network.
    Import(ImportArgs),
}

/// Options shared by the authoring verbs (set-triggers, tag, set-image-lookup).
#[derive(Debug, Args)]
pub struct AuthorArgs {
    /// Files or directories holding the objects (directories recursively).
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        default_value = ".",
        help_heading = "Input"
    )]
    pub files: Vec<PathBuf>,
    /// Namespace: narrows which object a name means, and is the namespace of
    /// objects that have none.
    #[arg(short = 'n', long, value_name = "NS", help_heading = "Input")]
    pub namespace: Option<String>,
    /// Print the change as a unified diff instead of writing it.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// When to use colour (NO_COLOR is honoured).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto, help_heading = "Output")]
    pub color: ColorArg,
    /// Limits on what one file may cost.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Limits on what one file may cost, for every command that reads manifests.
/// A file over one is reported with its own code and left alone; the other
/// files are still read.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest file read; a larger one is reported (`file-too-large`) and left
    /// alone. K, M and G suffixes are powers of 1024.
    #[arg(long, value_name = "BYTES", default_value = "16M", value_parser = parse_size, help_heading = "Limits")]
    pub max_file_size: u64,
    /// Most YAML documents in one file (`limit-documents`).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10_000,
        help_heading = "Limits"
    )]
    pub max_documents: usize,
    /// Deepest nesting of collections, aliases expanded (`limit-depth`); at
    /// most 256.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Limits")]
    pub max_depth: u16,
    /// Most nodes the aliases of one file may add once expanded
    /// (`limit-aliases`): the bound on "billion laughs".
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100_000,
        help_heading = "Limits"
    )]
    pub max_alias_nodes: usize,
}

/// A size in bytes: digits, then optionally `K`, `M` or `G` (powers of 1024,
/// a trailing `B` or `iB` allowed).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => {
            return Err(format!(
                "`{s}` is not a size (bytes, or a number with K, M or G)"
            ));
        }
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size (bytes, or a number with K, M or G)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// `set-triggers` options, as `oc set triggers` takes them.
#[derive(Debug, Args)]
pub struct SetTriggersArgs {
    /// Objects: `kind/name` (`deploy/web`, `dc/api`, `bc/app`), or a kind then names.
    #[arg(value_name = "RESOURCE", required = true)]
    pub resources: Vec<String>,
    /// An image stream tag (`[ns/]stream:tag`) to trigger on.
    #[arg(long, value_name = "IS:TAG")]
    pub from_image: Option<String>,
    /// Comma-separated container names the image trigger writes.
    #[arg(short = 'c', long, value_name = "NAMES")]
    pub containers: Option<String>,
    /// Make every trigger (or the one named) automatic.
    #[arg(long)]
    pub auto: bool,
    /// Make every trigger (or the one named) manual.
    #[arg(long)]
    pub manual: bool,
    /// Remove the trigger named by a --from-* flag.
    #[arg(long)]
    pub remove: bool,
    /// Remove every trigger.
    #[arg(long)]
    pub remove_all: bool,
    /// The config-change trigger.
    #[arg(long)]
    pub from_config: bool,
    /// Shared options.
    #[command(flatten)]
    pub common: AuthorArgs,
}

/// `tag` options, as `oc tag` takes them.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// SOURCE then one or more DEST (`[ns/]stream:tag`); with -d, only DESTs.
    #[arg(value_name = "SOURCE DEST", required = true)]
    pub args: Vec<String>,
    /// Make DEST follow SOURCE (an alias within one image stream).
    #[arg(long)]
    pub alias: bool,
    /// The kind of SOURCE, when it cannot be inferred.
    #[arg(long, value_enum, value_name = "KIND")]
    pub source: Option<SourceKindArg>,
    /// Only reference the image: it is never imported.
    #[arg(long)]
    pub reference: bool,
    /// How pods pull the tag's image.
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = ReferencePolicyArg::Source)]
    pub reference_policy: ReferencePolicyArg,
    /// Re-import the image periodically.
    #[arg(long)]
    pub scheduled: bool,
    /// Allow importing over plain HTTP.
    #[arg(long)]
    pub insecure: bool,
    /// What an import records for a manifest list.
    #[arg(long, value_enum, value_name = "MODE")]
    pub import_mode: Option<ImportModeArg>,
    /// Delete the DEST tags.
    #[arg(short = 'd', long)]
    pub delete: bool,
    /// Shared options.
    #[command(flatten)]
    pub common: AuthorArgs,
}

/// `import` options: `oc import-image`'s, and the scheduled import's.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories to scan for ImageStreams (every DockerImage tag is
    /// imported), or one image stream `NAME[:TAG]` to import as
    /// `oc import-image` does. An argument that exists on disk is a path.
    #[arg(value_name = "PATH|NAME[:TAG]")]
    pub args: Vec<String>,
    /// More files or directories holding the snapshots.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        help_heading = "Input"
    )]
    pub files: Vec<PathBuf>,
    /// Namespace: narrows which stream NAME means, and is the namespace of
    /// snapshots that have none.
    #[arg(short = 'n', long, value_name = "NS", help_heading = "Input")]
    pub namespace: Option<String>,
    /// Only tags with `importPolicy.scheduled: true`, as the cluster's
    /// periodic import does.
    #[arg(long, help_heading = "Selection")]
    pub scheduled_only: bool,
    /// With NAME: the registry repository to import from (a new tag, or with
    /// --all a whole repository).
    #[arg(long, value_name = "IMAGE", help_heading = "Selection")]
    pub from: Option<String>,
    /// With NAME: allow changing where the stream imports a repository from.
    #[arg(long, help_heading = "Selection")]
    pub confirm: bool,
    /// With NAME: every tag of the source repository (or every DockerImage tag).
    #[arg(long, help_heading = "Selection")]
    pub all: bool,
    /// With --from: mark the new tag for periodic import.
    #[arg(long, help_heading = "Selection")]
    pub scheduled: bool,
    /// With --from: how pods pull the new tag's image.
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = ReferencePolicyArg::Source, help_heading = "Selection")]
    pub reference_policy: ReferencePolicyArg,
    /// With NAME: what a manifest list records; sets the tag's
    /// `importPolicy.importMode` (bulk imports follow each tag's own).
    #[arg(long, value_enum, value_name = "MODE", help_heading = "Selection")]
    pub import_mode: Option<ImportModeArg>,
    /// The image picked from a manifest list in Legacy mode.
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        default_value = "linux/amd64",
        help_heading = "Registry"
    )]
    pub platform: String,
    /// Allow registries with invalid certificates or plain HTTP, for every
    /// tag (otherwise per tag, as `importPolicy.insecure` says).
    #[arg(long, help_heading = "Registry")]
    pub insecure: bool,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, help_heading = "Registry")]
    pub jobs: usize,
    /// Seconds one request may take, connection to last byte.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        help_heading = "Registry"
    )]
    pub timeout: u64,
    /// Retries after a 429, a 5xx or a dropped connection (waits as
    /// `Retry-After` says, else 0.5 s doubling).
    #[arg(long, value_name = "N", default_value_t = 3, help_heading = "Registry")]
    pub retries: u32,
    /// Print the change as a unified diff instead of writing it.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// `text` (a table), or `json` (the import report).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ImportFormatArg::Text, help_heading = "Output")]
    pub format: ImportFormatArg,
    /// When to use colour (NO_COLOR is honoured).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto, help_heading = "Output")]
    pub color: ColorArg,
    /// Limits on what one file may cost.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `import --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormatArg {
    /// A table, one row per tag.
    Text,
    /// The import report.
    Json,
}

/// `tag --source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKindArg {
    /// An ImageStreamTag (`stream:tag`).
    #[value(name = "imagestreamtag", alias = "istag")]
    ImageStreamTag,
    /// An ImageStreamImage (`stream@sha256:…`).
    #[value(name = "imagestreamimage", alias = "isimage")]
    ImageStreamImage,
    /// An image in a registry.
    #[value(name = "docker", alias = "dockerimage")]
    Docker,
}

/// `tag --reference-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReferencePolicyArg {
    /// Pull from the source registry.
    Source,
    /// Pull through the cluster's registry.
    Local,
}

/// `tag --import-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportModeArg {
    /// The image for the cluster's platform.
    #[value(name = "Legacy")]
    Legacy,
    /// The whole manifest list.
    #[value(name = "PreserveOriginal")]
    PreserveOriginal,
}

/// `set-image-lookup` options, as `oc set image-lookup` takes them.
#[derive(Debug, Args)]
pub struct SetImageLookupArgs {
    /// Image stream names, or `kind/name` for workloads. None: list the streams.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Turn lookup on (`--enabled=false` turns it off).
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// List the named objects instead of changing them.
    #[arg(long)]
    pub list: bool,
    /// Shared options.
    #[command(flatten)]
    pub common: AuthorArgs,
}

/// `diff` options.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Exit with status 1 when something would change, as `git diff --exit-code`.
    #[arg(long)]
    pub exit_code: bool,
    /// Shared options.
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also exit 1 when OpenShift would start a BuildConfig build.
    #[arg(long)]
    pub fail_on_build: bool,
    /// Shared options.
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// Options shared by diff, apply, check and triggers.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories recursively, honouring .gitignore).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// More ImageStream snapshots (files or directories); repeatable.
    #[arg(long, value_name = "PATH", help_heading = "Input")]
    pub snapshots: Vec<PathBuf>,
    /// Namespace for objects and snapshots that have none.
    #[arg(short = 'n', long, value_name = "NS", help_heading = "Input")]
    pub namespace: Option<String>,
    /// Skip paths matching this glob; repeatable.
    #[arg(long, value_name = "GLOB", help_heading = "Input")]
    pub exclude: Vec<String>,
    /// The cluster's internal registry host, used only when a Local-policy stream
    /// has no status.dockerImageRepository.
    #[arg(long, value_name = "HOST", help_heading = "Resolution")]
    pub internal_registry: Option<String>,
    /// Resolve DeploymentConfig triggers that are not automatic too, as
    /// `oc rollout latest` does.
    #[arg(long, help_heading = "Resolution")]
    pub include_manual: bool,
    /// Skip the local-lookup pass (lookupPolicy.local and resolve-names).
    #[arg(long, help_heading = "Resolution")]
    pub no_local_lookup: bool,
    /// Output format [default: diff for diff, text otherwise].
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub format: Option<FormatArg>,
    /// When to use colour (NO_COLOR is honoured).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto, help_heading = "Output")]
    pub color: ColorArg,
    /// Limits on what one file may cost.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Largest `image.openshift.io/triggers` value evaluated
    /// (`annotation-too-large`); the API server allows 256K for all of an
    /// object's annotations.
    #[arg(long, value_name = "BYTES", default_value = "256K", value_parser = parse_size, help_heading = "Limits")]
    pub max_annotation_size: u64,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable text.
    Text,
    /// A unified diff.
    Diff,
    /// The versioned JSON report.
    Json,
    /// GitHub Actions annotations.
    Github,
    /// A SARIF 2.1.0 log, for code scanning.
    Sarif,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("256K"), Ok(256 * 1024));
        assert_eq!(parse_size("16M"), Ok(16 * 1024 * 1024));
        assert_eq!(parse_size("16mib"), Ok(16 * 1024 * 1024));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("10B"), Ok(10));
        for bad in [
            "",
            "K",
            "1.5M",
            "-1",
            "12T",
            "1 M x",
            "99999999999999999999G",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limit_defaults_are_the_library_defaults() {
        let cli = Cli::parse_from(["streampin", "check"]);
        let Command::Check(a) = cli.command else {
            unreachable!()
        };
        let limits = crate::settings::read_limits(&a.scan.limits);
        assert_eq!(limits, crate::discover::ReadLimits::default());
        assert_eq!(
            a.scan.max_annotation_size,
            crate::trigger::eval::EvalSettings::default().max_annotation_size
        );
    }
}
