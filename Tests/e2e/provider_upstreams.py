"""Scripted upstreams that answer as OpenRouter, DeepSeek's API, Ollama and vLLM do, for the
end-to-end tests of several providers (issue 25).

Start one, point a provider's `base_url` at it, and read what it received:

    import provider_upstreams
    server = provider_upstreams.start("openrouter", key="sk-or-test")   # a free port on 127.0.0.1
    base_url = server.base_url        # e.g. http://127.0.0.1:41234/api (OpenRouter's /api prefix)
    ...
    server.received                   # every request, oldest first: {"method", "path", "headers", "body"}
    server.received[-1]["headers"]["authorization"]      # names in any case
    server.shutdown()

`start(name, key=None, port=0)`: `name` is one of "openrouter", "deepseek", "ollama", "vllm";
`key` is the API key the server demands (None: it demands none, as Ollama and a vLLM started
without --api-key). The proxy appends `/v1/chat/completions` (and `/v1/models`) to a
provider's base URL; each server answers there, under its own prefix (OpenRouter's `/api`).

What each one expects of a request, and answers with its own error body when it is not met.
A length member the provider does not read (`max_tokens` or `max_completion_tokens`) is refused
with a 400 in its error shape: the real servers ignore it and the limit silently does not
apply, so the double makes that mistake loud.

  openrouter  `Authorization: Bearer <key>` (401 {"error": {"code": 401, "message": ...}});
              `max_tokens` or `max_completion_tokens`. Streams begin with an SSE comment (`: OPENROUTER PROCESSING`) and
              carry the reasoning twice, as `reasoning` and as `reasoning_details`
              ([{"type": "reasoning.text", "text": ...}], plus a `reasoning.encrypted` entry
              in the last reasoning delta); usage comes always, with `cost`.
              (openrouter.ai/docs: API reference "Streaming", "Reasoning Tokens", "Errors")
  deepseek    `Authorization: Bearer <key>` (401 authentication_error); `max_tokens`; errors {"error": {"message", "type", "param",
              "code"}}. `deepseek-reasoner` thinks in `reasoning_content`, and refuses (400) a
              history whose assistant tool-call turn lacks its `reasoning_content`, as the
              thinking mode does. Streams send `: keep-alive` comments; usage only when
              `stream_options.include_usage`, with `prompt_cache_hit_tokens`.
              (api-docs.deepseek.com: "Create Chat Completion", "Error Codes", "Thinking Mode")
  ollama      no key (an Authorization header is ignored); `max_tokens`; a model it does not have is a 404
              {"error": {"message": "model \"x\" not found, try pulling it first", "type":
              "api_error", ...}}; reasoning in `reasoning`; each tool call whole in one chunk
              with an id `call_` + 8 characters; usage only with `stream_options`.
              (ollama docs/openai.md; the chunk shape of its /v1/chat/completions)
  vllm        `Authorization: Bearer <key>` when given one (401 {"error": "Unauthorized"});
              `max_tokens` or `max_completion_tokens`; reasoning in `reasoning`; errors
              {"error": {"message", "type": "BadRequestError", "param", "code": 400}}; a prompt
              over the window gets vLLM's "maximum context length" 400.
              (vllm docs "OpenAI-Compatible Server", "Reasoning Outputs")

The model name picks the scenario, on every server:
  text            -> reasoning (in the server's field or fields), then "Hello from <name>"
  tools           -> a call of the first declared tool (or `Bash`) with {"command": "ls"},
                     its arguments in small deltas (Ollama: whole, in one chunk); once a tool
                     result comes back, "The tool said: " and the result
  tools-snapshots -> the same call with its arguments streamed as cumulative snapshots (each
                     fragment all of the text so far), as some OpenAI-compatible servers do
  tools-noindex   -> two calls, each whole in its own chunk without `index` (Ollama before 0.5)
  status-NNN      -> the server's own error body with that status
  echoes-keys     -> a 400 in the server's error shape quoting the Authorization header and
                     the last message it was sent (a key leaking through an error)
  too-long        -> (vllm) the context-length 400
Models the server lists (`/v1/models`) are in `MODELS[name]`; any other model name is a 404 on
Ollama and answered like `text` elsewhere.
"""
import http.server
import json
import random
import string
import threading

from upstream import Handler as ScriptedHandler, Headers


def openrouter_error(status, message):
    return {"error": {"code": status, "message": message, "metadata": {"provider_name": None}}}


