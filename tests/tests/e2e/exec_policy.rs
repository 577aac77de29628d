//! The executor's policy as its owner shapes it and a client reads it: `[exec.programs]`
//! and `disable` with `chinwag policy` and a reload, `get_policy` over the wire, and the
//! environment a command sees.

use crate::exec::{daemon, exec, stdout};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{bin, isolated_env};
use chinwag_tests::wire::Wire;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_extends_the_policy_in_config_chinwag_policy_shows_it_and_a_reload_changes_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let proj = dir.path().join("home/proj");
    std::fs::create_dir_all(&proj).expect("proj");
    let config = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config).expect("config dir");
    let write_config = |toml: &str| {
        std::fs::write(config.join("chinwagd.toml"), toml).expect("config");
    };
    let chinwag = |args: &[&str]| {
        let mut cmd = std::process::Command::new(bin("chinwag"));
        isolated_env(&mut cmd, dir.path(), &fake.host());
        let out = cmd.args(args).output().expect("run chinwag");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let proj_arg = proj.display().to_string();
    let say = ["run", "-C", proj_arg.as_str(), "--", "say", "hello"];
    write_config(
        "[exec]\ndisable = [\"tree\"]\n\
         [exec.programs.say]\npaths = [\"/usr/bin/echo\", \"/bin/echo\"]\noperands = \"text\"\n",
    );
    let (code, out, err) = chinwag(&["policy"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\nsay  /usr/bin/echo  [config]\n"), "{out}");
    assert!(out.contains("\ncat  /usr/bin/cat\n"), "{out}");
    assert!(!out.contains("\ntree "), "disabled: {out}");
    assert!(out.starts_with("root     "), "{out}");
    let (code, out, err) = chinwag(&say);
    assert_eq!((code, out.as_str()), (Some(0), "hello\n"), "{err}");
    // As JSON, for scripts; with -C, the root a command there would get.
    let (code, out, err) = chinwag(&["policy", "--json", "-C", &proj_arg]);
    assert_eq!(code, Some(0), "{err}");
    let policy: Value = serde_json::from_str(&out).expect("JSON");
    let canonical = proj.canonicalize().expect("canonical");
    assert_eq!(policy["root"], json!(canonical.display().to_string()));
    assert!(policy["sandbox"].is_string());
    let names: Vec<&str> = policy["programs"]
        .as_array()
        .expect("programs")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"say") && !names.contains(&"tree"),
        "{names:?}"
    );

    // A reload takes the program away again; a broken policy is refused, the old one stays.
    write_config("[exec.programs.say]\npaths = [\"echo\"]\n");
    let (code, _, err) = chinwag(&["daemon", "reload"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("paths must be absolute"), "{err}");
    let (code, _, err) = chinwag(&say);
    assert_eq!(code, Some(0), "the old policy stays: {err}");
    write_config("");
    let (code, _, err) = chinwag(&["daemon", "reload"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("exec"), "{err}");
    let (code, _, err) = chinwag(&say);
    assert_eq!(code, Some(7), "{err}");
    assert!(err.contains("not-in-policy"), "{err}");
    chinwag_tests::harness::kill_autostarted(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_sees_only_the_allowlisted_environment_not_the_daemons_secrets() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    std::fs::create_dir_all(dir.path().join("home")).expect("home");
    // The owner adds printenv, which shows a command its whole environment.
    let config = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("chinwagd.toml"),
        "[exec.programs.printenv]\npaths = [\"/usr/bin/printenv\"]\n",
    )
    .expect("config");
    let daemon = chinwag_tests::harness::DaemonProcess::start_with(
        dir.path(),
        &fake.host(),
        &[
            ("AWS_SECRET_ACCESS_KEY", "hunter2"),
            ("CHINWAG_TOKEN", "cw_0123456789ab_secret"),
            ("LANG", "C.UTF-8"),
            ("LD_PRELOAD", "/tmp/evil.so"),
        ],
    )
    .await;
    let mut w = Wire::local(&daemon.socket).await;
    let frames = exec(&mut w, &["printenv"], None).await;
    let end = frames.last().expect("an end");
    assert_eq!(end["code"], 0, "{frames:?}");
    let env = stdout(&frames);
    let mut names: Vec<&str> = env
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["HOME", "LANG", "PATH", "TMPDIR"], "{env}");
    assert!(!env.contains("hunter2") && !env.contains("secret"), "{env}");
    daemon.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_policy_answers_as_protocol_md_says() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let (daemon, proj, _) = daemon(dir.path(), &fake, &[]).await;
    let mut w = Wire::local(&daemon.socket).await;
    let p = w.call(json!({"type": "get_policy", "id": "p"})).await;
    assert_eq!(p["type"], "policy", "{p}");
    let canonical = proj.canonicalize().expect("canonical");
    assert_eq!(p["root"], json!(canonical.display().to_string()));
    assert!(
        ["landlock", "landlock-partial", "process-group"]
            .contains(&p["sandbox"].as_str().unwrap_or("")),
        "{p}"
    );
    let programs = p["programs"].as_array().expect("programs");
    let find = |name: &str| {
        programs
            .iter()
            .find(|x| x["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {p}"))
    };
    let cat = find("cat");
    assert_eq!(cat["operands"], "paths");
    assert_eq!(cat["configured"], false);
    assert!(
        cat["path"].as_str().is_some_and(|x| x.ends_with("/cat")),
        "{cat}"
    );
    assert!(
        cat["flags"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("-n")))
    );
    let head = find("head");
    assert_eq!(head["options"]["-n"], "number");
    let git = find("git");
    assert!(
        git["subcommands"]["status"]["operands"].is_string(),
        "{git}"
    );
    assert_eq!(git["global"], json!(["--no-pager"]));
    // A cwd inside the root is the root a command there gets; one outside has none.
    let sub = json!(canonical.join("sub").display().to_string());
    let here = w
        .call(json!({"type": "get_policy", "id": "q", "cwd": sub}))
        .await;
    assert_eq!(here["root"], sub);
    let out = w
        .call(json!({"type": "get_policy", "id": "r", "cwd": "/"}))
        .await;
    assert!(out.get("root").is_none(), "{out}");
    let relative = w
        .call(json!({"type": "get_policy", "id": "s", "cwd": "sub"}))
        .await;
    assert!(
        relative.get("root").is_none(),
        "a relative cwd is no root: {relative}"
    );
    daemon.stop().await;
}
