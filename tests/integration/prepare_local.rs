//! `prepare` without AWS (`--no-role`): what goes into the deployment, what is left out, and
//! every bad input the user can give.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::support::*;

fn prepare(cwd: &Path, source: &Path, extra: &[&str]) -> Ran {
    run(agentprep(cwd)
        .args(["prepare", "--no-role", "--output", "json", "--source-dir"])
        .arg(source)
        .args(extra))
}

fn listing(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                files.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    walk(dir, dir, &mut files);
    files.sort();
    files
}

#[test]
fn the_cost_estimator_is_laid_out_as_the_seed_did_with_its_whole_package() {
    let work = tempfile::tempdir().unwrap();
    let ran = prepare(work.path(), &example("cost_estimator_agent"), &[]);
    ran.success();
    let report = ran.json();
    assert_eq!(report["agent"], "cost_estimator_agent");
    assert_eq!(
        report["entrypoint_spec"],
        "cost_estimator_agent:AWSCostEstimatorAgent.estimate_costs"
    );
    assert_eq!(report["streams"], true);
    assert_eq!(
        listing(&work.path().join("deployment")),
        [
            ".agentprep-manifest.json",
            "cost_estimator_agent/__init__.py",
            "cost_estimator_agent/config.py",
            "cost_estimator_agent/cost_estimator_agent.py",
            "cost_estimator_agent/data/prices.json",
            "cost_estimator_agent/pricing/__init__.py",
            "cost_estimator_agent/pricing/parser.py",
            "cost_estimator_agent/pricing/table.py",
            "iam/execution-policy.json",
            "iam/trust-policy.json",
            "invoke.py",
            "requirements.txt",
        ]
    );
    let requirements = fs::read_to_string(work.path().join("deployment/requirements.txt")).unwrap();
    let packages: Vec<&str> = requirements
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        packages,
        ["bedrock-agentcore"],
        "the example imports only the standard library and itself"
    );
    // Offline, the IAM documents use placeholders, never an empty or `None` region.
    let policy =
        fs::read_to_string(work.path().join("deployment/iam/execution-policy.json")).unwrap();
    assert!(
        policy.contains("${AWS::Region}")
            && !policy.contains("None")
            && !policy.contains("::log-group")
    );
}

#[test]
fn secrets_caches_tests_and_ignored_files_are_left_out_and_reported() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("my_agent");
    write_files(
        &source,
        &[
            (
                "agent.py",
                "import yaml\nfrom strands import Agent\nimport mysterious_lib\nfrom .sub.inner import helper\n\ndef invoke(prompt):\n    return prompt\n",
            ),
            ("sub/__init__.py", ""),
            ("sub/inner/__init__.py", ""),
            ("sub/inner/helper.py", "X = 1\n"),
            ("sub/inner/data.csv", "a,b\n"),
            ("__pycache__/agent.cpython-311.pyc", "x"),
            ("sub/stale.pyc", "x"),
            (".venv/pyvenv.cfg", "home = /usr\n"),
            ("env2/pyvenv.cfg", "home = /usr\n"),
            (".env", "OPENAI_API_KEY=sk-secret\n"),
            (".env.production", "TOKEN=secret\n"),
            ("id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
            ("certs/server.pem", "-----BEGIN CERTIFICATE-----\n"),
            ("tests/test_agent.py", "def test(): pass\n"),
            (".git/config", "[core]\n"),
            (".gitignore", "*.log\n"),
            ("debug.log", "noise\n"),
            (".dockerignore", "*.md\n"),
            (
                "README.md",
                "top-level markdown is excluded by .dockerignore\n",
            ),
            (
                "docs/guide.md",
                "nested markdown is not: Docker anchors patterns at the root\n",
            ),
        ],
    );
    let ran = prepare(work.path(), &source, &[]);
    ran.success();
    let files = listing(&work.path().join("deployment/my_agent"));
    assert_eq!(
        files,
        [
            "__init__.py",
            "agent.py",
            "docs/guide.md",
            "sub/__init__.py",
            "sub/inner/__init__.py",
            "sub/inner/data.csv",
            "sub/inner/helper.py"
        ]
    );
    let skipped = skipped_of(&ran.json());
    for (path, reason) in [
        ("__pycache__/", "python_cache"),
        ("sub/stale.pyc", "python_cache"),
        (".venv/", "virtual_environment"),
        ("env2/", "virtual_environment"),
        (".env", "environment_file"),
        (".env.production", "environment_file"),
        ("id_rsa", "key_or_credentials"),
        ("certs/server.pem", "key_or_credentials"),
        ("tests/", "test_folder"),
        (".git/", "version_control"),
        ("debug.log", "ignore_rule"),
        ("README.md", "ignore_rule"),
    ] {
        assert!(
            skipped.contains(&(path.to_string(), reason.to_string())),
            "{path} ({reason}) not in {skipped:?}"
        );
    }
    // Requirements from the imports: mapped names, the agent's own modules left out, the
    // unknown import never guessed into a PyPI name, with a warning that says how to pin it.
    let requirements = fs::read_to_string(work.path().join("deployment/requirements.txt")).unwrap();
    let packages: Vec<&str> = requirements
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(packages, ["bedrock-agentcore", "PyYAML", "strands-agents"]);
    assert!(
        ran.stderr.contains("`mysterious_lib`")
            && ran.stderr.contains("not added to the requirements")
            && ran.stderr.contains("requirements.txt"),
        "{}",
        ran.stderr
    );
    // The secrets themselves appear nowhere in the deployment.
    let everything: String = listing(&work.path().join("deployment"))
        .iter()
        .map(|f| fs::read_to_string(work.path().join("deployment").join(f)).unwrap_or_default())
        .collect();
    assert!(!everything.contains("sk-secret") && !everything.contains("PRIVATE KEY"));
}

