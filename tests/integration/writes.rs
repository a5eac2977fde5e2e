//! Interrupted and concurrent writes over a tree of 300 stale Deployments in
//! three directories.
//!
//! - `apply` killed with `SIGKILL` at pseudo-random moments leaves every file
//!   byte-identical to its old or its new text, and the next `apply` finishes
//!   the job and removes the temporary files the killed one left.
//! - Two `apply` runs started at once end like one run: the same tree, the same
//!   exit status, no temporary file.
//!
//! `STREAMPIN_KILL_ROUNDS` sets the number of kills (default 200),
//! `STREAMPIN_KILL_SEED` the seed of the delays (printed), and
//! `STREAMPIN_CONCURRENT_ROUNDS` the rounds of two runs at once (default 20).

#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::support;

const DIRS: &[&str] = &["apps/a", "apps/b", "base"];
const PER_DIR: usize = 100;

const PINNED: &str =
    "quay.io/example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111";

const TRIGGERS: &str = r#"[{"from":{"kind":"ImageStreamTag","name":"app:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"}]"#;

/// A Deployment whose trigger moves `old/web:<n>` to `PINNED`. Each file has its
/// own text, so a file holding another file's bytes would be caught.
fn deployment(name: &str, n: usize) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: ns1
  annotations:
    image.openshift.io/triggers: '{TRIGGERS}'
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: web
        image: old/web:{n}
"#
    )
}

/// The stale tree, by relative path.
fn old_tree() -> BTreeMap<String, Vec<u8>> {
    let mut t = BTreeMap::new();
    t.insert(
        "is.yaml".to_string(),
        std::fs::read(support::root().join("tests/fixtures/torture/plain/in/is.yaml")).unwrap(),
    );
    for (d, dir) in DIRS.iter().enumerate() {
        for i in 0..PER_DIR {
            let n = d * PER_DIR + i;
            let name = format!("web-{n:03}");
            t.insert(
                format!("{dir}/{name}.yaml"),
                deployment(&name, n).into_bytes(),
            );
        }
    }
    t
}

/// Write `tree` under `root` (over what is there; other files stay).
fn write_tree(root: &Path, tree: &BTreeMap<String, Vec<u8>>) {
    for (rel, bytes) in tree {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn streampin_apply(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_streampin"));
    c.current_dir(dir)
        .args(["apply", "."])
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn output_text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A whole `apply` run with its output.
fn apply(dir: &Path) -> Output {
    streampin_apply(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// Whether `name` is one of `apply`'s temporary files.
fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(".streampin-")
        .and_then(|r| r.strip_suffix(".tmp"))
        .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The first difference between two trees, readably.
fn tree_difference(
    got: &BTreeMap<String, Vec<u8>>,
    want: &BTreeMap<String, Vec<u8>>,
) -> Option<String> {
    let got_keys: Vec<&String> = got.keys().collect();
    let want_keys: Vec<&String> = want.keys().collect();
    if got_keys != want_keys {
        let extra: Vec<_> = got_keys
            .iter()
            .filter(|k| !want.contains_key(**k))
            .collect();
        let missing: Vec<_> = want_keys
            .iter()
            .filter(|k| !got.contains_key(**k))
            .collect();
        return Some(format!("extra files {extra:?}, missing files {missing:?}"));
    }
    got.iter()
        .find(|(k, g)| want[*k] != **g)
        .map(|(k, g)| format!("{k} differs:\n{}", String::from_utf8_lossy(g)))
}

/// xorshift64*: a small deterministic generator for the kill delays.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)` microseconds.
    fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let (lo, hi) = (lo.as_micros() as u64, hi.as_micros() as u64);
        Duration::from_micros(lo + self.next() % (hi - lo).max(1))
    }
}

/// A scratch directory, on tmpfs when there is one: killing a process is not
/// a power loss, so what is on disk after a kill does not depend on the file
/// system, and without per-file disk flushes the runs are ten times faster.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(t) = tempfile::Builder::new()
            .prefix("streampin-writes-")
            .tempdir_in(shm)
    {
        return t;
    }
    tempfile::tempdir().unwrap()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        })
        .unwrap_or(default)
}

/// One calibration run on a stale tree: how long `apply` takes, and for how
/// long it writes (from the first file's mtime to the last one's).
fn calibrate(dir: &Path, old: &BTreeMap<String, Vec<u8>>) -> (Duration, Duration) {
    write_tree(dir, old);
    let start = Instant::now();
    let status = streampin_apply(dir).status().unwrap();
    let took = start.elapsed();
    assert_eq!(status.code(), Some(0));
    let mtimes: Vec<SystemTime> = old
        .keys()
        .filter(|k| k.as_str() != "is.yaml")
        .map(|k| std::fs::metadata(dir.join(k)).unwrap().modified().unwrap())
        .collect();
    let first = mtimes.iter().min().unwrap();
    let last = mtimes.iter().max().unwrap();
    (took, last.duration_since(*first).unwrap_or_default())
}

/// The inode of `path` (a rename over it changes it).
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).unwrap().ino()
}

