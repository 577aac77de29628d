//! Ollama's JSON shapes, as `api/types.go` defines them: what we send and what we read.

use crate::backend::{Turn, TurnRole};
use chinwag_protocol::{GenOptions, GenStats, ModelInfo};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /api/chat` body.
#[derive(Debug, Clone, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<WireMessage>,
    /// Always sent explicitly: Ollama's default is `true`.
    pub stream: bool,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub options: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<Value>,
    /// Whether a thinking model thinks (or how much); absent: the model's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think: Option<chinwag_protocol::Think>,
    /// `{type:"function", function:{name, description, parameters}}`; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
}

impl ChatRequest {
    /// Ollama's request for a neutral turn: streamed, with its options and `keep_alive`.
    pub fn from_turn(turn: &Turn) -> ChatRequest {
        ChatRequest {
            model: turn.model.clone(),
            messages: turn
                .messages
                .iter()
                .map(|m| WireMessage {
                    role: match m.role {
                        TurnRole::System => "system",
                        TurnRole::User => "user",
                        TurnRole::Assistant => "assistant",
                        TurnRole::Tool => "tool",
                    },
                    content: m.content.clone(),
                    tool_calls: m
                        .tool_calls
                        .iter()
                        .map(|c| WireToolCall {
                            id: Some(c.id.clone()),
                            function: WireFunction {
                                name: c.name.clone(),
                                arguments: c.arguments.clone(),
                            },
                        })
                        .collect(),
                    tool_name: m.tool_name.clone(),
                    tool_call_id: m.tool_call_id.clone(),
                    images: m.images.iter().map(|(_, data)| data.clone()).collect(),
                })
                .collect(),
            tools: turn
                .tools
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "type": "function",
                        "function": {
                            "name": t.name,
                            "description": t.description,
                            "parameters": t.parameters,
                        }
                    })
                })
                .collect(),
            stream: true,
            options: options_map(&turn.options),
            keep_alive: turn
                .options
                .keep_alive
                .as_deref()
                .and_then(keep_alive_value),
            think: turn.options.think.clone(),
        }
    }
}

/// One message of the history sent to Ollama.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireMessage {
    pub role: &'static str,
    pub content: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<WireToolCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Base64 images, for vision models.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

/// A tool call as Ollama writes it in a chunk and reads it in the history:
/// `{id?, function:{index?, name, arguments:{…}}}` (arguments an object, not a string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireToolCall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub function: WireFunction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireFunction {
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

/// One NDJSON line of a `/api/chat` stream (or an `{"error"}` body).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatChunk {
    #[serde(default)]
    pub message: Option<ChunkMessage>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub done_reason: Option<String>,
    #[serde(default)]
    pub total_duration: Option<u64>,
    #[serde(default)]
    pub load_duration: Option<u64>,
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    #[serde(default)]
    pub prompt_eval_duration: Option<u64>,
    #[serde(default)]
    pub eval_count: Option<u64>,
    #[serde(default)]
    pub eval_duration: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
}

/// The `message` of a chunk: content and, from thinking models, reasoning text.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChunkMessage {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub thinking: Option<String>,
    /// The whole of each call arrives in one chunk.
    #[serde(default)]
    pub tool_calls: Vec<WireToolCall>,
}

impl ChatChunk {
    /// Token counts and timings; meaningful on the `done` chunk only (fields are `omitempty`).
    pub fn stats(&self) -> GenStats {
        let tokens_per_second = match (self.eval_count, self.eval_duration) {
            (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64 * 1e9),
            _ => None,
        };
        GenStats {
            prompt_tokens: self.prompt_eval_count,
            completion_tokens: self.eval_count,
            total_duration_ns: self.total_duration,
            load_duration_ns: self.load_duration,
            prompt_eval_duration_ns: self.prompt_eval_duration,
            eval_duration_ns: self.eval_duration,
            tokens_per_second,
        }
    }
}

/// `{"error": "..."}`, the body of every Ollama error response.
#[derive(Debug, Deserialize)]
pub struct ErrorReply {
    pub error: String,
}

/// `GET /api/tags`.
#[derive(Debug, Deserialize)]
pub struct TagsReply {
    #[serde(default)]
    pub models: Vec<TagModel>,
}

#[derive(Debug, Deserialize)]
pub struct TagModel {
    pub name: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub modified_at: Option<String>,
    #[serde(default)]
    pub details: Option<TagDetails>,
    #[serde(default)]
    pub capabilities: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TagDetails {
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub parameter_size: Option<String>,
    #[serde(default)]
    pub quantization_level: Option<String>,
}

impl From<TagModel> for ModelInfo {
    fn from(m: TagModel) -> Self {
        let d = m.details.unwrap_or_default();
        ModelInfo {
            name: m.name,
            size_bytes: m.size,
            modified_at: m.modified_at,
            family: d.family.filter(|s| !s.is_empty()),
            parameter_size: d.parameter_size.filter(|s| !s.is_empty()),
            quantization: d.quantization_level.filter(|s| !s.is_empty()),
            capabilities: m.capabilities,
            loaded: None,
            context_length: None,
        }
    }
}

/// `GET /api/ps`: the models loaded now.
#[derive(Debug, Deserialize)]
pub struct PsReply {
    #[serde(default)]
    pub models: Vec<PsModel>,
}

#[derive(Debug, Deserialize)]
pub struct PsModel {
    pub name: String,
    #[serde(default)]
    pub size_vram: u64,
    #[serde(default)]
    pub context_length: Option<u64>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// `GET /api/version`.
#[derive(Debug, Deserialize)]
pub struct VersionReply {
    pub version: String,
}

/// Our options as Ollama's `options` object, with the JSON types Ollama requires
/// (a string where a float is expected is a 500 there, so types are fixed here).
pub fn options_map(o: &GenOptions) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(v) = o.temperature {
        m.insert(
            "temperature".into(),
            Value::from(crate::backend::decimal(v)),
        );
    }
    if let Some(v) = o.top_p {
        m.insert("top_p".into(), Value::from(crate::backend::decimal(v)));
    }
    if let Some(v) = o.seed {
        m.insert("seed".into(), Value::from(v));
    }
    if let Some(v) = o.num_predict {
        m.insert("num_predict".into(), Value::from(v));
    }
    if let Some(v) = o.num_ctx {
        m.insert("num_ctx".into(), Value::from(v));
    }
    if !o.stop.is_empty() {
        m.insert("stop".into(), Value::from(o.stop.clone()));
    }
    m
}

/// `keep_alive` as Ollama takes it: whole seconds as a number, or a Go duration string.
/// `None` when the value is neither (the caller reports it).
pub fn keep_alive_value(raw: &str) -> Option<Value> {
    let s = raw.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(Value::from(n));
    }
    is_go_duration(s).then(|| Value::from(s))
}

/// A Go `time.ParseDuration` string: an optional sign, then one or more `<number><unit>`.
fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return false;
        }
        rest = &rest[num_len..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .find(|u| rest.starts_with(u) && !(*u == "m" && rest.starts_with("ms")))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_with_content_on_the_done_line_parses() {
        let c: ChatChunk = serde_json::from_str(
            r#"{"model":"m","created_at":"2025-10-26T17:15:24.097767Z","message":{"role":"assistant","content":"lo"},"done":true,"done_reason":"stop","eval_count":10,"eval_duration":500000000}"#,
        )
        .expect("parse");
        assert!(c.done);
        assert_eq!(c.message.as_ref().map(|m| m.content.as_str()), Some("lo"));
        assert_eq!(c.stats().tokens_per_second, Some(20.0));
        assert_eq!(c.stats().load_duration_ns, None);
    }

    #[test]
    fn options_have_ollama_types() {
        let o = GenOptions {
            temperature: Some(0.2),
            seed: Some(7),
            num_ctx: Some(4096),
            stop: vec!["x".into()],
            ..GenOptions::default()
        };
        let v = Value::Object(options_map(&o));
        assert_eq!(
            v,
            serde_json::json!({"temperature":0.2,"seed":7,"num_ctx":4096,"stop":["x"]})
        );
    }

    #[test]
    fn keep_alive_accepts_seconds_and_durations_only() {
        assert_eq!(keep_alive_value("300"), Some(Value::from(300)));
        assert_eq!(keep_alive_value("-1"), Some(Value::from(-1)));
        assert_eq!(keep_alive_value("5m"), Some(Value::from("5m")));
        assert_eq!(keep_alive_value("1h30m"), Some(Value::from("1h30m")));
        assert_eq!(keep_alive_value("1.5h"), Some(Value::from("1.5h")));
        assert_eq!(keep_alive_value("500ms"), Some(Value::from("500ms")));
        assert_eq!(keep_alive_value("five minutes"), None);
        assert_eq!(keep_alive_value("5x"), None);
        assert_eq!(keep_alive_value(""), None);
    }
}
