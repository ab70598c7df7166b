"""GET /metrics read by the official Prometheus client's parser."""
import urllib.request

import anthropic
from prometheus_client.parser import text_string_to_metric_families


def scrape(proxy):
    with urllib.request.urlopen(f"{proxy}/metrics") as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_prometheus_client_parses_the_scrape(proxy):
    client = anthropic.Anthropic(base_url=proxy, api_key="sk-metrics", max_retries=0)
    before = scrape(proxy)
    client.messages.create(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    with client.messages.stream(model="text", max_tokens=8, messages=[{"role": "user", "content": "x"}]) as stream:
        stream.get_final_message()
    try:
        client.messages.create(model="status-400", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    except anthropic.BadRequestError:
        pass
    after = scrape(proxy)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # prometheus_client names counter samples `<family>_total` and histogram ones `_bucket`, `_count`, `_sum`.
    assert grew("chutes_proxy_requests_total", endpoint="messages", status="200", model="text") == 2
    assert grew("chutes_proxy_requests_total", endpoint="messages", status="400", model="status-400") == 1
    assert grew("chutes_proxy_output_tokens_total", model="text") == 10
    assert grew("chutes_proxy_input_tokens_total", model="text") == 42
    assert grew("chutes_proxy_upstream_latency_seconds_count", model="text") == 2
    assert grew("chutes_proxy_time_to_first_token_seconds_count", model="text") == 1
    assert value(after, "chutes_proxy_time_to_first_token_seconds_bucket", model="text", le="+Inf") >= 1
    assert value(after, "chutes_proxy_active_streams") == 0
    assert value(after, "chutes_proxy_active_connections") >= 1
    assert value(after, "chutes_proxy_upstream_connections") >= 1
    assert ("chutes_proxy_upstream_429_retries_total", ()) in after
