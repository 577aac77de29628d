//! Which models each backend has, cached for a few seconds, and the check every chat's
//! model passes before anything is stored: a name the backend does not have is refused with
//! the closest one it does have, and a down backend is reported before a conversation is
//! created. Models of a named backend are listed as `NAME:id`.

use crate::backend::{Backend, Backends};
use chinwag_protocol::model_name::{normalize_model, same_model};
use chinwag_protocol::{BackendStatus, ErrorBody, ErrorCode, ModelInfo};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a fetched model list answers checks before it is fetched again.
const FRESH_FOR: Duration = Duration::from_secs(10);

/// Each backend's model list (by backend name; `""` for the default Ollama), fetched on
/// demand and kept briefly.
#[derive(Debug, Default)]
pub struct ModelCatalog {
    cached: Mutex<HashMap<String, (Instant, Vec<ModelInfo>)>>,
    /// Context lengths by model version: they change only when the model does.
    contexts: Mutex<HashMap<ModelVersion, Option<u64>>>,
}

/// A model by name and modification time.
type ModelVersion = (String, Option<String>);

/// A model's name as it is stored: Ollama's shortest form for the default backend, the
/// server's own id (after `NAME:`) for a named one.
pub fn canonical(backends: &Backends, model: &str) -> String {
    match backends.route(model).name {
        Some(_) => model.to_string(),
        None => normalize_model(model),
    }
}

impl ModelCatalog {
    /// Fills in each of the default Ollama's models' context length: the ones not known yet
    /// are asked all at once, then remembered per model version; a model Ollama cannot
    /// describe is left without.
    pub async fn with_contexts(
        &self,
        ollama: &crate::ollama::OllamaClient,
        models: &mut [ModelInfo],
    ) {
        let key = |m: &ModelInfo| (m.name.clone(), m.modified_at.clone());
        let unknown: Vec<ModelVersion> = {
            let known = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
            models
                .iter()
                .map(key)
                .filter(|k| !known.contains_key(k))
                .collect()
        };
        let asked = futures_util::future::join_all(
            unknown.iter().map(|(name, _)| ollama.context_length(name)),
        )
        .await;
        let mut known = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
        for (k, answer) in unknown.into_iter().zip(asked) {
            if let Ok(ctx) = answer {
                known.insert(k, ctx);
            }
        }
        for m in models.iter_mut() {
            m.context_length = known.get(&key(m)).copied().flatten();
        }
    }

    /// The default Ollama's models now (from the cache while it is fresh, unless `refresh`).
    pub async fn list_default(
        &self,
        backends: &Backends,
        refresh: bool,
    ) -> Result<Vec<ModelInfo>, ErrorBody> {
        self.list(&backends.default, "", refresh).await
    }

    /// Every backend's models, the named ones' as `NAME:id`, and how each named backend
    /// answered. A named backend that cannot be asked is left out of the list and said so
    /// in its status; the default one's error is the answer.
    pub async fn list_all(
        &self,
        backends: &Backends,
    ) -> Result<(Vec<ModelInfo>, Vec<BackendStatus>), ErrorBody> {
        let mut all = self.list(&backends.default, "", true).await?;
        let mut statuses = Vec::new();
        for (name, b) in &backends.named {
            let (kind, url) = b.describe();
            let listed = self.list(b, name, true).await;
            statuses.push(BackendStatus {
                name: name.clone(),
                kind: kind.into(),
                url,
                reachable: listed.is_ok(),
                error: listed.as_ref().err().map(|e| e.message.clone()),
            });
            if let Ok(models) = listed {
                all.extend(models.into_iter().map(|m| ModelInfo {
                    name: format!("{name}:{}", m.name),
                    ..m
                }));
            }
        }
        Ok((all, statuses))
    }

    async fn list(
        &self,
        backend: &Backend,
        key: &str,
        refresh: bool,
    ) -> Result<Vec<ModelInfo>, ErrorBody> {
        if !refresh
            && let Ok(c) = self.cached.lock()
            && let Some((at, models)) = c.get(key)
            && at.elapsed() < FRESH_FOR
        {
            return Ok(models.clone());
        }
        let models = backend.list_models().await.map_err(|e| e.to_body())?;
        if let Ok(mut c) = self.cached.lock() {
            c.insert(key.to_string(), (Instant::now(), models.clone()));
        }
        Ok(models)
    }

