#!/usr/bin/env python3
"""A minimal Ollama stand-in for measuring the TUI while it streams: /api/chat answers
with TOKENS lines at RATE per second (NDJSON, chunked), /api/tags lists one model.
Not a test fixture (that is tests/src/fake_ollama.rs); only for BENCHMARKS.md.

usage: stream_ollama.py PORT [RATE=1000] [TOKENS=20000]
"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
RATE = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
TOKENS = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
WORDS = ["the ", "quick ", "**brown** ", "fox ", "`jumps` ", "over\n\n", "```rust\nfn x() {}\n```\n\n"]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/api/tags":
            self.send_json({"models": [{"name": "bench", "model": "bench", "size": 1,
                                        "modified_at": "2025-01-01T00:00:00Z", "details": {}}]})
        elif self.path == "/api/version":
            self.send_json({"version": "0.12.6"})
        else:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        start = time.monotonic()
        for i in range(TOKENS + 1):
            done = i == TOKENS
            line = {"model": "bench", "created_at": "2025-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": "" if done else WORDS[i % len(WORDS)]},
                    "done": done}
            if done:
                line.update({"done_reason": "stop", "eval_count": TOKENS, "eval_duration": int(TOKENS / RATE * 1e9)})
            data = (json.dumps(line) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            lag = start + (i + 1) / RATE - time.monotonic()
            if lag > 0:
                time.sleep(lag)
        self.wfile.write(b"0\r\n\r\n")


ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
