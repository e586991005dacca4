#!/usr/bin/env python3
"""Tests of the `sioc conform` and `sioc record` engine (not of the scenario
files): the scenario parser's errors, --list, selection and exclusion, the
verdicts and exit statuses, the JSON and JUnit reports, client mode with
--exec, and record-then-replay.

argv[1] is the sioc binary. Servers and clients used here are tiny stubs
written with the python standard library; `sioc record` is exercised
against the node engine.io peer when SIOC_PEERS and node are available.
Every subprocess call has a timeout and every child is killed in a finally
block.
"""
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import xml.dom.minidom

SIOC = os.path.abspath(sys.argv[1])
FAILURES = []
RUN_TIMEOUT = 120


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        FAILURES.append(what)


def run(args, timeout=RUN_TIMEOUT, env=None):
    e = dict(os.environ)
    e.pop("SIOC_SCENARIOS", None)
    if env:
        e.update(env)
    p = subprocess.run([SIOC] + args, capture_output=True, text=True, timeout=timeout, env=e)
    return p.returncode, p.stdout, p.stderr


HEAD = """case {id}
title   {title}
spec    test "{id}"
quote   the requirement
level   {level}
role    {role}
layer   eio
eio     4
transports polling
"""


def case(id, steps, level="MUST", role="server", title="a test case"):
    return HEAD.format(id=id, title=title, level=level, role=role) + "\n" + steps.strip() + "\nend\n"


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return p


# ---------------------------------------------------------------- parser errors

BAD = [
    # (file text, line of the error, words expected in the message)
    (case("t.a", "frobnicate x"), 11, "unknown step 'frobnicate'"),
    (HEAD.format(id="t.a", title="x", level="MUST", role="server") + "http h GET /x\n", 10, "has no 'end'"),
    (case("t.a", "http h GET /x") + case("t.a", "http h GET /x"), 13, "duplicate case id 't.a'"),
    (case("t.a", "http h GET /x\nexpect h packet json 0{\"sid\":}"), 12, "JSON pattern"),
    (case("t.a", "http h GET /x\ntitle again"), 12, "header 'title' after the first step"),
    (case("t.a", "expect nope status 200"), 11, "unknown connection 'nope'"),
    (case("t.a", "http h GET /x\nexpect h open"), 12, "does not apply to 'h'"),
    (case("t.a", "sleep pingInterval+"), 11, "time expression"),
    (case("t.a", "sleep 10*bogus"), 11, "unknown name"),
    (case("t.a", "http h GET /x\neither\n  expect h status 200\nend"), 12, "at least one 'or'"),
    (case("t.a", "http h GET /x\neither\n  http h2 GET /y\nor pass\n  expect h status 200\nend"), 13,
     "only 'expect' and 'sleep'"),
    (case("t.a", "http h GET /x\nexpect h status 700"), 12, "HTTP status"),
    (case("t.a", "http h GET /x?a=$"), 11, "'$' must be followed"),
    (case("t.a", "await-request g GET"), 11, "client-role step"),
    (case("t.a", "http h POST /x hex 0"), 11, "pairs of hex digits"),
    (case("t.a", "http h POST /x packets 9nope"), 11, "type digit"),
    (case("t.a", "http h GET /x\nexpect h body regex ([a-z"), 12, "regular expression"),
    (case("t.a", "http h GET /x").replace("level   MUST\n", ""), 11, "no 'level' header"),
    (case("t.a", "http h GET /x").replace("quote   the requirement\n", ""), 11, "no 'quote'"),
    (case("T.A", "http h GET /x"), 1, "lower-case"),
    ("level MUST\n", 1, "outside a case"),
    (case("t.a", "http h GET /x\nexpect h packet json {\"a\":1,\"a\":2}"), 12, "duplicate member"),
]


