"""PROXY_API_KEYS: the SDK with a wrong key is refused before the upstream hears of it.
PROXY_KEYS_FILE: named keys' limits as the SDK sees them, and a reload on SIGHUP."""
import json
import os
import signal
import subprocess
import time

import anthropic
import pytest

from conftest import BINARY
from polling import wait_for

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


def test_named_keys_limits_reach_the_sdk_and_sighup_reloads_the_keys(start_proxy, pid_of, recorded, tmp_path):
    """PROXY_KEYS_FILE: the SDK sees Anthropic's rate-limit headers and a RateLimitError;
    SIGHUP to the real process swaps the keys (PROXY_KEYS_RELOAD_INTERVAL=0: no polling)."""
    if time.time() % 60 > 50:  # one minute's window for the whole test
        time.sleep(61 - time.time() % 60)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([{"name": "alice", "key": "team-key-alice-0001", "requests_per_minute": 1}]))
    url = start_proxy(PROXY_KEYS_FILE=str(keys), PROXY_KEYS_RELOAD_INTERVAL="0", CHUTES_API_KEY=UPSTREAM_KEY)
    alice = anthropic.Anthropic(base_url=url, api_key="team-key-alice-0001", max_retries=0)
    ask = {"model": "text", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}]}
    first = alice.messages.with_raw_response.create(**ask)
    assert first.headers["anthropic-ratelimit-requests-limit"] == "1"
    assert first.headers["anthropic-ratelimit-requests-remaining"] == "0"
    with pytest.raises(anthropic.RateLimitError) as raised:
        alice.messages.create(**ask)
    assert raised.value.body["error"]["type"] == "rate_limit_error"
    assert 1 <= int(raised.value.response.headers["retry-after"]) <= 60

    keys.write_text(json.dumps([{"name": "bob", "key": "team-key-bob-0002"}]))
    os.kill(pid_of(url), signal.SIGHUP)
    bob = anthropic.Anthropic(base_url=url, api_key="team-key-bob-0002", max_retries=0)

    def bob_is_let_in():
        try:
            bob.messages.create(**ask)
            return True
        except anthropic.AuthenticationError:
            return False

    assert wait_for(bob_is_let_in)
    with pytest.raises(anthropic.AuthenticationError):
        alice.messages.create(**ask)
