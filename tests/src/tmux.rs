//! Driving a real terminal: the built `chinwag` runs in a tmux pane (a real pty) on a
//! private tmux server; tests type with `send-keys` and read the screen with `capture-pane`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A detached tmux session on its own server socket; the server is killed on drop.
#[derive(Debug)]
pub struct Tmux {
    socket: PathBuf,
}

/// Quotes `s` for `sh`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Tmux {
    /// Starts `program args…` in a `width`×`height` pane with exactly `env` set (plus TERM,
    /// which tmux provides). After the program exits, the shell reports its exit code and
    /// whether the tty settings came back, then waits (a pane that dies at once can lose
    /// its last output).
    pub fn start(
        dir: &Path,
        env: &[(&str, String)],
        program: &Path,
        args: &[&str],
        width: u16,
        height: u16,
    ) -> Tmux {
        Tmux::start_in(dir, dir, env, program, args, width, height)
    }

    /// As [`Tmux::start`], with the program's working directory `cwd`.
    pub fn start_in(
        dir: &Path,
        cwd: &Path,
        env: &[(&str, String)],
        program: &Path,
        args: &[&str],
        width: u16,
        height: u16,
    ) -> Tmux {
        // A fresh server socket each time: a server being killed may still hold the last one.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = dir.join(format!("tmux-{n}.sock"));
        let mut line = String::from("env -i TERM=\"$TERM\"");
        for (k, v) in env {
            line.push_str(&format!(" {k}={}", quote(v)));
        }
        let cmd: Vec<String> = std::iter::once(quote(&program.to_string_lossy()))
            .chain(args.iter().map(|a| quote(a)))
            .collect();
        // Record the tty settings before and after, to prove the terminal was restored.
        let script = format!(
            "before=$(stty -g); {line} {}; code=$?; \
             if [ \"$before\" = \"$(stty -g)\" ]; then r=restored; else r=BROKEN; fi; \
             echo \"[exit $code, tty $r]\"; read keep_the_pane",
            cmd.join(" ")
        );
        let t = Tmux { socket };
        t.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "-c",
            &cwd.to_string_lossy(),
            "sh",
            "-c",
            &script,
        ]);
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (is it installed?)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Presses keys by tmux name: `Enter`, `C-r`, `M-n`, `F1`, `PageUp`.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "t", "-l", text]);
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// Waits (bounded) until the screen satisfies `pred`; returns that screen. On timeout
    /// the panic shows the last screen.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut pause = Duration::from_millis(5);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting until {what}; the screen:\n{screen}"
            );
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Waits until the screen contains `text`.
    pub async fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("the screen shows {text:?}"), |s| s.contains(text))
            .await
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
