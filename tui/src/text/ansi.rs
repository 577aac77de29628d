//! Styled lines as terminal text: SGR escapes for each span's colours and modifiers, or
//! plain text when colour is off (`NO_COLOR`, or not a terminal).

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use std::fmt::Write as _;

fn color(c: Color, fg: bool) -> Option<String> {
    let base = if fg { 30 } else { 40 };
    Some(match c {
        Color::Reset => return None,
        Color::Black => format!("{}", base),
        Color::Red => format!("{}", base + 1),
        Color::Green => format!("{}", base + 2),
        Color::Yellow => format!("{}", base + 3),
        Color::Blue => format!("{}", base + 4),
        Color::Magenta => format!("{}", base + 5),
        Color::Cyan => format!("{}", base + 6),
        Color::Gray => format!("{}", base + 7),
        Color::DarkGray => format!("{}", base + 60),
        Color::LightRed => format!("{}", base + 61),
        Color::LightGreen => format!("{}", base + 62),
        Color::LightYellow => format!("{}", base + 63),
        Color::LightBlue => format!("{}", base + 64),
        Color::LightMagenta => format!("{}", base + 65),
        Color::LightCyan => format!("{}", base + 66),
        Color::White => format!("{}", base + 67),
        Color::Indexed(n) => format!("{};5;{n}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    })
}

/// The SGR parameters of a style (empty: the terminal's own).
fn sgr(style: Style) -> String {
    let mut codes: Vec<String> = Vec::new();
    let m = style.add_modifier;
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(flag) {
            codes.push(code.to_string());
        }
    }
    codes.extend(style.fg.and_then(|c| color(c, true)));
    codes.extend(style.bg.and_then(|c| color(c, false)));
    codes.join(";")
}

/// The lines as text, each ending in a newline; with `colour`, each styled span wrapped in
/// its escapes and a reset.
pub fn render(lines: &[Line<'_>], colour: bool) -> String {
    let mut out = String::new();
    for line in lines {
        for span in &line.spans {
            let style = line.style.patch(span.style);
            let codes = if colour { sgr(style) } else { String::new() };
            if codes.is_empty() {
                out.push_str(&span.content);
            } else {
                let _ = write!(out, "\x1b[{codes}m{}\x1b[0m", span.content);
            }
        }
        // Trailing spaces (table padding, wrap fill) carry nothing on a terminal.
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::text::Span;

    #[test]
    fn spans_get_their_escapes_or_none_without_colour() {
        let line = Line::from(vec![
            Span::styled("bold", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(" plain "),
            Span::styled("rgb", Style::default().fg(Color::Rgb(1, 2, 3))),
        ]);
        assert_eq!(
            render(std::slice::from_ref(&line), true),
            "\x1b[1mbold\x1b[0m plain \x1b[38;2;1;2;3mrgb\x1b[0m\n"
        );
        assert_eq!(render(&[line], false), "bold plain rgb\n");
    }
}
