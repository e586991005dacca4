#!/usr/bin/env python3
"""Interop tests of `sioc connect` against reference servers.

    test_connect.py SIOC

Starts the peer servers of tests/interop/servers/ (socket.io 4 and 2 on node,
python-socketio on aiohttp) on free ports of 127.0.0.1, runs `sioc connect`
against them with command scripts (piped stdin, or fed line by line where the
script depends on what arrives) and checks its JSON output. Prints a table
(peer x feature) and fails if any case fails.

Environment: SIOC_PEERS (tests/peers, with node_modules), SIOC_PYTHON (the
interpreter with python-socketio; default /usr/bin/python3), SIOC_NODE (node).
Only the standard library is used here.
"""
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS = os.path.join(HERE, "servers")
PEERS = os.environ.get("SIOC_PEERS", os.path.join(HERE, "..", "peers"))
PYTHON = os.environ.get("SIOC_PYTHON", "/usr/bin/python3")
NODE = os.environ.get("SIOC_NODE", "node")

RUN_TIMEOUT = 90      # one sioc run, seconds (ASan on a loaded machine)
START_TIMEOUT = 30    # a peer server printing its port
EXPECT_TIMEOUT = 30   # one expected line in a live session


class CaseFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CaseFailure(what)


# --------------------------------------------------------------------------
# Peer servers
# --------------------------------------------------------------------------

class Server:
    """A peer server process; prints {"port":N} once listening."""

    def __init__(self, kind, port=0, extra=()):
        self.kind = kind
        env = dict(os.environ)
        env["NODE_PATH"] = os.path.join(PEERS, "node_modules")
        if kind == "python":
            cmd = [PYTHON, os.path.join(SERVERS, "py_server.py")]
        else:
            cmd = [NODE, os.path.join(SERVERS, "node_server.js")]
            if kind == "node2":
                cmd.append("--v2")
        cmd += ["--port", str(port)] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=env, text=True)
        box = queue.Queue()
        threading.Thread(target=lambda: box.put(self.proc.stdout.readline()),
                         daemon=True).start()
        try:
            line = box.get(timeout=START_TIMEOUT)
        except queue.Empty:
            self.stop()
            raise CaseFailure("%s server did not print its port within %ds" %
                              (kind, START_TIMEOUT))
        try:
            self.port = json.loads(line)["port"]
        except (ValueError, KeyError, TypeError):
            err = self.stop()
            raise CaseFailure("%s server did not start: %r %s" % (kind, line, err[-500:]))

    def stop(self):
        err = ""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        try:
            err = self.proc.stderr.read() or ""
        except (OSError, ValueError):
            pass
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        return err


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# --------------------------------------------------------------------------
# Running sioc
# --------------------------------------------------------------------------

def parse_lines(text):
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            raise CaseFailure("stdout line is not JSON: %r" % line)
    return out


