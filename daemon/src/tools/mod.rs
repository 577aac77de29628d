//! The model's tools: `run_command` (the executor, exactly as `/run`), and `read_file`,
//! `list_dir`, `search_text`, confined to the executor's root. `decide` holds the pure
//! decisions of a turn (which tools, whether a call asks, when the rounds stop); `fs` and
//! `command` carry the calls out; `specs` describes them to the model.

pub mod command;
pub mod decide;
pub mod fs;
mod specs;

pub use specs::spec;

use anyhow::{Result, bail};
use chinwag_protocol::{READ_ONLY_TOOLS, TOOL_NAMES};
use serde::Deserialize;
use std::time::Duration;

/// `[tools]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTools {
    pub approval_timeout_secs: Option<u64>,
    pub max_rounds: Option<u32>,
    pub output_cap_bytes: Option<usize>,
    /// Lets a bot's `auto_approve` name `run_command`; off unless the owner says so.
    pub allow_auto_run_command: Option<bool>,
}

/// `[tools]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolsConfig {
    /// How long a call waits for a user's answer; then the model is told nobody answered.
    pub approval_timeout: Duration,
    /// Tool rounds in one turn; past them calls are refused and the model must answer.
    pub max_rounds: u32,
    /// Most bytes of a tool's result the model sees.
    pub output_cap: usize,
    pub allow_auto_run_command: bool,
}

impl Default for ToolsConfig {
    fn default() -> Self {
        ToolsConfig {
            approval_timeout: Duration::from_secs(300),
            max_rounds: 8,
            output_cap: 16 * 1024,
            allow_auto_run_command: false,
        }
    }
}

impl ToolsConfig {
    pub fn from_file(f: &FileTools) -> Result<ToolsConfig> {
        let d = ToolsConfig::default();
        let c = ToolsConfig {
            approval_timeout: f
                .approval_timeout_secs
                .map_or(d.approval_timeout, Duration::from_secs),
            max_rounds: f.max_rounds.unwrap_or(d.max_rounds),
            output_cap: f.output_cap_bytes.unwrap_or(d.output_cap),
            allow_auto_run_command: f.allow_auto_run_command.unwrap_or(false),
        };
        if c.approval_timeout.is_zero() || c.max_rounds == 0 || c.output_cap < 256 {
            bail!(
                "[tools] approval_timeout_secs and max_rounds must be at least 1, \
                 output_cap_bytes at least 256"
            );
        }
        Ok(c)
    }
}

/// Checks a bot's `tools` and `auto_approve`: known names, approvals only of tools offered,
/// and `run_command` approved only where `[tools] allow_auto_run_command` says so.
pub fn check_bot(name: &str, tools: &[String], auto: &[String], c: &ToolsConfig) -> Result<()> {
    for t in tools.iter().chain(auto) {
        if !TOOL_NAMES.contains(&t.as_str()) {
            bail!(
                "[bots.{name}] names the tool {t:?}; the tools are {}",
                TOOL_NAMES.join(", ")
            );
        }
    }
    for t in auto {
        if !tools.contains(t) {
            bail!("[bots.{name}] auto_approve names {t:?}, which its tools do not offer");
        }
        if !READ_ONLY_TOOLS.contains(&t.as_str()) && !c.allow_auto_run_command {
            bail!(
                "[bots.{name}] auto_approve names run_command; that runs commands nobody \
                 approved, so it needs [tools] allow_auto_run_command = true"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_bot_approves_run_command_only_when_the_owner_allows_it() {
        let mut c = ToolsConfig::default();
        let tools = names(&["read_file", "run_command"]);
        check_bot("b", &tools, &names(&["read_file"]), &c).unwrap();
        let e = check_bot("b", &tools, &names(&["run_command"]), &c).unwrap_err();
        assert!(e.to_string().contains("allow_auto_run_command"), "{e}");
        c.allow_auto_run_command = true;
        check_bot("b", &tools, &names(&["run_command"]), &c).unwrap();
        let e = check_bot("b", &tools, &names(&["list_dir"]), &c).unwrap_err();
        assert!(e.to_string().contains("do not offer"), "{e}");
        let e = check_bot("b", &names(&["rm"]), &[], &c).unwrap_err();
        assert!(e.to_string().contains("\"rm\""), "{e}");
    }
}
