//! The throughput benchmark: streampin against a plain parallel read of the same
//! files, side by side in one run, at 1×, 2× and 4× the tree size.
//!
//! ```text
//! cargo bench --bench throughput                 # N = 20,000 workloads, 5 runs each
//! cargo bench --bench throughput -- --workloads 5000 --runs 3 --scales 1,4
//! cargo bench --bench throughput -- --keep /tmp/tree   # keep the generated trees
//! cargo bench --bench throughput -- --dir /var/tmp      # trees on a disk, not tmpfs
//! ```
//!
//! The trees are generated from a fixed seed, so every run measures the same
//! bytes. Every line runs once per round: one untimed round (warm page cache),
//! then `--runs` timed rounds, each over every tree in turn, so that a machine
//! that drifts moves every size alike; each figure is the median of its runs. streampin runs as a child process with its output sent to
//! /dev/null; its peak RSS comes from `wait4`. The floor is a parallel `read` of
//! every file of the tree, with as many threads as streampin uses. Two more
//! reference lines, in this process, measure what streampin's design cannot do
//! without: every file read twice and parsed once (a current tree) or twice (a
//! stale one: the edited text is parsed again to verify it).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

const NAMESPACES: usize = 20;
const STREAMS: usize = 25;
const TAGS: [&str; 3] = ["1", "1.4", "2"];
const HISTORY: usize = 4;
const REGISTRY: &str = "quay.example.com";

struct Options {
    workloads: usize,
    runs: usize,
    scales: Vec<usize>,
    keep: Option<PathBuf>,
    dir: Option<PathBuf>,
    bin: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        workloads: 20_000,
        runs: 5,
        scales: vec![1, 2, 4],
        keep: None,
        dir: None,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_streampin")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--workloads" => o.workloads = value().parse().expect("--workloads N"),
            "--runs" => o.runs = value().parse().expect("--runs N"),
            "--scales" => {
                o.scales = value()
                    .split(',')
                    .map(|s| s.parse().expect("--scales 1,2,4"))
                    .collect();
            }
            "--keep" => o.keep = Some(PathBuf::from(value())),
            "--dir" => o.dir = Some(PathBuf::from(value())),
            "--bin" => o.bin = PathBuf::from(value()),
            // `cargo bench` passes `--bench`; libtest-style filters are ignored.
            _ => {}
        }
    }
    o
}

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn digest(seed: &str) -> String {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn ns(i: usize) -> String {
    format!("team-{i:02}")
}

fn stream(i: usize) -> String {
    format!("svc-{i:02}")
}

/// One namespace's snapshot: a `kind: List` of ImageStreams as `oc get is -o yaml`
/// writes it, each tag with a history of several events.
fn snapshot(n: usize) -> String {
    let ns = ns(n);
    let mut s = String::from("apiVersion: v1\nitems:\n");
    for i in 0..STREAMS {
        let name = stream(i);
        let lookup = i == 0;
        let _ = write!(
            s,
            "- apiVersion: image.openshift.io/v1
  kind: ImageStream
  metadata:
    annotations:
      openshift.io/image.dockerRepositoryCheck: \"2026-10-02T06:15:40Z\"
    creationTimestamp: \"2025-03-20T10:11:12Z\"
    generation: 3
    name: {name}
    namespace: {ns}
    resourceVersion: \"{rv}\"
    uid: {uid}
  spec:
    lookupPolicy:
      local: {lookup}
    tags:
",
            rv = 61_877_342 + n * 100 + i,
            uid = &digest(&format!("uid {ns} {name}"))[..32],
        );
        for t in TAGS {
            let _ = write!(
                s,
                "    - annotations: null
      from:
        kind: DockerImage
        name: {REGISTRY}/{ns}/{name}:{t}
      generation: 3
      importPolicy:
        importMode: Legacy
        scheduled: true
      name: \"{t}\"
      referencePolicy:
        type: Source
"
            );
        }
        let _ = write!(
            s,
            "  status:
    dockerImageRepository: image-registry.openshift-image-registry.svc:5000/{ns}/{name}
    publicDockerImageRepository: default-route-openshift-image-registry.apps.example.com/{ns}/{name}
    tags:
"
        );
        for t in TAGS {
            s.push_str("    - items:\n");
            for h in 0..HISTORY {
                let d = digest(&format!("{ns}/{name}:{t}#{h}"));
                let _ = write!(
                    s,
                    "      - created: \"2026-{month:02}-02T06:15:40Z\"
        dockerImageReference: {REGISTRY}/{ns}/{name}@sha256:{d}
        generation: 3
        image: sha256:{d}
",
                    month = 10 - h,
                );
            }
            let _ = writeln!(s, "      tag: \"{t}\"");
        }
    }
    s.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    s
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
    Job,
    Pod,
    DeploymentConfig,
}

impl Kind {
    fn pick(rng: &mut Rng) -> Kind {
        match rng.below(20) {
            0..=7 => Kind::Deployment,
            8..=10 => Kind::StatefulSet,
            11 => Kind::DaemonSet,
            12..=13 => Kind::CronJob,
            14 => Kind::Job,
            15 => Kind::Pod,
            _ => Kind::DeploymentConfig,
        }
    }
    fn api(self) -> &'static str {
        match self {
            Kind::CronJob | Kind::Job => "batch/v1",
            Kind::Pod => "v1",
            Kind::DeploymentConfig => "apps.openshift.io/v1",
            _ => "apps/v1",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::CronJob => "CronJob",
            Kind::Job => "Job",
            Kind::Pod => "Pod",
            Kind::DeploymentConfig => "DeploymentConfig",
        }
    }
    /// The pod spec's path, as a fieldPath prefix.
    fn pod_spec(self) -> &'static str {
        match self {
            Kind::CronJob => "spec.jobTemplate.spec.template.spec",
            Kind::Pod => "spec",
            _ => "spec.template.spec",
        }
    }
    /// Indentation of the pod spec's keys.
    fn pod_indent(self) -> usize {
        match self {
            Kind::CronJob => 10,
            Kind::Pod => 2,
            _ => 6,
        }
    }
}

