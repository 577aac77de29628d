//! Sending what was typed, and the `/` commands: /new /model /bot /system /temp /rename
//! /delete /search /retry /edit /copy /export /tools /run /help /quit, with Tab completion.

use super::overlay::{Overlay, PickKind};
use super::{App, Focus};
use crate::ui::event::{Effect, Notice};

/// Every command with its argument and what it does, for completion and help.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("new", "", "start a new conversation"),
    (
        "model",
        "[NAME]",
        "pick the model (from now on, in this conversation)",
    ),
    (
        "bot",
        "[NAME|none]",
        "pick a bot (model, system prompt, options)",
    ),
    (
        "system",
        "[TEXT]",
        "set this conversation's system prompt (empty: clear)",
    ),
    (
        "temp",
        "[T]",
        "set the temperature (empty: the model's default)",
    ),
    ("rename", "TITLE", "rename this conversation"),
    ("delete", "", "delete this conversation (asks first)"),
    ("search", "[WORDS]", "search all conversations"),
    ("retry", "", "regenerate the last reply"),
    ("edit", "", "edit the last prompt and send it again"),
    (
        "copy",
        "[N|all]",
        "copy the last reply, its Nth code block, or the whole chat",
    ),
    ("export", "[FILE]", "write this conversation as Markdown"),
    (
        "pull",
        "[NAME]",
        "download a model into Ollama (default: the one asked for)",
    ),
    (
        "tools",
        "[on|off|default|NAME…]",
        "offer the model tools; each call waits for y / a / n",
    ),
    (
        "run",
        "[--share] ARGV",
        "run a command on the daemon (--share: its output joins your next message)",
    ),
    ("help", "", "keys and commands"),
    ("quit", "", "leave chinwag (the daemon keeps running)"),
];

/// Commands whose name starts with `prefix`, with their argument and description.
pub fn commands_matching(prefix: &str) -> Vec<&'static (&'static str, &'static str, &'static str)> {
    COMMANDS
        .iter()
        .filter(|(n, _, _)| n.starts_with(prefix))
        .collect()
}

/// Names of the commands that start with `prefix`.
fn complete(prefix: &str) -> Vec<&'static str> {
    commands_matching(prefix)
        .into_iter()
        .map(|(n, _, _)| *n)
        .collect()
}

impl App {
    /// Enter: run a `/command`, or send the message.
    pub(super) fn submit(&mut self, fx: &mut Vec<Effect>) {
        let text = self.input_text();
        if text.trim().is_empty() {
            // Enter on an empty message brings back a tool call's dialog, if one waits.
            self.ask_if_waiting();
            return;
        }
        let content = match text.strip_prefix('/') {
            Some(rest) if rest.starts_with('/') => rest.to_string(),
            Some(rest) => {
                let line = rest.trim().to_string();
                self.remember_prompt(&text);
                self.set_input("");
                self.command(&line, fx);
                return;
            }
            None => text.clone(),
        };
        if !self.ready_to_send() {
            return;
        }
        if let Some(old) = self.editing.take()
            && self
                .transcript
                .last_prompt()
                .and_then(|i| self.transcript.entries[i].id.clone())
                == Some(old)
        {
            self.remember_prompt(&text);
            self.set_input("");
            self.retry(Some(content), fx);
            return;
        }
        self.remember_prompt(&text);
        self.set_input("");
        self.notice = None;
        let content = self.with_shared(content);
        // Files named with `@path` are read first (by the runner: the state machine does no
        // I/O); the chat goes when they are.
        let paths = crate::files::at_paths(&content);
        if !paths.is_empty() {
            fx.push(Effect::ReadFiles { content, paths });
            return;
        }
        self.send_chat_replacing(content, None, Vec::new(), fx);
    }

    /// The `@path` files read: the chat goes with them, or the words come back with why.
    pub(super) fn files_read(
        &mut self,
        content: String,
        files: Result<Vec<chinwag_protocol::Attachment>, String>,
        fx: &mut Vec<Effect>,
    ) {
        match files {
            Ok(files) if self.ready_to_send() => self.send_chat_replacing(content, None, files, fx),
            Ok(_) => self.set_input(&content),
            Err(why) => {
                self.set_input(&content);
                self.notice = Some(Notice::error(format!("not sent: {why}")));
            }
        }
    }

    /// Whether a chat can go now; if not, says why (the input is kept).
    fn ready_to_send(&mut self) -> bool {
        let why = if !self.connected() {
            "not connected to the daemon yet; your message is kept, send it once reconnected"
                .to_string()
        } else if self.generating.is_some() {
            "a reply is still coming; Esc stops it".to_string()
        } else if let Some(until) = self.rate_limited_until_ms {
            format!(
                "rate limited: try again in {}s",
                until.saturating_sub(self.now_ms).div_ceil(1000)
            )
        } else if self.max_message_bytes > 0
            && self.input_text().len() as u64 + 4096 > self.max_message_bytes
        {
            format!(
                "the message is too long: the daemon accepts up to {} KiB",
                self.max_message_bytes / 1024
            )
        } else {
            return true;
        };
        self.notice = Some(Notice::warn(why));
        false
    }

