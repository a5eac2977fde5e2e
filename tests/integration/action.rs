//! The composite GitHub Action (`action.yml`), run for real: each step's
//! `run` script goes to `bash` as the runner gives it (`bash --noprofile
//! --norc -eo pipefail FILE`), with the step's `env:` after the `${{ }}`
//! expressions in it are filled in, and the runner's files (`GITHUB_OUTPUT` per
//! step, `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`). `STREAMPIN_BIN` points at a
//! wrapper around the test binary that logs every call, so nothing is built and
//! the tests can count the runs and see each argument as streampin got it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{copy_tree, read_tree, root, run_ok};

fn yaml_to_json(text: &str) -> Value {
    let docs = streampin::manifest::yaml::parse(text).unwrap();
    let d = &docs[0];
    d.resolve(&d.root).to_json(d)
}

fn action() -> Value {
    yaml_to_json(&std::fs::read_to_string(root().join("action.yml")).unwrap())
}

/// The files the demo's rollout changes, as the action lists them.
const DEMO_CHANGED: [&str; 7] = [
    "apps/db/statefulset.yaml",
    "apps/iam/admin-cli.yaml",
    "apps/iam/keycloak-backup-cronjob.yaml",
    "apps/iam/keycloak-deployment.yaml",
    "apps/iam/keycloak-legacy-dc.yaml",
    "apps/iam/multi.yaml",
    "apps/iam/odd-formatting.yaml",
];

/// Replace every `${{ expr }}` in `text`; an expression the test does not
/// know fails the test, so that a new one in `action.yml` gets a value here.
fn expand(text: &str, ctx: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unterminated ${{") + start;
        let expr = rest[start + 3..end].trim();
        let value = ctx
            .get(expr)
            .cloned()
            .or_else(|| expr.starts_with("steps.").then(String::new))
            .unwrap_or_else(|| panic!("the test knows no value for `${{{{ {expr} }}}}`"));
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A `GITHUB_OUTPUT` file, read as the runner reads it: `name=value` lines and
/// `name<<DELIMITER` blocks.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.split('\n');
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let (name, delim) = (&line[..h], &line[h + 2..]);
                let mut value = Vec::new();
                loop {
                    let l = lines
                        .next()
                        .unwrap_or_else(|| panic!("output {name}: no closing {delim}"));
                    if l == delim {
                        break;
                    }
                    value.push(l);
                }
                out.insert(name.to_string(), value.join("\n"));
            }
            _ => panic!("not an output line: {line:?}"),
        }
    }
    out
}

/// What one run of the action left behind.
struct Outcome {
    /// 0 when every step passed, else the failing step's exit status.
    code: i32,
    stdout: String,
    stderr: String,
    /// The action's outputs, from its `outputs:` section.
    outputs: BTreeMap<String, String>,
    /// Each step's outputs, by step id.
    steps: BTreeMap<String, BTreeMap<String, String>>,
    summary: String,
    /// Every streampin call but `--version`, each as the arguments it got.
    calls: Vec<Vec<String>>,
}

