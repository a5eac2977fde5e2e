//! `SourceFile`: one file read once, as text, with a line index.
//!
//! Knows byte offsets, lines and columns, the BOM and line endings; knows nothing
//! about Kubernetes. Reading from disk happens in `discover`, not here.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many positions a file answers by counting lines before it builds its
/// line index: a file is usually asked about a few positions (its triggers and
/// images), which counting answers for less than building the index costs.
const COUNTED_QUERIES: usize = 8;

/// Larger files build the index at once: counting from the start for each
/// position would cost more than the index (a snapshot is often a large list
/// asked about every stream in it).
const COUNTED_MAX_LEN: usize = 16 * 1024;

/// A file's text and where it came from.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to the user (relative to the current directory when possible).
    pub display: String,
    /// Path used to read and write.
    pub path: PathBuf,
    /// The whole text, BOM included (offsets are into this string).
    pub text: String,
    /// Byte offset of the start of each line, built when a line is first
    /// asked for: most files read are never reported on (a file without
    /// triggers, a first-pass read), and building it costs a pass over the text.
    line_starts: OnceLock<Vec<usize>>,
    /// Positions answered so far without the index.
    counted: AtomicUsize,
}

impl Clone for SourceFile {
    fn clone(&self) -> SourceFile {
        SourceFile {
            display: self.display.clone(),
            path: self.path.clone(),
            text: self.text.clone(),
            line_starts: self.line_starts.clone(),
            counted: AtomicUsize::new(self.counted.load(Ordering::Relaxed)),
        }
    }
}

impl SourceFile {
    /// Wrap text read from `path`.
    pub fn new(display: String, path: PathBuf, text: String) -> SourceFile {
        SourceFile {
            display,
            path,
            text,
            line_starts: OnceLock::new(),
            counted: AtomicUsize::new(0),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| line_starts(&self.text))
    }

    /// Whether the text starts with a UTF-8 byte order mark.
    pub fn has_bom(&self) -> bool {
        self.text.starts_with('\u{feff}')
    }

    /// 1-based line and column of a byte offset. The column counts characters
    /// (not bytes) from the start of the line; a BOM is not counted.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        if self.line_starts.get().is_none()
            && self.text.len() <= COUNTED_MAX_LEN
            && self.counted.fetch_add(1, Ordering::Relaxed) < COUNTED_QUERIES
        {
            return line_col_counted(&self.text, offset);
        }
        line_col_in(&self.text, self.line_starts(), offset)
    }

    /// The text of the 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let start = starts.get(line - 1).copied().unwrap_or(self.text.len());
        let end = starts.get(line).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// The byte offset of the start of each line of `text`.
fn line_starts(text: &str) -> Vec<usize> {
    // Sized for lines of about 32 bytes, which saves most regrowth.
    let mut starts = Vec::with_capacity(text.len() / 32 + 2);
    starts.push(0);
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    starts
}

/// Line and column of `offset` in `text`, given its line starts.
fn line_col_in(text: &str, line_starts: &[usize], offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let line = line_starts.partition_point(|&s| s <= offset);
    (line, column(text, line_starts[line - 1], offset))
}

/// Line and column of `offset` in `text`, by counting the newlines before it
/// (the same answer as `line_col_in`).
fn line_col_counted(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, column(text, start, offset))
}

/// The 1-based column of `offset` on the line starting at `start`.
fn column(text: &str, start: usize, offset: usize) -> usize {
    let mut prefix = text.get(start..offset).unwrap_or("");
    if start == 0 {
        prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
    }
    prefix.chars().count() + 1
}

/// Line and column of `offset` in a text without a prepared index.
pub fn line_col_of(text: &str, offset: usize) -> (usize, usize) {
    line_col_counted(text, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_skip_the_bom() {
        let f = SourceFile::new("f".into(), "f".into(), "\u{feff}ab\r\nü日x\n".into());
        assert_eq!(f.line_col(3), (1, 1));
        let x = f.text.find('x').unwrap();
        assert_eq!(f.line_col(x), (2, 3));
        assert_eq!(f.line_text(1), "\u{feff}ab");
    }

    #[test]
    fn counting_and_the_index_agree_everywhere() {
        for text in [
            "",
            "\n",
            "a",
            "\u{feff}",
            "\u{feff}\n",
            "\u{feff}ab\r\nü日x\n",
            "a: 1\nb:\n  - c\n\n\n  - 日本\r\n# é\nlast",
        ] {
            let starts = line_starts(text);
            // Past the end too, and offsets inside a character.
            for offset in 0..text.len() + 3 {
                assert_eq!(
                    line_col_counted(text, offset),
                    line_col_in(text, &starts, offset),
                    "{text:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn a_file_asked_often_builds_its_index_and_answers_the_same() {
        let text: String = (0..50).map(|i| format!("k{i}: é{i}\n")).collect();
        let f = SourceFile::new("f".into(), "f".into(), text.clone());
        let starts = line_starts(&text);
        for offset in (0..text.len()).step_by(7) {
            assert_eq!(f.line_col(offset), line_col_in(&text, &starts, offset));
        }
        assert!(f.line_starts.get().is_some());
        assert_eq!(f.line_text(3), "k2: é2");
    }
}
