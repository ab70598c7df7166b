"""10,000 concurrent client connections against the proxy binary: half idle (connected,
silent), half slowloris (a request head trickled a field at a time). Reports the proxy's
memory per connection and checks that:
  - a normal request on a new connection is still answered 200 within 2 s;
  - past MAX_CONNECTIONS a new connection is answered 503 in Anthropic's envelope and closed;
  - once the clients go, the proxy's descriptors return to what they were (nothing leaked).
Exit 0 = pass. The proxy's request timeout (30 s) would end both kinds of connection, so
the measurement is taken within the first seconds.
"""
import json
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_support  # noqa: E402
import upstream as scripted  # noqa: E402

IDLE = 5000
SLOW = 5000
CAP = IDLE + SLOW + 100


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.1)
    return predicate()


def main(binary):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < IDLE + SLOW + 500:
        raise SystemExit(f"the hard descriptor limit ({hard}) is too low for {IDLE + SLOW} connections")
    scripted.RECORD = False
    upstream = scripted.start()
    process, port = load_support.start_proxy(binary, upstream.server_address[1], MAX_CONNECTIONS=str(CAP))
    pid = process.pid
    sockets = []
    try:
        small = json.dumps({"model": "text", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}).encode()
        # Warm the proxy (first request, upstream pool) so the baseline is a serving proxy's.
        with socket.create_connection(("127.0.0.1", port)) as warm:
            warm.sendall(load_support.request_bytes(small))
            while warm.recv(65536):
                pass
        base_kb, base_fds = load_support.resident_kb(pid), load_support.descriptors(pid)
        started = time.monotonic()
        for index in range(IDLE + SLOW):
            connection = socket.create_connection(("127.0.0.1", port))
            if index >= IDLE:
                connection.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n")
            sockets.append(connection)
        opened = time.monotonic() - started
        accepted = wait_until(lambda: load_support.descriptors(pid) >= base_fds + IDLE + SLOW, 20)
        for connection in sockets[IDLE:]:
            connection.sendall(b"X-Slow: 1\r\n")  # the slowloris trickle, one field at a time
        kb, fds = load_support.resident_kb(pid), load_support.descriptors(pid)
        per_connection = (kb - base_kb) * 1024 / (IDLE + SLOW)
        # A normal request, while all of them are held.
        asked = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as normal:
            normal.sendall(load_support.request_bytes(small))
            answer = b""
            while chunk := normal.recv(65536):
                answer += chunk
        normal_seconds = time.monotonic() - asked
        normal_ok = answer.startswith(b"HTTP/1.1 200") and normal_seconds < 2
        # Past the cap: 100 more fit, the rest are refused with 503.
        refused = 0
        extra = []
        for _ in range(150):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            extra.append(connection)
        for connection in extra:
            connection.settimeout(0.5)
            try:
                data = connection.recv(65536)
            except socket.timeout:
                continue
            if data.startswith(b"HTTP/1.1 503") and b'"overloaded_error"' in data:
                refused += 1
        sockets += extra
        cap_ok = refused >= 40
    finally:
        for connection in sockets:
            connection.close()
    released = wait_until(lambda: load_support.descriptors(pid) <= base_fds + 2, 15)
    after_fds = load_support.descriptors(pid)
    process.terminate()
    process.wait(timeout=15)
    upstream.shutdown()
    print(f"{IDLE} idle + {SLOW} slowloris connections opened in {opened:.1f} s, all accepted: {accepted}")
    print(f"proxy: {base_kb / 1024:.1f} MB, {base_fds} fds before; {kb / 1024:.1f} MB, {fds} fds with them held: "
          f"{per_connection / 1024:.1f} KB per connection")
    print(f"normal request while held: {'200' if normal_ok else 'FAILED'} in {normal_seconds * 1000:.0f} ms")
    print(f"past MAX_CONNECTIONS={CAP}: {refused} of 150 extra connections answered 503 overloaded_error")
    print(f"descriptors after the clients left: {after_fds} (before: {base_fds})")
    passed = accepted and normal_ok and cap_ok and released
    print(f"connections verdict: {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.environ["PROXY_BINARY"]))