struct Container {
    name: String,
    ns: usize,
    stream: usize,
    tag: &'static str,
    init: bool,
    paused: bool,
}

/// One workload file: the workload, and sometimes a Service and a ConfigMap.
fn workload(i: usize, rng: &mut Rng) -> (String, String) {
    let kind = Kind::pick(rng);
    let home = i % NAMESPACES;
    let name = format!("app-{i:06}");
    let mut containers = Vec::new();
    for c in 0..1 + rng.below(3) {
        containers.push(Container {
            name: format!("c{c}"),
            ns: if rng.chance(5) {
                rng.below(NAMESPACES)
            } else {
                home
            },
            stream: rng.below(STREAMS),
            tag: TAGS[rng.below(TAGS.len())],
            init: false,
            paused: rng.chance(4),
        });
    }
    if rng.chance(25) {
        containers.push(Container {
            name: "init".into(),
            ns: home,
            stream: rng.below(STREAMS),
            tag: TAGS[0],
            init: true,
            paused: false,
        });
    }
    let mut s = String::new();
    let _ = write!(
        s,
        "apiVersion: {api}
kind: {kname}
metadata:
  name: {name}
  namespace: {hns}
  labels:
    app: {name}
    app.kubernetes.io/part-of: {hns}
",
        api = kind.api(),
        kname = kind.name(),
        hns = ns(home),
    );
    if kind != Kind::DeploymentConfig {
        let triggers: Vec<String> = containers
            .iter()
            .map(|c| {
                let list = if c.init {
                    "initContainers"
                } else {
                    "containers"
                };
                let from_ns = if c.ns == home {
                    String::new()
                } else {
                    format!(",\"namespace\":\"{}\"", ns(c.ns))
                };
                let paused = if c.paused { ",\"paused\":true" } else { "" };
                format!(
                    "{{\"from\":{{\"kind\":\"ImageStreamTag\",\"name\":\"{}:{}\"{from_ns}}},\"fieldPath\":\"{}.{list}[?(@.name==\\\"{}\\\")].image\"{paused}}}",
                    stream(c.stream),
                    c.tag,
                    kind.pod_spec(),
                    c.name
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "  annotations:\n    image.openshift.io/triggers: '[{}]'",
            triggers.join(",")
        );
    }
    s.push_str("spec:\n");
    match kind {
        Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet => {
            if kind != Kind::DaemonSet {
                let _ = writeln!(s, "  replicas: {}", 1 + rng.below(3));
            }
            if kind == Kind::StatefulSet {
                let _ = writeln!(s, "  serviceName: {name}");
            }
            let _ = write!(
                s,
                "  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n"
            );
        }
        Kind::DeploymentConfig => {
            s.push_str("  replicas: 1\n  selector:\n    app: ");
            s.push_str(&name);
            s.push_str("\n  triggers:\n  - type: ConfigChange\n");
            for c in containers.iter().filter(|c| !c.init) {
                let _ = write!(
                    s,
                    "  - type: ImageChange
    imageChangeParams:
      automatic: {auto}
      containerNames:
      - {cname}
      from:
        kind: ImageStreamTag
        name: {st}:{tag}
{fromns}",
                    auto = !c.paused,
                    cname = c.name,
                    st = stream(c.stream),
                    tag = c.tag,
                    fromns = if c.ns == home {
                        String::new()
                    } else {
                        format!("        namespace: {}\n", ns(c.ns))
                    },
                );
            }
            let _ = write!(
                s,
                "  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n"
            );
        }
        Kind::CronJob => {
            let _ = write!(
                s,
                "  schedule: \"{} 3 * * *\"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      backoffLimit: 2\n      template:\n        spec:\n          restartPolicy: OnFailure\n",
                rng.below(60)
            );
        }
        Kind::Job => {
            s.push_str("  backoffLimit: 4\n  template:\n    spec:\n      restartPolicy: Never\n");
        }
        Kind::Pod => s.push_str("  restartPolicy: Always\n"),
    }
    let pad = " ".repeat(kind.pod_indent());
    for list in ["initContainers", "containers"] {
        let here: Vec<&Container> = containers
            .iter()
            .filter(|c| c.init == (list == "initContainers"))
            .collect();
        if here.is_empty() {
            continue;
        }
        let _ = writeln!(s, "{pad}{list}:");
        for c in here {
            let _ = write!(
                s,
                "{pad}- name: {cname}
{pad}  image: {REGISTRY}/{cns}/{st}:{tag}
{pad}  imagePullPolicy: IfNotPresent
",
                cname = c.name,
                cns = ns(c.ns),
                st = stream(c.stream),
                tag = c.tag,
            );
            if !c.init {
                let _ = write!(
                    s,
                    "{pad}  ports:
{pad}  - name: http
{pad}    containerPort: {port}
{pad}  env:
{pad}  - name: LOG_LEVEL
{pad}    value: info
{pad}  - name: APP_NAME
{pad}    value: \"{name}\"
{pad}  resources:
{pad}    requests:
{pad}      cpu: {cpu}m
{pad}      memory: {mem}Mi
{pad}    limits:
{pad}      memory: {lim}Mi
",
                    port = 8000 + rng.below(1000),
                    cpu = 50 * (1 + rng.below(10)),
                    mem = 64 * (1 + rng.below(8)),
                    lim = 128 * (1 + rng.below(8)),
                );
            }
        }
    }
    if rng.chance(35) {
        let _ = write!(
            s,
            "---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {hns}
spec:
  selector:
    app: {name}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {hns}
data:
  settings.yaml: |
    feature_flags:
      fast_path: true
    retries: {r}
",
            hns = ns(home),
            r = rng.below(9),
        );
    }
    (format!("apps/{}/{name}.yaml", ns(home)), s)
}

struct Tree {
    root: PathBuf,
    files: Vec<PathBuf>,
    bytes: u64,
}

fn generate(root: &Path, workloads: usize) -> Tree {
    let _ = fs::remove_dir_all(root);
    let mut rng = Rng(0x5eed_0000_0000_0001);
    let mut files = Vec::new();
    let mut bytes = 0;
    let mut put = |rel: &str, text: &str| {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        bytes += text.len() as u64;
        files.push(p);
    };
    for n in 0..NAMESPACES {
        put(&format!("imagestreams/{}.yaml", ns(n)), &snapshot(n));
    }
    for i in 0..workloads {
        let (rel, text) = workload(i, &mut rng);
        put(&rel, &text);
    }
    Tree {
        root: root.to_path_buf(),
        files,
        bytes,
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success(), "cp -a failed");
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Run `work` on every file, on as many threads as streampin uses; each thread
/// starts from its own `init()` (a buffer it reuses).
fn each_file<S>(
    files: &[PathBuf],
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &Path) + Sync,
) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads() {
            s.spawn(|| {
                let mut state = init();
                while let Some(p) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    work(&mut state, p);
                }
            });
        }
    });
}

