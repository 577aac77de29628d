# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_chinwag_global_optspecs
    string join \n socket= url= no-autostart token-file= ca-file= fingerprint= m/model= b/bot= c/continue C/conversation= new s/system= f/file= i/image= temperature= top-p= seed= max-tokens= num-ctx= stop= keep-alive= think= tools= yes json no-stream raw x/extract= show-thinking no-save detach h/help V/version
end

function __fish_chinwag_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_chinwag_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_chinwag_using_subcommand
    set -l cmd (__fish_chinwag_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c chinwag -n "__fish_chinwag_needs_command" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_needs_command" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_needs_command" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_needs_command" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -s m -l model -d 'The model (in the chat screen, switch later with /model)' -r -f -a '(chinwag __complete models 2>/dev/null)'
complete -c chinwag -n "__fish_chinwag_needs_command" -s b -l bot -d 'A bot from the daemon\'s config: model, system prompt, options, tools (in the chat screen, switch later with /bot)' -r -f -a '(chinwag __complete bots 2>/dev/null)'
complete -c chinwag -n "__fish_chinwag_needs_command" -s C -l conversation -d 'Go on with this conversation (an id or a unique prefix of one)' -r -f -a '(chinwag __complete conversations 2>/dev/null)'
complete -c chinwag -n "__fish_chinwag_needs_command" -s s -l system -d 'System prompt (kept for the conversation)' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -s f -l file -d 'Send a text file with the message (repeatable); a directory sends its text files' -r -F
complete -c chinwag -n "__fish_chinwag_needs_command" -s i -l image -d 'Send an image for a vision model (PNG, JPEG or WebP; repeatable)' -r -F
complete -c chinwag -n "__fish_chinwag_needs_command" -l temperature -d 'Sampling temperature' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l top-p -d 'Nucleus sampling threshold' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l seed -d 'Random seed, for repeatable replies' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l max-tokens -d 'Most tokens to generate (Ollama\'s num_predict; -1 = no limit)' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l num-ctx -d 'Context window in tokens (Ollama\'s num_ctx)' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l stop -d 'Stop generating at this text (repeatable)' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l keep-alive -d 'How long Ollama keeps the model loaded (5m, 1h, 0, or seconds)' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l think -d 'Whether a thinking model thinks first: on, off, or low, medium, high, max' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -l tools -d 'Offer the model tools: every one, or those named (run_command, read_file, list_dir, search_text). Each call is asked on the terminal; without one, a call that needs an answer stops the reply (exit 8)' -r
complete -c chinwag -n "__fish_chinwag_needs_command" -s x -l extract -d 'Print only the code of the reply\'s fenced blocks: the first (-x), or all (-x all); exit 1 when it has none' -r -f -a "first\t''
all\t''"
complete -c chinwag -n "__fish_chinwag_needs_command" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_needs_command" -s c -l continue -d 'Go on with the most recent conversation'
complete -c chinwag -n "__fish_chinwag_needs_command" -l new -d 'Start a new conversation (the default)'
complete -c chinwag -n "__fish_chinwag_needs_command" -l yes -d 'Allow the read-only tools (read_file, list_dir, search_text) without asking; never run_command'
complete -c chinwag -n "__fish_chinwag_needs_command" -l json -d 'Print one JSON event per line instead of the reply text'
complete -c chinwag -n "__fish_chinwag_needs_command" -l no-stream -d 'Print the reply only when it is complete'
complete -c chinwag -n "__fish_chinwag_needs_command" -l raw -d 'Print the reply as the model wrote it, even on a terminal (where it is otherwise laid out as Markdown: headings, code, tables; no colour with NO_COLOR)'
complete -c chinwag -n "__fish_chinwag_needs_command" -l show-thinking -d 'Print a thinking model\'s reasoning to stderr'
complete -c chinwag -n "__fish_chinwag_needs_command" -l no-save -d 'Keep nothing: a new conversation the daemon forgets once the reply ends'
complete -c chinwag -n "__fish_chinwag_needs_command" -l detach -d 'Start the reply and print its conversation\'s id at once; the daemon goes on generating (follow it with `chinwag attach ID`)'
complete -c chinwag -n "__fish_chinwag_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chinwag -n "__fish_chinwag_needs_command" -s V -l version -d 'Print version'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "ask" -d 'Ask one question and print the reply (stdin, if piped, comes before the words)'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "history" -d 'Browse, search, export and delete stored conversations'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "models" -d 'List the models Ollama has'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "bots" -d 'List the bots in the daemon\'s config'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "config" -d 'Where the client\'s and the daemon\'s configs live and what is in force; --default prints both files\' every key, commented, with its default'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "__complete" -d 'The daemon\'s names for shell completion, one per line (never starts a daemon)'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "pull" -d 'Download a model into Ollama, with its progress (over TCP, the token needs admin)'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "ps" -d 'Your replies being generated now: conversation, model, state, tokens and pace'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "attach" -d 'Follow a reply being generated, from any terminal: what came so far, then the rest as it comes (Ctrl-C leaves it running)'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "status" -d 'Show the daemon\'s state: where it listens, uptime, Ollama, store, and your limits with what is left of them'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "daemon" -d 'Run the daemon in the foreground (the same as `chinwagd`), or stop, restart or reload the one running'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "login" -d 'Check a remote daemon with a token and remember it (URL, token, trusted certificate)'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "logout" -d 'Forget a remote daemon'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "run" -d 'Run a command through the daemon\'s executor: an argv (never a shell string), checked against its policy, with paths confined to the directory it runs in. Output comes as it is written; the exit status is the command\'s (7 when the policy refuses it). Ctrl-C stops it on the daemon'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "completions" -d 'Print a completion script for a shell: chinwag completions bash > /etc/bash_completion.d/chinwag'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "audit" -d 'The executor\'s audit log, newest first: every command asked for, allowed or refused, and how it ended (yours; the daemon\'s owner and admin tokens see everyone\'s)'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "policy" -d 'The executor\'s policy in force: each program, the path that runs, what it accepts, and the root and sandbox a command would get'
complete -c chinwag -n "__fish_chinwag_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s m -l model -d 'The model (in the chat screen, switch later with /model)' -r -f -a '(chinwag __complete models 2>/dev/null)'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s b -l bot -d 'A bot from the daemon\'s config: model, system prompt, options, tools (in the chat screen, switch later with /bot)' -r -f -a '(chinwag __complete bots 2>/dev/null)'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s C -l conversation -d 'Go on with this conversation (an id or a unique prefix of one)' -r -f -a '(chinwag __complete conversations 2>/dev/null)'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s s -l system -d 'System prompt (kept for the conversation)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s f -l file -d 'Send a text file with the message (repeatable); a directory sends its text files' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s i -l image -d 'Send an image for a vision model (PNG, JPEG or WebP; repeatable)' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l temperature -d 'Sampling temperature' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l top-p -d 'Nucleus sampling threshold' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l seed -d 'Random seed, for repeatable replies' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l max-tokens -d 'Most tokens to generate (Ollama\'s num_predict; -1 = no limit)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l num-ctx -d 'Context window in tokens (Ollama\'s num_ctx)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l stop -d 'Stop generating at this text (repeatable)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l keep-alive -d 'How long Ollama keeps the model loaded (5m, 1h, 0, or seconds)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l think -d 'Whether a thinking model thinks first: on, off, or low, medium, high, max' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l tools -d 'Offer the model tools: every one, or those named (run_command, read_file, list_dir, search_text). Each call is asked on the terminal; without one, a call that needs an answer stops the reply (exit 8)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s x -l extract -d 'Print only the code of the reply\'s fenced blocks: the first (-x), or all (-x all); exit 1 when it has none' -r -f -a "first\t''
all\t''"
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s c -l continue -d 'Go on with the most recent conversation'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l new -d 'Start a new conversation (the default)'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l yes -d 'Allow the read-only tools (read_file, list_dir, search_text) without asking; never run_command'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l json -d 'Print one JSON event per line instead of the reply text'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l no-stream -d 'Print the reply only when it is complete'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l raw -d 'Print the reply as the model wrote it, even on a terminal (where it is otherwise laid out as Markdown: headings, code, tables; no colour with NO_COLOR)'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l show-thinking -d 'Print a thinking model\'s reasoning to stderr'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l no-save -d 'Keep nothing: a new conversation the daemon forgets once the reply ends'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -l detach -d 'Start the reply and print its conversation\'s id at once; the daemon goes on generating (follow it with `chinwag attach ID`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand ask" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -f -a "list" -d 'List conversations, most recent first'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -f -a "show" -d 'Print a conversation'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -f -a "search" -d 'Full-text search over all your messages'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -f -a "export" -d 'Write a conversation as Markdown or JSON'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -f -a "rename" -d 'Rename a conversation'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -f -a "rm" -d 'Delete a conversation and all its messages'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and not __fish_seen_subcommand_from list show search export rename rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -s n -l limit -d 'How many to list' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of Markdown'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -s n -l limit -d 'How many hits to show' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from search" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -l format -d 'md or json; with -o, the file\'s extension (.json, .md) decides when not given' -r -f -a "md\t''
json\t''"
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -s o -l output -d 'Write to this file instead of stdout' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rename" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rename" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rename" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rename" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rename" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rename" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rm" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rm" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rm" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rm" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rm" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rm" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "list" -d 'List conversations, most recent first'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print a conversation'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "search" -d 'Full-text search over all your messages'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write a conversation as Markdown or JSON'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "rename" -d 'Rename a conversation'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Delete a conversation and all its messages'
complete -c chinwag -n "__fish_chinwag_using_subcommand history; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand models" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand bots" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand config" -l default -d 'Print the commented defaults of chinwag.toml and chinwagd.toml'
complete -c chinwag -n "__fish_chinwag_using_subcommand config" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand __complete" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand __complete" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand __complete" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand __complete" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand __complete" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand __complete" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand __complete" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand pull" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand pull" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand pull" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand pull" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand pull" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand pull" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand pull" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand ps" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l json -d 'Print one JSON event per line instead of the reply text'
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -l yes -d 'Answer its tool calls\' read-only ones without asking (as `ask --yes`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand attach" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand status" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/chinwag/chinwagd.toml]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l socket -d 'Unix socket to listen on [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l listen -d 'Also listen for WebSocket clients on this loopback TCP address (e.g. 127.0.0.1:7878)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l database -d 'History database [default: $XDG_DATA_HOME/chinwag/history.db]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l ollama-host -d 'Ollama\'s address, read like OLLAMA_HOST [default: $OLLAMA_HOST or 127.0.0.1:11434]' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l default-model -d 'Model for chats that name none' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l log-format -d 'How log lines are written: auto is human on a terminal, JSON otherwise (log files are JSON unless human is chosen)' -r -f -a "auto\t'Human on a terminal, JSON otherwise'
human\t''
json\t''"
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l log-stderr -d 'Also log to stderr (logs always go to the state dir)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -l log-content -d 'Log message contents too: for debugging only (the daemon warns at start while it is on)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "stop" -d 'Stop the running daemon (replies in progress finish within its grace, or are stored cut)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "restart" -d 'Stop the running daemon and start a new one (every config change takes effect)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "reload" -d 'Re-read chinwagd.toml: bots, default model and bot, timeouts and limits change without dropping connections (a config that does not load is refused, the old one stays)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "user" -d 'Users, who own conversations and hold tokens (the same as `chinwagd user`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "token" -d 'Bearer tokens for TCP clients (the same as `chinwagd token`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "tls" -d 'Certificates for the TCP listener (the same as `chinwagd tls`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "config" -d 'The daemon\'s config file (the same as `chinwagd config`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and not __fish_seen_subcommand_from stop restart reload user token tls config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from restart" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from reload" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from user" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from user" -f -a "add" -d 'Add a user who can be given tokens'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from user" -f -a "list" -d 'List users and how many live tokens each has'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from user" -f -a "rm" -d 'Remove a user: their tokens, live connections and conversations go too'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from user" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from token" -f -a "create" -d 'Make a token for a user and print it once (only its hash is kept)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from token" -f -a "list" -d 'List tokens: id, user, scopes, created, last used, expiry (never the secret)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from token" -f -a "revoke" -d 'Revoke a token by its id (cw_…, or a unique prefix); its connections close within 2 s'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from token" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from tls" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from tls" -f -a "self-signed" -d 'Make a self-signed certificate and key for the TCP listener; prints the fingerprint clients pin and the lines to add to chinwagd.toml'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from tls" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from config" -f -a "check" -d 'Check a config without starting: the file as the daemon reads it, its certificate files and the listener rule. Exit 0 when good; else 1 and the key and line at fault'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from config" -f -a "default" -d 'Print every key, commented out, with its default and what it does (a starting chinwagd.toml; chinwagd.toml(5) comes from the same text)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from config" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop the running daemon (replies in progress finish within its grace, or are stored cut)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "restart" -d 'Stop the running daemon and start a new one (every config change takes effect)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "reload" -d 'Re-read chinwagd.toml: bots, default model and bot, timeouts and limits change without dropping connections (a config that does not load is refused, the old one stays)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "user" -d 'Users, who own conversations and hold tokens (the same as `chinwagd user`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "token" -d 'Bearer tokens for TCP clients (the same as `chinwagd token`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "tls" -d 'Certificates for the TCP listener (the same as `chinwagd tls`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "config" -d 'The daemon\'s config file (the same as `chinwagd config`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand login" -l token-file -d 'A file holding the token (else it is read from stdin; never give it as an argument)' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand login" -l ca-file -d 'Trust the CA certificates in this PEM file' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand login" -l fingerprint -d 'Trust exactly the certificate with this SHA-256 fingerprint (no question asked)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand login" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand logout" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -s C -d 'Run in this directory (it must lie inside the executor\'s root) [default: here on a local daemon; a remote one uses its root]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -l check -d 'Say what the policy decides, and why, without running anything'
complete -c chinwag -n "__fish_chinwag_using_subcommand run" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand completions" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l since -d 'Only records this recent: 30m, 2h, 7d' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l limit -d 'At most this many records' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand audit" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -l socket -d 'The local daemon\'s socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -l url -d 'A daemon\'s WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -l token-file -d 'A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds the token itself]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -l ca-file -d 'Trust the CA certificates in this PEM file for a wss:// daemon' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -l fingerprint -d 'Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other), for a self-signed certificate' -r
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -s C -d 'Show the root a command run in this directory would get [default: the executor\'s root]' -r -F
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -l no-autostart -d 'Never start a local daemon; fail if none runs'
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -l json -d 'Print JSON instead of text'
complete -c chinwag -n "__fish_chinwag_using_subcommand policy" -s h -l help -d 'Print help'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "ask" -d 'Ask one question and print the reply (stdin, if piped, comes before the words)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "history" -d 'Browse, search, export and delete stored conversations'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "models" -d 'List the models Ollama has'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "bots" -d 'List the bots in the daemon\'s config'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "config" -d 'Where the client\'s and the daemon\'s configs live and what is in force; --default prints both files\' every key, commented, with its default'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "__complete" -d 'The daemon\'s names for shell completion, one per line (never starts a daemon)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "pull" -d 'Download a model into Ollama, with its progress (over TCP, the token needs admin)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "ps" -d 'Your replies being generated now: conversation, model, state, tokens and pace'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "attach" -d 'Follow a reply being generated, from any terminal: what came so far, then the rest as it comes (Ctrl-C leaves it running)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "status" -d 'Show the daemon\'s state: where it listens, uptime, Ollama, store, and your limits with what is left of them'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "daemon" -d 'Run the daemon in the foreground (the same as `chinwagd`), or stop, restart or reload the one running'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "login" -d 'Check a remote daemon with a token and remember it (URL, token, trusted certificate)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "logout" -d 'Forget a remote daemon'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "run" -d 'Run a command through the daemon\'s executor: an argv (never a shell string), checked against its policy, with paths confined to the directory it runs in. Output comes as it is written; the exit status is the command\'s (7 when the policy refuses it). Ctrl-C stops it on the daemon'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "completions" -d 'Print a completion script for a shell: chinwag completions bash > /etc/bash_completion.d/chinwag'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "audit" -d 'The executor\'s audit log, newest first: every command asked for, allowed or refused, and how it ended (yours; the daemon\'s owner and admin tokens see everyone\'s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "policy" -d 'The executor\'s policy in force: each program, the path that runs, what it accepts, and the root and sandbox a command would get'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and not __fish_seen_subcommand_from ask history models bots config __complete pull ps attach status daemon login logout run completions audit policy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "list" -d 'List conversations, most recent first'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "show" -d 'Print a conversation'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "search" -d 'Full-text search over all your messages'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "export" -d 'Write a conversation as Markdown or JSON'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "rename" -d 'Rename a conversation'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from history" -f -a "rm" -d 'Delete a conversation and all its messages'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "stop" -d 'Stop the running daemon (replies in progress finish within its grace, or are stored cut)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "restart" -d 'Stop the running daemon and start a new one (every config change takes effect)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "reload" -d 'Re-read chinwagd.toml: bots, default model and bot, timeouts and limits change without dropping connections (a config that does not load is refused, the old one stays)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "user" -d 'Users, who own conversations and hold tokens (the same as `chinwagd user`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "token" -d 'Bearer tokens for TCP clients (the same as `chinwagd token`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "tls" -d 'Certificates for the TCP listener (the same as `chinwagd tls`)'
complete -c chinwag -n "__fish_chinwag_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "config" -d 'The daemon\'s config file (the same as `chinwagd config`)'
