//! `chinwagd config check [FILE]`: reads a config exactly as the daemon would, without
//! starting, binding or opening the store; also reads its certificate files and applies the
//! listener rule. An error names the key and the line of the file that sets it.

use crate::config::{Config, Dirs, Overrides};
use std::path::Path;

/// Checks `file`; a summary when it is good, else the error with its line.
pub fn check(dirs: &Dirs, file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read it: {e}", file.display()))?;
    let flags = Overrides {
        config: Some(file.to_path_buf()),
        ..Overrides::default()
    };
    let located = |why: String| match line_of(&text, &why) {
        // The TOML parser's own errors already say where.
        Some(line) if !why.contains("at line ") => format!("{}:{line}: {why}", file.display()),
        _ => why,
    };
    let config = Config::load(dirs, &flags).map_err(|e| located(format!("{e:#}")))?;
    if let Some(files) = &config.tls {
        crate::tls::load(files).map_err(|e| located(format!("[tls] {e:#}")))?;
    }
    if let Some(addr) = config.listen {
        crate::server::check_listen(addr, config.tls.is_some(), !config.trust_proxy.is_empty())
            .map_err(|e| located(format!("listen: {e:#}")))?;
    }
    let listen = config
        .listen
        .map_or("the Unix socket only".to_string(), |a| {
            let scheme = if config.tls.is_some() { "wss" } else { "ws" };
            format!("the Unix socket and {scheme}://{a}")
        });
    Ok(format!(
        "{}: ok\n  serves {listen}\n  Ollama at {}\n  {} bot(s), {} user and {} token limit override(s)\n",
        file.display(),
        config.ollama,
        config.bots.len(),
        config.user_limits.len(),
        config.token_limits.len(),
    ))
}

/// The line (from 1) of the key an error message names: each `key =` line is known by its
/// table; a key named in the message wins, the more so when its table is named too.
fn line_of(text: &str, message: &str) -> Option<usize> {
    let mut table = String::new();
    let mut best: Option<(bool, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[') {
            table = header.trim_end_matches(']').trim().to_string();
            if !table.is_empty() && message.contains(&format!("[{table}]")) && best.is_none() {
                best = Some((false, i + 1));
            }
            continue;
        }
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !names(message, key) {
            continue;
        }
        let in_table = table.is_empty() || message.contains(&table);
        match best {
            Some((true, _)) => {}
            Some((false, _)) if !in_table => {}
            _ => best = Some((in_table, i + 1)),
        }
    }
    best.map(|(_, line)| line)
}

/// Whether `message` names `key` as a whole word.
fn names(message: &str, key: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    message.match_indices(key).any(|(at, _)| {
        let before = message[..at].chars().next_back();
        let after = message[at + key.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn an_error_is_placed_on_the_line_of_the_key_it_names() {
        let text = "max_connections = 0\n\n[timeouts]\nfirst_token_secs = 0\n\
                    [limits.tokens.laptop]\nburst = 2\n";
        assert_eq!(
            line_of(
                text,
                "max_connections, max_connections_per_user must be at least 1"
            ),
            Some(1)
        );
        assert_eq!(
            line_of(
                text,
                "[timeouts] first_token_secs must be at least 1 second"
            ),
            Some(4)
        );
        assert_eq!(
            line_of(text, "[limits.tokens.laptop]: not a token id"),
            Some(5)
        );
        assert_eq!(line_of(text, "something else entirely"), None);
        assert_eq!(
            line_of("max_connections_per_ip = 0\n", "max_connections must be"),
            None,
            "a longer key that contains the named one is not it"
        );
    }
}
