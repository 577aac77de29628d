//! Ending a run's whole tree, without privileges. A PID namespace or a cgroup of the run's
//! own would need capabilities a daemon rarely has, so instead the daemon makes itself a
//! child subreaper: a descendant that outlives its parent (a double fork, with or without
//! `setsid`) is handed to the daemon rather than to init. When a run ends, its process
//! group is killed, and then every such stray that carries the run's scratch `HOME` is
//! killed and reaped, round after round, until none is left (killing a stray hands its own
//! children to the daemon in turn).
//!
//! What this cannot reach: a descendant that both left the tree and replaced its
//! environment, which takes an `execve` the Landlock ruleset refuses.
//!
//! The executor's own children are registered while they live, so that a sweep never reaps
//! a child tokio is waiting for.

use rustix::process::{Pid, Signal, WaitOptions};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, Once};

/// The executor's children that tokio will reap.
static CHILDREN: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Makes the daemon a child subreaper, once.
pub fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Err(e) = rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
            tracing::warn!(error = %e, "not a child subreaper: a command's detached descendants may outlive it");
        }
    });
}

/// The registry, held while a child is spawned and registered, and while a sweep lists.
pub fn registry() -> MutexGuard<'static, BTreeSet<i32>> {
    CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One registered child; unregistered when dropped (after tokio has reaped it, or when the
/// run is dropped and tokio reaps it in the background).
#[derive(Debug)]
pub struct Registered(pub i32);

impl Drop for Registered {
    fn drop(&mut self) {
        registry().remove(&self.0);
    }
}

/// Kills and reaps what is left of the run whose scratch directory is `scratch`: strays
/// handed to the daemon that carry it as `HOME`, and any unregistered child already dead.
/// Blocks until they are gone; call it off the runtime's worker threads. Returns how many.
pub fn sweep(scratch: &Path) -> usize {
    let home = format!("HOME={}", scratch.display()).into_bytes();
    let mut ended = 0;
    // Each round ends one generation; a bound stops a tree that cannot be ended.
    for _ in 0..64 {
        let strays: Vec<i32> = {
            let registered = registry();
            children()
                .into_iter()
                .filter(|pid| !registered.contains(pid))
                .filter(|pid| is_zombie(*pid) || carries(*pid, &home))
                .collect()
        };
        if strays.is_empty() {
            break;
        }
        for pid in strays {
            let Some(p) = Pid::from_raw(pid) else {
                continue;
            };
            let _ = rustix::process::kill_process(p, Signal::KILL);
            // The daemon's own child: its pid cannot be reused until this wait.
            if rustix::process::waitpid(Some(p), WaitOptions::empty()).is_ok() {
                ended += 1;
            }
        }
    }
    ended
}

/// The daemon's children, from each thread's `children` list (a child belongs to the thread
/// that started it), or from every process's parent where the kernel has no such list.
fn children() -> Vec<i32> {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let from_tasks = std::fs::read_dir("/proc/self/task").ok().and_then(|tasks| {
        let mut pids = Vec::new();
        for task in tasks.filter_map(Result::ok) {
            match std::fs::read_to_string(task.path().join("children")) {
                Ok(list) => pids.extend(
                    list.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                ),
                // A thread that ended since the listing has no children to give.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && task.path().exists() => {
                    return None;
                }
                Err(_) => {}
            }
        }
        Some(pids)
    });
    from_tasks.unwrap_or_else(|| {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| stat_fields(*pid).and_then(|f| f.get(1)?.parse().ok()) == Some(me))
            .collect()
    })
}

/// The fields of `/proc/PID/stat` after the command name: state, ppid, pgrp, …
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

fn is_zombie(pid: i32) -> bool {
    stat_fields(pid).is_some_and(|f| f.first().is_some_and(|s| s == "Z"))
}

/// Whether `pid`'s environment holds exactly the entry `home`.
fn carries(pid: i32, home: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|entry| entry == home))
}
