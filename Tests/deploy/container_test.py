"""Builds the real Dockerfile with podman on local stand-ins for its base images, runs the
image against a scripted upstream on the host and checks it the way an operator would.

Stand-ins (no registry can be pulled from here): Debian bookworm made by
`debootstrap --variant=minbase`, imported with `podman import`; the builder stand-in gets the
machine's Swift toolchain (/opt/swift) and package mirrors (/opt/swift-packages) bind-mounted
by `podman build -v`, and git's url.insteadOf rules that point github.com at the mirrors.
Both rootfs trees and images are cached (CONTAINER_TEST_CACHE, default
/var/tmp/claude-chutes-proxy-container), so a second run rebuilds only what changed.

`--build-only` makes the stand-ins and builds the image, nothing more (scripts/test builds
ahead in the background this way; the test's own build then finds every layer cached).

Prints `N passed, N failed` and the figures; exits 0 when every check passed. When podman
cannot run here it says why and exits 0 (SKIPPED), or 1 when CI is set: CI must run it.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "Tests", "e2e")]
import client  # noqa: E402
import unavailable  # noqa: E402
import upstream as scripted  # noqa: E402

CACHE = os.environ.get("CONTAINER_TEST_CACHE", "/var/tmp/claude-chutes-proxy-container")
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Bump when a stand-in's recipe changes, so cached trees (RECIPE) or images (IMAGE_RECIPE)
# are made anew.
RECIPE = "1"
IMAGE_RECIPE = "2"
BUILDER = f"localhost/ccp-standin-swift:bookworm-{IMAGE_RECIPE}"
RUNTIME = f"localhost/ccp-standin-debian:bookworm-slim-{IMAGE_RECIPE}"
# What makes debian:bookworm-slim slim (debuerreotype's --slimify): dpkg leaves out docs,
# manuals and locales, and apt deletes what it downloaded.
SLIM_DPKG = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
DOCKER_CLEAN_APT = """DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""
IMAGE = "localhost/claude-chutes-proxy:container-test"
# What the official swift:6.3-bookworm image brings that building this package needs (less
# libssl-dev and libnghttp2-dev, which the Dockerfile installs itself).
BUILDER_PACKAGES = ("git,ca-certificates,binutils,libc6-dev,libgcc-12-dev,libstdc++-12-dev,libcurl4,"
                    "libxml2,libsqlite3-0,libncurses6,libedit2,zlib1g-dev,libicu72")
VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()
GRACE_PERIOD = 20   # SHUTDOWN_GRACE_PERIOD in the container, in seconds
# The drain must end with the stream in flight, not wait out the grace period: the container
# is gone within DRAIN_BOUND s of the stream's last byte (podman's own stop and wait included).
DRAIN_BOUND = 5

results = []
figures = {}


def podman(*arguments, check=True, capture=True, **options):
    command = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs", *arguments]
    completed = subprocess.run(command, text=True, capture_output=capture, **options)
    if check and completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])}... exited {completed.returncode}: {(completed.stderr or '')[-2000:]}")
    return completed


