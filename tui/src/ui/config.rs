//! The client's own config: `chinwag.toml` in the XDG config dir (beside the daemon's
//! `chinwagd.toml`). Theme and key bindings. A missing file is the defaults; a bad one is an
//! error that names the problem, never a silent fallback.

use super::keymap::Keymap;
use crate::text::theme::ThemeName;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    #[serde(default)]
    pub theme: ThemeName,
    /// Action name → keys, e.g. `search = ["ctrl+r", "f3"]`.
    #[serde(default)]
    pub keys: HashMap<String, OneOrMany>,
}

/// A key binding given as one string or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl ClientConfig {
    pub fn parse(text: &str, origin: &Path) -> Result<ClientConfig> {
        toml::from_str(text).with_context(|| format!("reading {}", origin.display()))
    }

    /// The file at `path`; defaults when there is none.
    pub fn load(path: &Path) -> Result<ClientConfig> {
        match std::fs::read_to_string(path) {
            Ok(text) => ClientConfig::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ClientConfig::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn keymap(&self) -> Result<Keymap> {
        let overrides: HashMap<String, Vec<String>> = self
            .keys
            .iter()
            .map(|(k, v)| {
                let keys = match v {
                    OneOrMany::One(s) => vec![s.clone()],
                    OneOrMany::Many(v) => v.clone(),
                };
                (k.clone(), keys)
            })
            .collect();
        Keymap::with_overrides(&overrides).map_err(|e| anyhow::anyhow!("chinwag.toml: {e}"))
    }
}

/// Where the client config lives: `CHINWAG_CONFIG`, else `$XDG_CONFIG_HOME/chinwag/chinwag.toml`.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHINWAG_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", chinwag_protocol::paths::APP_DIR)
        .map(|d| d.config_dir().join("chinwag.toml"))
}

/// `chinwag.toml(5)`: the file's keys, with every action and its default keys from the
/// keymap itself, so the page cannot drift from what the chat screen does.
pub fn man_page(version: &str) -> String {
    let esc = |t: &str| t.replace('\\', "\\e").replace('-', "\\-");
    let mut out = format!(
        ".TH chinwag.toml 5 \"chinwag {v}\"\n.SH NAME\nchinwag.toml \\- the chinwag chat \
         screen's configuration file\n.SH SYNOPSIS\n\\fI$XDG_CONFIG_HOME/chinwag/chinwag.toml\\fR \
         (or \\fBCHINWAG_CONFIG\\fR)\n.SH DESCRIPTION\nTOML: the chat screen's theme and key \
         bindings. A missing file means the defaults; a bad one is an error that names the \
         problem. The daemon has its own file, chinwagd.toml(5).\n.SH KEYS\n.TP\n\\fBtheme\\fR \
         = \"dark\" | \"light\" | \"plain\"\nColours; \\fBplain\\fR has none (chosen by itself \
         when \\fBNO_COLOR\\fR is set). Default: dark.\n.TP\n\\fB[keys]\\fR\n\\fIaction\\fR = \
         \"\\fIkey\\fR\" or [\"\\fIkey\\fR\", ...]: the keys for an action, which then loses its \
         default keys. A key is written like \\fBctrl+r\\fR, \\fBalt+enter\\fR, \\fBf3\\fR, \
         \\fBpageup\\fR.\n.SH ACTIONS\n",
        v = esc(version)
    );
    let defaults = Keymap::default();
    for (name, action) in super::keymap::Action::ALL {
        let keys: Vec<String> = defaults
            .keys_for(action)
            .iter()
            .map(ToString::to_string)
            .collect();
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR (default: {})\n{}\n",
            esc(name),
            esc(&keys.join(", ")),
            esc(action.describe())
        ));
    }
    out.push_str(
        ".SH EXAMPLE\n.nf\ntheme = \"light\"\n[keys]\nsearch = [\"ctrl+r\", \"f3\"]\n.fi\n\
         .SH \"SEE ALSO\"\nchinwag(1), chinwagd.toml(5)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_and_keys_parse_and_mistakes_are_named() {
        let c = ClientConfig::parse(
            "theme = \"light\"\n[keys]\nsearch = \"ctrl+f\"\nhelp = [\"f1\", \"ctrl+h\"]\n",
            Path::new("x.toml"),
        )
        .expect("valid");
        assert_eq!(c.theme, ThemeName::Light);
        assert!(c.keymap().is_ok());
        let err = ClientConfig::parse("colour = 1", Path::new("x.toml")).expect_err("unknown key");
        assert!(format!("{err:#}").contains("colour"), "{err:#}");
        let c = ClientConfig::parse("[keys]\nsearch = \"hyper+f\"", Path::new("x.toml"))
            .expect("parses");
        assert!(c.keymap().is_err());
    }
}
