"""Structured outputs, context editing and compaction through the proxy, with the official
SDK's own helpers (messages.parse, the stream accumulator, the beta types)."""
import anthropic
import pydantic
import pytest


class Person(pydantic.BaseModel):
    name: str
    age: int


@pytest.fixture
def client(proxy):
    return anthropic.Anthropic(base_url=proxy, api_key="sk-sdk-test-key", max_retries=0)


def completions(recorded):
    return [r["body"] for r in recorded if r["path"].endswith("/chat/completions")]


@pytest.mark.parametrize("model", ["structured", "structured-refuses"])
def test_parse_returns_a_validated_object(client, recorded, model):
    message = client.messages.parse(model=model, max_tokens=256, output_format=Person,
                                    messages=[{"role": "user", "content": "Who wrote the first program?"}])
    assert message.parsed_output == Person(name="Ada", age=36)
    sent = completions(recorded)
    assert sent[0]["response_format"]["type"] == "json_schema"
    assert sent[0]["response_format"]["json_schema"]["schema"]["properties"].keys() == {"name", "age"}
    if model == "structured-refuses":
        # Retried once with the schema in the system message, and checked before it was sent.
        assert len(sent) == 2 and "response_format" not in sent[1]
        assert '"age"' in sent[1]["messages"][0]["content"]


@pytest.mark.parametrize("model", ["structured", "structured-refuses"])
def test_stream_with_output_format_parses_at_the_end(client, model):
    with client.messages.stream(model=model, max_tokens=256, output_format=Person,
                                messages=[{"role": "user", "content": "Who?"}]) as stream:
        final = stream.get_final_message()
    assert final.parsed_output == Person(name="Ada", age=36)


def test_effort_levels_reach_the_upstream(client, recorded):
    for effort in ["low", "medium", "high", "xhigh", "max"]:
        client.messages.create(model="text", max_tokens=16, output_config={"effort": effort},
                               messages=[{"role": "user", "content": "Hi"}])
    assert [body["reasoning_effort"] for body in completions(recorded)] == ["low", "medium", "high", "high", "high"]


def conversation():
    messages = []
    for turn in range(4):
        messages += [
            {"role": "user", "content": f"step {turn}"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": f"t{turn}", "name": "Bash", "input": {"command": "ls"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{turn}", "content": "a.txt\nb.txt\n" * 40}]},
            {"role": "assistant", "content": f"done {turn}"},
        ]
    return messages + [{"role": "user", "content": "report"}]


TOOLS = [{"name": "Bash", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}]
CLEARING = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"},
                      {"type": "clear_tool_uses_20250919", "trigger": {"type": "tool_uses", "value": 2},
                       "keep": {"type": "tool_uses", "value": 1}}]}


@pytest.mark.parametrize("streaming", [False, True])
def test_context_editing_is_reported_in_the_beta_types(client, recorded, streaming):
    kwargs = dict(model="text", max_tokens=64, tools=TOOLS, messages=conversation(), context_management=CLEARING,
                  betas=["context-management-2025-06-27"])
    if streaming:
        with client.beta.messages.stream(**kwargs) as stream:
            message = stream.get_final_message()
    else:
        message = client.beta.messages.create(**kwargs)
    edits = message.context_management.applied_edits
    assert [edit.type for edit in edits] == ["clear_tool_uses_20250919"]
    assert edits[0].cleared_tool_uses == 3 and edits[0].cleared_input_tokens > 0
    tool_messages = [m for m in completions(recorded)[0]["messages"] if m["role"] == "tool"]
    assert [m["content"].startswith("[Tool result cleared") for m in tool_messages] == [True, True, True, False]


def test_count_tokens_honours_the_edits(client):
    counted = client.beta.messages.count_tokens(model="text", tools=TOOLS, messages=conversation(),
                                                context_management=CLEARING, betas=["context-management-2025-06-27"])
    assert counted.input_tokens < counted.context_management.original_input_tokens


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("pause", [False, True])
def test_compaction_block_first_then_the_turn(client, recorded, streaming, pause):
    management = {"edits": [{"type": "compact_20260112", "trigger": {"type": "input_tokens", "value": 100},
                             "pause_after_compaction": pause}]}
    kwargs = dict(model="summarizer", max_tokens=64, tools=TOOLS, messages=conversation(),
                  context_management=management, betas=["compact-2026-01-12"])
    if streaming:
        with client.beta.messages.stream(**kwargs) as stream:
            message = stream.get_final_message()
    else:
        message = client.beta.messages.create(**kwargs)
    assert message.content[0].type == "compaction"
    assert message.content[0].content == "The user listed files; next: report."
    assert [i.type for i in message.usage.iterations] == (["compaction"] if pause else ["compaction", "message"])
    if pause:
        assert message.stop_reason == "compaction" and len(message.content) == 1
        return
    assert message.content[1].text == "Report."
    # The next turn sends the block back: what went before it no longer goes upstream.
    recorded.clear()
    follow_up = conversation() + [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]},
                                  {"role": "user", "content": "thanks"}]
    client.beta.messages.create(model="summarizer", max_tokens=64, messages=follow_up, betas=["compact-2026-01-12"])
    sent = completions(recorded)[-1]["messages"]
    assert len(sent) == 3 and "The user listed files" in sent[0]["content"] and sent[-1]["content"] == "thanks"
