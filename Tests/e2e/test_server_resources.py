"""The proxy process's own descriptors, counted in /proc: connections leave nothing behind."""
import os
import socket

from polling import wait_for


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_many_connections_leak_no_descriptor(proxy, proxy_pid):
    host, port = proxy.removeprefix("http://").split(":")
    baseline = open_descriptors(proxy_pid)
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
