//! A real container registry for the integration tests.
//!
//! [`Registry::start`] runs Debian's `docker-registry` (CNCF distribution 2.8)
//! on `127.0.0.1` with a throwaway configuration and storage in a temporary
//! directory, and pushes test images to it with `umoci` and `skopeo`. The
//! registry is stopped (SIGTERM, then SIGKILL after a grace period) and its
//! directory removed when the [`Registry`] is dropped.
//!
//! [`Registry::start_with_token_auth`] runs it with distribution's token auth
//! instead, next to a [`TokenServer`]: a small JWT issuer on `127.0.0.1` that
//! records every request, so that tests can see what a client asked it.
//!
//! The tools are not optional: when one is missing the harness panics and
//! says to run `scripts/test`, which installs them.

use std::fmt::Write as _;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
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
(apache2-utils), openssl and curl: run `scripts/test`, which installs them";

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

/// The registry's `auth:` section.
#[derive(Clone)]
enum Auth {
    Anonymous,
    Htpasswd(Creds),
    /// Tokens from `realm`, signed by a key whose certificate (or its CA) is
    /// in `rootcertbundle`; `creds` are what the token server wants, if any.
    Token {
        realm: String,
        rootcertbundle: PathBuf,
        creds: Option<Creds>,
    },
}

#[derive(Clone)]
struct Creds {
    user: String,
    password: String,
}

impl Creds {
    fn new(user: &str, password: &str) -> Creds {
        Creds {
            user: user.to_owned(),
            password: password.to_owned(),
        }
    }

    /// `user:password`, as skopeo's `--creds` wants it.
    fn joined(&self) -> String {
        format!("{}:{}", self.user, self.password)
    }
}

impl Registry {
    /// Anonymous registry, plain HTTP, bound to 127.0.0.1 on a free port.
    pub fn start() -> Registry {
        Registry::launch(Auth::Anonymous)
    }

    /// Registry requiring htpasswd basic auth (bcrypt file made with
    /// `htpasswd -Bbn`), realm "test-realm".
    pub fn start_with_htpasswd(user: &str, password: &str) -> Registry {
        Registry::launch(Auth::Htpasswd(Creds::new(user, password)))
    }

    /// Registry with distribution's token auth (service [`TOKEN_SERVICE`],
    /// issuer `streampin-test-issuer`), and the [`TokenServer`] its realm
    /// names, which hands a token to anyone who asks.
    pub fn start_with_token_auth() -> (Registry, TokenServer) {
        Registry::token_auth(None)
    }

    /// Like [`Registry::start_with_token_auth`], but the token server answers
    /// 401 unless the request carries `Authorization: Basic` for
    /// `user:password`. The harness's own skopeo runs log in with them.
    pub fn start_with_token_auth_requiring(user: &str, password: &str) -> (Registry, TokenServer) {
        Registry::token_auth(Some(Creds::new(user, password)))
    }

    fn token_auth(creds: Option<Creds>) -> (Registry, TokenServer) {
        let tokens = TokenServer::start(creds.clone());
        let registry = Registry::launch(Auth::Token {
            realm: tokens.realm(),
            rootcertbundle: tokens.cert_path(),
            creds,
        });
        (registry, tokens)
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

    fn launch(auth: Auth) -> Registry {
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            match Registry::try_launch(auth.clone()) {
                Ok(registry) => return registry,
                // Another process took the port between our probe and the
                // registry's bind: try another one.
                Err(log) => last_log = log,
            }
        }
        panic!("docker-registry did not start in {START_ATTEMPTS} attempts; last log:\n{last_log}");
    }

