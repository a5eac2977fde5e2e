//! Registry credentials, found where `podman` and `docker` keep them.
//!
//! Files are read in this order, and the first that knows the registry wins:
//! `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`. In a file,
//! `credHelpers.<host>` comes first, then `auths` (most specific key first:
//! `host/ns/repo`, then `host`, with or without `https://` and a path), then
//! `credsStore`. A helper is run as `docker-credential-<name> get` with the
//! host on stdin, as docker does.
//!
//! A secret never leaves this module in text: `Credential`'s `Debug` hides it,
//! and errors name files, hosts and helpers, never what they hold.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::Value;

/// What a registry accepts from us.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// User name and password (or token used as a password).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint.
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => {
                write!(f, "Basic {{ username: {username:?}, password: <hidden> }}")
            }
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<hidden>)"),
        }
    }
}

impl Credential {
    /// The `Authorization` header value for Basic auth.
    pub fn basic_header(&self) -> Option<String> {
        match self {
            Credential::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Credential::IdentityToken(_) => None,
        }
    }
}

/// Where a credential came from, for messages (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The credential.
    pub credential: Credential,
    /// `auths["host"] in FILE` or `credential helper docker-credential-NAME`.
    pub origin: String,
}

/// The environment the lookup reads, so that tests can give their own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `$REGISTRY_AUTH_FILE`.
    pub registry_auth_file: Option<PathBuf>,
    /// `$XDG_RUNTIME_DIR`.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `$DOCKER_CONFIG`.
    pub docker_config: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Env {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Env {
            registry_auth_file: var("REGISTRY_AUTH_FILE"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
            docker_config: var("DOCKER_CONFIG"),
            home: var("HOME"),
        }
    }

    /// The files to read, in order.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Some(f) = &self.registry_auth_file {
            out.push(f.clone());
        }
        if let Some(d) = &self.xdg_runtime_dir {
            out.push(d.join("containers/auth.json"));
        }
        if let Some(d) = &self.docker_config {
            out.push(d.join("config.json"));
        }
        if let Some(h) = &self.home {
            out.push(h.join(".docker/config.json"));
        }
        out
    }
}

/// The credential for `host` (as written in the pull spec, port included) and
/// repository `path`. `keys` are further names the host goes by (Docker Hub's
/// `https://index.docker.io/v1/`).
pub fn lookup(env: &Env, host: &str, path: &str, keys: &[&str]) -> Result<Option<Found>, String> {
    for file in env.files() {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
        };
        let config: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid JSON: {e}", file.display()))?;
        if let Some(found) = in_file(&config, &file, host, path, keys)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Normalise an `auths` key as docker does: drop the scheme and, for a bare
/// host, any path (`https://index.docker.io/v1/` is `index.docker.io`).
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"));
    match k {
        Some(rest) => rest.split('/').next().unwrap_or(rest).to_string(),
        None => key.trim_end_matches('/').to_string(),
    }
}

fn in_file(
    config: &Value,
    file: &Path,
    host: &str,
    path: &str,
    keys: &[&str],
) -> Result<Option<Found>, String> {
    let mut names: Vec<&str> = vec![host];
    names.extend_from_slice(keys);
    if let Some(helpers) = config.get("credHelpers").and_then(Value::as_object) {
        for n in &names {
            if let Some(helper) = helpers.get(*n).and_then(Value::as_str) {
                return helper_get(helper, n);
            }
        }
    }
    if let Some(auths) = config.get("auths").and_then(Value::as_object) {
        // Most specific first: host/ns/repo, host/ns, host; then the aliases.
        let mut wanted: Vec<String> = Vec::new();
        let mut p = format!("{host}/{path}");
        loop {
            wanted.push(p.clone());
            match p.rfind('/') {
                Some(i) if i >= host.len() => p.truncate(i),
                _ => break,
            }
        }
        wanted.extend(keys.iter().map(|k| normalize_key(k)));
        for w in &wanted {
            let entry = auths
                .iter()
                .find(|(k, _)| *k == w)
                .or_else(|| auths.iter().find(|(k, _)| normalize_key(k) == *w));
            if let Some((k, v)) = entry
                && let Some(c) = entry_credential(v, k, file)?
            {
                return Ok(Some(Found {
                    credential: c,
                    origin: format!("auths[{k:?}] in {}", file.display()),
                }));
            }
        }
    }
    if let Some(store) = config.get("credsStore").and_then(Value::as_str)
        && !store.is_empty()
    {
        return helper_get(store, keys.first().copied().unwrap_or(host));
    }
    Ok(None)
}

