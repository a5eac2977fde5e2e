//! `import` against a real registry (Debian's `docker-registry`, the CNCF
//! distribution registry) on 127.0.0.1, with images built by umoci and pushed
//! by skopeo. Digests are compared with what `skopeo inspect` reports.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::registry_harness::Registry;
use crate::support::{read_tree, streampin};

/// A `streampin` command that sees no credentials but the ones a test gives:
/// HOME is `home`, and the other credential locations are unset.
pub fn cmd(dir: &Path, home: &Path) -> assert_cmd::Command {
    let mut c = streampin(dir);
    c.env("HOME", home)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR");
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(c: &mut assert_cmd::Command, args: &[&str]) -> Run {
    let out = c.args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The snapshot: tags from the registry at `addr`, an alias, and a reference.
fn snapshot(addr: &str) -> String {
    format!(
        r#"# ImageStream snapshot (oc get is -o yaml), trimmed
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  generation: 2
  name: app
  namespace: demo
  resourceVersion: "100"
spec:
  tags:
  - from:
      kind: DockerImage
      name: {addr}/demo/app:v1
    generation: 2
    importPolicy:
      insecure: true
      scheduled: true
    name: v1
    referencePolicy:
      type: Source
  - from:
      kind: ImageStreamTag
      name: v1
    name: current
  - from:
      kind: DockerImage
      name: {addr}/demo/multi:v1
    generation: 2
    importPolicy:
      importMode: Legacy
      insecure: true
    name: multi-legacy
  - from:
      kind: DockerImage
      name: {addr}/demo/multi:v1
    generation: 2
    importPolicy:
      importMode: PreserveOriginal
      insecure: true
    name: multi-original
  - from:
      kind: DockerImage
      name: {addr}/demo/app:v1
    name: pinned-by-hand
    reference: true
"#
    )
}

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"app:current"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"}]'
spec:
  template:
    spec:
      containers:
      - name: web
        image: placeholder # pinned by streampin
"#;

fn tree(addr: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("imagestreams")).unwrap();
    std::fs::create_dir_all(dir.path().join("apps")).unwrap();
    std::fs::write(dir.path().join("imagestreams/app.yaml"), snapshot(addr)).unwrap();
    std::fs::write(dir.path().join("apps/web.yaml"), DEPLOYMENT).unwrap();
    dir
}

/// The snapshot as written, read back with the library's parser.
fn stream(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("imagestreams/app.yaml")).unwrap();
    yaml_to_json(&text)
}

fn yaml_to_json(text: &str) -> Value {
    let docs = streampin::manifest::yaml::parse(text).unwrap();
    let d = &docs[0];
    d.resolve(&d.root).to_json(d)
}

fn items<'v>(s: &'v Value, tag: &str) -> &'v Vec<Value> {
    s["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == tag)
        .unwrap_or_else(|| panic!("no status for {tag}: {s:#}"))["items"]
        .as_array()
        .unwrap()
}

fn image(s: &Value, tag: &str) -> String {
    items(s, tag)[0]["image"].as_str().unwrap().to_string()
}

fn report_row<'v>(report: &'v Value, tag: &str) -> &'v Value {
    report["imports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tag"] == tag)
        .unwrap_or_else(|| panic!("no row for {tag}: {report:#}"))
}

