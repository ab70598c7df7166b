"""Several providers (PROVIDERS) through the real proxy binary, with scripted upstreams that
answer as OpenRouter, DeepSeek's API, Ollama and vLLM do (provider_upstreams.py): the real
Claude Code CLI on the worked example of docs/routing-and-providers.md, and the official SDK
against each provider's shapes."""
import json
import os
import re
import subprocess

import anthropic
import pytest

import provider_upstreams
from conftest import BINARY
from test_claude_code import run_claude

OPENROUTER_KEY = "sk-or-e2e-0123456789"
DEEPSEEK_KEY = "sk-ds-e2e-0123456789"
VLLM_KEY = "vllm-e2e-0123456789"
CLIENT_KEY = "sk-claude-code-test"


@pytest.fixture(scope="module")
def providers():
    servers = {"openrouter": provider_upstreams.start("openrouter", key=OPENROUTER_KEY),
               "deepseek": provider_upstreams.start("deepseek", key=DEEPSEEK_KEY),
               "ollama": provider_upstreams.start("ollama"),
               "vllm": provider_upstreams.start("vllm", key=VLLM_KEY)}
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def fresh(providers):
    for server in providers.values():
        server.received.clear()
    return providers


def providers_setting(servers):
    return json.dumps([
        {"name": "openrouter", "base_url": servers["openrouter"].base_url, "api_key_env": "OPENROUTER_API_KEY",
         "headers": {"HTTP-Referer": "https://example.com/team", "X-Title": "team proxy"}},
        {"name": "deepseek", "base_url": servers["deepseek"].base_url, "api_key_env": "DEEPSEEK_API_KEY"},
        {"name": "ollama", "base_url": servers["ollama"].base_url},
        {"name": "vllm", "base_url": servers["vllm"].base_url, "api_key_env": "VLLM_API_KEY",
         "max_tokens_field": "max_completion_tokens", "reasoning_field": "reasoning"},
    ])


@pytest.fixture
def proxy_with_providers(upstream, fresh):
    """The worked example: Chutes first (here the scripted Chutes upstream, whose `full` model
    is always at capacity), OpenRouter as its fallback, a local Ollama for the small model."""
    env = dict(os.environ, CHUTES_BASE_URL=f"http://127.0.0.1:{upstream.server_address[1]}", HOST="127.0.0.1", PORT="0",
               CHUTES_AUTH_STYLE="both", PROXY_MAX_RETRY_ON_429="0", PROVIDERS=providers_setting(fresh),
               OPENROUTER_API_KEY=OPENROUTER_KEY, DEEPSEEK_API_KEY=DEEPSEEK_KEY, VLLM_API_KEY=VLLM_KEY,
               MODEL_MAP=json.dumps({"claude-*haiku*": {"provider": "ollama", "model": "qwen3:8b"},
                                     "claude-*": ["full", {"provider": "openrouter", "model": "deepseek/deepseek-r1"}]}))
    process = subprocess.Popen([BINARY], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    match = re.search(r"listening on [^ ]+:(\d+)", process.stdout.readline())
    assert match, "proxy did not start: " + process.stderr.read()
    yield f"http://127.0.0.1:{match.group(1)}", process
    process.terminate()
    assert process.wait(timeout=15) == 0


def chat_requests(server):
    return [r for r in server.received if r["path"].endswith("/v1/chat/completions")]


def access_lines(process):
    """The access lines written so far (JSON lines on stderr), read after the proxy stopped."""
    process.terminate()
    process.wait(timeout=15)
    return [json.loads(line) for line in process.stderr.read().splitlines() if line.startswith("{")]


def test_claude_code_falls_over_from_chutes_to_openrouter_and_the_small_model_runs_on_ollama(proxy_with_providers, recorded, fresh):
    url, process = proxy_with_providers
    result = run_claude(url, "--model", "sonnet", "say hello")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hello from openrouter" in result.stdout
    # Chutes was asked first and was full; OpenRouter answered, with its own key and headers.
    assert any(body["model"] == "full" for body in (r["body"] for r in recorded if r["path"].endswith("/chat/completions")))
    sent = chat_requests(fresh["openrouter"])
    assert sent and all(r["body"]["model"] == "deepseek/deepseek-r1" for r in sent)
    for request in sent:
        headers = request["headers"]
        assert headers["authorization"] == f"Bearer {OPENROUTER_KEY}"
        assert headers["http-referer"] == "https://example.com/team" and headers["x-title"] == "team proxy"
        assert CLIENT_KEY not in json.dumps(headers)

    result = run_claude(url, "--model", "haiku", "say hello")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hello from ollama" in result.stdout
    sent = chat_requests(fresh["ollama"])
    assert sent and all(r["body"]["model"] == "qwen3:8b" for r in sent)
    # Ollama has no key configured: the client's key is never forwarded to another provider.
    assert all("authorization" not in r["headers"] for r in sent)

    lines = [line for line in access_lines(process) if line.get("path") == "/v1/messages" and line.get("status") == 200]
    assert any("openrouter::deepseek/deepseek-r1" in json.dumps(line) and "full" in json.dumps(line) for line in lines), lines


@pytest.fixture
def client(proxy_with_providers):
    url, _ = proxy_with_providers
    return anthropic.Anthropic(base_url=url, api_key=CLIENT_KEY, max_retries=0)


@pytest.mark.parametrize("provider,model", [("openrouter", "deepseek/deepseek-r1"), ("deepseek", "deepseek-reasoner"),
                                            ("ollama", "qwen3:8b"), ("vllm", "Qwen/Qwen3-8B")])
@pytest.mark.parametrize("stream", [False, True])
def test_each_provider_answers_with_its_reasoning_once(client, fresh, provider, model, stream):
    request = dict(model=f"{provider}::{model}", max_tokens=256, messages=[{"role": "user", "content": "hello"}],
                   thinking={"type": "enabled", "budget_tokens": 128})
    if stream:
        with client.messages.stream(**request) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**request)
    assert message.model == f"{provider}::{model}"
    thinking = [block.thinking for block in message.content if block.type == "thinking"]
    text = "".join(block.text for block in message.content if block.type == "text")
    # OpenRouter sends its reasoning twice (reasoning and reasoning_details): it appears once.
    assert "".join(thinking) == "The user says hello.", message.content
    assert text == f"Hello from {provider}"
    sent = chat_requests(fresh[provider])[-1]["body"]
    assert sent["model"] == model
    # Each provider gets the length member it reads.
    assert ("max_completion_tokens" in sent) == (provider == "vllm") and ("max_tokens" in sent) == (provider != "vllm")