/// The floor: read every file, in parallel, into a reused buffer.
fn plain_read(files: &[PathBuf]) -> u64 {
    let total = AtomicUsize::new(0);
    each_file(
        files,
        || Vec::with_capacity(1 << 16),
        |buf: &mut Vec<u8>, p| {
            buf.clear();
            let n = fs::File::open(p)
                .and_then(|mut f| f.read_to_end(buf))
                .unwrap();
            total.fetch_add(n, Ordering::Relaxed);
        },
    );
    total.into_inner() as u64
}

/// Read every file, in parallel, and hand its text to `work`.
fn read_and(files: &[PathBuf], work: impl Fn(&str) + Sync) {
    each_file(
        files,
        || String::with_capacity(1 << 16),
        |text: &mut String, p| {
            text.clear();
            fs::File::open(p)
                .and_then(|mut f| f.read_to_string(text))
                .unwrap();
            work(text);
        },
    );
}

/// What streampin's design cannot do without, measured in this process with its
/// own parser: every file read twice (a first pass indexes the snapshots before
/// anything is evaluated, and the texts are not kept between passes, so memory
/// does not grow with the tree), and parsed once, or twice when it changes (the
/// edited text is parsed again to verify it). No evaluation, no output.
fn design_floor(files: &[PathBuf], parses: usize) {
    plain_read(files);
    read_and(files, |text| {
        for _ in 0..parses {
            let docs = streampin::manifest::yaml::parse_with_limits(text, Default::default());
            assert!(docs.is_ok());
        }
    });
}