/// Wait until the file `apply` writes first has been replaced, or `child` has
/// ended; return how long that took.
fn wait_for_first_write(child: &mut Child, first: &Path, before: u64) -> Duration {
    let start = Instant::now();
    while inode(first) == before && child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(60), "apply hangs");
        std::thread::sleep(Duration::from_micros(200));
    }
    start.elapsed()
}

/// The two tests below each run `apply` hundreds of times and measure it; one
/// at a time keeps their timings apart.
static SERIAL: Mutex<()> = Mutex::new(());

/// A full `apply` runs again after every `CLEANUP_EVERY` kills (and after the
/// last): it must leave exactly the new tree and no temporary file. The kills
/// in between start from the old tree again, with the leftovers still there.
const CLEANUP_EVERY: u64 = 4;

/// `apply` killed with SIGKILL at pseudo-random moments: after each kill every
/// file is its old or its new text, and the next full `apply` leaves exactly
/// the new tree and no temporary file. Even rounds kill at a delay spread over
/// a whole run; odd ones wait for the first file to be replaced and kill at a
/// delay spread over the writing, so that rounds end with none, some and all
/// files new.
#[test]
fn apply_killed_at_random_moments_leaves_old_or_new_files_and_the_next_run_cleans_up() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let rounds = env_number("STREAMPIN_KILL_ROUNDS", 200);
    let seed = env_number("STREAMPIN_KILL_SEED", 0x005E_ED0F_57AE_A91A).max(1);
    let began = Instant::now();

    let old = old_tree();
    let tmp = scratch();
    let dir = tmp.path();
    // The new tree, from one whole run.
    write_tree(dir, &old);
    let first = apply(dir);
    assert_eq!(first.status.code(), Some(0), "{}", output_text(&first));
    let new = support::read_tree(dir);
    let stale: Vec<&String> = old.keys().filter(|k| old[*k] != new[*k]).collect();
    assert_eq!(
        stale.len(),
        DIRS.len() * PER_DIR,
        "every Deployment is stale"
    );
    assert!(
        String::from_utf8_lossy(&new["base/web-299.yaml"]).contains(PINNED),
        "not pinned"
    );
    // `apply` writes in path order.
    let first_written = dir.join(stale[0]);

    // Medians of three runs on a stale tree.
    let cal: Vec<_> = (0..3).map(|_| calibrate(dir, &old)).collect();
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[1]
    };
    let took = median(cal.iter().map(|c| c.0).collect());
    let writing = median(cal.iter().map(|c| c.1).collect()).max(Duration::from_millis(1));
    eprintln!(
        "kill test: seed {seed:#x}, {rounds} rounds, {} files in {}; apply takes {took:?}, \
         of which writing {writing:?}",
        stale.len(),
        dir.display()
    );

    let mut rng = XorShift(seed);
    // Rounds by how many files were new: none, some, all.
    let (mut none, mut some, mut all) = (0u64, 0u64, 0u64);
    // Rounds with some files new, by tenths of the files written.
    let mut tenths = [0u64; 10];
    let mut finished_before_kill = 0u64;
    // Temporary files present now; how many kills left one; how many a later
    // killed run removed; how many a full run removed.
    let mut present = BTreeSet::new();
    let (mut left, mut swept_by_killed, mut swept_by_full) = (0usize, 0usize, 0usize);
    for round in 0..rounds {
        write_tree(dir, &old);
        let before = inode(&first_written);
        let mut child = streampin_apply(dir).spawn().unwrap();
        let delay = if round % 2 == 0 {
            let d = rng.between(Duration::ZERO, took + took / 10);
            std::thread::sleep(d);
            d
        } else {
            let d = rng.between(Duration::ZERO, writing);
            let waited = wait_for_first_write(&mut child, &first_written, before);
            std::thread::sleep(d);
            waited + d
        };
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if status.success() {
            finished_before_kill += 1;
        }

        // Every file old or new, byte for byte; nothing else but temporary files.
        let now = support::read_tree(dir);
        let mut new_files = 0;
        let mut temps = BTreeSet::new();
        for (rel, bytes) in &now {
            if let Some(o) = old.get(rel) {
                let n = &new[rel];
                assert!(
                    bytes == o || bytes == n,
                    "round {round} (kill after {delay:?}): {rel} is neither old nor new:\n{}",
                    String::from_utf8_lossy(bytes)
                );
                if bytes != o {
                    new_files += 1;
                }
            } else {
                let name = rel.rsplit('/').next().unwrap();
                assert!(is_temp_name(name), "round {round}: unexpected file {rel}");
                temps.insert(rel.clone());
            }
        }
        assert_eq!(
            now.len() - temps.len(),
            old.len(),
            "round {round}: a file is missing"
        );
        match new_files {
            0 => none += 1,
            n if n == stale.len() => all += 1,
            n => {
                some += 1;
                tenths[n * 10 / stale.len()] += 1;
            }
        }
        let added = temps.difference(&present).count();
        assert!(
            added <= 1,
            "round {round}: one run left {added} temporary files"
        );
        left += added;
        swept_by_killed += present.difference(&temps).count();
        present = temps;

        // The next run finishes the job and removes what the killed ones left.
        if (round + 1) % CLEANUP_EVERY == 0 || round + 1 == rounds {
            swept_by_full += std::mem::take(&mut present).len();
            let again = apply(dir);
            assert_eq!(
                again.status.code(),
                Some(0),
                "round {round}: {}",
                output_text(&again)
            );
            if let Some(d) = tree_difference(&support::read_tree(dir), &new) {
                panic!("round {round} (kill after {delay:?}): after the next apply, {d}");
            }
        }
    }

    eprintln!(
        "kill test: rounds ending with no file new {none}, some {some}, all {all} \
         ({finished_before_kill} finished before the kill); rounds with some new, by tenths \
         written: {tenths:?}; {left} kills left a temporary file, {swept_by_killed} of them \
         removed by a later killed run, {swept_by_full} by a full run; {:?}",
        began.elapsed()
    );
    if rounds >= 50 {
        assert!(some > 0, "no kill landed while files were being written");
        assert!(none > 0, "no kill landed before the first write");
        assert!(
            swept_by_full > 0,
            "no full run found a temporary file: the clean-up was never exercised"
        );
    }
}