def test_deepseek_thinking_mode_gets_the_reasoning_of_a_tool_call_turn_back(client, fresh):
    """deepseek-reasoner refuses (400) a history whose tool-call turn lacks its
    `reasoning_content`: the proxy sends the turn's thinking back in that field."""
    message = client.messages.create(
        model="deepseek::deepseek-reasoner", max_tokens=256,
        thinking={"type": "enabled", "budget_tokens": 128},
        tools=[{"name": "Bash", "description": "run", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
        messages=[{"role": "user", "content": "list the files"},
                  {"role": "assistant", "content": [
                      {"type": "thinking", "thinking": "I should run ls.", "signature": "sig"},
                      {"type": "tool_use", "id": "toolu_01", "name": "Bash", "input": {"command": "ls"}}]},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "a.txt"}]}])
    assert "".join(block.text for block in message.content if block.type == "text") == "Hello from deepseek"
    history = chat_requests(fresh["deepseek"])[-1]["body"]["messages"]
    turn = next(m for m in history if m.get("tool_calls"))
    assert turn["reasoning_content"] == "I should run ls."
    assert chat_requests(fresh["deepseek"])[-1]["headers"]["authorization"] == f"Bearer {DEEPSEEK_KEY}"


@pytest.mark.parametrize("provider,model", [("vllm", "tools-snapshots"), ("openrouter", "tools-snapshots"), ("ollama", "tools-noindex")])
@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_in_each_providers_shape_arrive_whole(client, fresh, provider, model, stream):
    request = dict(model=f"{provider}::{model}", max_tokens=256, messages=[{"role": "user", "content": "list the files"}],
                   tools=[{"name": "Bash", "description": "run", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}])
    if stream:
        with client.messages.stream(**request) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**request)
    calls = [block for block in message.content if block.type == "tool_use"]
    assert message.stop_reason == "tool_use"
    if model == "tools-noindex":
        # Two calls, each whole in its own chunk without an index: two tool_use blocks.
        assert [call.input for call in calls] == [{"command": "ls"}, {"command": "pwd"}]
    else:
        # Cumulative snapshots of the arguments: the last one, not their concatenation.
        assert [call.input for call in calls] == [{"command": "ls"}]
    assert len({call.id for call in calls}) == len(calls) and all(call.id for call in calls)


def test_a_provider_key_echoed_in_an_error_never_reaches_the_client(client, fresh):
    """An upstream's error quoting its own key, and another provider's key that reached it in
    the conversation, is scrubbed of both before the client sees it."""
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model="openrouter::echoes-keys", max_tokens=32, messages=[{"role": "user", "content": f"my key is {DEEPSEEK_KEY}"}])
    assert chat_requests(fresh["openrouter"]), "the request reached OpenRouter"
    said = json.dumps(raised.value.body)
    assert "bad request with" in said and "my key is" in said, said
    assert OPENROUTER_KEY not in said and DEEPSEEK_KEY not in said, said


def test_an_unknown_provider_is_a_404_naming_the_configured_ones(client):
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.create(model="nowhere::some-model", max_tokens=32, messages=[{"role": "user", "content": "hi"}])
    message = raised.value.body["error"]["message"]
    assert "nowhere" in message and "openrouter" in message and "ollama" in message


def test_models_lists_every_providers_models_under_names_that_route_back(client, fresh):
    names = [model.id for model in client.models.list(limit=1000)]
    assert "openrouter::deepseek/deepseek-r1" in names
    assert "ollama::qwen3:8b" in names
    assert "deepseek::deepseek-reasoner" in names
    # A listed name routes back to its provider.
    message = client.messages.create(model="ollama::llama3.2:3b", max_tokens=32, messages=[{"role": "user", "content": "hi"}])
    assert chat_requests(fresh["ollama"])[-1]["body"]["model"] == "llama3.2:3b"
    assert message.model == "ollama::llama3.2:3b"
