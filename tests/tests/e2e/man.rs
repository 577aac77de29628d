//! The man pages in `man/` are generated from the clap definitions; this fails when they drift.
//! Regenerate with `UPDATE_MAN=1 cargo nextest run -p chinwag-tests man`.

use clap::CommandFactory;
use std::path::PathBuf;

fn render(cmd: clap::Command) -> String {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .expect("render man page");
    String::from_utf8(out).expect("utf8")
}

fn pages() -> Vec<(String, String)> {
    let client = chinwag::cli::Cli::command();
    let mut pages = vec![("chinwag.1".to_string(), render(client.clone()))];
    for sub in client.get_subcommands() {
        // clap names are &'static str without its `string` feature; a test may leak a few.
        let name: &'static str = Box::leak(format!("chinwag-{}", sub.get_name()).into_boxed_str());
        let sub = sub.clone().name(name).version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), render(sub)));
    }
    pages.push((
        "chinwagd.1".to_string(),
        render(chinwagd::cli::DaemonCli::command()),
    ));
    pages
}

#[test]
fn man_pages_match_the_cli() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../man");
    let update = std::env::var_os("UPDATE_MAN").is_some();
    let mut stale = Vec::new();
    for (file, text) in pages() {
        let path = dir.join(&file);
        if update {
            std::fs::write(&path, &text).expect("write man page");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "man pages out of date: {stale:?}; run UPDATE_MAN=1 cargo nextest run -p chinwag-tests man"
    );
}
