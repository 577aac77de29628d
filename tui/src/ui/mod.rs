//! The interactive TUI: `chinwag` with no subcommand.

pub mod app;
pub mod command_block;
pub mod config;
pub mod drafts;
pub mod event;
pub mod external;
pub mod highlight;
pub mod keymap;
pub mod link;
pub mod markdown;
pub mod run;
pub mod table;
pub mod terminal;
pub mod theme;
pub mod tool_block;
pub mod transcript;
pub mod view;
pub mod wrap;
