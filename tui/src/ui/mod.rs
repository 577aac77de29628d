//! The interactive TUI: `chinwag` with no subcommand.

pub mod app;
pub mod command_block;
pub mod config;
pub mod drafts;
pub mod event;
pub mod external;
pub mod keymap;
pub mod link;
pub mod run;
pub mod terminal;
pub mod tool_block;
pub mod transcript;
pub mod view;
