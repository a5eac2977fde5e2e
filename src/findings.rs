//! `Findings`: every diagnostic of a run, in the order the reports print them
//! (sorted by `Diagnostic::sort_key`, ties in the order they were found, each
//! once), gathered as the run goes and kept in a `Spool` rather than in memory.
//!
//! `Collector` takes the diagnostics found before any file is evaluated
//! (discovery and the first pass, kept in memory: few) and then each chunk of
//! evaluated files' diagnostics. Chunks come in path order and a diagnostic of
//! the second pass names the file it is about, so the chunks' diagnostics come
//! sorted: each is merged with the early ones and written out at once. Should a
//! chunk ever come out of order, everything is read back and sorted at the end,
//! in memory, as before; the result is the same either way.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use crate::diag::{Code, Diagnostic, Severity};
use crate::spool::{self, Spool};

/// Every diagnostic of a run, sorted, each once.
#[derive(Debug)]
pub struct Findings {
    store: Store,
    len: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Debug)]
enum Store {
    Memory(Vec<Diagnostic>),
    Spool(Spool),
}

impl Findings {
    /// Sort and deduplicate diagnostics held in memory.
    pub fn from_vec(mut diagnostics: Vec<Diagnostic>) -> Findings {
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        diagnostics.dedup();
        Findings::in_order(diagnostics)
    }

    /// Diagnostics held in memory, taken in the order given (a plan's, already
    /// sorted).
    pub fn in_order(diagnostics: Vec<Diagnostic>) -> Findings {
        let mut counts = Counts::default();
        diagnostics.iter().for_each(|d| counts.add(d));
        Findings {
            store: Store::Memory(diagnostics),
            len: counts.len,
            errors: counts.errors,
            warnings: counts.warnings,
        }
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many are errors.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// How many are warnings.
    pub fn warnings(&self) -> usize {
        self.warnings
    }

    /// Every diagnostic, in order, from the first (each time).
    pub fn iter(&mut self) -> io::Result<Iter<'_>> {
        Ok(match &mut self.store {
            Store::Memory(v) => Iter::Memory(v.iter()),
            Store::Spool(s) => Iter::Spool {
                reader: s.reader()?,
                left: self.len,
            },
        })
    }

    /// Every diagnostic, in order, in memory.
    pub fn into_vec(mut self) -> io::Result<Vec<Diagnostic>> {
        match self.store {
            Store::Memory(v) => Ok(v),
            Store::Spool(_) => self.iter()?.collect(),
        }
    }
}

/// The diagnostics of `Findings::iter`.
pub enum Iter<'f> {
    /// Held in memory.
    Memory(std::slice::Iter<'f, Diagnostic>),
    /// Read back from the spool.
    Spool {
        /// The records.
        reader: spool::Reader<'f>,
        /// How many are left to read.
        left: usize,
    },
}

impl Iterator for Iter<'_> {
    type Item = io::Result<Diagnostic>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Memory(it) => it.next().cloned().map(Ok),
            Iter::Spool { reader, left } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                Some(decode(reader).map(|(_, d)| d))
            }
        }
    }
}

#[derive(Default)]
struct Counts {
    len: usize,
    errors: usize,
    warnings: usize,
}

impl Counts {
    fn add(&mut self, d: &Diagnostic) {
        self.len += 1;
        match d.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Info => {}
        }
    }
}

/// Builds `Findings` as a run goes: see the module's documentation.
pub struct Collector {
    /// Diagnostics found before the second pass, with their sequence numbers,
    /// sorted; taken from the front as the chunks pass them.
    early: VecDeque<(u64, Diagnostic)>,
    /// The sequence number of the next diagnostic (the order it was found in).
    next: u64,
    /// The last diagnostic written.
    last: Option<Diagnostic>,
    spool: Spool,
    counts: Counts,
    /// Records not yet written to the spool.
    buf: Vec<u8>,
    /// Once a chunk came out of order: every diagnostic, to sort at the end.
    unsorted: Option<Vec<(u64, Diagnostic)>>,
}

impl Collector {
    /// Start from the diagnostics found before any file is evaluated.
    pub fn new(early: Vec<Diagnostic>) -> Collector {
        let mut early: Vec<(u64, Diagnostic)> = (0..).zip(early).collect();
        early.sort_by(|a, b| a.1.sort_key().cmp(&b.1.sort_key()));
        Collector {
            next: early.len() as u64,
            early: early.into(),
            last: None,
            spool: Spool::new(),
            counts: Counts::default(),
            buf: Vec::new(),
            unsorted: None,
        }
    }

