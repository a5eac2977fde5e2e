//! The one module that talks to the network, and only `import` uses it: ask a
//! registry which digest a tag names now.
//!
//! A tag is resolved with one `HEAD` on its manifest (`Docker-Content-Digest`),
//! with the OCI and Docker manifest and index types in `Accept`; `GET` is used
//! only when a registry leaves the digest out, to read an index when a
//! platform's image is wanted, and to read the registry's error message. No
//! layer or config blob is ever fetched.
//!
//! Authentication follows the registry's challenge: anonymous first, then a
//! bearer token from the realm it names (with the user's credentials when
//! there are some), or Basic credentials. Tokens and credentials are kept per
//! host and repository and never appear in a message.
//!
//! 429 and 5xx answers and transient network errors are retried with
//! exponential backoff, waiting as long as `Retry-After` asks (capped).
//! `insecure` allows HTTPS without certificate checks, then plain HTTP.

pub mod auth;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::image_ref::ImageRef;

/// The manifest types we accept, OCI first. distribution 2.8 answers 404 for
/// an OCI manifest when `Accept` does not list the OCI types.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Largest manifest or error body read.
const BODY_LIMIT: u64 = 4 << 20;

/// `os/architecture[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`.
    pub architecture: String,
    /// `v8`, or empty.
    pub variant: String,
}

impl Platform {
    /// `linux/amd64`, what OpenShift's Legacy import mode records.
    pub fn linux_amd64() -> Platform {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: String::new(),
        }
    }

    /// Parse `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| !p.is_empty();
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: String::new(),
            }),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: variant.to_string(),
            }),
            _ => Err(format!(
                "invalid platform {s:?}: expected os/architecture[/variant], such as linux/arm64/v8"
            )),
        }
    }

    /// Whether an index entry's platform is this one. An empty variant matches
    /// any; `arm64` with no variant is `v8`.
    fn matches(&self, os: &str, architecture: &str, variant: &str) -> bool {
        let norm = |arch: &str, v: &str| {
            if arch == "arm64" && v.is_empty() {
                "v8".to_string()
            } else {
                v.to_string()
            }
        };
        os == self.os
            && architecture == self.architecture
            && (self.variant.is_empty()
                || norm(architecture, variant) == norm(&self.architecture, &self.variant))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

/// Which digest to record for a tag that names an index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Selection {
    /// The index itself (`importMode: PreserveOriginal`).
    Original,
    /// The image for one platform inside it (`Legacy`).
    Platform(Platform),
}

/// One thing to resolve: a pull spec as written in `from.name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// `quay.io/keycloak/keycloak:20`.
    pub pull_spec: String,
    /// Allow HTTPS without verification, then HTTP.
    pub insecure: bool,
    /// What to record for an index.
    pub selection: Selection,
}

/// What kind of manifest a recorded digest names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestKind {
    /// A single-platform image manifest.
    Manifest,
    /// An index (manifest list), recorded as it is.
    Index,
    /// The manifest of one platform, chosen from an index.
    PlatformManifest,
}

impl DigestKind {
    /// The name the report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            DigestKind::Manifest => "manifest",
            DigestKind::Index => "index",
            DigestKind::PlatformManifest => "platform-manifest",
        }
    }
}

/// A resolved tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The digest to record (`sha256:…`).
    pub digest: String,
    /// What it names.
    pub kind: DigestKind,
    /// The index it was chosen from, for `PlatformManifest`.
    pub index_digest: Option<String>,
    /// The platform chosen, for `PlatformManifest`.
    pub platform: Option<String>,
}

/// Why a tag could not be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The pull spec does not parse.
    InvalidReference,
    /// The registry has no such repository or tag.
    NotFound,
    /// The registry wants credentials we do not have, or refused ours.
    Unauthorized,
    /// The registry refused access with these credentials.
    Denied,
    /// Still 429 after the retries.
    RateLimited,
    /// Still 5xx after the retries, or another unexpected answer.
    Server,
    /// No connection, TLS failure, timeout.
    Network,
    /// The answer does not make sense (wrong digest, unreadable index).
    Protocol,
    /// An index without the platform asked for.
    NoPlatform,
    /// The credential files or helpers could not be used.
    Credentials,
}

