//! git against a hostile repository: its config names a program for every hook git reads
//! config for (fsmonitor, a clean filter, textconv, diff.external, the pager, gpg). Plain
//! git runs that program; git through the executor runs it never, and still works.

use super::spawn::{self, Exit, RunSpec};
use super::{ExecConfig, decide, sandbox};
use std::path::Path;
use std::time::Duration;

/// Runs git directly, as the test's own setup (not through the executor).
fn git(dir: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    #[expect(
        clippy::disallowed_methods,
        reason = "test setup: the repository and the proof that its config is hostile"
    )]
    let mut cmd = std::process::Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PAGER", "")
        .env("PAGER", "");
    cmd.output().expect("git runs")
}

/// A repository with one commit of `a.txt`.
fn repo(root: &Path, home: &Path) {
    let ok = |args: &[&str]| {
        let out = git(root, home, args);
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    ok(&["init", "-q"]);
    ok(&["config", "user.name", "T"]);
    ok(&["config", "user.email", "t@example.invalid"]);
    std::fs::write(root.join("a.txt"), "one\n").expect("a.txt");
    ok(&["add", "a.txt"]);
    ok(&["commit", "-qm", "first commit"]);
}

/// A repository whose config runs `hook` (which appends to `$HOME/marker`) wherever git
/// would run a program, with a committed file now changed in the working tree.
fn hostile_repo(root: &Path, home: &Path) {
    repo(root, home);
    let ok = |args: &[&str]| {
        let out = git(root, home, args);
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    let hook = root.join("hook.sh");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho ran >> \"$HOME/marker\"\necho HOOK-RAN >&2\ncat\n",
    )
    .expect("hook");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let hook = hook.display().to_string();
    std::fs::write(root.join(".gitattributes"), "*.txt filter=evil diff=evil\n").expect("attrs");
    for (key, value) in [
        ("core.fsmonitor", hook.as_str()),
        ("filter.evil.clean", &hook),
        ("filter.evil.smudge", &hook),
        ("diff.evil.textconv", &hook),
        ("diff.external", &hook),
        ("core.pager", &hook),
        ("pager.log", &hook),
        ("log.showSignature", "true"),
        ("gpg.program", &hook),
        ("alias.st", "!sh -c \"$HOME/../hook.sh\""),
    ] {
        ok(&["config", key, value]);
    }
    std::fs::write(root.join("a.txt"), "one\ntwo\n").expect("change");
}

async fn through_executor(
    config: &ExecConfig,
    argv: &[&str],
    scratch: &Path,
) -> (Exit, String, String) {
    let argv: Vec<String> = argv.iter().map(|a| (*a).to_string()).collect();
    let d = decide(config, &argv, None).expect("allowed");
    let spec = RunSpec {
        program: d.program,
        args: d.args,
        cwd: d.cwd,
        env: spawn::allowed_env().into_iter().chain(d.env).collect(),
        scratch: scratch.to_path_buf(),
        timeout: Duration::from_secs(20),
        output_cap: 256 * 1024,
        limits: spawn::Limits::default(),
        needs_sandbox: d.needs_sandbox,
    };
    let (exit, o, e) = spawn::tests::collect(&spec).await;
    (
        exit,
        String::from_utf8_lossy(&o).into_owned(),
        String::from_utf8_lossy(&e).into_owned(),
    )
}

#[tokio::test]
async fn a_hostile_repository_config_runs_nothing_through_the_executor() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("repo");
    let (plain_home, scratch) = (tmp.path().join("plain"), tmp.path().join("scratch"));
    for d in [&root, &plain_home, &scratch] {
        std::fs::create_dir_all(d).expect("dir");
    }
    hostile_repo(&root, &plain_home);
    let root = root.canonicalize().expect("canonical");
    // The proof that the config is hostile: plain git runs the hook.
    let out = git(&root, &plain_home, &["diff"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        plain_home.join("marker").exists(),
        "plain git ran the repository's program"
    );

    let config = ExecConfig {
        root: Some(root.clone()),
        ..ExecConfig::default()
    };
    if sandbox::available() != sandbox::Level::Landlock {
        let refused = decide(&config, &["git".into(), "status".into()], None);
        assert_eq!(refused.map_err(|r| r.rule), Err("needs-sandbox"));
        return;
    }
    let (exit, out, err) = through_executor(&config, &["git", "log", "--oneline"], &scratch).await;
    assert_eq!(exit.code, Some(0), "{err}");
    assert!(out.contains("first commit"), "{out}");
    for argv in [
        &["git", "status"][..],
        &["git", "status", "--short"],
        &["git", "diff"],
        &["git", "diff", "--stat"],
        &["git", "log", "-p"],
        &["git", "show"],
        &["git", "blame", "--", "a.txt"],
        &["git", "ls-files", "-m"],
    ] {
        let (exit, out, err) = through_executor(&config, argv, &scratch).await;
        assert!(
            !scratch.join("marker").exists(),
            "{argv:?} ran the repository's program: {exit:?}\n{out}\n{err}"
        );
        assert!(!(out + &err).contains("HOOK-RAN"), "{argv:?}");
    }
    // And git status still tells the truth about the working tree.
    let (exit, out, err) = through_executor(&config, &["git", "status", "--short"], &scratch).await;
    assert_eq!(exit.code, Some(0), "{err}");
    assert!(out.contains("a.txt"), "{out}");
}

#[tokio::test]
async fn an_operand_that_names_a_file_is_read_as_a_path() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("repo");
    let scratch = tmp.path().join("scratch");
    for d in [&root, &scratch] {
        std::fs::create_dir_all(d).expect("dir");
    }
    repo(&root, &scratch);
    let config = ExecConfig {
        root: Some(root.canonicalize().expect("canonical")),
        ..ExecConfig::default()
    };
    if sandbox::available() != sandbox::Level::Landlock {
        return;
    }
    // An operand that names a file is read as git reads it: a path, after the `--`.
    for (argv, expect) in [
        (&["git", "blame", "a.txt"][..], "one"),
        (&["git", "log", "--oneline", "a.txt"], "first commit"),
        (&["git", "log", "--oneline", "HEAD"], "first commit"),
    ] {
        let (exit, out, err) = through_executor(&config, argv, &scratch).await;
        assert_eq!(exit.code, Some(0), "{argv:?}: {err}");
        assert!(out.contains(expect), "{argv:?}: {out}");
    }
}

#[test]
fn git_searches_for_its_repository_no_higher_than_the_root() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().canonicalize().expect("canonical");
    let config = ExecConfig {
        root: Some(root.clone()),
        ..ExecConfig::default()
    };
    let Ok(d) = decide(&config, &["git".into(), "status".into()], None) else {
        assert_ne!(sandbox::available(), sandbox::Level::Landlock);
        return;
    };
    let parent = root.parent().expect("parent").display().to_string();
    assert!(d.env.contains(&("GIT_CEILING_DIRECTORIES".into(), parent)));
    assert!(
        d.args
            .starts_with(&["--no-pager".into(), "--no-optional-locks".into()])
    );
}
