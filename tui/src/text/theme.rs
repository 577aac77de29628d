//! Colours and text styles: a dark and a light theme, and a plain one when `NO_COLOR` is set.
//!
//! The plain theme uses only modifiers (bold, italic, reverse), never a colour, as
//! <https://no-color.org> asks.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// Which palette to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    /// No colour at all (chosen automatically when `NO_COLOR` is set).
    Plain,
}

/// Every style the views use, so no view picks a colour of its own.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: ThemeName,
    pub text: Style,
    pub dim: Style,
    pub accent: Style,
    pub user: Style,
    pub assistant: Style,
    pub error: Style,
    pub warn: Style,
    pub ok: Style,
    pub heading: Style,
    pub link: Style,
    pub quote: Style,
    pub code: Style,
    pub code_block: Style,
    pub selected: Style,
    pub border: Style,
    pub border_focus: Style,
    pub status: Style,
    pub thinking: Style,
    /// The syntect theme for code blocks; `None` means no syntax colours.
    pub syntax: Option<&'static str>,
}

impl Theme {
    /// The theme to use: `NO_COLOR` (set and not empty) wins over the configured name.
    pub fn pick(name: ThemeName, no_color: bool) -> Theme {
        if no_color {
            return Theme::plain();
        }
        match name {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::Plain => Theme::plain(),
        }
    }

    pub fn dark() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: ThemeName::Dark,
            text: Style::new(),
            dim: fg(Color::DarkGray),
            accent: fg(Color::Cyan),
            user: fg(Color::LightBlue).add_modifier(Modifier::BOLD),
            assistant: fg(Color::LightGreen).add_modifier(Modifier::BOLD),
            error: fg(Color::LightRed),
            warn: fg(Color::Yellow),
            ok: fg(Color::Green),
            heading: fg(Color::LightCyan).add_modifier(Modifier::BOLD),
            link: fg(Color::LightBlue).add_modifier(Modifier::UNDERLINED),
            quote: fg(Color::Gray).add_modifier(Modifier::ITALIC),
            code: fg(Color::LightYellow),
            code_block: Style::new().bg(Color::Rgb(30, 34, 40)),
            selected: Style::new().bg(Color::Rgb(50, 60, 80)),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            status: Style::new().bg(Color::Rgb(40, 44, 52)).fg(Color::Gray),
            thinking: fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
            syntax: Some("base16-ocean.dark"),
        }
    }

    pub fn light() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: ThemeName::Light,
            text: Style::new(),
            dim: fg(Color::Gray),
            accent: fg(Color::Blue),
            user: fg(Color::Blue).add_modifier(Modifier::BOLD),
            assistant: fg(Color::Green).add_modifier(Modifier::BOLD),
            error: fg(Color::Red),
            warn: fg(Color::Rgb(160, 100, 0)),
            ok: fg(Color::Green),
            heading: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            link: fg(Color::Blue).add_modifier(Modifier::UNDERLINED),
            quote: fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
            code: fg(Color::Rgb(150, 60, 0)),
            code_block: Style::new().bg(Color::Rgb(240, 240, 236)),
            selected: Style::new().bg(Color::Rgb(210, 225, 245)),
            border: fg(Color::Gray),
            border_focus: fg(Color::Blue),
            status: Style::new().bg(Color::Rgb(225, 225, 225)).fg(Color::Black),
            thinking: fg(Color::Gray).add_modifier(Modifier::ITALIC),
            syntax: Some("InspiredGitHub"),
        }
    }

    pub fn plain() -> Theme {
        let m = |m| Style::new().add_modifier(m);
        Theme {
            name: ThemeName::Plain,
            text: Style::new(),
            dim: Style::new(),
            accent: m(Modifier::BOLD),
            user: m(Modifier::BOLD),
            assistant: m(Modifier::BOLD),
            error: m(Modifier::BOLD),
            warn: m(Modifier::BOLD),
            ok: Style::new(),
            heading: m(Modifier::BOLD),
            link: m(Modifier::UNDERLINED),
            quote: m(Modifier::ITALIC),
            code: Style::new(),
            code_block: Style::new(),
            selected: m(Modifier::REVERSED),
            border: Style::new(),
            border_focus: m(Modifier::BOLD),
            status: m(Modifier::REVERSED),
            thinking: m(Modifier::ITALIC),
            syntax: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_and_uses_no_colour() {
        let t = Theme::pick(ThemeName::Light, true);
        assert_eq!(t.name, ThemeName::Plain);
        for s in [
            t.text,
            t.accent,
            t.error,
            t.code_block,
            t.selected,
            t.status,
        ] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        assert!(t.syntax.is_none());
        assert_eq!(Theme::pick(ThemeName::Light, false).name, ThemeName::Light);
    }
}