/// The `(path, reason)` pairs of a JSON report's skipped files.
fn skipped_of(report: &serde_json::Value) -> Vec<(String, String)> {
    report["files"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_secret_files_an_audit_found_shipped_are_left_out_and_their_look_alikes_kept() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("audited_agent");
    write_files(
        &source,
        &[
            ("agent.py", "def invoke(prompt):\n    return prompt\n"),
            (".envrc", "export OPENAI_API_KEY=sk-audit-1\n"),
            ("prod.env", "TOKEN=sk-audit-2\n"),
            (".git-credentials", "https://user:sk-audit-3@example.com\n"),
            (".npmrc", "//registry/:_authToken=sk-audit-4\n"),
            (".docker/config.json", "{\"auths\": \"sk-audit-5\"}"),
            (".streamlit/secrets.toml", "key = \"sk-audit-6\"\n"),
            ("client_secret.json", "{\"secret\": \"sk-audit-7\"}"),
            ("secrets.json", "{\"key\": \"sk-audit-8\"}"),
            ("infra/terraform.tfstate", "{\"password\": \"sk-audit-9\"}"),
            (
                "infra/terraform.tfstate.backup",
                "{\"password\": \"sk-audit-10\"}",
            ),
            ("infra/prod.tfvars", "db_password = \"sk-audit-11\"\n"),
            (".aws/credentials", "aws_secret_access_key = sk-audit-12\n"),
            ("environment.py", "NAME = 'dev'\n"),
            ("secrets_manager.py", "def get(name):\n    return name\n"),
            ("keys.py", "KEYS = []\n"),
            ("tokenizer.json", "{}"),
            (".streamlit/config.toml", "[theme]\n"),
        ],
    );
    let ran = prepare(work.path(), &source, &[]);
    ran.success();
    assert_eq!(
        listing(&work.path().join("deployment/audited_agent")),
        [
            ".streamlit/config.toml",
            "__init__.py",
            "agent.py",
            "environment.py",
            "keys.py",
            "secrets_manager.py",
            "tokenizer.json",
        ]
    );
    let skipped = skipped_of(&ran.json());
    for (path, reason) in [
        (".envrc", "environment_file"),
        ("prod.env", "environment_file"),
        (".git-credentials", "key_or_credentials"),
        (".npmrc", "key_or_credentials"),
        (".docker/config.json", "key_or_credentials"),
        (".streamlit/secrets.toml", "secrets_file"),
        ("client_secret.json", "secrets_file"),
        ("secrets.json", "secrets_file"),
        ("infra/terraform.tfstate", "infrastructure_state"),
        ("infra/terraform.tfstate.backup", "infrastructure_state"),
        ("infra/prod.tfvars", "infrastructure_state"),
        (".aws/", "key_or_credentials"),
    ] {
        assert!(
            skipped.contains(&(path.to_string(), reason.to_string())),
            "{path} ({reason}) not in {skipped:?}"
        );
    }
    let everything: String = listing(&work.path().join("deployment"))
        .iter()
        .map(|f| fs::read_to_string(work.path().join("deployment").join(f)).unwrap_or_default())
        .collect();
    assert!(!everything.contains("sk-audit"), "{everything}");
}

#[test]
fn a_symlink_to_a_left_out_file_is_left_out_with_a_warning() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("linking_agent");
    write_files(
        &source,
        &[
            ("agent.py", "def invoke(prompt):\n    return prompt\n"),
            (".env", "OPENAI_API_KEY=sk-linked-secret\n"),
            (".gitignore", "scratch/\n"),
            ("scratch/notes.txt", "ignored notes\n"),
            (".venv/pyvenv.cfg", "home = /usr\n"),
            (".venv/lib/site.py", "X = 1\n"),
            ("data/values.json", "{}"),
        ],
    );
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(source.join(target), source.join(name)).unwrap()
    };
    link(".env", "innocent_config.txt");
    link("scratch/notes.txt", "notes.txt");
    link(".venv/lib/site.py", "site_copy.py");
    link("data/values.json", "values.json");
    let ran = prepare(work.path(), &source, &[]);
    ran.success();
    let deployed = work.path().join("deployment/linking_agent");
    for name in ["innocent_config.txt", "notes.txt", "site_copy.py"] {
        assert!(!deployed.join(name).exists(), "{name} was deployed");
    }
    assert_eq!(
        fs::read_to_string(deployed.join("values.json")).unwrap(),
        "{}"
    );
    assert!(
        ran.stderr.contains(
            "`innocent_config.txt` is a symlink to `.env`, which is left out as `.env` \
             (environment file (may hold secrets)), so the link is left out too"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains(
            "`site_copy.py` is a symlink to `.venv/lib/site.py`, which is left out as `.venv/`"
        ),
        "{}",
        ran.stderr
    );
    let report = ran.json();
    let skipped = skipped_of(&report);
    for name in ["innocent_config.txt", "notes.txt", "site_copy.py"] {
        assert!(
            skipped.contains(&(name.to_string(), "link_to_skipped".to_string())),
            "{name} not in {skipped:?}"
        );
    }
    let innocent = report["files"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "innocent_config.txt")
        .unwrap();
    assert_eq!(innocent["detail"]["target"], ".env");
    assert_eq!(innocent["detail"]["why"]["reason"], "environment_file");
}

