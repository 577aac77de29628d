//! `chinwag policy [-C DIR] [--json]`: the executor's policy in force, as the daemon holds
//! it (built in, with the owner's config): each program, the path that runs it or why none
//! does, and what it accepts; then the root and the sandbox a command would get.

use crate::autostart::connect;
use crate::cli::{ConnArgs, PolicyArgs};
use crate::exit::ClientError;
use chinwag_protocol::{ClientMsg, PolicyGrammar, PolicyProgram, ServerMsg};
use std::io::Write;

pub async fn show(conn_args: &ConnArgs, args: &PolicyArgs) -> Result<(), ClientError> {
    let cwd = match &args.dir {
        None => None,
        Some(d) => Some(
            d.canonicalize()
                .map_err(|e| ClientError::Usage(format!("{}: {e}", d.display())))?
                .display()
                .to_string(),
        ),
    };
    let mut conn = connect(conn_args).await?;
    let reply = conn.call(|id| ClientMsg::GetPolicy { id, cwd }).await?;
    let ServerMsg::Policy {
        root,
        sandbox,
        programs,
        ..
    } = reply
    else {
        return Err(ClientError::Connection(format!(
            "unexpected answer to get_policy: {reply:?}"
        )));
    };
    let text = if args.json {
        let value = serde_json::json!({ "root": root, "sandbox": sandbox, "programs": programs });
        format!("{value:#}\n")
    } else {
        render(root.as_deref(), &sandbox, &programs)
    };
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(())
}

/// The policy as text: one block per program, a line per subcommand.
pub fn render(root: Option<&str>, sandbox: &str, programs: &[PolicyProgram]) -> String {
    let mut out = String::new();
    let root = root.unwrap_or("none: the executor refuses everything ([exec] root)");
    out.push_str(&format!("root     {root}\nsandbox  {sandbox}\n"));
    for p in programs {
        let status = match (&p.unavailable, &p.path) {
            (Some(rule), _) if rule == "program-missing" => "not installed here".to_string(),
            (Some(rule), Some(path)) => format!("{path} (refused here: {rule})"),
            (Some(rule), None) => format!("refused here: {rule}"),
            (None, Some(path)) => path.clone(),
            (None, None) => String::new(),
        };
        let origin = if p.configured { "  [config]" } else { "" };
        out.push_str(&format!("\n{}  {status}{origin}\n", p.name));
        if p.subcommands.is_empty() {
            out.push_str(&format!("  {}\n", grammar(&p.grammar)));
        } else {
            if !p.global.is_empty() {
                out.push_str(&format!(
                    "  before the subcommand: {}\n",
                    p.global.join(" ")
                ));
            }
            for (name, g) in &p.subcommands {
                out.push_str(&format!("  {name}: {}\n", grammar(g)));
            }
        }
        if !p.grammar.fixed.is_empty() {
            out.push_str(&format!("  always given: {}\n", p.grammar.fixed.join(" ")));
        }
        if !p.env.is_empty() {
            let env: Vec<String> = p.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("  environment: {}\n", env.join(" ")));
        }
    }
    out
}

fn grammar(g: &PolicyGrammar) -> String {
    let mut parts = Vec::new();
    if !g.flags.is_empty() {
        parts.push(g.flags.join(" "));
    }
    if !g.options.is_empty() {
        let options: Vec<String> = g
            .options
            .iter()
            .map(|(k, v)| match v.as_str() {
                "number" | "text" | "path" => format!("{k} {}", v.to_uppercase()),
                words => format!("{k} {words}"),
            })
            .collect();
        parts.push(options.join(", "));
    }
    let mut operands = format!("operands: {}", g.operands);
    if let Some(max) = g.max_operands {
        operands.push_str(&format!(" (at most {max})"));
    }
    parts.push(operands);
    if !g.fixed.is_empty() {
        parts.push(format!("always given: {}", g.fixed.join(" ")));
    }
    parts.join("; ")
}
