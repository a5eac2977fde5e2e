//! The `streampin` binary: parse arguments, run, map the result to an exit code.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = streampin::cli::Cli::parse();
    match streampin::run(cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(err) => {
            // A closed pipe (`streampin diff | head`) is not an error.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(streampin::ExitStatus::Failure.code())
        }
    }
}
