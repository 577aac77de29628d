//! Syntax colours for code blocks (syntect, pure-Rust regex engine).
//!
//! Loading syntect's syntax set takes tens of milliseconds, so it happens once, on a
//! background thread started with the TUI ([`warm_up`]); the first frame never waits for it
//! unless that frame already shows code.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

struct Assets {
    syntaxes: SyntaxSet,
    themes: ThemeSet,
}

static ASSETS: OnceLock<Assets> = OnceLock::new();

fn assets() -> &'static Assets {
    ASSETS.get_or_init(|| Assets {
        syntaxes: SyntaxSet::load_defaults_newlines(),
        themes: ThemeSet::load_defaults(),
    })
}

/// Loads the syntax definitions on a background thread.
pub fn warm_up() {
    let _ = std::thread::Builder::new()
        .name("syntect-load".into())
        .spawn(|| {
            assets();
        });
}

type Lines = Vec<Vec<Span<'static>>>;

/// Blocks highlighted lately. A streaming reply is re-rendered on every frame; its finished
/// code blocks come from here and only the block still growing is highlighted again.
struct Cache {
    map: HashMap<u64, Lines>,
    order: VecDeque<u64>,
}

const CACHE_BLOCKS: usize = 256;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache { map: HashMap::new(), order: VecDeque::new() });
}

/// The code as lines of styled spans, without line endings. `syntax` is the syntect theme;
/// with `None`, or a language syntect does not know, every span gets `base`.
pub fn highlight(code: &str, lang: &str, syntax: Option<&str>, base: Style) -> Lines {
    let mut h = DefaultHasher::new();
    (code, lang, syntax, base).hash(&mut h);
    let key = h.finish();
    if let Some(hit) = CACHE.with(|c| c.borrow().map.get(&key).cloned()) {
        return hit;
    }
    let lines = highlight_uncached(code, lang, syntax, base);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.order.len() >= CACHE_BLOCKS
            && let Some(old) = c.order.pop_front()
        {
            c.map.remove(&old);
        }
        c.order.push_back(key);
        c.map.insert(key, lines.clone());
    });
    lines
}

fn highlight_uncached(code: &str, lang: &str, syntax: Option<&str>, base: Style) -> Lines {
    let plain = || {
        code.lines()
            .map(|l| vec![Span::styled(l.to_string(), base)])
            .collect()
    };
    let Some(theme_name) = syntax else {
        return plain();
    };
    let token = lang.split([',', ' ', '{']).next().unwrap_or("").trim();
    if token.is_empty() {
        return plain();
    }
    let a = assets();
    let Some(syn) = a.syntaxes.find_syntax_by_token(token) else {
        return plain();
    };
    let Some(theme) = a.themes.themes.get(theme_name) else {
        return plain();
    };
    let mut h = HighlightLines::new(syn, theme);
    let mut out = Vec::new();
    for line in LinesWithEndings::from(code) {
        let Ok(ranges) = h.highlight_line(line, &a.syntaxes) else {
            return plain();
        };
        let spans = ranges
            .into_iter()
            .filter_map(|(st, text)| {
                let text = text.trim_end_matches(['\n', '\r']);
                if text.is_empty() {
                    return None;
                }
                let mut s = base.fg(Color::Rgb(
                    st.foreground.r,
                    st.foreground.g,
                    st.foreground.b,
                ));
                if st.font_style.contains(FontStyle::BOLD) {
                    s = s.add_modifier(Modifier::BOLD);
                }
                if st.font_style.contains(FontStyle::ITALIC) {
                    s = s.add_modifier(Modifier::ITALIC);
                }
                Some(Span::styled(text.to_string(), s))
            })
            .collect();
        out.push(spans);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_colours_unknown_ones_do_not() {
        let lines = highlight(
            "fn main() {}\n",
            "rust",
            Some("base16-ocean.dark"),
            Style::new(),
        );
        assert_eq!(lines.len(), 1);
        assert!(lines[0].len() > 1, "rust is tokenised: {:?}", lines[0]);
        assert!(lines[0].iter().all(|s| s.style.fg.is_some()));
        let lines = highlight(
            "a\nb",
            "no-such-lang",
            Some("base16-ocean.dark"),
            Style::new(),
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0][0].style.fg, None);
        let lines = highlight("fn x() {}", "rust", None, Style::new());
        assert_eq!(lines[0][0].style.fg, None);
    }
}
