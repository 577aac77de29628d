//! `chinwag login URL` and `chinwag logout URL`: check a remote daemon with a token, trust its
//! certificate the way SSH trusts a host key (a public CA, `--ca-file`, or a fingerprint shown
//! and confirmed once, then pinned), and keep URL, token and trust in `remotes.toml`.

use crate::cli::LoginArgs;
use crate::conn::{Connection, Endpoint, Remote};
use crate::exit::ClientError;
use crate::remotes::{self, RemoteEntry};
use crate::tls::Trust;
use std::io::{BufRead, Write};

fn remotes_path() -> Result<std::path::PathBuf, ClientError> {
    remotes::path()
        .ok_or_else(|| ClientError::Usage("cannot find a config directory (HOME?)".into()))
}

/// The token: `--token-file`, else piped stdin.
fn read_token(args: &LoginArgs, stdin: Option<String>) -> Result<String, ClientError> {
    let text = match &args.token_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            ClientError::Usage(format!(
                "cannot read the token file {}: {e}",
                path.display()
            ))
        })?,
        None => stdin.ok_or_else(|| {
            ClientError::Usage(
                "give the token with --token-file FILE, or on stdin (never as an argument)".into(),
            )
        })?,
    };
    let token = text.trim().to_string();
    if token.is_empty() {
        return Err(ClientError::Usage("the token is empty".into()));
    }
    Ok(token)
}

/// Asks on stderr and reads a yes from stdin.
fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer);
    read.is_ok() && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

pub async fn login(args: &LoginArgs, stdin: Option<String>) -> Result<(), ClientError> {
    let path = remotes_path()?;
    let stdin_token = if args.token_file.is_none() {
        stdin
    } else {
        None
    };
    let token = read_token(args, stdin_token)?;
    let url = args.url.clone();
    let uri: tokio_tungstenite::tungstenite::http::Uri = url
        .parse()
        .map_err(|e| ClientError::Usage(format!("bad URL {url:?}: {e}")))?;
    if uri.scheme_str() != Some("wss") {
        return Err(ClientError::Usage(format!("{url}: log in over wss://")));
    }
    let host = uri
        .host()
        .unwrap_or("")
        .trim_matches(['[', ']'])
        .to_string();
    let port = uri.port_u16().unwrap_or(443);
    let ca_file = match &args.ca_file {
        Some(p) => Some(std::fs::canonicalize(p).map_err(|e| {
            ClientError::Usage(format!("cannot find the CA file {}: {e}", p.display()))
        })?),
        None => None,
    };
    let mut trust = Trust {
        ca_file: ca_file.clone(),
        fingerprint: args.fingerprint.clone(),
        pinned_in: None,
    };
    let open = |trust: Trust| {
        let endpoint = Endpoint::Url(Remote {
            url: url.clone(),
            token: Some(token.clone()),
            trust,
        });
        async move { Connection::open(&endpoint).await }
    };
    let conn = match open(trust.clone()).await {
        Ok(c) => c,
        // Nothing vouches for the certificate: show it, and pin it if the user says so.
        Err(ClientError::Unsafe(_)) if trust.fingerprint.is_none() => {
            let shown = crate::tls::probe(&host, port).await?;
            eprintln!(
                "No trusted CA vouches for the certificate of {host}.\nIts SHA-256 fingerprint is\n  {shown}\nCompare it with what `chinwagd tls self-signed` printed on the server."
            );
            if !confirm("Trust this certificate for this URL from now on?") {
                return Err(ClientError::Unsafe(format!(
                    "not logged in: the certificate of {host} was not trusted"
                )));
            }
            trust.fingerprint = Some(shown);
            open(trust.clone()).await?
        }
        Err(e) => return Err(e),
    };
    let user = conn.hello.user.clone();
    remotes::save(
        &path,
        RemoteEntry {
            url: url.clone(),
            token,
            fingerprint: trust.fingerprint.clone(),
            ca_file,
        },
    )?;
    eprintln!(
        "logged in to {url} as {user}; `chinwag --url {url}` now needs nothing else ({})",
        path.display()
    );
    Ok(())
}

pub fn logout(url: &str) -> Result<(), ClientError> {
    let path = remotes_path()?;
    if remotes::remove(&path, url)? {
        eprintln!("logged out of {url}");
    } else {
        eprintln!("not logged in to {url}");
    }
    Ok(())
}