/// Two `apply` runs on the same stale tree at once end like one: the same
/// tree, both with a single run's exit status, no error reported, no temporary
/// file left. Every fourth round starts them at the same moment; the others
/// start the second a quarter, a half or three quarters of a run later.
#[test]
fn two_applies_at_once_end_like_one() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let rounds = env_number("STREAMPIN_CONCURRENT_ROUNDS", 20);
    let began = Instant::now();
    let old = old_tree();
    let tmp = scratch();
    let dir = tmp.path();
    write_tree(dir, &old);
    let start = Instant::now();
    let single = apply(dir);
    let took = start.elapsed();
    let single_code = single.status.code();
    assert_eq!(single_code, Some(0), "{}", output_text(&single));
    let new = support::read_tree(dir);

    for round in 0..rounds {
        write_tree(dir, &old);
        let spawn = || {
            streampin_apply(dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let a = spawn();
        std::thread::sleep(took * (round % 4) as u32 / 4);
        let b = spawn();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for (which, o) in [("first", &a), ("second", &b)] {
            assert_eq!(
                o.status.code(),
                single_code,
                "round {round}, {which} run: {}",
                output_text(o)
            );
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                !stderr.contains("write-failed") && !stderr.contains("not written"),
                "round {round}, {which} run: {}",
                output_text(o)
            );
        }
        if let Some(d) = tree_difference(&support::read_tree(dir), &new) {
            panic!("round {round}: after two runs at once, {d}");
        }
    }
    eprintln!(
        "concurrency test: {rounds} rounds of two applies at once, {} files each, \
         one run taking {took:?}; {:?}",
        DIRS.len() * PER_DIR,
        began.elapsed()
    );
}

/// What a run killed while writing leaves: an unlocked temporary file.
const LEFTOVER: &str = ".streampin-Dead01.tmp";

/// A leftover temporary file is removed by the next run that writes into its
/// directory: `apply` and the authoring verbs (here `set-triggers`). `check`
/// and `diff` never write, so they leave it; a directory nothing is written to
/// keeps its leftover too.
#[test]
fn leftover_temporary_files_are_removed_by_the_next_run_that_writes_there() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut tree = BTreeMap::new();
    tree.insert(
        "is.yaml".to_string(),
        std::fs::read(support::root().join("tests/fixtures/torture/plain/in/is.yaml")).unwrap(),
    );
    tree.insert(
        "apps/web.yaml".to_string(),
        deployment("web", 1).into_bytes(),
    );
    let pinned = deployment("db", 2).replace("old/web:2", PINNED);
    tree.insert("db/db.yaml".to_string(), pinned.into_bytes());
    tree.insert(format!("apps/{LEFTOVER}"), b"image: half".to_vec());
    tree.insert(format!("db/{LEFTOVER}"), b"image: half".to_vec());
    write_tree(dir, &tree);

    for (verb, code) in [("check", 1), ("diff", 0)] {
        let out = support::streampin(dir).args([verb, "."]).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{verb}: {}",
            output_text(&out)
        );
        assert_eq!(support::read_tree(dir), tree, "{verb} changed the tree");
    }

    let out = support::streampin(dir)
        .args(["apply", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let after = support::read_tree(dir);
    assert!(
        !after.contains_key(&format!("apps/{LEFTOVER}")),
        "apply left it"
    );
    assert!(
        after.contains_key(&format!("db/{LEFTOVER}")),
        "apply wrote nothing in db/, yet swept it"
    );

    std::fs::write(dir.join("apps").join(LEFTOVER), "image: half").unwrap();
    let out = support::streampin(dir)
        .args(["set-triggers", "deploy/web", "--manual"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let after = support::read_tree(dir);
    assert_ne!(after["apps/web.yaml"], tree["apps/web.yaml"], "not written");
    assert!(
        !after.contains_key(&format!("apps/{LEFTOVER}")),
        "set-triggers left it"
    );
}