def run_sioc(args, script="", timeout=RUN_TIMEOUT):
    """Runs sioc connect with a piped script; returns (rc, lines, stderr)."""
    try:
        p = subprocess.run([SIOC, "connect"] + list(args), input=script, text=True,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise CaseFailure("sioc connect did not finish within %ds; stdout so far: %r" %
                          (timeout, (e.stdout or b"")[-2000:]))
    return p.returncode, parse_lines(p.stdout), p.stderr


class Live:
    """sioc connect with commands written one by one as the output asks."""

    def __init__(self, args):
        self.proc = subprocess.Popen([SIOC, "connect"] + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.q = queue.Queue()
        self.lines = []
        self.err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.q.put(line)
        self.q.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.err.append(line)

    def expect(self, pred, what, timeout=EXPECT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CaseFailure("timed out waiting for %s; got %s" % (what, self.lines[-8:]))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise CaseFailure("sioc exited waiting for %s; got %s; stderr %s" %
                                  (what, self.lines[-8:], "".join(self.err)[-500:]))
            try:
                obj = json.loads(line)
            except ValueError:
                raise CaseFailure("stdout line is not JSON: %r" % line)
            self.lines.append(obj)
            if pred(obj):
                return obj

    def send(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout=RUN_TIMEOUT):
        """Closes stdin and returns the exit status."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CaseFailure("sioc connect did not exit within %ds after end of input" %
                              timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def ev(kind, **fields):
    def pred(o):
        if o.get("event") != kind:
            return False
        return all(o.get(k) == v for k, v in fields.items())
    return pred


def find(lines, kind, **fields):
    p = ev(kind, **fields)
    return [o for o in lines if p(o)]


def one(lines, kind, **fields):
    got = find(lines, kind, **fields)
    check(len(got) >= 1, "no %s %s line in %s" % (kind, fields, lines))
    return got[0]


# --------------------------------------------------------------------------
# Peers and features
# --------------------------------------------------------------------------

class Peer:
    def __init__(self, name, kind, sioc_args, v5, server_extra=()):
        self.name = name
        self.kind = kind
        self.args = list(sioc_args)
        self.v5 = v5
        self.server_extra = list(server_extra)
        self.server = None

    def url(self, scheme="http"):
        return "%s://127.0.0.1:%d/socket.io/" % (scheme, self.server.port)

    def ensure(self):
        if self.server is None or self.server.proc.poll() is not None:
            self.server = Server(self.kind, 0, self.server_extra)

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None


def echo_roundtrip(peer, extra, after=""):
    script = after + 'emit-ack echo "hi" 1 {"a":[true,null]}\nwait message:echoed\n'
    rc, lines, err = run_sioc(peer.args + extra + [peer.url()], script)
    check(rc == 0, "exit status %d; stderr %s" % (rc, err[-800:]))
    one(lines, "connect", nsp="/")
    ack = one(lines, "ack", nsp="/")
    check(ack.get("args") == ["hi", 1, {"a": [True, None]}], "ack args %r" % ack)
    check(ack.get("name") == "echo", "ack name %r" % ack)
    echoed = one(lines, "message", name="echoed")
    check(echoed.get("args") == ["hi", 1, {"a": [True, None]}], "echoed %r" % echoed)
    welcome = one(lines, "message", name="welcome")
    check(welcome["args"][0]["nsp"] == "/", "welcome %r" % welcome)
    check(err.strip() == "", "stderr not empty: %s" % err[-800:])
    return lines


def f_polling(peer):
    lines = echo_roundtrip(peer, ["--no-upgrade"])
    check(one(lines, "open")["transport"] == "polling", "not polling")
    check(not find(lines, "upgrade"), "upgraded despite --no-upgrade")
    check(find(lines, "close", reason="forced close"), "no clean close: %s" % lines[-3:])


def f_upgrade(peer):
    lines = echo_roundtrip(peer, [], after="wait upgrade\n")
    check(one(lines, "open")["transport"] == "polling", "did not start on polling")
    up = lines.index(one(lines, "upgrade"))
    check(lines.index(one(lines, "ack")) > up, "ack before the upgrade")


def f_websocket(peer):
    lines = echo_roundtrip(peer, ["--transport", "websocket"])
    check(one(lines, "open")["transport"] == "websocket", "not websocket")
    check(not find(lines, "upgrade"), "upgrade on websocket-only")


def f_namespaces(peer):
    if peer.v5:
        bad, good, adm = '{"token":"wrong"}', '{"token":"secret"}', "/admin"
        script = ("wait connect\nconnect /admin %s\nwait connect_error\n"
                  "connect /admin %s\nwait connect\n/admin emit-ack echo \"adm\"\n"
                  "connect /private\nwait connect_error\n" % (bad, good))
    else:
        adm = "/admin?token=secret"
        script = ("wait connect\nconnect /admin?token=wrong\nwait connect_error\n"
                  "connect /admin?token=secret\nwait connect\n"
                  "/admin?token=secret emit-ack echo \"adm\"\n"
                  "connect /private\nwait connect_error\n")
    rc, lines, err = run_sioc(peer.args + [peer.url()], script)
    check(rc == 1, "exit status %d (1 expected after refusals); stderr %s" % (rc, err[-800:]))
    errs = find(lines, "connect_error")
    check(len(errs) == 2, "connect_error lines: %s" % errs)
    check(errs[0]["nsp"] == "/admin" and errs[1]["nsp"] == "/private", "nsps %s" % errs)
    if peer.kind == "node2":
        # socket.io 2 sends err.data when set, else the message (a string)
        check(errs[0].get("data") == {"reason": "bad token"}, "admin refusal %s" % errs[0])
        check(errs[1].get("data") == "private", "private refusal %s" % errs[1])
    else:
        check(errs[0].get("data") == {"message": "forbidden", "data": {"reason": "bad token"}},
              "admin refusal %s" % errs[0])
        check(errs[1].get("data", {}).get("message") == "private",
              "private refusal %s" % errs[1])
    check(one(lines, "connect", nsp="/admin"), "no /admin connect")
    ack = one(lines, "ack", nsp="/admin")
    check(ack.get("args") == ["adm"], "ack %s" % ack)
    w = [o for o in find(lines, "message", name="welcome") if o["args"][0]["nsp"] == "/admin"]
    check(len(w) == 1, "welcome on /admin: %s" % w)
    if peer.v5:
        check(w[0]["args"][0]["auth"] == {"token": "secret"}, "auth %s" % w[0])
    else:
        check(w[0]["args"][0]["query"].get("token") == "secret", "query %s" % w[0])


def f_auth(peer):
    args = ["--query", "k=v w", "--header", "X-Sioc-Test: 1"]
    if peer.v5:
        args += ["--auth", '{"token":"abc","n":[1,2]}']
    rc, lines, err = run_sioc(peer.args + args + [peer.url()], "wait message:welcome\n")
    check(rc == 0, "exit status %d; stderr %s" % (rc, err[-800:]))
    w = one(lines, "message", name="welcome")["args"][0]
    check(w["query"].get("k") == "v w", "query %s" % w)
    if peer.v5:
        check(w["auth"] == {"token": "abc", "n": [1, 2]}, "auth %s" % w)


def f_acks(peer):
    # server -> client ack answered by --auto-ack
    rc, lines, err = run_sioc(peer.args + ["--auto-ack", peer.url()],
                              'emit ask "q?"\nwait message:answer\n')
    check(rc == 0, "auto-ack: exit status %d; stderr %s" % (rc, err[-800:]))
    q = one(lines, "message", name="question")
    check(isinstance(q.get("id"), int), "question without id: %s" % q)
    check(one(lines, "message", name="answer")["args"] == ["q?"], "answer %s" % lines)
    # answered by hand: the id is read from the output, then `ack ID ...`
    live = Live(peer.args + [peer.url()])
    try:
        live.expect(ev("connect", nsp="/"), "connect")
        live.send('emit ask "again"')
        q = live.expect(ev("message", name="question"), "question")
        check(q.get("args") == ["again"] and isinstance(q.get("id"), int), "question %s" % q)
        live.send('ack %d "yes" 2 @hex:0a0b' % q["id"])
        a = live.expect(ev("message", name="answer"), "answer")
        check(a["args"] == ["yes", 2, {"$binary": "Cgs="}], "answer %s" % a)
        live.send("emit-ack echo 7")
        check(live.expect(ev("ack"), "ack")["args"] == [7], "ack")
        rc = live.finish()
        check(rc == 0, "exit status %d; stderr %s" % (rc, "".join(live.err)[-800:]))
    finally:
        live.kill()


def f_binary(peer, extra=(), before=""):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(bytes(range(256)) * 40)
        path = f.name
    try:
        script = before + ('emit-ack bin @hex:010203 {"$binary":"BAUG"} "text" @file:%s\n'
                  'wait message:binary\n'
                  'emit-ack echo {"x":{"$binary":"AAEC"}} @b64:/w==\n' % path)
        rc, lines, err = run_sioc(peer.args + list(extra) + [peer.url()], script)
    finally:
        os.unlink(path)
    check(rc == 0, "exit status %d; stderr %s" % (rc, err[-800:]))
    acks = find(lines, "ack")
    check(len(acks) == 2, "acks %s" % acks)
    bin_ack = [a for a in acks if a.get("name") == "bin"][0]
    check(bin_ack["args"] == [[3, 3, -1, 10240], {"$binary": "AQID"}], "bin ack %s" % bin_ack)
    check(one(lines, "message", name="binary")["args"] == [{"$binary": "/v8="}], "binary msg")
    echo_ack = [a for a in acks if a.get("name") == "echo"][0]
    check(echo_ack["args"] == [{"x": {"$binary": "AAEC"}}, {"$binary": "/w=="}],
          "echo ack %s" % echo_ack)


# python-socketio 5.7's msgpack serializer writes an ACK's id only when it is
# truthy (docs/msgpack.md): its answer to the first emit-ack of a connection
# (id 0) goes out without an id and is ignored, as socket.io-client ignores it;
# --ack-timeout lets sioc give up on it (it waits for every answer before exiting).
PY_LOST_ACK = 'emit-ack echo "id0"\nwait message:echoed\n'
PY_MSGPACK = ["--parser", "msgpack", "--ack-timeout", "5000"]


def py_msgpack_acks(peer, extra):
    """The known difference, checked to still be there, then acks from id 1 on."""
    script = PY_LOST_ACK + ('emit-ack echo "hi" 1 {"a":[true,null]}\nwait ack\n'
                            'wait message:echoed\n')
    rc, lines, err = run_sioc(peer.args + extra + [peer.url()], script)
    check(rc == 0, "exit status %d; stderr %s" % (rc, err[-800:]))
    one(lines, "connect", nsp="/")
    echoed = [o.get("args") for o in find(lines, "message", name="echoed")]
    check(echoed == [["id0"], ["hi", 1, {"a": [True, None]}]], "echoed %r" % echoed)
    acks = find(lines, "ack")
    check(len(acks) == 1 and acks[0].get("id") == 1 and
          acks[0].get("args") == ["hi", 1, {"a": [True, None]}],
          "acks %r (expected only id 1: an answer to id 0 means python-socketio now "
          "writes id 0, update docs/msgpack.md and this test)" % acks)
    lost = find(lines, "ack_timeout")
    check(len(lost) == 1 and lost[0].get("id") == 0, "ack_timeout %r" % lost)
    welcome = one(lines, "message", name="welcome")
    check(welcome["args"][0]["nsp"] == "/", "welcome %r" % welcome)
    check(err.strip() == "", "stderr not empty: %s" % err[-800:])


def f_msgpack(peer):
    if peer.kind not in ("node4", "python"):
        return "n/a"
    srv = Server(peer.kind, 0, ["--msgpack"])
    try:
        saved = peer.server
        peer.server = srv
        try:
            if peer.kind == "python":
                py_msgpack_acks(peer, PY_MSGPACK)
                f_binary(peer, PY_MSGPACK, before=PY_LOST_ACK)
                # server -> client acks: python-socketio counts its ids from 1
                rc, lines, err = run_sioc(peer.args + ["--parser", "msgpack", "--auto-ack",
                                                       peer.url()],
                                          'emit ask "q?"\nwait message:answer\n')
                check(rc == 0, "auto-ack: exit status %d; stderr %s" % (rc, err[-800:]))
                check(one(lines, "message", name="answer")["args"] == ["q?"],
                      "answer %s" % lines)
                # Known difference, checked to still be there: its DISCONNECT carries
                # `data: nil`, which socket.io-msgpack-parser's checks refuse, so the
                # client (sioc as socket.io-client) drops the connection as a parse
                # error instead of reporting "io server disconnect".
                rc, lines, err = run_sioc(peer.args + PY_MSGPACK + ["--no-reconnect",
                                                                    peer.url()],
                                          "emit kick\nwait disconnect\n")
                check(rc == 0, "kick: exit status %d; stderr %s" % (rc, err[-800:]))
                d = one(lines, "disconnect", nsp="/")
                check(d.get("reason") == "parse error",
                      "kick: %r (\"io server disconnect\" means python-socketio's DISCONNECT "
                      "no longer carries data: nil, update docs/msgpack.md and this test)" % d)
            else:
                echo_roundtrip(peer, ["--parser", "msgpack"])
                f_binary(peer, ["--parser", "msgpack"])
        finally:
            peer.server = saved
    finally:
        srv.stop()
    return None


def f_reconnect(peer):
    port = free_port()
    srv = Server(peer.kind, port, peer.server_extra)
    live = None
    try:
        url = "http://127.0.0.1:%d/socket.io/" % port
        live = Live(peer.args + ["--reconnection-delay", "200", "--reconnection-delay-max",
                                 "1000", url])
        live.expect(ev("connect", nsp="/"), "connect")
        live.send("emit-ack echo 1")
        live.expect(ev("ack"), "first ack")
        srv.stop()
        d = live.expect(ev("disconnect", nsp="/"), "disconnect")
        check(d["reason"] in ("transport close", "transport error"), "reason %s" % d)
        live.expect(ev("reconnect_attempt"), "reconnect_attempt")
        srv = Server(peer.kind, port, peer.server_extra)
        live.expect(ev("reconnect"), "reconnect")
        live.expect(ev("connect", nsp="/"), "connect again")
        live.send('emit-ack echo "back"')
        a = live.expect(ev("ack"), "ack after reconnect")
        check(a["args"] == ["back"], "ack %s" % a)
        rc = live.finish()
        check(rc == 0, "exit status %d; stderr %s" % (rc, "".join(live.err)[-800:]))
    finally:
        if live is not None:
            live.kill()
        srv.stop()


def f_heartbeat(peer):
    """Several heartbeats (300 ms) on each transport: the timer must follow them."""
    srv = Server(peer.kind, 0, peer.server_extra + ["--ping", "300"])
    try:
        url = "http://127.0.0.1:%d/socket.io/" % srv.port
        for extra in (["--no-upgrade"], ["--transport", "websocket"]):
            rc, lines, err = run_sioc(peer.args + extra + [url],
                                      'wait connect\nsleep 2500\nemit-ack echo "alive"\n')
            check(rc == 0, "%s: exit status %d; stderr %s" % (extra, rc, err[-800:]))
            check(one(lines, "open")["pingInterval"] == 300, "pingInterval %s" % lines[:1])
            check(one(lines, "ack")["args"] == ["alive"], "%s: ack %s" % (extra, lines))
            check(len(find(lines, "disconnect")) == 1 and len(find(lines, "close")) == 1,
                  "%s: the connection did not last: %s" % (extra, lines))
    finally:
        srv.stop()


def f_tls(peer):
    if peer.kind != "node4":
        return "n/a"
    openssl = shutil.which("openssl")
    check(openssl is not None, "openssl not found")
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        srv = Server("node4", 0, ["--tls", cert, key])
        try:
            url = "https://127.0.0.1:%d/socket.io/" % srv.port
            rc, lines, err = run_sioc(["--insecure", url],
                                      'emit-ack echo "tls"\nwait upgrade\n')
            check(rc == 0, "--insecure: exit status %d; stderr %s" % (rc, err[-800:]))
            check(one(lines, "ack")["args"] == ["tls"], "ack %s" % lines)
            rc, lines, err = run_sioc(["--ca", cert, url], 'emit-ack echo "ca"\n')
            check(rc == 0, "--ca: exit status %d; stderr %s" % (rc, err[-800:]))
            check(one(lines, "ack")["args"] == ["ca"], "ack %s" % lines)
            # the self-signed certificate is refused without either
            rc, lines, err = run_sioc(["--no-reconnect", url], 'emit echo 1\n')
            check(rc == 1, "untrusted certificate: exit status %d, lines %s" % (rc, lines))
            check(find(lines, "connect_error"), "no connect_error: %s" % lines)
        finally:
            srv.stop()
    return None


def f_cli(_peer):
    p = subprocess.run([SIOC, "connect", "--help"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and "--reconnection-attempts" in p.stdout, "--help text")
    for args in (["--bogus", "http://127.0.0.1:1/"], [], ["ftp://x/"],
                 ["--eio", "3", "--auth", "{}", "http://127.0.0.1:1/"],
                 ["--header", "no colon", "http://127.0.0.1:1/"],
                 ["--eio", "5", "http://127.0.0.1:1/"]):
        p = subprocess.run([SIOC, "connect"] + args, capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        check(p.returncode == 2 and p.stderr.strip(), "usage error for %s: %d %r" %
              (args, p.returncode, p.stderr))
    port = free_port()  # nothing listens there
    rc, lines, err = run_sioc(["--no-reconnect", "http://127.0.0.1:%d/" % port], "emit x\n")
    check(rc == 1, "refused connection: exit status %d" % rc)
    check(find(lines, "connect_error"), "refused connection: %s" % lines)
    rc, lines, err = run_sioc(["--reconnection-attempts", "2", "--reconnection-delay", "50",
                               "http://127.0.0.1:%d/" % port], "")
    check(rc == 1, "gave up: exit status %d" % rc)
    check(len(find(lines, "reconnect_attempt")) == 2 and find(lines, "reconnect_failed"),
          "reconnection: %s" % lines)
    return None


def f_script_errors(peer):
    for script in ("emit\n", "emit x {bad\n", "bogus\n", "ack x\n", "/nowhere emit x\n",
                   "emit x @file:/nonexistent/file\n"):
        rc, lines, err = run_sioc(peer.args + [peer.url()], script)
        check(rc == 2 and err.strip(), "script %r: status %d, stderr %r" % (script, rc, err))
    rc, lines, err = run_sioc(peer.args + [peer.url()], "wait message:never 300\n")
    check(rc == 3 and "never" in err, "wait timeout: status %d %r" % (rc, err))
    # one-shot: --emit and --exit-after, stdin not read
    rc, lines, err = run_sioc(peer.args + ["--emit", 'echo "one"', "--command", "wait message:echoed",
                                           "--exit-after", "20000", peer.url()], "quit\n")
    check(rc == 0 and one(lines, "message", name="echoed")["args"] == ["one"],
          "--emit: %d %s %s" % (rc, lines, err))
    # --exit-after ends a script that is still waiting
    t0 = time.monotonic()
    rc, lines, err = run_sioc(peer.args + ["--exit-after", "1500", peer.url()], "sleep 60000\n")
    check(rc == 0 and time.monotonic() - t0 < 45, "--exit-after: %d" % rc)
    check(find(lines, "connect") and find(lines, "disconnect", reason="forced close"),
          "--exit-after: %s" % lines)
    # the server disconnecting us
    rc, lines, err = run_sioc(peer.args + [peer.url()], "wait connect\nemit kick\nwait disconnect\n")
    check(rc == 0, "kick: %d %s" % (rc, err))
    check(one(lines, "disconnect")["reason"] == "io server disconnect", "kick: %s" % lines)
    return None


FEATURES = [
    ("polling", f_polling),
    ("upgrade", f_upgrade),
    ("websocket", f_websocket),
    ("namespaces", f_namespaces),
    ("auth+query", f_auth),
    ("acks", f_acks),
    ("binary", f_binary),
    ("msgpack", f_msgpack),
    ("reconnect", f_reconnect),
    ("heartbeat", f_heartbeat),
    ("tls", f_tls),
    ("script", f_script_errors),
]


def main():
    global SIOC
    if len(sys.argv) != 2:
        print("usage: test_connect.py SIOC", file=sys.stderr)
        return 2
    SIOC = os.path.abspath(sys.argv[1])
    if not os.path.isdir(os.path.join(PEERS, "node_modules")) or shutil.which(NODE) is None:
        print("SKIP: node or %s/node_modules missing" % PEERS)
        return 77
    peers = [
        Peer("socket.io 4 (node)", "node4", [], True),
        Peer("socket.io 2 (node, --eio 3)", "node2", ["--eio", "3"], False),
        Peer("python-socketio", "python", [], True),
    ]
    only = os.environ.get("SIOC_CONNECT_ONLY")  # e.g. "node4:acks" while debugging
    results = {}
    failures = []
    cli_status = "PASS"
    try:
        f_cli(None)
    except Exception as e:  # noqa: BLE001 - every failure is reported in the table
        cli_status = "FAIL"
        failures.append(("cli", "usage", e))
    for peer in peers:
        for fname, fn in FEATURES:
            if only and only not in ("%s:%s" % (peer.kind, fname), peer.kind):
                continue
            t0 = time.monotonic()
            status = "PASS"
            try:
                peer.ensure()
                r = fn(peer)
                if r == "n/a":
                    status = "n/a"
            except Exception as e:  # noqa: BLE001
                status = "FAIL"
                failures.append((peer.name, fname, e))
                if not isinstance(e, CaseFailure):
                    traceback.print_exc()
            results[(peer.name, fname)] = (status, time.monotonic() - t0)
            print("%-30s %-11s %-4s %.1fs" % (peer.name, fname, status,
                                               time.monotonic() - t0), flush=True)
        peer.stop()
    # the table
    names = [f for f, _ in FEATURES]
    print()
    print("%-30s " % "peer" + " ".join("%-10s" % n for n in names))
    for peer in peers:
        row = [results.get((peer.name, n), ("-", 0))[0] for n in names]
        print("%-30s " % peer.name + " ".join("%-10s" % c for c in row))
    print("%-30s %s" % ("command line (no peer)", cli_status))
    for who, what, e in failures:
        print("FAIL %s / %s: %s" % (who, what, e))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