def test_parser_errors(tmp):
    for i, (text, line, words) in enumerate(BAD):
        d = os.path.join(tmp, "bad%d" % i)
        os.mkdir(d)
        path = write(d, "x.scn", text)
        rc, out, err = run(["conform", "--list", "--scenarios", d], timeout=30)
        want = "%s:%d:" % (path, line)
        check(rc == 2 and want in err and words in err,
              "parse error %d: exit 2 and '%s ... %s' (got rc %d, %r)" % (i, want, words, rc, err.strip()))
    # invalid UTF-8 names its line
    d = os.path.join(tmp, "badutf8")
    os.mkdir(d)
    p = os.path.join(d, "x.scn")
    with open(p, "wb") as f:
        f.write(b"# ok\n# \xff\xfe\n")
    rc, out, err = run(["conform", "--list", "--scenarios", d], timeout=30)
    check(rc == 2 and ("%s:2:" % p) in err and "UTF-8" in err, "invalid UTF-8 names file and line")
    # missing directory
    rc, out, err = run(["conform", "--list", "--scenarios", os.path.join(tmp, "nowhere")], timeout=30)
    check(rc == 2 and "cannot open scenario directory" in err, "missing scenario directory is an error")


# ---------------------------------------------------------------- stub server

class StubState:
    broken = False       # unknown sid answered 200 instead of 400


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, ctype="text/plain; charset=UTF-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        q = self.path.partition("?")[2]
        if "sid=" not in q:
            self.reply(200, '0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}')
        elif "sid=slow" in q:
            time.sleep(0.8)
            self.reply(200, "6")
        elif "sid=abc" in q:
            self.reply(200, "4hello\x1e4wor$ld")
        else:
            if StubState.broken:
                self.reply(200, "ok")
            else:
                self.reply(400, '{"code":1,"message":"Session ID unknown"}', "application/json")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self.reply(500, "internal")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


SERVER_CASES = (
    case("t.pass.handshake", """
http h GET $path?EIO=4&transport=polling
expect h status 200
expect h header content-type prefix text/plain
expect h packet json 0{"sid":$sid:string,"upgrades":[],"pingInterval":$pingInterval:int,...}
expect h end
http g GET $path?EIO=4&transport=polling&sid=$sid
expect g within pingInterval+slack packet text 4hello
expect g packet text 4wor$$ld
expect g end
""") +
    case("t.pass.handshake-macro", """
handshake h polling
http g GET $path?EIO=$EIO&transport=polling&sid=$sid
expect g status 200
expect g packet regex ^4(h.)llo$
http g2 GET $path?EIO=$EIO&transport=polling&sid=$sid&x=$1
expect g2 packet prefix 4he
""") +
    case("t.fail.unknown-sid", """
http h GET $path?EIO=4&transport=polling&sid=nope
expect h status 400
expect h body json {"code":1,"message":_:string}
""") +
    case("t.should.post", """
http h POST $path?EIO=4&transport=polling&sid=abc packets 4x "4y z"
expect h status 200
""", level="SHOULD") +
    case("t.alt.post", """
http h POST $path?EIO=4&transport=polling&sid=abc packets 4x
expect h status 200 nonstrict 500
""") +
    case("t.unsup.post", """
http h POST $path?EIO=4&transport=polling&sid=abc text 4x
either
  expect h status 200
or unsupported "the stub refuses POST"
  expect h status 500
end
""") +
    case("t.info.get", """
http h GET $path?EIO=4&transport=polling
expect h status 201
""", level="INFO") +
    case("t.none.get", """
http h GET $path?EIO=4&transport=polling&sid=slow
expect h none for 300
expect h within 5000 status 200
expect h packet text 6
""") +
    case("t.v3only", "http h GET /x", title="only for v3").replace("eio     4", "eio     3") +
    case("t.client.only", "await-request g GET", role="client")
)


