"""The proxy process's own resources, counted in /proc: connections leave no descriptor
behind, and freed memory goes back to the system."""
import http.client
import json
import os
import socket
import threading
import time

import load_support
from polling import wait_for


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_many_connections_leak_no_descriptor(proxy, proxy_pid):
    host, port = proxy.removeprefix("http://").split(":")
    # The executable opens a few descriptors after its listening line (libdispatch's signalfds
    # and timerfds, some once its queues are first busy): counted at once, a shared proxy that
    # had just started read 11 before and 14 after. So one request first, then a settled count.
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
    baseline = load_support.settled_descriptors(proxy_pid)
    for index in range(300):
        with socket.create_connection((host, int(port))) as connection:
            if index % 3 == 0:
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert connection.recv(4096).startswith(b"HTTP/1.1 200")
            elif index % 3 == 1:
                connection.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
            # else: connect and leave without a byte
    assert wait_for(lambda: open_descriptors(proxy_pid) <= baseline + 2), \
        f"{open_descriptors(proxy_pid)} descriptors open, {baseline} before"


def resident_mb(pid):
    return load_support.resident_kb(pid) / 1024


def burst(host, port, pid):
    """16 clients at once, each sending two 1 MB count_tokens requests on one connection.
    Returns the statuses (or errors) the clients got and the peak resident memory, sampled
    while they ran: the trimmer may already give memory back during the burst, so a reading
    after it would miss the peak."""
    messages = [{"role": "user", "content": [{"type": "text", "text": f"message {index} with a few words"}]} for index in range(12000)]
    body = json.dumps({"model": "claude-x", "messages": messages}).encode()
    outcomes = []

    def send():
        try:
            connection = http.client.HTTPConnection(host, port, timeout=60)
            for _ in range(2):
                connection.request("POST", "/v1/messages/count_tokens", body, {"content-type": "application/json", "x-api-key": "k"})
                response = connection.getresponse()
                response.read()
                outcomes.append(response.status)
            connection.close()
        except Exception as error:  # reported by the test, in its own thread
            outcomes.append(repr(error))

    threads = [threading.Thread(target=send) for _ in range(16)]
    peak = resident_mb(pid)
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, resident_mb(pid))
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    return outcomes, peak


def settled_mb(pid, quiet=5.5, timeout=20.0):
    """Resident memory once it has not changed for `quiet` s (longer than two of the trimmer's
    2 s ticks and their leeway: it trims at the first tick after the heap stopped moving), within
    `timeout` s."""
    deadline = time.monotonic() + timeout
    level, since = resident_mb(pid), time.monotonic()
    while time.monotonic() < deadline:
        now = resident_mb(pid)
        if abs(now - level) > 0.1:
            level, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return level
        time.sleep(0.05)
    raise AssertionError(f"resident memory still moving after {timeout} s ({level:.1f} MB)")


def test_freed_heap_memory_goes_back_to_the_system(start_proxy, pid_of):
    """After a burst of large requests, resident memory falls back near where it was: the
    binary trims malloc's free memory once the heap has moved and then stopped moving
    (HeapTrimmer.swift). Without the trimmer glibc kept 6-12 MB of freed memory
    after such a burst (measured with the same burst on a release build).

    A proxy of its own, warmed up by a first burst: a fresh process keeps about 3 MB of that
    first burst for good (runtime caches), and a shared one carries what earlier tests left, so
    measuring from either made the outcome depend on the test order. Two bursts of 10-20 s
    each on a debug build."""
    url = start_proxy()
    pid = pid_of(url)
    host, port = url.removeprefix("http://").split(":")
    outcomes, _ = burst(host, int(port), pid)
    assert outcomes == [200] * 32, f"warm-up burst: {outcomes}"
    before = settled_mb(pid)

    outcomes, peak = burst(host, int(port), pid)
    assert outcomes == [200] * 32, f"measured burst: {outcomes}"
    # The burst must raise memory for its fall to mean anything (about +28 MB measured on
    # a debug build: 32 one-megabyte bodies and their parsed messages).
    assert peak >= before + 10, f"the burst raised resident memory only from {before:.1f} to {peak:.1f} MB"
    # At most 3 MB of the burst may stay. Measured with two CPU hogs beside it: the trimmer's
    # rule before (free bytes grown by 1 MiB) missed bursts' tails and kept up to 6.5 MB in 11
    # runs, 5 to 13 MB in 4 of 12 with one malloc arena (this test failed CI twice); the rule
    # now 0.5 MB at most in 9 runs.
    allowed = before + 3.0
    assert wait_for(lambda: resident_mb(pid) <= allowed, timeout=15.0), \
        f"resident memory {resident_mb(pid):.1f} MB (at most {allowed:.1f} allowed), {before:.1f} MB before the burst, {peak:.1f} MB at its peak"