def deepseek_error(status, message, type_="invalid_request_error"):
    return {"error": {"message": message, "type": type_, "param": None, "code": "invalid_request_error"}}


def ollama_error(status, message):
    return {"error": {"message": message, "type": "api_error", "param": None, "code": None}}


def vllm_error(status, message):
    return {"error": {"message": message, "type": "BadRequestError", "param": None, "code": status}}


class Dialect:
    """What one provider expects and how it answers."""
    name = ""
    prefix = ""                       # before /v1/...
    max_tokens_fields = ("max_tokens",)   # the length members the provider reads
    reasoning_fields = ()             # the delta members the reasoning is sent in
    comment = None                    # an SSE comment line sent first in a stream
    usage_always = False
    whole_tool_calls = False
    models = []

    def error(self, status, message):
        raise NotImplementedError

    def unauthorized(self):
        return self.error(401, "unauthorized")

    def check(self, body):
        """An (status, error body) the server refuses the request with, or None."""
        for field in ("max_tokens", "max_completion_tokens"):
            if field in body and field not in self.max_tokens_fields:
                return 400, self.error(400, f"`{field}` is not read here; use {' or '.join(self.max_tokens_fields)}")
        return None

    def reasoning_delta(self, text, last, model):
        return {field: text for field in self.reasoning_fields}

    def usage(self, prompt, completion):
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def chunk_base(self, model):
        return {"id": "chatcmpl-" + self.name, "object": "chat.completion.chunk", "created": 1767225600, "model": model}

    def tool_call_id(self):
        return "call_" + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))


class OpenRouter(Dialect):
    name = "openrouter"
    prefix = "/api"
    max_tokens_fields = ("max_tokens", "max_completion_tokens")
    reasoning_fields = ("reasoning",)
    comment = ": OPENROUTER PROCESSING"
    usage_always = True
    models = [{"id": "deepseek/deepseek-r1", "name": "DeepSeek: R1", "context_length": 163840,
               "top_provider": {"context_length": 163840, "max_completion_tokens": 32768}},
              {"id": "tools", "context_length": 131072}, {"id": "tools-snapshots", "context_length": 131072}]

    def error(self, status, message):
        return openrouter_error(status, message)

    def unauthorized(self):
        return openrouter_error(401, "No auth credentials found")

    def reasoning_delta(self, text, last, model):
        # The same text twice, as OpenRouter sends it; the last reasoning delta also carries the
        # encrypted form some models return.
        details = [{"type": "reasoning.text", "text": text, "format": "unknown", "index": 0}]
        if last:
            details.append({"type": "reasoning.encrypted", "data": "gAAAAABencrypted==", "format": "openai-responses-v1", "index": 1})
        return {"reasoning": text, "reasoning_details": details}

    def chunk_base(self, model):
        return dict(super().chunk_base(model), id="gen-1767225600-abc", provider="DeepInfra")

    def usage(self, prompt, completion):
        return dict(super().usage(prompt, completion), cost=0.000123, is_byok=False,
                    prompt_tokens_details={"cached_tokens": 0}, completion_tokens_details={"reasoning_tokens": 3})