/// A failure, with the registry's own words. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The kind.
    pub kind: FailureKind,
    /// What happened.
    pub message: String,
}

impl Failure {
    fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Per-request timeout (connect to last byte).
    pub timeout: Duration,
    /// Retries after the first attempt, for 429, 5xx and transient errors.
    pub retries: u32,
    /// Longest single wait between attempts, whatever `Retry-After` says.
    pub max_wait: Duration,
    /// First backoff; doubled per attempt.
    pub backoff: Duration,
    /// Requests in flight at once.
    pub jobs: usize,
    /// Where credentials are looked up.
    pub env: auth::Env,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(30),
            retries: 3,
            max_wait: Duration::from_secs(60),
            backoff: Duration::from_millis(500),
            jobs: 8,
            env: auth::Env::from_process(),
        }
    }
}

/// Where a repository lives.
#[derive(Debug, Clone)]
struct Repo {
    /// The registry as written (`quay.io`, empty for Docker Hub).
    registry: String,
    /// The host we talk to.
    host: String,
    /// The repository path (`keycloak/keycloak`, `library/nginx`).
    path: String,
    /// More names the host has in credential files.
    keys: &'static [&'static str],
}

const DOCKER_HUB_KEYS: &[&str] = &[
    "https://index.docker.io/v1/",
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
];

impl Repo {
    fn of(r: &ImageRef) -> Repo {
        let path = if r.namespace.is_empty() {
            r.name.clone()
        } else {
            format!("{}/{}", r.namespace, r.name)
        };
        match r.registry.as_str() {
            "" | "docker.io" | "index.docker.io" | "registry-1.docker.io" => Repo {
                registry: r.registry.clone(),
                host: "registry-1.docker.io".into(),
                path: if path.contains('/') {
                    path
                } else {
                    format!("library/{path}")
                },
                keys: DOCKER_HUB_KEYS,
            },
            host => Repo {
                registry: host.to_string(),
                host: host.to_string(),
                path,
                keys: &[],
            },
        }
    }

    /// `quay.io/keycloak/keycloak`, for messages.
    fn display(&self) -> String {
        if self.registry.is_empty() {
            format!("docker.io/{}", self.path)
        } else {
            format!("{}/{}", self.registry, self.path)
        }
    }
}

/// One HTTP answer, reduced to what we use.
#[derive(Debug, Default)]
struct Reply {
    status: u16,
    digest: Option<String>,
    content_type: Option<String>,
    link: Option<String>,
    body: Vec<u8>,
}

#[derive(Default)]
struct State {
    /// `https` or `http` once a host answered.
    scheme: HashMap<String, &'static str>,
    /// `Authorization` values by (host, repository path); "" for Basic.
    auth: HashMap<(String, String), String>,
    /// Credentials per host, looked up once.
    creds: HashMap<String, Result<Option<auth::Found>, String>>,
}

/// A registry client. Cheap to share between threads.
pub struct Client {
    secure: ureq::Agent,
    insecure: ureq::Agent,
    opts: Options,
    state: Mutex<State>,
}

fn agent(timeout: Duration, verify: bool) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .disable_verification(!verify)
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("streampin/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into()
}

/// Lower-case hex of a SHA-256.
fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in hash.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn is_index(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let ct = ct.split(';').next().unwrap_or("").trim();
        INDEX_TYPES.contains(&ct)
    })
}

/// The registry's error message from an error body
/// (`{"errors":[{"code":…,"message":…}]}`), or the reason phrase.
fn registry_message(status: u16, body: &[u8]) -> String {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    let mut out = format!("{status} {reason}").trim_end().to_string();
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(errors) = v.get("errors").and_then(Value::as_array)
    {
        let parts: Vec<String> = errors
            .iter()
            .map(|e| {
                let code = e.get("code").and_then(Value::as_str).unwrap_or("");
                let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
                match (code.is_empty(), msg.is_empty()) {
                    (false, false) => format!("{msg} ({code})"),
                    (true, false) => msg.to_string(),
                    (false, true) => code.to_string(),
                    (true, true) => String::new(),
                }
            })
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            out.push_str(": ");
            out.push_str(&parts.join("; "));
        }
    }
    out
}