impl Outcome {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.outputs))
    }

    fn changed_files(&self) -> Vec<&str> {
        self.output("changed-files")
            .lines()
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn report(&self) -> Value {
        let path = Path::new(self.output("report"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Each call as `COMMAND FORMAT`.
    fn commands(&self) -> Vec<String> {
        self.calls
            .iter()
            .map(|c| {
                let format = c
                    .iter()
                    .position(|a| a == "--format")
                    .map_or("", |i| c[i + 1].as_str());
                format!("{} {format}", c[0])
            })
            .collect()
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}\n--- outputs {:?}\n--- calls {:?}",
            self.code, self.stdout, self.stderr, self.steps, self.calls
        )
    }
}

/// A runner for the action: the temporary directories of one job.
struct Runner {
    tmp: tempfile::TempDir,
    workspace: PathBuf,
    inputs: Vec<(String, String)>,
    /// `STREAMPIN_BIN`: the logging wrapper, unless a test turns it off.
    use_bin: bool,
    /// Run the steps up to and including this one.
    until: Option<String>,
    path: String,
}

impl Runner {
    /// A job whose workspace is a copy of `fixture`.
    fn new(fixture: &Path) -> Runner {
        let jq = Command::new("jq").arg("--version").output();
        assert!(
            jq.is_ok_and(|o| o.status.success()),
            "the action needs jq (every GitHub-hosted runner has it): install it (apt-get install jq)"
        );
        let tmp = tempfile::tempdir().unwrap();
        let workspace = tmp.path().join("workspace");
        copy_tree(fixture, &workspace);
        for d in ["runner-temp", "tool-cache", "fake-bin"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        let wrapper = tmp.path().join("fake-bin/streampin-wrapper");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\037' \"$a\"; done >> '{log}'\n\
                 printf '\\036' >> '{log}'\nexec '{real}' \"$@\"\n",
                log = tmp.path().join("calls").display(),
                real = assert_cmd::cargo::cargo_bin("streampin").display(),
            ),
        )
        .unwrap();
        make_executable(&wrapper);
        Runner {
            workspace,
            inputs: Vec::new(),
            use_bin: true,
            until: None,
            path: std::env::var("PATH").unwrap_or_default(),
            tmp,
        }
    }

    fn input(mut self, name: &str, value: &str) -> Runner {
        self.inputs.push((name.into(), value.into()));
        self
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn run(&self) -> Outcome {
        let action = action();
        let mut ctx = BTreeMap::new();
        for (name, spec) in action["inputs"].as_object().unwrap() {
            let default = spec["default"].as_str().unwrap_or("");
            ctx.insert(format!("inputs.{name}"), default.to_string());
        }
        for (name, value) in &self.inputs {
            let key = format!("inputs.{name}");
            assert!(ctx.contains_key(&key), "action.yml has no input {name}");
            ctx.insert(key, value.clone());
        }
        let action_path = root();
        ctx.insert(
            "github.action_path".into(),
            action_path.display().to_string(),
        );
        ctx.insert(
            "github.action_repository".into(),
            "example/streampin".into(),
        );
        let runner_temp = self.dir("runner-temp");
        ctx.insert("runner.temp".into(), runner_temp.display().to_string());
        let summary_path = self.dir("step-summary.md");
        std::fs::write(&summary_path, "").unwrap();

        let mut out = Outcome {
            code: 0,
            stdout: String::new(),
            stderr: String::new(),
            outputs: BTreeMap::new(),
            steps: BTreeMap::new(),
            summary: String::new(),
            calls: Vec::new(),
        };
        for (i, step) in action["runs"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert!(step.get("if").is_none(), "the test runs no `if:`");
            let id = step["id"].as_str().unwrap_or("").to_string();
            let script = self.dir(&format!("step-{i}.sh"));
            std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
            let output_file = self.dir(&format!("output-{i}"));
            std::fs::write(&output_file, "").unwrap();
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(&self.workspace)
                .env_clear()
                .env("PATH", &self.path)
                .env("HOME", self.dir("home"))
                .env("GITHUB_ACTION_PATH", &action_path)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary_path)
                .env("RUNNER_TEMP", &runner_temp)
                .env("RUNNER_TOOL_CACHE", self.dir("tool-cache"));
            if self.use_bin {
                cmd.env("STREAMPIN_BIN", self.dir("fake-bin/streampin-wrapper"));
            }
            if let Some(env) = step["env"].as_object() {
                for (k, v) in env {
                    cmd.env(k, expand(v.as_str().unwrap(), &ctx));
                }
            }
            let o = cmd.output().unwrap();
            out.stdout.push_str(&String::from_utf8(o.stdout).unwrap());
            out.stderr.push_str(&String::from_utf8(o.stderr).unwrap());
            let outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
            for (k, v) in &outputs {
                ctx.insert(format!("steps.{id}.outputs.{k}"), v.clone());
            }
            out.steps.insert(id.clone(), outputs);
            out.code = o.status.code().unwrap_or(-1);
            if out.code != 0 || self.until.as_deref() == Some(id.as_str()) {
                break;
            }
        }
        for (name, spec) in action["outputs"].as_object().unwrap() {
            let value = expand(spec["value"].as_str().unwrap(), &ctx);
            out.outputs.insert(name.clone(), value);
        }
        out.summary = std::fs::read_to_string(&summary_path).unwrap();
        let calls = std::fs::read_to_string(self.dir("calls")).unwrap_or_default();
        out.calls = calls
            .split('\x1e')
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.strip_suffix('\x1f')
                    .unwrap_or(c)
                    .split('\x1f')
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .filter(|c| c != &["--version"])
            .collect();
        self.assert_not_pwned();
        out
    }

    /// No file named `pwned` anywhere an injected `touch pwned` could have made one.
    fn assert_not_pwned(&self) {
        fn walk(dir: &Path) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                assert!(
                    !entry.file_name().to_string_lossy().contains("pwned"),
                    "an input was evaluated: {} exists",
                    entry.path().display()
                );
                if entry.file_type().unwrap().is_dir() {
                    walk(&entry.path());
                }
            }
        }
        walk(self.tmp.path());
        assert!(!root().join("pwned").exists(), "an input was evaluated");
        assert!(!Path::new("pwned").exists(), "an input was evaluated");
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn demo() -> PathBuf {
    root().join("fixtures/demo")
}

