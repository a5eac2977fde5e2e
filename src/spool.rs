//! `Spool`: bytes a run writes now and reads back at its end, kept in memory up
//! to `MEMORY` bytes and beyond that in an unnamed temporary file (removed when
//! closed, also when the process dies), so that what a run holds until its end
//! does not grow its memory with the number of files.
//!
//! Used for the diagnostics (`findings`), and for the parts of a report that
//! sort after something known only at the end (`report`).

use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};

use tempfile::SpooledTempFile;

/// Bytes kept in memory before a spool moves to a temporary file.
pub const MEMORY: usize = 1 << 20;

/// What `Spool::reader` returns.
pub type Reader<'s> = BufReader<io::Take<&'s mut SpooledTempFile>>;

/// Bytes written now, read back later.
pub struct Spool {
    file: SpooledTempFile,
    len: u64,
}

impl Default for Spool {
    fn default() -> Self {
        Spool::new()
    }
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("len", &self.len)
            .field("on_disk", &self.file.is_rolled())
            .finish()
    }
}

impl Spool {
    /// An empty spool.
    pub fn new() -> Spool {
        Spool {
            file: SpooledTempFile::new(MEMORY),
            len: 0,
        }
    }

    /// Append bytes (write a piece at a time, not a byte at a time: once on
    /// disk, each call is a system call).
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.file.seek(SeekFrom::Start(self.len))?;
        self.file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// How many bytes were written.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Read everything from the start.
    pub fn reader(&mut self) -> io::Result<Reader<'_>> {
        self.file.seek(SeekFrom::Start(0))?;
        Ok(BufReader::with_capacity(
            1 << 16,
            (&mut self.file).take(self.len),
        ))
    }

    /// Copy everything written to `out`.
    pub fn copy_to(&mut self, out: &mut impl Write) -> io::Result<()> {
        io::copy(&mut self.reader()?, out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_is_read_back_also_from_disk() {
        let mut s = Spool::new();
        assert!(s.is_empty());
        let piece: Vec<u8> = (0..=255u8).cycle().take(MEMORY / 3 + 7).collect();
        for _ in 0..4 {
            s.write(&piece).unwrap();
        }
        assert!(s.file.is_rolled(), "over MEMORY: on disk");
        let mut back = Vec::new();
        s.copy_to(&mut back).unwrap();
        assert_eq!(back.len() as u64, s.len());
        assert!(back.chunks(piece.len()).all(|c| c == piece));
        // Read twice, and written after a read.
        s.write(b"end").unwrap();
        let mut again = Vec::new();
        s.reader().unwrap().read_to_end(&mut again).unwrap();
        assert_eq!(&again[..back.len()], &back[..]);
        assert!(again.ends_with(b"end"));
    }
}
