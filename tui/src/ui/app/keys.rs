//! Keys, paste and the mouse wheel: the input editor, the transcript (pager keys) and the
//! conversation list. Overlays get their keys first (see `overlay.rs`).

use super::overlay::Overlay;
use super::{App, Focus};
use crate::ui::event::{Effect, Notice};
use crate::ui::keymap::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui_textarea::CursorMove;

impl App {
    pub(super) fn key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        if let Some(ov) = self.overlay.take() {
            self.overlay_key(ov, key, fx);
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if std::mem::take(&mut self.chord) {
            if ctrl && key.code == KeyCode::Char('e') {
                fx.push(Effect::Edit(self.input_text()));
            }
            return;
        }
        if ctrl && key.code == KeyCode::Char('x') && self.focus == Focus::Input {
            self.chord = true;
            return;
        }
        if let Some(action) = self.keymap.action(&key) {
            // In the list and transcript, plain Enter/Esc have local meanings.
            let local = self.focus != Focus::Input
                && key.modifiers.is_empty()
                && matches!(key.code, KeyCode::Enter | KeyCode::Esc);
            if !local {
                self.action(action, fx);
                return;
            }
        }
        match self.focus {
            Focus::Input => self.input_key(key, fx),
            Focus::Transcript => self.transcript_key(key, fx),
            Focus::List => self.list_key(key, fx),
        }
    }