/// `WWW-Authenticate: Bearer realm="…",service="…"`, as scheme and parameters.
pub fn parse_challenge(header: &str) -> Option<(String, HashMap<String, String>)> {
    let header = header.trim();
    let (scheme, rest) = match header.find(char::is_whitespace) {
        Some(i) => (&header[..i], header[i..].trim_start()),
        None => (header, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    Some((scheme.to_ascii_lowercase(), params))
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long to wait before attempt `attempt` (1-based retry number).
pub fn backoff(opts: &Options, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let exp = opts
        .backoff
        .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16));
    retry_after.unwrap_or(exp).min(opts.max_wait)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn transient(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionReset
                | K::ConnectionAborted
                | K::UnexpectedEof
                | K::BrokenPipe
                | K::TimedOut
        ),
        _ => false,
    }
}

impl Client {
    /// A client with these settings.
    pub fn new(opts: Options) -> Client {
        Client {
            secure: agent(opts.timeout, true),
            insecure: agent(opts.timeout, false),
            opts,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn credentials(&self, repo: &Repo) -> Result<Option<auth::Found>, Failure> {
        if let Some(c) = self.lock().creds.get(&repo.host) {
            return c
                .clone()
                .map_err(|e| Failure::new(FailureKind::Credentials, e));
        }
        let host = if repo.registry.is_empty() {
            "docker.io"
        } else {
            repo.host.as_str()
        };
        let found = auth::lookup(&self.opts.env, host, &repo.path, repo.keys);
        self.lock().creds.insert(repo.host.clone(), found.clone());
        found.map_err(|e| Failure::new(FailureKind::Credentials, e))
    }

    /// One request with auth, scheme fallback and retries. `path` follows `/v2/`.
    fn send(
        &self,
        repo: &Repo,
        insecure: bool,
        method: &str,
        path: &str,
    ) -> Result<Reply, Failure> {
        let key = (repo.host.clone(), repo.path.clone());
        let mut scheme = self.lock().scheme.get(&repo.host).copied();
        let mut authenticated = false;
        let mut attempt = 0u32;
        loop {
            let use_scheme = scheme.unwrap_or("https");
            let url = format!("{use_scheme}://{}/v2/{path}", repo.host);
            let agent = if insecure {
                &self.insecure
            } else {
                &self.secure
            };
            let auth = self.lock().auth.get(&key).cloned();
            let result = match method {
                "HEAD" => {
                    let mut r = agent.head(&url).header("Accept", ACCEPT);
                    if let Some(a) = &auth {
                        r = r.header("Authorization", a);
                    }
                    r.call()
                }
                _ => {
                    let mut r = agent.get(&url).header("Accept", ACCEPT);
                    if let Some(a) = &auth {
                        r = r.header("Authorization", a);
                    }
                    r.call()
                }
            };
            let mut resp = match result {
                Ok(r) => r,
                Err(e) => {
                    if insecure && scheme.is_none() && !matches!(e, ureq::Error::Timeout(_)) {
                        // Not HTTPS there: try plain HTTP once.
                        scheme = Some("http");
                        continue;
                    }
                    if transient(&e) && attempt < self.opts.retries {
                        attempt += 1;
                        std::thread::sleep(backoff(&self.opts, attempt, None));
                        continue;
                    }
                    return Err(Failure::new(
                        FailureKind::Network,
                        format!("cannot reach {} over {use_scheme}: {e}", repo.host),
                    ));
                }
            };
            self.lock().scheme.insert(repo.host.clone(), use_scheme);
            scheme = Some(use_scheme);
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let challenge = header("www-authenticate");
            let retry_after = header("retry-after")
                .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now()));
            let mut reply = Reply {
                status,
                digest: header("docker-content-digest"),
                content_type: header("content-type"),
                link: header("link"),
                body: Vec::new(),
            };
            if status == 401 && !authenticated {
                authenticated = true;
                // Another request may have fetched a token meanwhile.
                let now_cached = self.lock().auth.get(&key).cloned();
                if now_cached.is_some() && now_cached != auth {
                    continue;
                }
                if let Some(c) = challenge
                    && self.authenticate(repo, insecure, &c)?
                {
                    continue;
                }
            }
            if (status == 429 || (500..600).contains(&status) && status != 501)
                && attempt < self.opts.retries
            {
                attempt += 1;
                std::thread::sleep(backoff(&self.opts, attempt, retry_after));
                continue;
            }
            if method != "HEAD" {
                reply.body = resp
                    .body_mut()
                    .with_config()
                    .limit(BODY_LIMIT)
                    .read_to_vec()
                    .map_err(|e| {
                        Failure::new(
                            FailureKind::Network,
                            format!("reading the answer of {}: {e}", repo.host),
                        )
                    })?;
            }
            return Ok(reply);
        }
    }

