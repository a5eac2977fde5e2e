//! streampin evaluates OpenShift image triggers offline and pins the images they
//! name in a GitOps tree, changing nothing but the image scalars.
//!
//! The pipeline is a chain of plain data handoffs:
//! `discover → SourceFile → manifest (span tree) → trigger::eval → Plan → report`.
//! Only `discover` (reading) and `commands::apply` (writing, also for the
//! authoring verbs through `commands::author`) do I/O, besides the `spool` that
//! keeps what a run holds until its end (its diagnostics, parts of a report) in
//! a temporary file once it outgrows memory; `commands::tag` reads the clock;
//! everything in between is pure. The authoring verbs (`author`) turn
//! wanted object values into verified edits through `manifest::patch`.
//!
//! # Limitations
//!
//! - An image field that is an alias (`*img`), carries an anchor, or is a block
//!   scalar of more than one line is reported and never edited.
//! - The annotation decoder follows Go's `encoding/json`, except that a JSON
//!   string holding a lone UTF-16 surrogate escape is rejected (Go substitutes
//!   U+FFFD), and unknown values nested deeper than 128 levels are rejected.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod author;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod discover;
pub mod edit;
pub mod fieldpath;
pub mod findings;
pub mod image_ref;
pub mod imagestream;
pub mod manifest;
pub mod plan;
pub mod prefilter;
pub mod registry;
pub mod report;
pub mod settings;
pub mod source;
pub mod spool;
pub mod trigger;

pub use manifest::write;

use cli::{Cli, Command};
use report::Format;
use settings::Settings;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to report.
    Success,
    /// Something would change, or an error finding.
    Findings,
    /// streampin could not do its job.
    Failure,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Failure => 2,
        }
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Diff(a) => {
            commands::diff::run(&Settings::resolve(&a.scan, Format::Diff), a.exit_code)
        }
        Command::Apply(a) => commands::apply::run(&Settings::resolve(&a, Format::Text)),
        Command::Check(a) => {
            let mut settings = Settings::resolve(&a.scan, Format::Text);
            settings.fail_on_build = a.fail_on_build;
            commands::check::run(&settings)
        }
        Command::Triggers(a) => commands::triggers::run(&Settings::resolve(&a, Format::Text)),
        Command::SetTriggers(a) => {
            let flags = author::triggers::Flags {
                from_image: a.from_image.clone(),
                containers: a.containers.clone(),
                auto: a.auto,
                manual: a.manual,
                remove: a.remove,
                remove_all: a.remove_all,
                from_config: a.from_config,
            };
            commands::set_triggers::run(&a.resources, &flags, &settings::common(&a.common))
        }
        Command::SetImageLookup(a) => commands::set_image_lookup::run(
            &a.names,
            a.enabled,
            a.list,
            &settings::common(&a.common),
        ),
        Command::Import(a) => commands::import::run(&commands::import::Options {
            args: a.args,
            files: a.files,
            namespace: a.namespace.filter(|n| !n.is_empty()),
            scheduled_only: a.scheduled_only,
            from: a.from,
            confirm: a.confirm,
            all: a.all,
            scheduled: a.scheduled,
            reference_policy: match a.reference_policy {
                cli::ReferencePolicyArg::Source => "Source".into(),
                cli::ReferencePolicyArg::Local => "Local".into(),
            },
            import_mode: a.import_mode.map(|m| {
                match m {
                    cli::ImportModeArg::Legacy => "Legacy",
                    cli::ImportModeArg::PreserveOriginal => "PreserveOriginal",
                }
                .to_string()
            }),
            platform: a.platform,
            insecure: a.insecure,
            jobs: a.jobs,
            timeout: a.timeout,
            retries: a.retries,
            dry_run: a.dry_run,
            json: a.format == cli::ImportFormatArg::Json,
            color: settings::color(a.color),
            limits: settings::read_limits(&a.limits),
        }),
        Command::Tag(a) => {
            let flags = author::tag::Flags {
                alias: a.alias,
                source: a.source.map(|s| match s {
                    cli::SourceKindArg::ImageStreamTag => author::tag::SourceKind::ImageStreamTag,
                    cli::SourceKindArg::ImageStreamImage => {
                        author::tag::SourceKind::ImageStreamImage
                    }
                    cli::SourceKindArg::Docker => author::tag::SourceKind::DockerImage,
                }),
                reference: a.reference,
                reference_policy: match a.reference_policy {
                    cli::ReferencePolicyArg::Source => "Source".into(),
                    cli::ReferencePolicyArg::Local => "Local".into(),
                },
                scheduled: a.scheduled,
                insecure: a.insecure,
                import_mode: a.import_mode.map(|m| {
                    match m {
                        cli::ImportModeArg::Legacy => "Legacy",
                        cli::ImportModeArg::PreserveOriginal => "PreserveOriginal",
                    }
                    .to_string()
                }),
                delete: a.delete,
            };
            commands::tag::run(&a.args, &flags, &settings::common(&a.common))
        }
    }
}