class DeepSeek(Dialect):
    name = "deepseek"
    reasoning_fields = ("reasoning_content",)
    comment = ": keep-alive"
    models = [{"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
              {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek"}]

    def error(self, status, message):
        return deepseek_error(status, message)

    def unauthorized(self):
        return deepseek_error(401, "Authentication Fails, Your api key: ****test is invalid", "authentication_error")

    def check(self, body):
        refused = super().check(body)
        if refused or body.get("model") != "deepseek-reasoner":
            return refused
        for message in body.get("messages", []):
            if message.get("role") == "assistant" and message.get("tool_calls") and not message.get("reasoning_content"):
                return 400, deepseek_error(400, "The `reasoning_content` in the thinking mode must be passed back to the API.")
        return None

    def reasoning_delta(self, text, last, model):
        # deepseek-chat does not think; deepseek-reasoner (thinking mode) does.
        return {"reasoning_content": text} if model == "deepseek-reasoner" else {}

    def usage(self, prompt, completion):
        return dict(super().usage(prompt, completion), prompt_cache_hit_tokens=0, prompt_cache_miss_tokens=prompt,
                    prompt_tokens_details={"cached_tokens": 0}, completion_tokens_details={"reasoning_tokens": 3})


class Ollama(Dialect):
    name = "ollama"
    reasoning_fields = ("reasoning",)
    whole_tool_calls = True
    models = [{"id": "llama3.2:3b", "object": "model", "created": 1767225600, "owned_by": "library"},
              {"id": "qwen3:8b", "object": "model", "created": 1767225600, "owned_by": "library"},
              {"id": "tools", "object": "model", "created": 1767225600, "owned_by": "library"},
              {"id": "tools-noindex", "object": "model", "created": 1767225600, "owned_by": "library"}]

    def error(self, status, message):
        return ollama_error(status, message)

    def chunk_base(self, model):
        return dict(super().chunk_base(model), system_fingerprint="fp_ollama")


class VLLM(Dialect):
    name = "vllm"
    max_tokens_fields = ("max_tokens", "max_completion_tokens")
    reasoning_fields = ("reasoning",)
    models = [{"id": "Qwen/Qwen3-8B", "object": "model", "owned_by": "vllm", "max_model_len": 32768},
              {"id": "tools-snapshots", "object": "model", "owned_by": "vllm", "max_model_len": 32768}]

    def error(self, status, message):
        return vllm_error(status, message)

    def unauthorized(self):
        return {"error": "Unauthorized"}


DIALECTS = {"openrouter": OpenRouter, "deepseek": DeepSeek, "ollama": Ollama, "vllm": VLLM}
MODELS = {name: dialect.models for name, dialect in DIALECTS.items()}


def first_tool(body):
    tools = body.get("tools") or []
    return tools[0]["function"]["name"] if tools else "Bash"


def scenario(dialect, body):
    """(deltas, finish_reason): each delta the members of one chunk's `delta`."""
    model = body.get("model", "")
    messages = body.get("messages", [])
    last = messages[-1] if messages else {}
    if model.startswith("tools") and last.get("role") == "tool":
        return [{"content": "The tool said: " + " ".join(str(last.get("content", "")).split())[:60]}], "stop"
    name = first_tool(body)
    arguments = '{"command": "ls"}'
    if model == "tools-noindex":
        return [{"tool_calls": [{"id": dialect.tool_call_id(), "type": "function",
                                 "function": {"name": name, "arguments": arguments}}]},
                {"tool_calls": [{"id": dialect.tool_call_id(), "type": "function",
                                 "function": {"name": name, "arguments": '{"command": "pwd"}'}}]}], "tool_calls"
    if model.startswith("tools"):
        call_id = dialect.tool_call_id()
        if dialect.whole_tool_calls:
            return [{"tool_calls": [{"id": call_id, "index": 0, "type": "function",
                                     "function": {"name": name, "arguments": arguments}}]}], "tool_calls"
        cuts = [1, 5, 12, 15, len(arguments)]
        if model == "tools-snapshots":
            pieces = [arguments[:cut] for cut in cuts]
        else:
            pieces = [arguments[start:end] for start, end in zip([0] + cuts, cuts)]
        first = {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        return [{"tool_calls": [first]}] + [{"tool_calls": [{"index": 0, "function": {"arguments": piece}}]} for piece in pieces], "tool_calls"
    reasoning = ["The user ", "says hello."]
    deltas = [dialect.reasoning_delta(text, index == len(reasoning) - 1, model) for index, text in enumerate(reasoning)]
    return [delta for delta in deltas if delta] + [{"content": "Hello "}, {"content": "from " + dialect.name}], "stop"


def whole_message(deltas, dialect, snapshots=False):
    """The non-streamed message the deltas add up to, in the server's own shape (`snapshots`:
    the deltas' arguments are cumulative snapshots)."""
    message = {"role": "assistant", "content": "".join(d.get("content", "") for d in deltas) or None}
    for field in ("reasoning", "reasoning_content"):
        text = "".join(d.get(field, "") for d in deltas)
        if text:
            message[field] = text
    details = [entry for d in deltas for entry in d.get("reasoning_details", [])]
    if details:
        texts = "".join(e.get("text", "") for e in details if e["type"] == "reasoning.text")
        message["reasoning_details"] = [{"type": "reasoning.text", "text": texts, "format": "unknown", "index": 0}] + \
            [e for e in details if e["type"] != "reasoning.text"]
    calls = {}
    for d in deltas:
        for position, call in enumerate(d.get("tool_calls", [])):
            index = call.get("index", len(calls) if "id" in call and "index" not in call else position)
            entry = calls.setdefault(index, {"id": call.get("id"), "type": "function", "function": {"name": None, "arguments": ""}})
            entry["function"]["name"] = call["function"].get("name") or entry["function"]["name"]
            fragment = call["function"].get("arguments", "")
            # A whole answer carries the arguments once: cumulative snapshots add up to the last.
            if snapshots and fragment.startswith(entry["function"]["arguments"]):
                entry["function"]["arguments"] = fragment
            else:
                entry["function"]["arguments"] += fragment
    if calls:
        message["tool_calls"] = [calls[index] for index in sorted(calls)]
    return message


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # The scripted Chutes upstream's, one home for both.
    log_message = ScriptedHandler.log_message
    send_json = ScriptedHandler.send_json

    @property
    def dialect(self):
        return self.server.dialect

    def record(self, body):
        self.server.received.append({"method": self.command, "path": self.path, "headers": Headers(self.headers), "body": body})

    def authorized(self):
        if self.server.key is None:
            return True
        return self.headers.get("Authorization") == f"Bearer {self.server.key}"

    def route(self, suffix):
        return self.path.split("?")[0] == self.dialect.prefix + suffix

    def do_GET(self):
        self.record(None)
        if not self.route("/v1/models"):
            self.send_json(404, self.dialect.error(404, f"no route {self.path}"))
        elif not self.authorized():
            self.send_json(401, self.dialect.unauthorized())
        else:
            self.send_json(200, {"object": "list", "data": self.dialect.models})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.record(body)
        dialect = self.dialect
        model = body.get("model", "")
        if not self.route("/v1/chat/completions"):
            self.send_json(404, dialect.error(404, f"no route {self.path}"))
            return
        if not self.authorized():
            self.send_json(401, dialect.unauthorized())
            return
        if model.startswith("status-"):
            status = int(model.split("-")[1])
            self.send_json(status, dialect.error(status, f"scripted {status}"))
            return
        if model == "echoes-keys":
            # A careless server quoting what it was sent: the Authorization header and the
            # conversation's last words, in its own 400 error body.
            said = json.dumps(body.get("messages", [{}])[-1].get("content", ""))
            self.send_json(400, dialect.error(400, f"bad request with {self.headers.get('Authorization')} about {said}"))
            return
        if dialect.name == "ollama" and model not in {m["id"] for m in dialect.models}:
            self.send_json(404, ollama_error(404, f'model "{model}" not found, try pulling it first'))
            return
        if dialect.name == "vllm" and model == "too-long":
            self.send_json(400, vllm_error(400, "This model's maximum context length is 32768 tokens. However, you requested "
                                                "40000 tokens (8000 in the messages, 32000 in the completion). Please reduce the length "
                                                "of the messages or completion."))
            return
        refused = dialect.check(body)
        if refused:
            self.send_json(*refused)
            return
        deltas, finish = scenario(dialect, body)
        usage = dialect.usage(21, 5)
        if not body.get("stream"):
            self.send_json(200, {"id": "chatcmpl-" + dialect.name, "object": "chat.completion", "created": 1767225600, "model": model,
                                 "choices": [{"index": 0, "message": whole_message(deltas, dialect, snapshots=model == "tools-snapshots"), "finish_reason": finish}],
                                 "usage": usage})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(line):
            payload = (line + "\n\n").encode()
            self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            self.wfile.flush()

        def chunk(choices, **extra):
            return "data: " + json.dumps(dict(dialect.chunk_base(model), choices=choices, **extra))

        if dialect.comment:
            send(dialect.comment)
        send(chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]))
        for delta in deltas:
            send(chunk([{"index": 0, "delta": delta, "finish_reason": None}]))
        send(chunk([{"index": 0, "delta": {}, "finish_reason": finish}]))
        if dialect.usage_always or (body.get("stream_options") or {}).get("include_usage"):
            send(chunk([], usage=usage))
        send("data: [DONE]")
        self.wfile.write(b"0\r\n\r\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, dialect, key, port):
        super().__init__(("127.0.0.1", port), Handler)
        self.dialect = dialect
        self.key = key
        self.received = []

    @property
    def base_url(self):
        """The provider's `base_url` for the proxy: it appends /v1/chat/completions."""
        return f"http://127.0.0.1:{self.server_address[1]}{self.dialect.prefix}"


def start(name, key=None, port=0):
    """A server answering as `name` ("openrouter", "deepseek", "ollama", "vllm") on 127.0.0.1."""
    server = Server(DIALECTS[name](), key, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
