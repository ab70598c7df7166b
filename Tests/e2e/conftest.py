import os
import re
import subprocess

import pytest

import upstream as scripted

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("PROXY_BINARY", os.path.join(ROOT, ".build", "debug", "claude-chutes-proxy"))


@pytest.fixture(scope="session")
def upstream():
    server = scripted.start()
    yield server
    server.shutdown()


proxy_url_pid = {}


@pytest.fixture
def proxy_pid(proxy):
    return proxy_url_pid[proxy]


@pytest.fixture
def pid_of():
    """The process id of a proxy by its URL, for one `proxy` or `start_proxy` started."""
    return proxy_url_pid.__getitem__


@pytest.fixture(scope="session")
def proxy(upstream):
    """The real proxy binary on a free port, pointed at the scripted upstream."""
    env = dict(os.environ, CHUTES_BASE_URL=f"http://127.0.0.1:{upstream.server_address[1]}",
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
def start_proxy(upstream):
    """Starts proxy processes with extra settings: start_proxy(stderr=file, NAME=value, ...)
    returns its URL; each is stopped with SIGTERM (and must exit 0) after the test."""
    processes = []

    def start(stderr=subprocess.DEVNULL, **settings):
        env = dict(os.environ, CHUTES_BASE_URL=f"http://127.0.0.1:{upstream.server_address[1]}",
                   HOST="127.0.0.1", PORT="0", PROXY_MAX_RETRY_ON_429="0", **settings)
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
