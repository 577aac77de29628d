//! `chinwag config`: where everything lives and what is in force, for the client
//! (`chinwag.toml`) and for a daemon started now (`chinwagd.toml`); `--default` prints both
//! files' commented defaults, generated from the code so they cannot drift.

use crate::exit::ClientError;
use crate::ui::config::{ClientConfig, path as client_path};
use crate::ui::keymap::{Action, Keymap};
use std::fmt::Write as _;
use std::path::Path;

fn state(p: &Path) -> &'static str {
    if p.exists() {
        "present"
    } else {
        "absent: the defaults"
    }
}

/// The client's commented defaults: the theme and every action's keys.
pub fn client_default() -> String {
    let keys = Keymap::default();
    let mut out = String::from(
        "# chinwag.toml: the chat screen's theme and keys. Every key is optional; this is\n\
         # what applies without the file. NO_COLOR (set and not empty) wins over the theme.\n\n\
         # dark, light, or plain (no colour).\n# theme = \"dark\"\n\n\
         # An action's keys (a list replaces the defaults): ctrl+, alt+, shift+, f1…f12,\n\
         # enter, esc, tab, pageup, up… and single characters.\n# [keys]\n",
    );
    for (name, action) in Action::ALL {
        let bound: Vec<String> = keys
            .keys_for(action)
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect();
        let _ = writeln!(
            out,
            "# {name} = [{}]  # {}",
            bound.join(", "),
            action.describe()
        );
    }
    out
}

/// `chinwag config [--default]`.
pub fn run(default: bool) -> Result<(), ClientError> {
    if default {
        let text = format!(
            "{}\n{}",
            client_default(),
            chinwagd::config_doc::default_config()
        );
        return crate::commands::print(&text);
    }
    let mut out = String::new();
    match client_path() {
        Some(p) => {
            let cfg = ClientConfig::load(&p).map_err(|e| ClientError::Usage(format!("{e:#}")))?;
            let _ = writeln!(
                out,
                "# chinwag (the client): {} ({})",
                p.display(),
                state(&p)
            );
            let _ = writeln!(
                out,
                "theme = {:?}",
                format!("{:?}", cfg.theme).to_lowercase()
            );
            let keys = cfg
                .keymap()
                .map_err(|e| ClientError::Usage(format!("{e:#}")))?;
            let _ = writeln!(out, "[keys]");
            for (name, action) in Action::ALL {
                let bound: Vec<String> = keys
                    .keys_for(action)
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect();
                let _ = writeln!(out, "{name} = [{}]", bound.join(", "));
            }
        }
        None => out.push_str("# chinwag (the client): no config directory ($HOME unset)\n"),
    }
    let dirs = chinwagd::Dirs::from_env().map_err(ClientError::Other)?;
    let file = std::env::var_os("CHINWAG_DAEMON_CONFIG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dirs.config.join("chinwagd.toml"));
    let _ = writeln!(
        out,
        "\n# chinwagd (a daemon started now): {} ({})",
        file.display(),
        state(&file)
    );
    match chinwagd::Config::load(&dirs, &chinwagd::Overrides::default()) {
        Ok(c) => {
            let _ = writeln!(out, "socket = {:?}", c.socket.display().to_string());
            if let Some(l) = c.listen {
                let _ = writeln!(out, "listen = \"{l}\"");
            }
            let _ = writeln!(out, "database = {:?}", c.database.display().to_string());
            let _ = writeln!(out, "ollama_host = \"{}\"", c.ollama);
            if let Some(m) = &c.default_model {
                let _ = writeln!(out, "default_model = {m:?}");
            }
            if let Some(b) = &c.default_bot {
                let _ = writeln!(out, "default_bot = {b:?}");
            }
            let durability = format!("{:?}", c.durability).to_lowercase();
            let _ = writeln!(out, "durability = \"{durability}\"");
            let _ = writeln!(out, "log_dir = {:?}", c.log_dir.display().to_string());
            let _ = writeln!(out, "max_message_bytes = {}", c.max_message_bytes);
            let _ = writeln!(out, "[exec]");
            if let Some(r) = &c.exec.root {
                let _ = writeln!(out, "root = {:?}", r.display().to_string());
            }
            let _ = writeln!(out, "timeout_secs = {}", c.exec.timeout.as_secs());
            let _ = writeln!(out, "[tools]");
            let _ = writeln!(
                out,
                "approval_timeout_secs = {}",
                c.tools.approval_timeout.as_secs()
            );
            let _ = writeln!(out, "max_rounds = {}", c.tools.max_rounds);
            for name in c.backends.keys() {
                let _ = writeln!(out, "[backends.{name}]");
            }
            for name in c.bots.keys() {
                let _ = writeln!(out, "[bots.{name}]");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "# it does not load: {e:#}");
        }
    }
    out.push_str("\n# Every key with its default: chinwag config --default\n");
    crate::commands::print(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_defaults_name_every_action_and_parse_when_uncommented() {
        let text = client_default();
        for (name, _) in Action::ALL {
            assert!(text.contains(&format!("# {name} = [")), "{name}");
        }
        let uncommented: String = text
            .lines()
            .filter(|l| {
                l.starts_with("# theme") || l.starts_with("# [keys]") || l.contains(" = [\"")
            })
            .map(|l| {
                let l = l.trim_start_matches("# ");
                let l = l.split("  #").next().unwrap_or(l);
                format!("{l}\n")
            })
            .collect();
        let cfg = ClientConfig::parse(&uncommented, Path::new("defaults")).expect("parses");
        cfg.keymap().expect("the defaults are a valid keymap");
    }
}