def test_list_and_selection(tmp, d):
    rc, out, err = run(["conform", "--list", "--scenarios", d], timeout=30)
    lines = out.strip().split("\n")
    check(rc == 0 and len(lines) == 10, "--list prints every case (%d lines)" % len(lines))
    check(lines[0].split("\t") == ["t.pass.handshake", "MUST", "server", "a test case"],
          "--list line is id, level, role, title tab-separated: %r" % lines[0])
    rc, out, err = run(["conform", "--list", "--scenarios", d, "--case", "t.pass.*", "--case", "t.info.*"], timeout=30)
    ids = [l.split("\t")[0] for l in out.strip().split("\n")]
    check(ids == ["t.pass.handshake", "t.pass.handshake-macro", "t.info.get"], "--case globs select: %r" % ids)
    rc, out, err = run(["conform", "--list"], timeout=30, env={"SIOC_SCENARIOS": d})
    check(rc == 0 and len(out.strip().split("\n")) == 10, "SIOC_SCENARIOS is the default directory")
    rc, out, err = run(["conform", "server", "--scenarios", d], timeout=30)
    check(rc == 2 and "needs the URL" in err, "server without URL is a usage error")
    rc, out, err = run(["conform", "bogus"], timeout=30)
    check(rc == 2, "unknown mode is a usage error")
    rc, out, err = run(["conform", "server", "ftp://x/", "--scenarios", d], timeout=30)
    check(rc == 2 and "bad URL" in err, "a bad URL is a usage error")


def verdicts(report):
    return {c["id"]: c["verdict"] for c in report["cases"]}


def test_server_mode(tmp, d):
    srv = Server(("127.0.0.1", 0), Stub)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    url = "http://127.0.0.1:%d/engine.io/" % srv.server_address[1]
    try:
        js = os.path.join(tmp, "r.json")
        ju = os.path.join(tmp, "r.xml")
        rc, out, err = run(["conform", "server", url, "--scenarios", d, "--report-json", js, "--junit", ju])
        with open(js) as f:
            rep = json.load(f)
        v = verdicts(rep)
        check(rc == 0, "all MUST cases pass: exit 0 (rc %d)\n%s%s" % (rc, out, err))
        check(v.get("t.pass.handshake") == "pass", "handshake with captures passes")
        check(v.get("t.pass.handshake-macro") == "pass", "handshake shorthand and regex captures pass")
        check(v.get("t.fail.unknown-sid") == "pass", "unknown sid answered 400 passes")
        check(v.get("t.should.post") == "non-strict", "a failing SHOULD is non-strict without --strict")
        check(v.get("t.alt.post") == "non-strict", "a nonstrict status alternative grades non-strict")
        check(v.get("t.unsup.post") == "unsupported", "an 'or unsupported' branch grades unsupported")
        check(v.get("t.info.get") == "informational", "INFO cases are informational")
        check(v.get("t.none.get") == "pass", "expect none for a held request, then its response")
        check("t.v3only" not in v, "a v3 case is not part of a run against --eio 4")
        check("t.client.only" not in v, "client-role cases are not part of server mode")
        check(rep["summary"]["pass"] >= 3 and rep["mode"] == "server", "JSON summary")
        c = [c for c in rep["cases"] if c["id"] == "t.pass.handshake"][0]
        dirs = {e["dir"] for e in c["log"]}
        check({"in", "out"} <= dirs and any("text" in e for e in c["log"]), "JSON report has the wire log")
        check(c["requirement"] == "the requirement" and c["level"] == "MUST", "JSON report has the requirement")
        doc = xml.dom.minidom.parse(ju)
        tcs = doc.getElementsByTagName("testcase")
        check(len(tcs) == len(rep["cases"]), "JUnit has one testcase per case")
        check(doc.getElementsByTagName("failure") == [], "JUnit has no failure when nothing failed")

        # A broken server: the MUST case fails, exit status 1, failure details printed.
        StubState.broken = True
        rc, out, err = run(["conform", "server", url, "--scenarios", d, "--report-json", js, "--junit", ju,
                            "--no-color"])
        with open(js) as f:
            rep = json.load(f)
        v = verdicts(rep)
        check(rc == 1, "a failing MUST case makes exit status 1 (rc %d)" % rc)
        check(v.get("t.fail.unknown-sid") == "fail", "the broken behaviour fails its case")
        check("the requirement" in out and "expect h status 400" in out and "status 200" in out,
              "the failure prints requirement, expectation and what happened")
        c = [c for c in rep["cases"] if c["id"] == "t.fail.unknown-sid"][0]
        with open(os.path.join(d, "a.scn")) as f:
            want_line = f.read().split("\n").index("expect h status 400") + 1
        check(c["step_line"] == want_line and "status 200" in c["actual"] and c["expected"] == "expect h status 400",
              "JSON report of a failure: step line, expected, actual")
        doc = xml.dom.minidom.parse(ju)
        check(len(doc.getElementsByTagName("failure")) == 1, "JUnit counts the failure")

        # Exclusion turns the failure into skipped; exit 0.
        ex = write(tmp, "exclude.txt", "# known problems\nt.fail.*   the stub is broken on purpose\n")
        rc, out, err = run(["conform", "server", url, "--scenarios", d, "--exclude", ex, "--report-json", js])
        with open(js) as f:
            rep = json.load(f)
        c = [c for c in rep["cases"] if c["id"] == "t.fail.unknown-sid"][0]
        check(rc == 0 and c["verdict"] == "skipped" and "broken on purpose" in c["reason"],
              "--exclude skips with its reason (rc %d)" % rc)
        StubState.broken = False

        # --strict: the failing SHOULD case fails the run.
        rc, out, err = run(["conform", "server", url, "--scenarios", d, "--strict", "--case", "t.should.*"])
        check(rc == 1 and "FAIL" in out, "--strict turns a SHOULD failure into a failure")

        # Nothing selected is an error, not a silent pass.
        rc, out, err = run(["conform", "server", url, "--scenarios", d, "--case", "zzz*"])
        check(rc == 2 and "no server-role case" in err, "an empty selection is an error")

        # A dead server: cases fail, no hang.
        port = srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()
    rc, out, err = run(["conform", "server", "http://127.0.0.1:%d/engine.io/" % port, "--scenarios", d,
                        "--case", "t.pass.handshake", "--timeout", "2000"], timeout=60)
    check(rc == 1 and "request failed" in out, "a server that is gone fails the case with a reason")


