//! The policy checker: whether an argv may run, decided from the policy (data, TOML) alone,
//! with no filesystem and no process. Deny by default: the program must be a policy name,
//! every flag must be in its grammar, every option value must have its type; operands are
//! split into text and paths, and the plan it returns puts `--` before paths (and a `./`
//! before one that starts with `-`) so none can act as an option; text operands that start
//! with `-` are refused, as some programs print a `--` rather than honour it. Paths are only checked here for their form (relative, no `..` that climbs
//! out); `confine` resolves them against the real root.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// Most arguments a request may have, program included.
pub const MAX_ARGS: usize = 256;
/// Longest single argument, in bytes.
pub const MAX_ARG_BYTES: usize = 4096;
/// Longest argv in all, in bytes.
pub const MAX_ARGV_BYTES: usize = 64 * 1024;

/// The built-in policy (daemon/src/exec/default_policy.toml).
pub const DEFAULT_POLICY: &str = include_str!("default_policy.toml");

/// The policy: programs by bare name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub programs: BTreeMap<String, Program>,
}

/// One program the policy allows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Absolute paths to look for, in order; the first that exists is run.
    pub paths: Vec<PathBuf>,
    /// For programs with subcommands: flags allowed before the subcommand.
    #[serde(default)]
    pub global: Vec<String>,
    #[serde(default)]
    pub subcommands: BTreeMap<String, Grammar>,
    /// Arguments put before the caller's.
    #[serde(default)]
    pub fixed: Vec<String>,
    /// Variables added to the child's environment; `{root-parent}` in a value is the parent
    /// of the directory the command runs in.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Offered only where the whole Landlock ruleset is enforced.
    #[serde(default)]
    pub needs_sandbox: bool,
    #[serde(flatten)]
    pub grammar: Grammar,
}

/// What a program (or a subcommand) accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grammar {
    /// For a subcommand: arguments put right after its name, before the caller's.
    #[serde(default)]
    pub fixed: Vec<String>,
    /// Flags that take no value.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Options that take a value (as the next argument, or `--long=value`), by type.
    #[serde(default)]
    pub options: BTreeMap<String, ValueKind>,
    #[serde(default)]
    pub operands: Operands,
    /// At most this many operands.
    pub max_operands: Option<usize>,
}

/// The type of an option's value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ValueKind {
    /// One of these words.
    OneOf(Vec<String>),
    Named(Named),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Named {
    /// Digits, optionally signed.
    Number,
    /// Anything without control characters.
    Text,
    /// A path, confined to the root.
    Path,
}

/// What a program's operands are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operands {
    /// No operands.
    #[default]
    None,
    /// Paths, confined to the root.
    Paths,
    /// Text.
    Text,
    /// A pattern (unless `-e` gave one), then paths: grep, rg.
    PatternThenPaths,
    /// Paths, then an expression of the program's flags and options: find.
    PathsFirst,
    /// Revisions (text that does not start with `-`), then after a `--` paths: git.
    RevisionsThenPaths,
}

/// What may run: the program's policy name, the arguments to pass (with `--` where it
/// belongs) and which of them are paths for `confine` to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub program: String,
    pub args: Vec<String>,
    /// Indexes into `args` of the arguments that are paths (operands or option values).
    pub paths: Vec<usize>,
    /// Indexes into `args` of operands taken as revisions only because no `--` came before
    /// them (git); `confine` moves one that names an existing path after the `--`, as git
    /// itself would read it.
    pub revisions: Vec<usize>,
}

/// Why not, with the rule that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A short stable name of the rule (`not-a-program`, `unknown-flag`, ...).
    pub rule: &'static str,
    /// For people.
    pub reason: String,
}

fn refuse(rule: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        reason: reason.into(),
    }
}

