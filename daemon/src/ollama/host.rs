//! `OLLAMA_HOST` parsed exactly the way Ollama's own client parses it (`envconfig.Host`).

use std::fmt;

/// Where Ollama listens: scheme, host, port and an optional base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaUrl {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// Base path without leading or trailing `/` (usually empty).
    pub path: String,
}

impl Default for OllamaUrl {
    fn default() -> Self {
        parse_ollama_host("")
    }
}

impl OllamaUrl {
    /// The URL of an API endpoint such as `/api/chat`.
    pub fn endpoint(&self, api_path: &str) -> String {
        format!("{self}{api_path}")
    }
}

impl fmt::Display for OllamaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{}://{}:{}", self.scheme, host, self.port)?;
        if !self.path.is_empty() {
            write!(f, "/{}", self.path)?;
        }
        Ok(())
    }
}

/// Parses an `OLLAMA_HOST` value: `[scheme://]host[:port][/path]`.
///
/// Mirrors Ollama: surrounding spaces and quotes are trimmed; no scheme means `http` with port
/// 11434; an explicit `http`/`https` scheme without a port means 80/443; an empty host is
/// 127.0.0.1; bare `ollama.com` means `https://ollama.com:443`; an invalid port falls back to
/// the default rather than failing.
pub fn parse_ollama_host(raw: &str) -> OllamaUrl {
    let s = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let mut default_port: u16 = 11434;
    let (scheme, hostport) = match s.split_once("://") {
        None if s == "ollama.com" => ("https".to_string(), "ollama.com:443".to_string()),
        None => ("http".to_string(), s.to_string()),
        Some((scheme, rest)) => {
            match scheme {
                "http" => default_port = 80,
                "https" => default_port = 443,
                _ => {}
            }
            (scheme.to_string(), rest.to_string())
        }
    };
    let (hostport, path) = match hostport.split_once('/') {
        Some((hp, p)) => (hp.to_string(), p.trim_end_matches('/').to_string()),
        None => (hostport, String::new()),
    };
    let (host, port) = match split_host_port(&hostport) {
        Some((host, port)) => {
            let port = port.parse::<u16>().unwrap_or(default_port);
            (host, port)
        }
        None => {
            let bare = hostport.trim_matches(|c| c == '[' || c == ']');
            let host = if bare.parse::<std::net::IpAddr>().is_ok() || !hostport.is_empty() {
                bare.to_string()
            } else {
                String::new()
            };
            (host, default_port)
        }
    };
    let host = if host.is_empty() {
        "127.0.0.1".to_string()
    } else {
        host
    };
    OllamaUrl {
        scheme,
        host,
        port,
        path,
    }
}

/// Go's `net.SplitHostPort`: `host:port` or `[v6]:port`; `None` when there is no port part.
fn split_host_port(s: &str) -> Option<(String, String)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host.to_string(), port.to_string()));
    }
    let (host, port) = s.rsplit_once(':')?;
    if host.contains(':') {
        return None; // a bare IPv6 address: too many colons
    }
    Some((host.to_string(), port.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> String {
        parse_ollama_host(s).to_string()
    }

    #[test]
    fn parses_like_ollama_does() {
        assert_eq!(url(""), "http://127.0.0.1:11434");
        assert_eq!(url("  \"0.0.0.0\"  "), "http://0.0.0.0:11434");
        assert_eq!(url("1.2.3.4"), "http://1.2.3.4:11434");
        assert_eq!(url(":56789"), "http://127.0.0.1:56789");
        assert_eq!(url("example.com:1234"), "http://example.com:1234");
        assert_eq!(url("http://1.2.3.4"), "http://1.2.3.4:80");
        assert_eq!(url("https://1.2.3.4"), "https://1.2.3.4:443");
        assert_eq!(
            url("https://gpu.lan:8443/ollama/"),
            "https://gpu.lan:8443/ollama"
        );
        assert_eq!(url("ollama.com"), "https://ollama.com:443");
        assert_eq!(url("[::1]:11435"), "http://[::1]:11435");
        assert_eq!(url("::1"), "http://[::1]:11434");
        assert_eq!(url("localhost:notaport"), "http://localhost:11434");
        assert_eq!(url("localhost:99999"), "http://localhost:11434");
    }

    #[test]
    fn endpoints_keep_the_base_path() {
        let u = parse_ollama_host("http://proxy:80/ollama");
        assert_eq!(u.endpoint("/api/chat"), "http://proxy:80/ollama/api/chat");
    }
}
