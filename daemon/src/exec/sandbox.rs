//! The kernel's half of the executor's boundary: a Landlock ruleset, applied to a fresh
//! thread that then starts the child (a Landlock domain and `no_new_privs` belong to the
//! thread and pass to its children; the daemon's other threads are untouched, and the
//! thread ends after the spawn). The child may read the system's directories and its root,
//! write only its scratch directory (and /dev/null), execute only its own program and the
//! dynamic loader, and make no TCP connection or bind. Where the kernel has no Landlock,
//! the run goes on in its process group and says so.

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, RestrictionStatus,
    Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, path_beneath_rules,
};
use std::path::{Path, PathBuf};

/// What confined a run, as `exec_exit` and the audit log say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Landlock's whole ruleset, filesystem and network.
    Landlock,
    /// Landlock with only the part of the ruleset the kernel knows.
    LandlockPartial,
    /// No Landlock: the process group and the policy only.
    ProcessGroup,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Landlock => "landlock",
            Level::LandlockPartial => "landlock-partial",
            Level::ProcessGroup => "process-group",
        }
    }
}

/// Directories any program needs to read: its libraries, locale and configuration.
const SYSTEM_READ: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"];

/// The dynamic loaders a program is started through (the kernel opens them for execution).
const LOADERS: &[&str] = &[
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "/lib/ld-linux-aarch64.so.1",
    "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
    "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
];

/// What this kernel enforces, found once by taking the ruleset on a thread that then ends.
pub fn available() -> Level {
    static LEVEL: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        let scratch = std::env::temp_dir();
        std::thread::Builder::new()
            .name("chinwagd-landlock-probe".into())
            .spawn(move || restrict_this_thread(Path::new("/"), &scratch, Path::new("/")))
            .ok()
            .and_then(|t| t.join().ok())
            .unwrap_or(Level::ProcessGroup)
    })
}

fn existing(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    paths.into_iter().filter(|p| p.exists()).collect()
}

/// Restricts the calling thread (and so the children it starts) to `root` (read),
/// `scratch` (read and write) and `program` (execute). Call it on a thread of its own.
pub fn restrict_this_thread(root: &Path, scratch: &Path, program: &Path) -> Level {
    match ruleset(root, scratch, program) {
        Ok(status) => match status.ruleset {
            RulesetStatus::FullyEnforced => Level::Landlock,
            RulesetStatus::PartiallyEnforced => Level::LandlockPartial,
            RulesetStatus::NotEnforced => Level::ProcessGroup,
        },
        Err(e) => {
            tracing::warn!(error = %e, "Landlock could not be applied; the process group remains");
            Level::ProcessGroup
        }
    }
}

fn ruleset(
    root: &Path,
    scratch: &Path,
    program: &Path,
) -> Result<RestrictionStatus, landlock::RulesetError> {
    let abi = ABI::V5;
    let read: BitFlags<AccessFs> = AccessFs::ReadFile | AccessFs::ReadDir;
    let execute: BitFlags<AccessFs> = AccessFs::Execute | AccessFs::ReadFile;
    let system = existing(SYSTEM_READ.iter().map(PathBuf::from));
    let loaders = existing(LOADERS.iter().map(PathBuf::from));
    let mut executable = vec![program.to_path_buf()];
    executable.extend(loaders);
    Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))?
        .handle_access(AccessNet::from_all(abi))?
        .create()?
        .add_rules(path_beneath_rules(system, read))?
        .add_rules(path_beneath_rules([root], read))?
        .add_rules(path_beneath_rules([scratch], AccessFs::from_all(abi)))?
        .add_rules(path_beneath_rules(
            ["/dev/null"],
            AccessFs::ReadFile | AccessFs::WriteFile,
        ))?
        .add_rules(path_beneath_rules(executable, execute))?
        .restrict_self()
}