struct Sample {
    time: Duration,
    rss_kib: u64,
}

impl Sample {
    const ZERO: Sample = Sample {
        time: Duration::ZERO,
        rss_kib: 0,
    };
}

/// Run streampin to completion: wall time and peak RSS. The bench re-runs itself
/// as a middleman (`--measure`) so that `getrusage(RUSAGE_CHILDREN)` sees exactly
/// one child: streampin.
fn run_child(args: &[&str], dir: &Path, bin: &Path, ok: &[i32]) -> Sample {
    let out = Command::new(std::env::current_exe().expect("current exe"))
        .arg("--measure")
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn the measuring middleman");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut f = text
        .split_whitespace()
        .map(|v| v.parse::<i64>().unwrap_or(-1));
    let (nanos, rss, code) = (
        f.next().unwrap_or(-1),
        f.next().unwrap_or(-1),
        f.next().unwrap_or(-1),
    );
    assert!(
        out.status.success() && ok.contains(&(code as i32)),
        "streampin {args:?} in {} exited {code}",
        dir.display()
    );
    Sample {
        time: Duration::from_nanos(nanos as u64),
        rss_kib: rss as u64,
    }
}

/// The middleman: run the command, print `nanos max_rss_kib exit_code`.
fn measure_one(mut args: impl Iterator<Item = String>) {
    let bin = args.next().expect("a binary to measure");
    let start = Instant::now();
    let status = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn streampin");
    let nanos = start.elapsed().as_nanos();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    println!(
        "{nanos} {} {}",
        usage.max_rss(),
        status.code().unwrap_or(-1)
    );
}

fn median(mut v: Vec<Sample>) -> Sample {
    v.sort_by_key(|s| s.time);
    v.swap_remove(v.len() / 2)
}

struct Row {
    name: &'static str,
    sample: Sample,
}

/// One run of every line on one tree (the page cache already warm).
fn measure_round(o: &Options, tree: &Tree, scratch: &Path) -> Vec<Row> {
    let root = &tree.root;
    let bin = &o.bin;
    let in_process = |work: &dyn Fn()| {
        let t = Instant::now();
        work();
        Sample {
            time: t.elapsed(),
            rss_kib: 0,
        }
    };
    let mut rows = vec![Row {
        name: "plain read (floor)",
        sample: in_process(&|| assert_eq!(plain_read(&tree.files), tree.bytes)),
    }];
    for (name, parses) in [("2 reads + 1 parse", 1), ("2 reads + 2 parses", 2)] {
        rows.push(Row {
            name,
            sample: in_process(&|| design_floor(&tree.files, parses)),
        });
    }
    for (name, args, ok) in [
        ("check (all stale)", &["check", "."][..], 1),
        ("diff (all stale)", &["diff", "."][..], 0),
        (
            "check --format json",
            &["check", "--format", "json", "."][..],
            1,
        ),
    ] {
        rows.push(Row {
            name,
            sample: run_child(args, root, bin, &[ok]),
        });
    }
    // apply on a fresh stale copy (the copy is not timed).
    let work = scratch.join("apply");
    copy_tree(root, &work);
    plain_read(&tree.files);
    rows.push(Row {
        name: "apply (all stale)",
        sample: run_child(&["apply", "."], &work, bin, &[0]),
    });
    // The tree apply left is current: the common CI case.
    rows.push(Row {
        name: "check (all current)",
        sample: run_child(&["check", "."], &work, bin, &[0]),
    });
    let _ = fs::remove_dir_all(&work);
    rows
}

