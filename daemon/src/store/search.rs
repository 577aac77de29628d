//! Turns what a user types into a safe FTS5 query: words, `"exact phrases"`, `prefix*`.
//!
//! Every term is quoted, so FTS5 operators and punctuation in user input can never make the
//! query fail to parse or mean something else.

/// The FTS5 MATCH expression for `input`; `None` when it holds no searchable term.
pub(super) fn fts_query(input: &str) -> Option<String> {
    let mut terms = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (phrase, tail) = after.split_once('"').unwrap_or((after, ""));
            push_term(&mut terms, phrase, false);
            rest = tail.trim_start();
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let (word, prefix) = match word.strip_suffix('*') {
            Some(w) => (w, true),
            None => (word, false),
        };
        push_term(&mut terms, word, prefix);
        rest = rest[end..].trim_start();
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

fn push_term(terms: &mut Vec<String>, text: &str, prefix: bool) {
    // A term with no letters or digits matches nothing under unicode61; drop it.
    if !text.chars().any(char::is_alphanumeric) {
        return;
    }
    let quoted = format!("\"{}\"", text.replace('"', "\"\""));
    terms.push(if prefix { format!("{quoted}*") } else { quoted });
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn user_input_becomes_quoted_terms() {
        assert_eq!(
            fts_query("rayleigh scattering").as_deref(),
            Some("\"rayleigh\" \"scattering\"")
        );
        assert_eq!(
            fts_query("\"blue sky\" ray*").as_deref(),
            Some("\"blue sky\" \"ray\"*")
        );
        assert_eq!(
            fts_query("AND OR NOT (").as_deref(),
            Some("\"AND\" \"OR\" \"NOT\"")
        );
        assert_eq!(
            fts_query("\"unterminated phrase").as_deref(),
            Some("\"unterminated phrase\"")
        );
        assert_eq!(fts_query("  ** -- "), None);
    }
}
