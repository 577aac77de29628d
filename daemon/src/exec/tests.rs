//! The policy checker against SECURITY.md §1's attack inputs (the ones decided before any
//! process could start), and a property test: whatever it allows names a policy program,
//! uses only that program's grammar, and whatever confinement then lets through stays inside.

use super::confine::Root;
use super::policy::{Policy, Refusal};
use proptest::prelude::*;

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_string()).collect()
}

fn policy() -> Policy {
    Policy::parse(super::policy::DEFAULT_POLICY).expect("the built-in policy")
}

fn check(words: &[&str]) -> Result<Vec<String>, Refusal> {
    policy().check(&argv(words)).map(|p| p.args)
}

fn rule(words: &[&str]) -> &'static str {
    match check(words) {
        Ok(args) => panic!("{words:?} was allowed as {args:?}"),
        Err(r) => r.rule,
    }
}

#[test]
fn the_builtin_policy_parses_and_lists_no_shell_interpreter_or_launcher() {
    let p = Policy::parse(super::policy::DEFAULT_POLICY).expect("the built-in policy");
    assert!(p.programs.len() >= 10);
    for never in [
        "sh", "bash", "zsh", "dash", "python3", "perl", "awk", "env", "xargs", "timeout", "nice",
        "sudo", "less", "more", "man", "vi", "curl", "wget", "ssh", "tar", "sed",
    ] {
        assert!(!p.programs.contains_key(never), "{never} is in the policy");
    }
    assert!(
        p.programs.get("git").is_some_and(|g| g.needs_sandbox),
        "git runs only under the whole sandbox: a repository's config can name programs"
    );
}

#[test]
fn security_table_inputs_are_refused_before_anything_could_run() {
    // A string, not argv: one word with spaces is no program name.
    assert_eq!(rule(&["ls; id"]), "not-a-program");
    assert_eq!(rule(&["ls", "\ntouch M"]), "control-character");
    assert_eq!(rule(&["ls", "a\0b"]), "control-character");
    for shell in [
        &["sh", "-c", "id"][..],
        &["bash", "-lc", "ls"],
        &["env", "id"],
        &["xargs", "id"],
        &["less", "f"],
        &["man", "ls"],
    ] {
        assert_eq!(rule(shell), "not-in-policy", "{shell:?}");
    }
    assert_eq!(rule(&["/bin/ls"]), "not-a-program");
    assert_eq!(rule(&["../../bin/sh"]), "not-a-program");
    assert_eq!(rule(&["./ls"]), "not-a-program");
    let many: Vec<String> = std::iter::once("echo".to_string())
        .chain((0..10_000).map(|i| i.to_string()))
        .collect();
    assert_eq!(
        policy().check(&many).map_err(|r| r.rule),
        Err("too-many-args")
    );
    let big = "x".repeat(1024 * 1024);
    assert_eq!(rule(&["echo", &big]), "argv-too-long");
    for action in [
        "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprintf", "-fls",
    ] {
        assert_eq!(
            rule(&["find", ".", action, "rm", "{}", ";"]),
            "unknown-flag",
            "{action}"
        );
    }
    assert_eq!(rule(&["sed", "1e id", "f"]), "not-in-policy");
    assert_eq!(
        rule(&["git", "-c", "alias.x=!touch M", "x"]),
        "unknown-flag"
    );
    assert_eq!(rule(&["git", "--paginate", "show"]), "unknown-flag");
    assert_eq!(rule(&["git", "-p", "show"]), "unknown-flag");
    assert_eq!(rule(&["git", "-C", "/", "status"]), "unknown-flag");
    assert_eq!(rule(&["git", "fetch"]), "unknown-subcommand");
    assert_eq!(
        rule(&["git", "ls-remote", "https://x"]),
        "unknown-subcommand"
    );
    assert_eq!(rule(&["git", "diff", "--output=../x"]), "unknown-flag");
    assert_eq!(rule(&["git", "diff", "--ext-diff"]), "unknown-flag");
    assert_eq!(rule(&["git", "branch", "new-branch"]), "no-operands");
    assert_eq!(rule(&["rg", "--pre", "sh", "x"]), "unknown-flag");
    assert_eq!(rule(&["rg", "-z", "x"]), "unknown-flag");
    assert_eq!(rule(&["cat", "../../etc/passwd"]), "outside-root");
    assert_eq!(rule(&["cat", "/etc/passwd"]), "absolute-path");
    assert_eq!(rule(&["cat", "sub/../../../s"]), "outside-root");
    assert_eq!(rule(&["find", "-newer", "/etc/passwd"]), "absolute-path");
    assert_eq!(rule(&["head", "-n", "ten", "f"]), "bad-value");
    assert_eq!(rule(&["find", ".", "-type", "z"]), "bad-value");
    assert_eq!(rule(&["git", "log", "--output=x"]), "unknown-flag");
    assert_eq!(rule(&["git", "log", "-x"]), "unknown-flag");
}

