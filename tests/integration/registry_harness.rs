//! A real container registry for the integration tests.
//!
//! [`Registry::start`] runs Debian's `docker-registry` (CNCF distribution 2.8)
//! on `127.0.0.1` with a throwaway configuration and storage in a temporary
//! directory, and pushes test images to it with `umoci` and `skopeo`. The
//! registry is stopped (SIGTERM, then SIGKILL after a grace period) and its
//! directory removed when the [`Registry`] is dropped.
//!
//! The tools are not optional: when one is missing the harness panics and
//! says to run `scripts/test`, which installs them.

use std::fmt::Write as _;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// How long the registry may take to answer `GET /v2/`.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the registry may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How many ports to try when another process takes ours first.
const START_ATTEMPTS: usize = 5;

const TOOLS_HINT: &str = "the registry tests need docker-registry, skopeo, umoci, htpasswd \
(apache2-utils) and curl: run `scripts/test`, which installs them";

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A running `docker-registry` on `127.0.0.1`, plain HTTP.
pub struct Registry {
    child: Child,
    addr: String,
    dir: TempDir,
    log_path: PathBuf,
    creds: Option<Creds>,
}

/// The digests of a pushed two-platform index.
pub struct IndexDigests {
    /// The index itself.
    pub index: String,
    /// The linux/amd64 image manifest.
    pub amd64: String,
    /// The linux/arm64/v8 image manifest.
    pub arm64: String,
}

#[derive(Clone)]
struct Creds {
    user: String,
    password: String,
}

impl Creds {
    /// `user:password`, as skopeo's `--creds` wants it.
    fn joined(&self) -> String {
        format!("{}:{}", self.user, self.password)
    }
}

impl Registry {
    /// Anonymous registry, plain HTTP, bound to 127.0.0.1 on a free port.
    pub fn start() -> Registry {
        Registry::launch(None)
    }

    /// Registry requiring htpasswd basic auth (bcrypt file made with
    /// `htpasswd -Bbn`), realm "test-realm".
    pub fn start_with_htpasswd(user: &str, password: &str) -> Registry {
        Registry::launch(Some(Creds {
            user: user.to_owned(),
            password: password.to_owned(),
        }))
    }

