//! Model names as Ollama reads them: `[host/][namespace/]model[:tag]`, with the defaults
//! `registry.ollama.ai`, `library` and `latest`, compared without regard to case. So
//! `llama3.2`, `llama3.2:latest` and `library/llama3.2` are one model. Pure string work.

const DEFAULT_HOST: &str = "registry.ollama.ai";
const DEFAULT_NAMESPACE: &str = "library";
const DEFAULT_TAG: &str = "latest";

/// The shortest name that means the same model, as Ollama lists it (`model:tag`, with the
/// host and namespace only when they are not the defaults): `llama3.2` → `llama3.2:latest`.
pub fn normalize_model(name: &str) -> String {
    let name = name.trim();
    let (path, tag) = match name.rfind(':') {
        // A ':' before the last '/' is a host's port, not a tag.
        Some(i) if !name[i..].contains('/') && i + 1 < name.len() => (&name[..i], &name[i + 1..]),
        Some(i) if !name[i..].contains('/') => (&name[..i], DEFAULT_TAG),
        _ => (name, DEFAULT_TAG),
    };
    let parts: Vec<&str> = path.split('/').collect();
    let (host, namespace, model) = match parts.as_slice() {
        [model] => (DEFAULT_HOST, DEFAULT_NAMESPACE, *model),
        [namespace, model] => (DEFAULT_HOST, *namespace, *model),
        [host, namespace, model] => (*host, *namespace, *model),
        _ => return name.to_string(), // not a name Ollama would parse; leave it for Ollama to refuse
    };
    let host_default = host.eq_ignore_ascii_case(DEFAULT_HOST);
    let ns_default = namespace.eq_ignore_ascii_case(DEFAULT_NAMESPACE);
    match (host_default, ns_default) {
        (true, true) => format!("{model}:{tag}"),
        (true, false) => format!("{namespace}/{model}:{tag}"),
        (false, _) => format!("{host}/{namespace}/{model}:{tag}"),
    }
}

/// Whether two names mean one model to Ollama.
pub fn same_model(a: &str, b: &str) -> bool {
    normalize_model(a).eq_ignore_ascii_case(&normalize_model(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_as_ollama_reads_them() {
        assert_eq!(normalize_model("llama3.2"), "llama3.2:latest");
        assert_eq!(normalize_model("llama3.2:latest"), "llama3.2:latest");
        assert_eq!(normalize_model("library/llama3.2"), "llama3.2:latest");
        assert_eq!(
            normalize_model("registry.ollama.ai/library/qwen2.5-coder:7b"),
            "qwen2.5-coder:7b"
        );
        assert_eq!(normalize_model("jmorgan/grok"), "jmorgan/grok:latest");
        assert_eq!(
            normalize_model("localhost:5000/me/model"),
            "localhost:5000/me/model:latest"
        );
        assert_eq!(normalize_model(" llama3.2: "), "llama3.2:latest");
    }

    #[test]
    fn comparison_ignores_case_and_defaults() {
        assert!(same_model("Llama3.2", "llama3.2:latest"));
        assert!(same_model("library/llama3.2:latest", "llama3.2"));
        assert!(!same_model("llama3.2:1b", "llama3.2"));
        assert!(!same_model("llama3.1", "llama3.2"));
    }
}
