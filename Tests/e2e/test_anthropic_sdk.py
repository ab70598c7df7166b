"""The official Anthropic Python SDK against the proxy."""
import re

import anthropic
import pytest

import upstream as scripted

TOOLS = [{"name": "Bash", "description": "Run a command",
          "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}]


@pytest.fixture
def client(proxy):
    return anthropic.Anthropic(base_url=proxy, api_key="sk-sdk-test-key", max_retries=0)


def test_create(client, recorded):
    message = client.messages.create(model="text", max_tokens=64, messages=[{"role": "user", "content": "Hi"}])
    assert message.content[0].text == "Hello from the upstream"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 5
    sent = [r for r in recorded if r["path"].endswith("/chat/completions")][0]
    assert sent["headers"]["Authorization"] == "Bearer sk-sdk-test-key"


def test_stream_helper_accepts_the_event_sequence(client):
    with client.messages.stream(model="text", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from the upstream"
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"


def test_stream_with_thinking(client):
    with client.messages.stream(model="thinking", max_tokens=64, messages=[{"role": "user", "content": "Hi"}],
                                thinking={"type": "enabled", "budget_tokens": 2048}) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == "Let me think."


@pytest.mark.parametrize("streaming", [False, True])
def test_tools(client, streaming):
    kwargs = dict(model="tools", max_tokens=64, tools=TOOLS, messages=[{"role": "user", "content": "list files"}])
    if streaming:
        with client.messages.stream(**kwargs) as stream:
            message = stream.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    tool_use = [block for block in message.content if block.type == "tool_use"][0]
    assert tool_use.name == "Bash"
    assert tool_use.input == {"command": "ls"}
    assert message.stop_reason == "tool_use"


def test_tool_result_round_trip(client, recorded):
    client.messages.create(model="text", max_tokens=64, tools=TOOLS, messages=[
        {"role": "user", "content": "list files"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "a.txt"}]},
    ])
    sent = [r for r in recorded if r["path"].endswith("/chat/completions")][-1]["body"]
    assert sent["messages"][1]["tool_calls"][0]["function"]["name"] == "Bash"
    assert sent["messages"][2] == {"role": "tool", "tool_call_id": "call_1", "content": "a.txt"}


def test_count_tokens(client):
    count = client.messages.count_tokens(model="text", messages=[{"role": "user", "content": "Hello there, how are you?"}])
    assert count.input_tokens > 0


def test_models(client):
    models = client.models.list()
    assert [model.id for model in models.data] == [model["id"] for model in scripted.MODELS["data"]]
    assert client.models.retrieve("tools").id == "tools"


def test_a_model_id_with_a_slash_is_found_and_the_list_pages(client):
    """Issue 21, item 2: the SDK sends zai-org%2FGLM-4.6, which was not found; limit was ignored."""
    assert client.models.retrieve("zai-org/GLM-4.6").id == "zai-org/GLM-4.6"
    with pytest.raises(anthropic.NotFoundError, match="no/such-model"):
        client.models.retrieve("no/such-model")
    every = [model["id"] for model in scripted.MODELS["data"]]
    first = client.models.list(limit=2)
    assert [model.id for model in first.data] == every[:2]
    assert first.has_more is True and first.first_id == every[0] and first.last_id == every[1]
    # The SDK follows has_more and last_id page by page.
    assert [model.id for model in client.models.list(limit=2)] == every
    assert [model.id for model in client.models.list(limit=2, after_id=every[1]).data] == every[2:4]
    before = client.models.list(limit=2, before_id=every[3])
    assert [model.id for model in before.data] == every[1:3] and before.has_more is True
    with pytest.raises(anthropic.BadRequestError):
        client.models.list(limit=0)


@pytest.mark.parametrize("status,exception", [
    (400, anthropic.BadRequestError), (401, anthropic.AuthenticationError), (403, anthropic.PermissionDeniedError),
    (404, anthropic.NotFoundError), (429, anthropic.RateLimitError), (500, anthropic.InternalServerError),
    (503, anthropic.InternalServerError),
])
def test_errors_map_to_the_sdk_exceptions(client, status, exception):
    with pytest.raises(exception) as raised:
        client.messages.create(model=f"status-{status}", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    assert raised.value.body["type"] == "error"
    assert f"scripted {status}" in raised.value.body["error"]["message"]
    if status == 503:
        assert raised.value.status_code == 529
        assert raised.value.body["error"]["type"] == "overloaded_error"


def test_errors_before_a_stream_are_plain_http_errors(client):
    with pytest.raises(anthropic.RateLimitError):
        with client.messages.stream(model="status-429", max_tokens=8, messages=[{"role": "user", "content": "x"}]) as stream:
            stream.get_final_message()


REQUEST_ID = r"req_[0-9A-Za-z]{24}"


def test_request_ids_reach_the_sdk(client):
    message = client.messages.create(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    assert re.fullmatch(REQUEST_ID, message._request_id)
    with client.messages.stream(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}]) as stream:
        stream.get_final_message()
        assert re.fullmatch(REQUEST_ID, stream.request_id)
    with pytest.raises(anthropic.APIStatusError) as raised:
        client.messages.create(model="status-400", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    assert re.fullmatch(REQUEST_ID, raised.value.request_id)
    assert raised.value.body["request_id"] == raised.value.request_id
    assert raised.value.request_id != message._request_id
