//! The child and its supervision, tested: output and status, the environment, timeouts
//! with grandchildren and setsid, Landlock, rlimits, cancel and the output cap.

use super::*;

fn spec(program: &str, args: &[&str], scratch: &std::path::Path) -> RunSpec {
    RunSpec {
        program: program.into(),
        args: args.iter().map(|a| (*a).to_string()).collect(),
        cwd: scratch.to_path_buf(),
        env: vec![("PATH".into(), "/usr/bin:/bin".into())],
        scratch: scratch.to_path_buf(),
        timeout: Duration::from_secs(5),
        output_cap: 256 * 1024,
        limits: Limits::default(),
        needs_sandbox: false,
    }
}

/// Runs `spec` to its end: how it ended, stdout, stderr.
pub(crate) async fn collect(spec: &RunSpec) -> (Exit, Vec<u8>, Vec<u8>) {
    let (tx, mut rx) = mpsc::channel(64);
    let never = tokio_util::sync::CancellationToken::new();
    let run = run(spec, tx, &never);
    let gather = async {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        while let Some((s, d)) = rx.recv().await {
            match s {
                Stream::Stdout => o.extend(d),
                Stream::Stderr => e.extend(d),
            }
        }
        (o, e)
    };
    let (exit, (o, e)) = tokio::join!(run, gather);
    (exit.expect("ran"), o, e)
}

/// Whether any process of group `pgid` is alive (zombies waiting to be reaped by
/// whoever inherited them are dead), from /proc.
fn group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.filter_map(Result::ok).any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // pid (comm) state ppid pgrp ...; comm may hold spaces, so split after ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        fields.first().is_some_and(|state| *state != "Z")
            && fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
    })
}

#[tokio::test]
async fn output_and_status_come_back_and_the_environment_is_only_the_allowlist() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (exit, out, _) = collect(&spec("/usr/bin/env", &[], tmp.path())).await;
    assert_eq!(exit.code, Some(0));
    let mut names: Vec<&str> = std::str::from_utf8(&out)
        .expect("utf8")
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["HOME", "PATH", "TMPDIR"],
        "nothing of the daemon's own"
    );
    let (exit, _, err) = collect(&spec(
        "/bin/sh",
        &["-c", "echo oops >&2; exit 3"],
        tmp.path(),
    ))
    .await;
    assert_eq!((exit.code, err.as_slice()), (Some(3), &b"oops\n"[..]));
    // stdin is /dev/null: cat returns at once.
    let (exit, out, _) = collect(&spec("/usr/bin/cat", &[], tmp.path())).await;
    assert_eq!((exit.code, out.len()), (Some(0), 0));
}

#[tokio::test]
async fn a_timeout_kills_the_group_even_with_a_grandchild_holding_stdout() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Busy loops, as the sandbox lets the shell start no other program (not even sleep).
    let mut s = spec(
        "/bin/sh",
        &["-c", "{ while :; do :; done; } & echo $$; wait"],
        tmp.path(),
    );
    s.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let (exit, out, _) = collect(&s).await;
    assert!(exit.timed_out, "{exit:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let pgid: i32 = std::str::from_utf8(&out)
        .expect("utf8")
        .trim()
        .parse()
        .expect("the shell's pid, which leads its group");
    // SIGKILL is sent to the whole group; the kernel ends each member as it next runs,
    // which on a loaded machine is a moment after the run returns.
    let deadline = Instant::now() + Duration::from_secs(3);
    while group_alive(pgid) {
        assert!(Instant::now() < deadline, "nothing of the group survives");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether `pid` is alive (a zombie is dead), from /proc.
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| Some(s.rsplit_once(')')?.1.split_whitespace().next()? != "Z"))
        .unwrap_or(false)
}

fn pids(out: &[u8]) -> Vec<i32> {
    std::str::from_utf8(out)
        .expect("utf8")
        .split_whitespace()
        .map(|p| p.parse().expect("a pid"))
        .collect()
}

/// A Python child that leaves descendants outside its process group: one that called
/// setsid and stays its child, and one that called setsid and was orphaned by a double
/// fork. Each prints its pid and keeps stdout open. The child then sleeps (`stay`) or
/// exits. Python, because the sandbox lets a shell start no other program.
const SETSID_TREE: &str = r#"
import os, sys, time
if os.fork() == 0:
    os.setsid()
    print(os.getpid(), flush=True)
    while True: time.sleep(1)
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        time.sleep(0.05)
        print(os.getpid(), flush=True)
        while True: time.sleep(1)
    os._exit(0)
os.wait()
time.sleep(0.2)
if sys.argv[1] == "stay":
    while True: time.sleep(1)
"#;

#[tokio::test]
async fn a_timeout_ends_descendants_that_called_setsid_even_when_orphaned() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut s = spec("/usr/bin/python3", &["-c", SETSID_TREE, "stay"], tmp.path());
    s.timeout = Duration::from_millis(1500);
    let started = Instant::now();
    let (exit, out, err) = collect(&s).await;
    assert!(exit.timed_out, "{exit:?} {}", String::from_utf8_lossy(&err));
    assert!(started.elapsed() < s.timeout + Duration::from_secs(3));
    let pids = pids(&out);
    assert_eq!(pids.len(), 2, "both descendants started: {pids:?}");
    for pid in pids {
        assert!(!alive(pid), "{pid} outlived the run");
    }
}