impl Policy {
    /// Parses a policy; an unknown key or type is an error that names it.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let p: Policy = toml::from_str(text).map_err(|e| e.to_string())?;
        p.validate()?;
        Ok(p)
    }

    /// The built-in policy as the daemon's owner changed it: `disable` names built-in
    /// programs to drop, `programs` adds programs or replaces built-in ones whole.
    pub fn extended(
        &self,
        programs: &BTreeMap<String, Program>,
        disable: &[String],
    ) -> Result<Policy, String> {
        let mut p = self.clone();
        for name in disable {
            if p.programs.remove(name).is_none() {
                return Err(format!(
                    "disable names {name}, which the built-in policy does not have"
                ));
            }
        }
        p.programs
            .extend(programs.iter().map(|(k, v)| (k.clone(), v.clone())));
        p.validate()?;
        Ok(p)
    }

    /// What the types cannot say: bare names, absolute paths, variable names.
    fn validate(&self) -> Result<(), String> {
        for (name, prog) in &self.programs {
            if !is_bare_name(name) {
                return Err(format!("program {name:?} is not a bare name"));
            }
            if prog.paths.is_empty() || prog.paths.iter().any(|p| !p.is_absolute()) {
                return Err(format!(
                    "program {name}: paths must be absolute, and at least one"
                ));
            }
            if let Some(bad) = prog.env.keys().find(|k| {
                k.is_empty()
                    || !k
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            }) {
                return Err(format!(
                    "program {name}: env name {bad:?} is not an upper-case variable name"
                ));
            }
        }
        Ok(())
    }

    /// The built-in policy.
    pub fn builtin() -> Policy {
        // The built-in policy is part of the program; a test parses it.
        Policy::parse(DEFAULT_POLICY).unwrap_or(Policy {
            programs: BTreeMap::new(),
        })
    }

    /// Decides whether `argv` may run, and how.
    pub fn check(&self, argv: &[String]) -> Result<Plan, Refusal> {
        check_sizes(argv)?;
        let (name, rest) = argv
            .split_first()
            .ok_or_else(|| refuse("empty", "no program named"))?;
        if !is_bare_name(name) {
            return Err(refuse(
                "not-a-program",
                format!("{name:?} is not a program name: give a bare name the policy lists"),
            ));
        }
        let program = self.programs.get(name).ok_or_else(|| {
            refuse(
                "not-in-policy",
                format!("{name} is not in the policy (chinwag policy lists what is)"),
            )
        })?;
        let mut args = Vec::new();
        let mut paths = Vec::new();
        let (grammar, rest) = if program.subcommands.is_empty() {
            (&program.grammar, rest)
        } else {
            let mut i = 0;
            while let Some(a) = rest.get(i).filter(|a| a.starts_with('-')) {
                if !program.global.contains(a) {
                    return Err(refuse(
                        "unknown-flag",
                        format!("{name}: {a} is not allowed before the subcommand"),
                    ));
                }
                args.push(a.clone());
                i += 1;
            }
            let sub = rest
                .get(i)
                .ok_or_else(|| refuse("no-subcommand", format!("{name}: which subcommand?")))?;
            let grammar = program.subcommands.get(sub).ok_or_else(|| {
                refuse(
                    "unknown-subcommand",
                    format!("{name} {sub} is not in the policy"),
                )
            })?;
            args.push(sub.clone());
            args.extend(grammar.fixed.iter().cloned());
            (grammar, &rest[i + 1..])
        };
        let revisions = apply(name, grammar, rest, &mut args, &mut paths)?;
        Ok(Plan {
            program: name.clone(),
            args,
            paths,
            revisions,
        })
    }
}

/// A bare program name: letters, digits, `-`, `_`, `.`, not starting with `.` or `-`.
fn is_bare_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_sizes(argv: &[String]) -> Result<(), Refusal> {
    if argv.len() > MAX_ARGS {
        return Err(refuse(
            "too-many-args",
            format!("{} arguments; at most {MAX_ARGS}", argv.len()),
        ));
    }
    let total: usize = argv.iter().map(String::len).sum();
    if total > MAX_ARGV_BYTES {
        return Err(refuse(
            "argv-too-long",
            format!("{total} bytes of arguments; at most {MAX_ARGV_BYTES}"),
        ));
    }
    for a in argv {
        if a.len() > MAX_ARG_BYTES {
            return Err(refuse(
                "arg-too-long",
                format!("an argument of {} bytes; at most {MAX_ARG_BYTES}", a.len()),
            ));
        }
        if a.chars().any(char::is_control) {
            return Err(refuse(
                "control-character",
                "an argument holds a control character (a newline, NUL, ...)",
            ));
        }
    }
    Ok(())
}

/// Whether a path operand has a safe form: relative, not empty, and no `..` that would
/// climb above where it starts.
fn path_form(name: &str, p: &str) -> Result<(), Refusal> {
    if p.is_empty() {
        return Err(refuse("empty-path", format!("{name}: an empty path")));
    }
    let path = Path::new(p);
    if path.is_absolute() {
        return Err(refuse(
            "absolute-path",
            format!("{name}: {p} is absolute; paths are relative to the root"),
        ));
    }
    let mut depth: i64 = 0;
    for c in path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return Err(refuse(
                "outside-root",
                format!("{name}: {p} leads out of the root"),
            ));
        }
    }
    Ok(())
}

/// A path argument as passed: `./` in front of one that starts with `-`, so no program
/// reads it as an option.
fn as_path_arg(p: &str) -> String {
    if p.starts_with('-') {
        format!("./{p}")
    } else {
        p.to_string()
    }
}

fn check_value(name: &str, opt: &str, kind: &ValueKind, v: &str) -> Result<(), Refusal> {
    let bad = |what: &str| {
        Err(refuse(
            "bad-value",
            format!("{name}: {opt} takes {what}, not {v:?}"),
        ))
    };
    match kind {
        ValueKind::OneOf(words) if words.iter().any(|w| w == v) => Ok(()),
        ValueKind::OneOf(words) => bad(&format!("one of {}", words.join(", "))),
        ValueKind::Named(Named::Number) => {
            let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
            if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                Ok(())
            } else {
                bad("a number")
            }
        }
        ValueKind::Named(Named::Text) => Ok(()),
        ValueKind::Named(Named::Path) => path_form(name, v),
    }
}