def record(name, ok, detail=""):
    results.append((name, ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def timed(label, function):
    start = time.monotonic()
    value = function()
    figures[f"{label} (s)"] = round(time.monotonic() - start, 1)
    return value


def podman_usable():
    """None when podman can run a container here, else why not."""
    for tool in ("podman", "runc", "debootstrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/install-deps --test installs it)"
    os.makedirs(CACHE, exist_ok=True)
    os.environ["CONTAINERS_CONF"] = os.path.join(CACHE, "containers.conf")
    with open(os.environ["CONTAINERS_CONF"], "w") as conf:
        # This sandbox refuses the default rlimits podman sets.
        conf.write("[containers]\ndefault_ulimits = []\n")
    try:
        podman("info", timeout=60)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        return f"podman cannot run here: {error}"
    return None


def rootfs(name, include):
    """A debootstrapped bookworm tree, made once and kept in the cache."""
    tree = os.path.join(CACHE, f"rootfs-{name}-{RECIPE}")
    if os.path.exists(os.path.join(tree, ".complete")):
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    command = ["debootstrap", "--variant=minbase"] + ([f"--include={include}"] if include else []) + ["bookworm", tree, MIRROR]
    completed = subprocess.run(command, text=True, capture_output=True)
    if completed.returncode != 0:
        raise RuntimeError(f"debootstrap failed: {completed.stdout[-1500:]}{completed.stderr[-1500:]}")
    # Like the official slim image: no package lists, downloaded archives, docs or locales.
    for path in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
                 "usr/share/locale", "usr/share/info"):
        shutil.rmtree(os.path.join(tree, path), ignore_errors=True)
        os.makedirs(os.path.join(tree, path), exist_ok=True)
    open(os.path.join(tree, ".complete"), "w").close()
    return tree


def import_image(tree, tag, changes):
    if podman("image", "exists", tag, check=False).returncode == 0:
        return
    tar = subprocess.Popen(["tar", "-C", tree, "--exclude=./.complete", "-c", "."], stdout=subprocess.PIPE)
    arguments = ["import"] + [f"--change={change}" for change in changes] + ["-", tag]
    podman(*arguments, stdin=tar.stdout)
    tar.wait()


def make_standins():
    runtime_tree = rootfs("runtime", None)
    with open(os.path.join(runtime_tree, "etc", "dpkg", "dpkg.cfg.d", "docker-slim"), "w") as file:
        file.write(SLIM_DPKG)
    with open(os.path.join(runtime_tree, "etc", "apt", "apt.conf.d", "docker-clean"), "w") as file:
        file.write(DOCKER_CLEAN_APT)
    import_image(runtime_tree, RUNTIME, ["CMD /bin/bash"])
    builder_tree = rootfs("builder", BUILDER_PACKAGES)
    # git reads github.com package URLs from the mirrors, as on the host.
    rules = subprocess.run(["git", "config", "--system", "--get-regexp", r"^url\."], text=True, capture_output=True).stdout
    with open(os.path.join(builder_tree, "etc", "gitconfig"), "w") as config:
        config.write("[safe]\n\tdirectory = *\n")
        for line in rules.splitlines():
            key, value = line.split(" ", 1)
            base = key[len("url."):-len(".insteadof")]
            config.write(f'[url "{base}"]\n\tinsteadOf = {value}\n')
    import_image(builder_tree, BUILDER, [
        "ENV PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "CMD /bin/bash",
    ])


def build_image():
    podman("build", "--format", "docker", "--network", "host",
           "-v", "/opt/swift:/opt/swift:ro", "-v", "/opt/swift-packages:/opt/swift-packages:ro",
           "--build-arg", f"SWIFT_IMAGE={BUILDER}", "--build-arg", f"RUNTIME_IMAGE={RUNTIME}",
           "--build-arg", f"VERSION={VERSION}", "-t", IMAGE, ROOT)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def run_checks():
    inspect = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    config = inspect["Config"]
    figures["image size (MB)"] = round(inspect["Size"] / 1e6, 1)
    labels = config.get("Labels") or {}
    record("OCI version label equals VERSION", labels.get("org.opencontainers.image.version") == VERSION,
           str(labels.get("org.opencontainers.image.version")))
    record("image declares a non-root user", config.get("User", "") not in ("", "root", "0", "0:0"), config.get("User", ""))
    record("image exposes 8080 and stops with SIGTERM",
           "8080/tcp" in (config.get("ExposedPorts") or {}) and config.get("StopSignal") == "SIGTERM")
    check = inspect.get("Healthcheck") or config.get("Healthcheck") or {}
    record("image has a HEALTHCHECK without curl", check.get("Test") == ["CMD", "claude-chutes-proxy", "healthcheck"], str(check.get("Test")))
    version = podman("run", "--rm", IMAGE, "--version", check=False)
    record("--version in the container equals VERSION", version.stdout.strip() == VERSION, version.stdout.strip())

    upstream = scripted.start()
    port = free_port()
    name = f"ccp-container-test-{os.getpid()}"
    podman("run", "-d", "--name", name, "--network", "host", "--read-only",
           "-e", "HOST=127.0.0.1", "-e", f"PORT={port}", "-e", f"SHUTDOWN_GRACE_PERIOD={GRACE_PERIOD}",
           "-e", f"CHUTES_BASE_URL=http://127.0.0.1:{upstream.server_address[1]}", IMAGE)
    try:
        started = time.monotonic()
        healthy = client.wait_until(lambda: client.get(port, "/health")[0] == 200, timeout=30)
        figures["container start to /health 200 (s)"] = round(time.monotonic() - started, 2)
        record("/health answers 200 (read-only root filesystem)", healthy)
        record("/ready answers 200", client.get(port, "/ready")[0] == 200)
        ok, detail = client.message(port, "text", stream=True)
        record("a streamed /v1/messages completes", ok, detail)
        ok, detail = client.message(port, "text", stream=False)
        record("a plain /v1/messages completes", ok, detail)
        health = podman("healthcheck", "run", name, check=False)
        record("podman healthcheck run (the image's HEALTHCHECK) passes", health.returncode == 0, (health.stdout + health.stderr).strip())
        pid = int(podman("inspect", "--format", "{{.State.Pid}}", name).stdout.strip())
        with open(f"/proc/{pid}/status") as status:
            uid = next(line.split()[1] for line in status if line.startswith("Uid:"))
        record("the proxy runs as a non-root user", uid != "0", f"uid {uid}")
        # Idle: a few requests served, then nothing for a moment.
        time.sleep(1)
        figures["container idle memory, proxy RSS (MB)"] = round(rss_kib(pid) / 1024, 1)
        stats = podman("stats", "--no-stream", "--format", "{{.MemUsage}}", name, check=False)
        if stats.returncode == 0 and stats.stdout.strip():
            figures["container idle memory, podman stats"] = stats.stdout.strip()

        # SIGTERM while a stream is in flight: the stream completes, then exit 0.
        outcome = {}

        def stream_and_time():
            outcome["result"] = client.message(port, "slow-20-100", stream=True)
            outcome["ended"] = time.monotonic()

        stream = threading.Thread(target=stream_and_time)
        stream.start()
        time.sleep(0.5)   # the stream is under way (20 deltas, 100 ms apart)
        terminated = time.monotonic()
        podman("kill", "--signal", "TERM", name)
        exit_code = podman("wait", name).stdout.strip()
        exited = time.monotonic()
        figures["SIGTERM to exit with a stream in flight (s)"] = round(exited - terminated, 2)
        stream.join(timeout=30)
        ok, detail = outcome.get("result", (False, "no answer"))
        record("a stream in flight at SIGTERM completes", ok, detail)
        record("SIGTERM drains and the container exits 0", exit_code == "0", f"exit {exit_code}")
        if "ended" in outcome:
            after_stream = exited - outcome["ended"]
            figures["stream's end to exit (s)"] = round(after_stream, 2)
            record(f"the drain ends with the stream: exit within {DRAIN_BOUND} s of its end (grace period {GRACE_PERIOD} s)",
                   after_stream < DRAIN_BOUND and exited - terminated < GRACE_PERIOD,
                   f"{after_stream:.1f} s after the stream, {exited - terminated:.1f} s after SIGTERM")
        else:
            record("the drain ends with the stream", False, "the stream did not end")
    finally:
        podman("rm", "-f", name, check=False)
        upstream.shutdown()


def main():
    reason = podman_usable()
    if reason:
        return unavailable.cannot_run("the container test", f"it needs podman: {reason}")
    build_only = "--build-only" in sys.argv[1:]
    try:
        timed("stand-in base images", make_standins)
        timed("image build", build_image)
        if build_only:
            print(f"image built in {figures['image build (s)']} s")
            return 0
        run_checks()
    except Exception as error:  # a failed step is a failed check, with its reason
        record("container test ran to the end", False, str(error))
    for key, value in figures.items():
        print(f"  {key}: {value}")
    failed = sum(1 for _, ok in results if not ok)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