    /// Tab after `/`: completes the command name.
    pub(super) fn complete_command(&mut self) {
        let text = self.input_text();
        let Some(prefix) = text.strip_prefix('/') else {
            return;
        };
        if prefix.contains(' ') {
            return;
        }
        match complete(prefix).as_slice() {
            [one] => self.set_input(&format!("/{one} ")),
            [] => self.notice = Some(Notice::warn(format!("no command starts with /{prefix}"))),
            many => {
                // Extend to the longest common prefix.
                let first = many[0];
                let common = (prefix.len()..=first.len())
                    .rev()
                    .find(|&n| many.iter().all(|m| m.get(..n) == first.get(..n)))
                    .unwrap_or(prefix.len());
                self.set_input(&format!("/{}", &first[..common]));
            }
        }
    }

    /// The `@path` being typed at the end of the input, without its `@`.
    pub(super) fn at_word(&self) -> Option<String> {
        let text = self.input_text();
        if text.ends_with(char::is_whitespace) {
            return None;
        }
        let word = text.split_whitespace().last()?;
        word.strip_prefix('@').map(str::to_string)
    }

    /// Completes the `@path` at the end of the input: one match fills it in, several extend
    /// it to what they share and are listed in the notice line.
    pub(super) fn path_completions(&mut self, prefix: String, items: Vec<String>) {
        if self.at_word().as_deref() != Some(prefix.as_str()) {
            return; // typed on meanwhile
        }
        let text = self.input_text();
        let head = &text[..text.len() - prefix.len()];
        match items.as_slice() {
            [] => self.notice = Some(Notice::warn(format!("no file starts with {prefix}"))),
            [one] => {
                let end = if one.ends_with('/') { "" } else { " " };
                self.set_input(&format!("{head}{one}{end}"));
            }
            many => {
                let first = &many[0];
                let common = (prefix.len()..=first.len())
                    .rev()
                    .find(|&n| {
                        first.is_char_boundary(n)
                            && many.iter().all(|m| m.get(..n) == first.get(..n))
                    })
                    .unwrap_or(prefix.len());
                self.set_input(&format!("{head}{}", &first[..common]));
                let names: Vec<&str> = many
                    .iter()
                    .take(12)
                    .map(|m| m.rsplit_terminator('/').next().unwrap_or(m))
                    .collect();
                self.notice = Some(Notice::info(names.join("  ")));
            }
        }
    }

