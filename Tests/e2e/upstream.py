"""A scripted OpenAI-compatible upstream for end-to-end tests.

The model name picks the scenario, so one server serves every test:
  text        -> "Hello from the upstream" (streamed when asked)
  tools       -> a Bash tool call with {"command": "ls"}; once its result comes back,
                 text quoting the result
  thinking    -> reasoning_content, then text
  MiniMax-M2  -> as MiniMax-M2 writes when the server parses nothing: inline <think> reasoning,
                 then a Bash call {"command": "ls"} as <minimax:tool_call> text, in small deltas;
                 once its result comes back, text quoting the result
  status-NNN  -> an OpenAI-style error with that HTTP status
  deltas-N    -> N one-word content deltas (streamed when asked), for load and soak runs
  slow-N-MS   -> N text deltas "d0 ".."dN-1 ", MS milliseconds apart (streamed or not): long
                 requests for drain and rolling-restart tests
  full        -> Chutes' 429 {"detail": "Infrastructure is at maximum capacity, ..."}
  fails-mid-stream -> a few deltas, then Chutes' bare JSON error line and the end of the body
Every request is recorded in `requests` for the tests to inspect, unless RECORD is False
(the soak script, whose millions of requests would otherwise pile up here).
"""
import http.server
import json
import threading
import time

requests = []
RECORD = True
MODELS = {"object": "list", "data": [{"id": "text", "object": "model", "created": 1700000000},
                                     {"id": "tools", "object": "model", "created": 1700000000},
                                     {"id": "MiniMax-M2", "object": "model", "created": 1700000000},
                                     {"id": "zai-org/GLM-4.6", "object": "model", "created": 1700000000},
                                     {"id": "deepseek-ai/DeepSeek-V3.1", "object": "model", "created": 1700000000}]}
MINIMAX_OUTPUT = ("<think>\nThe user wants the files listed; Bash can do that.\n</think>\n\n"
                  "<minimax:tool_call>\n<invoke name=\"Bash\">\n<parameter name=\"command\">ls</parameter>\n"
                  "<parameter name=\"description\">List the files</parameter>\n</invoke>\n</minimax:tool_call>")


def completion_chunks(model, messages=()):
    last = messages[-1] if messages else {}
    if model in ("tools", "MiniMax-M2") and last.get("role") == "tool":
        output = str(last.get("content", ""))
        return [{"content": "The tool said: " + " ".join(output.split())[:60]}], "stop"
    if model == "tools":
        first = {"index": 0, "id": "call_1", "type": "function",
                 "function": {"name": "Bash", "arguments": "{\"command\": "}}
        second = {"index": 0, "function": {"arguments": "\"ls\"}"}}
        return [{"tool_calls": [first]}, {"tool_calls": [second]}], "tool_calls"
    if model.startswith("slow-"):
        count = int(model.split("-")[1])
        return [{"content": f"d{i} "} for i in range(count)], "stop"
    if model == "MiniMax-M2":
        return [{"content": MINIMAX_OUTPUT[i:i + 7]} for i in range(0, len(MINIMAX_OUTPUT), 7)], "stop"
    if model == "thinking":
        return [{"reasoning_content": "Let me think."}, {"content": "Thought through."}], "stop"
    if model.startswith("deltas-"):
        return [{"content": "word "}] * int(model.split("-")[1]), "stop"
    return [{"content": "Hello "}, {"content": "from the upstream"}], "stop"



class Headers(dict):
    """Recorded header fields, looked up by name whatever its case: HTTP/2 sends names in
    lower case (E2E_UPSTREAM=h2 puts nginx in front), HTTP/1.1 clients as they wrote them."""

    def __init__(self, fields):
        super().__init__((name.lower(), value) for name, value in fields.items())

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def get(self, name, default=None):
        return super().get(name.lower(), default)

    def __contains__(self, name):
        return super().__contains__(name.lower())

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if RECORD:
            requests.append({"path": self.path, "headers": Headers(self.headers), "body": None})
        self.send_json(200, MODELS)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if RECORD:
            requests.append({"path": self.path, "headers": Headers(self.headers), "body": body})
        model = body.get("model", "")
        if model == "full":
            self.send_json(429, {"detail": "Infrastructure is at maximum capacity, try again later"})
            return
        if model == "fails-mid-stream" and not body.get("stream"):
            # The same crash when not streaming (Claude Code retries that way).
            self.send_json(200, {"error": "Unhandled exception during response stream: CUDA error"})
            return
        if model == "fails-mid-stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "The first half of an answer"}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b'{"error": "Unhandled exception during response stream: CUDA error: an illegal memory access was encountered"}\n')
            self.wfile.flush()
            self.close_connection = True
            return
        if model.startswith("status-"):
            status = int(model.split("-")[1])
            self.send_json(status, {"error": {"message": f"scripted {status}", "type": "scripted"}})
            return
        deltas, finish = completion_chunks(model, body.get("messages", []))
        pause = int(model.split("-")[2]) / 1000 if model.startswith("slow-") else 0
        usage = {"prompt_tokens": 21, "completion_tokens": 5}
        if not body.get("stream"):
            time.sleep(pause * len(deltas))
            message = {"role": "assistant", "content": "".join(d.get("content", "") for d in deltas) or None}
            reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
            if reasoning:
                message["reasoning_content"] = reasoning
            calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
            if calls:
                arguments = "".join(c["function"].get("arguments", "") for c in calls)
                message["tool_calls"] = [{"id": "call_1", "type": "function",
                                          "function": {"name": "Bash", "arguments": arguments}}]
            self.send_json(200, {"id": "cmpl", "object": "chat.completion", "model": model,
                                 "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(data):
            payload = f"data: {data}\n\n".encode()
            self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            self.wfile.flush()

        send(json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}))
        for delta in deltas:
            time.sleep(pause)
            send(json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
        send(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}))
        send(json.dumps({"choices": [], "usage": usage}))
        send("[DONE]")
        self.wfile.write(b"0\r\n\r\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024   # the rolling-restart test connects in bursts


def start(port=0):
    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
