//! Text layout, shared by the chat screen and `ask`'s rendered output: Markdown to styled
//! lines (`markdown`, with `table` and `highlight` for code), wrapping by cell width
//! (`wrap`), the colours (`theme`), styled lines as terminal text (`ansi`), and Markdown
//! rendered block by block as it streams (`stream`).

pub mod ansi;
pub mod highlight;
pub mod markdown;
pub mod stream;
pub mod table;
pub mod theme;
pub mod wrap;