    /// Start one registry. `Err(log)` when it lost the race for its port.
    fn try_launch(auth: Auth) -> Result<Registry, String> {
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
        let mut creds = None;
        match &auth {
            Auth::Anonymous => {}
            Auth::Htpasswd(c) => {
                creds = Some(c.clone());
                let htpasswd = dir.path().join("htpasswd");
                let line = Cmd::new("htpasswd")
                    .arg("-Bbn")
                    .arg(&c.user)
                    .secret(&c.password)
                    .run();
                fs::write(&htpasswd, line).unwrap();
                writeln!(
                    config,
                    "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}",
                    yaml_quote(&htpasswd)
                )
                .unwrap();
            }
            Auth::Token {
                realm,
                rootcertbundle,
                creds: c,
            } => {
                creds = c.clone();
                writeln!(
                    config,
                    "auth:\n  token:\n    realm: {}\n    service: {TOKEN_SERVICE}\n    \
                     issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}",
                    serde_json::to_string(realm).unwrap(),
                    yaml_quote(rootcertbundle)
                )
                .unwrap();
            }
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

        let expected = match auth {
            Auth::Anonymous => 200,
            Auth::Htpasswd(_) | Auth::Token { .. } => 401,
        };
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

/// The `service` the token-auth registry names in its challenge and wants as
/// the tokens' audience.
pub const TOKEN_SERVICE: &str = "streampin-test";
/// The `iss` of the tokens, and the issuer the registry accepts.
const TOKEN_ISSUER: &str = "streampin-test-issuer";
/// How long a token is valid.
const TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// How long the token server waits for a request head.
const TOKEN_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A token service for [`Registry::start_with_token_auth`]: HTTP/1.1 on
/// `127.0.0.1`, one thread per connection, one request per connection.
///
/// `GET /token?scope=repository:NAME:ACTIONS&service=...` is answered with
/// `{"token": JWT, "access_token": JWT}` (or `access_token` alone, see
/// [`TokenServer::answer_access_token_only`]): RS256, signed with `openssl dgst`
/// by a key whose self-signed certificate travels in the header's `x5c` and
/// is the registry's `rootcertbundle`. Each token grants pull and push on the
/// repositories of its scopes. Every request is recorded.
pub struct TokenServer {
    addr: String,
    dir: TempDir,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    access_token_only: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// One request the token server saw.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `GET`.
    pub method: String,
    /// Path and query as sent: `/token?scope=repository%3Ademo%2Fapp%3Apull&...`.
    pub target: String,
    /// The `Authorization` header, if one came.
    pub authorization: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The status answered.
    pub status: u16,
}

impl TokenRequest {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The decoded values of query parameter `key`, in order.
    pub fn query(&self, key: &str) -> Vec<String> {
        let Some((_, query)) = self.target.split_once('?') else {
            return Vec::new();
        };
        query
            .split('&')
            .filter_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k) == key).then(|| percent_decode(v))
            })
            .collect()
    }

    /// Whether the user agent starts with `prefix` (`streampin/`, `skopeo/`).
    pub fn sent_by(&self, prefix: &str) -> bool {
        self.user_agent
            .as_deref()
            .is_some_and(|ua| ua.starts_with(prefix))
    }
}

/// What the connection threads share.
struct Issuer {
    key: PathBuf,
    /// `x5c[0]`: the certificate, DER in standard base64.
    x5c: String,
    /// The `Authorization` value wanted, when credentials are required.
    wanted: Option<String>,
    /// `sub` of the tokens.
    subject: String,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    /// Answer `{"access_token": …}` alone (the OAuth2 field name).
    access_token_only: Arc<AtomicBool>,
    serial: AtomicUsize,
}

