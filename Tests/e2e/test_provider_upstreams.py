"""The scripted provider upstreams (provider_upstreams.py) answer as the providers document,
checked by talking to each directly; no proxy involved."""
import http.client
import json
import urllib.parse

import pytest

import provider_upstreams


@pytest.fixture
def serve():
    started = []

    def start(name, key=None):
        server = provider_upstreams.start(name, key=key)
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def post(server, body, key=None, path="/v1/chat/completions"):
    """(status, parsed JSON or the list of SSE lines)."""
    url = urllib.parse.urlparse(server.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    connection.request("POST", url.path + path, json.dumps(body), headers)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    if response.getheader("Content-Type") == "text/event-stream":
        return response.status, [line for line in text.split("\n") if line]
    return response.status, json.loads(text)


def chunks(lines):
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


def request(model, stream=False, **extra):
    return dict({"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100, "stream": stream}, **extra)


def test_openrouter_wants_its_key_and_sends_reasoning_twice_with_cost(serve):
    server = serve("openrouter", key="sk-or-test")
    status, body = post(server, request("deepseek/deepseek-r1"))
    assert status == 401 and body["error"]["code"] == 401
    status, lines = post(server, request("deepseek/deepseek-r1", stream=True), key="sk-or-test")
    assert status == 200
    assert lines[0] == ": OPENROUTER PROCESSING" and lines[-1] == "data: [DONE]"
    deltas = [c["choices"][0]["delta"] for c in chunks(lines) if c["choices"]]
    reasoning = [d for d in deltas if "reasoning" in d]
    assert [d["reasoning"] for d in reasoning] == ["The user ", "says hello."]
    assert all(d["reasoning_details"][0] == {"type": "reasoning.text", "text": d["reasoning"], "format": "unknown", "index": 0} for d in reasoning)
    assert reasoning[-1]["reasoning_details"][1]["type"] == "reasoning.encrypted"
    assert chunks(lines)[-1]["usage"]["cost"] > 0   # usage without stream_options
    status, _ = post(server, {"model": "text", "messages": [], "max_completion_tokens": 5}, key="sk-or-test")
    assert status == 200   # OpenRouter reads both length members
    assert server.received[-1]["path"] == "/api/v1/chat/completions"
    assert server.received[-1]["headers"]["AUTHORIZATION"] == "Bearer sk-or-test"
    status, whole = post(server, request("deepseek/deepseek-r1"), key="sk-or-test")
    message = whole["choices"][0]["message"]
    assert message["reasoning"] == "The user says hello." and message["reasoning_details"][0]["text"] == "The user says hello."


def test_deepseek_refuses_max_completion_tokens_and_a_tool_turn_without_its_reasoning(serve):
    server = serve("deepseek", key="sk-ds")
    status, body = post(server, request("deepseek-chat"), key="wrong")
    assert status == 401 and body["error"]["type"] == "authentication_error"
    assert set(body["error"]) == {"message", "type", "param", "code"}
    status, body = post(server, {"model": "deepseek-chat", "messages": [], "max_completion_tokens": 5}, key="sk-ds")
    assert status == 400 and "max_completion_tokens" in body["error"]["message"]
    history = [{"role": "user", "content": "ls"},
               {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": "{}"}}]},
               {"role": "tool", "tool_call_id": "call_1", "content": "a"}]
    status, body = post(server, request("deepseek-reasoner", messages=history), key="sk-ds")
    assert status == 400 and "reasoning_content" in body["error"]["message"]
    history[1]["reasoning_content"] = "List them."
    status, body = post(server, request("deepseek-reasoner", messages=history), key="sk-ds")
    assert status == 200
    status, lines = post(server, request("deepseek-reasoner", stream=True), key="sk-ds")
    assert lines[0] == ": keep-alive"
    assert not any("usage" in c for c in chunks(lines))   # no stream_options, no usage
    assert [c["choices"][0]["delta"]["reasoning_content"] for c in chunks(lines) if c["choices"] and "reasoning_content" in c["choices"][0]["delta"]]
    status, lines = post(server, request("deepseek-chat", stream=True, stream_options={"include_usage": True}), key="sk-ds")
    assert chunks(lines)[-1]["usage"]["prompt_cache_miss_tokens"] == 21
    assert len(server.received) == 6


def test_ollama_needs_no_key_sends_whole_calls_and_404s_unknown_models(serve):
    server = serve("ollama")
    status, body = post(server, request("llama3.2:3b"), key="ignored")
    assert status == 200 and body["choices"][0]["message"]["content"] == "Hello from ollama"
    status, body = post(server, {"model": "llama3.2:3b", "messages": [], "max_completion_tokens": 5})
    assert status == 400 and "max_tokens" in body["error"]["message"]
    status, body = post(server, request("mistral:7b"))
    assert status == 404 and body["error"]["message"] == 'model "mistral:7b" not found, try pulling it first'
    status, lines = post(server, request("tools", stream=True, tools=[{"type": "function", "function": {"name": "Read", "parameters": {}}}]))
    calls = [c["choices"][0]["delta"]["tool_calls"] for c in chunks(lines) if c["choices"] and "tool_calls" in c["choices"][0]["delta"]]
    assert len(calls) == 1 and calls[0][0]["function"] == {"name": "Read", "arguments": '{"command": "ls"}'}
    assert calls[0][0]["id"].startswith("call_") and len(calls[0][0]["id"]) == 13
    status, lines = post(server, request("tools-noindex", stream=True))
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks(lines) if c["choices"] and "tool_calls" in c["choices"][0]["delta"]]
    assert len(calls) == 2 and all("index" not in call for call in calls) and calls[0]["id"] != calls[1]["id"]
    status, lines = post(server, request("qwen3:8b", stream=True))
    assert [c["choices"][0]["delta"]["reasoning"] for c in chunks(lines) if c["choices"] and "reasoning" in c["choices"][0]["delta"]] == ["The user ", "says hello."]
    assert "authorization" in server.received[0]["headers"]


def test_vllm_takes_either_max_tokens_field_and_streams_snapshots_when_asked(serve):
    server = serve("vllm", key="vllm-key")
    status, body = post(server, request("Qwen/Qwen3-8B"))
    assert status == 401 and body == {"error": "Unauthorized"}
    status, body = post(server, {"model": "Qwen/Qwen3-8B", "messages": [], "max_completion_tokens": 5}, key="vllm-key")
    assert status == 200 and body["choices"][0]["message"]["reasoning"] == "The user says hello."
    status, body = post(server, request("too-long"), key="vllm-key")
    assert status == 400 and "maximum context length is 32768 tokens" in body["error"]["message"]
    assert body["error"]["type"] == "BadRequestError" and body["error"]["code"] == 400
    status, lines = post(server, request("tools-snapshots", stream=True), key="vllm-key")
    fragments = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks(lines)
                 if c["choices"] and "tool_calls" in c["choices"][0]["delta"]]
    assert fragments[0] == "" and fragments[-1] == '{"command": "ls"}'
    assert all(later.startswith(earlier) for earlier, later in zip(fragments[1:], fragments[2:]))
    status, lines = post(server, request("tools", stream=True), key="vllm-key")
    fragments = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks(lines)
                 if c["choices"] and "tool_calls" in c["choices"][0]["delta"]]
    assert "".join(fragments) == '{"command": "ls"}'


@pytest.mark.parametrize("name", sorted(provider_upstreams.DIALECTS))
def test_every_server_lists_its_models_under_its_prefix_and_records_everything(serve, name):
    server = serve(name)
    url = urllib.parse.urlparse(server.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", url.path + "/v1/models")
    listed = json.loads(connection.getresponse().read())
    connection.close()
    assert [m["id"] for m in listed["data"]] == [m["id"] for m in provider_upstreams.MODELS[name]]
    status, body = post(server, request("status-503"))
    assert status == 503 and "scripted 503" in json.dumps(body)
    status, _ = post(server, request("text"), path="/v1/elsewhere")
    assert status == 404
    assert [(r["method"], r["path"]) for r in server.received] == [
        ("GET", url.path + "/v1/models"), ("POST", url.path + "/v1/chat/completions"), ("POST", url.path + "/v1/elsewhere")]
    assert server.received[1]["body"]["model"] == "status-503"
