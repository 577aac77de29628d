//! Key bindings: named actions, their defaults, and overrides from the client config
//! (`[keys]` in `chinwag.toml`, e.g. `search = ["ctrl+r", "f3"]`).
//!
//! Only keys that act while typing are configurable. The single-letter keys of the transcript
//! (q, j, k, y, …) are fixed, as in a pager.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;

/// What a bound key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Send,
    Newline,
    /// Stop the generation, close what is open, or leave the input.
    Cancel,
    /// Stop the generation, or quit when idle.
    Interrupt,
    Help,
    ToggleList,
    PickConversation,
    NewConversation,
    PickModel,
    PickBot,
    Search,
    Editor,
    PageUp,
    PageDown,
    Top,
    Bottom,
    PrevMessage,
    NextMessage,
    CopyReply,
    ToggleThinking,
    /// Repaint the whole screen.
    Redraw,
    /// Give the terminal back and stop, like any program on Ctrl+Z; `fg` resumes.
    Suspend,
}

impl Action {
    pub const ALL: [(&'static str, Action); 22] = [
        ("send", Action::Send),
        ("newline", Action::Newline),
        ("cancel", Action::Cancel),
        ("interrupt", Action::Interrupt),
        ("help", Action::Help),
        ("toggle_list", Action::ToggleList),
        ("conversations", Action::PickConversation),
        ("new", Action::NewConversation),
        ("models", Action::PickModel),
        ("bots", Action::PickBot),
        ("search", Action::Search),
        ("editor", Action::Editor),
        ("page_up", Action::PageUp),
        ("page_down", Action::PageDown),
        ("top", Action::Top),
        ("bottom", Action::Bottom),
        ("prev_message", Action::PrevMessage),
        ("next_message", Action::NextMessage),
        ("copy_reply", Action::CopyReply),
        ("toggle_thinking", Action::ToggleThinking),
        ("redraw", Action::Redraw),
        ("suspend", Action::Suspend),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("?", |(n, _)| n)
    }

    /// What the help screen says it does.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Send => "send the message",
            Action::Newline => "new line",
            Action::Cancel => "stop reply / close",
            Action::Interrupt => "stop reply, or quit",
            Action::Help => "this help",
            Action::ToggleList => "conversation list",
            Action::PickConversation => "switch conversation",
            Action::NewConversation => "new conversation",
            Action::PickModel => "pick a model",
            Action::PickBot => "pick a bot",
            Action::Search => "search all chats",
            Action::Editor => "edit in $EDITOR",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first message",
            Action::Bottom => "end, and follow",
            Action::PrevMessage => "previous message",
            Action::NextMessage => "next message",
            Action::CopyReply => "copy last reply",
            Action::ToggleThinking => "show/fold thinking",
            Action::Redraw => "redraw the screen",
            Action::Suspend => "suspend (fg resumes)",
        }
    }
}

/// A key with its modifiers, as written in the config: `ctrl+alt+x`, `f1`, `pageup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Combo {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Combo {
    pub fn of(key: &KeyEvent) -> Combo {
        let mut mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        // Shift is part of the character for printable keys ('?' not shift+'/').
        if !matches!(key.code, KeyCode::Char(_)) {
            mods |= key.modifiers & KeyModifiers::SHIFT;
        }
        let code = match key.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        Combo { code, mods }
    }

    pub fn parse(text: &str) -> Result<Combo, String> {
        let mut mods = KeyModifiers::NONE;
        let lower = text.trim().to_ascii_lowercase();
        let mut parts: Vec<&str> = lower.split('+').collect();
        let key = parts.pop().filter(|k| !k.is_empty()).ok_or("empty key")?;
        for m in parts {
            mods |= match m {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "m" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                other => return Err(format!("unknown modifier {other:?} in {text:?}")),
            };
        }
        let code = match key {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            f if f.len() > 1 && f.starts_with('f') => {
                let n: u8 = f[1..]
                    .parse()
                    .map_err(|_| format!("unknown key {text:?}"))?;
                KeyCode::F(n)
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            _ => return Err(format!("unknown key {text:?}")),
        };
        Ok(Combo { code, mods })
    }
}

