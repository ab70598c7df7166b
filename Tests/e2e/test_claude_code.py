"""The real Claude Code CLI (bundled in the claude-agent-sdk wheel) through the proxy."""
import json
import os
import subprocess
import tempfile

import re

import claude_agent_sdk
import pytest

from conftest import BINARY

CLAUDE = os.path.join(os.path.dirname(claude_agent_sdk.__file__), "_bundled", "claude")


def run_claude(proxy, *arguments, env_extra=None):
    home = tempfile.mkdtemp(prefix="claude-home-")
    workdir = tempfile.mkdtemp(prefix="claude-work-")
    open(os.path.join(workdir, "marker-file.txt"), "w").close()
    env = dict(os.environ, HOME=home, ANTHROPIC_BASE_URL=proxy, ANTHROPIC_API_KEY="sk-claude-code-test",
               DISABLE_AUTOUPDATER="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", **(env_extra or {}))
    return subprocess.run([CLAUDE, "-p", *arguments], env=env, cwd=workdir, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def completions(recorded):
    return [r["body"] for r in recorded if r["path"].endswith("/chat/completions")]


def test_a_prompt_gets_the_upstream_answer(proxy, recorded):
    result = run_claude(proxy, "say hello")
    assert result.returncode == 0, result.stderr
    assert "Hello from the upstream" in result.stdout
    sent = completions(recorded)
    main = max(sent, key=lambda body: len(json.dumps(body)))
    assert main["stream"] is True
    assert main["stream_options"] == {"include_usage": True}
    assert main["messages"][0]["role"] == "system"
    assert len(main["tools"]) > 3
    for forbidden in ("thinking", "context_management", "output_config", "metadata"):
        assert forbidden not in main


def test_a_tool_call_runs_and_its_result_goes_back(proxy, recorded):
    result = run_claude(proxy, "--model", "tools", "--allowedTools", "Bash", "--", "list the files")
    assert result.returncode == 0, result.stderr
    assert "The tool said:" in result.stdout
    assert "marker-file.txt" in result.stdout
    followup = [body for body in completions(recorded) if body["messages"][-1]["role"] == "tool"]
    assert followup, "Claude Code sent the tool result back"
    assert followup[0]["messages"][-2]["tool_calls"][0]["function"]["name"] == "Bash"


def test_a_minimax_tool_call_written_as_text_runs_and_its_result_goes_back(proxy, recorded):
    """MiniMax-M2 served without a tool parser writes its call as <minimax:tool_call> text."""
    result = run_claude(proxy, "--model", "MiniMax-M2", "--allowedTools", "Bash", "--", "list the files")
    assert result.returncode == 0, result.stderr
    assert "minimax:tool_call" not in result.stdout
    assert "The tool said:" in result.stdout
    assert "marker-file.txt" in result.stdout
    followup = [body for body in completions(recorded) if body["messages"][-1]["role"] == "tool"]
    assert followup, "Claude Code ran the parsed call and sent its result back"
    assistant = followup[0]["messages"][-2]
    assert assistant["tool_calls"][0]["function"]["name"] == "Bash"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"])["command"] == "ls"
    # MiniMax reads earlier thinking inline: it goes back as <think> in the assistant's content.
    assert assistant["content"].startswith("<think>\nThe user wants the files listed")


def test_an_upstream_failing_mid_stream_is_reported_as_an_error(proxy, recorded):
    # Chutes' engine crashes after a first delta: the CLI must say so, not print half an
    # answer as if it were finished. Retries are limited so the run stays short.
    result = run_claude(proxy, "--model", "fails-mid-stream", "say hello", env_extra={"CLAUDE_CODE_MAX_RETRIES": "1"})
    output = result.stdout + result.stderr
    assert result.returncode != 0 or "error" in output.lower(), output
    assert "Unhandled exception" in output or "overloaded" in output.lower() or "API Error" in output, output
    assert output.strip() != "The first half of an answer"
    assert any(body.get("model") == "fails-mid-stream" for body in completions(recorded))


@pytest.fixture
def fallback_proxy(upstream):
    """A second proxy whose models are a fallback list whose first model is always full."""
    env = dict(os.environ, CHUTES_BASE_URL=f"http://127.0.0.1:{upstream.server_address[1]}", HOST="127.0.0.1", PORT="0",
               MODEL_MAP='{"claude-*": ["full", "text"], "sonnet-on-chutes": ["full", "text"]}', DEBUG_PROXY="1")
    process = subprocess.Popen([BINARY], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    match = re.search(r"listening on [^ ]+:(\d+)", process.stdout.readline())
    assert match
    yield f"http://127.0.0.1:{match.group(1)}"
    process.terminate()
    assert process.wait(timeout=15) == 0


def test_a_session_completes_on_the_second_model_when_the_first_is_full(fallback_proxy, recorded):
    result = run_claude(fallback_proxy, "--model", "sonnet-on-chutes", "say hello")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hello from the upstream" in result.stdout
    models = [body["model"] for body in completions(recorded)]
    assert "full" in models and "text" in models
    # Every request that tried the full model went on to the second one.
    assert models.count("text") >= models.count("full") >= 1


def test_a_session_that_outgrows_a_small_window_goes_on_without_compact(proxy, recorded):
    """AUTO_COMPACT is off: the proxy answers "prompt is too long: N tokens > M maximum" and the
    CLI compacts the conversation by itself (its reactive compaction) and retries."""
    home = tempfile.mkdtemp(prefix="claude-home-")
    workdir = tempfile.mkdtemp(prefix="claude-work-")
    env = dict(os.environ, HOME=home, ANTHROPIC_BASE_URL=proxy, ANTHROPIC_API_KEY="sk-claude-code-test",
               DISABLE_AUTOUPDATER="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
    for turn in range(6):
        # About 2,000 tokens each: the third or fourth turn no longer fits.
        notes = " ".join(f"note{turn}x{i} about topic{i % 37}" for i in range(270))
        result = subprocess.run([CLAUDE, "-p", "--model", "small-window", *(["--continue"] if turn else []),
                                 f"Remember notes batch {turn}. {notes}"],
                                env=env, cwd=workdir, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"turn {turn}: {result.stdout} {result.stderr}"
        assert "Hello from the upstream" in result.stdout
    sizes = [len(json.dumps(body["messages"])) for body in completions(recorded) if body["model"] == "small-window"]
    # The history grew, then was compacted: some request is smaller than the one before it.
    assert any(later < earlier for earlier, later in zip(sizes, sizes[1:])), sizes