#[test]
fn digests_match_skopeo_for_an_image_and_a_two_platform_index() {
    let reg = Registry::start();
    let addr = reg.addr().to_string();
    let single = reg.push_image("demo/app:v1", "one");
    let multi = reg.push_index("demo/multi:v1", "multi");
    assert_eq!(single, reg.inspect_digest("demo/app:v1"));
    assert_eq!(multi.index, reg.inspect_digest("demo/multi:v1"));

    let dir = tree(&addr);
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--format", "json", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let s = stream(dir.path());

    // The single-arch image: skopeo's digest, recorded as the API server does.
    assert_eq!(image(&s, "v1"), single);
    let e = &items(&s, "v1")[0];
    assert_eq!(
        e["dockerImageReference"],
        format!("{addr}/demo/app@{single}")
    );
    assert_eq!(e["created"], "2026-11-18T11:06:40Z");
    assert_eq!(e["generation"], 2);
    assert_eq!(report_row(&report, "v1")["digestKind"], "manifest");
    // The alias follows in the same write.
    assert_eq!(image(&s, "current"), single);
    assert_eq!(
        report_row(&report, "v1")["followers"],
        serde_json::json!(["current"])
    );

    // PreserveOriginal records the index; Legacy the linux/amd64 image in it.
    assert_eq!(image(&s, "multi-original"), multi.index);
    assert_eq!(report_row(&report, "multi-original")["digestKind"], "index");
    assert_eq!(image(&s, "multi-legacy"), multi.amd64);
    let legacy = report_row(&report, "multi-legacy");
    assert_eq!(legacy["digestKind"], "platform-manifest");
    assert_eq!(legacy["platform"], "linux/amd64");
    assert_eq!(legacy["indexDigest"], multi.index.as_str());
    assert_eq!(
        items(&s, "multi-legacy")[0]["dockerImageReference"],
        format!("{addr}/demo/multi@{}", multi.amd64)
    );
    // A reference tag is never imported.
    assert!(
        s["status"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["tag"] != "pinned-by-hand")
    );
    assert_eq!(report["summary"]["new"], 3);

    // --platform picks another image of the index (dry run: nothing written).
    let before = read_tree(dir.path());
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &[
            "import",
            "--dry-run",
            "--format",
            "json",
            "--platform",
            "linux/arm64/v8",
            ".",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        report_row(&report, "multi-legacy")["digest"],
        multi.arm64.as_str()
    );
    assert_eq!(report_row(&report, "multi-legacy")["result"], "updated");
    assert_eq!(report_row(&report, "multi-original")["result"], "unchanged");
    assert!(
        r.stderr.contains(&format!("+      image: {}", multi.arm64)),
        "{}",
        r.stderr
    );
    assert_eq!(before, read_tree(dir.path()), "a dry run writes nothing");

    // Only manifests were asked for (the access log names our user agent):
    // no blob, and one HEAD per distinct reference.
    let log = reg.log();
    let ours: Vec<&str> = log.lines().filter(|l| l.contains("\"streampin/")).collect();
    assert!(!ours.is_empty(), "{log}");
    assert!(ours.iter().all(|l| !l.contains("/blobs/")), "{ours:#?}");
    let heads = |path: &str| {
        ours.iter()
            .filter(|l| l.contains(&format!("\"HEAD /v2/{path} ")) && l.contains("\" 200 "))
            .count()
    };
    // First run and dry run: one successful HEAD each for app:v1 and multi:v1
    // (two tags share multi:v1 with different modes, one request per target).
    assert_eq!(heads("demo/app/manifests/v1"), 2, "{ours:#?}");
}

