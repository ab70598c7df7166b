"""Server tools through the proxy binary: the official SDK with web_search (a scripted SearXNG
answers) and web_fetch (a scripted page), streamed and not, every tool version the SDK lists;
web_fetch's SSRF refusal; and the real Claude Code CLI's WebSearch tool."""
import http.server
import json
import threading

import anthropic
import pytest

from test_claude_code import run_claude

SEARCH_VERSIONS = ["web_search_20250305", "web_search_20260209", "web_search_20260318"]
FETCH_VERSIONS = ["web_fetch_20250910", "web_fetch_20260209", "web_fetch_20260309", "web_fetch_20260318"]
RESULTS = {"query": "swift 6.3 release", "results": [
    {"url": "https://swift.org/blog/swift-6.3-released/", "title": "Swift 6.3 Released",
     "content": "Swift 6.3 brings embedded Swift improvements.", "publishedDate": "2026-11-20T00:00:00"}]}
PAGE = b"<html><head><title>Release notes</title></head><body><h1>Swift 6.3</h1><p>Faster builds &amp; more.</p></body></html>"


class Services(http.server.BaseHTTPRequestHandler):
    """SearXNG's /search?format=json and one HTML page, recording what was asked."""
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Services.seen.append(self.path)
        if self.path.startswith("/search?"):
            body, kind = json.dumps(RESULTS).encode(), "application/json"
        else:
            body, kind = PAGE, "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def services():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Services)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def tools_proxy(start_proxy, services):
    Services.seen.clear()
    return start_proxy(WEB_SEARCH_PROVIDER="searxng", WEB_SEARCH_URL=services, WEB_FETCH_ALLOW_PRIVATE="1")


def sdk(url):
    return anthropic.Anthropic(base_url=url, api_key="sk-test-key", max_retries=0)


def check_search(message):
    types = [block.type for block in message.content]
    assert types == ["server_tool_use", "web_search_tool_result", "text"]
    assert message.content[0].name == "web_search"
    assert message.content[0].input == {"query": "swift 6.3 release"}
    result = message.content[1].content[0]
    assert result.url == "https://swift.org/blog/swift-6.3-released/"
    assert result.title == "Swift 6.3 Released"
    assert result.page_age == "2026-11-20T00:00:00"
    assert result.encrypted_content
    assert "embedded Swift improvements" in message.content[2].text
    # The answer names the result's URL (it quotes the tool result), so the result is cited.
    citation = message.content[2].citations[0]
    assert citation.type == "web_search_result_location"
    assert citation.url == "https://swift.org/blog/swift-6.3-released/"
    assert citation.cited_text == "Swift 6.3 brings embedded Swift improvements."
    assert message.usage.server_tool_use.web_search_requests == 1
    assert message.stop_reason == "end_turn"


@pytest.mark.parametrize("version", SEARCH_VERSIONS)
@pytest.mark.parametrize("stream", [False, True])
def test_the_sdk_searches_through_searxng(tools_proxy, version, stream):
    kwargs = dict(model="websearch", max_tokens=256, messages=[{"role": "user", "content": "What is new in Swift?"}],
                  tools=[{"type": version, "name": "web_search", "max_uses": 3}])
    if stream:
        with sdk(tools_proxy).messages.stream(**kwargs) as events:
            message = events.get_final_message()
    else:
        message = sdk(tools_proxy).messages.create(**kwargs)
    check_search(message)
    assert any(path.startswith("/search?q=swift%206.3%20release&format=json") for path in Services.seen)


def test_the_search_goes_back_upstream_on_the_next_turn(tools_proxy, recorded):
    client = sdk(tools_proxy)
    tools = [{"type": "web_search_20250305", "name": "web_search"}]
    first = client.messages.create(model="websearch", max_tokens=256, tools=tools,
                                   messages=[{"role": "user", "content": "What is new in Swift?"}])
    recorded.clear()
    client.messages.create(model="text", max_tokens=64, tools=tools, messages=[
        {"role": "user", "content": "What is new in Swift?"},
        {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
        {"role": "user", "content": "Thanks"}])
    sent = [r["body"] for r in recorded if r["path"].endswith("/chat/completions")][0]
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]
    assert sent["messages"][1]["tool_calls"][0]["function"]["name"] == "web_search"
    assert "embedded Swift improvements" in sent["messages"][2]["content"]


@pytest.mark.parametrize("version", FETCH_VERSIONS)
@pytest.mark.parametrize("stream", [False, True])
def test_the_sdk_fetches_a_page(tools_proxy, services, version, stream):
    url = f"{services}/notes.html"
    kwargs = dict(model="webfetch", max_tokens=256, messages=[{"role": "user", "content": f"Summarise {url} please"}],
                  tools=[{"type": version, "name": "web_fetch", "max_uses": 2, "citations": {"enabled": True}}])
    if stream:
        with sdk(tools_proxy).messages.stream(**kwargs) as events:
            message = events.get_final_message()
    else:
        message = sdk(tools_proxy).messages.create(**kwargs)
    assert [block.type for block in message.content] == ["server_tool_use", "web_fetch_tool_result", "text"]
    fetched = message.content[1].content
    assert fetched.type == "web_fetch_result"
    assert fetched.url == url
    assert fetched.content.title == "Release notes"
    assert fetched.content.source.data == "Swift 6.3\nFaster builds & more."
    assert fetched.content.citations.enabled is True
    assert "Faster builds & more." in message.content[2].text
    assert message.usage.server_tool_use.web_fetch_requests == 1


def test_web_fetch_refuses_the_proxys_own_network(start_proxy, services):
    """Without WEB_FETCH_ALLOW_PRIVATE, a loopback page (by address or by name) is refused unasked."""
    Services.seen.clear()
    proxy = start_proxy()
    port = services.rsplit(":", 1)[1]
    for url in (f"http://127.0.0.1:{port}/notes.html", f"http://localhost:{port}/notes.html", "file:///etc/passwd"):
        message = sdk(proxy).messages.create(
            model="webfetch", max_tokens=64, messages=[{"role": "user", "content": f"Read {url}"}],
            tools=[{"type": "web_fetch_20250910", "name": "web_fetch"}])
        assert message.content[1].content.type == "web_fetch_tool_result_error"
        assert message.content[1].content.error_code == "url_not_allowed"
    assert Services.seen == []


def test_claude_codes_websearch_answers_from_searxng(tools_proxy, recorded):
    result = run_claude(tools_proxy, "--model", "websearch", "--allowedTools", "WebSearch", "--",
                        "search the web for the swift 6.3 release",
                        env_extra={"ANTHROPIC_SMALL_FAST_MODEL": "websearch"})
    assert result.returncode == 0, result.stderr
    searches = [path for path in Services.seen if path.startswith("/search?")]
    assert searches, f"SearXNG was not asked; Claude Code said: {result.stdout[-500:]}"
    assert "The tool said:" in result.stdout
    assert "swift.org" in result.stdout or "Swift 6.3" in result.stdout
    # Claude Code's WebSearch sent its own request declaring only the server tool, which the
    # proxy gave the model as a function; the search's result went back as a tool result.
    sent = [r["body"] for r in recorded if r["path"].endswith("/chat/completions")]
    searching = [body for body in sent if [t["function"]["name"] for t in body.get("tools", [])] == ["web_search"]]
    assert searching, [sorted(t["function"]["name"] for t in body.get("tools", [])) for body in sent]
    assert any(m["role"] == "tool" and "embedded Swift improvements" in m["content"] for body in searching for m in body["messages"])
