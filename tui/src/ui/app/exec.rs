//! `/run` in the chat screen: a command through the daemon's executor, its output streaming
//! into a block of the transcript, its end (status, time, sandbox) or the rule that refused
//! it. Shared (`/run --share`, or `s` on the block), its output goes into the next message
//! sent, where the conversation stores it like any text.

use super::{App, Focus, Req};
use crate::ui::command_block::{self, CommandBlock, End};
use crate::ui::event::{Effect, Notice};
use crate::ui::transcript::{Entry, Scroll};
use chinwag_protocol::{ClientMsg, ErrorCode, ServerMsg};

impl App {
    /// `/run [--share] ARGV`: the words split as a shell would split them (quotes kept
    /// together), but never given to a shell.
    pub(super) fn run_command(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        let (share, rest) = match arg.strip_prefix("--share") {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => (true, rest.trim()),
            _ => (false, arg),
        };
        let Some(argv) = shlex::split(rest) else {
            self.notice = Some(Notice::warn("/run: a quote is not closed"));
            return;
        };
        if argv.is_empty() {
            self.notice = Some(Notice::warn(
                "/run PROGRAM ARGS…, e.g. /run rg TODO src (chinwag policy lists the programs)",
            ));
            return;
        }
        if !self.connected() {
            self.notice = Some(Notice::warn("not connected to the daemon yet"));
            return;
        }
        let id = self.request(Req::Exec);
        let anchor = self
            .transcript
            .entries
            .iter()
            .rev()
            .find_map(|e| e.id.clone());
        let mut block = CommandBlock::new(id.clone(), argv.clone(), anchor);
        block.share_on_exit = share;
        self.transcript.entries.push(Entry::command(block));
        self.transcript.scroll = Scroll::Follow;
        // The working directory means something only to a daemon on this machine.
        let local = matches!(self.link, super::LinkState::Connected { remote: false, .. });
        let cwd = self.cwd.clone().filter(|_| local);
        fx.push(Effect::Send(ClientMsg::Exec { id, argv, cwd }));
    }

    /// The block of the command that request `id` started.
    fn command_entry(&mut self, id: &str) -> Option<&mut Entry> {
        self.transcript
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.command.as_ref().is_some_and(|c| c.request == id))
    }

    /// `exec_output`, `exec_exit` and `command_rejected`.
    pub(super) fn exec_reply(&mut self, msg: ServerMsg) {
        let id = msg.id().to_string();
        let mut share = None;
        let Some(entry) = self.command_entry(&id) else {
            return;
        };
        let Some(block) = entry.command.as_mut() else {
            return;
        };
        match msg {
            ServerMsg::ExecOutput { stream, text, .. } => {
                block.output.push((stream == "stderr", text));
            }
            ServerMsg::ExecExit {
                code,
                signal,
                timed_out,
                cancelled,
                truncated,
                duration_ms,
                sandbox,
                ..
            } => {
                let summary = command_block::summary(
                    code,
                    signal,
                    timed_out,
                    cancelled,
                    truncated,
                    duration_ms,
                    &sandbox,
                );
                block.end = Some(End::Ran {
                    ok: code == Some(0),
                    summary,
                });
                if block.share_on_exit {
                    share = Some(id.clone());
                }
            }
            ServerMsg::CommandRejected { rule, message, .. } => {
                block.end = Some(End::Refused { rule, message });
            }
            _ => return,
        }
        let ended = block.end.is_some();
        entry.touch();
        if ended {
            self.requests.remove(&id);
        }
        if let Some(id) = share
            && let Some(i) = self.command_index(&id)
        {
            self.share_command(i);
        }
    }

    /// An `error` answering an `exec`: the block says why (a rate limit also waits).
    pub(super) fn command_failed(&mut self, id: &str, code: ErrorCode, message: &str) {
        let text = self.explain(code, message);
        if let Some(entry) = self.command_entry(id) {
            if let Some(block) = entry.command.as_mut() {
                block.end = Some(End::Failed(text));
            }
            entry.touch();
        }
    }

    fn command_index(&self, id: &str) -> Option<usize> {
        self.transcript
            .entries
            .iter()
            .rposition(|e| e.command.as_ref().is_some_and(|c| c.request == id))
    }

    /// Puts the output of the command block at `i` into the next message.
    pub(super) fn share_command(&mut self, i: usize) {
        let Some(entry) = self.transcript.entries.get_mut(i) else {
            return;
        };
        let Some(block) = entry.command.as_mut() else {
            self.notice = Some(Notice::warn(
                "s shares a command's output; this is a message",
            ));
            return;
        };
        if !block.shareable() {
            self.notice = Some(Notice::warn("only a command that ran can be shared"));
            return;
        }
        if block.shared {
            self.notice = Some(Notice::info(
                "already shared: it goes with your next message",
            ));
            return;
        }
        block.shared = true;
        let context = block.context();
        let line = block.line();
        entry.touch();
        self.shared.push(context);
        self.notice = Some(Notice::info(format!(
            "the output of `{line}` goes with your next message"
        )));
    }

    /// The next message's text with the shared outputs before it; they are then spent.
    pub(super) fn with_shared(&mut self, content: String) -> String {
        if self.shared.is_empty() {
            return content;
        }
        let mut out = std::mem::take(&mut self.shared).join("\n\n");
        out.push_str("\n\n");
        out.push_str(&content);
        out
    }

    /// Esc while a command runs (and no reply is coming): stops the newest command.
    pub(super) fn cancel_command(&mut self, fx: &mut Vec<Effect>) -> bool {
        let running = self.transcript.entries.iter().rev().find_map(|e| {
            e.command
                .as_ref()
                .filter(|c| c.end.is_none())
                .map(|c| c.request.clone())
        });
        let Some(exec) = running else {
            return false;
        };
        self.send(fx, Req::Cancel, |id| ClientMsg::CancelExec { id, exec });
        self.notice = Some(Notice::info("stopping the command…"));
        true
    }

    /// The connection went: a command dies with it, so its block says so.
    pub(super) fn commands_cut(&mut self) {
        for e in &mut self.transcript.entries {
            if let Some(c) = e.command.as_mut()
                && c.end.is_none()
            {
                c.end = Some(End::Failed(
                    "the connection to the daemon broke, and the command with it".into(),
                ));
                e.touch();
            }
        }
    }

    /// After the open conversation was loaded again, its command blocks go back to their
    /// places: each after the stored message it followed.
    pub(super) fn keep_commands(&mut self, old: Vec<Entry>) {
        for entry in old.into_iter().filter(|e| e.command.is_some()) {
            let anchor = entry.command.as_ref().and_then(|c| c.anchor.clone());
            let at = match anchor {
                None => 0,
                Some(m) => match self.transcript.find(&m) {
                    Some(i) => i + 1,
                    None => self.transcript.entries.len(),
                },
            };
            // After any blocks already placed behind the same message.
            let mut at = at;
            while self
                .transcript
                .entries
                .get(at)
                .is_some_and(|e| e.command.is_some())
            {
                at += 1;
            }
            self.transcript.entries.insert(at, entry);
        }
    }

    /// `s` in the transcript: shares the selected command block's output.
    pub(super) fn share_selected(&mut self) {
        let i = self.selected.or_else(|| {
            self.transcript
                .entries
                .iter()
                .rposition(|e| e.command.is_some())
        });
        match i {
            Some(i) => self.share_command(i),
            None => self.notice = Some(Notice::warn("no command to share; /run runs one")),
        }
        self.focus = Focus::Transcript;
    }
}