    /// The diagnostics of the next chunk of files (in any order within it).
    pub fn chunk(&mut self, chunk: Vec<Diagnostic>) -> io::Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        let mut chunk: Vec<(u64, Diagnostic)> = (self.next..).zip(chunk).collect();
        self.next += chunk.len() as u64;
        chunk.sort_by(|a, b| a.1.sort_key().cmp(&b.1.sort_key()));
        if self.unsorted.is_none()
            && let (Some((_, first)), Some(last)) = (chunk.first(), &self.last)
            && first.sort_key() < last.sort_key()
        {
            self.read_back()?;
        }
        if let Some(all) = &mut self.unsorted {
            all.append(&mut chunk);
            return Ok(());
        }
        for (seq, d) in chunk {
            while self
                .early
                .front()
                .is_some_and(|(_, e)| e.sort_key() <= d.sort_key())
            {
                if let Some(e) = self.early.pop_front() {
                    self.emit(e);
                }
            }
            self.emit((seq, d));
        }
        self.spool.write(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Every diagnostic, sorted.
    pub fn finish(mut self) -> io::Result<Findings> {
        if let Some(mut all) = self.unsorted.take() {
            all.extend(self.early);
            all.sort_by(|a, b| (a.1.sort_key(), a.0).cmp(&(b.1.sort_key(), b.0)));
            let mut v: Vec<Diagnostic> = all.into_iter().map(|(_, d)| d).collect();
            v.dedup();
            return Ok(Findings::in_order(v));
        }
        while let Some(e) = self.early.pop_front() {
            self.emit(e);
        }
        self.spool.write(&self.buf)?;
        Ok(Findings {
            store: Store::Spool(self.spool),
            len: self.counts.len,
            errors: self.counts.errors,
            warnings: self.counts.warnings,
        })
    }

    /// Write one diagnostic, unless it repeats the last.
    fn emit(&mut self, (seq, d): (u64, Diagnostic)) {
        if self.last.as_ref() == Some(&d) {
            return;
        }
        self.counts.add(&d);
        encode(&mut self.buf, seq, &d);
        self.last = Some(d);
    }

    /// Read back everything written, to sort it all at the end.
    fn read_back(&mut self) -> io::Result<()> {
        self.spool.write(&self.buf)?;
        self.buf.clear();
        let mut all = Vec::with_capacity(self.counts.len + self.early.len());
        let mut reader = self.spool.reader()?;
        for _ in 0..self.counts.len {
            all.push(decode(&mut reader)?);
        }
        drop(reader);
        all.extend(self.early.drain(..));
        self.unsorted = Some(all);
        self.spool = Spool::new();
        self.counts = Counts::default();
        self.last = None;
        Ok(())
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// One record: the sequence number, then the fields.
fn encode(buf: &mut Vec<u8>, seq: u64, d: &Diagnostic) {
    buf.extend_from_slice(&seq.to_le_bytes());
    let code = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    buf.push(code as u8);
    buf.push(match d.severity {
        Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Error => 2,
    });
    buf.extend_from_slice(&(d.line as u64).to_le_bytes());
    buf.extend_from_slice(&(d.column as u64).to_le_bytes());
    put_str(buf, &d.file);
    match &d.object {
        Some(o) => {
            buf.push(1);
            put_str(buf, o);
        }
        None => buf.push(0),
    }
    put_str(buf, &d.message);
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a spooled diagnostic is damaged ({what})"),
    )
}

fn get_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn get_u8(r: &mut impl Read) -> io::Result<u8> {
    let mut b = [0; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn get_usize(r: &mut impl Read) -> io::Result<usize> {
    usize::try_from(get_u64(r)?).map_err(|_| invalid("a number"))
}

fn get_str(r: &mut impl BufRead) -> io::Result<String> {
    let len = get_u64(r)?;
    let mut bytes = Vec::new();
    r.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(invalid("cut short"));
    }
    String::from_utf8(bytes).map_err(|_| invalid("not UTF-8"))
}

fn decode(r: &mut impl BufRead) -> io::Result<(u64, Diagnostic)> {
    let seq = get_u64(r)?;
    let code = *Code::ALL
        .get(usize::from(get_u8(r)?))
        .ok_or_else(|| invalid("a code"))?;
    let severity = match get_u8(r)? {
        0 => Severity::Info,
        1 => Severity::Warning,
        2 => Severity::Error,
        _ => return Err(invalid("a severity")),
    };
    let line = get_usize(r)?;
    let column = get_usize(r)?;
    let file = get_str(r)?;
    let object = match get_u8(r)? {
        0 => None,
        1 => Some(get_str(r)?),
        _ => return Err(invalid("an object")),
    };
    let message = get_str(r)?;
    Ok((
        seq,
        Diagnostic {
            code,
            severity,
            file,
            line,
            column,
            object,
            message,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*, for a fixed sequence of cases.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        }
    }

    fn diagnostic(rng: &mut Rng, file: u64) -> Diagnostic {
        let code = Code::ALL[rng.below(4) as usize];
        let mut d = Diagnostic::new(
            code,
            &format!("f{file:02}.yaml"),
            (rng.below(3) as usize, rng.below(2) as usize),
            format!("m{}", rng.below(2)),
        );
        if rng.below(3) == 0 {
            d.object = Some(format!("o{}", rng.below(2)));
        }
        if rng.below(5) == 0 {
            d.severity = Severity::Info;
        }
        d
    }

    /// Returns whether the chunks were merged as they came (not read back).
    fn check(early: Vec<Diagnostic>, chunks: Vec<Vec<Diagnostic>>) -> bool {
        let all: Vec<Diagnostic> = early
            .iter()
            .chain(chunks.iter().flatten())
            .cloned()
            .collect();
        let want = Findings::from_vec(all);
        let mut c = Collector::new(early);
        for chunk in chunks {
            c.chunk(chunk).unwrap();
        }
        let got = c.finish().unwrap();
        assert_eq!(
            (got.len(), got.errors(), got.warnings()),
            (want.len(), want.errors(), want.warnings())
        );
        let merged = matches!(got.store, Store::Spool(_));
        assert_eq!(got.into_vec().unwrap(), want.into_vec().unwrap());
        merged
    }

    /// The same diagnostics, in the same order, as sorting them all at the
    /// end: chunks in file order, early diagnostics anywhere, repeats and
    /// ties (same position, another object or severity) included.
    #[test]
    fn chunks_in_path_order_sort_as_a_whole() {
        let mut rng = Rng(0x5eed);
        for _ in 0..300 {
            let files = 1 + rng.below(12);
            let early = (0..rng.below(6))
                .map(|_| {
                    let f = rng.below(files);
                    diagnostic(&mut rng, f)
                })
                .collect();
            let mut chunks = Vec::new();
            let mut file = 0;
            while file < files {
                let n = 1 + rng.below(3);
                let mut chunk = Vec::new();
                for f in file..(file + n).min(files) {
                    for _ in 0..rng.below(4) {
                        chunk.push(diagnostic(&mut rng, f));
                    }
                }
                file += n;
                chunks.push(chunk);
            }
            assert!(check(early, chunks), "merged as the chunks came");
        }
    }

    /// A chunk out of path order is sorted with everything else at the end.
    #[test]
    fn chunks_out_of_order_still_sort() {
        let mut rng = Rng(0xfeed);
        let mut read_back = 0;
        for _ in 0..300 {
            let early = (0..rng.below(4))
                .map(|_| {
                    let f = rng.below(6);
                    diagnostic(&mut rng, f)
                })
                .collect();
            let chunks = (0..1 + rng.below(5))
                .map(|_| {
                    (0..rng.below(4))
                        .map(|_| {
                            let f = rng.below(6);
                            diagnostic(&mut rng, f)
                        })
                        .collect()
                })
                .collect();
            read_back += usize::from(!check(early, chunks));
        }
        assert!(read_back > 50, "{read_back}");
    }

    /// Every field survives the spool, on disk too.
    #[test]
    fn records_read_back_whole() {
        let mut c = Collector::new(Vec::new());
        let mut want = Vec::new();
        for i in 0..20_000usize {
            let mut d = Diagnostic::new(
                Code::ALL[i % Code::ALL.len()],
                &format!("dir/ä-{i:05}.yaml"),
                (i, usize::MAX - i),
                format!("message {i}\nwith a second line ✓"),
            );
            d.object = (i % 2 == 0).then(|| format!("Deployment ns/{i}"));
            want.push(d);
        }
        for chunk in want.chunks(1000) {
            c.chunk(chunk.to_vec()).unwrap();
        }
        let mut got = c.finish().unwrap();
        assert!(matches!(&got.store, Store::Spool(s) if s.len() > spool::MEMORY as u64));
        assert_eq!(got.len(), want.len());
        let back: Vec<Diagnostic> = got.iter().unwrap().collect::<io::Result<_>>().unwrap();
        assert_eq!(back, want);
        // Read twice.
        assert_eq!(got.into_vec().unwrap(), want);
    }
}
