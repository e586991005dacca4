#!/usr/bin/env python3
"""The proof of the conformance scenarios (vectors/scenarios/*.scn).

`sioc conform` is run with every scenario against:

  server role (the harness is the client)
    sioc       `sioc serve --app test-suite` (Engine.IO v4; v3 with --eio 3,4)
    node4      socket.io 4.8 + engine.io 6 (tests/conformance/peers/node_server.js v4)
    node4-eio3 the same with allowEIO3 (the official Engine.IO v3 suite's setup)
    node2      socket.io 2.5 + its engine.io 3 (node_server.js v2)
    python     python-socketio 5 / python-engineio 4 on aiohttp (python_server.py)
  client role (the harness is the server; drivers in tests/conformance/peers/
  that follow the client contract of docs/conformance.md)
    sioc-connect   `sioc connect` (sioc_client.py), Socket.IO v5 and v4
    node-client    socket.io-client 4 / engine.io-client 6, and
                   socket.io-client 2 / engine.io-client 3 (node_client.js)
    python-client  python-socketio's Client / python-engineio's Client
  negative proof
    broken_server.js: node4 with exactly one protocol violation per run; the
    matching cases must fail and no other case may change its verdict.

Every case must pass (or be informational, or skipped for a missing
feature) unless the table EXPECTED below lists it for that target, with the
reason; docs/deviations.md gives the evidence for each entry. The test fails
on any unexpected verdict and on any listed deviation that no longer
happens.

Usage: test_conformance.py SIOC   (env: SIOC_PEERS = tests/peers,
SIOC_SCENARIOS = vectors/scenarios, SIOC_PYTHON = /usr/bin/python3)
Exit status: 0 all as expected, 1 a mismatch, 77 a required tool is missing.
"""
import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_SCRIPTS = os.path.join(HERE, "peers")
ROOT = os.path.dirname(os.path.dirname(HERE))
PEERS = os.environ.get("SIOC_PEERS") or os.path.join(ROOT, "tests", "peers")
SCENARIOS = os.environ.get("SIOC_SCENARIOS") or os.path.join(ROOT, "vectors", "scenarios")
PYTHON = os.environ.get("SIOC_PYTHON", "/usr/bin/python3")
NODE = shutil.which("node")

START_DEADLINE = 60.0     # s for a server to print its listening line (ASan, loaded machine)
CONFORM_DEADLINE = 300.0  # s for one `sioc conform` run
STOP_DEADLINE = 10.0      # s for a server to exit after SIGTERM
WAIT_MS = "2500"          # --timeout of server-role runs: a case that waits for a close
                          # the target never does costs this much

# The server configuration of the official test suites.
SIOC_SERVE = ["serve", "--app", "test-suite", "--port", "0", "--ping-interval", "300",
              "--ping-timeout", "200", "--max-payload", "1000000", "--connect-timeout", "1000"]

# Verdicts that need no entry in EXPECTED.
OK_VERDICTS = {"pass", "informational", "skipped"}

# (target, case id) -> why the case does not pass on that target. Every entry
# is a real difference of that target from the specification (or, for IMPL
# cases, from the reference server), documented in docs/deviations.md.
def _many(targets, cases, why):
    return {(t, c): why for t in targets for c in cases}


EXPECTED = {}
# engine.io (6 and 3): Socket.onPacket has no case for a close packet, so
# one received over a WebSocket is ignored.
EXPECTED.update(_many(["node4"], ["eio4.close.ws"],
                      "engine.io ignores a close packet received over WebSocket"))
EXPECTED.update(_many(["node4-eio3", "node2"], ["eio3.close.ws"],
                      "engine.io ignores a close packet received over WebSocket"))
EXPECTED.update({
    ("node4", "eio4.upgrade.websocket-only-session"):
        "engine.io 6 takes a second WebSocket with the sid of a WebSocket-only session for an "
        "upgrade and keeps it open until its upgrade timeout (10 s)",
    ("node4", "sio5.invalid.event-no-payload"):
        "socket.io-parser 4 checks a payload only when there is one: \"42\" is an event "
        "without arguments",
    ("node4", "sio5.invalid.ack-no-payload"):
        "socket.io-parser 4 checks a payload only when there is one: \"43999\" is accepted",
})
EXPECTED[("node-client", "client.eio4.close-packet")] = (
    "engine.io-client ignores a close packet received over WebSocket")
