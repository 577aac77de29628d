//! Things drawn over the chat: help, the fuzzy pickers (conversations, models, bots),
//! full-text search, the delete confirmation, the rename box and a tool call's approval.
//! Each takes the keys while it is open.

use super::{App, Focus, Req};
use crate::ui::event::{Effect, Notice};
use chinwag_protocol::{ClientMsg, ConversationId, Decision, SearchHit};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

/// What a picker picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    Conversation,
    Model,
    Bot,
}

/// One row of a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickItem {
    pub label: String,
    pub detail: String,
    pub value: String,
}

/// A fuzzy-filtered list.
#[derive(Debug, Clone)]
pub struct Picker {
    pub kind: PickKind,
    pub query: String,
    pub items: Vec<PickItem>,
    /// Indexes into `items` that match `query`, best first.
    pub matches: Vec<usize>,
    pub selected: usize,
}

impl Picker {
    pub fn new(kind: PickKind, items: Vec<PickItem>) -> Picker {
        let mut p = Picker {
            kind,
            query: String::new(),
            matches: (0..items.len()).collect(),
            items,
            selected: 0,
        };
        p.filter();
        p
    }

    /// Re-filters after the query or the items changed.
    pub fn filter(&mut self) {
        if self.query.is_empty() {
            self.matches = (0..self.items.len()).collect();
        } else {
            let mut matcher = Matcher::new(Config::DEFAULT);
            let pattern = Pattern::parse(&self.query, CaseMatching::Ignore, Normalization::Smart);
            let haystacks: Vec<(usize, String)> = self
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| (i, format!("{} {}", it.label, it.detail)))
                .collect();
            let mut scored: Vec<(usize, u32)> = haystacks
                .iter()
                .filter_map(|(i, h)| {
                    let mut buf = Vec::new();
                    let s = nucleo_matcher::Utf32Str::new(h, &mut buf);
                    pattern.score(s, &mut matcher).map(|score| (*i, score))
                })
                .collect();
            scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            self.matches = scored.into_iter().map(|(i, _)| i).collect();
        }
        self.selected = self.selected.min(self.matches.len().saturating_sub(1));
    }

    pub fn current(&self) -> Option<&PickItem> {
        self.matches
            .get(self.selected)
            .and_then(|&i| self.items.get(i))
    }
}

/// Full-text search across all conversations.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub query: String,
    pub hits: Vec<SearchHit>,
    pub selected: usize,
    pub searching: bool,
    /// The request id of the latest query.
    pub latest: String,
}

#[derive(Debug, Clone)]
pub enum Overlay {
    Help,
    Picker(Picker),
    Search(Search),
    ConfirmDelete {
        id: ConversationId,
        title: String,
    },
    Rename {
        id: ConversationId,
        text: String,
    },
    /// A tool call waits for an answer: y / a / n; Esc puts it off (Enter on an empty
    /// message brings it back).
    Approve {
        conversation: ConversationId,
        call: String,
        tool: String,
        /// What would run, in words.
        what: String,
    },
}

/// Edits a one-line text field; true when the key changed it.
fn edit_line(text: &mut String, key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char('w') if ctrl => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed].rfind(' ').map_or(0, |i| i + 1);
            text.truncate(cut);
        }
        KeyCode::Char(c) if !ctrl => text.push(c),
        KeyCode::Backspace => {
            text.pop();
        }
        _ => return false,
    }
    true
}

impl Overlay {
    pub fn paste(&mut self, text: &str) {
        let line = text.lines().next().unwrap_or("");
        match self {
            Overlay::Picker(p) => {
                p.query.push_str(line);
                p.filter();
            }
            Overlay::Search(s) => s.query.push_str(line),
            Overlay::Rename { text, .. } => text.push_str(line),
            _ => {}
        }
    }
}

