//! Output: the only module that writes to stdout and stderr. One file per format;
//! each renders a `Plan` and never decides anything or re-reads files.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod diff;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{self, Write};

/// Output formats (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// A unified diff.
    Diff,
    /// The versioned JSON report.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// A SARIF 2.1.0 log.
    Sarif,
}

/// Where and how to print.
pub struct Printer {
    /// Standard output (colour stripped when not wanted).
    pub out: anstream::AutoStream<io::Stdout>,
    /// Standard error (colour stripped when not wanted).
    pub err: anstream::AutoStream<io::Stderr>,
    /// Whether colour codes are wanted on stdout.
    pub color: bool,
}

impl Printer {
    /// A printer honouring `--color` (`None` = auto: a terminal, no `NO_COLOR`).
    pub fn new(choice: anstream::ColorChoice) -> Printer {
        let out = anstream::AutoStream::new(io::stdout(), choice);
        let color = out.current_choice() != anstream::ColorChoice::Never;
        Printer {
            out,
            err: anstream::AutoStream::new(io::stderr(), choice),
            color,
        }
    }

    /// Write text to stdout.
    pub fn print(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())
    }

    /// Write text to stderr.
    pub fn eprint(&mut self, s: &str) -> io::Result<()> {
        self.err.write_all(s.as_bytes())
    }

    /// Flush both streams.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }
}