EXPECTED[("python-client", "client.eio4.max-payload")] = (
    "python-engineio's client joins every queued packet into one POST, whatever maxPayload says")
# Engine.IO v3 servers: what the v3 specification leaves open.
EXPECTED.update(_many(["node4-eio3", "node2", "sioc-eio3"],
                      ["eio3.handshake.missing-eio", "eio3.handshake.invalid-eio"],
                      "a server that accepts v3 serves a request without EIO, or with EIO=abc, "
                      "as Engine.IO v3"))
EXPECTED.update(_many(["node4-eio3", "node2"], ["eio3.heartbeat.ping-data"],
                      "a ping with data is answered with a pong without it"))
EXPECTED.update(_many(["node2", "sioc-eio3"],
                      ["eio3.handshake.polling-values", "eio3.handshake.websocket-values"],
                      "the v3 open packet has no maxPayload (engine.io 3 never sent one; the "
                      "official v3 suite expects engine.io 6's)"))
EXPECTED.update({
    ("node2", "eio3.message.polling-duplicate-get"):
        "engine.io 3 answers the second GET with 500 (accepted as non-strict)",
    ("node2", "sio4.invalid.packet"):
        "socket.io 2 turns a packet it cannot decode into an ERROR packet and ignores it",
    ("node4-eio3", "sio4.connect.invalid-namespace"):
        "socket.io 4 sends v4 clients the v5 CONNECT_ERROR payload {\"message\":...} "
        "(accepted as non-strict)",
})
# python-engineio 4.3.4 / python-socketio 5.7.2
EXPECTED.update(_many(["python"], [
    "eio4.handshake.polling", "eio4.handshake.websocket",
    "eio4.handshake.polling-values", "eio4.handshake.websocket-values"],
    "the open packet has no maxPayload"))
EXPECTED.update(_many(["python"], [
    "sio5.invalid.event-object", "sio5.invalid.event-empty-array", "sio5.invalid.event-no-payload",
    "sio5.invalid.ack-object", "sio5.invalid.ack-no-payload", "sio5.invalid.ack-id",
    "sio5.invalid.unknown-type", "sio5.invalid.unknown-type-digit",
    "sio5.invalid.attachment-text", "sio5.invalid.attachment-count-short",
    "sio5.invalid.attachment-bad-placeholder", "sio5.invalid.binary-without-header"],
    "python-socketio ignores a packet it cannot decode or use and keeps the connection"))
EXPECTED.update(_many(["python"], ["sio5.connect.invalid-namespace",
                                   "sio5.connect.invalid-namespace-exact"],
                      "CONNECT_ERROR carries the v4 string payload \"Unable to connect\""))
EXPECTED.update(_many(["python"], ["sio5.connect.invalid-handshake",
                                   "sio5.connect.event-before-connect"],
                      "python-socketio does not close a connection whose first packet is not a "
                      "CONNECT"))
EXPECTED.update({
    ("python", "sio5.connect.timeout"):
        "python-socketio has no connect timeout: a connection without CONNECT stays open",
    ("python", "eio4.handshake.missing-transport"):
        "a polling GET without transport opens a session (the transport defaults to polling)",
    ("python", "eio4.handshake.invalid-method"):
        "a POST or PUT without sid is answered 500 Internal Server Error",
    ("python", "eio4.message.polling-one"):
        "a POST is acknowledged with \"OK\" instead of \"ok\"",
    ("python", "eio4.message.polling-invalid"):
        "an undecodable POST does not close the session",
    ("python", "eio4.message.polling-unknown-type"):
        "a packet of unknown type does not close the session",
    ("python", "eio4.message.polling-duplicate-get"):
        "the pending GET is not ended with a close packet (accepted as non-strict)",
    ("python", "eio4.message.ws-unknown-type"):
        "a packet of unknown type over WebSocket is ignored",
    ("python", "eio4.heartbeat.polling-timeout"):
        "a GET for a session closed by the ping timeout is answered 500",
    ("python", "eio4.close.polling"):
        "a POST carrying a close packet while a GET is pending is answered 400",
    ("python", "eio4.close.ws"):
        "a close packet over WebSocket does not close the connection",
    ("python", "eio4.upgrade.http-after"):
        "a polling GET after the upgrade is answered 200 with a noop instead of 400",
})