    /// Answer a 401 challenge. Returns whether there is now something to retry with.
    fn authenticate(&self, repo: &Repo, insecure: bool, challenge: &str) -> Result<bool, Failure> {
        let Some((scheme, params)) = parse_challenge(challenge) else {
            return Ok(false);
        };
        let creds = self.credentials(repo)?;
        let key = (repo.host.clone(), repo.path.clone());
        match scheme.as_str() {
            "basic" => match creds.as_ref().and_then(|f| f.credential.basic_header()) {
                Some(h) => {
                    self.lock().auth.insert(key, h);
                    Ok(true)
                }
                None => Ok(false),
            },
            "bearer" => {
                let realm = params.get("realm").cloned().unwrap_or_default();
                if realm.is_empty() {
                    return Err(Failure::new(
                        FailureKind::Protocol,
                        format!(
                            "{} asked for a bearer token without naming a realm",
                            repo.host
                        ),
                    ));
                }
                let service = params.get("service").cloned().unwrap_or_default();
                let scope = format!("repository:{}:pull", repo.path);
                let token = self.token(&realm, &service, &scope, creds.as_ref(), insecure)?;
                self.lock().auth.insert(key, format!("Bearer {token}"));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Fetch a bearer token from `realm` (the registry's token service).
    fn token(
        &self,
        realm: &str,
        service: &str,
        scope: &str,
        creds: Option<&auth::Found>,
        insecure: bool,
    ) -> Result<String, Failure> {
        let agent = if insecure {
            &self.insecure
        } else {
            &self.secure
        };
        let realm_host = realm
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or(realm)
            .to_string();
        let mut attempt = 0u32;
        loop {
            let result = match creds.map(|f| &f.credential) {
                Some(auth::Credential::IdentityToken(refresh)) => agent.post(realm).send_form([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                    ("service", service),
                    ("scope", scope),
                    ("client_id", "streampin"),
                ]),
                other => {
                    let sep = if realm.contains('?') { '&' } else { '?' };
                    let mut url = format!("{realm}{sep}scope={}", percent_encode(scope));
                    if !service.is_empty() {
                        url.push_str(&format!("&service={}", percent_encode(service)));
                    }
                    let mut r = agent.get(&url);
                    if let Some(h) = other.and_then(auth::Credential::basic_header) {
                        r = r.header("Authorization", &h);
                    }
                    r.call()
                }
            };
            let mut resp = match result {
                Ok(r) => r,
                Err(e) if transient(&e) && attempt < self.opts.retries => {
                    attempt += 1;
                    std::thread::sleep(backoff(&self.opts, attempt, None));
                    continue;
                }
                Err(e) => {
                    return Err(Failure::new(
                        FailureKind::Network,
                        format!("cannot reach the token service {realm_host}: {e}"),
                    ));
                }
            };
            let status = resp.status().as_u16();
            if (status == 429 || status >= 500) && attempt < self.opts.retries {
                attempt += 1;
                let ra = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
                std::thread::sleep(backoff(&self.opts, attempt, ra));
                continue;
            }
            let body = resp
                .body_mut()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_vec()
                .unwrap_or_default();
            if status != 200 {
                let kind = if status == 401 || status == 403 {
                    FailureKind::Unauthorized
                } else {
                    FailureKind::Server
                };
                let whose = match creds {
                    Some(f) => format!(" with the credentials from {}", f.origin),
                    None => " without credentials".to_string(),
                };
                return Err(Failure::new(
                    kind,
                    format!(
                        "the token service {realm_host} answered {}{whose}",
                        registry_message(status, &body)
                    ),
                ));
            }
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let field = |k: &str| v.get(k).and_then(Value::as_str).filter(|t| !t.is_empty());
            let token = field("token").or_else(|| field("access_token"));
            return token.map(str::to_string).ok_or_else(|| {
                Failure::new(
                    FailureKind::Protocol,
                    format!("the token service {realm_host} sent no token"),
                )
            });
        }
    }

    /// A failure for a non-success answer.
    fn failure(&self, repo: &Repo, what: &str, reply: &Reply) -> Failure {
        let kind = match reply.status {
            404 => FailureKind::NotFound,
            401 => FailureKind::Unauthorized,
            403 => FailureKind::Denied,
            429 => FailureKind::RateLimited,
            _ => FailureKind::Server,
        };
        let mut message = format!(
            "{what}: the registry answered {}",
            registry_message(reply.status, &reply.body)
        );
        if reply.status == 401 || reply.status == 403 {
            let creds = self.lock().creds.get(&repo.host).cloned();
            match creds {
                Some(Ok(Some(f))) => {
                    message.push_str(&format!(" (credentials from {})", f.origin));
                }
                _ => message.push_str(&format!(
                    " (no credentials for {} in {})",
                    if repo.registry.is_empty() {
                        "docker.io"
                    } else {
                        &repo.host
                    },
                    self.opts
                        .env
                        .files()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        Failure::new(kind, message)
    }

    /// GET a manifest; returns the reply and the digest of its bytes.
    fn get_manifest(
        &self,
        repo: &Repo,
        insecure: bool,
        reference: &str,
        what: &str,
    ) -> Result<(Reply, String), Failure> {
        let reply = self.send(
            repo,
            insecure,
            "GET",
            &format!("{}/manifests/{reference}", repo.path),
        )?;
        if reply.status != 200 {
            return Err(self.failure(repo, what, &reply));
        }
        let digest = sha256_digest(&reply.body);
        if let Some(d) = &reply.digest
            && d.starts_with("sha256:")
            && *d != digest
        {
            return Err(Failure::new(
                FailureKind::Protocol,
                format!(
                    "{} sent a manifest for {what} whose digest is {digest}, not {d}",
                    repo.host
                ),
            ));
        }
        Ok((reply, digest))
    }

    /// Resolve one target.
    pub fn resolve(&self, t: &Target) -> Result<Resolved, Failure> {
        let r = ImageRef::parse(&t.pull_spec).map_err(|e| {
            Failure::new(
                FailureKind::InvalidReference,
                format!("{:?} is not a valid pull spec: {e}", t.pull_spec),
            )
        })?;
        if r.name.is_empty() {
            return Err(Failure::new(
                FailureKind::InvalidReference,
                format!("{:?} names no repository", t.pull_spec),
            ));
        }
        let repo = Repo::of(&r);
        let reference = if !r.id.is_empty() {
            r.id.clone()
        } else if !r.tag.is_empty() {
            r.tag.clone()
        } else {
            "latest".to_string()
        };
        let sep = if r.id.is_empty() { ':' } else { '@' };
        let what = format!("{}{sep}{reference}", repo.display());
        let head = self.send(
            &repo,
            t.insecure,
            "HEAD",
            &format!("{}/manifests/{reference}", repo.path),
        )?;
        let (digest, content_type, body) = match head.status {
            200 if head
                .digest
                .as_deref()
                .is_some_and(|d| d.starts_with("sha256:")) =>
            {
                (
                    head.digest.clone().unwrap_or_default(),
                    head.content_type.clone(),
                    None,
                )
            }
            // No digest header, or HEAD not served: GET and hash.
            200 | 400 | 405 | 501 => {
                let (reply, digest) = self.get_manifest(&repo, t.insecure, &reference, &what)?;
                (digest, reply.content_type.clone(), Some(reply.body))
            }
            // HEAD has no body: GET for the registry's own words.
            _ => {
                let reply = self.send(
                    &repo,
                    t.insecure,
                    "GET",
                    &format!("{}/manifests/{reference}", repo.path),
                )?;
                let reply = if reply.status == 200 { head } else { reply };
                return Err(self.failure(&repo, &what, &reply));
            }
        };
        if !r.id.is_empty() && r.id.starts_with("sha256:") && r.id != digest {
            return Err(Failure::new(
                FailureKind::Protocol,
                format!("{} answered digest {digest} for {what}", repo.host),
            ));
        }
        let platform = match (&t.selection, is_index(content_type.as_deref())) {
            (_, false) => {
                return Ok(Resolved {
                    digest,
                    kind: DigestKind::Manifest,
                    index_digest: None,
                    platform: None,
                });
            }
            (Selection::Original, true) => {
                return Ok(Resolved {
                    digest,
                    kind: DigestKind::Index,
                    index_digest: None,
                    platform: None,
                });
            }
            (Selection::Platform(p), true) => p,
        };
        let body = match body {
            Some(b) => b,
            None => self.get_manifest(&repo, t.insecure, &digest, &what)?.0.body,
        };
        let index: Value = serde_json::from_slice(&body).map_err(|e| {
            Failure::new(
                FailureKind::Protocol,
                format!("the index of {what} is not valid JSON: {e}"),
            )
        })?;
        let entries = index
            .get("manifests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut seen = BTreeSet::new();
        for e in &entries {
            let p = e.get("platform").cloned().unwrap_or(Value::Null);
            let (os, arch, variant) = (s(&p, "os"), s(&p, "architecture"), s(&p, "variant"));
            if platform.matches(&os, &arch, &variant) {
                let child = s(e, "digest");
                if !crate::image_ref::validate_digest_str(&child) {
                    return Err(Failure::new(
                        FailureKind::Protocol,
                        format!("the index of {what} lists {platform} with an invalid digest"),
                    ));
                }
                return Ok(Resolved {
                    digest: child,
                    kind: DigestKind::PlatformManifest,
                    index_digest: Some(digest),
                    platform: Some(platform.to_string()),
                });
            }
            if !os.is_empty() {
                let mut name = format!("{os}/{arch}");
                if !variant.is_empty() {
                    name.push('/');
                    name.push_str(&variant);
                }
                seen.insert(name);
            }
        }
        Err(Failure::new(
            FailureKind::NoPlatform,
            format!(
                "the index {what} ({digest}) has no {platform} image; it has: {}",
                if seen.is_empty() {
                    "no platforms".to_string()
                } else {
                    seen.into_iter().collect::<Vec<_>>().join(", ")
                }
            ),
        ))
    }

    /// Resolve many targets, `jobs` at a time. Results are in input order.
    pub fn resolve_all(&self, targets: &[Target]) -> Vec<Result<Resolved, Failure>> {
        let slots: Vec<Mutex<Option<Result<Resolved, Failure>>>> =
            targets.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let workers = self.opts.jobs.max(1).min(targets.len());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = targets.get(i) else { break };
                        let r = self.resolve(t);
                        *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                    }
                });
            }
        });
        slots
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .unwrap_or_else(|| Err(Failure::new(FailureKind::Network, "not attempted")))
            })
            .collect()
    }

    /// Every tag of the repository a pull spec names (`/tags/list`, following
    /// `Link` pages), sorted.
    pub fn list_tags(&self, pull_spec: &str, insecure: bool) -> Result<Vec<String>, Failure> {
        let r = ImageRef::parse(pull_spec).map_err(|e| {
            Failure::new(
                FailureKind::InvalidReference,
                format!("{pull_spec:?} is not a valid pull spec: {e}"),
            )
        })?;
        let repo = Repo::of(&r);
        let mut tags = BTreeSet::new();
        let mut path = format!("{}/tags/list?n=1000", repo.path);
        for _ in 0..1000 {
            let reply = self.send(&repo, insecure, "GET", &path)?;
            if reply.status != 200 {
                return Err(self.failure(
                    &repo,
                    &format!("the tags of {}", repo.display()),
                    &reply,
                ));
            }
            let v: Value = serde_json::from_slice(&reply.body).map_err(|e| {
                Failure::new(
                    FailureKind::Protocol,
                    format!("the tag list of {} is not valid JSON: {e}", repo.display()),
                )
            })?;
            for t in v
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(t) = t.as_str() {
                    tags.insert(t.to_string());
                }
            }
            // Link: </v2/<name>/tags/list?n=1000&last=x>; rel="next"
            match reply
                .link
                .as_deref()
                .and_then(|l| l.split(';').next())
                .map(|l| l.trim().trim_start_matches('<').trim_end_matches('>'))
                .and_then(|l| l.strip_prefix("/v2/"))
            {
                Some(next) => path = next.to_string(),
                None => break,
            }
        }
        Ok(tags.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        )
        .unwrap();
        assert_eq!(s, "bearer");
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:library/nginx:pull");
        let (s, p) = parse_challenge(r#"Basic realm="test \"realm\"""#).unwrap();
        assert_eq!(s, "basic");
        assert_eq!(p["realm"], "test \"realm\"");
        assert!(parse_challenge("  ").is_none());
    }

    #[test]
    fn retry_after_and_backoff() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let opts = Options {
            backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(5),
            ..Options::default()
        };
        assert_eq!(backoff(&opts, 1, None), Duration::from_millis(100));
        assert_eq!(backoff(&opts, 3, None), Duration::from_millis(400));
        assert_eq!(
            backoff(&opts, 2, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            backoff(&opts, 1, Some(Duration::from_secs(600))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn repositories() {
        let r = |s: &str| Repo::of(&ImageRef::parse(s).unwrap());
        let hub = r("nginx:1");
        assert_eq!(
            (hub.host.as_str(), hub.path.as_str()),
            ("registry-1.docker.io", "library/nginx")
        );
        assert_eq!(hub.display(), "docker.io/library/nginx");
        let q = r("quay.io/keycloak/keycloak:20");
        assert_eq!(
            (q.host.as_str(), q.path.as_str()),
            ("quay.io", "keycloak/keycloak")
        );
        let l = r("127.0.0.1:5000/a/b/c:1");
        assert_eq!(
            (l.host.as_str(), l.path.as_str()),
            ("127.0.0.1:5000", "a/b/c")
        );
        assert_eq!(r("docker.io/acme/web").path, "acme/web");
    }

    #[test]
    fn platforms() {
        let p = Platform::parse("linux/arm64").unwrap();
        assert!(p.matches("linux", "arm64", "v8"));
        assert!(p.matches("linux", "arm64", ""));
        let v8 = Platform::parse("linux/arm64/v8").unwrap();
        assert!(v8.matches("linux", "arm64", ""));
        assert!(
            !Platform::parse("linux/arm/v7")
                .unwrap()
                .matches("linux", "arm", "v6")
        );
        assert!(Platform::linux_amd64().matches("linux", "amd64", ""));
        assert!(!Platform::linux_amd64().matches("unknown", "unknown", ""));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v7").is_err());
        assert_eq!(v8.to_string(), "linux/arm64/v8");
    }

    #[test]
    fn messages_and_digests() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        assert_eq!(
            registry_message(404, body),
            "404 Not Found: manifest unknown (MANIFEST_UNKNOWN)"
        );
        assert_eq!(registry_message(418, b""), "418");
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_index(Some(
            "application/vnd.oci.image.index.v1+json; charset=utf-8"
        )));
        assert!(!is_index(Some(
            "application/vnd.oci.image.manifest.v1+json"
        )));
        assert_eq!(
            percent_encode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
