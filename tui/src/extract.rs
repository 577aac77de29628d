//! `-x`: only the code of a reply's fenced blocks, for `chinwag -x "a jq filter…" | sh`.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use std::ffi::OsString;

/// Which fenced blocks `-x` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Extract {
    First,
    All,
}

/// The text of each fenced code block of `markdown`, in order.
pub fn code_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => current = Some(String::new()),
            Event::Text(t) => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(c) = current.take() {
                    blocks.push(c);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// What `-x` prints of a reply: the first block, or all of them one after another; `None`
/// when the reply has none.
pub fn extract(markdown: &str, which: Extract) -> Option<String> {
    let blocks = code_blocks(markdown);
    let chosen: Vec<String> = match which {
        Extract::First => blocks.into_iter().take(1).collect(),
        Extract::All => blocks,
    };
    if chosen.is_empty() {
        return None;
    }
    let mut out = String::new();
    for b in chosen {
        out.push_str(&b);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Some(out)
}

/// The command line with `-x all` and `-x first` written as `--extract=…`, so that `-x`
/// alone (the first block) can be followed by the prompt: `chinwag -x "a jq filter"`.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    let mut it = args.into_iter().peekable();
    while let Some(a) = it.next() {
        if a == "--" {
            out.push(a);
            out.extend(it);
            break;
        }
        if a == "-x"
            && let Some(next) = it.peek()
            && (next == "all" || next == "first")
        {
            let which = it.next().unwrap_or_default();
            let mut flag = OsString::from("--extract=");
            flag.push(which);
            out.push(flag);
            continue;
        }
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "Use this:\n\n```sh\njq '.items[] | .name'\n```\n\nor, shorter:\n\n```\njq .name\n```\n\nInline `code` is not a block.\n";

    #[test]
    fn the_first_or_all_fenced_blocks_and_nothing_else() {
        assert_eq!(
            extract(REPLY, Extract::First).as_deref(),
            Some("jq '.items[] | .name'\n")
        );
        assert_eq!(
            extract(REPLY, Extract::All).as_deref(),
            Some("jq '.items[] | .name'\njq .name\n")
        );
        assert_eq!(extract("no code here, `x` inline", Extract::All), None);
        // A block the reply never closed (cut short) still counts.
        assert_eq!(
            extract("```\nls -l", Extract::First).as_deref(),
            Some("ls -l\n")
        );
    }

    #[test]
    fn x_all_becomes_the_long_form_and_x_alone_leaves_the_prompt_alone() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            normalize_args(args(&["chinwag", "-x", "all", "list files"])),
            args(&["chinwag", "--extract=all", "list files"])
        );
        assert_eq!(
            normalize_args(args(&["chinwag", "-x", "a jq filter"])),
            args(&["chinwag", "-x", "a jq filter"])
        );
        assert_eq!(
            normalize_args(args(&["chinwag", "--", "-x", "all"])),
            args(&["chinwag", "--", "-x", "all"])
        );
    }
}