#[test]
fn action_yml_passes_inputs_only_through_env() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut env_text = String::new();
    for step in steps {
        let run = step["run"].as_str().unwrap();
        assert!(
            !run.contains("${{"),
            "a `run:` script of step {} holds an expression; pass it through `env:`",
            step["id"]
        );
        assert_eq!(step["shell"], "bash");
        assert!(run.starts_with("set -euo pipefail\n"), "{}", step["id"]);
        assert!(!run.contains("eval"), "{}", step["id"]);
        for v in step["env"].as_object().unwrap().values() {
            env_text.push_str(v.as_str().unwrap());
            env_text.push('\n');
        }
    }
    for name in action["inputs"].as_object().unwrap().keys() {
        assert!(
            env_text.contains(&format!("${{{{ inputs.{name} }}}}")),
            "input {name} reaches no step"
        );
    }
    for name in ["changed", "changed-files", "report"] {
        assert!(action["outputs"][name]["value"].is_string(), "{name}");
    }
}

#[test]
fn check_on_a_drifting_tree_fails_with_annotations_summary_and_report() {
    let runner = Runner::new(&demo());
    let before = read_tree(&runner.workspace);
    let out = runner.run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.output("changed"), "true");
    assert_eq!(out.output("exit-code"), "1");
    assert_eq!(out.changed_files(), DEMO_CHANGED);

    let report_path = PathBuf::from(out.output("report"));
    assert!(
        report_path.starts_with(runner.dir("runner-temp")),
        "{out:?}"
    );
    let report = out.report();
    assert_eq!(report["version"], 1);
    assert_eq!(report["changes"].as_array().unwrap().len(), 8);
    assert_eq!(report["summary"]["changes"], 8);
    assert_eq!(report["summary"]["files_changed"], 7);

    for (file, line) in [
        ("apps/iam/keycloak-deployment.yaml", 28),
        ("apps/db/statefulset.yaml", 26),
        ("apps/iam/multi.yaml", 54),
    ] {
        let prefix = format!("::error file={file},line={line},");
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains("title=streampin stale image::")),
            "no {prefix}: {out:?}"
        );
    }
    assert!(out.stdout.contains("8 image(s) out of date in 7 file(s)"));
    assert!(
        out.summary.contains("### streampin check"),
        "{}",
        out.summary
    );
    assert!(
        out.summary
            .contains("8 images out of date, 7 files to change.")
    );
    assert!(
        out.summary
            .contains("| object | container | trigger | now | pinned |")
    );
    assert!(out.summary.contains("```diff\n"), "{}", out.summary);
    // One annotated run, one for the report; nothing written.
    assert_eq!(out.commands(), ["check github", "check json"]);
    assert_eq!(out.calls[0], ["check", "--format", "github", "--", "."]);
    assert_eq!(before, read_tree(&runner.workspace));
}

#[test]
fn check_on_a_current_tree_passes() {
    let runner = Runner::new(&demo());
    run_ok(&runner.workspace, &["apply"]);
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.output("changed"), "false");
    assert_eq!(out.output("changed-files"), "");
    assert_eq!(out.output("exit-code"), "0");
    assert_eq!(out.report()["changes"], serde_json::json!([]));
    assert!(!out.stdout.contains("::error"), "{out:?}");
    assert!(
        out.summary.contains("Every pinned image is current."),
        "{}",
        out.summary
    );
}

#[test]
fn apply_rewrites_once_and_reports_what_changed() {
    let runner = Runner::new(&demo()).input("mode", "apply");
    let expected = {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&demo(), dir.path());
        run_ok(dir.path(), &["apply"]);
        read_tree(dir.path())
    };
    assert_ne!(read_tree(&runner.workspace), expected);
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(read_tree(&runner.workspace), expected);
    assert_eq!(out.output("changed"), "true");
    assert_eq!(out.changed_files(), DEMO_CHANGED);
    assert_eq!(out.report()["summary"]["changes"], 8);
    // The report is computed before the write, and apply runs exactly once.
    assert_eq!(out.commands(), ["diff json", "apply github"]);
    assert!(
        out.stdout.contains(
            "::notice file=apps/iam/keycloak-deployment.yaml,line=28,col=16,title=streampin stale image::"
        ),
        "{out:?}"
    );
    assert!(
        out.summary.contains("### streampin apply"),
        "{}",
        out.summary
    );
    assert!(out.summary.contains("8 images rewritten, 7 files written."));

    // Again: nothing left to do.
    let again = runner.run();
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.output("changed"), "false");
    assert_eq!(again.output("changed-files"), "");
    assert_eq!(read_tree(&runner.workspace), expected);
}

