//! The chat completions JSON shapes: the request we send, and the chunks, model lists and
//! error bodies we read, every field optional as the servers differ (openai-api.md §6).

use crate::backend::{Turn, TurnRole};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `POST /v1/chat/completions` body.
#[derive(Debug, Serialize)]
pub struct Request<'a> {
    pub model: &'a str,
    pub messages: Vec<Message<'a>>,
    pub stream: bool,
    pub stream_options: StreamOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// The most tokens to generate (Ollama's `num_predict`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// `{type:"function", function:{name, description, parameters}}`; absent when none (the
    /// server's `tool_choice` default, `auto`, applies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

/// A message of the history. `content` is a string, parts (text and `image_url` data URIs)
/// when the message has images, or null on an assistant message that only calls.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    pub role: &'static str,
    pub content: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<&'a str>,
}

/// The request for `turn`. Options the API has no field for (`num_ctx`, `keep_alive`) are
/// Ollama's alone and are not sent.
pub fn request(turn: &Turn) -> Request<'_> {
    let o = &turn.options;
    Request {
        model: &turn.model,
        messages: turn
            .messages
            .iter()
            .map(|m| Message {
                role: match m.role {
                    TurnRole::System => "system",
                    TurnRole::User => "user",
                    TurnRole::Assistant => "assistant",
                    TurnRole::Tool => "tool",
                },
                content: content(m),
                // `arguments` is a JSON string in this API.
                tool_calls: m
                    .tool_calls
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments.to_string()},
                        })
                    })
                    .collect(),
                tool_call_id: m.tool_call_id.as_deref(),
            })
            .collect(),
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
        temperature: o.temperature.map(crate::backend::decimal),
        top_p: o.top_p.map(crate::backend::decimal),
        seed: o.seed,
        max_tokens: o.num_predict.filter(|n| *n > 0),
        stop: o.stop.clone(),
        tools: turn
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {"name": t.name, "description": t.description,
                                 "parameters": t.parameters},
                })
            })
            .collect(),
    }
}

/// A message's `content` in this API's shape.
fn content(m: &crate::backend::TurnMessage) -> Value {
    if !m.images.is_empty() {
        let mut parts = vec![json!({"type": "text", "text": m.content})];
        parts.extend(m.images.iter().map(|(mime, data)| {
            json!({"type": "image_url", "image_url": {"url": format!("data:{mime};base64,{data}")}})
        }));
        return Value::Array(parts);
    }
    if m.content.is_empty() && !m.tool_calls.is_empty() {
        return Value::Null;
    }
    Value::String(m.content.clone())
}

/// A call's arguments from their JSON text: `""` is no arguments (`{}`); text that is not
/// JSON is kept as a string, for the tool to refuse in words the model can read.
pub fn arguments(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Object(serde_json::Map::new());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// One streamed chunk (or an `{"error"}` event).
#[derive(Debug, Default, Deserialize)]
pub struct Chunk {
    #[serde(default)]
    pub choices: Option<Vec<Choice>>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<ErrorField>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub content: Option<String>,
    /// DeepSeek, llama.cpp, LM Studio.
    #[serde(default)]
    pub reasoning_content: Option<String>,
    /// vLLM, Ollama, LocalAI.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Fragments of tool calls, keyed by `index`.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCallFragment>>,
}

/// A piece of a streamed tool call: the first has the id and name, the rest more of the
/// arguments' JSON text.
#[derive(Debug, Default, Deserialize)]
pub struct ToolCallFragment {
    #[serde(default)]
    pub index: Option<u64>,
    #[serde(default)]
    pub function: Option<FunctionFragment>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FunctionFragment {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arguments: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
}

/// `error`: an object with a message (its `code` an int, a string or null), or a string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ErrorField {
    Object {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        code: Option<Value>,
    },
    Text(String),
}

impl ErrorField {
    pub fn message(&self) -> String {
        match self {
            ErrorField::Object { message, code } => match (message, code) {
                (Some(m), _) => m.clone(),
                (None, Some(c)) => format!("error {c}"),
                (None, None) => "an unnamed error".into(),
            },
            ErrorField::Text(t) => t.clone(),
        }
    }
}

/// `GET /v1/models` (`data` is null on an Ollama without models).
#[derive(Debug, Deserialize)]
pub struct ModelList {
    #[serde(default)]
    pub data: Option<Vec<ModelEntry>>,
}

#[derive(Debug, Deserialize)]
pub struct ModelEntry {
    pub id: String,
}

/// The message of an error body in any of the shapes servers send: `{"error":{…}}`,
/// `{"error":"…"}`, old vLLM's flat `{"object":"error","message":…}`, or plain text.
pub fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        error: Option<ErrorField>,
        #[serde(default)]
        message: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body { error: Some(e), .. }) => e.message(),
        Ok(Body {
            message: Some(m), ..
        }) => m,
        _ => String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(500)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_every_shape_give_their_message() {
        let cases: [(&str, &str); 5] = [
            (
                r#"{"error":{"message":"model 'x' not found","type":"api_error","param":null,"code":null}}"#,
                "model 'x' not found",
            ),
            (
                r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
                "Loading model",
            ),
            (r#"{"error":"Unauthorized"}"#, "Unauthorized"),
            (
                r#"{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError"}"#,
                "The model `x` does not exist.",
            ),
            ("404 page not found\n", "404 page not found"),
        ];
        for (body, message) in cases {
            assert_eq!(error_message(body.as_bytes()), message, "{body}");
        }
    }

    #[test]
    fn images_go_as_data_url_parts_after_the_text() {
        let mut user = crate::backend::TurnMessage::text(TurnRole::User, "what is this?");
        user.images = vec![("image/png".into(), "iVBORw0K".into())];
        let turn = Turn {
            model: "qwen2.5-vl".into(),
            messages: vec![user],
            ..Turn::default()
        };
        let body = serde_json::to_value(request(&turn)).unwrap();
        assert_eq!(
            body["messages"][0]["content"],
            json!([
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
            ])
        );
        assert!(body.get("tools").is_none());
    }
}
