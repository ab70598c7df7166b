import os
import re
import subprocess

import pytest

import h2_front as h2_front_module
import upstream as scripted

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("PROXY_BINARY", os.path.join(ROOT, ".build", "debug", "claude-chutes-proxy"))


@pytest.fixture(scope="session")
def upstream():
    server = scripted.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def h2_front(upstream):
    """With E2E_UPSTREAM=h2: nginx serving h2 over TLS in front of the scripted upstream
    (Tests/e2e/h2_front.py); otherwise None."""
    if not h2_front_module.enabled():
        yield None
        return
    front = h2_front_module.H2Front(upstream.server_address[1])
    yield front
    requests = front.requests()
    front.stop()
    # Every request the proxies made reached nginx over HTTP/2, and they shared connections.
    assert requests, "no request reached the h2 front"
    assert all(protocol == "HTTP/2.0" for _, protocol, _, _ in requests), "a request to the h2 front was not HTTP/2"
    assert len({connection for connection, _, _, _ in requests}) < len(requests), "h2 requests did not share connections"


def upstream_settings(upstream, front):
    """The settings that point a proxy at the upstream: the scripted one, or the h2 front."""
    if front is None:
        return {"CHUTES_BASE_URL": f"http://127.0.0.1:{upstream.server_address[1]}"}
    return {"CHUTES_BASE_URL": front.base_url, "CHUTES_CA_FILE": front.ca_file}


proxy_url_pid = {}


@pytest.fixture
def proxy_pid(proxy):
    return proxy_url_pid[proxy]


@pytest.fixture
def pid_of():
    """The process id of a proxy by its URL, for one `proxy` or `start_proxy` started."""
    return proxy_url_pid.__getitem__


@pytest.fixture(scope="session")
def proxy(upstream, h2_front):
    """The real proxy binary on a free port, pointed at the scripted upstream (through the h2
    front with E2E_UPSTREAM=h2)."""
    env = dict(os.environ, **upstream_settings(upstream, h2_front),
               HOST="127.0.0.1", PORT="0", CHUTES_AUTH_STYLE="both", PROXY_MAX_RETRY_ON_429="0")
    process = subprocess.Popen([BINARY], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on [^ ]+:(\d+)", line)
    assert match, f"proxy did not start: {line}"
    proxy_url = f"http://127.0.0.1:{match.group(1)}"
    proxy_url_pid[proxy_url] = process.pid
    yield proxy_url
    process.terminate()
    assert process.wait(timeout=15) == 0, "the proxy must exit cleanly on SIGTERM"


@pytest.fixture
def recorded():
    scripted.requests.clear()
    return scripted.requests


@pytest.fixture
def start_proxy(upstream, h2_front):
    """Starts proxy processes with extra settings: start_proxy(stderr=file, NAME=value, ...)
    returns its URL; each is stopped with SIGTERM (and must exit 0) after the test."""
    processes = []

    def start(stderr=subprocess.DEVNULL, **settings):
        env = dict(os.environ, **{**upstream_settings(upstream, h2_front), **settings},
                   HOST="127.0.0.1", PORT="0", PROXY_MAX_RETRY_ON_429="0")
        process = subprocess.Popen([BINARY], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        processes.append(process)
        match = re.search(r"listening on [^ ]+:(\d+)", process.stdout.readline())
        assert match, "proxy did not start"
        url = f"http://127.0.0.1:{match.group(1)}"
        proxy_url_pid[url] = process.pid
        return url

    yield start
    for process in processes:
        process.terminate()
        assert process.wait(timeout=15) == 0, "the proxy must exit cleanly on SIGTERM"
