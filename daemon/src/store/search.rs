//! Turns what a user types into a safe FTS5 query: words, `"exact phrases"`, `prefix*`.
//!
//! Every term is quoted, so FTS5 operators and punctuation in user input can never make the
//! query fail to parse or mean something else. The number of terms and of prefix terms is
//! capped: each prefix term can fan out to many index entries, and the work grows with them.

/// Most terms (words and phrases) one search may have.
pub const MAX_TERMS: usize = 16;
/// Most `prefix*` terms one search may have.
pub const MAX_PREFIX_TERMS: usize = 4;
/// Longest search text, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;

/// The FTS5 MATCH expression for `input`; `None` when it holds no searchable term; an error,
/// fit for the user, when it is too big to run.
pub(super) fn fts_query(input: &str) -> Result<Option<String>, String> {
    if input.len() > MAX_QUERY_BYTES {
        return Err(format!(
            "a search may be at most {MAX_QUERY_BYTES} bytes long"
        ));
    }
    let terms = fts_terms(input);
    let prefixes = terms.iter().filter(|t| t.ends_with('*')).count();
    if terms.len() > MAX_TERMS {
        return Err(format!("a search may have at most {MAX_TERMS} words"));
    }
    if prefixes > MAX_PREFIX_TERMS {
        return Err(format!(
            "a search may have at most {MAX_PREFIX_TERMS} prefix* words"
        ));
    }
    Ok((!terms.is_empty()).then(|| terms.join(" ")))
}

fn fts_terms(input: &str) -> Vec<String> {
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
    terms
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
    use super::*;

    fn q(input: &str) -> Option<String> {
        fts_query(input).expect("a query within bounds")
    }

    #[test]
    fn too_many_terms_or_prefixes_are_refused_with_the_limit() {
        let many = "a* ".repeat(40_000);
        let e = fts_query(&many).expect_err("over the size cap");
        assert!(e.contains("1024"), "{e}");
        let words = "word ".repeat(MAX_TERMS + 1);
        assert!(fts_query(&words).expect_err("too many").contains("16"));
        let prefixes = "ab* ".repeat(MAX_PREFIX_TERMS + 1);
        assert!(
            fts_query(&prefixes)
                .expect_err("too many")
                .contains("prefix")
        );
        assert!(fts_query(&"ab* ".repeat(MAX_PREFIX_TERMS)).is_ok());
    }

    #[test]
    fn user_input_becomes_quoted_terms() {
        assert_eq!(
            q("rayleigh scattering").as_deref(),
            Some("\"rayleigh\" \"scattering\"")
        );
        assert_eq!(
            q("\"blue sky\" ray*").as_deref(),
            Some("\"blue sky\" \"ray\"*")
        );
        assert_eq!(q("AND OR NOT (").as_deref(), Some("\"AND\" \"OR\" \"NOT\""));
        assert_eq!(
            q("\"unterminated phrase").as_deref(),
            Some("\"unterminated phrase\"")
        );
        assert_eq!(q("  ** -- "), None);
    }
}
