//! A command run from the chat screen (`/run`): its argv, its output as it streams, and how
//! it ended, drawn in the transcript as a block of its own. A block lives on the screen
//! only; shared, its output goes into the next message, where it is stored like any text.

use crate::text::theme::Theme;
use crate::text::wrap::{self, Mode};
use chinwag_protocol::MessageId;
use ratatui::text::{Line, Span};

/// The most of one command's output that goes into a message.
pub const SHARE_CAP_BYTES: usize = 32 * 1024;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// It ran: `ok` when it exited 0; `summary` says how (exit, time, sandbox, cuts).
    Ran { ok: bool, summary: String },
    /// The policy refused it; nothing ran.
    Refused { rule: String, message: String },
    /// The daemon could not take it, or the connection went.
    Failed(String),
}

/// One `/run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandBlock {
    /// The `exec` request's id.
    pub request: String,
    pub argv: Vec<String>,
    /// Output in order, each piece marked `true` when it came on stderr.
    pub output: Vec<(bool, String)>,
    pub end: Option<End>,
    /// Share its output once it ends (`/run --share`).
    pub share_on_exit: bool,
    pub shared: bool,
    /// The stored message it came after (`None`: before any), so that it keeps its place
    /// when the conversation is loaded again.
    pub anchor: Option<MessageId>,
}

impl CommandBlock {
    pub fn new(request: String, argv: Vec<String>, anchor: Option<MessageId>) -> CommandBlock {
        CommandBlock {
            request,
            argv,
            output: Vec::new(),
            end: None,
            share_on_exit: false,
            shared: false,
            anchor,
        }
    }

    /// The command line as typed, quoted where a word needs it.
    pub fn line(&self) -> String {
        shlex::try_join(self.argv.iter().map(String::as_str))
            .unwrap_or_else(|_| self.argv.join(" "))
    }

    /// All its output, stdout and stderr as they came.
    pub fn text(&self) -> String {
        self.output.iter().map(|(_, t)| t.as_str()).collect()
    }

    /// Whether it ran to an end whose output may be shared.
    pub fn shareable(&self) -> bool {
        matches!(self.end, Some(End::Ran { .. }))
    }

    /// What goes into the next message: the command, how it ended, and its output (cut at
    /// [`SHARE_CAP_BYTES`]) in a fence that its own backticks cannot close.
    pub fn context(&self) -> String {
        let mut text = self.text();
        let mut cut = String::new();
        if text.len() > SHARE_CAP_BYTES {
            let mut end = SHARE_CAP_BYTES;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            cut = format!("\n[… {} more bytes not shared]", text.len() - end);
            text.truncate(end);
        }
        let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let how = match &self.end {
            Some(End::Ran { summary, .. }) => summary.clone(),
            _ => String::new(),
        };
        let nl = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        format!(
            "Output of `{}` ({how}):\n{fence}\n{text}{nl}{fence}{cut}",
            self.line()
        )
    }

    /// The block's lines at `width`.
    pub fn render(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from(vec![
            Span::styled("$ ", theme.accent),
            Span::styled(self.line(), theme.heading),
        ])];
        let bar = [Span::styled("│ ", theme.dim)];
        let text = self.text();
        let mut stderr_at = Vec::new();
        let mut at = 0;
        for (err, piece) in &self.output {
            if *err {
                stderr_at.push(at..at + piece.len());
            }
            at += piece.len();
        }
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let on_stderr = stderr_at.iter().any(|r| r.contains(&offset));
            offset += line.len();
            let style = if on_stderr { theme.warn } else { theme.text };
            let shown = line.trim_end_matches('\n').replace('\t', "    ");
            lines.extend(wrap::wrap(
                &[Span::styled(shown, style)],
                width,
                Mode::Chars,
                &bar,
                &bar,
            ));
        }
        let (end, style) = match &self.end {
            None => ("running… (Esc stops it)".to_string(), theme.accent),
            Some(End::Ran { ok, summary }) => {
                let mut s = summary.clone();
                if self.shared {
                    s.push_str(" · shared: goes with your next message");
                } else {
                    s.push_str(" · s in the transcript shares it");
                }
                (s, if *ok { theme.dim } else { theme.warn })
            }
            Some(End::Refused { rule, message }) => {
                (format!("refused ({rule}): {message}"), theme.error)
            }
            Some(End::Failed(why)) => (why.clone(), theme.error),
        };
        lines.extend(wrap::wrap(
            &[Span::styled(end, style)],
            width,
            Mode::Words,
            &[Span::styled("└ ", theme.dim)],
            &[Span::styled("  ", theme.dim)],
        ));
        lines
    }
}

/// `exec_exit` in a few words: the status, the time, the sandbox, and what cut it short.
#[allow(
    clippy::too_many_arguments,
    reason = "the fields of exec_exit, as they come"
)]
pub fn summary(
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    cancelled: bool,
    truncated: bool,
    duration_ms: u64,
    sandbox: &str,
) -> String {
    let status = if timed_out {
        "timed out".to_string()
    } else if cancelled {
        "stopped".to_string()
    } else {
        match (code, signal) {
            (Some(c), _) => format!("exit {c}"),
            (None, Some(s)) => format!("signal {s}"),
            (None, None) => "ended".to_string(),
        }
    };
    let cut = if truncated {
        " · output cut at the cap"
    } else {
        ""
    };
    format!("{status} · {} · {sandbox}{cut}", duration(duration_ms))
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(output: &[(bool, &str)]) -> CommandBlock {
        let mut b = CommandBlock::new("t1".into(), vec!["rg".into(), "fn main".into()], None);
        b.output = output.iter().map(|(e, t)| (*e, (*t).to_string())).collect();
        b.end = Some(End::Ran {
            ok: true,
            summary: summary(Some(0), None, false, false, false, 12, "landlock"),
        });
        b
    }

    #[test]
    fn shared_output_is_fenced_so_its_backticks_cannot_close_it() {
        let b = block(&[(false, "a ``` b\n")]);
        assert_eq!(
            b.context(),
            "Output of `rg 'fn main'` (exit 0 · 12 ms · landlock):\n````\na ``` b\n````"
        );
    }

    #[test]
    fn shared_output_is_cut_at_the_cap_on_a_character_boundary() {
        let big = "é".repeat(SHARE_CAP_BYTES);
        let b = block(&[(false, &big)]);
        let c = b.context();
        assert!(c.len() < SHARE_CAP_BYTES + 200, "{}", c.len());
        assert!(c.ends_with(&format!(
            "[… {} more bytes not shared]",
            big.len() - SHARE_CAP_BYTES
        )));
    }

    #[test]
    fn summaries_say_how_it_ended() {
        assert_eq!(
            summary(None, Some(9), true, false, true, 30_000, "landlock"),
            "timed out · 30.0 s · landlock · output cut at the cap"
        );
        assert_eq!(
            summary(None, Some(9), false, true, false, 5, "process-group"),
            "stopped · 5 ms · process-group"
        );
    }
}