#[test]
fn diff_reports_without_failing_or_writing() {
    let runner = Runner::new(&demo()).input("mode", "diff");
    let before = read_tree(&runner.workspace);
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.output("changed"), "true");
    assert_eq!(out.changed_files(), DEMO_CHANGED);
    assert_eq!(out.commands(), ["diff github", "diff json"]);
    assert!(out.summary.contains("### streampin diff"));
    assert_eq!(before, read_tree(&runner.workspace));
}

#[test]
fn json_format_runs_once_and_is_the_report() {
    let runner = Runner::new(&demo())
        .input("format", "json")
        .input("paths", "apps/iam\n  apps/db ")
        .input("snapshots", "imagestreams");
    let out = runner.run();
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.calls,
        [[
            "check",
            "--format",
            "json",
            "--snapshots=imagestreams",
            "--",
            "apps/iam",
            "apps/db"
        ]]
    );
    assert_eq!(out.report()["summary"]["changes"], 8);
    assert!(out.stdout.contains("\"files_changed\": 7"), "{out:?}");
    assert_eq!(out.summary, "", "only --format github writes a summary");
}

#[test]
fn inputs_reach_streampin_literally() {
    let namespace = "a\"b$(touch pwned)`touch pwned`";
    let args = "--exclude=$(touch${IFS}pwned)\" --exclude=*.json";
    let runner = Runner::new(&root().join("tests/fixtures/action/no-namespace"))
        .input("mode", "diff")
        .input("paths", "deploy.yaml")
        .input("snapshots", "snapshots")
        .input("namespace", namespace)
        .input("args", args);
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    let namespace_flag = format!("--namespace={namespace}");
    assert_eq!(
        out.calls[0],
        [
            "diff",
            "--format",
            "github",
            "--snapshots=snapshots",
            namespace_flag.as_str(),
            "--exclude=$(touch${IFS}pwned)\"",
            "--exclude=*.json",
            "--",
            "deploy.yaml"
        ]
    );
    // The namespace came from the flag, byte for byte, and resolved the trigger.
    let report = out.report();
    let change = &report["changes"][0];
    assert_eq!(change["object"]["namespace"], namespace);
    assert_eq!(change["namespaceSource"]["from"], "flag");
    assert_eq!(out.changed_files(), ["deploy.yaml"]);
    assert!(
        out.summary
            .contains(&format!("Deployment {namespace}/web (deploy.yaml:19)")),
        "{}",
        out.summary
    );
}

#[test]
fn a_hostile_path_is_a_path_and_exit_2_fails_the_step() {
    let runner = Runner::new(&root().join("tests/fixtures/action/no-namespace"))
        .input("paths", "deploy.yaml\n$(touch${IFS}pwned)\"q");
    let out = runner.run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("path `$(touch${IFS}pwned)\"q` does not exist"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("::error title=streampin action::streampin check exited 2"),
        "{out:?}"
    );
    assert_eq!(out.output("exit-code"), "2");
    assert_eq!(out.calls.len(), 1, "no report run after exit 2: {out:?}");
}

#[test]
fn a_bad_mode_is_refused_before_streampin_runs() {
    let runner = Runner::new(&demo()).input("mode", "nope$(touch pwned)\n::warning::x");
    let out = runner.run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout
            .contains("::error title=streampin action::input mode must be check, diff or apply"),
        "{out:?}"
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("::warning")),
        "an input became a workflow command: {out:?}"
    );
    assert!(out.calls.is_empty(), "{out:?}");
}

/// A directory for `PATH` with a `cargo` that fails the test when called, and
/// the system's directories (not the developer's, which may hold a streampin).
fn no_cargo_path(runner: &Runner) -> String {
    let cargo = runner.dir("fake-bin/cargo");
    std::fs::write(&cargo, "#!/bin/sh\necho 'cargo was called' >&2\nexit 97\n").unwrap();
    make_executable(&cargo);
    format!("{}:/usr/bin:/bin", runner.dir("fake-bin").display())
}

#[test]
fn install_uses_a_binary_of_the_same_version_on_path() {
    let mut runner = Runner::new(&demo());
    runner.use_bin = false;
    runner.until = Some("install".into());
    runner.path = no_cargo_path(&runner);
    let onpath = runner.dir("fake-bin/streampin");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("streampin"), &onpath).unwrap();
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.steps["install"]["bin"], onpath.display().to_string());
}

