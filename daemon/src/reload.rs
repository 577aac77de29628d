//! Reloading the config while the daemon runs (a `reload` request, or SIGHUP): bots, the
//! default model and bot, timeouts and the message limit change in place and connections
//! stay; what needs a restart (listeners, store, Ollama's address, logging) is reported and
//! left as it was. A config that does not load is refused and the old one stays.

use crate::config::Config;
use crate::daemon::Daemon;

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadReport {
    /// Settings now in force with new values.
    pub changed: Vec<String>,
    /// Settings changed in the file that take effect only after a restart.
    pub needs_restart: Vec<String>,
}

/// Re-reads the config the way the daemon first read it and puts what can change in force.
/// The error, for the one who asked, says why the new config is refused.
pub fn reload(d: &Daemon) -> Result<ReloadReport, String> {
    let old = d.config();
    let Some((dirs, flags)) = old.source.clone() else {
        return Err("this daemon's config was not read from a file".into());
    };
    let new = Config::load(&dirs, &flags).map_err(|e| format!("{e:#}"))?;
    // The certificate is read again too (renewed files, same paths): a bad one refuses all.
    let tls = match &new.tls {
        Some(files) if old.tls.is_some() => {
            Some(crate::tls::load(files).map_err(|e| format!("{e:#}"))?.0)
        }
        _ => None,
    };
    let report = compare(&old, &new);
    let merged = Config {
        socket: old.socket.clone(),
        listen: old.listen,
        database: old.database.clone(),
        ollama: old.ollama.clone(),
        durability: old.durability,
        log: old.log.clone(),
        log_dir: old.log_dir.clone(),
        log_keep: old.log_keep,
        tls: old.tls.clone(),
        backends: old.backends.clone(),
        ..new
    };
    if tls.is_some() {
        d.set_tls(tls);
    }
    d.set_config(merged);
    tracing::info!(changed = ?report.changed, needs_restart = ?report.needs_restart, "config reloaded");
    Ok(report)
}

/// Which settings differ, split by whether they can change in place.
pub fn compare(old: &Config, new: &Config) -> ReloadReport {
    let mut r = ReloadReport::default();
    let mut note = |same: bool, name: &str, in_place: bool| {
        if !same {
            let list = if in_place {
                &mut r.changed
            } else {
                &mut r.needs_restart
            };
            list.push(name.to_string());
        }
    };
    note(old.bots == new.bots, "bots", true);
    note(
        old.default_model == new.default_model,
        "default_model",
        true,
    );
    note(old.default_bot == new.default_bot, "default_bot", true);
    note(old.timeouts == new.timeouts, "timeouts", true);
    note(
        old.limits == new.limits
            && old.local_limits == new.local_limits
            && old.user_limits == new.user_limits
            && old.token_limits == new.token_limits,
        "limits",
        true,
    );
    note(
        old.max_message_bytes == new.max_message_bytes,
        "max_message_bytes",
        true,
    );
    note(
        old.max_content_chars == new.max_content_chars,
        "max_content_chars",
        true,
    );
    note(old.caps == new.caps, "connection caps", true);
    note(old.exec == new.exec, "exec", true);
    note(
        old.max_queued_generations == new.max_queued_generations,
        "max_queued_generations",
        true,
    );
    note(
        old.max_generations == new.max_generations,
        "max_generations",
        false,
    );
    note(old.backends == new.backends, "backends", false);
    note(old.socket == new.socket, "socket", false);
    note(old.listen == new.listen, "listen", false);
    note(old.database == new.database, "database", false);
    note(
        old.ollama.to_string() == new.ollama.to_string(),
        "ollama_host",
        false,
    );
    note(old.durability == new.durability, "durability", false);
    note(
        old.log == new.log && old.log_dir == new.log_dir && old.log_keep == new.log_keep,
        "log",
        false,
    );
    r
}
