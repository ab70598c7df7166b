"""The proxy binary's own log: JSON lines, one access line per request, no key anywhere."""
import json

import anthropic
import urllib.request
import pytest

from polling import wait_for

KEY = "sk-e2e-secret-key-5151-zyxw"


@pytest.fixture
def logged_proxy(start_proxy, tmp_path):
    log_path = tmp_path / "proxy.log"
    with open(log_path, "w") as log:
        url = start_proxy(stderr=log, CHUTES_AUTH_STYLE="both", LOG_FORMAT="json", DEBUG_PROXY="1")
    return url, log_path


def access_lines(log_path):
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("message") == "request"]


def test_json_access_lines_and_no_key(logged_proxy):
    url, log_path = logged_proxy
    client = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0)
    message = client.messages.create(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    with client.messages.stream(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}]) as stream:
        stream.get_final_message()
        streamed_id = stream.request_id
    with pytest.raises(anthropic.APIStatusError) as raised:
        client.messages.create(model="status-500", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    urllib.request.urlopen(urllib.request.Request(f"{url}/v1/models", headers={"Authorization": f"Bearer {KEY}"})).read()

    assert wait_for(lambda: len(access_lines(log_path)) >= 4)
    by_id = {line["request_id"]: line for line in access_lines(log_path)}
    first = by_id[message._request_id]
    assert first["method"] == "POST" and first["path"] == "/v1/messages" and first["status"] == 200
    assert first["model"] == "text" and first["upstream_model"] == "text" and first["upstream_status"] == 200
    assert first["output_tokens"] == 5 and first["input_tokens"] > 0
    assert first["client"].startswith("127.0.0.1:")
    assert 0 <= first["ttfb_ms"] <= first["duration_ms"]
    assert by_id[streamed_id]["stream"] is True
    assert by_id[raised.value.request_id]["status"] == 500
    assert by_id[raised.value.request_id]["upstream_status"] == 500
    text = log_path.read_text()
    assert KEY not in text and "5151" not in text
    assert "authorization" not in text.lower() and "bearer" not in text.lower()