#[tokio::test]
async fn a_child_that_exits_leaves_nothing_behind_and_is_not_a_timeout() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut s = spec("/usr/bin/python3", &["-c", SETSID_TREE, "go"], tmp.path());
    s.timeout = Duration::from_secs(30);
    let (exit, out, err) = collect(&s).await;
    assert_eq!(
        exit.code,
        Some(0),
        "{exit:?} {}",
        String::from_utf8_lossy(&err)
    );
    assert!(!exit.timed_out);
    let pids = pids(&out);
    assert_eq!(pids.len(), 2, "{pids:?}");
    for pid in pids {
        assert!(!alive(pid), "{pid} outlived the run");
    }
}

#[tokio::test]
async fn rlimits_hold_memory_file_size_and_cpu_time() {
    let tmp = tempfile::tempdir().expect("tmp");
    let python = |script: &str| {
        let mut s = spec("/usr/bin/python3", &["-c", script], tmp.path());
        s.limits = Limits {
            address_space: 256 << 20,
            file_size: 1 << 20,
            processes: 64,
        };
        s.timeout = Duration::from_secs(1);
        s
    };
    let (exit, out, _) = collect(&python(
        "try:\n b = bytearray(512 << 20)\n print('allocated')\nexcept MemoryError:\n print('refused')",
    ))
    .await;
    assert_eq!(
        (exit.code, String::from_utf8_lossy(&out).trim()),
        (Some(0), "refused")
    );
    let (exit, _, _) = collect(&python(
        "import os, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n\
         f = open(os.environ['TMPDIR'] + '/big', 'wb')\ntry:\n f.write(b'x' * (2 << 20)); f.flush()\n\
         except OSError as e:\n print(e.errno); raise SystemExit(9)",
    ))
    .await;
    assert_eq!(exit.code, Some(9), "a write past the limit fails: {exit:?}");
    assert!(
        std::fs::metadata(tmp.path().join("big"))
            .expect("big")
            .len()
            <= 1 << 20,
        "nothing past the limit was written"
    );
    // CPU time follows the timeout; the process count sits above the machine's tasks.
    // (The sandbox does not let the child read /proc, so it asks the kernel itself.)
    let (_, out, _) = collect(&python(
        "import resource as r\nfor k in 'CPU AS FSIZE NPROC'.split(): print(*r.getrlimit(getattr(r, 'RLIMIT_' + k)))",
    ))
    .await;
    let rows: Vec<Vec<u64>> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| l.split(' ').map(|v| v.parse().expect("a number")).collect())
        .collect();
    assert_eq!(
        rows[..3],
        [
            vec![2, 2],
            vec![256 << 20, 256 << 20],
            vec![1 << 20, 1 << 20]
        ]
    );
    assert!(rows[3][0] > 64 && rows[3][0] < 1 << 22, "{rows:?}");
}

#[tokio::test]
async fn landlock_confines_writes_to_scratch_execution_to_the_program_and_stops_tcp() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (root, scratch) = (tmp.path().join("root"), tmp.path().join("scratch"));
    std::fs::create_dir_all(&root).expect("root");
    std::fs::create_dir_all(&scratch).expect("scratch");
    std::fs::write(root.join("notes.txt"), "one\n").expect("notes");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let run_in = |program: &str, script: String| {
        let mut s = spec(program, &["-c", &script], &scratch);
        s.cwd = root.clone();
        s
    };
    // Reading the root and writing scratch work; writing the root does not.
    let (exit, out, _) = collect(&run_in(
        "/bin/sh",
        "read line < notes.txt; echo \"$line\"; echo ok > \"$TMPDIR/w\" && echo scratch".into(),
    ))
    .await;
    assert_eq!(exit.sandbox, Level::Landlock, "this kernel has Landlock");
    assert_eq!(String::from_utf8_lossy(&out), "one\nscratch\n");
    let (exit, _, err) = collect(&run_in("/bin/sh", "echo x > written.txt".into())).await;
    assert_ne!(exit.code, Some(0), "{}", String::from_utf8_lossy(&err));
    assert!(!root.join("written.txt").exists());
    // No other program may start.
    let (exit, _, err) = collect(&run_in("/bin/sh", "/usr/bin/id".into())).await;
    assert_ne!(exit.code, Some(0));
    assert!(
        String::from_utf8_lossy(&err).contains("denied"),
        "{}",
        String::from_utf8_lossy(&err)
    );
    // No TCP connection.
    let (exit, _, _) = collect(&run_in(
        "/bin/bash",
        format!("echo hi > /dev/tcp/127.0.0.1/{port}"),
    ))
    .await;
    assert_ne!(exit.code, Some(0));
    assert!(listener.accept().is_err(), "nothing connected");
}

#[tokio::test]
async fn a_cancel_kills_the_command() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = spec("/bin/sh", &["-c", "while :; do :; done"], tmp.path());
    let cancel = tokio_util::sync::CancellationToken::new();
    let (tx, _rx) = mpsc::channel(4);
    let stop = cancel.clone();
    let (exit, ()) = tokio::join!(run(&s, tx, &cancel), async move { stop.cancel() });
    let exit = exit.expect("ran");
    assert!(exit.cancelled && !exit.timed_out, "{exit:?}");
    assert_eq!(exit.signal, Some(9));
}

#[tokio::test]
async fn a_flood_is_cut_at_the_cap_and_the_run_is_truncated() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut s = spec("/usr/bin/yes", &[], tmp.path());
    s.output_cap = 64 * 1024;
    let (exit, out, _) = collect(&s).await;
    assert!(exit.truncated && !exit.timed_out, "{exit:?}");
    assert_eq!(out.len(), 64 * 1024);
    assert_eq!(exit.bytes, 64 * 1024);
    assert_eq!(exit.signal, Some(9), "killed");
}