    /// "127.0.0.1:PORT"
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Build a single-arch linux/amd64 image (one layer holding `/marker.txt`
    /// whose content is `marker`) and push it to `<addr>/<repo_tag>`.
    /// Returns the digest `skopeo inspect` reports for the tag afterwards.
    pub fn push_image(&self, repo_tag: &str, marker: &str) -> String {
        let work = self.work_dir();
        let layout = work.path().join("layout");
        self.umoci_init(&layout);
        self.umoci_image(&layout, "image", "amd64", marker.as_bytes());

        let digest_file = work.path().join("digest");
        let mut copy = self.skopeo();
        copy.arg("copy").arg("--dest-tls-verify=false");
        if let Some(creds) = &self.creds {
            copy.arg("--dest-creds").secret(&creds.joined());
        }
        copy.arg("--digestfile")
            .path(&digest_file)
            .arg(&oci_ref(&layout, "image"))
            .arg(&self.docker_ref(repo_tag))
            .run();

        let pushed = read(&digest_file);
        let digest = self.inspect_digest(repo_tag);
        assert_eq!(
            pushed.trim(),
            digest,
            "skopeo copy --digestfile and skopeo inspect disagree for {repo_tag}"
        );
        digest
    }

    /// Push a two-platform OCI index (linux/amd64 and linux/arm64 variant v8,
    /// each a distinct image whose `/marker.txt` holds `"<marker> <arch>"`) to
    /// `<addr>/<repo_tag>`. Returns the index digest and each child's.
    pub fn push_index(&self, repo_tag: &str, marker: &str) -> IndexDigests {
        let work = self.work_dir();
        let layout = work.path().join("layout");
        self.umoci_init(&layout);
        let platforms = [
            ("amd64", json!({"architecture": "amd64", "os": "linux"})),
            (
                "arm64",
                json!({"architecture": "arm64", "os": "linux", "variant": "v8"}),
            ),
        ];
        for (arch, _) in &platforms {
            self.umoci_image(&layout, arch, arch, format!("{marker} {arch}").as_bytes());
        }

        // The layout's index.json now names one manifest per tag; gather them
        // into an image index blob of our own, with a platform on each.
        let index_json_path = layout.join("index.json");
        let mut layout_index: Value = serde_json::from_str(&read(&index_json_path)).unwrap();
        let mut children = Vec::new();
        for (arch, platform) in &platforms {
            let desc = layout_index["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["annotations"][REF_NAME] == *arch)
                .unwrap_or_else(|| panic!("no {arch} manifest in {layout_index}"));
            children.push(json!({
                "mediaType": desc["mediaType"],
                "digest": desc["digest"],
                "size": desc["size"],
                "platform": platform,
            }));
        }
        let index = json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": children,
        });
        let index_bytes = serde_json::to_vec(&index).unwrap();
        let index_digest = sha256_digest(&index_bytes);
        let blob = layout
            .join("blobs/sha256")
            .join(index_digest.trim_start_matches("sha256:"));
        fs::write(&blob, &index_bytes).unwrap();
        layout_index["manifests"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "mediaType": OCI_INDEX,
                "digest": index_digest,
                "size": index_bytes.len(),
                "annotations": {REF_NAME: "index"},
            }));
        fs::write(&index_json_path, serde_json::to_vec(&layout_index).unwrap()).unwrap();

        let mut copy = self.skopeo();
        copy.arg("copy")
            .arg("--all")
            .arg("--preserve-digests")
            .arg("--dest-tls-verify=false");
        if let Some(creds) = &self.creds {
            copy.arg("--dest-creds").secret(&creds.joined());
        }
        copy.arg(&oci_ref(&layout, "index"))
            .arg(&self.docker_ref(repo_tag))
            .run();

        // What the registry serves must be our index, byte for byte.
        let raw = self.inspect_raw(repo_tag);
        assert_eq!(
            sha256_digest(raw.as_bytes()),
            index_digest,
            "the registry serves another manifest for {repo_tag}: {raw}"
        );
        let digest = self.inspect_digest(repo_tag);
        assert_eq!(digest, index_digest, "skopeo inspect Digest for {repo_tag}");

        let child_digest = |i: usize| index["manifests"][i]["digest"].as_str().unwrap().to_owned();
        IndexDigests {
            index: digest,
            amd64: child_digest(0),
            arm64: child_digest(1),
        }
    }

    /// `skopeo inspect --tls-verify=false [--creds] --format '{{.Digest}}'
    /// docker://<addr>/<repo_tag>`
    pub fn inspect_digest(&self, repo_tag: &str) -> String {
        let out = self.inspect(repo_tag, &["--format", "{{.Digest}}"]);
        let digest = out.trim();
        assert!(
            digest.starts_with("sha256:") && digest.len() == 71,
            "skopeo inspect gave no digest for {repo_tag}: {out:?}"
        );
        digest.to_owned()
    }

    /// The registry's log so far (access log lines like
    /// `"HEAD /v2/demo/app/manifests/v1 HTTP/1.1" 200`).
    pub fn log(&self) -> String {
        read(&self.log_path)
    }

    /// `skopeo inspect --raw`: the manifest bytes the registry serves.
    fn inspect_raw(&self, repo_tag: &str) -> String {
        self.inspect(repo_tag, &["--raw"])
    }

    fn inspect(&self, repo_tag: &str, extra: &[&str]) -> String {
        let mut cmd = self.skopeo();
        cmd.arg("inspect").arg("--tls-verify=false");
        if let Some(creds) = &self.creds {
            cmd.arg("--creds").secret(&creds.joined());
        }
        for a in extra {
            cmd.arg(a);
        }
        cmd.arg(&self.docker_ref(repo_tag)).run()
    }

    fn docker_ref(&self, repo_tag: &str) -> String {
        format!("docker://{}/{repo_tag}", self.addr)
    }

    /// A fresh directory for one push, removed when it drops.
    fn work_dir(&self) -> TempDir {
        tempfile::Builder::new()
            .prefix("push-")
            .tempdir_in(self.dir.path())
            .unwrap()
    }

    /// skopeo, hermetic: no user auth file, registries.conf or policy.
    fn skopeo(&self) -> Cmd {
        let mut cmd = self.tool("skopeo");
        let conf = self.dir.path().join("registries.conf");
        if !conf.exists() {
            fs::write(&conf, "").unwrap();
        }
        cmd.cmd.env("CONTAINERS_REGISTRIES_CONF", &conf);
        cmd.arg("--insecure-policy");
        cmd
    }

    /// A child tool with `HOME` and the auth file locations in our tempdir.
    fn tool(&self, program: &str) -> Cmd {
        let home = self.dir.path().join("home");
        fs::create_dir_all(&home).unwrap();
        let mut cmd = Cmd::new(program);
        if let Some(creds) = &self.creds {
            cmd.secrets.push(creds.joined());
            cmd.secrets.push(creds.password.clone());
        }
        cmd.cmd
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("REGISTRY_AUTH_FILE", home.join("no-auth.json"))
            .env("DOCKER_CONFIG", home.join("no-docker-config"));
        cmd
    }

    fn umoci_init(&self, layout: &Path) {
        self.tool("umoci")
            .arg("init")
            .arg("--layout")
            .path(layout)
            .run();
    }

    /// Add tag `tag` to `layout`: a linux/`arch` image with one layer holding
    /// `/marker.txt` = `content`.
    fn umoci_image(&self, layout: &Path, tag: &str, arch: &str, content: &[u8]) {
        let image = &format!("{}:{tag}", layout.display());
        let file = layout.with_file_name(format!("marker-{tag}.txt"));
        fs::write(&file, content).unwrap();
        self.tool("umoci")
            .arg("new")
            .arg("--image")
            .arg(image)
            .run();
        // --rootless: the same layer whether or not we run as root.
        self.tool("umoci")
            .arg("insert")
            .arg("--rootless")
            .arg("--image")
            .arg(image)
            .path(&file)
            .arg("/marker.txt")
            .run();
        self.tool("umoci")
            .arg("config")
            .arg("--no-history")
            .arg("--image")
            .arg(image)
            .arg("--architecture")
            .arg(arch)
            .arg("--os")
            .arg("linux")
            .run();
    }

    fn launch(creds: Option<Creds>) -> Registry {
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            match Registry::try_launch(creds.clone()) {
                Ok(registry) => return registry,
                // Another process took the port between our probe and the
                // registry's bind: try another one.
                Err(log) => last_log = log,
            }
        }
        panic!("docker-registry did not start in {START_ATTEMPTS} attempts; last log:\n{last_log}");
    }

    /// Start one registry. `Err(log)` when it lost the race for its port.
    fn try_launch(creds: Option<Creds>) -> Result<Registry, String> {
        let dir = tempfile::Builder::new()
            .prefix("streampin-registry-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");

        let mut config = String::new();
        writeln!(config, "version: 0.1").unwrap();
        writeln!(config, "log:\n  level: info").unwrap();
        writeln!(
            config,
            "storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true",
            yaml_quote(&dir.path().join("data"))
        )
        .unwrap();
        writeln!(config, "http:\n  addr: {addr}\n  secret: throwaway").unwrap();
        if let Some(creds) = &creds {
            let htpasswd = dir.path().join("htpasswd");
            let line = Cmd::new("htpasswd")
                .arg("-Bbn")
                .arg(&creds.user)
                .secret(&creds.password)
                .run();
            fs::write(&htpasswd, line).unwrap();
            writeln!(
                config,
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}",
                yaml_quote(&htpasswd)
            )
            .unwrap();
        }
        let config_path = dir.path().join("config.yml");
        fs::write(&config_path, config).unwrap();

        let log_path = dir.path().join("registry.log");
        let log = fs::File::create(&log_path).unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| spawn_failed("docker-registry", &e));

        let expected = if creds.is_some() { 401 } else { 200 };
        let listening = format!("listening on {addr}");
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = read(&log_path);
                if log.contains("address already in use") {
                    return Err(log);
                }
                panic!("docker-registry exited at start ({status}); log:\n{log}");
            }
            // "listening on" is logged only once the bind has succeeded, so a
            // stranger on the port cannot pass for our registry.
            if read(&log_path).contains(&listening) && probe(&addr) == Some(expected) {
                return Ok(Registry {
                    child,
                    addr,
                    dir,
                    log_path,
                    creds,
                });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "docker-registry on {addr} did not answer GET /v2/ with {expected} within \
                     {READY_TIMEOUT:?}; log:\n{}",
                    read(&log_path)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Still running (not yet reaped), so the pid is still ours.
        if let Ok(None) = self.child.try_wait() {
            let termed = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            let deadline = Instant::now() + STOP_TIMEOUT;
            while termed && Instant::now() < deadline {
                match self.child.try_wait() {
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    _ => break,
                }
            }
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
        // `dir` is removed after this, when the fields drop.
    }
}