fn entry_credential(v: &Value, key: &str, file: &Path) -> Result<Option<Credential>, String> {
    if let Some(t) = v.get("identitytoken").and_then(Value::as_str)
        && !t.is_empty()
    {
        return Ok(Some(Credential::IdentityToken(t.to_string())));
    }
    if let Some(a) = v.get("auth").and_then(Value::as_str)
        && !a.is_empty()
    {
        let bad = || {
            format!(
                "auths[{key:?}].auth in {} is not base64 of user:password",
                file.display()
            )
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .map_err(|_| bad())?;
        let s = String::from_utf8(raw).map_err(|_| bad())?;
        let (u, p) = s.split_once(':').ok_or_else(bad)?;
        return Ok(Some(Credential::Basic {
            username: u.to_string(),
            password: p.to_string(),
        }));
    }
    let user = v.get("username").and_then(Value::as_str).unwrap_or("");
    let pass = v.get("password").and_then(Value::as_str).unwrap_or("");
    if !user.is_empty() {
        return Ok(Some(Credential::Basic {
            username: user.to_string(),
            password: pass.to_string(),
        }));
    }
    Ok(None)
}

/// Run `docker-credential-<helper> get`.
fn helper_get(helper: &str, server: &str) -> Result<Option<Found>, String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run credential helper {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is reported by its status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("credential helper {program} failed: {e}"))?;
    if !out.status.success() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        // The helper's own output is not echoed: it may hold a secret.
        return Err(format!(
            "credential helper {program} failed for {server} ({})",
            out.status
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| format!("credential helper {program} printed something that is not JSON"))?;
    let user = v.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = v.get("Secret").and_then(Value::as_str).unwrap_or("");
    let credential = if user == "<token>" {
        Credential::IdentityToken(secret.to_string())
    } else {
        Credential::Basic {
            username: user.to_string(),
            password: secret.to_string(),
        }
    };
    Ok(Some(Found {
        credential,
        origin: format!("credential helper {program}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn basic(u: &str, p: &str) -> Credential {
        Credential::Basic {
            username: u.into(),
            password: p.into(),
        }
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn most_specific_auths_key_wins() {
        let c = json!({"auths": {
            "quay.io": {"auth": b64("all:one")},
            "quay.io/acme": {"auth": b64("acme:two")},
            "https://example.com/v1/": {"auth": b64("ex:three")},
        }});
        let f = Path::new("auth.json");
        let get = |h: &str, p: &str| in_file(&c, f, h, p, &[]).unwrap().unwrap().credential;
        assert_eq!(get("quay.io", "acme/web"), basic("acme", "two"));
        assert_eq!(get("quay.io", "other/web"), basic("all", "one"));
        assert_eq!(get("example.com", "x/y"), basic("ex", "three"));
        assert!(in_file(&c, f, "ghcr.io", "a/b", &[]).unwrap().is_none());
    }

    #[test]
    fn docker_hub_aliases_and_identity_tokens() {
        let c = json!({"auths": {"https://index.docker.io/v1/": {"identitytoken": "tok"}}});
        let f = Path::new("config.json");
        let found = in_file(
            &c,
            f,
            "docker.io",
            "library/nginx",
            &["https://index.docker.io/v1/"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(found.credential, Credential::IdentityToken("tok".into()));
    }

    #[test]
    fn bad_auth_field_names_the_file_not_the_secret() {
        let c = json!({"auths": {"r.io": {"auth": "not base64 !!"}}});
        let e = in_file(&c, Path::new("/x/config.json"), "r.io", "a", &[]).unwrap_err();
        assert!(e.contains("/x/config.json"), "{e}");
        assert!(!e.contains("not base64 !!"), "{e}");
    }

    #[test]
    fn debug_hides_secrets() {
        let s = format!("{:?}", basic("u", "hunter2"));
        assert!(!s.contains("hunter2"), "{s}");
        assert!(!format!("{:?}", Credential::IdentityToken("t0k".into())).contains("t0k"));
    }

    #[test]
    fn files_are_read_in_order() {
        let env = Env {
            registry_auth_file: Some("/a.json".into()),
            xdg_runtime_dir: Some("/run/u".into()),
            docker_config: Some("/dc".into()),
            home: Some("/h".into()),
        };
        let files: Vec<String> = env
            .files()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            files,
            [
                "/a.json",
                "/run/u/containers/auth.json",
                "/dc/config.json",
                "/h/.docker/config.json"
            ]
        );
    }
}