#[test]
fn include_forces_a_secret_in_with_a_warning_and_the_manifest_records_it() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("including_agent");
    write_files(
        &source,
        &[
            ("agent.py", "def invoke(prompt):\n    return prompt\n"),
            (".npmrc", "registry=https://npm.example\n"),
            ("prod.env", "TOKEN=kept-out\n"),
        ],
    );
    std::os::unix::fs::symlink(source.join(".npmrc"), source.join("npm_settings.txt")).unwrap();
    let ran = prepare(
        work.path(),
        &source,
        &["--include", ".npmrc", "--include", "*.pem"],
    );
    ran.success();
    let deployed = work.path().join("deployment/including_agent");
    assert_eq!(
        fs::read_to_string(deployed.join(".npmrc")).unwrap(),
        "registry=https://npm.example\n"
    );
    assert!(!deployed.join("prod.env").exists());
    // A link elsewhere to the file forced in is not forced in by the pattern.
    assert!(!deployed.join("npm_settings.txt").exists());
    assert!(
        ran.stderr.contains(
            "`.npmrc` is deployed although it is left out as a key or credentials file: \
             `--include .npmrc` forced it in"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("`--include *.pem` forced nothing in"),
        "{}",
        ran.stderr
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(work.path().join("deployment/.agentprep-manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["prepared_from"]["include"],
        serde_json::json!([".npmrc", "*.pem"])
    );

    let ran = prepare(work.path(), &source, &["--include", "!.npmrc"]);
    ran.failure(2);
    assert!(
        ran.stderr
            .contains("`--include !.npmrc` is not a usable pattern")
            && ran.stderr.contains("hint:"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_symlink_out_of_the_source_is_refused_and_one_inside_is_copied() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("linked_agent");
    write_files(
        &source,
        &[
            ("agent.py", "def invoke(prompt):\n    return prompt\n"),
            ("shared/values.json", "{}"),
        ],
    );
    std::os::unix::fs::symlink(
        source.join("shared/values.json"),
        source.join("values.json"),
    )
    .unwrap();
    prepare(work.path(), &source, &[]).success();
    assert_eq!(
        fs::read_to_string(work.path().join("deployment/linked_agent/values.json")).unwrap(),
        "{}"
    );

    fs::write(work.path().join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(work.path().join("secret.txt"), source.join("escape.txt")).unwrap();
    let ran = prepare(work.path(), &source, &["--force"]);
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("`escape.txt` in the source is a symlink to")
            && ran.stderr.contains("outside the source directory"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("hint:"), "{}", ran.stderr);
}

#[test]
fn bad_source_paths_are_usage_errors_that_name_the_input() {
    let work = tempfile::tempdir().unwrap();
    let ran = prepare(work.path(), &work.path().join("nowhere"), &[]);
    ran.failure(2);
    assert!(
        ran.stderr.contains("nowhere") && ran.stderr.contains("cannot be read"),
        "{}",
        ran.stderr
    );

    fs::write(work.path().join("notes.txt"), "x").unwrap();
    let ran = prepare(work.path(), &work.path().join("notes.txt"), &[]);
    ran.failure(2);
    assert!(
        ran.stderr.contains("is a file but not a Python module"),
        "{}",
        ran.stderr
    );

    write_files(
        &work.path().join("no_python"),
        &[("README.md", "nothing to run")],
    );
    let ran = prepare(work.path(), &work.path().join("no_python"), &[]);
    ran.failure(2);
    assert!(
        ran.stderr.contains("holds no Python files"),
        "{}",
        ran.stderr
    );
    assert!(!work.path().join("deployment").exists());
}

#[test]
fn a_folder_name_is_made_valid_and_only_an_explicit_invalid_name_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("my-agent");
    write_files(
        &source,
        &[("agent.py", "def invoke(prompt):\n    return prompt\n")],
    );
    let ran = prepare(work.path(), &source, &[]);
    ran.success();
    assert_eq!(ran.json()["agent"], "my_agent");
    assert_eq!(ran.json()["name_origin"], "the source `my-agent`");
    let ran = prepare(work.path(), &source, &["--name", "my-agent"]);
    ran.failure(2);
    assert!(ran.stderr.contains("`my-agent`"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("hint: pass `--name my_agent`"),
        "{}",
        ran.stderr
    );
    // The agent's name is not its package's: `json` is a fine runtime name, and the package
    // keeps the folder's name.
    let ran = prepare(work.path(), &source, &["--name", "json"]);
    ran.success();
    assert_eq!(ran.json()["agent"], "json");
    assert!(work.path().join("deployment/my_agent/agent.py").is_file());
}

#[test]
fn a_single_file_source_becomes_a_package_named_after_its_stem() {
    let work = tempfile::tempdir().unwrap();
    write_files(
        work.path(),
        &[(
            "echo_bot.py",
            "async def reply(prompt):\n    return prompt\n",
        )],
    );
    let ran = prepare(work.path(), &work.path().join("echo_bot.py"), &[]);
    ran.success();
    assert_eq!(ran.json()["entrypoint_spec"], "echo_bot:reply");
    assert!(
        work.path()
            .join("deployment/echo_bot/echo_bot.py")
            .is_file()
    );
    let invoke = fs::read_to_string(work.path().join("deployment/invoke.py")).unwrap();
    assert!(
        invoke.contains("from echo_bot.echo_bot import reply as _entry_function  # noqa: E402")
            && invoke.contains("return _answer(await _entry_function("),
        "{invoke}"
    );
}

#[test]
fn several_candidates_are_listed_and_entrypoint_chooses() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("two_ways");
    write_files(
        &source,
        &[(
            "bot.py",
            "def ask(prompt):\n    return 1\n\ndef chat(message):\n    return 2\n",
        )],
    );
    let ran = prepare(work.path(), &source, &[]);
    ran.failure(1);
    assert!(
        ran.stderr.contains("`bot:ask` (bot.py:1)") && ran.stderr.contains("`bot:chat` (bot.py:4)"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("--entrypoint bot:ask"),
        "{}",
        ran.stderr
    );
    let ran = prepare(work.path(), &source, &["--entrypoint", "bot:chat"]);
    ran.success();
    assert_eq!(ran.json()["entrypoint_spec"], "bot:chat");

    let empty = work.path().join("no_entry");
    write_files(&empty, &[("consts.py", "X = 1\n")]);
    let ran = prepare(work.path(), &empty, &["--output-dir", "other"]);
    ran.failure(1);
    assert!(
        ran.stderr.contains("no entry found")
            && ran.stderr.contains("--entrypoint module:function"),
        "{}",
        ran.stderr
    );
}

#[test]
fn foreign_and_edited_files_in_the_output_stop_the_run_until_force() {
    let work = tempfile::tempdir().unwrap();
    let source = example("minimal_agent");
    let output = work.path().join("deployment");
    fs::create_dir_all(&output).unwrap();
    fs::write(output.join("my-notes.txt"), "keep me").unwrap();
    let ran = prepare(work.path(), &source, &[]);
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("`my-notes.txt` (not written by agentprep)")
            && ran.stderr.contains("--force"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        fs::read_to_string(output.join("my-notes.txt")).unwrap(),
        "keep me"
    );

    fs::remove_file(output.join("my-notes.txt")).unwrap();
    prepare(work.path(), &source, &[]).success();
    prepare(work.path(), &source, &[]).success(); // a rerun replaces what agentprep wrote
    fs::write(output.join("invoke.py"), "# my edits\n").unwrap();
    let ran = prepare(work.path(), &source, &[]);
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("`invoke.py` (edited since agentprep wrote it)"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        fs::read_to_string(output.join("invoke.py")).unwrap(),
        "# my edits\n"
    );

    let ran = prepare(work.path(), &source, &["--force"]);
    ran.success();
    assert_eq!(
        ran.json()["replaced_conflicts"],
        serde_json::json!(["invoke.py"])
    );
    assert!(
        fs::read_to_string(output.join("invoke.py"))
            .unwrap()
            .contains("BedrockAgentCoreApp")
    );
}

#[test]
fn the_output_may_never_swallow_the_source_or_the_working_directory() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("agent_src");
    write_files(
        &source,
        &[("agent.py", "def invoke(prompt):\n    return prompt\n")],
    );
    for output in [".", "agent_src"] {
        let ran = prepare(work.path(), &source, &["--output-dir", output, "--force"]);
        ran.failure(2);
        assert!(
            ran.stderr.contains("replacing it would delete"),
            "{}",
            ran.stderr
        );
    }
    assert!(source.join("agent.py").is_file());
    // An output inside the source is fine, and is not copied into itself.
    let ran = run(agentprep(&source).args([
        "prepare",
        "--no-role",
        "--source-dir",
        ".",
        "--name",
        "agent_src",
    ]));
    ran.success();
    let ran = run(agentprep(&source).args([
        "prepare",
        "--no-role",
        "--source-dir",
        ".",
        "--name",
        "agent_src",
    ]));
    ran.success();
    assert!(!source.join("deployment/agent_src/deployment").exists());
}

#[test]
fn dry_run_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .args(["prepare", "--no-role", "--dry-run", "--source-dir"])
        .arg(example("cost_estimator_agent")));
    ran.success();
    assert!(
        ran.stdout
            .starts_with("Would prepare `cost_estimator_agent`"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("would be written"), "{}", ran.stdout);
    assert_eq!(
        fs::read_dir(work.path()).unwrap().count(),
        0,
        "nothing was written"
    );
}

#[test]
fn a_source_over_the_direct_code_deploy_limit_is_said_before_anything_is_copied() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("big_agent");
    write_files(
        &source,
        &[("agent.py", "def invoke(prompt):\n    return prompt\n")],
    );
    // Sparse: 800 MB to the scan, nothing on the disk.
    fs::File::create(source.join("embeddings.bin"))
        .unwrap()
        .set_len(800 * 1024 * 1024)
        .unwrap();
    let ran = run(agentprep(work.path())
        .args(["prepare", "--no-role", "--dry-run", "--source-dir"])
        .arg(&source));
    ran.success();
    assert!(
        ran.stderr.contains("over the 750 MB") && ran.stderr.contains("`embeddings.bin` (800 MB)"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_file_whose_name_is_not_utf8_is_left_out_and_reruns_still_work() {
    use std::os::unix::ffi::OsStrExt;
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("latin1_agent");
    write_files(
        &source,
        &[("agent.py", "def invoke(prompt):\n    return prompt\n")],
    );
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(source.join(name), "menu").unwrap();
    for run_number in 1..=2 {
        let ran = run(agentprep(work.path())
            .args(["prepare", "--no-role", "--source-dir"])
            .arg(&source));
        ran.success();
        assert!(
            ran.stdout.contains("not UTF-8") || ran.stderr.contains("not UTF-8"),
            "run {run_number}: {}\n{}",
            ran.stdout,
            ran.stderr
        );
    }
    assert!(
        !work
            .path()
            .join("deployment/latin1_agent")
            .join(name)
            .exists()
    );
}

#[test]
fn special_files_in_the_source_are_never_opened() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("fifo_agent");
    write_files(
        &source,
        &[("agent.py", "def invoke(prompt):\n    return prompt\n")],
    );
    for fifo in [".dockerignore", "pipe.txt"] {
        make_fifo(&source.join(fifo));
    }
    let ran = run_bounded(
        agentprep(work.path())
            .args(["prepare", "--no-role", "--source-dir"])
            .arg(&source),
        Duration::from_secs(60),
    );
    ran.success();
    assert!(work.path().join("deployment/fifo_agent/agent.py").is_file());
    assert!(!work.path().join("deployment/fifo_agent/pipe.txt").exists());
}

#[test]
fn requirements_come_from_the_source_project_or_the_flag() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("project/agent_pkg");
    write_files(
        &source,
        &[(
            "agent.py",
            "import requests\n\ndef invoke(prompt):\n    return prompt\n",
        )],
    );
    write_files(
        &work.path().join("project"),
        &[(
            "pyproject.toml",
            "[project]\nname = 'p'\ndependencies = ['requests>=2.31', 'strands-agents']\n",
        )],
    );
    let ran = prepare(work.path(), &source, &[]);
    ran.success();
    let text = fs::read_to_string(work.path().join("deployment/requirements.txt")).unwrap();
    assert!(
        text.starts_with("# Generated by agentprep from `pyproject.toml`"),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["bedrock-agentcore", "requests>=2.31", "strands-agents"]
    );

    fs::write(source.join("requirements.txt"), "requests==2.32.3\n").unwrap();
    prepare(work.path(), &source, &["--force"]).success();
    let text = fs::read_to_string(work.path().join("deployment/requirements.txt")).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["bedrock-agentcore", "requests==2.32.3"]
    );

    fs::write(
        work.path().join("pinned.txt"),
        "bedrock-agentcore==1.25.0\nhttpx==0.28.1\n",
    )
    .unwrap();
    let pinned = prepare(work.path(), &source, &["--requirements", "pinned.txt"]);
    pinned.success();
    let text = fs::read_to_string(work.path().join("deployment/requirements.txt")).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["bedrock-agentcore==1.25.0", "httpx==0.28.1"],
        "a file named with `--requirements` is taken as it is"
    );
    assert!(
        pinned
            .stderr
            .contains("`agent.py` imports `requests`, which `pinned.txt` does not list"),
        "{}",
        pinned.stderr
    );

    let ran = prepare(work.path(), &source, &["--requirements", "missing.txt"]);
    ran.failure(2);
    assert!(
        ran.stderr
            .contains("`--requirements missing.txt` is not a readable file"),
        "{}",
        ran.stderr
    );
}

#[test]
fn the_policy_is_fitted_to_the_tools_the_agent_uses_plus_the_users_statements() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("tool_agent");
    write_files(
        &source,
        &[(
            "agent.py",
            "from bedrock_agentcore.tools.code_interpreter_client import code_session\nimport boto3\n\n\
             def invoke(prompt):\n    return boto3.client('pricing').describe_services()\n",
        )],
    );
    fs::write(work.path().join("extra.json"), r#"{"Sid": "ReadBucket", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"}"#).unwrap();
    let ran = prepare(work.path(), &source, &["--policy", "extra.json"]);
    ran.success();
    let policy: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(work.path().join("deployment/iam/execution-policy.json")).unwrap(),
    )
    .unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert!(
        sids.contains(&"AgentCoreCodeInterpreter")
            && sids.contains(&"PriceListRead")
            && sids.contains(&"ReadBucket"),
        "{sids:?}"
    );
    assert!(
        !sids.contains(&"AgentCoreBrowser") && !sids.contains(&"AgentCoreMemory"),
        "{sids:?}"
    );

    fs::write(
        work.path().join("bad.json"),
        r#"{"Effect": "Allow", "Action": "s3:GetObject"}"#,
    )
    .unwrap();
    let ran = prepare(work.path(), &source, &["--policy", "bad.json", "--force"]);
    ran.failure(2);
    assert!(
        ran.stderr.contains("`--policy bad.json`") && ran.stderr.contains("no `Resource`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn the_printed_configure_command_pastes_into_a_shell_as_its_argv() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("quote_agent");
    write_files(
        &source,
        &[("agent.py", "def invoke(prompt):\n    return prompt\n")],
    );
    let output_dir = "out dir/it's here";
    let json = prepare(work.path(), &source, &["--output-dir", output_dir]);
    json.success();
    let argv: Vec<String> =
        serde_json::from_value(configure_step(&json.json())["argv"].clone()).unwrap();
    assert_eq!(argv[3], format!("{output_dir}/invoke.py"));
    let text = run(agentprep(work.path())
        .args([
            "prepare",
            "--no-role",
            "--force",
            "--output-dir",
            output_dir,
            "--source-dir",
        ])
        .arg(&source));
    text.success();
    // Take the command exactly as printed (continuation lines included) and let bash split it.
    let start = text.stdout.find("agentcore configure").unwrap();
    let printed: String = text.stdout[start..]
        .lines()
        .take_while(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let script = printed.replacen("agentcore", "printf '%s\\n'", 1);
    let shell = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    let words: Vec<String> = String::from_utf8(shell.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(words, argv[1..], "printed:\n{printed}");
    assert!(
        printed.lines().all(|line| line.len() < 100),
        "no line is long enough to wrap badly:\n{printed}"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    let work = tempfile::tempdir().unwrap();
    // stdout is a pipe whose reader has already gone: every write fails with a broken pipe.
    let mut child = agentprep(work.path())
        .args(["prepare", "--no-role", "--source-dir"])
        .arg(example("minimal_agent"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("error:"),
        "{stderr}"
    );
    assert!(work.path().join("deployment/invoke.py").is_file());
}

#[test]
fn with_output_json_a_failure_is_a_json_document_too() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path()).args([
        "prepare",
        "--no-role",
        "--output",
        "json",
        "--source-dir",
        "nowhere",
    ]));
    ran.failure(2);
    let document = ran.json();
    assert_eq!(document["error"]["kind"], "usage");
    assert_eq!(document["error"]["exit_code"], 2);
    assert!(
        document["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`nowhere` cannot be read"),
        "{document}"
    );
    assert!(
        document["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("--source-dir")
    );
    assert!(
        ran.stderr.contains("error: the source `nowhere`"),
        "{}",
        ran.stderr
    );
}