/// A command whose failure panics with its (redacted) command line and output.
struct Cmd {
    cmd: Command,
    shown: Vec<String>,
    /// Texts never to print: credentials.
    secrets: Vec<String>,
}

impl Cmd {
    fn new(program: &str) -> Cmd {
        let mut cmd = Command::new(program);
        cmd.stdin(Stdio::null());
        Cmd {
            cmd,
            shown: vec![program.to_owned()],
            secrets: Vec::new(),
        }
    }

    fn arg(&mut self, a: &str) -> &mut Cmd {
        self.cmd.arg(a);
        self.shown.push(a.to_owned());
        self
    }

    fn path(&mut self, p: &Path) -> &mut Cmd {
        self.cmd.arg(p);
        self.shown.push(p.display().to_string());
        self
    }

    /// An argument shown as `<redacted>`.
    fn secret(&mut self, a: &str) -> &mut Cmd {
        self.cmd.arg(a);
        self.shown.push("<redacted>".to_owned());
        self.secrets.push(a.to_owned());
        self
    }

    /// Run to the end; its stdout, or a panic with the command and stderr.
    fn run(&mut self) -> String {
        let program = self.shown[0].clone();
        let out = self
            .cmd
            .output()
            .unwrap_or_else(|e| spawn_failed(&program, &e));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            panic!(
                "command failed ({}): {}\nstderr:\n{}\nstdout:\n{}",
                out.status,
                self.shown.join(" "),
                self.redact(&stderr),
                self.redact(&stdout)
            );
        }
        stdout
    }

    fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<&String> = self.secrets.iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so `user:password` goes before `password`.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut text = text.to_owned();
        for s in secrets {
            text = text.replace(s.as_str(), "<redacted>");
        }
        text
    }
}

