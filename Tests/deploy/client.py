"""Small HTTP helpers the deployment tests share: requests to the proxy with verdicts."""
import http.client
import json
import time


def get(port, path, timeout=5.0, host="127.0.0.1"):
    """(status, body) of a GET, or (None, error text)."""
    try:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body
    except OSError as error:
        return None, str(error)


def wait_until(predicate, timeout=30.0, step=0.05):
    """Polls a condition reached by another process (a server starting); bounded in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def message(port, model, stream, timeout=60.0, host="127.0.0.1"):
    """Sends one /v1/messages request. Returns (ok, detail): ok when the answer is complete:
    200 with the whole text for a plain request; for a stream, every event through
    message_stop with the text of every delta."""
    body = json.dumps({"model": model, "max_tokens": 64, "stream": stream,
                       "messages": [{"role": "user", "content": "hello"}]})
    try:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.request("POST", "/v1/messages", body=body,
                           headers={"Content-Type": "application/json", "x-api-key": "cpk_test"})
        response = connection.getresponse()
        raw = response.read()
        connection.close()
    except (OSError, http.client.HTTPException) as error:
        return False, f"{type(error).__name__}: {error}"
    if response.status != 200:
        return False, f"status {response.status}: {raw[:200]!r}"
    expected = expected_text(model)
    if not stream:
        text = "".join(block.get("text", "") for block in json.loads(raw)["content"])
        return (text == expected, f"text {text!r}")
    events = [line[len("event: "):] for line in raw.decode().splitlines() if line.startswith("event: ")]
    text = ""
    for line in raw.decode().splitlines():
        if line.startswith("data: "):
            data = json.loads(line[len("data: "):])
            if data.get("type") == "content_block_delta":
                text += data["delta"].get("text", "")
    if not events or events[-1] != "message_stop":
        return False, f"stream ended with {events[-3:]}"
    return (text == expected, f"text {text!r}")


def expected_text(model):
    if model.startswith("slow-"):
        return "".join(f"d{i} " for i in range(int(model.split("-")[1])))
    return "Hello from the upstream"