/// Checks `rest` against `grammar`, appending the plan's arguments; returns the indexes of
/// operands read as revisions for want of a `--`.
fn apply(
    name: &str,
    g: &Grammar,
    rest: &[String],
    args: &mut Vec<String>,
    paths: &mut Vec<usize>,
) -> Result<Vec<usize>, Refusal> {
    let mut revisions = Vec::new();
    let start = args.len();
    let mut operands: Vec<&String> = Vec::new();
    let mut after_dashes: Vec<&String> = Vec::new();
    let mut pattern_given = false;
    let mut i = 0;
    let mut seen_dashes = false;
    while i < rest.len() {
        let a = &rest[i];
        i += 1;
        if seen_dashes {
            after_dashes.push(a);
            continue;
        }
        if a == "--" {
            seen_dashes = true;
            continue;
        }
        // find's expression is made of its flags and options, after its paths.
        let option_like = a.starts_with('-') || (g.operands == Operands::PathsFirst && a == "!");
        if !option_like || a == "-" {
            if g.operands == Operands::PathsFirst && args.len() > start {
                return Err(refuse(
                    "operand-position",
                    format!("{name}: {a:?} after the expression began; paths come first"),
                ));
            }
            operands.push(a);
            continue;
        }
        if g.flags.iter().any(|f| f == a) {
            args.push(a.clone());
            continue;
        }
        // Short flags written together (`-la`): each must be a flag on its own.
        if let Some(letters) = a
            .strip_prefix('-')
            .filter(|l| l.len() > 1 && !l.starts_with('-'))
        {
            let split: Vec<String> = letters.chars().map(|c| format!("-{c}")).collect();
            if split.iter().all(|f| g.flags.contains(f)) {
                args.extend(split);
                continue;
            }
        }
        // `--opt=value`, or the option then its value.
        let (opt, inline) = match a.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let Some(kind) = g.options.get(opt) else {
            return Err(refuse(
                "unknown-flag",
                format!("{name}: {opt} is not allowed (chinwag policy shows what is)"),
            ));
        };
        let value = match inline {
            Some(v) => v,
            None => {
                let v = rest.get(i).ok_or_else(|| {
                    refuse("missing-value", format!("{name}: {opt} needs a value"))
                })?;
                i += 1;
                v.clone()
            }
        };
        check_value(name, opt, kind, &value)?;
        if opt == "-e" {
            pattern_given = true;
        }
        args.push(opt.to_string());
        if *kind == ValueKind::Named(Named::Path) {
            paths.push(args.len());
            args.push(as_path_arg(&value));
        } else {
            args.push(value);
        }
    }
    let count = operands.len() + after_dashes.len();
    if let Some(max) = g.max_operands
        && count > max
    {
        return Err(refuse(
            "too-many-operands",
            format!("{name}: at most {max} operands"),
        ));
    }
    let push_paths = |list: &[&String], args: &mut Vec<String>, paths: &mut Vec<usize>| {
        for p in list {
            path_form(name, p)?;
            paths.push(args.len());
            args.push(as_path_arg(p));
        }
        Ok::<(), Refusal>(())
    };
    match g.operands {
        Operands::None if count > 0 => {
            return Err(refuse("no-operands", format!("{name}: takes no operands")));
        }
        Operands::None => {}
        Operands::Text => {
            // Some programs (echo) print a `--` rather than honour it: text that could be
            // read as an option is refused instead.
            for t in operands.iter().chain(&after_dashes) {
                if t.starts_with('-') {
                    return Err(refuse(
                        "operand-looks-like-option",
                        format!("{name}: {t:?} would be read as an option"),
                    ));
                }
                args.push((*t).clone());
            }
        }
        Operands::Paths => {
            args.push("--".into());
            let all: Vec<&String> = operands.iter().chain(&after_dashes).copied().collect();
            push_paths(&all, args, paths)?;
        }
        Operands::PatternThenPaths => {
            let mut all: Vec<&String> = operands.iter().chain(&after_dashes).copied().collect();
            if !pattern_given {
                if all.is_empty() {
                    return Err(refuse("no-pattern", format!("{name}: what to search for?")));
                }
                let pattern = all.remove(0);
                args.push("-e".into());
                args.push(pattern.clone());
            }
            args.push("--".into());
            push_paths(&all, args, paths)?;
        }
        Operands::PathsFirst => {
            if !after_dashes.is_empty() {
                return Err(refuse(
                    "operand-position",
                    format!("{name}: no -- here; give paths first"),
                ));
            }
            // The paths go in front of the expression already in `args`.
            let expression = args.split_off(start);
            let expression_paths = std::mem::take(paths);
            push_paths(&operands, args, paths)?;
            let shift = args.len() - start;
            args.extend(expression);
            paths.extend(expression_paths.into_iter().map(|p| p + shift));
        }
        Operands::RevisionsThenPaths => {
            for r in &operands {
                if r.starts_with('-') {
                    return Err(refuse(
                        "bad-value",
                        format!("{name}: revision {r:?} looks like an option"),
                    ));
                }
                if !seen_dashes {
                    revisions.push(args.len());
                }
                args.push((*r).clone());
            }
            args.push("--".into());
            push_paths(&after_dashes, args, paths)?;
        }
    }
    Ok(revisions)
}
