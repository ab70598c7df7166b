"""A rolling restart loses nothing: three proxy processes behind nginx (the load balancer,
`proxy_next_upstream` on connection errors), under load with streams in flight, restarted one
by one with SIGTERM. Each old process drains (in-flight streams finish) and must exit 0; its
replacement binds the same port. Verdict: zero failed client requests, every stream
complete, and each old process gone within DRAIN_BOUND s of SIGTERM, far under its
SHUTDOWN_GRACE_PERIOD: a drain that waited out the grace period instead of ending with its
last request would lose nothing yet hold every restart for the whole period. Prints
`N passed, N failed` and the figures. Without nginx it is skipped (exit 0), or fails when CI
is set.

PROXY_BINARY picks the binary (default .build/debug/claude-chutes-proxy).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "Tests", "e2e")]
import client  # noqa: E402
import unavailable  # noqa: E402
import upstream as scripted  # noqa: E402

BINARY = os.environ.get("PROXY_BINARY", os.path.join(ROOT, ".build", "debug", "claude-chutes-proxy"))
CLIENTS = 24            # concurrent client loops
STREAM_MODEL = "slow-10-100"   # a stream of 10 deltas, 100 ms apart: about 1 s in flight
GRACE_PERIOD = 20       # SHUTDOWN_GRACE_PERIOD of each proxy, in seconds
# A drain ends with its last stream, about 1 s after SIGTERM; 5 s leaves room for a loaded
# machine and is a quarter of the grace period a drain that missed its end would wait out.
DRAIN_BOUND = 5
NGINX_CONFIG = """
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    upstream proxies {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://proxies;
            proxy_http_version 1.1;
            proxy_buffering off;           # server-sent events pass through as they come
            proxy_read_timeout 60s;
            # A process that stopped accepting refuses the connection: try the next one.
            # Nothing is retried once a request reached a proxy (POST is not idempotent).
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_proxy(port, upstream_port):
    environment = dict(os.environ, HOST="127.0.0.1", PORT=str(port), SHUTDOWN_GRACE_PERIOD=str(GRACE_PERIOD),
                       CHUTES_BASE_URL=f"http://127.0.0.1:{upstream_port}", PROXY_MAX_RETRY_ON_429="0")
    process = subprocess.Popen([BINARY], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    if "listening on" not in line:
        raise RuntimeError(f"proxy on {port} did not start: {line}")
    threading.Thread(target=process.stdout.read, daemon=True).start()   # keep the pipe drained
    return process


def record_exit(process, exited):
    """Waits for `process` to exit (at most the grace period and 10 s); records its exit
    status and when it came in `exited`, or nothing when it did not exit."""
    try:
        exited["code"] = process.wait(timeout=GRACE_PERIOD + 10)
    except subprocess.TimeoutExpired:
        return
    exited["at"] = time.monotonic()


def main():
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        return unavailable.cannot_run("the rolling-restart test", "nginx is not installed (scripts/install-deps --test installs it)")
    nginx_binary = shutil.which("nginx") or "/usr/sbin/nginx"
    directory = tempfile.mkdtemp(prefix="ccp-rolling-")
    upstream = scripted.start()
    upstream_port = upstream.server_address[1]
    ports = [free_port() for _ in range(3)]
    processes = {port: start_proxy(port, upstream_port) for port in ports}
    balancer_port = free_port()
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=0;" for port in ports)
    with open(os.path.join(directory, "nginx.conf"), "w") as config:
        config.write(NGINX_CONFIG.format(directory=directory, servers=servers, port=balancer_port))
    nginx = subprocess.Popen([nginx_binary, "-c", os.path.join(directory, "nginx.conf"), "-p", directory],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    results, checks, figures = [], [], {}
    lock = threading.Lock()
    stop = threading.Event()

    def load(index):
        stream = index % 2 == 0   # half the clients stream, half send plain requests
        while not stop.is_set():
            ok, detail = client.message(balancer_port, STREAM_MODEL if stream else "text", stream=stream, timeout=60)
            with lock:
                results.append((stream, ok, detail))

    try:
        if not client.wait_until(lambda: client.get(balancer_port, "/health")[0] == 200, timeout=10):
            raise RuntimeError(f"nginx did not start: {nginx.stderr.read() if nginx.poll() is not None else ''}")
        workers = [threading.Thread(target=load, args=(index,)) for index in range(CLIENTS)]
        for worker in workers:
            worker.start()
        time.sleep(2)   # under load, streams in flight on every process
        restart_started = time.monotonic()
        for port in ports:
            old = processes[port]
            old.send_signal(signal.SIGTERM)
            terminated = time.monotonic()
            exited = {}
            waiter = threading.Thread(target=record_exit, args=(old, exited))   # the replacement starts meanwhile
            waiter.start()
            # The old process closes its listener at once and drains; the new one binds the port.
            replacement = None
            deadline = time.monotonic() + 10
            while replacement is None:
                try:
                    replacement = start_proxy(port, upstream_port)
                except RuntimeError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            processes[port] = replacement
            waiter.join()
            code = exited.get("code")
            drain = exited["at"] - terminated if "at" in exited else None
            figures.setdefault("drain, SIGTERM to exit (s)", []).append(None if drain is None else round(drain, 2))
            checks.append((f"process on {port} drained and exited 0 on SIGTERM", code == 0, f"exit {code}"))
            checks.append((f"process on {port} was gone within {DRAIN_BOUND} s of SIGTERM (grace period {GRACE_PERIOD} s)",
                           drain is not None and drain < DRAIN_BOUND, f"{drain:.1f} s" if drain is not None else "did not exit"))
            checks.append((f"its replacement on {port} is ready", client.get(port, "/ready")[0] == 200, ""))
            time.sleep(1)   # load on the new set before the next restart
        figures["rolling restart of 3 processes (s)"] = round(time.monotonic() - restart_started, 1)
        time.sleep(1)
        stop.set()
        for worker in workers:
            worker.join(timeout=90)
    finally:
        stop.set()
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        upstream.shutdown()
        shutil.rmtree(directory, ignore_errors=True)

    streams = [r for r in results if r[0]]
    failures = [r for r in results if not r[1]]
    figures["client requests sent"] = len(results)
    figures["of which streams"] = len(streams)
    figures["streams complete"] = sum(1 for r in streams if r[1])
    figures["failed client requests"] = len(failures)
    checks.append(("zero failed client requests", not failures, "; ".join(sorted({r[2] for r in failures}))[:500]))
    checks.append(("every stream complete (message_stop and all the text)", all(r[1] for r in streams) and streams, ""))
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    failed = sum(1 for _, ok, _ in checks if not ok)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
