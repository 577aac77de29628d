//! Every server message's JSON, pinned.

use crate::{cid, golden_server, mid};
use chinwag_protocol::*;
use serde_json::json;

fn summary() -> ConversationSummary {
    ConversationSummary {
        id: cid("c1"),
        title: "Why is the sky blue?".into(),
        model: Some("llama3.2".into()),
        bot: None,
        created_at_ms: 1_700_000_000_000,
        updated_at_ms: 1_700_000_001_000,
        message_count: 2,
    }
}

fn reply() -> StoredMessage {
    StoredMessage {
        id: mid("m2"),
        role: Role::Assistant,
        content: "Rayleigh scattering.".into(),
        thinking: String::new(),
        status: MessageStatus::Incomplete,
        model: Some("llama3.2".into()),
        created_at_ms: 1_700_000_001_000,
        error: Some("the daemon stopped before the reply ended".into()),
        error_code: None,
        truncated: false,
        tools: Vec::new(),
        attachments: Vec::new(),
    }
}

#[test]
fn server_messages_have_stable_json() {
    golden_server(
        ServerMsg::Hello {
            id: "1".into(),
            protocol: 1,
            server: "chinwagd/0.1.0".into(),
            user: "alice".into(),
            max_message_bytes: 262_144,
        },
        json!({"type":"hello","id":"1","protocol":1,"server":"chinwagd/0.1.0","user":"alice",
               "max_message_bytes":262144}),
    );
    golden_server(
        ServerMsg::ChatStarted {
            id: "2".into(),
            conversation: cid("c1"),
            user_message: mid("m1"),
            assistant_message: mid("m2"),
            model: "llama3.2".into(),
            bot: None,
            resumed: false,
        },
        json!({"type":"chat_started","id":"2","conversation":"c1","user_message":"m1",
               "assistant_message":"m2","model":"llama3.2","resumed":false}),
    );
    golden_server(
        ServerMsg::Replay {
            id: "5".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            model: "qwen3".into(),
            content: "Rayl".into(),
            thinking: "hmm".into(),
        },
        json!({"type":"replay","id":"5","conversation":"c1","message":"m2","model":"qwen3",
               "content":"Rayl","thinking":"hmm"}),
    );
    golden_server(
        ServerMsg::Delta {
            id: "2".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            content: "eigh".into(),
            thinking: String::new(),
        },
        json!({"type":"delta","id":"2","conversation":"c1","message":"m2","content":"eigh"}),
    );
    golden_server(
        ServerMsg::PullProgress {
            id: "16".into(),
            model: "qwen2.5:latest".into(),
            status: "pulling dde5aa3fc5ff".into(),
            digest: Some("sha256:dde5".into()),
            total: Some(2_019_377_376),
            completed: Some(1_000_000_000),
        },
        json!({"type":"pull_progress","id":"16","model":"qwen2.5:latest",
               "status":"pulling dde5aa3fc5ff","digest":"sha256:dde5",
               "total":2019377376u64,"completed":1000000000u64}),
    );
    golden_server(
        ServerMsg::Pulled {
            id: "16".into(),
            model: "qwen2.5:latest".into(),
        },
        json!({"type":"pulled","id":"16","model":"qwen2.5:latest"}),
    );
    golden_server(
        ServerMsg::Generations {
            id: "15".into(),
            items: vec![GenerationInfo {
                conversation: cid("c1"),
                message: mid("m2"),
                model: "llama3.2:latest".into(),
                started_at_ms: 1_700_000_001_000,
                state: "generating".into(),
                output_tokens: 120,
                tokens_per_second: Some(61.5),
            }],
        },
        json!({"type":"generations","id":"15","items":[{"conversation":"c1","message":"m2",
               "model":"llama3.2:latest","started_at_ms":1700000001000u64,"state":"generating",
               "output_tokens":120,"tokens_per_second":61.5}]}),
    );
    golden_server(
        ServerMsg::Tool {
            id: "2".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            event: ToolEvent::Call {
                call: "1".into(),
                tool: "run_command".into(),
                arguments: json!({"argv": ["ls", "-l"]}),
                runs: Some("/usr/bin/ls -l (in /home/a/proj)".into()),
                verdict: Verdict::Ask,
                rule: None,
                reason: None,
                expires_at_ms: Some(1_700_000_300_000),
            },
        },
        json!({"type":"tool","id":"2","conversation":"c1","message":"m2","event":"call",
               "call":"1","tool":"run_command","arguments":{"argv":["ls","-l"]},
               "runs":"/usr/bin/ls -l (in /home/a/proj)","verdict":"ask",
               "expires_at_ms":1700000300000u64}),
    );
    golden_server(
        ServerMsg::Tool {
            id: "2".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            event: ToolEvent::Approval {
                call: "1".into(),
                decision: Decision::Deny,
                reason: Some("not now".into()),
                by: Some("alice".into()),
            },
        },
        json!({"type":"tool","id":"2","conversation":"c1","message":"m2","event":"approval",
               "call":"1","decision":"deny","reason":"not now","by":"alice"}),
    );
    golden_server(
        ServerMsg::Tool {
            id: "2".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            event: ToolEvent::Result {
                call: "1".into(),
                output: "a.txt\n".into(),
                ok: true,
                truncated: false,
            },
        },
        json!({"type":"tool","id":"2","conversation":"c1","message":"m2","event":"result",
               "call":"1","output":"a.txt\n","ok":true}),
    );
    golden_server(
        ServerMsg::Done {
            id: "2".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            status: MessageStatus::Complete,
            done_reason: Some("stop".into()),
            stats: Some(GenStats {
                prompt_tokens: Some(26),
                completion_tokens: Some(282),
                total_duration_ns: Some(4_883_583_458),
                load_duration_ns: None,
                prompt_eval_duration_ns: Some(342_546_000),
                eval_duration_ns: Some(4_535_599_000),
                tokens_per_second: Some(62.5),
            }),
            error: None,
        },
        json!({"type":"done","id":"2","conversation":"c1","message":"m2","status":"complete",
               "done_reason":"stop",
               "stats":{"prompt_tokens":26,"completion_tokens":282,"total_duration_ns":4883583458u64,
                        "prompt_eval_duration_ns":342546000,"eval_duration_ns":4535599000u64,
                        "tokens_per_second":62.5}}),
    );
    golden_server(
        ServerMsg::Done {
            id: "2".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            status: MessageStatus::Error,
            done_reason: None,
            stats: None,
            error: Some(ErrorBody::new(
                ErrorCode::BackendError,
                "Ollama stopped mid-reply",
            )),
        },
        json!({"type":"done","id":"2","conversation":"c1","message":"m2","status":"error",
               "error":{"code":"backend_error","message":"Ollama stopped mid-reply"}}),
    );
    golden_server(
        ServerMsg::Attached {
            id: "5".into(),
            conversation: cid("c1"),
            generating: Some(mid("m2")),
        },
        json!({"type":"attached","id":"5","conversation":"c1","generating":"m2"}),
    );
    golden_server(
        ServerMsg::Conversations {
            id: "6".into(),
            items: vec![summary()],
            next_cursor: Some("1700000001000:c1".into()),
        },
        json!({"type":"conversations","id":"6","items":[
                 {"id":"c1","title":"Why is the sky blue?","model":"llama3.2",
                  "created_at_ms":1700000000000u64,"updated_at_ms":1700000001000u64,"message_count":2}],
               "next_cursor":"1700000001000:c1"}),
    );
    golden_server(
        ServerMsg::Conversation {
            id: "7".into(),
            conversation: summary(),
            system: Some("be brief".into()),
            messages: vec![
                reply(),
                StoredMessage {
                    truncated: true,
                    ..reply()
                },
            ],
            has_more: true,
            options: GenOptions {
                temperature: Some(0.5),
                ..GenOptions::default()
            },
        },
        json!({"type":"conversation","id":"7",
               "conversation":{"id":"c1","title":"Why is the sky blue?","model":"llama3.2",
                  "created_at_ms":1700000000000u64,"updated_at_ms":1700000001000u64,"message_count":2},
               "system":"be brief",
               "messages":[{"id":"m2","role":"assistant","content":"Rayleigh scattering.",
                            "status":"incomplete","model":"llama3.2","created_at_ms":1700000001000u64,
                            "error":"the daemon stopped before the reply ended"},
                           {"id":"m2","role":"assistant","content":"Rayleigh scattering.",
                            "status":"incomplete","model":"llama3.2","created_at_ms":1700000001000u64,
                            "error":"the daemon stopped before the reply ended","truncated":true}],
               "has_more":true,"options":{"temperature":0.5}}),
    );
    golden_server(
        ServerMsg::Reloaded {
            id: "17".into(),
            changed: vec!["bots".into()],
            needs_restart: vec!["socket".into()],
        },
        json!({"type":"reloaded","id":"17","changed":["bots"],"needs_restart":["socket"]}),
    );
    golden_server(
        ServerMsg::Loading {
            id: "2".into(),
            conversation: cid("c1"),
            message: mid("m2"),
            model: "llama3.2".into(),
        },
        json!({"type":"loading","id":"2","conversation":"c1","message":"m2","model":"llama3.2"}),
    );
    golden_server(
        ServerMsg::MessageText {
            id: "16".into(),
            message: mid("m2"),
            part: TextPart::Content,
            offset: 0,
            text: "Rayleigh".into(),
            total_bytes: 1_900_000,
        },
        json!({"type":"message_text","id":"16","message":"m2","part":"content","offset":0,
               "text":"Rayleigh","total_bytes":1900000}),
    );
    golden_server(
        ServerMsg::Messages {
            id: "10".into(),
            conversation: cid("c1"),
            items: vec![],
            has_more: false,
        },
        json!({"type":"messages","id":"10","conversation":"c1","items":[],"has_more":false}),
    );
    golden_server(
        ServerMsg::SearchResults {
            id: "11".into(),
            hits: vec![SearchHit {
                conversation: cid("c1"),
                title: "Sky".into(),
                message: mid("m2"),
                role: Role::Assistant,
                snippet: "[Rayleigh] scattering".into(),
                created_at_ms: 5,
            }],
        },
        json!({"type":"search_results","id":"11","hits":[{"conversation":"c1","title":"Sky",
               "message":"m2","role":"assistant","snippet":"[Rayleigh] scattering","created_at_ms":5}]}),
    );
    golden_server(
        ServerMsg::Models {
            id: "12".into(),
            models: vec![ModelInfo {
                name: "llama3.2:latest".into(),
                size_bytes: 2_019_393_189,
                modified_at: Some("2025-05-04T17:37:44.706015396-07:00".into()),
                family: Some("llama".into()),
                parameter_size: Some("3.2B".into()),
                quantization: Some("Q4_K_M".into()),
                capabilities: vec!["completion".into(), "tools".into()],
                loaded: None,
                context_length: None,
            }],
            default_model: Some("llama3.2:latest".into()),
            backends: Vec::new(),
        },
        json!({"type":"models","id":"12","models":[{"name":"llama3.2:latest","size_bytes":2019393189u64,
               "modified_at":"2025-05-04T17:37:44.706015396-07:00","family":"llama",
               "parameter_size":"3.2B","quantization":"Q4_K_M","capabilities":["completion","tools"]}],
               "default_model":"llama3.2:latest"}),
    );
    golden_server(
        ServerMsg::Models {
            id: "12".into(),
            models: vec![ModelInfo {
                name: "lan:qwen2.5".into(),
                ..ModelInfo::default()
            }],
            default_model: None,
            backends: vec![BackendStatus {
                name: "gone".into(),
                kind: "openai".into(),
                url: "http://10.0.0.3:8080/v1".into(),
                reachable: false,
                error: Some("cannot reach the backend gone".into()),
            }],
        },
        json!({"type":"models","id":"12","models":[{"name":"lan:qwen2.5","size_bytes":0}],
               "backends":[{"name":"gone","kind":"openai","url":"http://10.0.0.3:8080/v1",
                            "reachable":false,"error":"cannot reach the backend gone"}]}),
    );
    golden_server(
        ServerMsg::Bots {
            id: "13".into(),
            bots: vec![BotInfo {
                name: "coder".into(),
                model: Some("qwen2.5-coder".into()),
                system: Some("You review code.".into()),
                description: None,
            }],
            default_bot: None,
        },
        json!({"type":"bots","id":"13","bots":[{"name":"coder","model":"qwen2.5-coder",
               "system":"You review code."}]}),
    );
    golden_server(
        ServerMsg::Status(StatusReply {
            id: "14".into(),
            version: "0.1.0".into(),
            protocol: 1,
            pid: 4242,
            uptime_ms: 1000,
            listening: vec!["/run/user/1000/chinwag/chinwagd.sock".into()],
            store_path: "/home/a/.local/share/chinwag/history.db".into(),
            user: "alice".into(),
            ollama: OllamaStatus {
                url: "http://127.0.0.1:11434".into(),
                reachable: false,
                version: None,
                error: Some("connection refused".into()),
            },
            default_model: None,
            active_generations: 0,
            connections: 1,
            limits: None,
            backends: vec![BackendStatus {
                name: "lan".into(),
                kind: "openai".into(),
                url: "http://10.0.0.2:8080/v1".into(),
                reachable: true,
                error: None,
            }],
        }),
        json!({"type":"status","id":"14","version":"0.1.0","protocol":1,"pid":4242,"uptime_ms":1000,
               "listening":["/run/user/1000/chinwag/chinwagd.sock"],
               "store_path":"/home/a/.local/share/chinwag/history.db","user":"alice",
               "ollama":{"url":"http://127.0.0.1:11434","reachable":false,"error":"connection refused"},
               "active_generations":0,"connections":1,
               "backends":[{"name":"lan","kind":"openai","url":"http://10.0.0.2:8080/v1","reachable":true}]}),
    );
    golden_server(
        ServerMsg::Ok { id: "8".into() },
        json!({"type":"ok","id":"8"}),
    );
    golden_server(
        ServerMsg::error(
            "2",
            ErrorBody {
                code: ErrorCode::RateLimited,
                message: "slow down".into(),
                retry_after_ms: Some(6000),
            },
        ),
        json!({"type":"error","id":"2","code":"rate_limited","message":"slow down",
               "retry_after_ms":6000}),
    );
    golden_server(
        ServerMsg::Pong { id: "15".into() },
        json!({"type":"pong","id":"15"}),
    );
    golden_server(
        ServerMsg::ExecStarted {
            id: "19".into(),
            program: "/usr/bin/git".into(),
            args: vec!["status".into(), "--".into()],
            cwd: "/home/a/proj".into(),
        },
        json!({"type":"exec_started","id":"19","program":"/usr/bin/git",
               "args":["status","--"],"cwd":"/home/a/proj"}),
    );
    golden_server(
        ServerMsg::ExecOutput {
            id: "19".into(),
            stream: "stdout".into(),
            text: "On branch main\n".into(),
            lossy: false,
        },
        json!({"type":"exec_output","id":"19","stream":"stdout","text":"On branch main\n"}),
    );
    golden_server(
        ServerMsg::ExecExit {
            id: "19".into(),
            code: Some(0),
            signal: None,
            timed_out: false,
            cancelled: false,
            truncated: false,
            bytes: 15,
            duration_ms: 4,
            sandbox: "process-group".into(),
        },
        json!({"type":"exec_exit","id":"19","code":0,"timed_out":false,"truncated":false,
               "bytes":15,"duration_ms":4,"sandbox":"process-group"}),
    );
    golden_server(
        ServerMsg::ExecAllowed {
            id: "20".into(),
            program: "/usr/bin/ls".into(),
            args: vec!["-l".into(), "--".into()],
            cwd: "/home/a/proj".into(),
        },
        json!({"type":"exec_allowed","id":"20","program":"/usr/bin/ls","args":["-l","--"],
               "cwd":"/home/a/proj"}),
    );
    golden_server(
        ServerMsg::AuditRecords {
            id: "21".into(),
            items: vec![ExecRecord {
                at_ms: 1_700_000_000_500,
                user: "ops".into(),
                token: Some("cw_3f9a2c1b04de".into()),
                argv: vec!["sh".into(), "-c".into(), "id".into()],
                cwd: None,
                check: false,
                decision: "refused".into(),
                rule: Some("not-in-policy".into()),
                code: None,
                signal: None,
                timed_out: false,
                truncated: false,
                bytes: 0,
                duration_ms: 0,
                sandbox: None,
            }],
        },
        json!({"type":"audit_records","id":"21","items":[{"at_ms":1_700_000_000_500_i64,
               "user":"ops","token":"cw_3f9a2c1b04de","argv":["sh","-c","id"],
               "decision":"refused","rule":"not-in-policy","bytes":0,"duration_ms":0}]}),
    );
    golden_server(
        ServerMsg::CommandRejected {
            id: "20".into(),
            rule: "unknown-flag".into(),
            message: "find: -delete is not allowed".into(),
        },
        json!({"type":"command_rejected","id":"20","rule":"unknown-flag",
               "message":"find: -delete is not allowed"}),
    );
}