#[test]
fn what_is_allowed_runs_with_operands_that_cannot_act_as_options() {
    // Shell syntax is just text: echo prints it, ls looks for files of those names.
    assert_eq!(
        check(&["echo", "$(touch M)", "`touch M`"]).expect("allowed"),
        ["$(touch M)", "`touch M`"]
    );
    assert_eq!(
        check(&["echo", "--", "-e"]).map_err(|r| r.rule),
        Err("operand-looks-like-option")
    );
    assert_eq!(
        check(&["ls", "&", "touch", "M"]).expect("allowed"),
        ["--", "&", "touch", "M"]
    );
    assert_eq!(
        check(&["ls", "|", "id"]).expect("allowed"),
        ["--", "|", "id"]
    );
    // A path that looks like an option is a file.
    assert_eq!(
        check(&["cat", "--", "--help"]).expect("allowed"),
        ["--", "./--help"]
    );
    assert_eq!(
        check(&["grep", "-n", "-v", "src"]).expect("allowed"),
        ["-n", "-v", "-e", "src", "--"],
        "-v is grep's flag, src the pattern"
    );
    assert_eq!(
        check(&["grep", "-n", "--", "-v", "src"]).expect("allowed"),
        ["-n", "-e", "-v", "--", "src"],
        "a pattern that looks like a flag is passed as -e"
    );
    assert_eq!(
        check(&[
            "git",
            "--no-pager",
            "log",
            "--oneline",
            "-n",
            "5",
            "main",
            "--",
            "src"
        ])
        .expect("allowed"),
        [
            "--no-pager",
            "log",
            "--no-ext-diff",
            "--no-textconv",
            "--oneline",
            "-n",
            "5",
            "main",
            "--",
            "src"
        ]
    );
    assert_eq!(
        check(&["find", "src", "-name", "*.rs", "-type", "f"]).expect("allowed"),
        ["src", "-name", "*.rs", "-type", "f"]
    );
    assert_eq!(
        check(&["find", "-x"]).map_err(|r| r.rule),
        Err("unknown-flag")
    );
    // Short flags together are each checked.
    assert_eq!(check(&["ls", "-la"]).expect("allowed"), ["-l", "-a", "--"]);
    assert_eq!(
        check(&["head", "-qn", "5"]).map_err(|r| r.rule),
        Err("unknown-flag"),
        "an option with a value is not a flag to combine"
    );
    assert_eq!(
        check(&["git", "diff", "--unified=3"]).expect("allowed"),
        [
            "diff",
            "--no-ext-diff",
            "--no-textconv",
            "--unified",
            "3",
            "--"
        ]
    );
    let plan = policy()
        .check(&argv(&["find", "a", "-newer", "b", "c"]))
        .map_err(|r| r.rule);
    assert_eq!(
        plan,
        Err("operand-position"),
        "paths come before the expression"
    );
    let plan = policy()
        .check(&argv(&["find", "a", "b", "-newer", "c"]))
        .expect("allowed");
    let named: Vec<&str> = plan.paths.iter().map(|&i| plan.args[i].as_str()).collect();
    assert_eq!(
        named,
        ["a", "b", "c"],
        "every path, operand or value, is known"
    );
}