    /// `model` as its backend lists it, under its stored name, if the backend has it (a
    /// stale cache is refreshed once before refusing, so a model pulled a moment ago is
    /// found); `model_not_found` with a suggestion otherwise, or the backend's own error when
    /// it cannot be asked.
    pub async fn require(&self, backends: &Backends, model: &str) -> Result<ModelInfo, ErrorBody> {
        let routed = backends.route(model);
        if let Some(name) = &routed.name {
            let find = |models: &[ModelInfo]| {
                models
                    .iter()
                    .find(|m| m.name == routed.model)
                    .map(|m| ModelInfo {
                        name: model.to_string(),
                        ..m.clone()
                    })
            };
            if let Some(found) = find(&self.list(&routed.backend, name, false).await?) {
                return Ok(found);
            }
            if let Some(found) = find(&self.list(&routed.backend, name, true).await?) {
                return Ok(found);
            }
            let have = self.list(&routed.backend, name, false).await?;
            return Err(not_on_backend(name, &routed.model, &have));
        }
        let name = normalize_model(model);
        let find = |models: &[ModelInfo]| {
            models
                .iter()
                .find(|m| same_model(&m.name, &name))
                .map(|m| ModelInfo {
                    name: normalize_model(&m.name),
                    ..m.clone()
                })
        };
        if let Some(found) = find(&self.list(&routed.backend, "", false).await?) {
            return Ok(found);
        }
        let fresh = self.list(&routed.backend, "", true).await?;
        find(&fresh).ok_or_else(|| not_found(model, &fresh))
    }
}

/// `model_not_found` for a named backend, listing a few of the models it has.
fn not_on_backend(backend: &str, model: &str, have: &[ModelInfo]) -> ErrorBody {
    let names: Vec<String> = have
        .iter()
        .take(5)
        .map(|m| format!("{backend}:{}", m.name))
        .collect();
    let message = if names.is_empty() {
        format!("model '{backend}:{model}' not found — the backend {backend} lists no models")
    } else {
        format!(
            "model '{backend}:{model}' not found — {backend} has {}",
            names.join(", ")
        )
    };
    ErrorBody::new(ErrorCode::ModelNotFound, message)
}

/// `model_not_found`, naming the closest model Ollama has when one is close.
pub fn not_found(model: &str, models: &[ModelInfo]) -> ErrorBody {
    let wanted = normalize_model(model).to_ascii_lowercase();
    let closest = models
        .iter()
        .map(|m| {
            let have = normalize_model(&m.name);
            (
                strsim::levenshtein(&wanted, &have.to_ascii_lowercase()),
                have,
            )
        })
        .min()
        .filter(|(distance, _)| *distance <= 3);
    let message = match closest {
        Some((_, name)) => format!(
            "model '{model}' not found — did you mean {}? (or `ollama pull {model}`)",
            short(&name)
        ),
        None => format!("model '{model}' not found — try `ollama pull {model}`"),
    };
    ErrorBody::new(ErrorCode::ModelNotFound, message)
}

/// `llama3.2:latest` is said `llama3.2`.
fn short(name: &str) -> &str {
    name.strip_suffix(":latest").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str) -> ModelInfo {
        ModelInfo {
            name: name.into(),
            size_bytes: 0,
            modified_at: None,
            family: None,
            parameter_size: None,
            quantization: None,
            capabilities: Vec::new(),
            loaded: None,
            context_length: None,
        }
    }

    #[test]
    fn a_typo_is_answered_with_the_closest_model() {
        let have = [model("llama3.2:latest"), model("qwen2.5-coder:7b")];
        let e = not_found("lama3.2", &have);
        assert_eq!(e.code, ErrorCode::ModelNotFound);
        assert!(
            e.message.contains("did you mean llama3.2?"),
            "{}",
            e.message
        );
        let e = not_found("mistral", &have);
        assert!(!e.message.contains("did you mean"), "{}", e.message);
        assert!(e.message.contains("ollama pull mistral"), "{}", e.message);
    }
}
