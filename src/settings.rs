//! Resolve command-line arguments into documented settings. Precedence: command
//! line, then defaults (there is no config file yet).

use crate::cli::{AuthorArgs, ColorArg, FormatArg, LimitArgs, ScanArgs};
use crate::commands::author::Common;
use crate::discover::{DiscoverOptions, ReadLimits};
use crate::manifest::yaml::ParseLimits;
use crate::plan::PlanSettings;
use crate::report::Format;
use crate::trigger::eval::EvalSettings;

/// Everything a scanning command needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The pipeline's settings.
    pub plan: PlanSettings,
    /// Output format.
    pub format: Format,
    /// Colour choice for stdout and stderr.
    pub color: anstream::ColorChoice,
    /// `check` fails when a build would start.
    pub fail_on_build: bool,
}

impl Settings {
    /// Resolve `args`, with `default_format` when `--format` is absent.
    pub fn resolve(args: &ScanArgs, default_format: Format) -> Settings {
        Settings {
            plan: PlanSettings {
                discover: DiscoverOptions {
                    paths: args.paths.clone(),
                    snapshots: args.snapshots.clone(),
                    exclude: args.exclude.clone(),
                },
                namespace: args.namespace.clone().filter(|n| !n.is_empty()),
                eval: EvalSettings {
                    internal_registry: args.internal_registry.clone(),
                    include_manual: args.include_manual,
                    no_local_lookup: args.no_local_lookup,
                    max_annotation_size: args.max_annotation_size,
                },
                read: read_limits(&args.limits),
            },
            format: match args.format {
                None => default_format,
                Some(FormatArg::Text) => Format::Text,
                Some(FormatArg::Diff) => Format::Diff,
                Some(FormatArg::Json) => Format::Json,
                Some(FormatArg::Github) => Format::Github,
                Some(FormatArg::Sarif) => Format::Sarif,
            },
            color: color(args.color),
            fail_on_build: false,
        }
    }
}

/// The colour choice for `--color`.
pub fn color(c: ColorArg) -> anstream::ColorChoice {
    match c {
        ColorArg::Auto => anstream::ColorChoice::Auto,
        ColorArg::Always => anstream::ColorChoice::Always,
        ColorArg::Never => anstream::ColorChoice::Never,
    }
}

/// Resolve the options the authoring verbs share.
pub fn common(args: &AuthorArgs) -> Common {
    Common {
        files: args.files.clone(),
        namespace: args.namespace.clone().filter(|n| !n.is_empty()),
        dry_run: args.dry_run,
        color: color(args.color),
        limits: read_limits(&args.limits),
    }
}

/// The read and parse limits `--max-*` ask for.
pub fn read_limits(args: &LimitArgs) -> ReadLimits {
    ReadLimits {
        max_file_size: args.max_file_size,
        parse: ParseLimits {
            max_documents: args.max_documents,
            max_depth: usize::from(args.max_depth),
            max_alias_nodes: args.max_alias_nodes,
        },
    }
}