#[test]
fn a_new_push_moves_the_deployment_and_a_repeated_import_changes_nothing() {
    let reg = Registry::start();
    let addr = reg.addr().to_string();
    let first = reg.push_image("demo/app:v1", "first");
    reg.push_index("demo/multi:v1", "m");
    let dir = tree(&addr);
    let home = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let r = run(&mut cmd(dir.path(), home.path()), args);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r
    };
    ok(&["import", "."]);
    ok(&["apply", "."]);
    let web = std::fs::read_to_string(dir.path().join("apps/web.yaml")).unwrap();
    assert!(
        web.contains(&format!(
            "image: {addr}/demo/app@{first} # pinned by streampin"
        )),
        "{web}"
    );

    // The tag moves in the registry.
    let second = reg.push_image("demo/app:v1", "second");
    assert_ne!(first, second);
    assert_eq!(second, reg.inspect_digest("demo/app:v1"));
    let r = ok(&["import", "."]);
    assert!(r.stdout.contains("updated"), "{}", r.stdout);
    let s = stream(dir.path());
    let history = items(&s, "v1");
    assert_eq!(history.len(), 2, "the new event is prepended: {history:#?}");
    assert_eq!(history[0]["image"], second.as_str());
    assert_eq!(history[1]["image"], first.as_str());
    assert_eq!(image(&s, "current"), second);
    // check sees the stale pin, apply moves it.
    let r = run(&mut cmd(dir.path(), home.path()), &["check", "."]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    ok(&["apply", "."]);
    let web = std::fs::read_to_string(dir.path().join("apps/web.yaml")).unwrap();
    assert!(web.contains(&format!("{addr}/demo/app@{second}")), "{web}");

    // Nothing moved: nothing is written, and the report says so.
    let before = read_tree(dir.path());
    let r = ok(&["import", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["summary"]["unchanged"], 3, "{report:#}");
    assert_eq!(report["summary"]["files_changed"], 0);
    assert_eq!(before, read_tree(dir.path()));
}

#[test]
fn a_missing_tag_is_reported_and_the_other_tags_are_still_imported() {
    let reg = Registry::start();
    let addr = reg.addr().to_string();
    let digest = reg.push_image("demo/app:v1", "x");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("is.yaml"),
        format!(
            "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: demo\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: {addr}/demo/app:v1\n  - name: gone\n    from:\n      kind: DockerImage\n      name: {addr}/demo/app:no-such-tag\n  - name: nowhere\n    from:\n      kind: DockerImage\n      name: {addr}/demo/no-such-repo:v1\n"
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--insecure", "."],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "is.yaml:12:5: error[import-not-found] ImageStream demo/app: tag `demo/app:gone`: {addr}/demo/app:no-such-tag: the registry answered 404 Not Found: manifest unknown (MANIFEST_UNKNOWN)"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("is.yaml:16:5: error[import-not-found]")
            && r.stderr
                .contains("no-such-repo:v1: the registry answered 404"),
        "{}",
        r.stderr
    );
    let text = std::fs::read_to_string(dir.path().join("is.yaml")).unwrap();
    assert!(text.contains(&format!("image: {digest}")), "{text}");
    assert!(r.stdout.contains("failed"), "{}", r.stdout);
}

fn auth_tree(addr: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("is.yaml"),
        format!(
            "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: {addr}/private/app:v1\n    importPolicy:\n      insecure: true\n"
        ),
    )
    .unwrap();
    dir
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn basic_auth_credentials_come_from_config_json_and_never_show() {
    let reg = Registry::start_with_htpasswd("alice", "correct-horse");
    let addr = reg.addr().to_string();
    let digest = reg.push_image("private/app:v1", "secret stuff");
    let home = tempfile::tempdir().unwrap();
    let docker = tempfile::tempdir().unwrap();

    // No credentials: the registry's answer and where we looked.
    let dir = auth_tree(&addr);
    let r = run(&mut cmd(dir.path(), home.path()), &["import", "."]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error[import-unauthorized]")
            && r.stderr.contains("401 Unauthorized")
            && r.stderr.contains(&format!("no credentials for {addr}")),
        "{}",
        r.stderr
    );

    // A wrong password: refused, and neither it nor its base64 is printed.
    let wrong = "wr0ng-Pa55word";
    let config = docker.path().join("config.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"auths": {{"{addr}": {{"auth": "{}"}}}}}}"#,
            b64(&format!("alice:{wrong}"))
        ),
    )
    .unwrap();
    let r = run(
        cmd(dir.path(), home.path()).env("DOCKER_CONFIG", docker.path()),
        &["import", "--format", "json", "."],
    );
    assert_eq!(r.code, 1);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("import-unauthorized"), "{all}");
    assert!(all.contains(&config.display().to_string()), "{all}");
    for secret in [wrong.to_string(), b64(&format!("alice:{wrong}"))] {
        assert!(!all.contains(&secret), "secret printed: {all}");
    }
    let r = run(
        cmd(dir.path(), home.path()).env("DOCKER_CONFIG", docker.path()),
        &["import", "."],
    );
    assert!(!format!("{}{}", r.stdout, r.stderr).contains(wrong));

    // The right one, from $DOCKER_CONFIG/config.json.
    std::fs::write(
        &config,
        format!(
            r#"{{"auths": {{"{addr}": {{"auth": "{}"}}}}}}"#,
            b64("alice:correct-horse")
        ),
    )
    .unwrap();
    let r = run(
        cmd(dir.path(), home.path()).env("DOCKER_CONFIG", docker.path()),
        &["import", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!format!("{}{}", r.stdout, r.stderr).contains("correct-horse"));
    let text = std::fs::read_to_string(dir.path().join("is.yaml")).unwrap();
    assert!(text.contains(&format!("image: {digest}")), "{text}");

    // The same from $REGISTRY_AUTH_FILE, which comes first.
    let dir = auth_tree(&addr);
    let auth_file = docker.path().join("auth.json");
    std::fs::write(
        &auth_file,
        format!(
            r#"{{"auths": {{"{addr}": {{"auth": "{}"}}}}}}"#,
            b64("alice:correct-horse")
        ),
    )
    .unwrap();
    std::fs::write(&config, "{}").unwrap();
    let r = run(
        cmd(dir.path(), home.path())
            .env("REGISTRY_AUTH_FILE", &auth_file)
            .env("DOCKER_CONFIG", docker.path()),
        &["import", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_credential_helper_named_in_the_config_is_run() {
    let reg = Registry::start_with_htpasswd("bob", "helper-pass");
    let addr = reg.addr().to_string();
    let digest = reg.push_image("private/app:v1", "h");
    let home = tempfile::tempdir().unwrap();
    let docker = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let asked = bin.path().join("asked");
    let helper = bin.path().join("docker-credential-sptest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\ncat > '{}'\nprintf '{{\"ServerURL\":\"x\",\"Username\":\"bob\",\"Secret\":\"helper-pass\"}}'\n",
            asked.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        docker.path().join("config.json"),
        format!(r#"{{"credHelpers": {{"{addr}": "sptest"}}}}"#),
    )
    .unwrap();
    let dir = auth_tree(&addr);
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let r = run(
        cmd(dir.path(), home.path())
            .env("DOCKER_CONFIG", docker.path())
            .env("PATH", path),
        &["import", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&asked).unwrap(), addr);
    let text = std::fs::read_to_string(dir.path().join("is.yaml")).unwrap();
    assert!(text.contains(&format!("image: {digest}")), "{text}");
}

#[test]
fn scheduled_only_and_named_imports() {
    let reg = Registry::start();
    let addr = reg.addr().to_string();
    let v1 = reg.push_image("demo/app:v1", "a");
    let v2 = reg.push_image("demo/app:v2", "b");
    reg.push_index("demo/multi:v1", "m");
    let home = tempfile::tempdir().unwrap();

    // --scheduled-only: only v1 has importPolicy.scheduled.
    let dir = tree(&addr);
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--scheduled-only", "--format", "json", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let tags: Vec<&str> = report["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["v1"]);

    // NAME:TAG imports one tag; an alias is followed to its source.
    let dir = tree(&addr);
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "app:current", "-n", "demo", "-f", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = stream(dir.path());
    assert_eq!(image(&s, "v1"), v1);
    assert_eq!(image(&s, "current"), v1);
    assert!(
        s["status"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["tag"] != "multi-legacy")
    );

    // --from makes a new tag (spec and status), bumping the generation.
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &[
            "import",
            "app:v2",
            "--from",
            &format!("{addr}/demo/app:v2"),
            "--insecure",
            "-f",
            ".",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = stream(dir.path());
    assert_eq!(s["metadata"]["generation"], 3);
    let spec = s["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "v2")
        .unwrap();
    assert_eq!(spec["from"]["name"], format!("{addr}/demo/app:v2"));
    assert_eq!(spec["generation"], 3);
    assert_eq!(image(&s, "v2"), v2);
    assert_eq!(items(&s, "v2")[0]["generation"], 3);

    // oc's refusals.
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "app:v1", "--from", "quay.io/x/y:1", "-f", "."],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("use the 'tag' command"), "{}", r.stderr);
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "app:nope", "-f", "."],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("does not exist on the image stream"),
        "{}",
        r.stderr
    );
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "app:v1", "--all", "-f", "."],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("as well as --all"), "{}", r.stderr);

    // --all --from REPO --confirm: every tag of the repository.
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &[
            "import",
            "app",
            "--all",
            "--from",
            &format!("{addr}/demo/app"),
            "-f",
            ".",
        ],
    );
    assert_eq!(r.code, 2, "a new repository source needs --confirm");
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &[
            "import",
            "app",
            "--all",
            "--confirm",
            "--insecure",
            "--from",
            &format!("{addr}/demo/app"),
            "-f",
            ".",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = stream(dir.path());
    assert_eq!(
        s["spec"]["dockerImageRepository"],
        format!("{addr}/demo/app")
    );
    assert_eq!(image(&s, "v1"), v1);
    assert_eq!(image(&s, "v2"), v2);
}