impl std::fmt::Display for Combo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl+")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt+")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            other => write!(f, "{other}"),
        }
    }
}

/// Keys to actions.
#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<Combo, Action>,
}

const DEFAULTS: &[(&str, Action)] = &[
    ("enter", Action::Send),
    ("alt+enter", Action::Newline),
    ("ctrl+j", Action::Newline),
    ("shift+enter", Action::Newline),
    ("esc", Action::Cancel),
    ("ctrl+c", Action::Interrupt),
    ("f1", Action::Help),
    ("ctrl+t", Action::ToggleList),
    ("f2", Action::ToggleList),
    ("ctrl+o", Action::PickConversation),
    ("alt+n", Action::NewConversation),
    ("f3", Action::PickModel),
    ("alt+m", Action::PickModel),
    ("ctrl+l", Action::Redraw),
    ("ctrl+z", Action::Suspend),
    ("f4", Action::PickBot),
    ("ctrl+r", Action::Search),
    ("ctrl+e", Action::Editor),
    ("pageup", Action::PageUp),
    ("pagedown", Action::PageDown),
    ("ctrl+home", Action::Top),
    ("ctrl+end", Action::Bottom),
    ("alt+up", Action::PrevMessage),
    ("alt+down", Action::NextMessage),
    ("alt+c", Action::CopyReply),
    ("alt+t", Action::ToggleThinking),
];

impl Default for Keymap {
    fn default() -> Self {
        let map = DEFAULTS
            .iter()
            .filter_map(|(k, a)| Combo::parse(k).ok().map(|c| (c, *a)))
            .collect();
        Keymap { map }
    }
}

impl Keymap {
    /// The defaults with `overrides` (action name → keys) applied: an action named there
    /// loses its default keys.
    pub fn with_overrides(overrides: &HashMap<String, Vec<String>>) -> Result<Keymap, String> {
        let mut km = Keymap::default();
        for (name, keys) in overrides {
            let action = Action::ALL
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| *a)
                .ok_or_else(|| {
                    let names: Vec<&str> = Action::ALL.iter().map(|(n, _)| *n).collect();
                    format!(
                        "unknown action {name:?} in [keys]; known: {}",
                        names.join(", ")
                    )
                })?;
            km.map.retain(|_, a| *a != action);
            for k in keys {
                km.map.insert(Combo::parse(k)?, action);
            }
        }
        Ok(km)
    }

    pub fn action(&self, key: &KeyEvent) -> Option<Action> {
        self.map.get(&Combo::of(key)).copied()
    }

    /// The keys bound to `action`, for the help screen, in a stable order.
    pub fn keys_for(&self, action: Action) -> Vec<Combo> {
        let mut keys: Vec<Combo> = self
            .map
            .iter()
            .filter(|(_, a)| **a == action)
            .map(|(c, _)| *c)
            .collect();
        keys.sort_by_key(|c| c.to_string());
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_and_overrides() {
        let km = Keymap::default();
        assert_eq!(
            km.action(&key(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::Send)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('j'), KeyModifiers::CONTROL)),
            Some(Action::Newline)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            None
        );
        let mut o = HashMap::new();
        o.insert("search".to_string(), vec!["ctrl+f".to_string()]);
        let km = Keymap::with_overrides(&o).expect("valid");
        assert_eq!(
            km.action(&key(KeyCode::Char('f'), KeyModifiers::CONTROL)),
            Some(Action::Search)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('r'), KeyModifiers::CONTROL)),
            None
        );
        o.insert("nope".to_string(), vec![]);
        assert!(
            Keymap::with_overrides(&o)
                .expect_err("unknown action")
                .contains("unknown action")
        );
        assert!(Combo::parse("hyper+x").is_err());
        assert_eq!(
            Combo::parse("ctrl+alt+x").map(|c| c.to_string()),
            Ok("Ctrl+Alt+X".into())
        );
    }
}
