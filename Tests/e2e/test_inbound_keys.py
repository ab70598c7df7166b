"""PROXY_API_KEYS: the SDK with a wrong key is refused before the upstream hears of it."""
import subprocess

import anthropic
import pytest

from conftest import BINARY

UPSTREAM_KEY = "cpk-upstream-e2e-7777"


def test_wrong_keys_never_reach_the_upstream(start_proxy, recorded):
    url = start_proxy(PROXY_API_KEYS="team-key-0001,team-key-0002", CHUTES_API_KEY=UPSTREAM_KEY)
    for key in ["wrong-key", UPSTREAM_KEY, "team-key-000"]:
        client = anthropic.Anthropic(base_url=url, api_key=key, max_retries=0)
        with pytest.raises(anthropic.AuthenticationError) as raised:
            client.messages.create(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}])
        assert raised.value.body["error"]["type"] == "authentication_error"
        assert raised.value.request_id == raised.value.body["request_id"]
    assert recorded == []

    bearer = anthropic.Anthropic(base_url=url, auth_token="team-key-0002", max_retries=0)
    message = bearer.messages.create(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    assert message.content[0].text == "Hello from the upstream"
    completions = [r for r in recorded if r["path"].endswith("/chat/completions")]
    assert [r["headers"]["Authorization"] for r in completions] == [f"Bearer {UPSTREAM_KEY}"]
    assert not any("team-key" in str(r["headers"]) for r in recorded)


def test_start_up_refuses_inbound_keys_without_an_upstream_key():
    env = {"PROXY_API_KEYS": "team-key-0001", "PORT": "0", "HOST": "127.0.0.1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([BINARY], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "PROXY_API_KEYS" in output and "CHUTES_API_KEY" in output