# ---------------------------------------------------------------- client mode

STUB_CLIENT = r'''
import sys, time, urllib.request
url, case = sys.argv[1], sys.argv[2]
base = url + "?EIO=4&transport=polling"
body = urllib.request.urlopen(base, timeout=10).read().decode()
import json
hs = json.loads(body[1:])
sid = hs["sid"]
deadline = time.time() + 20
while time.time() < deadline:
    data = urllib.request.urlopen(base + "&sid=" + sid, timeout=10).read().decode()
    for p in data.split("\x1e"):
        if p == "2" and case != "t.client.silent":
            req = urllib.request.Request(base + "&sid=" + sid, data=b"3", method="POST",
                                         headers={"Content-Type": "text/plain;charset=UTF-8"})
            urllib.request.urlopen(req, timeout=10).read()
        if p == "1":
            sys.exit(0)
'''

CLIENT_CASE = """
set sid harnesssid1
set pingInterval 300
set pingTimeout 200
await-request g GET
expect g query EIO text 4
expect g query transport text polling
expect g query sid absent
respond g 200 packets 0{"sid":"$sid","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}
await-request g2 GET
expect g2 query sid text @sid
sleep 300
respond g2 200 packets 2
await-request p within pingTimeout+slack POST
expect p packet text 3
expect p end
respond p 200 text ok
await-request g3 GET
respond g3 200 packets 1
"""


