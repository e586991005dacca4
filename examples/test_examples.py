#!/usr/bin/env python3
"""test_examples.py ROUTER CLIENT SERVER ROUTER_INPUT ROUTER_EXPECTED

Runs the tutorial's example programs (docs/tutorial.md):

  1. the router on sample packets, output compared line by line;
  2. the example client against the example server (Socket.IO v5 and v4);
  3. the example client against node socket.io 4 and 2 (tests/peers);
  4. node socket.io-client 4 and 2 against the example server;
  5. the example server stopped with SIGTERM exits 0 (sanitizers check
     for leaks at that exit);
  6. the example client with nothing listening exits 1 with a message.

Every server listens on 127.0.0.1 on a port it picks and prints; every
wait has a deadline and every child is killed in a finally block. Exits 0
when all pass, 1 on a failure, 77 (skipped) only when node or the peers
are missing, after the parts that need neither passed.
"""
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.environ.get("SIOC_PEERS", os.path.join(HERE, "..", "tests", "peers"))
DEADLINE = 60  # seconds for one exchange, generous for a loaded machine

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def read_line(proc, timeout):
    """The next line of proc's stdout within `timeout` seconds, or None."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    end = time.monotonic() + timeout
    buf = b""
    try:
        while time.monotonic() < end:
            if not sel.select(max(0.0, end - time.monotonic())):
                continue
            ch = os.read(proc.stdout.fileno(), 1)
            if not ch:
                return None
            if ch == b"\n":
                return buf.decode("utf-8", "replace")
            buf += ch
    finally:
        sel.close()
    return None


class Server:
    """A child that prints 'listening on PORT' first."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        line = read_line(self.proc, DEADLINE)
        if line is None or not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"{argv[0]} did not start: {line!r}")
        self.port = int(line.split()[-1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns (exit status, rest of stdout, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def run(argv, env=None):
    try:
        p = subprocess.run(argv, capture_output=True, timeout=DEADLINE, env=env)
    except subprocess.TimeoutExpired:
        return None, "", "timed out"
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def show(out, err):
    for line in (out + err).splitlines():
        print("     | " + line)


def test_router(router, input_path, expected_path):
    with open(input_path, "rb") as f:
        data = f.read()
    try:
        p = subprocess.run([router], input=data, capture_output=True, timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        check(False, "router: finishes")
        return
    got = p.stdout.decode("utf-8", "replace").splitlines()
    with open(expected_path, encoding="utf-8") as f:
        want = f.read().splitlines()
    check(p.returncode == 0, "router: exit status 0")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            check(False, f"router: line {i + 1}: got {g!r}, want {w!r}")
            return
    check(len(got) == len(want), f"router: {len(want)} lines of output")


def client_expectations(out, label):
    check("connected to / as " in out, f"{label}: namespace connected")
    check('ack ["hello",{"n":1}]' in out, f"{label}: ack with the arguments")
    check("event echo with 4 binary bytes (same as sent)" in out, f"{label}: binary echo")
    check("done" in out.splitlines(), f"{label}: clean close")


def test_client_server(client, server, v4):
    label = "client -> server" + (" (v4)" if v4 else "")
    srv = Server([server])
    try:
        rc, out, err = run([client] + (["--v4"] if v4 else []) + [srv.url])
        check(rc == 0, f"{label}: client exit status 0 (got {rc})")
        if rc != 0:
            show(out, err)
        client_expectations(out, label)
    finally:
        src, sout, serr = srv.stop()
    check(src == 0 and "stopped" in sout, f"{label}: server stops cleanly on SIGTERM")
    check("acked echo" in sout and "echoed an event" in sout, f"{label}: server saw both events")
    if src != 0:
        show(sout, serr)


def test_client_refused(client):
    """Nothing listens: the client reports it and exits 1, promptly and cleanly."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the client connects
    rc, out, err = run([client, f"http://127.0.0.1:{port}"])
    check(rc == 1, f"client, nothing listening: exit status 1 (got {rc})")
    check("client: could not connect" in err, "client, nothing listening: says so")
    if rc != 1:
        show(out, err)


def node_env():
    env = dict(os.environ)
    env["NODE_PATH"] = os.path.join(PEERS, "node_modules")
    return env


def test_client_node(client, major):
    label = f"client -> node socket.io {major}"
    srv = Server(["node", os.path.join(HERE, "peers", "echo_server.js"), str(major)],
                 env=node_env())
    try:
        rc, out, err = run([client] + (["--v4"] if major == 2 else []) + [srv.url])
        check(rc == 0, f"{label}: client exit status 0 (got {rc})")
        if rc != 0:
            show(out, err)
        client_expectations(out, label)
    finally:
        srv.kill()


def test_node_server(server, major):
    label = f"node socket.io-client {major} -> server"
    srv = Server([server])
    try:
        rc, out, err = run(["node", os.path.join(HERE, "peers", "echo_client.js"), str(major),
                            srv.url], env=node_env())
        check(rc == 0, f"{label}: exit status 0 (got {rc})")
        if rc != 0:
            show(out, err)
        check("refused: no such namespace" in out, f"{label}: refused namespace reported")
    finally:
        src, sout, serr = srv.stop()
    check(src == 0, f"{label}: server stops cleanly")
    check("refused namespace /nope" in sout, f"{label}: server refused /nope")
    if src != 0:
        show(sout, serr)


def main():
    router, client, server, router_in, router_out = sys.argv[1:6]
    test_router(router, router_in, router_out)
    for v4 in (False, True):
        test_client_server(client, server, v4)
    test_client_refused(client)

    have_node = shutil.which("node") is not None and os.path.isdir(
        os.path.join(PEERS, "node_modules", "socket.io"))
    if have_node:
        for major in (4, 2):
            test_client_node(client, major)
            test_node_server(server, major)

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    if not have_node:
        print("SKIP: node or tests/peers/node_modules missing (scripts/install-deps.sh test)")
        return 77
    print("all examples passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