/// A front for the registry that answers the first `fail` connections with
/// 503 and `Retry-After: 1`, then passes connections through.
fn flaky_front(registry: &str, fail: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let upstream = registry.to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut client) = conn else { break };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n < fail {
                let mut buf = [0u8; 4096];
                let _ = client.read(&mut buf);
                let _ = client.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let mut server = server;
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c2, &mut s2);
                let _ = s2.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (addr, seen)
}

#[test]
fn a_503_with_retry_after_is_waited_out_and_retried() {
    let reg = Registry::start();
    let digest = reg.push_image("demo/app:v1", "retry");
    // --insecure first tries HTTPS (without verification): that connection
    // fails too, then plain HTTP gets the 503, waits, and succeeds.
    let (front, seen) = flaky_front(reg.addr(), 2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("is.yaml"),
        format!(
            "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: {front}/demo/app:v1\n"
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--insecure", "."],
    );
    let took = started.elapsed();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.path().join("is.yaml")).unwrap();
    assert!(text.contains(&format!("image: {digest}")), "{text}");
    assert!(seen.load(Ordering::SeqCst) >= 3);
    assert!(
        took >= Duration::from_millis(900),
        "Retry-After: 1 was not waited: {took:?}"
    );

    // With no retries the 503 is the answer, reported as such.
    let (front, _) = flaky_front(reg.addr(), 100);
    std::fs::write(
        dir.path().join("is.yaml"),
        format!(
            "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: {front}/demo/app:v1\n"
        ),
    )
    .unwrap();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--insecure", "--retries", "0", "."],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error[import-failed]") && r.stderr.contains("503 Service Unavailable"),
        "{}",
        r.stderr
    );
}

