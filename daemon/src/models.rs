//! Which models Ollama has, cached for a few seconds, and the check every chat's model passes
//! before anything is stored: a name Ollama does not have is refused with the closest one it
//! does have, and a down Ollama is reported before a conversation is created.

use crate::ollama::OllamaClient;
use chinwag_protocol::model_name::{normalize_model, same_model};
use chinwag_protocol::{ErrorBody, ErrorCode, ModelInfo};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a fetched model list answers checks before it is fetched again.
const FRESH_FOR: Duration = Duration::from_secs(10);

/// Ollama's model list, fetched on demand and kept briefly.
#[derive(Debug, Default)]
pub struct ModelCatalog {
    cached: Mutex<Option<(Instant, Vec<ModelInfo>)>>,
}

impl ModelCatalog {
    /// Ollama's models now (from the cache while it is fresh, unless `refresh`).
    pub async fn list(
        &self,
        ollama: &OllamaClient,
        refresh: bool,
    ) -> Result<Vec<ModelInfo>, ErrorBody> {
        if !refresh
            && let Ok(c) = self.cached.lock()
            && let Some((at, models)) = c.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Ok(models.clone());
        }
        let models = ollama.list_models().await.map_err(|e| e.to_body())?;
        if let Ok(mut c) = self.cached.lock() {
            *c = Some((Instant::now(), models.clone()));
        }
        Ok(models)
    }

    /// The normalised name of `model` if Ollama has it (a stale cache is refreshed once
    /// before refusing, so a model pulled a moment ago is found); `model_not_found` with a
    /// suggestion otherwise, or Ollama's own error when it cannot be asked.
    pub async fn require(&self, ollama: &OllamaClient, model: &str) -> Result<String, ErrorBody> {
        let name = normalize_model(model);
        let find = |models: &[ModelInfo]| {
            models
                .iter()
                .find(|m| same_model(&m.name, &name))
                .map(|m| normalize_model(&m.name))
        };
        if let Some(found) = find(&self.list(ollama, false).await?) {
            return Ok(found);
        }
        let fresh = self.list(ollama, true).await?;
        find(&fresh).ok_or_else(|| not_found(model, &fresh))
    }
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
