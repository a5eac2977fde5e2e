//! `import` against a registry with distribution's token auth: the registry
//! answers `WWW-Authenticate: Bearer realm=…,service=…`, and the token server
//! of the harness (a JWT issuer on 127.0.0.1) hands out the tokens. These
//! tests show the bearer flow end to end: the token request streampin makes,
//! credentials reaching the token service, and what is reported when the
//! token service refuses them.

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::import::{cmd, run};
use crate::registry_harness::{Registry, TOKEN_SERVICE, TokenRequest, TokenServer};
use crate::support::codes;

/// A tree with one snapshot whose tag `v1` follows `<addr>/<repo>:v1`.
fn tree(addr: &str, repo: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("is.yaml"),
        format!(
            "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: demo\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: {addr}/{repo}:v1\n"
        ),
    )
    .unwrap();
    dir
}

/// The images `status.tags[v1]` records, newest first, read back with the
/// library's parser.
fn recorded(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("is.yaml")).unwrap();
    let docs = streampin::manifest::yaml::parse(&text).unwrap();
    let d = &docs[0];
    let s = d.resolve(&d.root).to_json(d);
    let Some(tags) = s["status"]["tags"].as_array() else {
        return Vec::new();
    };
    tags.iter()
        .filter(|t| t["tag"] == "v1")
        .flat_map(|t| t["items"].as_array().cloned().unwrap_or_default())
        .map(|i| i["image"].as_str().unwrap().to_string())
        .collect()
}

/// The token requests streampin made, after the first `skip`.
fn ours(tokens: &TokenServer, skip: usize) -> Vec<TokenRequest> {
    tokens
        .requests()
        .into_iter()
        .skip(skip)
        .filter(|r| r.sent_by("streampin/"))
        .collect()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn an_anonymous_bearer_token_is_fetched_and_used() {
    let (reg, tokens) = Registry::start_with_token_auth();
    let addr = reg.addr().to_string();
    let pushed = reg.push_image("demo/app:v1", "bearer");
    let digest = reg.inspect_digest("demo/app:v1");
    assert_eq!(pushed, digest);
    let before = tokens.requests().len();

    let dir = tree(&addr, "demo/app");
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--insecure", "."],
    );
    // The registry's log says why it refused a token, if it did.
    assert_eq!(r.code, 0, "{}{}\n{}", r.stdout, r.stderr, reg.log());
    assert_eq!(recorded(dir.path()), std::slice::from_ref(&digest));

    // One token, asked for the pull scope of the repository and the service
    // of the challenge, without credentials.
    let asked = ours(&tokens, before);
    assert_eq!(asked.len(), 1, "{asked:#?}");
    let t = &asked[0];
    assert_eq!(t.method, "GET");
    assert_eq!(t.path(), "/token");
    assert_eq!(t.query("scope"), ["repository:demo/app:pull"], "{t:?}");
    assert_eq!(t.query("service"), [TOKEN_SERVICE], "{t:?}");
    assert_eq!(t.authorization, None);
    assert_eq!(t.status, 200);

    // The registry saw the anonymous HEAD refused, then the one with the
    // token accepted.
    let log = reg.log();
    let heads: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"streampin/") && l.contains("\"HEAD /v2/demo/app/manifests/v1 "))
        .collect();
    let refused = heads.iter().position(|l| l.contains(" HTTP/1.1\" 401 "));
    let accepted = heads.iter().position(|l| l.contains(" HTTP/1.1\" 200 "));
    assert!(
        matches!((refused, accepted), (Some(a), Some(b)) if a < b),
        "no 401 then 200 for our HEAD in:\n{log}"
    );
    assert_eq!(heads.len(), 2, "{heads:#?}");
    assert!(
        log.lines()
            .filter(|l| l.contains("\"streampin/"))
            .all(|l| !l.contains("/blobs/")),
        "{log}"
    );

    // A token service that answers with the OAuth2 name `access_token` alone
    // will do as well: the tag moves, and the next import follows it.
    let moved = reg.push_image("demo/app:v1", "moved");
    assert_ne!(moved, digest);
    tokens.answer_access_token_only();
    let before = tokens.requests().len();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--insecure", "."],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(recorded(dir.path()), [moved, digest]);
    let asked = ours(&tokens, before);
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert_eq!(asked[0].status, 200);
}

