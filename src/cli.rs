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
}
