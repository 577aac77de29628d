//! The safe-command executor (SECURITY.md §1): `policy` decides from the policy's data
//! alone, `confine` holds every path inside the real root, `sandbox` is the kernel's
//! Landlock ruleset for the child, `spawn` runs the child and supervises it; this module
//! ties them to the config and decides one request.
//!
//! `reap` ends what a run left behind.

pub mod confine;
pub mod policy;
pub mod reap;
pub mod sandbox;
pub mod show;
pub mod spawn;

#[cfg(test)]
mod git_tests;
#[cfg(test)]
mod tests;

use crate::config::FileExec;
use anyhow::{Result, bail};
use confine::Root;
use policy::{Policy, Refusal};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `[exec]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecConfig {
    /// The directory commands may reach (a client may name one inside it); `None`: the
    /// executor refuses everything.
    pub root: Option<PathBuf>,
    pub timeout: Duration,
    pub output_cap: usize,
    pub max_running_per_user: usize,
    /// The child's rlimits.
    pub limits: spawn::Limits,
    /// The built-in policy with the owner's changes.
    pub policy: Arc<Policy>,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            root: directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()),
            timeout: Duration::from_secs(30),
            output_cap: 256 * 1024,
            max_running_per_user: 4,
            limits: spawn::Limits::default(),
            policy: Arc::new(Policy::builtin()),
        }
    }
}

impl ExecConfig {
    pub fn from_file(f: &FileExec) -> Result<ExecConfig> {
        let d = ExecConfig::default();
        let c = ExecConfig {
            root: f.root.clone().or(d.root),
            timeout: f.timeout_secs.map_or(d.timeout, Duration::from_secs),
            output_cap: f.output_cap_bytes.unwrap_or(d.output_cap),
            max_running_per_user: f.max_running_per_user.unwrap_or(d.max_running_per_user),
            limits: spawn::Limits {
                address_space: f.memory_bytes.unwrap_or(d.limits.address_space),
                file_size: f.file_size_bytes.unwrap_or(d.limits.file_size),
                processes: f.max_processes.unwrap_or(d.limits.processes),
            },
            policy: Arc::new(
                d.policy
                    .extended(&f.programs, &f.disable)
                    .map_err(|e| anyhow::anyhow!("[exec] policy: {e}"))?,
            ),
        };
        if c.timeout.is_zero() || c.output_cap == 0 || c.max_running_per_user == 0 {
            bail!(
                "[exec] timeout_secs, output_cap_bytes and max_running_per_user must be at least 1"
            );
        }
        if c.limits.address_space < 64 << 20 || c.limits.file_size == 0 {
            bail!("[exec] memory_bytes must be at least 64 MiB and file_size_bytes at least 1");
        }
        if c.root.as_ref().is_some_and(|r| !r.is_absolute()) {
            bail!("[exec] root must be an absolute path");
        }
        Ok(c)
    }
}

/// What will run: the program's absolute path, its arguments, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub program: PathBuf,
    /// The policy's fixed arguments, then the checked plan's.
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// Added to the allowlisted environment.
    pub env: Vec<(String, String)>,
    /// The run must not start unless the whole Landlock ruleset is enforced.
    pub needs_sandbox: bool,
}

fn refuse(rule: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        reason: reason.into(),
    }
}

/// Decides one request: the root (the configured one, or `cwd` inside it), the policy, the
/// paths, and the program's path. Starts nothing.
pub fn decide(
    config: &ExecConfig,
    argv: &[String],
    cwd: Option<&str>,
) -> Result<Decision, Refusal> {
    let policy = &config.policy;
    let allowed = config.root.as_deref().ok_or_else(|| {
        refuse(
            "no-root",
            "this daemon's executor has no root ([exec] root)",
        )
    })?;
    let allowed = Root::new(allowed).map_err(|e| {
        refuse(
            "no-root",
            format!("the executor's root cannot be used: {e}"),
        )
    })?;
    let root = match cwd {
        None => allowed,
        Some(dir) => {
            if !Path::new(dir).is_absolute() {
                return Err(refuse(
                    "cwd-outside-root",
                    format!("cwd {dir} is not absolute"),
                ));
            }
            let here = Root::new(Path::new(dir))
                .map_err(|e| refuse("cwd-outside-root", format!("cwd {dir}: {e}")))?;
            if !allowed.contains(here.path()) {
                return Err(refuse(
                    "cwd-outside-root",
                    format!(
                        "cwd {dir} is outside the executor's root {}",
                        allowed.path().display()
                    ),
                ));
            }
            here
        }
    };
    let plan = root.settle(policy.check(argv)?);
    root.check(&plan)?;
    let entry = policy.programs.get(&plan.program).ok_or_else(|| {
        refuse(
            "not-in-policy",
            format!("{} is not in the policy", plan.program),
        )
    })?;
    let program = entry
        .paths
        .iter()
        .find(|path| path.is_file())
        .ok_or_else(|| {
            refuse(
                "program-missing",
                format!("{} is in the policy but not installed here", plan.program),
            )
        })?;
    if entry.needs_sandbox && sandbox::available() != sandbox::Level::Landlock {
        return Err(refuse(
            "needs-sandbox",
            format!(
                "{} runs only where the kernel enforces the whole Landlock ruleset, and here it is {}",
                plan.program,
                sandbox::available().as_str()
            ),
        ));
    }
    let parent = root
        .path()
        .parent()
        .unwrap_or(root.path())
        .display()
        .to_string();
    Ok(Decision {
        program: program.clone(),
        args: entry.fixed.iter().cloned().chain(plan.args).collect(),
        cwd: root.path().to_path_buf(),
        env: entry
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("{root-parent}", &parent)))
            .collect(),
        needs_sandbox: entry.needs_sandbox,
    })
}

impl Decision {
    /// The run this decision makes under `config`, with its own scratch directory and at
    /// most `output_cap` bytes of output.
    pub fn spec(self, config: &ExecConfig, scratch: &Path, output_cap: usize) -> spawn::RunSpec {
        spawn::RunSpec {
            program: self.program,
            args: self.args,
            cwd: self.cwd,
            env: spawn::allowed_env().into_iter().chain(self.env).collect(),
            scratch: scratch.to_path_buf(),
            timeout: config.timeout,
            output_cap,
            limits: config.limits,
            needs_sandbox: self.needs_sandbox,
        }
    }
}

/// Completes a request's audit record with how its run ended.
pub fn ended(record: &mut chinwag_protocol::ExecRecord, exit: &spawn::Exit) {
    record.code = exit.code;
    record.signal = exit.signal;
    record.timed_out = exit.timed_out;
    record.truncated = exit.truncated;
    record.bytes = exit.bytes;
    record.duration_ms = exit.duration.as_millis() as u64;
    record.sandbox = Some(exit.sandbox.as_str().into());
}

/// A request's audit record before it is decided (`allowed` until a refusal says otherwise).
pub fn record(
    user: &str,
    token: Option<String>,
    argv: Vec<String>,
    cwd: Option<String>,
    check: bool,
) -> chinwag_protocol::ExecRecord {
    chinwag_protocol::ExecRecord {
        at_ms: crate::store::now_ms(),
        user: user.to_string(),
        token,
        argv,
        cwd,
        check,
        decision: "allowed".into(),
        rule: None,
        code: None,
        signal: None,
        timed_out: false,
        truncated: false,
        bytes: 0,
        duration_ms: 0,
        sandbox: None,
    }
}

/// Commands running now, per user, against `max_running_per_user`.
#[derive(Debug, Default)]
pub struct Running(Mutex<HashMap<String, usize>>);

/// One running command, counted until dropped.
#[derive(Debug)]
pub struct RunSlot(Arc<Running>, String);

impl Drop for RunSlot {
    fn drop(&mut self) {
        if let Ok(mut m) = (self.0).0.lock()
            && let Some(n) = m.get_mut(&self.1)
        {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

impl Running {
    /// A place for `owner`'s next command; `None` when it already runs `max`.
    pub fn take(self: &Arc<Self>, owner: &str, max: usize) -> Option<RunSlot> {
        let mut m = self.0.lock().ok()?;
        let n = m.entry(owner.to_string()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(RunSlot(Arc::clone(self), owner.to_string()))
    }
}

/// Turns a stream's bytes into text, keeping a character split between two reads whole;
/// bytes that are not UTF-8 become U+FFFD.
#[derive(Debug, Default)]
pub struct Utf8Carry(Vec<u8>);

impl Utf8Carry {
    /// The text of `bytes` (after what was carried), and whether any was replaced.
    pub fn push(&mut self, bytes: &[u8]) -> (String, bool) {
        self.0.extend_from_slice(bytes);
        let (text, lossy, rest) = match std::str::from_utf8(&self.0) {
            Ok(t) => (t.to_string(), false, Vec::new()),
            Err(e) if e.error_len().is_none() => {
                // An unfinished character at the end: keep it for the next read.
                let (done, tail) = self.0.split_at(e.valid_up_to());
                (
                    String::from_utf8_lossy(done).into_owned(),
                    false,
                    tail.to_vec(),
                )
            }
            Err(_) => (
                String::from_utf8_lossy(&self.0).into_owned(),
                true,
                Vec::new(),
            ),
        };
        self.0 = rest;
        (text, lossy)
    }

    /// What is left at the end of the stream.
    pub fn finish(&mut self) -> (String, bool) {
        let rest = std::mem::take(&mut self.0);
        (
            String::from_utf8_lossy(&rest).into_owned(),
            !rest.is_empty(),
        )
    }
}
