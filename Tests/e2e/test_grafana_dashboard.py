"""deploy/grafana's dashboard: a dashboard Grafana can import, and every query in it names a
series the proxy serves, read from a running proxy's /metrics after traffic that makes every
series (per-model series only appear once a model was asked for)."""
import json
import os
import re
import urllib.request

import anthropic
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "claude-chutes-proxy.json")
PANEL_TYPES = {"row", "timeseries", "stat", "gauge", "bargauge", "state-timeline", "table", "heatmap", "text"}
# PromQL's own words: aggregations, functions and keywords, never metric names.
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
    "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "clamp", "clamp_min", "clamp_max",
    "abs", "ceil", "floor", "round", "sort", "sort_desc", "time", "vector", "scalar", "label_replace", "label_join",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "last_over_time",
    "changes", "resets", "absent", "and", "or", "unless", "offset", "bool",
}


def dashboard():
    with open(DASHBOARD, encoding="utf-8") as file:
        return json.load(file)


def queries(board):
    """(panel title, expr) of every query, panels inside collapsed rows too."""
    result = []
    for panel in board["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                result.append((inner["title"], target["expr"]))
    return result


def metric_names(expr):
    """The metric names a PromQL expression selects: what is left once strings, label matchers,
    ranges, grouping clauses, Grafana variables, numbers and PromQL's own words are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\$\{?\w+\}?", "", text)
    return set(re.findall(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text)) - PROMQL_WORDS


def test_metric_names_are_read_out_of_promql():
    expr = ('histogram_quantile(0.99, sum by (le, model) (rate(a_seconds_bucket{status!~"5..", x="rate(b)"}[$__rate_interval])))'
            ' / clamp_min(sum without (instance) (c_total offset 5m), 1e-9) > bool 0')
    assert metric_names(expr) == {"a_seconds_bucket", "c_total"}


def test_the_dashboard_has_grafanas_shape():
    board = dashboard()
    assert board["title"] and board["uid"] and isinstance(board["schemaVersion"], int)
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    cells = set()
    for panel in board["panels"]:
        assert panel["type"] in PANEL_TYPES, panel["type"]
        position = panel["gridPos"]
        assert all(isinstance(position[key], int) for key in "xywh"), panel["title"]
        assert position["x"] >= 0 and position["w"] > 0 and position["x"] + position["w"] <= 24 and position["h"] > 0, panel["title"]
        for x in range(position["x"], position["x"] + position["w"]):
            for y in range(position["y"], position["y"] + position["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps another panel"
                cells.add((x, y))
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        references = [target["refId"] for target in panel["targets"]]
        assert len(references) == len(set(references)), panel["title"]
        assert all(target["expr"].strip() for target in panel["targets"]), panel["title"]
    for title, expr in queries(board):
        if "histogram_quantile" in expr:
            assert re.search(r"_bucket\b", expr) and re.search(r"\ble\b", expr), f"{title}: {expr}"


@pytest.fixture
def scraped_names(start_proxy):
    """The sample names of a proxy's /metrics after a fallback (the first model full, the breaker
    opening at once), a streamed and a whole answer, an error, and a web search (no provider set:
    counted as unavailable)."""
    proxy = start_proxy(MODEL_MAP='{"claude-*": ["full", "text"]}', BREAKER_FAILURES="1")
    client = anthropic.Anthropic(base_url=proxy, api_key="sk-dashboard", max_retries=0)
    message = [{"role": "user", "content": "x"}]
    client.messages.create(model="claude-dashboard", max_tokens=8, messages=message)
    with client.messages.stream(model="claude-dashboard", max_tokens=8, messages=message) as stream:
        stream.get_final_message()
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="status-400", max_tokens=8, messages=message)
    client.messages.create(model="websearch", max_tokens=8, messages=message, tools=[{"type": "web_search_20250305", "name": "web_search"}])
    with urllib.request.urlopen(f"{proxy}/metrics") as response:
        text = response.read().decode()
    return {re.split(r"[{ ]", line, maxsplit=1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_every_query_names_a_series_the_proxy_serves(scraped_names):
    unknown = [f"{title}: {sorted(metric_names(expr) - scraped_names)} in {expr}"
               for title, expr in queries(dashboard()) if not metric_names(expr) <= scraped_names]
    assert not unknown, "\n".join(unknown)
    assert all(metric_names(expr) for _, expr in queries(dashboard())), "a query without a metric"


def test_every_series_the_proxy_serves_has_a_panel(scraped_names):
    families = {re.sub(r"_(bucket|sum|count)$", "", name) for name in scraped_names}
    used = {re.sub(r"_(bucket|sum|count)$", "", name) for _, expr in queries(dashboard()) for name in metric_names(expr)}
    assert families <= used, f"no panel shows {sorted(families - used)}"
