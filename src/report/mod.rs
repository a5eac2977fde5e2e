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

    /// Write text to stdout. Without colour, escape sequences are stripped;
    /// text that holds nothing but printable ASCII, newlines and tabs has none,
    /// so it skips the stripping (which reads every byte through a state
    /// machine) and goes to the same stdout directly.
    pub fn print(&mut self, s: &str) -> io::Result<()> {
        if !self.color && plain_text(s.as_bytes()) {
            io::stdout().write_all(s.as_bytes())
        } else {
            self.out.write_all(s.as_bytes())
        }
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

/// Whether `b` is printable ASCII, newlines and tabs only: nothing a terminal
/// reads as a control sequence.
fn plain_text(b: &[u8]) -> bool {
    b.iter().fold(true, |all, &c| {
        all & ((0x20..0x7f).contains(&c) || c == b'\n' || c == b'\t')
    })
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn only_plain_ascii_skips_the_stripping() {
        assert!(plain_text(b"a.yaml:3:7: stale\tx\n"));
        for odd in [
            "\u{1b}[31m",
            "\r",
            "\u{7}",
            "\u{7f}",
            "\u{9b}31m",
            "caf\u{e9}",
        ] {
            assert!(!plain_text(format!("ok {odd} ok").as_bytes()), "{odd:?}");
        }
    }
}