#[test]
fn credentials_reach_the_token_service_and_a_refusal_shows_no_secret() {
    let (reg, tokens) = Registry::start_with_token_auth_requiring("carol", "tok-pass");
    let addr = reg.addr().to_string();
    let digest = reg.push_image("private/app:v1", "carol's");
    let home = tempfile::tempdir().unwrap();
    let docker = tempfile::tempdir().unwrap();
    let config = docker.path().join("config.json");
    let write_config = |user_pass: &str| {
        std::fs::write(
            &config,
            format!(
                r#"{{"auths": {{"{addr}": {{"auth": "{}"}}}}}}"#,
                b64(user_pass)
            ),
        )
        .unwrap();
    };
    let token_service = format!("the token service {}", tokens.addr());

    // No credentials: the token service's refusal, reported as such.
    let dir = tree(&addr, "private/app");
    let before = tokens.requests().len();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--insecure", "."],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("error[import-unauthorized]")
            && r.stderr
                .contains(&format!("{token_service} answered 401 Unauthorized"))
            && r.stderr.contains("without credentials"),
        "{}",
        r.stderr
    );
    let asked = ours(&tokens, before);
    assert!(
        !asked.is_empty() && asked.iter().all(|t| t.authorization.is_none()),
        "{asked:#?}"
    );
    assert_eq!(recorded(dir.path()), Vec::<String>::new());

    // A wrong password: sent, refused, and neither it nor its base64 shows.
    let wrong = "n0t-the-Tok-pass";
    write_config(&format!("carol:{wrong}"));
    let before = tokens.requests().len();
    let r = run(
        cmd(dir.path(), home.path()).env("DOCKER_CONFIG", docker.path()),
        &["import", "--insecure", "."],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("is.yaml:8:5: error[import-unauthorized]")
            && r.stderr
                .contains(&format!("{token_service} answered 401 Unauthorized"))
            && r.stderr.contains(&config.display().to_string()),
        "{}",
        r.stderr
    );
    let r_json = run(
        cmd(dir.path(), home.path()).env("DOCKER_CONFIG", docker.path()),
        &["import", "--insecure", "--format", "json", "."],
    );
    assert_eq!(r_json.code, 1, "{}", r_json.stderr);
    let report: Value = serde_json::from_str(&r_json.stdout).unwrap();
    assert_eq!(codes(&report), ["import-unauthorized"], "{report:#}");
    let sent = format!("Basic {}", b64(&format!("carol:{wrong}")));
    let asked = ours(&tokens, before);
    assert!(
        !asked.is_empty()
            && asked
                .iter()
                .all(|t| t.authorization.as_ref() == Some(&sent) && t.status == 401),
        "{asked:#?}"
    );
    for out in [&r, &r_json] {
        let all = format!("{}{}", out.stdout, out.stderr);
        for secret in [wrong.to_string(), b64(&format!("carol:{wrong}"))] {
            assert!(!all.contains(&secret), "secret printed: {all}");
        }
    }
    assert_eq!(recorded(dir.path()), Vec::<String>::new());

    // The right password: the token service gets it, and the tag is imported.
    write_config("carol:tok-pass");
    let before = tokens.requests().len();
    let r = run(
        cmd(dir.path(), home.path()).env("DOCKER_CONFIG", docker.path()),
        &["import", "--insecure", "."],
    );
    assert_eq!(r.code, 0, "{}{}\n{}", r.stdout, r.stderr, reg.log());
    assert!(
        !format!("{}{}", r.stdout, r.stderr).contains("tok-pass"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(recorded(dir.path()), [digest]);
    let asked = ours(&tokens, before);
    let right = format!("Basic {}", b64("carol:tok-pass"));
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert_eq!(asked[0].authorization.as_ref(), Some(&right));
    assert_eq!(asked[0].query("scope"), ["repository:private/app:pull"]);
    assert_eq!(asked[0].query("service"), [TOKEN_SERVICE]);
    assert_eq!(asked[0].status, 200);
}