#[test]
fn install_uses_the_cached_build_and_builds_otherwise() {
    let mut runner = Runner::new(&demo());
    runner.use_bin = false;
    runner.until = Some("install".into());
    runner.path = no_cargo_path(&runner);
    // No binary anywhere: it builds, with cargo install --locked into the cache.
    let out = runner.run();
    assert_eq!(out.code, 97, "{out:?}");
    assert!(out.stderr.contains("cargo was called"), "{out:?}");

    let cached = runner.dir(&format!(
        "tool-cache/streampin/{}-source/bin",
        env!("CARGO_PKG_VERSION")
    ));
    std::fs::create_dir_all(&cached).unwrap();
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin("streampin"),
        cached.join("streampin"),
    )
    .unwrap();
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.steps["install"]["bin"],
        cached.join("streampin").display().to_string()
    );
}

/// The release asset name for this machine, as the install step spells it.
fn release_target() -> String {
    let os = match std::env::consts::OS {
        "linux" => "unknown-linux-musl",
        "macos" => "apple-darwin",
        other => panic!("no release target for {other}"),
    };
    format!("{}-{os}", std::env::consts::ARCH)
}

/// A runner whose `curl` serves files from `releases/` by their last path
/// segment and logs each URL.
fn release_runner() -> Runner {
    let mut runner = Runner::new(&demo()).input("version", "v9.9.9");
    runner.use_bin = false;
    runner.until = Some("install".into());
    runner.path = no_cargo_path(&runner);
    let releases = runner.dir("releases");
    std::fs::create_dir_all(releases.join("pkg")).unwrap();
    let curl = runner.dir("fake-bin/curl");
    std::fs::write(
        &curl,
        format!(
            "#!/bin/bash\nout=\nwhile [ $# -gt 1 ]; do\n  case $1 in -o) out=$2; shift 2 ;; *) shift ;; esac\n\
             done\necho \"$1\" >> '{log}'\ncp '{releases}'/\"${{1##*/}}\" \"$out\"\n",
            log = runner.dir("curl.log").display(),
            releases = releases.display(),
        ),
    )
    .unwrap();
    make_executable(&curl);
    let bin = releases.join("pkg/streampin");
    std::fs::write(&bin, "#!/bin/sh\necho 'streampin 9.9.9'\n").unwrap();
    make_executable(&bin);
    let asset = format!("streampin-v9.9.9-{}.tar.gz", release_target());
    let status = Command::new("tar")
        .arg("-czf")
        .arg(releases.join(&asset))
        .arg("-C")
        .arg(releases.join("pkg"))
        .arg("streampin")
        .status()
        .unwrap();
    assert!(status.success());
    let sum = Command::new("sha256sum")
        .arg(&asset)
        .current_dir(&releases)
        .output()
        .unwrap();
    assert!(sum.status.success());
    std::fs::write(releases.join(format!("{asset}.sha256")), sum.stdout).unwrap();
    runner
}

#[test]
fn install_downloads_a_release_and_verifies_it() {
    let runner = release_runner();
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    let target = release_target();
    let bin = runner.dir(&format!("tool-cache/streampin/9.9.9/{target}/streampin"));
    assert_eq!(out.steps["install"]["bin"], bin.display().to_string());
    let url = format!(
        "https://github.com/example/streampin/releases/download/v9.9.9/streampin-v9.9.9-{target}.tar.gz"
    );
    let log = std::fs::read_to_string(runner.dir("curl.log")).unwrap();
    assert_eq!(log, format!("{url}\n{url}.sha256\n"));
    // The second time, from the cache.
    let out = runner.run();
    assert_eq!(out.code, 0, "{out:?}");
    let log = std::fs::read_to_string(runner.dir("curl.log")).unwrap();
    assert_eq!(log.lines().count(), 2);
}

#[test]
fn install_refuses_a_bad_checksum_and_a_bad_version() {
    let runner = release_runner();
    let sum = runner.dir(&format!(
        "releases/streampin-v9.9.9-{}.tar.gz.sha256",
        release_target()
    ));
    std::fs::write(&sum, format!("{}  x\n", "0".repeat(64))).unwrap();
    let out = runner.run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.contains("checksum mismatch"), "{out:?}");

    let runner = release_runner().input("version", "1.0.0; touch pwned");
    let out = runner.run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout.contains("input version must be a release"),
        "{out:?}"
    );
    assert!(!runner.dir("curl.log").exists());
}