/// Words a fuzzer would try: each program's own flags and options, the dangerous ones the
/// policy leaves out, shell syntax, and paths of every shape.
fn word() -> impl Strategy<Value = String> {
    let policy = policy();
    let mut known: Vec<String> = Vec::new();
    for (name, p) in &policy.programs {
        known.push(name.clone());
        known.extend(p.global.iter().cloned());
        known.extend(p.subcommands.keys().cloned());
        for g in std::iter::once(&p.grammar).chain(p.subcommands.values()) {
            known.extend(g.flags.iter().cloned());
            known.extend(g.options.keys().cloned());
        }
    }
    known.extend(
        [
            "-exec",
            "-delete",
            "--output=x",
            "-c",
            "-C",
            "--pre",
            "sh",
            "/bin/sh",
            "..",
            "../x",
            "a/../../b",
            "/etc/passwd",
            "--",
            "-",
            ";",
            "|",
            "$(id)",
            "x",
            "src",
            "5",
            "-5",
            "f",
            "--help",
            "a b",
        ]
        .iter()
        .map(|s| (*s).to_string()),
    );
    prop_oneof![
        4 => proptest::sample::select(known),
        1 => "[a-z./-]{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn whatever_is_allowed_is_a_policy_program_in_its_grammar_inside_the_root(
        words in proptest::collection::vec(word(), 1..8)
    ) {
        let policy = policy();
        let Ok(plan) = policy.check(&words) else { return Ok(()); };
        let program = &policy.programs[&plan.program];
        prop_assert_eq!(&plan.program, &words[0]);
        // Every argument before the `--` (or all, where there is none) is a known flag, an
        // option with its value, the subcommand, a global flag, the policy's own fixed
        // argument, or a path/revision operand
        // placed where the grammar says; and nothing after `--` can be an option.
        let dashes = plan.args.iter().position(|a| a == "--");
        if let Some(d) = dashes {
            for (i, a) in plan.args.iter().enumerate().skip(d + 1) {
                let is_path = plan.paths.contains(&i);
                prop_assert!(
                    !is_path || !a.starts_with('-'),
                    "a path after -- starts with -: {:?}", plan.args
                );
            }
        }
        let grammars: Vec<&super::policy::Grammar> =
            std::iter::once(&program.grammar).chain(program.subcommands.values()).collect();
        let mut i = 0;
        let end = dashes.unwrap_or(plan.args.len());
        while i < end {
            let a = &plan.args[i];
            let known_flag = program.global.contains(a)
                || program.subcommands.contains_key(a)
                || grammars.iter().any(|g| g.flags.contains(a) || g.fixed.contains(a));
            let option = grammars.iter().any(|g| g.options.contains_key(a));
            let path = plan.paths.contains(&i);
            let revision_or_text = !a.starts_with('-');
            prop_assert!(
                known_flag || option || path || revision_or_text,
                "{:?} in {:?} is not in {}'s grammar", a, plan.args, plan.program
            );
            i += if option { 2 } else { 1 };
        }
        // Whatever confinement then lets through resolves inside the root. (Confinement may
        // refuse more than the policy's form check: `a/..` where `a` does not exist cannot
        // be resolved safely, since `a` could later be a symlink.)
        let tmp = tempfile::tempdir().expect("tmp");
        let root = Root::new(tmp.path()).expect("root");
        if root.check(&plan).is_ok() {
            for &p in &plan.paths {
                let resolved = root.resolve(&plan.args[p]);
                prop_assert!(
                    resolved.as_ref().is_ok_and(|r| r.starts_with(root.path())),
                    "{:?} leaves the root: {:?}", plan.args[p], resolved
                );
            }
        }
    }
}

#[test]
fn the_owner_adds_replaces_and_disables_programs_and_mistakes_are_refused() {
    let base = policy();
    let file: crate::config::FileExec = toml::from_str(
        "disable = [\"find\"]\n\
         [programs.ls]\npaths = [\"/usr/bin/ls\"]\nflags = [\"-l\"]\noperands = \"paths\"\n\
         [programs.nl]\npaths = [\"/usr/bin/nl\"]\nfixed = [\"-n\", \"rn\"]\n\
         options = { \"-w\" = \"number\", \"-b\" = [\"a\", \"t\", \"n\"] }\noperands = \"paths\"\n",
    )
    .expect("[exec]");
    let p = base
        .extended(&file.programs, &file.disable)
        .expect("extended");
    let rule = |words: &[&str]| {
        p.check(&argv(words))
            .map(|plan| plan.args)
            .map_err(|r| r.rule)
    };
    assert_eq!(rule(&["find", "."]), Err("not-in-policy"));
    assert_eq!(rule(&["ls", "-a"]), Err("unknown-flag"), "replaced whole");
    assert_eq!(rule(&["ls", "-l"]), Ok(argv(&["-l", "--"])));
    assert_eq!(
        rule(&["nl", "-w", "3", "a.txt"]),
        Ok(argv(&["-w", "3", "--", "a.txt"])),
        "added (its fixed arguments are put first by decide)"
    );
    assert_eq!(rule(&["nl", "-b", "x", "a.txt"]), Err("bad-value"));
    assert_eq!(
        rule(&["cat", "x"]),
        Ok(argv(&["--", "x"])),
        "the rest stays"
    );
    for (bad, says) in [
        ("disable = [\"nope\"]", "does not have"),
        ("[programs.x]\npaths = [\"x\"]", "absolute"),
        ("[programs.\"a b\"]\npaths = [\"/bin/x\"]", "bare name"),
        (
            "[programs.x]\npaths = [\"/bin/x\"]\nenv = { \"lower\" = \"1\" }",
            "variable name",
        ),
    ] {
        let file: crate::config::FileExec = toml::from_str(bad).expect("parses");
        let err = base.extended(&file.programs, &file.disable).expect_err(bad);
        assert!(err.contains(says), "{bad}: {err}");
    }
    let unknown =
        toml::from_str::<crate::config::FileExec>("[programs.x]\npaths = [\"/bin/x\"]\nflagz = []");
    assert!(unknown.is_err(), "an unknown key is refused");
}