/// The README's scheduled workflow on `fixtures/demo`, with the two scheduled
/// tags' repositories moved to the loopback registry: import, apply, and only
/// the workloads of the tags that moved change.
#[test]
fn the_demo_scheduled_import_and_apply_workflow() {
    let reg = Registry::start();
    let addr = reg.addr().to_string();
    let fluent = reg.push_image("fluent/fluent-bit:2.1", "fluent-bit 2.1.10");
    let postgres = reg.push_image("sclorg/postgresql-15-c9s:latest", "postgres 15.5");
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_tree(&crate::support::root().join("fixtures/demo"), dir.path());
    let list = dir.path().join("imagestreams/shared-list.yaml");
    let text = std::fs::read_to_string(&list)
        .unwrap()
        .replace("cr.fluentbit.io/", &format!("{addr}/"))
        .replace("quay.io/sclorg/", &format!("{addr}/sclorg/"));
    std::fs::write(&list, &text).unwrap();
    let home = tempfile::tempdir().unwrap();
    let before = read_tree(dir.path());

    let r = run(
        &mut cmd(dir.path(), home.path()),
        &[
            "import",
            "--scheduled-only",
            "--insecure",
            "--format",
            "json",
            ".",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let moved: Vec<String> = report["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |v: &Value| v.as_str().unwrap().to_string();
            format!(
                "{}:{} {}",
                s(&r["stream"]["name"]),
                s(&r["tag"]),
                s(&r["result"])
            )
        })
        .collect();
    assert_eq!(
        moved,
        ["fluent-bit:2.1 updated", "postgres:15 updated"],
        "only the scheduled tags, in file order"
    );
    let after_import = read_tree(dir.path());
    let changed: Vec<&String> = after_import
        .keys()
        .filter(|k| after_import[*k] != before[*k])
        .collect();
    assert_eq!(changed, ["imagestreams/shared-list.yaml"]);
    // The new events sit on top of the history, which stays.
    let new = String::from_utf8(after_import["imagestreams/shared-list.yaml"].clone()).unwrap();
    let old_list = String::from_utf8(before["imagestreams/shared-list.yaml"].clone()).unwrap();
    let event = format!(
        "      - created: \"2026-11-18T11:06:40Z\"\n        dockerImageReference: {addr}/fluent/fluent-bit@{fluent}\n        generation: 1\n        image: {fluent}\n      - created: \"2023-10-02T06:15:40Z\""
    );
    assert!(new.contains(&event), "{new}");
    assert_eq!(new.lines().count(), old_list.lines().count() + 8);

    let r = run(&mut cmd(dir.path(), home.path()), &["apply", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let multi = std::fs::read_to_string(dir.path().join("apps/iam/multi.yaml")).unwrap();
    assert!(
        multi.contains(&format!("{addr}/fluent/fluent-bit@{fluent}")),
        "{multi}"
    );
    // postgres:15 has the Local policy: the workload pulls through the
    // internal registry, at the new digest.
    let db = std::fs::read_to_string(dir.path().join("apps/db/statefulset.yaml")).unwrap();
    assert!(
        db.contains(&format!(
            "image-registry.openshift-image-registry.svc:5000/iam/postgres@{postgres}"
        )),
        "{db}"
    );
    // A second round changes nothing.
    let settled = read_tree(dir.path());
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--scheduled-only", "--insecure", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&mut cmd(dir.path(), home.path()), &["apply", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(settled, read_tree(dir.path()));
}

#[test]
fn import_mode_on_a_named_tag_changes_its_mode_and_what_is_recorded() {
    let reg = Registry::start();
    let addr = reg.addr().to_string();
    reg.push_image("demo/app:v1", "a");
    let multi = reg.push_index("demo/multi:v1", "m");
    let dir = tree(&addr);
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "app:multi-legacy", "-f", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(image(&stream(dir.path()), "multi-legacy"), multi.amd64);
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &[
            "import",
            "app:multi-legacy",
            "--import-mode",
            "PreserveOriginal",
            "-f",
            ".",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = stream(dir.path());
    let spec = s["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "multi-legacy")
        .unwrap();
    assert_eq!(spec["importPolicy"]["importMode"], "PreserveOriginal");
    assert_eq!(spec["generation"], 3);
    assert_eq!(s["metadata"]["generation"], 3);
    let history = items(&s, "multi-legacy");
    assert_eq!(history[0]["image"], multi.index.as_str());
    assert_eq!(history[0]["generation"], 3);
    assert_eq!(history[1]["image"], multi.amd64.as_str());
    // In a bulk import the tags' own modes rule: the flag is refused.
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--import-mode", "Legacy", "."],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--import-mode needs an image stream NAME"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_registry_that_never_answers_times_out_per_request() {
    // Accepts connections and reads, but never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("is.yaml"),
        format!(
            "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: {addr}/demo/app:v1\n"
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let before = read_tree(dir.path());
    let started = Instant::now();
    let r = run(
        &mut cmd(dir.path(), home.path()),
        &["import", "--timeout", "1", "--retries", "1", "."],
    );
    let took = started.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error[import-failed]") && r.stderr.contains("timeout"),
        "{}",
        r.stderr
    );
    // Two attempts of one second each, plus a short backoff; not a hang.
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_eq!(before, read_tree(dir.path()));
}