class Failure(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def node_env():
    env = dict(os.environ)
    env["NODE_PATH"] = os.path.join(PEERS, "node_modules")
    return env


class Server:
    """A server process that prints one JSON line with its URLs."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.proc = None
        self.err = tempfile.TemporaryFile()
        self.urls = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.err, env=self.env)
        deadline = time.monotonic() + START_DEADLINE
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("%s: no listening line within %.0f s%s" % (self.name, START_DEADLINE,
                                                                        self.stderr_tail()))
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise Failure("%s: exited before listening (status %s)%s" % (
                    self.name, self.proc.poll(), self.stderr_tail()))
            line += chunk
        first = line.split(b"\n", 1)[0]
        try:
            self.urls = json.loads(first)
        except ValueError:
            raise Failure("%s: bad listening line %r" % (self.name, first))
        if "listening" not in self.urls:
            raise Failure("%s: no 'listening' in %r" % (self.name, first))
        return self

    def stderr_tail(self, n=2000):
        try:
            self.err.seek(0)
            data = self.err.read()[-n:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return ("\n--- %s stderr ---\n%s" % (self.name, data)) if data else ""

    def stop(self):
        """SIGTERM, wait; returns the exit status (SIGKILL after the deadline)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_DEADLINE)
            raise Failure("%s: did not exit within %.0f s of SIGTERM" % (self.name, STOP_DEADLINE))

    def __exit__(self, *exc):
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_DEADLINE)
        finally:
            self.err.close()
        return False

    def url(self, which):
        if which == "engine.io":
            return self.urls.get("engine.io") or self.urls["listening"].replace(
                "/socket.io/", "/engine.io/")
        return self.urls["listening"]


