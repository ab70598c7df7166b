"""What the soak and connection scripts share: starting the proxy binary, raw HTTP
exchanges over asyncio, and reading the proxy's memory and descriptors from /proc."""
import asyncio
import os
import re
import subprocess
import time


def start_proxy(binary, upstream_port, **environment):
    env = dict(os.environ, CHUTES_BASE_URL=f"http://127.0.0.1:{upstream_port}", HOST="127.0.0.1", PORT="0",
               CHUTES_API_KEY="sk-soak", AUTO_FIX_MODEL_CASE="0", PROXY_BACKOFF_ON_429="0", **environment)
    process = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on [^ ]+:(\d+)", line)
    if not match:
        process.kill()
        raise SystemExit(f"the proxy did not start: {line!r}")
    return process, int(match.group(1))


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settled_descriptors(pid, quiet=2.0, timeout=10.0):
    """The proxy's descriptor count once it has not changed for `quiet` s (within `timeout`):
    the executable opens a few just after its "listening" line."""
    deadline = time.monotonic() + timeout
    count, since = descriptors(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.05)
        now = descriptors(pid)
        if now != count:
            count, since = now, time.monotonic()
    return count


def tcp_sockets(pid):
    """The process's own TCP sockets as (local port, remote port, listening), matched through
    /proc/PID/fd inodes and /proc/PID/net/tcp."""
    inodes = set()
    for entry in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{entry}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    sockets = []
    for table in ("tcp", "tcp6"):
        try:
            lines = open(f"/proc/{pid}/net/{table}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
                sockets.append((local, remote, fields[3] == "0A"))   # st 0A is LISTEN
    return sockets


def client_connections(pid, port):
    """The proxy's accepted client sockets: its TCP sockets whose local port is `port`, less
    the listener."""
    return sum(1 for local, _, listening in tcp_sockets(pid) if local == port and not listening)


def connections_to(pid, port):
    """The proxy's connections to a server on `port` (its upstream), open or pooled."""
    return sum(1 for _, remote, listening in tcp_sockets(pid) if remote == port and not listening)


def request_bytes(body, path="/v1/messages"):
    return (f"POST {path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
            f"x-api-key: sk-soak\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


async def exchange(port, body, read_limit=None, timeout=60):
    """Sends one request; returns (status, body bytes). With read_limit, hangs up after that
    many bytes of the answer (a client leaving mid-stream) and returns status 0."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(request_bytes(body))
        await writer.drain()
        if read_limit is not None:
            await asyncio.wait_for(reader.read(read_limit), timeout)
            return 0, b""
        data = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else -1
    if b"transfer-encoding: chunked" in head.lower():
        rest = dechunk(rest)
    return status, rest


def dechunk(data):
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        body += data[:size]
        data = data[size + 2:]
    return body
