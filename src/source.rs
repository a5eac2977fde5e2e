//! `SourceFile`: one file read once, as text, with a line index.
//!
//! Knows byte offsets, lines and columns, the BOM and line endings; knows nothing
//! about Kubernetes. Reading from disk happens in `discover`, not here.

use std::path::PathBuf;

/// A file's text and where it came from.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown to the user (relative to the current directory when possible).
    pub display: String,
    /// Path used to read and write.
    pub path: PathBuf,
    /// The whole text, BOM included (offsets are into this string).
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wrap text read from `path`.
    pub fn new(display: String, path: PathBuf, text: String) -> SourceFile {
        // Sized for lines of about 32 bytes, which saves most regrowth.
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 2);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            display,
            path,
            text,
            line_starts,
        }
    }

    /// Whether the text starts with a UTF-8 byte order mark.
    pub fn has_bom(&self) -> bool {
        self.text.starts_with('\u{feff}')
    }

    /// 1-based line and column of a byte offset. The column counts characters
    /// (not bytes) from the start of the line; a BOM is not counted.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col_in(&self.text, &self.line_starts, offset)
    }

    /// The text of the 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self
            .line_starts
            .get(line - 1)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// Line and column of `offset` in `text`, given its line starts.
fn line_col_in(text: &str, line_starts: &[usize], offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let line = line_starts.partition_point(|&s| s <= offset);
    let start = line_starts[line - 1];
    let mut prefix = text.get(start..offset).unwrap_or("");
    if start == 0 {
        prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
    }
    (line, prefix.chars().count() + 1)
}

/// Line and column of `offset` in a text without a prepared index.
pub fn line_col_of(text: &str, offset: usize) -> (usize, usize) {
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    line_col_in(text, &starts, offset)
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
}