impl TokenServer {
    /// Make a key and certificate and start serving on a free port.
    fn start(creds: Option<Creds>) -> TokenServer {
        let dir = tempfile::Builder::new()
            .prefix("streampin-token-")
            .tempdir()
            .unwrap();
        let key = dir.path().join("key.pem");
        let cert = dir.path().join("token.crt");
        let der = dir.path().join("token.der");
        // A self-signed leaf is enough: distribution verifies x5c with Go's
        // x509 (roots = rootcertbundle, any extended key usage, key usage
        // not looked at), and a leaf that is itself a root is a chain of one.
        Cmd::new("openssl")
            .arg("req")
            .arg("-x509")
            .arg("-newkey")
            .arg("rsa:2048")
            .arg("-nodes")
            .arg("-days")
            .arg("2")
            .arg("-subj")
            .arg(&format!("/CN={TOKEN_ISSUER}"))
            .arg("-keyout")
            .path(&key)
            .arg("-out")
            .path(&cert)
            .run();
        Cmd::new("openssl")
            .arg("x509")
            .arg("-in")
            .path(&cert)
            .arg("-outform")
            .arg("DER")
            .arg("-out")
            .path(&der)
            .run();
        let x5c = STANDARD.encode(fs::read(&der).unwrap());

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let access_token_only = Arc::new(AtomicBool::new(false));
        let issuer = Arc::new(Issuer {
            key,
            x5c,
            wanted: creds
                .as_ref()
                .map(|c| format!("Basic {}", STANDARD.encode(c.joined()))),
            subject: creds.map_or_else(|| "anonymous".to_owned(), |c| c.user),
            requests: requests.clone(),
            access_token_only: access_token_only.clone(),
            serial: AtomicUsize::new(0),
        });
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let issuer = issuer.clone();
                std::thread::spawn(move || issuer.serve(stream));
            }
        });
        TokenServer {
            addr,
            dir,
            requests,
            access_token_only,
            stop,
            thread: Some(thread),
        }
    }

    /// "127.0.0.1:PORT"
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `http://127.0.0.1:PORT/token`, the registry's realm.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// From now on, answer with `access_token` alone, without `token`.
    pub fn answer_access_token_only(&self) {
        self.access_token_only.store(true, Ordering::SeqCst);
    }

    /// Every request so far, in the order they were answered.
    pub fn requests(&self) -> Vec<TokenRequest> {
        lock(&self.requests).clone()
    }

    fn cert_path(&self) -> PathBuf {
        self.dir.path().join("token.crt")
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Issuer {
    /// Answer one request on `stream`, then close it.
    fn serve(&self, mut stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(TOKEN_READ_TIMEOUT));
        let Some(head) = read_head(&mut stream) else {
            return;
        };
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let mut req = TokenRequest {
            method: request_line.next().unwrap_or("").to_owned(),
            target: request_line.next().unwrap_or("").to_owned(),
            authorization: None,
            user_agent: None,
            status: 0,
        };
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                let value = Some(value.trim().to_owned());
                match name.trim().to_ascii_lowercase().as_str() {
                    "authorization" => req.authorization = value,
                    "user-agent" => req.user_agent = value,
                    _ => {}
                }
            }
        }

        let error = |code: &str, message: &str| {
            json!({"errors": [{"code": code, "message": message}]}).to_string()
        };
        let mut extra = "";
        let (status, reason, body) = if req.path() != "/token" {
            (404, "Not Found", error("NOT_FOUND", "no such endpoint"))
        } else if req.method != "GET" {
            (
                405,
                "Method Not Allowed",
                error("UNSUPPORTED", "only GET is served"),
            )
        } else if self
            .wanted
            .as_ref()
            .is_some_and(|w| req.authorization.as_ref() != Some(w))
        {
            extra = "WWW-Authenticate: Basic realm=\"streampin-token\"\r\n";
            (
                401,
                "Unauthorized",
                error("UNAUTHORIZED", "authentication required"),
            )
        } else {
            let token = self.token(&req.query("scope"));
            let mut answer = json!({"access_token": token, "expires_in": TOKEN_LIFETIME.as_secs()});
            if !self.access_token_only.load(Ordering::SeqCst) {
                answer["token"] = json!(token);
            }
            (200, "OK", answer.to_string())
        };
        req.status = status;
        // Recorded before the answer goes out: a client that has its answer
        // finds its request in the list.
        lock(&self.requests).push(req);
        let _ = write!(
            stream,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra}\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.flush();
    }

    /// A signed JWT granting pull and push on the repositories of `scopes`
    /// (`repository:demo/app:pull`, several per value when space-separated).
    fn token(&self, scopes: &[String]) -> String {
        let access: Vec<Value> = scopes
            .iter()
            .flat_map(|s| s.split(' '))
            .filter_map(|scope| {
                let (kind, rest) = scope.split_once(':')?;
                let (name, _actions) = rest.rsplit_once(':')?;
                Some(json!({"type": kind, "name": name, "actions": ["pull", "push"]}))
            })
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let serial = self.serial.fetch_add(1, Ordering::SeqCst);
        let header = json!({"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]});
        let claims = json!({
            "iss": TOKEN_ISSUER,
            "sub": self.subject,
            "aud": TOKEN_SERVICE,
            "exp": now + TOKEN_LIFETIME.as_secs(),
            "nbf": now - 10,
            "iat": now,
            "jti": format!("streampin-test-{now}-{serial}"),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // RS256 is RSASSA-PKCS1-v1_5 with SHA-256: what `openssl dgst -sign`
        // makes with an RSA key.
        let mut child = Command::new("openssl")
            .arg("dgst")
            .arg("-sha256")
            .arg("-sign")
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| spawn_failed("openssl", &e));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(signing_input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success() && !out.stdout.is_empty(),
            "openssl dgst -sign failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&out.stdout))
    }
}

/// The request line and headers, up to the blank line; `None` when the
/// client closes or stalls first.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > 64 << 10 {
            return None;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some(String::from_utf8_lossy(&head[..end]).into_owned())
}

/// `%XX` and `+` in a query component.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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

/// `curl -s -D - -o /dev/null [extra] URL`: the status line and headers.
fn curl_head(url: &str, extra: &[&str]) -> String {
    let mut cmd = Cmd::new("curl");
    cmd.arg("-s").arg("-D").arg("-").arg("-o").arg("/dev/null");
    for a in extra {
        cmd.arg(a);
    }
    cmd.arg(url).run()
}

#[test]
fn a_token_auth_registry_takes_the_token_servers_tokens() {
    let (registry, tokens) = Registry::start_with_token_auth();
    let tags = format!("http://{}/v2/demo/app/tags/list", registry.addr());

    // The challenge names the token server.
    let head = curl_head(&tags, &[]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 401"), "{head}");
    let realm = tokens.realm().to_ascii_lowercase();
    assert!(
        head.contains(&format!(
            "www-authenticate: bearer realm=\"{realm}\",service=\"{TOKEN_SERVICE}\",\
             scope=\"repository:demo/app:pull\""
        )),
        "{head}"
    );

    // skopeo does the token dance itself.
    let digest = registry.push_image("demo/app:v1", "token");
    assert_eq!(registry.inspect_digest("demo/app:v1"), digest);
    let asked = tokens.requests();
    assert!(
        asked.iter().any(|r| r.sent_by("skopeo")
            && r.query("scope") == ["repository:demo/app:pull,push"]
            && r.query("service") == [TOKEN_SERVICE]),
        "{asked:#?}"
    );
    assert!(
        asked
            .iter()
            .all(|r| r.status == 200 && r.authorization.is_none()),
        "{asked:#?}"
    );

    // A token fetched by hand opens the repository; the same token with its
    // signature broken does not.
    let answer = Cmd::new("curl")
        .arg("-sf")
        .arg(&format!(
            "{}?scope=repository%3Ademo%2Fapp%3Apull&service={TOKEN_SERVICE}",
            tokens.realm()
        ))
        .run();
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let token = answer["token"].as_str().unwrap();
    assert_eq!(answer["access_token"], token);
    let bearer = |t: &str| format!("Authorization: Bearer {t}");
    let head = curl_head(&tags, &["-H", &bearer(token)]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{signed}.{flipped}{}", &signature[1..]);
    let head = curl_head(&tags, &["-H", &bearer(&forged)]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    // Nor does it open another repository than its scope's.
    let other = format!("http://{}/v2/demo/other/tags/list", registry.addr());
    let head = curl_head(&other, &["-H", &bearer(token)]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
}

#[test]
fn a_token_server_can_require_credentials() {
    let (registry, tokens) = Registry::start_with_token_auth_requiring("dave", "d4ve pass");
    let url = format!(
        "{}?scope=repository%3Aprivate%2Fapp%3Apull&service={TOKEN_SERVICE}",
        tokens.realm()
    );
    let head = curl_head(&url, &[]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let head = curl_head(&url, &["-u", "dave:wrong"]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let head = curl_head(&url, &["-u", "dave:d4ve pass"]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    // The harness's skopeo logs in with the credentials.
    let digest = registry.push_image("private/app:v1", "private");
    assert_eq!(registry.inspect_digest("private/app:v1"), digest);
    let wanted = format!("Basic {}", STANDARD.encode("dave:d4ve pass"));
    let by_skopeo: Vec<TokenRequest> = tokens
        .requests()
        .into_iter()
        .filter(|r| r.sent_by("skopeo"))
        .collect();
    assert!(!by_skopeo.is_empty());
    assert!(
        by_skopeo
            .iter()
            .all(|r| r.status == 200 && r.authorization.as_ref() == Some(&wanted)),
        "{by_skopeo:#?}"
    );
}
