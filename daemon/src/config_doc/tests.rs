//! The config description held to the parser, both ways.

use super::*;
use serde::de::{self, Visitor};

/// The field names a struct's `Deserialize` asks for, caught by a deserializer that only
/// listens.
struct Fields(Vec<&'static str>);

impl<'de> de::Deserializer<'de> for &mut Fields {
    type Error = de::value::Error;
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.extend_from_slice(fields);
        Err(de::Error::custom("listened"))
    }
    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

fn fields<T: for<'de> serde::Deserialize<'de>>() -> Vec<&'static str> {
    let mut f = Fields(Vec::new());
    let _ = T::deserialize(&mut f);
    f.0
}

fn documented(table: &str) -> Vec<&'static str> {
    KEYS.iter()
        .filter(|k| k.table == table)
        .map(|k| k.name)
        .collect()
}

#[test]
fn every_key_the_parser_takes_is_described() {
    use crate::config::{BotConfig, BotOptions, FileConfig, FileLimits, FileTimeouts};
    let tables = [
        "timeouts", "limits", "tls", "bots", "exec", "backends", "tools",
    ];
    let mut top: Vec<&str> = fields::<FileConfig>()
        .into_iter()
        .filter(|f| !tables.contains(f))
        .collect();
    top.sort_unstable();
    let mut described = documented("");
    described.sort_unstable();
    assert_eq!(top, described, "top-level keys");
    let exec: Vec<&str> = fields::<crate::config::FileExec>()
        .into_iter()
        .filter(|f| *f != "programs")
        .collect();
    // A program's own keys and its grammar's (flattened into it, so serde cannot list
    // them: the first list is held to the struct by hand).
    let mut program = vec![
        "paths",
        "global",
        "subcommands",
        "fixed",
        "env",
        "needs_sandbox",
    ];
    program.extend(fields::<crate::exec::policy::Grammar>());
    program.sort_unstable();
    program.dedup();
    for (fields, table) in [
        (fields::<FileTimeouts>(), "timeouts"),
        (exec, "exec"),
        (program, "exec.programs.PROGRAM"),
        (
            fields::<crate::backend::BackendConfig>(),
            "backends.BACKEND",
        ),
        (fields::<crate::tls::TlsFiles>(), "tls"),
        (fields::<crate::tools::FileTools>(), "tools"),
        (fields::<BotOptions>(), "bots.NAME.options"),
    ] {
        let mut f = fields;
        f.sort_unstable();
        let mut d = documented(table);
        d.sort_unstable();
        assert_eq!(f, d, "[{table}]");
    }
    let mut limits: Vec<&str> = fields::<FileLimits>()
        .into_iter()
        .filter(|f| !["local", "users", "tokens"].contains(f))
        .collect();
    limits.sort_unstable();
    let mut d = documented("limits");
    d.sort_unstable();
    assert_eq!(limits, d, "[limits]");
    let mut bot: Vec<&str> = fields::<BotConfig>()
        .into_iter()
        .filter(|f| *f != "options")
        .collect();
    bot.sort_unstable();
    let mut d = documented("bots.NAME");
    d.sort_unstable();
    assert_eq!(bot, d, "[bots.NAME]");
}

#[test]
fn the_default_config_uncommented_is_the_defaults() {
    // Only the keys with a default: the examples name paths that need not exist.
    let mut text = String::new();
    let mut table = "";
    for k in KEYS.iter().filter(|k| !k.default.is_empty()) {
        if k.table != table {
            table = k.table;
            text.push_str(&format!("[{}]\n", shown(table)));
        }
        text.push_str(&format!("{} = {}\n", k.name, k.default));
    }
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("chinwagd.toml");
    std::fs::write(&file, &text).expect("write");
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").expect("write");
    let dirs = crate::config::Dirs::all_in(dir.path());
    let load = |config: &std::path::Path| {
        crate::config::Config::load(
            &dirs,
            &crate::config::Overrides {
                config: Some(config.into()),
                ollama_host: Some("127.0.0.1:1".into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e:#}\n{text}"))
    };
    let (written, defaults) = (load(&file), load(&empty));
    assert_eq!(written.caps, defaults.caps);
    assert_eq!(written.timeouts, defaults.timeouts);
    assert_eq!(written.limits, defaults.limits);
    assert_eq!(written.durability, defaults.durability);
    assert_eq!(
        (
            written.max_message_bytes,
            written.max_content_chars,
            written.max_generations,
            written.max_queued_generations,
            written.log_keep
        ),
        (
            defaults.max_message_bytes,
            defaults.max_content_chars,
            defaults.max_generations,
            defaults.max_queued_generations,
            defaults.log_keep
        )
    );
    assert_eq!(written.log, defaults.log);
    // Every key, examples included, is one the parser takes (unknown keys are refused).
    let every: String = default_config()
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.starts_with('[') || l.contains(" = "))
        .map(|l| format!("{l}\n"))
        .collect();
    toml::from_str::<crate::config::FileConfig>(&every).unwrap_or_else(|e| panic!("{e}\n{every}"));
}
