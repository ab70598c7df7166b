"""Soak: mixed load against the proxy binary for N minutes; resident memory and descriptors
must stay flat after warm-up and every answer must be the expected one.

Mix (16 clients looping): small requests, 50 KB requests, 1,000-delta streams, clients that
hang up mid-stream, upstream 429s and 500s (answered as Anthropic errors). Samples the
proxy's VmRSS and open descriptors every 2 s.

Verdict (exit 0 = pass):
  - memory: after warm-up (the first third of the run, at least 30 s) the median of the
    last third of samples (every 2 s) is within MEMORY_DRIFT (6 %) of the median of the
    first post-warm-up third;
  - descriptors: every sample within what the load in flight can hold (idle + 3 per
    client: its connection, an upstream one, a pooled one), and once the load stops no
    client connection is left, at most one pooled upstream connection per client, and the
    proxy's other descriptors are the idle ones plus the OPENED_ONCE (3) it opens once;
  - zero unexpected answers (a wrong status, a stream without message_stop, an error body
    not in Anthropic's envelope, a connection error);
  - zero errors at the scripted upstream other than a client's hang-up (a broken pipe or
    reset): a request the proxy sent that the upstream could not handle fails the soak even
    when the client's answer looked right.
"""
import asyncio
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_support  # noqa: E402
import upstream as scripted  # noqa: E402

CLIENTS = 16
SAMPLE_INTERVAL = 2     # seconds between samples: enough of them for each third's median
# The median of the last third of post-warm-up samples may exceed the first third's by this
# much. Five 2-minute soaks of the debug build here drifted by -3.5, +0.6, +2.0, +2.7 and
# +3.1 % (the heap trimmer's saw-tooth, about 2.5 MB, is the noise; the README's 10-minute
# release soak, +4.7 %); 6 % is about 1.6 MB, and a leak of 1 KB per request drifted +7.1 %.
# It used to be 10 %.
MEMORY_DRIFT = 0.06
# Descriptors the proxy may open once, after the idle count is read: libdispatch's signalfds
# and timerfds for the executable's dispatch sources (the SIGTERM and SIGINT handlers and the
# heap trimmer's timer, made just after the "listening" line; some only once its queues are
# first busy). The idle count is read once the count has settled (`load_support.settled_descriptors`),
# after those; read at once it was 14 on an idle machine and 11 on a busy one, where a run
# then failed with 15 of the proxy's own after the load (the settled idle count here is 15:
# three signalfds come after the "listening" line).
OPENED_ONCE = 3
SMALL = json.dumps({"model": "text", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}).encode()
LARGE = json.dumps({"model": "text", "max_tokens": 50, "messages": [
    {"role": "user", "content": "x" * 1000 + f" part {i}"} for i in range(50)]}).encode()
STREAM = json.dumps({"model": "deltas-1000", "max_tokens": 2000, "stream": True,
                     "messages": [{"role": "user", "content": "count"}]}).encode()


def error_request(status):
    return json.dumps({"model": f"status-{status}", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}).encode()


upstream_errors = []


def report_upstream_error(request, client_address):
    """The scripted upstream's handler failed: a broken pipe is a client that hung up
    (expected); anything else is kept and reported."""
    error = sys.exc_info()[1]
    if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
        upstream_errors.append(repr(error)[:200])


class Tally:
    def __init__(self):
        self.counts = {}
        self.unexpected = []

    def add(self, kind, ok, detail=""):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if not ok:
            self.unexpected.append(f"{kind}: {detail}"[:300])


async def one(port, tally, rng):
    roll = rng.random()
    try:
        if roll < 0.35:
            status, body = await load_support.exchange(port, SMALL)
            tally.add("small", status == 200 and b'"type":"message"' in body, f"{status} {body[:120]!r}")
        elif roll < 0.55:
            status, body = await load_support.exchange(port, LARGE)
            tally.add("50KB", status == 200 and b'"type":"message"' in body, f"{status} {body[:120]!r}")
        elif roll < 0.80:
            status, body = await load_support.exchange(port, STREAM)
            ok = status == 200 and body.count(b"event: content_block_delta") == 1000 and b"event: message_stop" in body
            tally.add("stream", ok, f"{status} {len(body)} bytes, {body[-200:]!r}")
        elif roll < 0.90:
            await load_support.exchange(port, STREAM, read_limit=rng.randrange(200, 4000))
            tally.add("hang-up", True)
        else:
            upstream_status = rng.choice([429, 500])
            status, body = await load_support.exchange(port, error_request(upstream_status))
            envelope = json.loads(body or b"{}")
            ok = status >= 400 and envelope.get("type") == "error" and "type" in envelope.get("error", {})
            tally.add(f"upstream-{upstream_status}", ok, f"{status} {body[:120]!r}")
    except Exception as error:  # a connection error is an unexpected answer
        tally.add("connection", False, repr(error))


