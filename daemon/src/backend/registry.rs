//! The configured backends: Ollama at `OLLAMA_HOST` (the default, unnamed) and each
//! `[backends.NAME]`. A model named `NAME:model` goes to backend `NAME` when one is
//! configured; any other name (Ollama's own `model:tag` included) goes to the default.

use super::Backend;
use super::openai::OpenAiClient;
use crate::ollama::{OllamaClient, parse_ollama_host};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[backends.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    pub kind: BackendKind,
    /// The server's base URL (`http://host:8080`, or with `/v1`).
    pub url: String,
    /// The environment variable holding its API key, read from the daemon's environment.
    #[serde(default)]
    pub api_key_env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Ollama,
    #[serde(rename = "openai")]
    OpenAi,
}

/// Every backend the daemon may ask.
#[derive(Debug, Clone)]
pub struct Backends {
    pub default: Backend,
    pub named: BTreeMap<String, Backend>,
}

/// Where a model name leads.
#[derive(Debug, Clone)]
pub struct Routed {
    pub backend: Backend,
    /// `None` for the default backend.
    pub name: Option<String>,
    /// The model's name on that backend.
    pub model: String,
}

impl Backends {
    /// The default Ollama and the configured backends; an API key is read from the
    /// environment here, once. A backend name must be a plain word, so `name:` prefixes
    /// cannot be mistaken for each other.
    pub fn new(
        default: OllamaClient,
        configs: &BTreeMap<String, BackendConfig>,
        http: &reqwest::Client,
    ) -> anyhow::Result<Backends> {
        let mut named = BTreeMap::new();
        for (name, c) in configs {
            check_name(name)?;
            let key = key(name, c)?;
            let backend = match c.kind {
                BackendKind::OpenAi => {
                    Backend::OpenAi(OpenAiClient::new(http.clone(), name, &c.url, key))
                }
                BackendKind::Ollama => Backend::Ollama(OllamaClient::with_http(
                    http.clone(),
                    parse_ollama_host(&c.url),
                )),
            };
            named.insert(name.clone(), backend);
        }
        Ok(Backends {
            default: Backend::Ollama(default),
            named,
        })
    }

    /// The default Ollama alone.
    pub fn only(default: OllamaClient) -> Backends {
        Backends {
            default: Backend::Ollama(default),
            named: BTreeMap::new(),
        }
    }

    /// Checks `[backends]` without building anything: the names, the kinds' keys, and
    /// that each `api_key_env` is set.
    pub fn check(configs: &BTreeMap<String, BackendConfig>) -> anyhow::Result<()> {
        for (name, c) in configs {
            check_name(name)?;
            key(name, c)?;
            if c.kind == BackendKind::OpenAi
                && !(c.url.starts_with("http://") || c.url.starts_with("https://"))
            {
                anyhow::bail!(
                    "[backends.{name}] url {:?} must start with http:// or https://",
                    c.url
                );
            }
        }
        Ok(())
    }

    /// The backend and model a name means.
    pub fn route(&self, model: &str) -> Routed {
        if let Some((prefix, rest)) = model.split_once(':')
            && let Some(b) = self.named.get(prefix)
            && !rest.is_empty()
        {
            return Routed {
                backend: b.clone(),
                name: Some(prefix.to_string()),
                model: rest.to_string(),
            };
        }
        Routed {
            backend: self.default.clone(),
            name: None,
            model: model.to_string(),
        }
    }
}

/// The backend's API key, from the variable `api_key_env` names.
fn key(name: &str, c: &BackendConfig) -> anyhow::Result<Option<String>> {
    match (&c.api_key_env, c.kind) {
        (None, _) => Ok(None),
        (Some(_), BackendKind::Ollama) => {
            anyhow::bail!("[backends.{name}] an Ollama backend takes no api_key_env")
        }
        (Some(var), BackendKind::OpenAi) => std::env::var(var).map(Some).map_err(|_| {
            anyhow::anyhow!(
                "[backends.{name}] api_key_env names {var}, which is not set in the daemon's \
                 environment"
            )
        }),
    }
}

/// Letters, digits, `-` and `_`: what can stand before the `:` of a model name.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        anyhow::bail!("[backends.{name}]: a backend's name is letters, digits, - and _ only")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backends() -> Backends {
        let http = crate::backend::http_client(&[]);
        let ollama = OllamaClient::with_http(http.clone(), parse_ollama_host("127.0.0.1:11434"));
        let mut configs = BTreeMap::new();
        configs.insert(
            "lan".to_string(),
            BackendConfig {
                kind: BackendKind::OpenAi,
                url: "http://10.0.0.2:8080".into(),
                api_key_env: None,
            },
        );
        Backends::new(ollama, &configs, &http).expect("backends")
    }

    #[test]
    fn a_configured_prefix_routes_and_anything_else_is_ollamas() {
        let b = backends();
        let r = b.route("lan:qwen2.5:7b");
        assert_eq!(
            (r.name.as_deref(), r.model.as_str()),
            (Some("lan"), "qwen2.5:7b")
        );
        assert!(matches!(r.backend, Backend::OpenAi(_)));
        for name in ["qwen2.5:7b", "llama3.2", "lan:", "other:model"] {
            let r = b.route(name);
            assert_eq!((r.name, r.model.as_str()), (None, name), "{name}");
        }
    }

    #[test]
    fn names_and_keys_are_checked() {
        let one = |name: &str, env: Option<&str>| {
            let mut c = BTreeMap::new();
            c.insert(
                name.to_string(),
                BackendConfig {
                    kind: BackendKind::OpenAi,
                    url: "http://x".into(),
                    api_key_env: env.map(str::to_string),
                },
            );
            Backends::check(&c).map_err(|e| e.to_string())
        };
        assert!(one("a.b", None).unwrap_err().contains("letters"));
        let mut c = BTreeMap::new();
        c.insert(
            "lan".to_string(),
            BackendConfig {
                kind: BackendKind::OpenAi,
                url: "10.0.0.2:8080".into(),
                api_key_env: None,
            },
        );
        assert!(
            Backends::check(&c)
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert!(
            one("lan", Some("CHINWAG_SURELY_UNSET_KEY"))
                .unwrap_err()
                .contains("CHINWAG_SURELY_UNSET_KEY")
        );
    }
}