fn spawn_failed(program: &str, e: &std::io::Error) -> ! {
    if e.kind() == ErrorKind::NotFound {
        panic!("`{program}` is not installed: {TOOLS_HINT}");
    }
    panic!("cannot run `{program}`: {e}");
}

/// `oci:<layout>:<tag>`
fn oci_ref(layout: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", layout.display())
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status of `GET /v2/`, or `None` when nothing answers (yet).
fn probe(addr: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    // "HTTP/1.0 200 OK"
    response.split_whitespace().nth(1)?.parse().ok()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A path as a double-quoted YAML scalar.
fn yaml_quote(path: &Path) -> String {
    serde_json::to_string(&path.display().to_string()).unwrap()
}

/// `sha256:<hex>`
fn sha256_digest(bytes: &[u8]) -> String {
    let mut s = String::from("sha256:");
    for b in Sha256::digest(bytes) {
        write!(s, "{b:02x}").unwrap();
    }
    s
}

#[test]
fn pushing_twice_to_a_tag_moves_it() {
    let registry = Registry::start();
    assert!(registry.addr().starts_with("127.0.0.1:"));
    let first = registry.push_image("demo/app:v1", "first");
    let second = registry.push_image("demo/app:v1", "second");
    assert_ne!(first, second);
    assert_eq!(registry.inspect_digest("demo/app:v1"), second);
    let log = registry.log();
    assert!(
        log.contains("\"PUT /v2/demo/app/manifests/v1 HTTP/1.1\" 201"),
        "no access log line for the manifest push in:\n{log}"
    );
    assert!(
        log.contains("\"GET /v2/demo/app/manifests/v1 HTTP/1.1\" 200"),
        "no access log line for the manifest read in:\n{log}"
    );
}

#[test]
fn an_index_carries_both_platforms() {
    let registry = Registry::start();
    let d = registry.push_index("demo/multi:v1", "multi");
    assert_ne!(d.index, d.amd64);
    assert_ne!(d.index, d.arm64);
    assert_ne!(d.amd64, d.arm64);
    assert_eq!(registry.inspect_digest("demo/multi:v1"), d.index);

    let raw: Value = serde_json::from_str(&registry.inspect_raw("demo/multi:v1")).unwrap();
    assert_eq!(raw["mediaType"], OCI_INDEX);
    let manifests = raw["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 2);
    assert_eq!(manifests[0]["digest"], d.amd64.as_str());
    assert_eq!(
        manifests[0]["platform"],
        json!({"architecture": "amd64", "os": "linux"})
    );
    assert_eq!(manifests[1]["digest"], d.arm64.as_str());
    assert_eq!(
        manifests[1]["platform"],
        json!({"architecture": "arm64", "os": "linux", "variant": "v8"})
    );
    // The children are there by digest too.
    assert_eq!(
        registry.inspect_digest(&format!("demo/multi@{}", d.arm64)),
        d.arm64
    );
}

#[test]
fn an_htpasswd_registry_wants_credentials() {
    let registry = Registry::start_with_htpasswd("alice", "s3cret pass");
    let out = Cmd::new("curl")
        .arg("-s")
        .arg("-o")
        .arg("/dev/null")
        .arg("-w")
        .arg("%{http_code}")
        .arg(&format!("http://{}/v2/", registry.addr()))
        .run();
    assert_eq!(out, "401");
    let digest = registry.push_image("private/app:v1", "secret stuff");
    assert_eq!(registry.inspect_digest("private/app:v1"), digest);
}
