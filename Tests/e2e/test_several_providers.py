"""Several providers (issue 25) through the proxy binary and the official SDK: Chutes (the
scripted upstream) first, OpenRouter as its fallback, a local Ollama for Claude Code's haiku
requests, each a double answering as that provider does (provider_upstreams.py)."""
import json

import anthropic
import pytest

import provider_upstreams

CLIENT_KEY = "sk-client-several-providers"
OPENROUTER_KEY = "sk-or-several-providers-0001"
MESSAGE = [{"role": "user", "content": "hi"}]


@pytest.fixture
def several(start_proxy):
    openrouter = provider_upstreams.start("openrouter", key=OPENROUTER_KEY)
    ollama = provider_upstreams.start("ollama")
    proxy = start_proxy(
        OPENROUTER_API_KEY=OPENROUTER_KEY,
        PROVIDERS=json.dumps([
            {"name": "openrouter", "base_url": openrouter.base_url, "api_key_env": "OPENROUTER_API_KEY", "headers": {"X-Title": "e2e"}},
            {"name": "ollama", "base_url": ollama.base_url},
        ]),
        MODEL_MAP=json.dumps({
            "claude-*haiku*": "ollama::llama3.2:3b",
            "claude-*": ["full", {"provider": "openrouter", "model": "deepseek/deepseek-r1"}],
        }),
    )
    yield anthropic.Anthropic(base_url=proxy, api_key=CLIENT_KEY, max_retries=0), openrouter, ollama
    for server in (openrouter, ollama):
        server.shutdown()
        server.server_close()


def completions(server):
    return [request for request in server.received if request["path"].endswith("/chat/completions")]


def text_of(message):
    return "".join(block.text for block in message.content if block.type == "text")


def test_chutes_at_capacity_falls_over_to_openrouter_with_its_own_key(several):
    client, openrouter, _ = several
    message = client.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGE)
    assert "Hello from openrouter" in text_of(message)
    # OpenRouter sends its reasoning twice (reasoning and reasoning_details): one thinking block.
    assert [block.type for block in message.content].count("thinking") <= 1
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGE) as stream:
        assert "Hello from openrouter" in text_of(stream.get_final_message())
    sent = completions(openrouter)
    assert len(sent) == 2
    for request in sent:
        assert request["headers"]["authorization"] == f"Bearer {OPENROUTER_KEY}"
        assert request["headers"]["x-title"] == "e2e"
        assert request["body"]["model"] == "deepseek/deepseek-r1"
    # The client's key went to Chutes only, never to another provider.
    assert not any(CLIENT_KEY in value for request in openrouter.received for value in request["headers"].values())


def test_haiku_requests_go_to_the_local_ollama_without_a_key(several):
    client, _, ollama = several
    message = client.messages.create(model="claude-3-5-haiku-20241022", max_tokens=50, messages=MESSAGE)
    assert "Hello from ollama" in text_of(message)
    sent = completions(ollama)
    assert len(sent) == 1
    assert sent[0]["body"]["model"] == "llama3.2:3b"
    assert "authorization" not in sent[0]["headers"]


def test_the_model_list_names_every_providers_models_and_they_route_back(several):
    client, openrouter, _ = several
    ids = [model.id for model in client.models.list(limit=100)]
    assert "openrouter::deepseek/deepseek-r1" in ids and "ollama::llama3.2:3b" in ids
    message = client.messages.create(model="openrouter::deepseek/deepseek-r1", max_tokens=50, messages=MESSAGE)
    assert "Hello from openrouter" in text_of(message)
    with pytest.raises(anthropic.NotFoundError) as refused:
        client.messages.create(model="nowhere::x", max_tokens=50, messages=MESSAGE)
    assert "chutes, openrouter, ollama" in str(refused.value)


def test_claude_code_completes_on_openrouter_when_chutes_is_full(several, recorded):
    from test_claude_code import run_claude

    client, openrouter, _ = several
    result = run_claude(str(client.base_url).rstrip("/"), "--model", "claude-sonnet-4-5", "say hello")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hello from openrouter" in result.stdout
    # Chutes was tried first, at capacity, and every such try went on to OpenRouter.
    tried = [request["body"]["model"] for request in recorded if request["path"].endswith("/chat/completions")]
    assert tried and set(tried) == {"full"}
    sent = completions(openrouter)
    assert len(sent) >= len(tried)
    assert sent and all(request["headers"]["authorization"] == f"Bearer {OPENROUTER_KEY}" for request in sent)
    assert not any("sk-claude-code-test" in value for request in openrouter.received for value in request["headers"].values())
