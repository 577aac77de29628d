//! The TUI runner: one `select!` loop over terminal input, daemon events and timers, feeding
//! [`App::update`] and carrying out its effects. It redraws only after something changed,
//! at most once per frame interval, and runs no timer while idle.

use super::app::{App, Open, Settings};
use super::event::{Effect, Event, Notice};
use super::{config, drafts, external, link, terminal, view};
use crate::cli::{ChatArgs, ConnArgs};
use crate::exit::ClientError;
use crate::text::{highlight, theme};
use chinwag_protocol::ClientMsg;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind, MouseEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use std::io::IsTerminal;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);
/// How often the spinner and countdowns move while something is going on.
const TICK: Duration = Duration::from_millis(100);

/// Builds the settings from flags, the client config and the environment.
pub fn settings(chat: &ChatArgs) -> Result<Settings, ClientError> {
    let cfg = match config::path() {
        Some(p) => {
            config::ClientConfig::load(&p).map_err(|e| ClientError::Usage(format!("{e:#}")))?
        }
        None => config::ClientConfig::default(),
    };
    let keymap = cfg
        .keymap()
        .map_err(|e| ClientError::Usage(format!("{e:#}")))?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let open = match (&chat.conversation, chat.continue_last) {
        (Some(id), _) => Open::Id(id.clone()),
        (None, true) => Open::Latest,
        (None, false) => Open::New,
    };
    Ok(Settings {
        theme: theme::Theme::pick(cfg.theme, no_color),
        keymap,
        model: chat.model.clone(),
        bot: chat.bot.clone(),
        open,
        session: uuid::Uuid::new_v4().simple().to_string(),
        cwd: std::env::current_dir()
            .ok()
            .map(|d| d.display().to_string()),
    })
}

/// Runs the TUI until the user quits.
pub async fn run(conn: &ConnArgs, chat: &ChatArgs) -> Result<(), ClientError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(ClientError::Usage(
            "the chat screen needs a terminal; for scripts and pipes use `chinwag ask`".into(),
        ));
    }
    let settings = settings(chat)?;
    highlight::warm_up();
    let (tx, rx) = mpsc::channel(1024);
    let link = link::spawn(conn.clone(), tx);
    let guard = terminal::Guard::new()
        .map_err(|e| ClientError::Other(anyhow::anyhow!("setting up the terminal: {e}")))?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .map_err(|e| ClientError::Other(anyhow::anyhow!("setting up the terminal: {e}")))?;
    let mut app = App::new(settings);
    let result = event_loop(&mut term, &mut app, rx, &link).await;
    drop(guard);
    result.map_err(|e| ClientError::Other(e.context("the chat screen failed")))
}

fn term_event(ev: TermEvent) -> Option<Event> {
    match ev {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => Some(Event::Key(k)),
        TermEvent::Paste(p) => Some(Event::Paste(p)),
        TermEvent::Mouse(m)
            if matches!(
                m.kind,
                MouseEventKind::ScrollUp | MouseEventKind::ScrollDown
            ) =>
        {
            Some(Event::Mouse(m))
        }
        TermEvent::Resize(width, height) => Some(Event::Resize { width, height }),
        _ => None,
    }
}