def load_report(path):
    """id -> {verdict, reason, level, ...} from a --report-json file."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    cases = doc.get("cases") if isinstance(doc, dict) else doc
    if not isinstance(cases, list):
        raise Failure("report %s: no case list" % path)
    out = {}
    for c in cases:
        out[c["id"]] = c
    return out


def conform(label, argv):
    """Runs `sioc conform ARGV --report-json F`; returns (exit status, results by
    case id, stdout)."""
    with tempfile.TemporaryDirectory(prefix="sioc-conform-") as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [sys.argv[1], "conform"] + argv + ["--scenarios", SCENARIOS,
                                                  "--report-json", report]
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=CONFORM_DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failure("%s: `%s` did not finish within %.0f s" % (
                label, " ".join(shlex.quote(a) for a in cmd), CONFORM_DEADLINE))
        dt = time.monotonic() - t0
        if not os.path.exists(report):
            raise Failure("%s: no report (status %d)\n%s\n%s" % (
                label, p.returncode, p.stdout.decode("utf-8", "replace")[-3000:],
                p.stderr.decode("utf-8", "replace")[-3000:]))
        results = load_report(report)
        counts = {}
        for c in results.values():
            counts[c.get("verdict")] = counts.get(c.get("verdict"), 0) + 1
        tally = ", ".join("%d %s" % (counts[v], v) for v in
                          ("pass", "non-strict", "fail", "skipped", "unsupported", "informational")
                          if counts.get(v))
        log("  %-34s %3d cases in %5.1f s, exit %d: %s" % (label, len(results), dt,
                                                          p.returncode, tally))
        return p.returncode, results, p.stdout.decode("utf-8", "replace")


def check(target, label, rc, results, extra_expected=None, min_cases=1):
    """Compares the verdicts of one run with EXPECTED.

    Returns (problems, hits): hits are the listed cases that did not pass
    in this run (a listed case may be skipped in a run where it does not
    apply; each must show up in at least one run of its target)."""
    problems = []
    hits = set()
    expected = {cid: why for (t, cid), why in EXPECTED.items() if t == target}
    if extra_expected:
        expected.update(extra_expected)
    if len(results) < min_cases:
        problems.append("%s: only %d cases ran (at least %d expected)" % (
            label, len(results), min_cases))
    must_failed = False
    for cid, r in sorted(results.items()):
        verdict = r.get("verdict")
        if verdict == "fail" and r.get("level") == "MUST":
            must_failed = True
        if cid in expected:
            if verdict == "pass":
                problems.append("%s: %s is listed as a deviation (%s) but passed" % (
                    label, cid, expected[cid]))
            elif verdict != "skipped":
                hits.add(cid)
        elif verdict not in OK_VERDICTS:
            problems.append("%s: %s: unexpected %s: %s" % (
                label, cid, verdict, (r.get("reason") or "").splitlines()[0][:300]))
    if must_failed != (rc != 0):
        problems.append("%s: exit status %d but a MUST case %s" % (
            label, rc, "failed" if must_failed else "did not fail"))
    return problems, hits


def unmatched(target, hits):
    """Listed deviations of `target` that no run showed."""
    return ["%s: the listed deviation %s did not show up in any run" % (target, cid)
            for (t, cid) in EXPECTED if t == target and cid not in hits]


def sioc_serve(*extra):
    return [sys.argv[1]] + SIOC_SERVE + list(extra)


def node_server(*args):
    return [NODE, os.path.join(PEER_SCRIPTS, "node_server.js")] + list(args)


def python_server():
    return [PYTHON, os.path.join(PEER_SCRIPTS, "python_server.py")]


def broken_server(violation):
    return [NODE, os.path.join(PEER_SCRIPTS, "broken_server.js"), violation]


# Server-role runs: (target, how to start it, [(endpoint, conform arguments)]).
SERVER_RUNS = [
    ("sioc", lambda: Server("sioc serve", sioc_serve()),
     [("engine.io", ["--eio", "4"]), ("socket.io", ["--eio", "4"])]),
    ("sioc-eio3", lambda: Server("sioc serve --eio 3,4", sioc_serve("--eio", "3,4")),
     [("engine.io", ["--eio", "3"]), ("socket.io", ["--eio", "3"])]),
    ("sioc-msgpack", lambda: Server("sioc serve --parser msgpack", sioc_serve("--parser", "msgpack")),
     [("socket.io", ["--parser", "msgpack", "--case", "sio5.msgpack.*"])]),
    ("node4", lambda: Server("socket.io 4", node_server("v4"), node_env()),
     [("engine.io", ["--eio", "4"]), ("socket.io", ["--eio", "4"])]),
    ("node4-eio3", lambda: Server("socket.io 4 allowEIO3", node_server("v4", "--allow-eio3"),
                                  node_env()),
     [("engine.io", ["--eio", "3"]), ("socket.io", ["--eio", "3"])]),
    ("node4-msgpack", lambda: Server("socket.io 4 msgpack", node_server("v4", "--parser", "msgpack"),
                                     node_env()),
     [("socket.io", ["--parser", "msgpack", "--case", "sio5.msgpack.*"])]),
    ("node2", lambda: Server("socket.io 2", node_server("v2"), node_env()),
     [("engine.io", ["--eio", "3"]), ("socket.io", ["--eio", "3"])]),
    ("python", lambda: Server("python-socketio", python_server()),
     [("engine.io", ["--eio", "4"]), ("socket.io", ["--eio", "4"])]),
]

# The negative proof: violation -> (endpoint, selection, the cases it must
# make fail on top of node4's own deviations).
BROKEN = {
    "missing-eio": ("engine.io", ["--case", "eio4.*"], ["eio4.handshake.missing-eio"]),
    "unknown-sid": ("engine.io", ["--case", "eio4.*"], ["eio4.polling.unknown-sid"]),
    "no-noop": ("engine.io", ["--case", "eio4.*"],
                ["eio4.upgrade.basic", "eio4.upgrade.noop-pending-get"]),
    "ack-id-zero": ("socket.io", ["--case", "sio5.*"], ["sio5.message.ack-id-zero"]),
}


def client_runs():
    """Client-role runs: (target, eio, --exec template, extra conform arguments)."""
    sioc = shlex.quote(sys.argv[1])
    here = PEER_SCRIPTS
    node = "NODE_PATH=%s %s %s {url} {eio} {transports} {nsp} {auth} {layer}" % (
        shlex.quote(os.path.join(PEERS, "node_modules")), shlex.quote(NODE),
        shlex.quote(os.path.join(here, "node_client.js")))
    py = "%s %s {url} {eio} {transports} {nsp} {auth} {layer}" % (
        shlex.quote(PYTHON), shlex.quote(os.path.join(here, "python_client.py")))
    sc = "%s %s %s {url} {eio} {transports} {nsp} {auth}" % (
        shlex.quote(sys.executable), shlex.quote(os.path.join(here, "sioc_client.py")), sioc)
    return [
        # sioc connect is a Socket.IO client: the Engine.IO-only cases do not apply
        ("sioc-connect", 4, sc, ["--case", "client.sio*"]),
        ("sioc-connect", 3, sc, ["--case", "client.sio*"]),
        ("node-client", 4, node, []),
        ("node-client", 3, node, []),
        ("python-client", 4, py, []),
    ]


# Client-role cases a client cannot run for a reason that is not a
# deviation: (target, glob) -> reason, passed to --exclude.
CLIENT_EXCLUDE = {
    ("python-client", "client.eio4.upgrade"):
        "python-engineio probes the WebSocket before its first poll; the case needs a poll "
        "pending during the probe, and a scenario cannot claim a request only if it exists",
    ("python-client", "client.sio5.upgrade"):
        "python-engineio probes the WebSocket before its first poll (see client.eio4.upgrade)",
}


def time_args():
    scale = os.environ.get("SIOC_TIME_SCALE")
    return ["--time-scale", scale] if scale else []


def run_servers(problems):
    for target, make, endpoints in SERVER_RUNS:
        log("%s:" % target)
        hits = set()
        try:
            with make() as srv:
                for endpoint, args in endpoints:
                    label = "%s %s" % (target, endpoint)
                    rc, results, _ = conform(label, ["server", srv.url(endpoint),
                                                     "--timeout", WAIT_MS] + args + time_args())
                    p, h = check(target, label, rc, results, min_cases=5)
                    problems += p
                    hits |= h
                status = srv.stop()
                if status != 0:
                    problems.append("%s: exit status %s after SIGTERM%s" % (
                        target, status, srv.stderr_tail()))
        except Failure as e:
            problems.append(str(e))
            continue
        problems += unmatched(target, hits)


def run_broken(problems):
    log("broken server (negative proof):")
    for violation, (endpoint, args, cases) in BROKEN.items():
        target = "broken-" + violation
        try:
            with Server(target, broken_server(violation), node_env()) as srv:
                label = "%s %s" % (target, endpoint)
                rc, results, _ = conform(label, ["server", srv.url(endpoint), "--timeout", WAIT_MS] +
                                         args + time_args())
                extra = {}
                for (t, cid), why in EXPECTED.items():
                    if t == "node4" and cid in results:
                        extra[cid] = "node4: " + why
                for cid in cases:
                    extra[cid] = "the violation " + violation
                    if results.get(cid, {}).get("verdict") != "fail":
                        problems.append("%s: %s should fail, was %s" % (
                            label, cid, results.get(cid, {}).get("verdict")))
                problems += check(target, label, rc, results, extra_expected=extra, min_cases=5)[0]
        except Failure as e:
            problems.append(str(e))


def run_clients(problems):
    log("clients:")
    hits = {}
    for target, eio, exec_tmpl, args in client_runs():
        hits.setdefault(target, set())
        label = "%s eio%d" % (target, eio)
        with tempfile.TemporaryDirectory(prefix="sioc-exclude-") as tmp:
            extra = list(args)
            excl = [(g, why) for (t, g), why in CLIENT_EXCLUDE.items() if t == target]
            if excl:
                path = os.path.join(tmp, "exclude")
                with open(path, "w", encoding="utf-8") as f:
                    for g, why in excl:
                        f.write("%s  %s\n" % (g, why))
                extra += ["--exclude", path]
            try:
                rc, results, _ = conform(label, ["client", "--eio", str(eio), "--exec", exec_tmpl] +
                                         extra + time_args())
                p, h = check(target, label, rc, results, min_cases=3)
                problems += p
                hits[target] |= h
            except Failure as e:
                problems.append(str(e))
    for target, h in hits.items():
        problems += unmatched(target, h)


def main():
    if len(sys.argv) != 2:
        print("usage: test_conformance.py SIOC", file=sys.stderr)
        return 2
    if NODE is None or not os.path.isdir(os.path.join(PEERS, "node_modules", "socket.io")):
        print("SKIP: node or tests/peers/node_modules is missing", file=sys.stderr)
        return 77
    probe = subprocess.run([PYTHON, "-c", "import socketio, engineio, aiohttp"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    if probe.returncode != 0:
        print("SKIP: %s lacks python3-socketio / aiohttp" % PYTHON, file=sys.stderr)
        return 77
    t0 = time.monotonic()
    problems = []
    run_servers(problems)
    run_broken(problems)
    run_clients(problems)
    log("total %.1f s" % (time.monotonic() - t0))
    if problems:
        log("\n%d problem(s):" % len(problems))
        for p in problems:
            log("  - " + p)
        return 1
    log("all verdicts as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
