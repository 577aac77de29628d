//! The config's own tests: parsing, overrides, and README's example.

use super::*;

#[test]
fn a_misspelt_key_is_named_in_the_error() {
    let err =
        parse_file("defualt_model = \"x\"\n", Path::new("chinwagd.toml")).expect_err("unknown key");
    assert!(err.to_string().contains("defualt_model"), "{err}");
    let err = parse_file("[bots.a.options]\ntemprature = 0.1\n", Path::new("c.toml"))
        .expect_err("unknown option");
    assert!(err.to_string().contains("temprature"), "{err}");
}

#[test]
fn limits_parse_with_per_user_overrides() {
    let f = parse_file(
        "[limits]\nmessages_per_minute = 20\n[limits.users.vip]\nmessages_per_minute = 120\nconcurrent_generations = 4\noutput_tokens_per_minute = 50000\n",
        Path::new("c.toml"),
    )
    .expect("valid");
    assert_eq!(f.limits.messages_per_minute, Some(20));
    let vip = &f.limits.users["vip"];
    assert_eq!(
        (
            vip.messages_per_minute,
            vip.concurrent_generations,
            vip.output_tokens_per_minute
        ),
        (Some(120), Some(4), Some(50_000))
    );
    let f = parse_file(
        "[limits.tokens.cw_0000000000AB]\nburst = 2\n[limits.tokens.laptop]\nburst = 1\n",
        Path::new("c.toml"),
    )
    .expect("valid toml");
    let err = overrides(&f.limits, &f.limits.tokens, "tokens").expect_err("not an id");
    assert!(err.to_string().contains("laptop"), "{err}");
    let mut ok = f.limits.clone();
    ok.tokens.remove("laptop");
    let tokens = overrides(&ok, &ok.tokens, "tokens").expect("an id");
    assert_eq!(
        tokens["cw_0000000000ab"].burst, 2,
        "ids are matched as issued"
    );
    let err =
        parse_file("[limits.users.x]\nrate = 1\n", Path::new("c.toml")).expect_err("unknown key");
    assert!(err.to_string().contains("rate"), "{err}");
}

#[test]
fn bots_parse_with_their_options() {
    let f = parse_file(
        "default_model = \"llama3.2\"\n[bots.coder]\nmodel = \"qwen2.5-coder\"\nsystem = \"Review code.\"\n[bots.coder.options]\ntemperature = 0.2\nstop = [\"END\"]\n",
        Path::new("c.toml"),
    )
    .expect("valid");
    let coder = &f.bots["coder"];
    let o = coder.gen_options();
    assert_eq!(o.system.as_deref(), Some("Review code."));
    assert_eq!(o.temperature, Some(0.2));
    assert_eq!(o.stop, vec!["END".to_string()]);
}

/// The commented example in README.md is a config the daemon accepts.
#[test]
fn the_readme_example_loads() {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("# ~/.config/chinwag/chinwagd.toml")
        .expect("the README has the example");
    let example = &readme[start..];
    let example = &example[..example.find("```").expect("the block ends")];
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("chinwagd.toml");
    std::fs::write(&file, example).expect("write");
    let dirs = Dirs::all_in(dir.path());
    let flags = Overrides {
        config: Some(file),
        ollama_host: Some("127.0.0.1:1".into()),
        ..Overrides::default()
    };
    let config = Config::load(&dirs, &flags).expect("the README's example is valid");
    assert_eq!(config.caps.max_connections_per_ip, 256);
    assert_eq!(config.timeouts, Timeouts::default());
}
