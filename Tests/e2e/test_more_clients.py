"""Clients other than the SDK's own create/stream, through the proxy to the scripted upstream:
LangChain's ChatAnthropic, pydantic-ai, instructor, and the SDK's messages.parse and tool runner.
Each is skipped when its package is not installed (they are optional test dependencies)."""
import anthropic
import pydantic
import pytest


class Person(pydantic.BaseModel):
    name: str
    age: int


def completions(recorded):
    return [r["body"] for r in recorded if r["path"].endswith("/chat/completions")]


def test_langchain_tools_streaming_and_structured_output(proxy, recorded):
    langchain_anthropic = pytest.importorskip("langchain_anthropic")
    llm = langchain_anthropic.ChatAnthropic(model="text", base_url=proxy, api_key="sk-lc-test-key", max_retries=0, max_tokens=64)
    assert "".join(chunk.content if isinstance(chunk.content, str) else "".join(
        part.get("text", "") for part in chunk.content) for chunk in llm.stream("Hi")) == "Hello from the upstream"

    def Bash(command: str) -> str:
        """Run a command."""
        return "a.txt"

    tools_llm = langchain_anthropic.ChatAnthropic(model="tools", base_url=proxy, api_key="sk-lc-test-key", max_retries=0, max_tokens=64)
    message = tools_llm.bind_tools([Bash]).invoke("list files")
    assert [(call["name"], call["args"]) for call in message.tool_calls] == [("Bash", {"command": "ls"})]

    structured = langchain_anthropic.ChatAnthropic(model="structured", base_url=proxy, api_key="sk-lc-test-key", max_retries=0, max_tokens=64)
    assert structured.with_structured_output(Person).invoke("Who?") == Person(name="Ada", age=36)
    # json_schema mode sends output_config.format; this upstream refuses response_format.
    refusing = langchain_anthropic.ChatAnthropic(model="structured-refuses", base_url=proxy, api_key="sk-lc-test-key", max_retries=0, max_tokens=64)
    recorded.clear()
    assert refusing.with_structured_output(Person, method="json_schema").invoke("Who?") == Person(name="Ada", age=36)
    assert [("response_format" in body) for body in completions(recorded)] == [True, False]


def test_pydantic_ai_agent_with_output_type_and_tools(proxy, recorded):
    pytest.importorskip("pydantic_ai")
    from pydantic_ai import Agent
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    model = AnthropicModel("structured", provider=AnthropicProvider(base_url=proxy, api_key="sk-pai-test-key"))
    agent = Agent(model, output_type=Person)
    looked_up = []

    @agent.tool_plain
    def lookup(name: str = "Ada") -> str:
        """Look a person up."""
        looked_up.append(name)
        return "Ada, 36"

    assert agent.run_sync("Who wrote the first program?").output == Person(name="Ada", age=36)
    assert looked_up == ["Ada"]


def test_instructor_tools_mode(proxy):
    instructor = pytest.importorskip("instructor")
    client = instructor.from_anthropic(anthropic.Anthropic(base_url=proxy, api_key="sk-ins-test-key", max_retries=0),
                                       mode=instructor.Mode.TOOLS)
    person = client.messages.create(model="structured", max_tokens=64, response_model=Person,
                                    messages=[{"role": "user", "content": "Who?"}])
    # instructor returns its own subclass of the model: compare the fields.
    assert person.model_dump() == {"name": "Ada", "age": 36}


def test_sdk_tool_runner_runs_the_tool_and_ends_with_text(proxy):
    client = anthropic.Anthropic(base_url=proxy, api_key="sk-sdk-test-key", max_retries=0)
    ran = []

    @anthropic.beta_tool
    def Bash(command: str) -> str:
        """Run a command.

        Args:
            command: the command line
        """
        ran.append(command)
        return "a.txt b.txt"

    runner = client.beta.messages.tool_runner(model="tools", max_tokens=64, tools=[Bash],
                                              messages=[{"role": "user", "content": "list files"}])
    final = runner.until_done()
    assert ran == ["ls"]
    assert final.content[-1].text == "The tool said: a.txt b.txt"
