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
  structured  -> {"name": "Ada", "age": 36} in small deltas, as guided decoding writes it, when
                 the request has a response_format; prose without one
  structured-refuses -> vLLM's 400 for a response_format it cannot serve; without one, the
                 same JSON in a Markdown fence (a model told the schema in its system message)
  structured with tools -> the way a forced tool call goes: after a tool result, or with
                 tool_choice naming a function, a call of the output tool (the named one, or
                 `final_result`, else the last tool) with {"name": "Ada", "age": 36}; otherwise a
                 call of the first other tool with {}
  small-window -> as `text`, with a 14,000-token window in the model list (Claude Code's system
                 prompt and tools take about 8,000 of them)
  summarizer  -> a <summary> when the last message asks for one (compaction), else "Report."
  websearch   -> given a `web_search` function (the proxy's server-tool emulation): calls it with
                 {"query": "swift 6.3 release"}, then answers "Search found: " and the result; given
                 Claude Code's own tools: calls its WebSearch tool, then "The tool said: " and the result
  webfetch    -> calls `web_fetch` with the first URL of the first user message, then
                 answers "Fetched: " and the result
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
                                     {"id": "deepseek-ai/DeepSeek-V3.1", "object": "model", "created": 1700000000},
                                     {"id": "small-window", "object": "model", "created": 1700000000,
                                      "context_length": 14000, "max_model_len": 14000},
                                     {"id": "websearch", "object": "model", "created": 1700000000},
                                     {"id": "webfetch", "object": "model", "created": 1700000000}]}
MINIMAX_OUTPUT = ("<think>\nThe user wants the files listed; Bash can do that.\n</think>\n\n"
                  "<minimax:tool_call>\n<invoke name=\"Bash\">\n<parameter name=\"command\">ls</parameter>\n"
                  "<parameter name=\"description\">List the files</parameter>\n</invoke>\n</minimax:tool_call>")


STRUCTURED_ANSWER = '{"name": "Ada", "age": 36}'


def tool_call(name, arguments):
    return [{"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                             "function": {"name": name, "arguments": json.dumps(arguments)}}]}], "tool_calls"


def server_tool_chunks(model, messages, tools):
    """The `websearch` and `webfetch` scenarios."""
    last = messages[-1] if messages else {}
    names = {tool.get("function", {}).get("name") for tool in tools}
    said = " ".join(str(last.get("content", "")).split())[:300]
    if model == "webfetch":
        if last.get("role") == "tool":
            return [{"content": "Fetched: " + said}], "stop"
        first = next((m for m in messages if m.get("role") == "user"), {})
        text = first.get("content") if isinstance(first.get("content"), str) else json.dumps(first.get("content"))
        url = next((word.strip('".,') for word in text.split() if "://" in word), "http://example.invalid/")
        return tool_call("web_fetch", {"url": url})
    if "web_search" in names:
        if last.get("role") == "tool":
            return [{"content": "Search found: " + said}], "stop"
        return tool_call("web_search", {"query": "swift 6.3 release"})
    if last.get("role") == "tool":
        return [{"content": "The tool said: " + said}], "stop"
    return tool_call("WebSearch", {"query": "swift 6.3 release"})


def completion_chunks(model, messages=(), tools=()):
    last = messages[-1] if messages else {}
    if model in ("websearch", "webfetch"):
        return server_tool_chunks(model, messages, tools)
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
    if model in ("structured", "structured-refuses"):
        answer = STRUCTURED_ANSWER if model == "structured" else "```json\n" + STRUCTURED_ANSWER + "\n```"
        return [{"content": answer[i:i + 5]} for i in range(0, len(answer), 5)], "stop"
    if model == "structured-prose":
        return [{"content": "Ada Lovelace, "}, {"content": "aged 36."}], "stop"
    if model == "summarizer":
        if "<summary></summary>" in json.dumps(last.get("content", "")):
            return [{"content": "<summary>The user listed files; next: report.</summary>"}], "stop"
        return [{"content": "Report."}], "stop"
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

    def send_structured_call(self, body):
        """A tool call chosen as a model fine-tuned for tools would, answered whole or streamed."""
        names = [tool["function"]["name"] for tool in body["tools"]]
        choice = body.get("tool_choice")
        messages = body.get("messages", [])
        if isinstance(choice, dict):
            name, arguments = choice["function"]["name"], STRUCTURED_ANSWER
        elif messages and messages[-1].get("role") == "tool" or len(names) == 1:
            name = "final_result" if "final_result" in names else names[-1]
            arguments = STRUCTURED_ANSWER
        else:
            name, arguments = [n for n in names if n != "final_result"][0], "{}"
        call = {"id": "call_s", "type": "function", "function": {"name": name, "arguments": arguments}}
        usage = {"prompt_tokens": 21, "completion_tokens": 5}
        if not body.get("stream"):
            self.send_json(200, {"id": "cmpl", "object": "chat.completion", "model": "structured", "usage": usage,
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                                              "finish_reason": "tool_calls"}]})
            return
        events = [{"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [dict(call, index=0)]}, "finish_reason": None}]},
                  {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}, {"choices": [], "usage": usage}]
        payload = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

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
        if model == "structured-refuses" and "response_format" in body:
            self.send_json(400, {"object": "error", "type": "BadRequestError", "code": 400,
                                 "message": "response_format json_schema is not supported for this model"})
            return
        if model.startswith("status-"):
            status = int(model.split("-")[1])
            self.send_json(status, {"error": {"message": f"scripted {status}", "type": "scripted"}})
            return
        if model == "structured" and body.get("tools"):
            self.send_structured_call(body)
            return
        if model == "structured" and "response_format" not in body:
            model = "structured-prose"   # a model without guided decoding answers in prose
        deltas, finish = completion_chunks(model, body.get("messages", []), body.get("tools") or [])
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
                name = calls[0]["function"].get("name", "Bash")
                message["tool_calls"] = [{"id": "call_1", "type": "function",
                                          "function": {"name": name, "arguments": arguments}}]
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