fn step(selected: &mut usize, len: usize, key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Down | KeyCode::Tab => *selected = (*selected + 1).min(len.saturating_sub(1)),
        KeyCode::Char('n') if ctrl => *selected = (*selected + 1).min(len.saturating_sub(1)),
        KeyCode::Up | KeyCode::BackTab => *selected = selected.saturating_sub(1),
        KeyCode::Char('p') if ctrl => *selected = selected.saturating_sub(1),
        KeyCode::PageDown => *selected = (*selected + 10).min(len.saturating_sub(1)),
        KeyCode::PageUp => *selected = selected.saturating_sub(10),
        _ => return false,
    }
    true
}

impl App {
    pub(super) fn open_picker(&mut self, kind: PickKind, fx: &mut Vec<Effect>) {
        let items = self.pick_items(kind);
        match kind {
            PickKind::Conversation => self.refresh_list(fx),
            PickKind::Model => self.send(fx, Req::Models, |id| ClientMsg::ListModels { id }),
            PickKind::Bot => self.send(fx, Req::Bots, |id| ClientMsg::ListBots { id }),
        }
        self.overlay = Some(Overlay::Picker(Picker::new(kind, items)));
    }

    pub(super) fn pick_items(&self, kind: PickKind) -> Vec<PickItem> {
        match kind {
            PickKind::Conversation => self
                .list
                .items
                .iter()
                .map(|c| PickItem {
                    label: c.title.clone(),
                    detail: format!(
                        "{} msgs · {}",
                        c.message_count,
                        c.model.as_deref().unwrap_or("-")
                    ),
                    value: c.id.0.clone(),
                })
                .collect(),
            PickKind::Model => self
                .models
                .iter()
                .map(|m| PickItem {
                    label: m.name.clone(),
                    detail: [m.parameter_size.as_deref(), m.quantization.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                    value: m.name.clone(),
                })
                .collect(),
            PickKind::Bot => std::iter::once(PickItem {
                label: "(no bot)".into(),
                detail: "plain model, no profile".into(),
                value: String::new(),
            })
            .chain(self.bots.iter().map(|b| {
                PickItem {
                    label: b.name.clone(),
                    detail: b
                        .description
                        .clone()
                        .or_else(|| b.model.clone())
                        .unwrap_or_default(),
                    value: b.name.clone(),
                }
            }))
            .collect(),
        }
    }

    /// Refreshes an open picker's items after a list arrived.
    pub(super) fn refresh_picker(&mut self, kind: PickKind) {
        let items = self.pick_items(kind);
        if let Some(Overlay::Picker(p)) = &mut self.overlay
            && p.kind == kind
        {
            p.items = items;
            p.filter();
        }
    }

    pub(super) fn open_search(&mut self, query: String, fx: &mut Vec<Effect>) {
        let mut s = Search {
            query,
            ..Search::default()
        };
        self.run_search(&mut s, fx);
        self.overlay = Some(Overlay::Search(s));
    }

    fn run_search(&mut self, s: &mut Search, fx: &mut Vec<Effect>) {
        if s.query.trim().is_empty() {
            s.hits.clear();
            return;
        }
        // Search as you type: the word being typed matches as a prefix.
        let mut query = s.query.clone();
        if query.ends_with(|c: char| c.is_alphanumeric()) {
            query.push('*');
        }
        s.searching = true;
        let before = fx.len();
        self.send(fx, Req::Search, |id| ClientMsg::Search {
            id,
            query,
            limit: Some(50),
        });
        // Replies can overtake each other; only the latest query's hits are shown.
        if let Some(Effect::Send(m)) = fx.get(before) {
            s.latest = m.id().to_string();
        }
    }

    pub(super) fn overlay_key(&mut self, ov: Overlay, key: KeyEvent, fx: &mut Vec<Effect>) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')) {
            return; // closed
        }
        match ov {
            Overlay::Help => {
                // Any key closes help.
            }
            Overlay::Picker(mut p) => {
                if key.code == KeyCode::Enter {
                    match p.current().cloned() {
                        Some(item) => self.picked(p.kind, item, fx),
                        // A model Ollama does not have yet: pull it.
                        None if p.kind == PickKind::Model && !p.query.trim().is_empty() => {
                            let name = p.query.trim().to_string();
                            self.pull(&name, fx);
                        }
                        None => {}
                    }
                    return;
                }
                if !step(&mut p.selected, p.matches.len(), &key) && edit_line(&mut p.query, &key) {
                    p.selected = 0;
                    p.filter();
                }
                self.overlay = Some(Overlay::Picker(p));
            }
            Overlay::Search(mut s) => {
                if key.code == KeyCode::Enter {
                    if let Some(hit) = s.hits.get(s.selected).cloned() {
                        self.open_conversation(hit.conversation, Some(hit.message), fx);
                        self.focus = Focus::Input;
                    }
                    return;
                }
                if !step(&mut s.selected, s.hits.len(), &key) && edit_line(&mut s.query, &key) {
                    s.selected = 0;
                    self.run_search(&mut s, fx);
                }
                self.overlay = Some(Overlay::Search(s));
            }
            Overlay::ConfirmDelete { id, title } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                    let conv = id.clone();
                    self.send(fx, Req::Delete(id), |rid| ClientMsg::DeleteConversation {
                        id: rid,
                        conversation: conv,
                    });
                }
                KeyCode::Char('n') | KeyCode::Char('N') => {}
                _ => self.overlay = Some(Overlay::ConfirmDelete { id, title }),
            },
            Overlay::Approve {
                conversation,
                call,
                tool,
                what,
            } => {
                let decision = match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => Decision::Once,
                    KeyCode::Char('a') | KeyCode::Char('A') => Decision::Conversation,
                    KeyCode::Char('n') | KeyCode::Char('N') => Decision::Deny,
                    _ => {
                        self.overlay = Some(Overlay::Approve {
                            conversation,
                            call,
                            tool,
                            what,
                        });
                        return;
                    }
                };
                self.answer_call(conversation, call, decision, fx);
            }
            Overlay::Rename { id, mut text } => {
                if key.code == KeyCode::Enter {
                    self.rename(id, text.trim().to_string(), fx);
                    return;
                }
                edit_line(&mut text, &key);
                self.overlay = Some(Overlay::Rename { id, text });
            }
        }
    }

    pub(super) fn rename(&mut self, id: ConversationId, title: String, fx: &mut Vec<Effect>) {
        if title.is_empty() {
            self.notice = Some(Notice::warn("a title cannot be empty"));
            return;
        }
        let conv = id.clone();
        let t = title.clone();
        self.send(fx, Req::Rename(id, title), |rid| {
            ClientMsg::RenameConversation {
                id: rid,
                conversation: conv,
                title: t,
            }
        });
    }

    fn picked(&mut self, kind: PickKind, item: PickItem, fx: &mut Vec<Effect>) {
        match kind {
            PickKind::Conversation => {
                self.open_conversation(ConversationId(item.value), None, fx);
                self.focus = Focus::Input;
            }
            PickKind::Model => {
                self.notice = Some(Notice::info(format!("model: {}", item.value)));
                self.model = Some(item.value);
            }
            PickKind::Bot => {
                if item.value.is_empty() {
                    self.bot = None;
                    self.notice = Some(Notice::info("no bot"));
                } else {
                    self.notice = Some(Notice::info(format!("bot: {}", item.value)));
                    self.bot = Some(item.value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(s: &str) -> PickItem {
        PickItem {
            label: s.into(),
            detail: String::new(),
            value: s.into(),
        }
    }

    #[test]
    fn fuzzy_filter_ranks_and_keeps_selection_in_range() {
        let mut p = Picker::new(
            PickKind::Model,
            vec![
                item("llama3.2:latest"),
                item("qwen2.5-coder:7b"),
                item("mistral"),
            ],
        );
        assert_eq!(p.matches, [0, 1, 2]);
        p.selected = 2;
        p.query = "qwcod".into();
        p.filter();
        assert_eq!(p.matches, [1]);
        assert_eq!(p.selected, 0);
        assert_eq!(
            p.current().map(|i| i.value.as_str()),
            Some("qwen2.5-coder:7b")
        );
        p.query = "zzz".into();
        p.filter();
        assert!(p.current().is_none());
    }
}
