"""Waiting for what the proxy does asynchronously (log lines, closed sockets): bounded polls."""
import time


def wait_for(predicate, timeout=10.0):
    """True as soon as `predicate()` holds, polling every 20 ms; its last value after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
