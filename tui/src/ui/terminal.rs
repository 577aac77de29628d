//! Terminal set-up and, on every way out (normal exit, error, panic, suspend for the
//! editor), restoration: raw mode, the alternate screen, bracketed paste, mouse reporting.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::stdout;

/// Puts the terminal in TUI mode.
pub fn enter() -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(
        stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableMouseCapture
    )
}

/// Gives the terminal back as it was. Safe to call twice.
pub fn leave() -> std::io::Result<()> {
    let r = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    disable_raw_mode()?;
    r
}

/// Restores the terminal before the panic message prints, so it is readable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = leave();
        previous(info);
    }));
}

/// Leaves TUI mode when dropped, whatever the way out.
#[derive(Debug)]
pub struct Guard;

impl Guard {
    pub fn new() -> std::io::Result<Guard> {
        install_panic_hook();
        enter()?;
        Ok(Guard)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = leave();
    }
}