    /// Runs `/name args` (without the slash).
    pub(super) fn command(&mut self, line: &str, fx: &mut Vec<Effect>) {
        let (name, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        let name = match complete(name).as_slice() {
            _ if COMMANDS.iter().any(|(n, _, _)| *n == name) => name,
            [one] => one,
            _ => {
                self.notice = Some(Notice::warn(format!(
                    "unknown command /{name}; /help lists them (start with // to send a slash)"
                )));
                return;
            }
        };
        match name {
            "new" => self.new_conversation(),
            "run" => self.run_command(arg, fx),
            "tools" => self.set_tools(arg),
            "pull" => self.pull(arg, fx),
            "model" if arg.is_empty() => self.open_picker(PickKind::Model, fx),
            "model" => {
                self.model = Some(arg.to_string());
                self.notice = Some(Notice::info(format!("model: {arg}")));
            }
            "bot" if arg.is_empty() => self.open_picker(PickKind::Bot, fx),
            "bot" if arg == "none" => {
                self.bot = None;
                self.notice = Some(Notice::info("no bot"));
            }
            "bot" => {
                self.bot = Some(arg.to_string());
                self.notice = Some(Notice::info(format!("bot: {arg}")));
            }
            "system" => {
                self.options.system = (!arg.is_empty()).then(|| arg.to_string());
                self.notice = Some(Notice::info(if arg.is_empty() {
                    "system prompt cleared (from the next message)".to_string()
                } else {
                    "system prompt set (from the next message)".to_string()
                }));
            }
            "temp" => match arg.parse::<f32>() {
                _ if arg.is_empty() => {
                    self.options.temperature = None;
                    self.notice = Some(Notice::info("temperature: the model's default"));
                }
                Ok(t) if (0.0..=2.0).contains(&t) => {
                    self.options.temperature = Some(t);
                    self.notice = Some(Notice::info(format!("temperature: {t}")));
                }
                _ => {
                    self.notice = Some(Notice::warn(format!(
                        "temperature must be a number from 0 to 2 (got {arg:?})"
                    )))
                }
            },
            "rename" => {
                if let Some(id) = self.require_conversation() {
                    if arg.is_empty() {
                        let text = self.title.clone();
                        self.overlay = Some(Overlay::Rename { id, text });
                    } else {
                        self.rename(id, arg.to_string(), fx);
                    }
                }
            }
            "delete" => {
                if let Some(id) = self.require_conversation() {
                    let title = self.title.clone();
                    self.overlay = Some(Overlay::ConfirmDelete { id, title });
                }
            }
            "search" => self.open_search(arg.to_string(), fx),
            "retry" => self.retry(None, fx),
            "edit" => self.edit_last(),
            "copy" => match arg {
                "" => self.copy_reply(None, fx),
                "all" => {
                    let text = self.markdown();
                    fx.push(Effect::Copy {
                        text,
                        what: "the conversation (Markdown)".into(),
                    });
                }
                n => match n.parse::<usize>() {
                    Ok(n) if n > 0 => self.copy_code_block(None, n, fx),
                    _ => {
                        self.notice =
                            Some(Notice::warn("/copy takes a code block number, or `all`"))
                    }
                },
            },
            "export" => {
                if let Some(id) = self.require_conversation() {
                    let short: String = id.0.chars().take(8).collect();
                    let path = if arg.is_empty() {
                        format!("chinwag-{short}.md")
                    } else {
                        arg.to_string()
                    };
                    fx.push(Effect::WriteFile {
                        path,
                        contents: self.markdown(),
                    });
                }
            }
            "help" => self.overlay = Some(Overlay::Help),
            "quit" => {
                self.quit_keeping_draft(fx);
            }
            _ => {}
        }
        if self.overlay.is_none() {
            self.focus = Focus::Input;
        }
    }

    /// Regenerates the last reply: resends the last prompt, replacing it and what follows.
    /// `content` replaces the prompt's text (for /edit).
    pub(super) fn retry(&mut self, content: Option<String>, fx: &mut Vec<Effect>) {
        let Some(i) = self.transcript.last_prompt() else {
            self.notice = Some(Notice::warn("nothing to retry yet"));
            return;
        };
        if !self.ready_to_send() {
            return;
        }
        let entry = &self.transcript.entries[i];
        let Some(replace) = entry.id.clone() else {
            self.notice = Some(Notice::warn("the last message is not stored yet"));
            return;
        };
        let content = content.unwrap_or_else(|| entry.content.clone());
        self.transcript.entries.truncate(i);
        self.send_chat_replacing(content, Some(replace), Vec::new(), fx);
    }

    /// /edit: puts the last prompt in the input; sending it replaces the old one.
    fn edit_last(&mut self) {
        let Some(i) = self.transcript.last_prompt() else {
            self.notice = Some(Notice::warn("nothing to edit yet"));
            return;
        };
        let text = self.transcript.entries[i].content.clone();
        self.set_input(&text);
        self.editing = self.transcript.entries[i].id.clone();
        self.notice = Some(Notice::info(
            "editing the last prompt: Enter sends it in place of the old one, Esc keeps the old",
        ));
    }

    pub(super) fn copy_reply(&mut self, at: Option<usize>, fx: &mut Vec<Effect>) {
        match at.or_else(|| self.transcript.last_reply()) {
            Some(i) => {
                fx.push(Effect::Copy {
                    text: self.transcript.entries[i].content.clone(),
                    what: "the reply".into(),
                });
            }
            None => self.notice = Some(Notice::warn("no reply to copy yet")),
        }
    }

    /// Copies code block `n` (1-based) of message `at` (default: the last reply).
    pub(super) fn copy_code_block(&mut self, at: Option<usize>, n: usize, fx: &mut Vec<Effect>) {
        let Some(i) = at.or_else(|| self.transcript.last_reply()) else {
            self.notice = Some(Notice::warn("no reply yet"));
            return;
        };
        let (w, _) = self.transcript_size();
        let theme = self.theme.clone();
        let blocks = &self.transcript.entries[i].rendered(w, &theme).code_blocks;
        match blocks.get(n - 1) {
            Some(code) => {
                fx.push(Effect::Copy {
                    text: code.clone(),
                    what: format!("code block [{n}]"),
                });
            }
            None => {
                self.notice = Some(Notice::warn(format!(
                    "that message has {} code block(s)",
                    blocks.len()
                )))
            }
        }
    }

    /// The open conversation as Markdown (for /export and /copy all), written as `history
    /// export` writes it.
    fn markdown(&self) -> String {
        let title = if self.title.is_empty() {
            "chinwag"
        } else {
            &self.title
        };
        let messages: Vec<chinwag_protocol::StoredMessage> = self
            .transcript
            .entries
            .iter()
            .map(|e| chinwag_protocol::StoredMessage {
                id: e
                    .id
                    .clone()
                    .unwrap_or(chinwag_protocol::MessageId(String::new())),
                role: e.role,
                content: e.content.clone(),
                thinking: String::new(),
                status: e.status,
                model: e.model.clone(),
                created_at_ms: 0,
                error: e.error.clone(),
                error_code: None,
                truncated: false,
                tools: e.tools.clone(),
                attachments: e.attachments.clone(),
            })
            .collect();
        let about = self
            .conversation
            .as_ref()
            .map(|c| format!("conversation {c}"));
        crate::render::markdown_of(
            title,
            about.as_deref(),
            self.options.system.as_deref(),
            &messages,
        )
    }
}