def test_client_mode(tmp):
    d = os.path.join(tmp, "client")
    os.mkdir(d)
    write(d, "c.scn", case("t.client.pong", CLIENT_CASE, role="client") +
          case("t.client.silent", CLIENT_CASE, role="client"))
    client = write(tmp, "client.py", STUB_CLIENT)
    js = os.path.join(tmp, "c.json")
    rc, out, err = run(["conform", "client", "--scenarios", d, "--layer", "eio", "--report-json", js,
                        "--exec", "%s %s {url} {case}" % (shlex_quote(sys.executable), shlex_quote(client))])
    with open(js) as f:
        rep = json.load(f)
    v = verdicts(rep)
    check(v.get("t.client.pong") == "pass", "client mode: a client answering the ping passes (%s)" % v)
    check(v.get("t.client.silent") == "fail", "client mode: a client that never answers fails")
    check(rc == 1, "client mode: exit 1 on the failing MUST case")
    c = [c for c in rep["cases"] if c["id"] == "t.client.silent"][0]
    check("no HTTP request POST arrived" in (c["actual"] or ""), "client mode failure says what was missing")
    check(any(e["what"].startswith("started the client under test") for e in c["log"]),
          "client mode logs the client command")


def shlex_quote(s):
    import shlex
    return shlex.quote(s)


# ---------------------------------------------------------------- record and replay

def test_record(tmp):
    peers = os.environ.get("SIOC_PEERS")
    node = shutil.which("node")
    server_js = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "node_server.js")
    if not peers or not node or not os.path.exists(server_js):
        print("skip record/replay: no node peer (SIOC_PEERS, node, peers/node_server.js)")
        return
    env = dict(os.environ, NODE_PATH=os.path.join(peers, "node_modules"))
    p = subprocess.Popen([node, server_js, "v4"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, env=env)
    try:
        line = p.stdout.readline()
        info = json.loads(line)
        d = os.path.join(tmp, "rec")
        os.mkdir(d)
        for kind, url in (("eio", info["engine.io"]), ("sio", info["listening"])):
            out = os.path.join(d, kind + ".scn")
            rc, o, err = run(["record", url, "--id", "rec." + kind, "--out", out], timeout=60)
            check(rc == 0 and os.path.exists(out), "record %s session (rc %d %s)" % (kind, rc, err.strip()))
            if rc != 0:
                continue
            text = open(out).read()
            check("$sid" in text and "pingInterval+slack" in text, "recorded %s case has captures and bounds" % kind)
            rc, o, err = run(["conform", "server", url, "--scenarios", d, "--case", "rec." + kind], timeout=60)
            check(rc == 0 and "PASS" in o, "replaying the recorded %s case passes\n%s%s" % (kind, o, err))
    finally:
        p.kill()
        p.wait(timeout=10)


# ---------------------------------------------------------------- https

def test_https(tmp, d):
    openssl = shutil.which("openssl")
    if not openssl:
        print("skip https: no openssl to make a certificate")
        return
    key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost"], capture_output=True, timeout=60, check=True)
    p = subprocess.Popen([SIOC, "serve", "--port", "0", "--app", "test-suite", "--tls-cert", cert,
                          "--tls-key", key], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = p.stdout.readline()
        if not line.startswith("{"):
            check(False, "sioc serve with TLS prints where it listens: %r" % line)
            return
        url = json.loads(line)["engine.io"]
        check(url.startswith("https://"), "sioc serve listens on https")
        d = os.path.join(tmp, "https")
        os.mkdir(d)
        write(d, "h.scn", case("t.pass.handshake", "handshake h polling\nexpect h end"))
        rc, out, err = run(["conform", "server", url, "--scenarios", d, "--insecure", "--case", "t.pass.handshake"])
        check(rc == 0 and "PASS" in out, "https with --insecure works (rc %d)\n%s" % (rc, out))
        rc, out, err = run(["conform", "server", url, "--scenarios", d, "--case", "t.pass.handshake"])
        check(rc == 1 and "request failed" in out, "https with a self-signed certificate fails without --insecure")
    finally:
        p.kill()
        p.wait(timeout=10)


def main():
    tmp = tempfile.mkdtemp(prefix="sioc-conform-cli-")
    try:
        test_parser_errors(tmp)
        d = os.path.join(tmp, "good")
        os.mkdir(d)
        write(d, "a.scn", SERVER_CASES)
        test_list_and_selection(tmp, d)
        test_server_mode(tmp, d)
        test_https(tmp, d)
        test_client_mode(tmp)
        test_record(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