async fn event_loop<B: Backend>(
    term: &mut Terminal<B>,
    app: &mut App,
    mut daemon: mpsc::Receiver<Event>,
    link: &mpsc::UnboundedSender<ClientMsg>,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let start = Instant::now();
    let size = term.size()?;
    app.update(Event::Resize {
        width: size.width,
        height: size.height,
    });
    let mut input = Some(EventStream::new());
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut term_signal =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    loop {
        let next_frame = last_draw.map_or(start, |t| t + FRAME);
        if dirty && Instant::now() >= next_frame {
            term.draw(|f| view::draw(f, app))?;
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let ticking = app.wants_tick();
        let event = tokio::select! {
            ev = async { input.as_mut()?.next().await } => match ev {
                Some(Ok(ev)) => term_event(ev),
                Some(Err(e)) => return Err(anyhow::anyhow!("reading the terminal: {e}")),
                None => return Ok(()),
            },
            ev = daemon.recv() => ev,
            _ = tokio::time::sleep_until(next_frame), if dirty => None,
            _ = tick.tick(), if ticking => Some(Event::Tick { now_ms: start.elapsed().as_millis() as u64 }),
            // The terminal is going away: keep what was typed for next time.
            _ = term_signal.recv() => {
                keep_draft(app);
                return Ok(());
            }
            _ = hangup.recv() => {
                keep_draft(app);
                return Ok(());
            }
        };
        let Some(event) = event else { continue };
        if matches!(event, Event::Server(_)) {
            app.now_ms = start.elapsed().as_millis() as u64;
        }
        let effects = app.update(event);
        dirty = true;
        for effect in effects {
            match effect {
                Effect::Send(msg) => {
                    let _ = link.send(msg);
                }
                Effect::Quit => return Ok(()),
                Effect::Copy { text, what } => {
                    let n = match external::copy(&text) {
                        Ok(how) => Notice::info(format!("{what}: {how}")),
                        Err(e) => Notice::error(format!("copying {what} failed: {e}")),
                    };
                    app.update(Event::Notice(n));
                }
                Effect::CompletePath(prefix) => {
                    let items = crate::files::complete_path(&prefix);
                    app.update(Event::PathCompletions { prefix, items });
                }
                Effect::ReadFiles { content, paths } => {
                    let files = tokio::task::spawn_blocking(move || crate::files::named(&paths))
                        .await
                        .unwrap_or_else(|e| Err(e.to_string()));
                    app.update(Event::FilesRead { content, files });
                }
                Effect::WriteFile { path, contents } => {
                    let n = match chinwagd::private_fs::write_private_file(
                        path.as_ref(),
                        contents.as_bytes(),
                    ) {
                        Ok(()) => Notice::info(format!("written to {path}")),
                        Err(e) => Notice::error(format!("cannot write {path}: {e}")),
                    };
                    app.update(Event::Notice(n));
                }
                Effect::Edit(text) => {
                    // The editor owns the terminal until it exits: stop reading keys first.
                    // Whatever fails here, the draft stays in the input (and on disk).
                    keep_draft(app);
                    drop(input.take());
                    let edited = match terminal::leave() {
                        Ok(()) => external::edit(&text).await,
                        Err(e) => Err(anyhow::anyhow!("cannot hand the terminal over: {e}")),
                    };
                    let back = terminal::enter()
                        .map_err(anyhow::Error::from)
                        .and_then(|()| redraw_all(term));
                    input = Some(EventStream::new());
                    match edited {
                        Ok(t) => app.update(Event::Edited(t)),
                        Err(e) => app.update(Event::Notice(Notice::error(format!(
                            "{e:#}; your draft is unchanged"
                        )))),
                    };
                    if let Err(e) = back {
                        app.update(Event::Notice(Notice::error(format!(
                            "the terminal did not come back cleanly ({e:#}); Ctrl+L redraws"
                        ))));
                    }
                }
                Effect::Redraw => redraw_all(term)?,
                Effect::Suspend => {
                    keep_draft(app);
                    drop(input.take());
                    terminal::leave()?;
                    // Stops here until `fg` (SIGCONT); raw mode is off, so the shell is usable.
                    let _ = rustix::process::kill_process(
                        rustix::process::getpid(),
                        rustix::process::Signal::TSTP,
                    );
                    terminal::enter()?;
                    redraw_all(term)?;
                    input = Some(EventStream::new());
                }
                Effect::SaveDraft { conversation, text } => {
                    save_draft(conversation.as_ref(), &text, app);
                }
                Effect::LoadDraft(conversation) => {
                    if let Some(dir) = drafts::dir() {
                        let text = drafts::load(&dir, conversation.as_ref());
                        app.update(Event::DraftLoaded { conversation, text });
                    }
                }
            }
        }
    }
}

/// Repaints everything without asking the terminal where its cursor is (ratatui's `clear`
/// does ask, and the answer can arrive after the program gave up waiting for it).
fn redraw_all<B: Backend>(term: &mut Terminal<B>) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let size = term.size()?;
    term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
    Ok(())
}

/// Keeps the current input as the draft of the open conversation, when there is one: the
/// runner saves on its own (suspend, editor, signals) before a kept draft may have been read
/// back, so it never deletes one; only the app's own `SaveDraft` does.
fn keep_draft(app: &mut App) {
    let (conversation, text) = (app.conversation.clone(), app.input_text());
    if !text.trim().is_empty() {
        save_draft(conversation.as_ref(), &text, app);
    }
}

fn save_draft(conversation: Option<&chinwag_protocol::ConversationId>, text: &str, app: &mut App) {
    let Some(dir) = drafts::dir() else { return };
    if let Err(e) = drafts::save(&dir, conversation, text) {
        app.update(Event::Notice(Notice::error(format!(
            "cannot keep the draft: {e:#}"
        ))));
    }
}
