//! The policy in force, as `get_policy` shows it: each program with the path that runs here
//! (or the rule that keeps it from running), where it came from, and its grammar.

use super::policy::{Grammar, Named, Operands, Policy, Program, ValueKind};
use super::{ExecConfig, Root, sandbox};
use chinwag_protocol::{PolicyGrammar, PolicyProgram};
use std::path::Path;

/// The root a command would run in (`cwd` when given and inside the allowed root), the
/// sandbox, and every program.
pub fn describe(
    config: &ExecConfig,
    cwd: Option<&str>,
) -> (Option<String>, String, Vec<PolicyProgram>) {
    let root = config
        .root
        .as_deref()
        .and_then(|r| Root::new(r).ok())
        .and_then(|allowed| match cwd {
            None => Some(allowed),
            // As for `exec`: only an absolute directory inside the root.
            Some(dir) if !Path::new(dir).is_absolute() => None,
            Some(dir) => Root::new(Path::new(dir))
                .ok()
                .filter(|here| allowed.contains(here.path())),
        })
        .map(|r| r.path().display().to_string());
    let level = sandbox::available();
    let builtin = Policy::builtin();
    let programs = config
        .policy
        .programs
        .iter()
        .map(|(name, p)| program(name, p, builtin.programs.get(name) != Some(p), level))
        .collect();
    (root, level.as_str().to_string(), programs)
}

fn program(name: &str, p: &Program, configured: bool, level: sandbox::Level) -> PolicyProgram {
    let path = p.paths.iter().find(|path| path.is_file());
    let unavailable = if path.is_none() {
        Some("program-missing".to_string())
    } else if p.needs_sandbox && level != sandbox::Level::Landlock {
        Some("needs-sandbox".to_string())
    } else {
        None
    };
    PolicyProgram {
        name: name.to_string(),
        path: path.map(|p| p.display().to_string()),
        unavailable,
        configured,
        grammar: PolicyGrammar {
            fixed: p.fixed.clone(),
            ..grammar(&p.grammar)
        },
        global: p.global.clone(),
        subcommands: p
            .subcommands
            .iter()
            .map(|(k, g)| (k.clone(), grammar(g)))
            .collect(),
        env: p.env.clone(),
    }
}

fn grammar(g: &Grammar) -> PolicyGrammar {
    PolicyGrammar {
        flags: g.flags.clone(),
        options: g
            .options
            .iter()
            .map(|(k, v)| (k.clone(), kind(v)))
            .collect(),
        operands: operands(g.operands).to_string(),
        max_operands: g.max_operands,
        fixed: g.fixed.clone(),
    }
}

fn kind(v: &ValueKind) -> String {
    match v {
        ValueKind::OneOf(words) => words.join("|"),
        ValueKind::Named(Named::Number) => "number".into(),
        ValueKind::Named(Named::Text) => "text".into(),
        ValueKind::Named(Named::Path) => "path".into(),
    }
}

fn operands(o: Operands) -> &'static str {
    match o {
        Operands::None => "none",
        Operands::Paths => "paths",
        Operands::Text => "text",
        Operands::PatternThenPaths => "pattern-then-paths",
        Operands::PathsFirst => "paths-first",
        Operands::RevisionsThenPaths => "revisions-then-paths",
    }
}