/// Every line on every tree: one untimed round to warm up, then `--runs`
/// rounds, each over every tree in turn, so that a machine that drifts
/// slower or faster during the run moves every size alike (the growth from
/// one size to the next compares runs minutes apart otherwise). The median
/// of each line's runs.
fn measure(o: &Options, trees: &[Tree], scratch: &Path) -> Vec<Vec<Row>> {
    for tree in trees {
        measure_round(o, tree, scratch);
    }
    let mut runs: Vec<Vec<Vec<Row>>> = trees.iter().map(|_| Vec::new()).collect();
    for _ in 0..o.runs.max(1) {
        for (tree, runs) in trees.iter().zip(&mut runs) {
            runs.push(measure_round(o, tree, scratch));
        }
    }
    runs.into_iter()
        .map(|mut rounds| {
            let names: Vec<&'static str> = rounds[0].iter().map(|r| r.name).collect();
            names
                .iter()
                .enumerate()
                .map(|(i, &name)| Row {
                    name,
                    sample: median(
                        rounds
                            .iter_mut()
                            .map(|round| std::mem::replace(&mut round[i].sample, Sample::ZERO))
                            .collect(),
                    ),
                })
                .collect()
        })
        .collect()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--measure") {
        return measure_one(args);
    }
    let o = options();
    // tmpfs by default: the benchmark measures streampin, not the disk. (On this
    // kind of ext4 a rename over an existing file forces a flush that costs about
    // a millisecond, whoever renames; `--dir` measures a disk.)
    let scratch = o.dir.clone().unwrap_or_else(|| {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        }
    });
    let base = match &o.keep {
        Some(p) => p.clone(),
        None => scratch.join(format!("streampin-bench-{}", std::process::id())),
    };
    fs::create_dir_all(&base).unwrap();
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    println!(
        "streampin throughput benchmark: {} threads, {cpu}, median of {} runs, trees in {}",
        threads(),
        o.runs,
        base.display()
    );
    let trees: Vec<Tree> = o
        .scales
        .iter()
        .map(|&scale| generate(&base.join(format!("tree-{scale}x")), o.workloads * scale))
        .collect();
    let measured = measure(&o, &trees, &base);
    let mut by_scale: Vec<(usize, Vec<Row>)> = Vec::new();
    for ((&scale, tree), rows) in o.scales.iter().zip(&trees).zip(measured) {
        println!(
            "\n{scale}x N: {} workloads, {} files, {:.1} MB",
            o.workloads * scale,
            tree.files.len(),
            mb(tree.bytes)
        );
        let floor = rows[0].sample.time.as_secs_f64();
        println!(
            "  {:<22} {:>9} {:>9} {:>11} {:>9} {:>10}",
            "", "time", "MB/s", "files/s", "x read", "peak RSS"
        );
        for r in &rows {
            let t = r.sample.time.as_secs_f64();
            let rss = if r.sample.rss_kib == 0 {
                "-".to_string()
            } else {
                format!("{:.1} MB", r.sample.rss_kib as f64 / 1024.0)
            };
            println!(
                "  {:<22} {:>7.0}ms {:>9.1} {:>11.0} {:>8.2}x {:>10}",
                r.name,
                t * 1e3,
                mb(tree.bytes) / t,
                tree.files.len() as f64 / t,
                t / floor,
                rss
            );
        }
        by_scale.push((scale, rows));
        if o.keep.is_none() {
            let _ = fs::remove_dir_all(base.join(format!("tree-{scale}x")));
        }
    }
    if let (Some((s1, first)), Some((sn, last))) = (by_scale.first(), by_scale.last())
        && sn > s1
    {
        println!("\ngrowth from {s1}x to {sn}x N ({}x the input):", sn / s1);
        for (a, b) in first.iter().zip(last) {
            let rss = if a.sample.rss_kib > 0 {
                format!(
                    ", peak RSS {:.2}x",
                    b.sample.rss_kib as f64 / a.sample.rss_kib as f64
                )
            } else {
                String::new()
            };
            println!(
                "  {:<22} time {:.2}x{rss}",
                a.name,
                b.sample.time.as_secs_f64() / a.sample.time.as_secs_f64()
            );
        }
    }
    if o.keep.is_none() {
        let _ = fs::remove_dir_all(&base);
    }
}