async def client(port, tally, stop_at, seed):
    rng = random.Random(seed)
    while time.monotonic() < stop_at:
        await one(port, tally, rng)


async def sampler(pid, samples, stop_at, started):
    while time.monotonic() < stop_at:
        samples.append((time.monotonic() - started, load_support.resident_kb(pid), load_support.descriptors(pid)))
        await asyncio.sleep(min(SAMPLE_INTERVAL, max(0, stop_at - time.monotonic())))


def flat(values):
    third = max(1, len(values) // 3)
    first, last = statistics.median(values[:third]), statistics.median(values[-third:])
    return last <= first * (1 + MEMORY_DRIFT), first, last


async def main(minutes, binary):
    scripted.RECORD = False
    upstream = scripted.start()
    upstream.handle_error = report_upstream_error
    process, port = load_support.start_proxy(binary, upstream.server_address[1])
    pid = process.pid
    try:
        idle_fds = load_support.settled_descriptors(pid)
        idle_kb = load_support.resident_kb(pid)
        started = time.monotonic()
        stop_at = started + minutes * 60
        tally, samples = Tally(), []
        await asyncio.gather(sampler(pid, samples, stop_at, started),
                             *(client(port, tally, stop_at, seed) for seed in range(CLIENTS)))
        # Load stopped: connections close asynchronously; give them a bounded while.
        deadline = time.monotonic() + 15
        while load_support.client_connections(pid, port) > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        after_clients = load_support.client_connections(pid, port)
        after_upstream = load_support.connections_to(pid, upstream.server_address[1])
        after_fds = load_support.descriptors(pid)
        after_kb = load_support.resident_kb(pid)
    finally:
        process.terminate()
        process.wait(timeout=15)
        upstream.shutdown()

    warm_up = max(30, minutes * 60 / 3)
    steady = [s for s in samples if s[0] >= warm_up] or samples[-1:]
    memory_flat, memory_first, memory_last = flat([s[1] for s in steady])
    fds_bounded = all(s[2] <= idle_fds + 3 * CLIENTS for s in samples)
    fds_first, fds_last = steady[0][2], max(s[2] for s in steady)
    # After the load only the proxy's own descriptors and its pooled upstream connections
    # (at most one per client that was in flight) may remain; anything else is a leak.
    after_own = after_fds - after_clients - after_upstream
    fds_back = after_clients == 0 and after_upstream <= CLIENTS and after_own <= idle_fds + OPENED_ONCE
    total = sum(tally.counts.values())
    print(f"soak {minutes} min: {total} exchanges ({total / (minutes * 60):.0f}/s): "
          + ", ".join(f"{k} {v}" for k, v in sorted(tally.counts.items())))
    print(f"idle before: {idle_kb / 1024:.1f} MB, {idle_fds} fds; after: {after_kb / 1024:.1f} MB, {after_fds} fds")
    for mark in (1, 2, 5, 10, 20, 30, 60):
        near = [s for s in samples if abs(s[0] - mark * 60) <= 10]
        if near:
            print(f"  at {mark:>2} min: {near[0][1] / 1024:.1f} MB resident, {near[0][2]} descriptors")
    every_10_s = [s for index, s in enumerate(samples) if index % max(1, round(10 / SAMPLE_INTERVAL)) == 0]
    print("  samples every 10 s (s, MB, fds): " + " ".join(f"{t:.0f}:{kb / 1024:.1f}:{fds}" for t, kb, fds in every_10_s))
    print(f"memory after warm-up: median {memory_first / 1024:.1f} -> {memory_last / 1024:.1f} MB, "
          f"{(memory_last / memory_first - 1) * 100:+.1f} % (bound +{MEMORY_DRIFT * 100:.0f} %: "
          f"{'flat' if memory_flat else 'GROWING'})")
    print(f"descriptors after warm-up: {fds_first} first, {fds_last} at most (bound {idle_fds + 3 * CLIENTS}: "
          f"{'within' if fds_bounded else 'EXCEEDED'}); after the load {after_fds}: {after_clients} client "
          f"connections, {after_upstream} pooled upstream ones, {after_own} of the proxy's own (idle before "
          f"{idle_fds}, at most {idle_fds + OPENED_ONCE}: {'back' if fds_back else 'LEAKED'})")
    for problem in upstream_errors[:5]:
        print("  scripted upstream error:", problem)
    for problem in tally.unexpected[:10]:
        print("  unexpected:", problem)
    passed = memory_flat and fds_bounded and fds_back and not tally.unexpected and not upstream_errors
    print(f"soak verdict: {'PASS' if passed else 'FAIL'} ({len(tally.unexpected)} unexpected answers, "
          f"{len(upstream_errors)} errors at the scripted upstream)")
    return 0 if passed else 1


if __name__ == "__main__":
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    binary = sys.argv[2] if len(sys.argv) > 2 else os.environ["PROXY_BINARY"]
    sys.exit(asyncio.run(main(minutes, binary)))