    pub(super) fn action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let (w, h) = self.transcript_size();
        let page = h.saturating_sub(2).max(1);
        match action {
            Action::Send => self.submit(fx),
            Action::Newline => self.input.insert_newline(),
            Action::Cancel => {
                if !self.cancel_generation(fx) && !self.cancel_command(fx) {
                    if self.editing.take().is_some() {
                        self.set_input("");
                        self.notice = Some(Notice::info("edit dropped; the old prompt stays"));
                    } else if self.notice.is_some() {
                        self.notice = None;
                    } else if self.focus == Focus::Input {
                        self.focus = Focus::Transcript;
                        self.selected = self.transcript.entries.len().checked_sub(1);
                    } else {
                        self.focus = Focus::Input;
                    }
                }
            }
            Action::Interrupt => {
                if self.cancel_generation(fx) || self.cancel_command(fx) {
                    return;
                }
                // A typed draft is never lost to one stray Ctrl+C: the next key must confirm.
                let confirmed = self.quit_armed_at == Some(self.keys_seen);
                if self.input.is_empty() || confirmed {
                    self.quit_keeping_draft(fx);
                } else {
                    self.quit_armed_at = Some(self.keys_seen + 1);
                    self.notice = Some(Notice::warn(
                        "Ctrl+C again quits (your draft is kept for next time); any other key goes on",
                    ));
                }
            }
            Action::Redraw => fx.push(Effect::Redraw),
            Action::Suspend => fx.push(Effect::Suspend),
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::ToggleList => {
                self.list.visible = !self.list.visible;
                self.focus = if self.list.visible {
                    Focus::List
                } else {
                    Focus::Input
                };
                if self.list.visible {
                    self.refresh_list(fx);
                }
            }
            Action::PickConversation => {
                self.open_picker(super::overlay::PickKind::Conversation, fx)
            }
            Action::NewConversation => self.new_conversation(),
            Action::PickModel => self.open_picker(super::overlay::PickKind::Model, fx),
            Action::PickBot => self.open_picker(super::overlay::PickKind::Bot, fx),
            Action::Search => self.open_search(String::new(), fx),
            Action::Editor => fx.push(Effect::Edit(self.input_text())),
            Action::PageUp => self.transcript.scroll_up(page, w, h, &self.theme),
            Action::PageDown => self.transcript.scroll_down(page, w, h, &self.theme),
            Action::Top => self.transcript.jump_to(0),
            Action::Bottom => self.transcript.scroll = crate::ui::transcript::Scroll::Follow,
            Action::PrevMessage => self.transcript.jump(false, w, h, &self.theme),
            Action::NextMessage => self.transcript.jump(true, w, h, &self.theme),
            Action::CopyReply => self.copy_reply(None, fx),
            Action::ToggleThinking => {
                let target = self.selected.or_else(|| self.transcript.last_reply());
                if let Some(e) = target.and_then(|i| self.transcript.entries.get_mut(i)) {
                    e.show_thinking = !e.show_thinking;
                    e.touch();
                }
            }
        }
    }

    fn input_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let empty = self.input.is_empty();
        let row = self.input.cursor().0;
        let last_row = self.input.lines().len().saturating_sub(1);
        match key.code {
            KeyCode::Up if !ctrl && !alt && row == 0 => self.recall(true),
            KeyCode::Down if !ctrl && !alt && row == last_row && self.recall.is_some() => {
                self.recall(false)
            }
            KeyCode::Home if empty => self.action(Action::Top, fx),
            KeyCode::End if empty => self.action(Action::Bottom, fx),
            KeyCode::Char('?') if empty && !ctrl && !alt => self.overlay = Some(Overlay::Help),
            KeyCode::Tab if self.input_text().starts_with('/') => self.complete_command(),
            KeyCode::Tab if self.at_word().is_some() => {
                if let Some(prefix) = self.at_word() {
                    fx.push(Effect::CompletePath(prefix));
                }
            }
            KeyCode::Char('u') if ctrl => {
                self.input.delete_line_by_head();
            }
            // Ctrl+Z suspends, as in any terminal program; undo is Ctrl+_ (Ctrl+/).
            KeyCode::Char('_' | '/' | '7') if ctrl => {
                self.input.undo();
            }
            _ => {
                self.input.input(key);
            }
        }
    }

    /// Steps through earlier prompts (Up) and back towards the draft (Down).
    fn recall(&mut self, older: bool) {
        if self.prompts.is_empty() {
            return;
        }
        let next = match (self.recall, older) {
            (None, true) => {
                self.draft = self.input_text();
                Some(self.prompts.len() - 1)
            }
            (None, false) => return,
            (Some(0), true) => Some(0),
            (Some(i), true) => Some(i - 1),
            (Some(i), false) if i + 1 < self.prompts.len() => Some(i + 1),
            (Some(_), false) => None,
        };
        self.recall = next;
        let text = match next {
            Some(i) => self.prompts[i].clone(),
            None => std::mem::take(&mut self.draft),
        };
        self.set_input(&text);
        if older {
            self.input.move_cursor(CursorMove::Top);
        }
    }

    pub(super) fn remember_prompt(&mut self, text: &str) {
        if self.prompts.last().map(String::as_str) != Some(text) {
            self.prompts.push(text.to_string());
        }
        self.recall = None;
        self.draft.clear();
    }

    fn transcript_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let (w, h) = self.transcript_size();
        let page = h.saturating_sub(2).max(1);
        let select = |app: &mut App, forward: bool| {
            let n = app.transcript.entries.len();
            if n == 0 {
                return;
            }
            let cur = app.selected.unwrap_or(n - 1).min(n - 1);
            let next = if forward {
                (cur + 1).min(n - 1)
            } else {
                cur.saturating_sub(1)
            };
            app.selected = Some(next);
            app.transcript.jump_to(next);
        };
        match key.code {
            KeyCode::Char('q') => {
                self.quit_keeping_draft(fx);
            }
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('i') | KeyCode::Tab => {
                self.focus = Focus::Input;
                self.selected = None;
            }
            KeyCode::Char('j') | KeyCode::Down => self.transcript.scroll_down(1, w, h, &self.theme),
            KeyCode::Char('k') | KeyCode::Up => self.transcript.scroll_up(1, w, h, &self.theme),
            KeyCode::Char(' ') | KeyCode::Char('f') => {
                self.transcript.scroll_down(page, w, h, &self.theme)
            }
            KeyCode::Char('b') => self.transcript.scroll_up(page, w, h, &self.theme),
            KeyCode::Char('g') | KeyCode::Home => self.transcript.jump_to(0),
            KeyCode::Char('G') | KeyCode::End => {
                self.transcript.scroll = crate::ui::transcript::Scroll::Follow
            }
            KeyCode::Char('[') => select(self, false),
            KeyCode::Char(']') => select(self, true),
            KeyCode::Char('y') => {
                let i = self.selected.or_else(|| self.transcript.last_reply());
                if let Some(e) = i.and_then(|i| self.transcript.entries.get(i)) {
                    let (text, what) = match &e.command {
                        Some(c) => (c.text(), "the command's output"),
                        None => (e.content.clone(), "the message"),
                    };
                    fx.push(Effect::Copy {
                        text,
                        what: what.into(),
                    });
                }
            }
            KeyCode::Char('s') => self.share_selected(),
            KeyCode::Char(c @ '1'..='9') => {
                let n = c as usize - '0' as usize;
                self.copy_code_block(self.selected, n, fx);
            }
            KeyCode::Char('t') => self.action(Action::ToggleThinking, fx),
            KeyCode::Char('?') => self.overlay = Some(Overlay::Help),
            KeyCode::Char('/') => {
                self.focus = Focus::Input;
                self.set_input("/");
            }
            KeyCode::Char('n') => self.new_conversation(),
            KeyCode::Char('r') => self.command("retry", fx),
            KeyCode::Char('e') => self.command("edit", fx),
            _ => {}
        }
    }

    fn list_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let n = self.list.items.len();
        match key.code {
            KeyCode::Char('j') | KeyCode::Down if n > 0 => {
                self.list.selected = (self.list.selected + 1).min(n - 1)
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.list.selected = self.list.selected.saturating_sub(1)
            }
            KeyCode::Char('g') | KeyCode::Home => self.list.selected = 0,
            KeyCode::Char('G') | KeyCode::End => self.list.selected = n.saturating_sub(1),
            KeyCode::Enter => {
                if let Some(c) = self.list.items.get(self.list.selected) {
                    let id = c.id.clone();
                    self.open_conversation(id, None, fx);
                    self.focus = Focus::Input;
                }
            }
            KeyCode::Char('d') | KeyCode::Delete => {
                if let Some(c) = self.list.items.get(self.list.selected) {
                    self.overlay = Some(Overlay::ConfirmDelete {
                        id: c.id.clone(),
                        title: c.title.clone(),
                    });
                }
            }
            KeyCode::Char('r') => {
                if let Some(c) = self.list.items.get(self.list.selected) {
                    self.overlay = Some(Overlay::Rename {
                        id: c.id.clone(),
                        text: c.title.clone(),
                    });
                }
            }
            KeyCode::Char('n') => {
                self.new_conversation();
                self.focus = Focus::Input;
            }
            KeyCode::Char('q') => {
                self.quit_keeping_draft(fx);
            }
            KeyCode::Char('?') => self.overlay = Some(Overlay::Help),
            KeyCode::Esc | KeyCode::Tab => self.focus = Focus::Input,
            _ => {}
        }
    }

    pub(super) fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        match &mut self.overlay {
            Some(ov) => ov.paste(&text),
            None => {
                self.focus = Focus::Input;
                self.input.insert_str(&text);
                if self.max_message_bytes > 0
                    && self.input_text().len() as u64 > self.max_message_bytes
                {
                    self.notice = Some(Notice::warn(format!(
                        "the message is over the daemon's limit of {} KiB",
                        self.max_message_bytes / 1024
                    )));
                }
            }
        }
    }

    pub(super) fn mouse(&mut self, m: MouseEvent) {
        let (w, h) = self.transcript_size();
        match m.kind {
            MouseEventKind::ScrollUp => self.transcript.scroll_up(3, w, h, &self.theme),
            MouseEventKind::ScrollDown => self.transcript.scroll_down(3, w, h, &self.theme),
            _ => {}
        }
    }
}
