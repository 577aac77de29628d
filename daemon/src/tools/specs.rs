//! How each tool is described to the model: its name, what it does, its arguments.

use crate::backend::ToolSpec;
use serde_json::json;

/// The description of a built-in tool; `None` for a name that is not one.
pub fn spec(name: &str) -> Option<ToolSpec> {
    Some(match name {
        "run_command" => ToolSpec {
            name: "run_command",
            description: "Run a command (no shell) in the project directory and get its output. \
                          Only the programs and flags of the daemon's policy are allowed; the \
                          user may be asked to approve it first.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "argv": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The program and its arguments, e.g. [\"git\", \"status\"]"
                    }
                },
                "required": ["argv"]
            }),
        },
        "read_file" => ToolSpec {
            name: "read_file",
            description: "Read a text file of the project (a path relative to the project \
                          directory). Long files come in parts: pass offset to read on.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "Relative to the project directory"},
                    "offset": {"type": "integer", "description": "Byte to start at (default 0)"}
                },
                "required": ["path"]
            }),
        },
        "list_dir" => ToolSpec {
            name: "list_dir",
            description: "List a directory of the project: names, with / after directories, \
                          and sizes of files.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "Relative to the project directory (default: the directory itself)"}
                }
            }),
        },
        "search_text" => ToolSpec {
            name: "search_text",
            description: "Find lines containing a text in the project's files (case-insensitive \
                          unless the text has capitals); answers path:line: text.",
            parameters: json!({
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The text to find (not a pattern)"},
                    "path": {"type": "string", "description": "A directory or file to search (default: everything)"}
                },
                "required": ["text"]
            }),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_protocol::TOOL_NAMES;

    #[test]
    fn every_tool_is_described_with_an_object_schema() {
        for name in TOOL_NAMES {
            let s = spec(name).unwrap();
            assert_eq!(s.name, *name);
            assert_eq!(s.parameters["type"], "object");
        }
        assert!(spec("rm").is_none());
    }
}
