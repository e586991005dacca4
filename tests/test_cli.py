#!/usr/bin/env python3
"""Tests of the sioc command line's codec verbs (suite cli).

Usage: python3 tests/test_cli.py <path to sioc>
Environment: SIOC_VECTORS, the vectors/ folder.

Runs `sioc decode` and `sioc encode` on every Engine.IO vector (many vectors
per process where their outputs can be told apart), on every Socket.IO
vector with --sio (wrapped into Engine.IO WebSocket frames), on hand-written
cases for every error form, exit status and option, and on every capture in
vectors/captures/. Exits 0 when everything passed, 1 otherwise.
"""
import base64
import concurrent.futures
import glob
import json
import os
import select
import subprocess
import sys
import tempfile

TIMEOUT = 120
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer")


def stringify(obj):
    """The bytes JSON.stringify prints for obj (Python's escapes match it)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def jsonl(objs):
    return "".join(json.dumps(o) + "\n" for o in objs).encode()


class Tests:
    def __init__(self, exe):
        self.exe = exe
        self.passed = 0
        self.failed = 0
        self.runs = 0

    def check(self, cond, name, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s%s" % (name, ("\n      " + detail) if detail else ""))
        return cond

    def run(self, args, stdin=b""):
        """Runs sioc; returns (status, stdout lines as text, stderr text)."""
        self.runs += 1
        try:
            p = subprocess.run([self.exe] + args, input=stdin, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.check(False, "sioc %s finishes within %ds" % (" ".join(args), TIMEOUT))
            return None, [], ""
        err = p.stderr.decode("utf-8", "replace")
        self.check(not any(m in err for m in SANITIZER_MARKS),
                   "sioc %s: no sanitizer report" % " ".join(args), err[-3000:])
        self.check(p.returncode >= 0, "sioc %s: not killed by a signal" % " ".join(args),
                   "status %d" % p.returncode)
        try:
            out = p.stdout.decode("utf-8")
        except UnicodeDecodeError:
            self.check(False, "sioc %s: output is UTF-8" % " ".join(args))
            out = p.stdout.decode("utf-8", "replace")
        # Only "\n" ends a line: str.splitlines would also split at \x1e,
        # \x1f, \x0c and \u2028, which JSON strings may hold raw.
        lines = out.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return p.returncode, lines, err

    def run_many(self, jobs):
        """Runs many (args, stdin) at once; returns [(status, stdout, stderr)]
        with stdout split into lines as run() does (None status: timeout)."""
        def one(job):
            args, stdin = job
            try:
                p = subprocess.run([self.exe] + args, input=stdin, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return None, b"", b""
            return p.returncode, p.stdout, p.stderr
        workers = max(2, min(8, (os.cpu_count() or 2) * 2))
        with concurrent.futures.ThreadPoolExecutor(workers) as ex:
            raw = list(ex.map(one, jobs))
        out = []
        for (args, _), (rc, so, se) in zip(jobs, raw):
            self.runs += 1
            name = "sioc %s" % " ".join(args)
            self.check(rc is not None, name + ": finishes within %ds" % TIMEOUT)
            err = se.decode("utf-8", "replace")
            self.check(not any(m in err for m in SANITIZER_MARKS), name + ": no sanitizer report",
                       err[-3000:])
            self.check(rc is None or rc >= 0, name + ": not killed by a signal", str(rc))
            lines = so.decode("utf-8", "replace").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            out.append((rc, lines, err))
        return out

    def run_json(self, args, stdin=b""):
        """Runs sioc; returns (status, list of parsed output lines, stderr)."""
        rc, lines, err = self.run(args, stdin)
        objs = []
        for line in lines:
            try:
                objs.append(json.loads(line))
            except ValueError:
                self.check(False, "sioc %s: output line is JSON" % " ".join(args), line[:200])
                objs.append(None)
        return rc, objs, err

    # ------------------------------------------------------------------ #
    # helpers for expectations

    def expect_ok(self, name, args, stdin, want):
        rc, got, err = self.run_json(args, stdin)
        self.check(rc == 0, name + ": exit 0", "status %s, stderr %s, out %s" % (rc, err, got[-1:]))
        self.check(got == want, name + ": output",
                   "got  %s\n      want %s" % (str(got)[:600], str(want)[:600]))
        return got

    def expect_error(self, name, args, stdin, code, offset=None, line=None, before=None):
        rc, got, err = self.run_json(args, stdin)
        self.check(rc == 1, name + ": exit 1", "status %s, stderr %s" % (rc, err))
        if not self.check(len(got) >= 1 and isinstance(got[-1], dict) and "error" in got[-1],
                          name + ": error line last", str(got)[:400]):
            return
        e = got[-1]
        self.check(sorted(e.keys()) == ["error", "line", "message", "offset"],
                   name + ": error line has error, offset, message, line", str(e))
        self.check(isinstance(e.get("message"), str) and e.get("message") != "",
                   name + ": error message", str(e))
        self.check(e.get("error") == code, name + ": error code", "got %s want %s" % (e, code))
        if offset is not None:
            self.check(e.get("offset") == offset, name + ": error offset",
                       "got %s want offset %s" % (e, offset))
        if line is not None:
            self.check(e.get("line") == line, name + ": error line number",
                       "got %s want line %s" % (e, line))
        self.check(all(isinstance(o, dict) and "error" not in o for o in got[:-1]),
                   name + ": exactly one error line", str(got)[:400])
        if before is not None:
            self.check(got[:-1] == before, name + ": packets before the error", str(got[:-1]))
        self.check(err == "", name + ": nothing on stderr", err)

    def expect_usage(self, name, args, stdin=b""):
        rc, lines, err = self.run(args, stdin)
        self.check(rc == 2, name + ": exit 2", "status %s" % rc)
        self.check(lines == [], name + ": nothing on stdout", str(lines)[:200])
        self.check(err.strip() != "", name + ": message on stderr")


# ---------------------------------------------------------------------- #
# (a) vectors


def vector_files(root):
    return sorted(glob.glob(os.path.join(root, "eio", "*.jsonl")))


def load_vectors(t, path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                v = json.loads(line)
            except ValueError as e:
                t.check(False, "%s:%d is JSON" % (path, n), str(e))
                continue
            if "units" in v:  # handshake vectors have their own test
                out.append(v)
    return out


def mode_args(v):
    return ["--eio", str(v["eio"]), "--transport", v["transport"]]


def test_vectors(t, root):
    files = vector_files(root)
    vectors = []
    for path in files:
        vectors += load_vectors(t, path)
    print("vectors: %d files, %d vectors with units" % (len(files), len(vectors)))

    # decode: vectors that decode cleanly are batched per mode; the output
    # is the concatenation of their packets, in order.
    groups = {}
    for v in vectors:
        if "packets" in v:
            groups.setdefault((v["eio"], v["transport"]), []).append(v)
    for (eio, transport), vs in sorted(groups.items()):
        args = ["decode", "--eio", str(eio), "--transport", transport]
        stdin = jsonl([u for v in vs for u in v["units"]])
        want = [p for v in vs for p in v["packets"]]
        rc, got, err = t.run_json(args, stdin)
        if rc == 0 and got == want:
            t.check(True, "decode batch")
            continue
        # Find the culprits one by one.
        for v in vs:
            t.expect_ok("decode vector %s" % v["name"], ["decode"] + mode_args(v),
                        jsonl(v["units"]), v["packets"])
    for v in vectors:
        if "error" in v:
            t.expect_error("decode vector %s" % v["name"], ["decode"] + mode_args(v),
                           jsonl(v["units"]), v["error"], v.get("offset"))

    # encode: websocket vectors give one unit per packet, so many vectors go
    # through one process; a polling run makes one body, so one per vector.
    groups = {}
    for v in vectors:
        if "packets" not in v or v.get("roundtrip", True) is False:
            continue
        has_binary = any("binary" in p for p in v["packets"])
        text_only = all("text" in u for u in v["units"])
        if v["transport"] == "polling" and v["eio"] == 3 and not has_binary and not text_only:
            # An encoder picks the octet-stream format only for binary data
            # (eio_payload_format_for): such a body is decode-only.
            continue
        # Binary data sent as base64 text frames was encoded for a peer
        # without binary support, as "b64" says for polling bodies.
        b64_mode = v.get("b64") or (v["transport"] == "websocket" and has_binary and text_only)
        extra = ["--no-binary"] if b64_mode else []
        if v["transport"] == "websocket":
            groups.setdefault((v["eio"], tuple(extra)), []).append(v)
        else:
            t.expect_ok("encode vector %s" % v["name"], ["encode"] + mode_args(v) + extra,
                        jsonl(v["packets"]), v["units"])
    for (eio, extra), vs in sorted(groups.items()):
        args = ["encode", "--eio", str(eio), "--transport", "websocket"] + list(extra)
        stdin = jsonl([p for v in vs for p in v["packets"]])
        want = [u for v in vs for u in v["units"]]
        rc, got, err = t.run_json(args, stdin)
        if rc == 0 and got == want:
            t.check(True, "encode batch")
            continue
        for v in vs:
            t.expect_ok("encode vector %s" % v["name"], args, jsonl(v["packets"]), v["units"])
    return len(files)


# ---------------------------------------------------------------------- #
# (b) hand-written cases


def b64(bs):
    return base64.b64encode(bytes(bs)).decode()


def test_decode(t):
    ws4 = ["decode", "--eio", "4", "--transport", "websocket"]
    ws3 = ["decode", "--eio", "3", "--transport", "websocket"]
    poll4 = ["decode", "--eio", "4", "--transport", "polling"]
    poll3 = ["decode", "--eio", "3", "--transport", "polling"]
    t.expect_ok("ws4 text", ws4, b'{"text":"4hello"}\n', [{"type": "message", "data": "hello"}])
    t.expect_ok("ws4 ping probe", ws4, b'{"text":"2probe"}\n', [{"type": "ping", "data": "probe"}])
    t.expect_ok("ws4 noop", ws4, b'{"text":"6"}\n', [{"type": "noop"}])
    t.expect_ok("ws4 binary frame", ws4, b'{"binary":"AQID"}\n',
                [{"type": "message", "binary": "AQID"}])
    t.expect_ok("ws4 base64 text frame", ws4, b'{"text":"bAQID"}\n',
                [{"type": "message", "binary": "AQID"}])
    t.expect_ok("ws3 binary frame", ws3, jsonl([{"binary": b64([4, 1, 2, 3])}]),
                [{"type": "message", "binary": "AQID"}])
    t.expect_ok("ws3 base64 text frame", ws3, b'{"text":"b4AQID"}\n',
                [{"type": "message", "binary": "AQID"}])
    t.expect_ok("defaults are v4 websocket", ["decode"], b'{"text":"4x"}\n',
                [{"type": "message", "data": "x"}])
    t.expect_ok("poll4 body", poll4, b'{"text":"4a\\u001e4b\\u001e6\\u001ebAQID"}\n',
                [{"type": "message", "data": "a"}, {"type": "message", "data": "b"},
                 {"type": "noop"}, {"type": "message", "binary": "AQID"}])
    t.expect_ok("poll3 text body", poll3, b'{"text":"6:4hello2:2x"}\n',
                [{"type": "message", "data": "hello"}, {"type": "ping", "data": "x"}])
    body = bytes([0, 6, 255]) + b"4hello" + bytes([1, 4, 255, 4, 1, 2, 3])
    t.expect_ok("poll3 binary body", poll3, jsonl([{"binary": b64(body)}]),
                [{"type": "message", "data": "hello"}, {"type": "message", "binary": "AQID"}])
    t.expect_ok("several lines, blank lines, CRLF", ws4,
                b'\n{"text":"4a"}\r\n   \n\t\n{"text":"4b"}', [{"type": "message", "data": "a"},
                                                           {"type": "message", "data": "b"}])
    t.expect_ok("other members are ignored", ws4, b'{"t":12.5,"dir":"in","text":"3"}\n',
                [{"type": "pong"}])
    # An upgrade: polling bodies, then WebSocket frames, in one capture.
    t.expect_ok("per-line transport override", ws4,
                b'{"transport":"polling","text":"4a\\u001e4b"}\n'
                b'{"text":"2probe"}\n'
                b'{"text":"4c\\u001e4d","transport":"websocket"}\n',
                [{"type": "message", "data": "a"}, {"type": "message", "data": "b"},
                 {"type": "ping", "data": "probe"}, {"type": "message", "data": "c\x1e4d"}])
    t.expect_ok("text_base64 unit", ws4, b'{"text_base64":"NGhp"}\n',
                [{"type": "message", "data": "hi"}])
    t.expect_ok("text_base64 polling body", poll4, jsonl([{"text_base64": b64(b"4a\x1e4b")}]),
                [{"type": "message", "data": "a"}, {"type": "message", "data": "b"}])
    t.expect_ok("override to websocket", poll4, b'{"transport":"websocket","binary":"AQID"}\n',
                [{"type": "message", "binary": "AQID"}])
    for name, stdin in (("empty input", b""), ("blank lines only", b"\n \n\r\n")):
        for verb, want in ((ws4, []), (poll3, []), (["encode"], []),
                           # zero packets still make one (empty) body
                           (["encode", "--transport", "polling"], ['{"text":""}']),
                           (["encode", "--eio", "3", "--transport", "polling"],
                            ['{"text":"0:"}'])):
            rc, lines, err = t.run(verb, stdin)
            t.check(rc == 0 and lines == want and err == "", "%s: %s" % (name, " ".join(verb)),
                    "status %s out %s err %s" % (rc, lines, err))

    # Text that JSON must escape comes out exactly as JSON.stringify writes it.
    data = 'q"b\\s/\x00\x01\x08\x0c\n\r\t\x1e\x1f\x7f é€😀\u2028'
    rc, lines, _ = t.run(ws4, jsonl([{"text": "4" + data}]))
    t.check(rc == 0 and lines == [stringify({"type": "message", "data": data})],
            "decode output is JSON.stringify's", str(lines))
    rc, lines, _ = t.run(["encode"], jsonl([{"type": "message", "data": data}]))
    t.check(rc == 0 and lines == [stringify({"text": "4" + data})],
            "encode output is JSON.stringify's", str(lines))
    t.expect_ok("\\x1e inside a v3 polling record", poll3,
                jsonl([{"text": "4:4a\x1eb"}]), [{"type": "message", "data": "a\x1eb"}])

    # Output reaches a pipe before the tool waits for more input.
    t.runs += 1
    p = subprocess.Popen([t.exe] + ws4, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(b'{"text":"4live"}\n')
        p.stdin.flush()
        ready, _, _ = select.select([p.stdout], [], [], 20)
        line = p.stdout.readline() if ready else b""
        t.check(line == b'{"type":"message","data":"live"}\n', "decode streams line by line",
                repr(line))
        p.stdin.close()
        t.check(p.wait(timeout=TIMEOUT) == 0, "streaming decode exits 0")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()

    # --input
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "units.jsonl")
        with open(path, "wb") as f:
            f.write(b'{"text":"4from a file"}\n')
        t.expect_ok("--input FILE", ws4 + ["--input", path], b"",
                    [{"type": "message", "data": "from a file"}])
        t.expect_ok("--input=FILE", ws4 + ["--input=" + path], b"",
                    [{"type": "message", "data": "from a file"}])
        t.expect_ok("--input -", ws4 + ["--input", "-"], b'{"text":"1"}\n', [{"type": "close"}])
        t.expect_usage("missing input file", ws4 + ["--input", os.path.join(d, "none")])


def test_long_lines(t):
    ws4 = ["decode", "--eio", "4", "--transport", "websocket"]
    big = "x" * 700000 + "é" * 100000
    t.expect_ok("long text line", ws4, jsonl([{"text": "4" + big}]),
                [{"type": "message", "data": big}])
    blob = bytes(range(256)) * 3000
    t.expect_ok("long binary line", ws4, jsonl([{"binary": b64(blob)}]),
                [{"type": "message", "binary": b64(blob)}])
    ctl = "\x01" * 400000  # six bytes per character once escaped
    t.expect_ok("long escaped line", ws4, jsonl([{"text": "4" + ctl}]),
                [{"type": "message", "data": ctl}])
    many = [{"text": "4" + str(i)} for i in range(20000)]
    t.expect_ok("many lines", ws4, jsonl(many),
                [{"type": "message", "data": str(i)} for i in range(20000)])
    huge = "y" * 3000000
    t.expect_ok("--max-payload raises the limits", ws4 + ["--max-payload", "4000000"],
                jsonl([{"text": "4" + huge}]), [{"type": "message", "data": huge}])
    t.expect_error("packet over --max-payload", ws4 + ["--max-payload", "10"],
                   jsonl([{"text": "4" + "z" * 20}]), "EIO_ERR_PACKET_TOO_LARGE")
    t.expect_error("body over --max-payload", ["decode", "--transport", "polling",
                                               "--max-payload", "10"],
                   jsonl([{"text": "4" + "z" * 20}]), "EIO_ERR_PAYLOAD_TOO_LARGE")
    t.expect_error("line over --max-line", ws4 + ["--max-line", "64"],
                   b'{"text":"4a"}\n' + jsonl([{"text": "4" + "z" * 100}]), "EIO_ERR_LIMIT",
                   64, 2, [{"type": "message", "data": "a"}])
    t.expect_error("line over the default limit", ws4,
                   jsonl([{"text": "4" + "z" * 6010000}]), "EIO_ERR_LIMIT", 6004096, 1)
    enc = ["encode", "--eio", "4", "--transport", "polling"]
    t.expect_ok("encode a long body", enc,
                jsonl([{"type": "message", "data": big[:400000]},
                       {"type": "message", "binary": b64(blob[:300000])}]),
                [{"text": "4" + big[:400000] + "\x1eb" + b64(blob[:300000])}])
    t.expect_error("encode: data over --max-payload", enc + ["--max-payload", "5"],
                   b'{"type":"message","data":"abc"}\n{"type":"message","data":"abc"}\n',
                   "EIO_ERR_PAYLOAD_TOO_LARGE", 25, 2)


def test_encode(t):
    ws4 = ["encode", "--eio", "4", "--transport", "websocket"]
    ws3 = ["encode", "--eio", "3", "--transport", "websocket"]
    t.expect_ok("encode ws4", ws4,
                b'{"type":"message","data":"hello"}\n{"type":"ping","data":"probe"}\n'
                b'{"type":"noop"}\n{"type":"message","binary":"AQID"}\n',
                [{"text": "4hello"}, {"text": "2probe"}, {"text": "6"}, {"binary": "AQID"}])
    t.expect_ok("encode ws4 --no-binary", ws4 + ["--no-binary"],
                b'{"type":"message","binary":"AQID"}\n', [{"text": "bAQID"}])
    t.expect_ok("encode ws3 binary", ws3, b'{"type":"message","binary":"AQID"}\n',
                [{"binary": b64([4, 1, 2, 3])}])
    t.expect_ok("encode ws3 --no-binary", ws3 + ["--no-binary"],
                b'{"type":"message","binary":"AQID"}\n', [{"text": "b4AQID"}])
    t.expect_ok("encode poll4", ["encode", "--transport", "polling"],
                b'{"type":"message","data":"a"}\n{"type":"message","binary":"AQID"}\n',
                [{"text": "4a\x1ebAQID"}])
    t.expect_ok("encode poll3 text", ["encode", "--eio", "3", "--transport", "polling"],
                b'{"type":"message","data":"hello"}\n{"type":"ping","data":"x"}\n',
                [{"text": "6:4hello2:2x"}])
    t.expect_ok("encode poll3 binary", ["encode", "--eio", "3", "--transport", "polling"],
                b'{"type":"message","data":"hello"}\n{"type":"message","binary":"AQID"}\n',
                [{"binary": b64(bytes([0, 6, 255]) + b"4hello" + bytes([1, 4, 255, 4, 1, 2, 3]))}])
    t.expect_ok("encode poll3 --no-binary",
                ["encode", "--eio", "3", "--transport", "polling", "--no-binary"],
                b'{"type":"message","binary":"AQID"}\n', [{"text": "6:b4AQID"}])
    # decode(encode(x)) == x
    # (\x1e separates v4 polling records, so no packet can carry it there.)
    pk = [{"type": "open", "data": '{"sid":"x"}'}, {"type": "message", "data": "\x1f\"é\n"},
          {"type": "message", "binary": b64(b"\x00\xff")}, {"type": "upgrade"}]
    for eio in ("3", "4"):
        for tr in ("websocket", "polling"):
            for extra in ([], ["--no-binary"]):
                args = ["--eio", eio, "--transport", tr]
                rc, units, _ = t.run_json(["encode"] + args + extra, jsonl(pk))
                t.check(rc == 0, "encode round trip %s %s" % (args, extra))
                t.expect_ok("round trip %s %s" % (args, extra), ["decode"] + args,
                            jsonl(units), pk)


def test_errors(t):
    ws4 = ["decode", "--eio", "4", "--transport", "websocket"]
    enc = ["encode", "--eio", "4", "--transport", "websocket"]
    E = t.expect_error
    # bad JSON: the JSON reader's code and offset within the line
    E("JSON trailing", ws4, b'{"text":"4a"} x\n', "EIO_ERR_JSON_TRAILING", 14, 1)
    E("JSON syntax", ws4, b'{"text" "4a"}\n', "EIO_ERR_JSON_SYNTAX", 8, 1)
    E("JSON cut", ws4, b'{"text":"4a"}\n{"text":\n', "EIO_ERR_JSON_UNEXPECTED_END", None, 2,
      [{"type": "message", "data": "a"}])
    E("JSON bad UTF-8", ws4, b'{"text":"4\xff"}\n', "EIO_ERR_JSON_INVALID_UTF8", 10, 1)
    E("JSON error in encode", enc, b'\n\n{"type":nope}\n', "EIO_ERR_JSON_SYNTAX", None, 3)
    # malformed unit objects
    E("not an object", ws4, b'  ["4a"]\n', "EIO_ERR_INVALID_ARGUMENT", 2, 1)
    E("no text or binary", ws4, b'{"data":"4a"}\n', "EIO_ERR_INVALID_ARGUMENT", 0, 1)
    E("text not a string", ws4, b'{"text":4}\n', "EIO_ERR_INVALID_ARGUMENT", 8, 1)
    E("binary not a string", ws4, b'{"binary":null}\n', "EIO_ERR_INVALID_ARGUMENT", 10, 1)
    E("text and binary", ws4, b'{"text":"4a","binary":"AQID"}\n', "EIO_ERR_INVALID_ARGUMENT",
      13, 1)
    E("binary not base64", ws4, b'{"binary":"AQ*D"}\n', "EIO_ERR_INVALID_BASE64", 13, 1)
    E("binary bad length", ws4, b'{"binary":"AQI"}\n', "EIO_ERR_INVALID_BASE64")
    E("text_base64 not UTF-8", ws4, jsonl([{"text_base64": b64(b"4ab\xe0\x80\xaf")}]),
      "EIO_ERR_INVALID_UTF8", 3, 1)
    E("text_base64 not base64", ws4, b'{"text_base64":"NGh"}\n', "EIO_ERR_INVALID_BASE64")
    E("text and text_base64", ws4, b'{"text_base64":"NGhp","text":"4a"}\n',
      "EIO_ERR_INVALID_ARGUMENT", 22, 1)
    E("bad transport override", ws4, b'{"text":"4a","transport":"tcp"}\n',
      "EIO_ERR_INVALID_ARGUMENT", 25, 1)
    E("transport override not a string", ws4, b'{"text":"4a","transport":1}\n',
      "EIO_ERR_INVALID_ARGUMENT", 25, 1)
    # decoder errors: offset inside the unit
    E("empty frame", ws4, b'{"text":"4a"}\n{"text":""}\n', "EIO_ERR_EMPTY_PACKET", 0, 2,
      [{"type": "message", "data": "a"}])
    E("bad type", ws4, b'{"text":"9"}\n', "EIO_ERR_INVALID_TYPE", 0, 1)
    E("v4 polling binary body", ["decode", "--transport", "polling"], b'{"binary":"AQID"}\n',
      "EIO_ERR_NOT_BINARY", 0, 1)
    E("empty v4 body", ["decode", "--transport", "polling"], b'{"text":""}\n',
      "EIO_ERR_EMPTY_PAYLOAD", 0, 1)
    E("bad v4 body record", ["decode", "--transport", "polling"], b'{"text":"4a\\u001e9"}\n',
      "EIO_ERR_INVALID_TYPE", 3, 1, [{"type": "message", "data": "a"}])
    E("v3 bad length", ["decode", "--eio", "3", "--transport", "polling"], b'{"text":"x:4a"}\n',
      "EIO_ERR_BAD_LENGTH")
    # malformed packet objects
    E("unknown type name", enc, b'{"type":"mesage","data":"x"}\n', "EIO_ERR_INVALID_ARGUMENT",
      8, 1)
    E("type missing", enc, b'{"data":"x"}\n', "EIO_ERR_INVALID_ARGUMENT", 0, 1)
    E("type not a string", enc, b'{"type":4}\n', "EIO_ERR_INVALID_ARGUMENT", 8, 1)
    E("data not a string", enc, b'{"type":"message","data":1}\n', "EIO_ERR_INVALID_ARGUMENT",
      25, 1)
    E("data and binary", enc, b'{"type":"message","data":"x","binary":"AQID"}\n',
      "EIO_ERR_INVALID_ARGUMENT", 29, 1)
    E("packet binary not base64", enc, b'{"type":"message","binary":"AQ!D"}\n',
      "EIO_ERR_INVALID_BASE64", 30, 1)
    E("encode error stops before the body", ["encode", "--transport", "polling"],
      b'{"type":"message","data":"x"}\n{"type":"bogus"}\n', "EIO_ERR_INVALID_ARGUMENT", 8, 2,
      [])
    E("encode ws prints frames before the error", enc,
      b'{"type":"message","data":"x"}\n{"type":"bogus"}\n', "EIO_ERR_INVALID_ARGUMENT", 8, 2,
      [{"text": "4x"}])


def test_usage(t):
    for verb in ("decode", "encode"):
        U = t.expect_usage
        U("%s unknown flag" % verb, [verb, "--bogus"])
        U("%s missing value" % verb, [verb, "--eio"])
        U("%s missing value at the end" % verb, [verb, "--transport", "polling", "--input"])
        U("%s bad --eio" % verb, [verb, "--eio", "5"])
        U("%s bad --transport" % verb, [verb, "--transport", "tcp"])
        U("%s bad --max-payload" % verb, [verb, "--max-payload", "12k"])
        U("%s zero --max-payload" % verb, [verb, "--max-payload", "0"])
        U("%s negative --max-line" % verb, [verb, "--max-line", "-5"])
        U("%s stray argument" % verb, [verb, "file.jsonl"])
    t.expect_usage("--no-binary is for encode", ["decode", "--no-binary"])
    t.expect_usage("no verb", [])
    t.expect_usage("unknown verb", ["transmogrify"])
    t.expect_usage("unknown global flag", ["--bogus"])

    rc, lines, err = t.run(["--help"])
    text = "\n".join(lines)
    t.check(rc == 0 and "decode" in text and "encode" in text and "--version" in text,
            "sioc --help lists the verbs", text[:300])
    rc, lines, err = t.run(["--version"])
    t.check(rc == 0 and len(lines) == 1 and lines[0].startswith("sioc "), "sioc --version",
            str(lines))
    for verb, opts in (("decode", ["--eio", "--transport", "--input", "--max-payload",
                                   "--max-line", "--help"]),
                       ("encode", ["--eio", "--transport", "--no-binary", "--input",
                                   "--max-payload", "--max-line", "--help"])):
        for flag in ("--help", "-h"):
            # --help wins over whatever else is on the line.
            rc, lines, err = t.run([verb, "--eio", "4", flag, "--bogus"])
            text = "\n".join(lines)
            t.check(rc == 0, "sioc %s %s: exit 0" % (verb, flag))
            for o in opts:
                t.check(o in text, "sioc %s %s mentions %s" % (verb, flag, o))
            t.check("default" in text and "EXAMPLE" in text,
                    "sioc %s %s shows defaults and an example" % (verb, flag))


# ---------------------------------------------------------------------- #
# (b2) Socket.IO: vectors/sio/*.jsonl and hand-written cases


def sio_unit(sio, m):
    """A Socket.IO vector's message as the Engine.IO WebSocket frame that
    carries it: Socket.IO 5 runs over Engine.IO 4 (binary frames are the raw
    bytes), 4 over Engine.IO 3 (binary frames start with the type byte 4)."""
    if "text" in m:
        return {"text": "4" + m["text"]}
    if "text_base64" in m:
        return {"text_base64": b64(b"4" + base64.b64decode(m["text_base64"]))}
    raw = base64.b64decode(m["binary"])
    return {"binary": b64((b"\x04" if sio == 4 else b"") + raw)}


def sio_args(verb, v):
    # The large vectors (SIO_ERR_PACKET_TOO_LARGE, SIO_ERR_ATTACHMENT_TOO_LARGE)
    # test the Socket.IO limits, so the Engine.IO ones are raised above them.
    return [verb, "--sio", str(v["sio"]), "--parser", v["parser"], "--max-payload", "2000000"]


def load_sio_vectors(t, root):
    files = sorted(glob.glob(os.path.join(root, "sio", "*.jsonl")))
    out = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        out.append(json.loads(line))
                    except ValueError as e:
                        t.check(False, "%s:%d is JSON" % (path, n), str(e))
    return files, out


def test_sio_vectors(t, root):
    files, vectors = load_sio_vectors(t, root)
    print("sio vectors: %d files, %d vectors" % (len(files), len(vectors)))
    if not files:
        return 0
    msgpack_ok = t.run(["decode", "--sio", "5", "--parser", "msgpack"])[0] == 0
    if not msgpack_ok:
        print("sio vectors: this build lacks msgpack; msgpack vectors skipped")
        vectors = [v for v in vectors if v["parser"] != "msgpack"]

    # decode, good vectors: one process per (sio, parser); every vector
    # leaves nothing pending, so their packets simply follow each other.
    groups = {}
    for v in vectors:
        if "packets" in v:
            groups.setdefault((v["sio"], v["parser"]), []).append(v)
    for key, vs in sorted(groups.items()):
        args = sio_args("decode", vs[0])
        stdin = jsonl([sio_unit(v["sio"], m) for v in vs for m in v["messages"]])
        want = [p for v in vs for p in v["packets"]]
        rc, got, err = t.run_json(args, stdin)
        if t.check(rc == 0 and got == want, "sio decode batch %s" % (key,)):
            continue
        for v in vs:
            t.expect_ok("sio decode vector %s" % v["name"], sio_args("decode", v),
                        jsonl([sio_unit(v["sio"], m) for m in v["messages"]]), v["packets"])

    # decode, error vectors: an error ends a run, so one run each (in
    # parallel). The error line names the message's line.
    errs = [v for v in vectors if "error" in v]
    jobs = [(sio_args("decode", v),
             jsonl([sio_unit(v["sio"], m) for m in v["messages"]])) for v in errs]
    for v, (rc, lines, err) in zip(errs, t.run_many(jobs)):
        name = "sio decode error vector %s" % v["name"]
        try:
            e = json.loads(lines[-1]) if lines else {}
        except ValueError:
            e = {}
        want_code, want_off = v["error"], v["offset"]
        if any("text_base64" in m for m in v["messages"]):
            # Text frames must be UTF-8: the Engine.IO layer refuses the
            # frame before the Socket.IO decoder sees the bad bytes.
            want_code, want_off = "EIO_ERR_INVALID_UTF8", None
        t.check(rc == 1 and e.get("error") == want_code and
                (want_off is None or e.get("offset") == want_off) and
                e.get("line") == v["message"] + 1 and err == "", name,
                "status %s, got %s, want %s at %s line %d" % (rc, lines[-1:], want_code,
                                                              want_off, v["message"] + 1))

    # encode: the packets give back the vector's frames exactly.
    groups = {}
    for v in vectors:
        if "packets" in v and v.get("roundtrip", True) is not False:
            groups.setdefault((v["sio"], v["parser"]), []).append(v)
    for key, vs in sorted(groups.items()):
        args = sio_args("encode", vs[0])
        stdin = jsonl([p for v in vs for p in v["packets"]])
        want = [sio_unit(v["sio"], m) for v in vs for m in v["messages"]]
        rc, got, err = t.run_json(args, stdin)
        if t.check(rc == 0 and got == want, "sio encode batch %s" % (key,)):
            continue
        for v in vs:
            t.expect_ok("sio encode vector %s" % v["name"], sio_args("encode", v),
                        jsonl(v["packets"]), [sio_unit(v["sio"], m) for m in v["messages"]])
    return len(files)


def test_sio(t):
    d5 = ["decode", "--sio", "5"]
    d4 = ["decode", "--sio", "4"]
    e5 = ["encode", "--sio", "5"]
    e4 = ["encode", "--sio", "4"]
    U = t.expect_usage
    for verb in ("decode", "encode"):
        U("%s --parser msgpack without --sio" % verb, [verb, "--parser", "msgpack"])
        U("%s --parser json without --sio" % verb, [verb, "--parser", "json"])
        U("%s --parser msgpack with --sio 4" % verb, [verb, "--sio", "4", "--parser", "msgpack"])
        U("%s bad --sio" % verb, [verb, "--sio", "3"])
        U("%s bad --parser" % verb, [verb, "--sio", "5", "--parser", "bson"])
        U("%s --sio without a value" % verb, [verb, "--sio"])
    rc, _, err = t.run(["decode", "--parser", "msgpack"])
    t.check("--sio" in err, "--parser msgpack without --sio says why", err)
    rc, _, err = t.run(["decode", "--sio", "5", "--parser", "msgpack"])
    t.check(rc == 0 or (rc == 2 and "lacks msgpack" in err),
            "--parser msgpack works or says the build lacks msgpack", "%s %s" % (rc, err))
    for verb in ("decode", "encode"):
        rc, lines, _ = t.run([verb, "--help"])
        text = "\n".join(lines)
        t.check(rc == 0 and "--sio" in text and "--parser" in text and "$binary" in text,
                "sioc %s --help documents --sio and --parser" % verb)

    # decode: the line format
    t.expect_ok("sio decode event", d5, b'{"text":"42/admin,12[\\"msg\\",1.5,null]"}\n',
                [{"type": "EVENT", "nsp": "/admin", "id": 12, "data": ["msg", 1.5, None]}])
    rc, lines, _ = t.run(d5, b'{"text":"40"}\n{"text":"42[\\"a\\",{\\"b\\":1,\\"2\\":3,\\"b\\":4}]"}\n')
    t.check(rc == 0 and lines == ['{"type":"CONNECT","nsp":"/"}',
                                  '{"type":"EVENT","nsp":"/","data":["a",{"2":3,"b":4}]}'],
            "sio decode prints as JSON.stringify (index keys first, duplicates once)",
            str(lines))
    t.expect_ok("sio decode v4 query", d4, b'{"text":"40/chat?room=1,"}\n',
                [{"type": "CONNECT", "nsp": "/chat", "query": "room=1"}])
    t.expect_ok("v5 keeps ?query in nsp", d5, b'{"text":"42/chat?x=1,[\\"a\\"]"}\n',
                [{"type": "EVENT", "nsp": "/chat?x=1", "data": ["a"]}])
    # Engine.IO packets other than messages still print as before.
    t.expect_ok("sio decode keeps Engine.IO packets", d5,
                b'{"text":"2probe"}\n{"text":"40"}\n{"text":"6"}\n{"text":"1"}\n',
                [{"type": "ping", "data": "probe"}, {"type": "CONNECT", "nsp": "/"},
                 {"type": "noop"}, {"type": "close"}])

    # attachments in later units, with other packets in between
    ev = '451-[\\"up\\",{\\"_placeholder\\":true,\\"num\\":0}]'
    t.expect_ok("attachments in later websocket frames", d5,
                ('{"text":"%s"}\n{"text":"2"}\n{"binary":"AQID"}\n' % ev).encode(),
                [{"type": "ping"},
                 {"type": "BINARY_EVENT", "nsp": "/", "data": ["up", {"$binary": "AQID"}]}])
    t.expect_ok("attachment in a later polling body (base64)",
                d5 + ["--transport", "polling"],
                ('{"text":"%s\\u001e3"}\n{"text":"bAQID\\u001e42[\\"x\\"]"}\n' % ev).encode(),
                [{"type": "pong"},
                 {"type": "BINARY_EVENT", "nsp": "/", "data": ["up", {"$binary": "AQID"}]},
                 {"type": "EVENT", "nsp": "/", "data": ["x"]}])
    two = '452-/a,7[\\"two\\",{\\"_placeholder\\":true,\\"num\\":1},{\\"_placeholder\\":true,\\"num\\":0}]'
    body3 = bytes([1, 2, 255, 4, 9]) + bytes([1, 2, 255, 4, 8])
    two = json.loads('"%s"' % two)
    t.expect_ok("v4 attachments over an Engine.IO 3 binary body", d4 + ["--transport", "polling"],
                jsonl([{"text": "%d:%s" % (len(two), two)},
                       {"binary": b64(body3)}]),
                [{"type": "BINARY_EVENT", "nsp": "/a", "id": 7,
                  "data": ["two", {"$binary": "CA=="}, {"$binary": "CQ=="}]}])
    t.expect_ok("v4 binary frames over Engine.IO 3", d4,
                jsonl([{"text": json.loads('"%s"' % ev)}, {"binary": b64(b"\x04\x01\x02\x03")}]),
                [{"type": "BINARY_EVENT", "nsp": "/", "data": ["up", {"$binary": "AQID"}]}])
    # per-line transport override, as in captures that upgrade
    t.expect_ok("sio with per-line transport override", d5,
                ('{"transport":"polling","text":"40\\u001e%s"}\n'
                 '{"transport":"websocket","binary":"AQID"}\n' % ev).encode(),
                [{"type": "CONNECT", "nsp": "/"},
                 {"type": "BINARY_EVENT", "nsp": "/", "data": ["up", {"$binary": "AQID"}]}])
    rc, lines, err = t.run(d5, ('{"text":"%s"}\n' % ev).encode())
    t.check(rc == 0 and lines == [] and "attachments" in err,
            "input ending with attachments pending: dropped, said on stderr",
            "%s %s %s" % (rc, lines, err))

    # decode errors: code, offset inside the Socket.IO packet, line
    E = t.expect_error
    E("sio reserved event", d5, b'{"text":"40"}\n{"text":"42[\\"connect\\"]"}\n',
      "SIO_ERR_EVENT_RESERVED", 2, 2, [{"type": "CONNECT", "nsp": "/"}])
    E("sio error in a polling body", d5 + ["--transport", "polling"],
      b'{"text":"42[\\"a\\"]\\u001e47"}\n', "SIO_ERR_INVALID_TYPE", 0, 1,
      [{"type": "EVENT", "nsp": "/", "data": ["a"]}])
    E("sio unexpected binary", d5, b'{"binary":"AQID"}\n', "SIO_ERR_UNEXPECTED_BINARY", 0, 1)
    E("sio text while attachments pending", d5,
      ('{"text":"%s"}\n{"text":"42[\\"b\\"]"}\n' % ev).encode(), "SIO_ERR_UNEXPECTED_TEXT", 0, 2)
    E("sio empty message", d5, b'{"text":"4"}\n', "EIO_ERR_EMPTY_PACKET", 0, 1)
    E("sio JSON payload error", d5, b'{"text":"42[\\"a\\",]"}\n', "EIO_ERR_JSON_SYNTAX", 6, 1)
    E("Engine.IO errors stay Engine.IO errors", d5, b'{"text":"9"}\n',
      "EIO_ERR_INVALID_TYPE", 0, 1)

    # encode: Socket.IO and Engine.IO lines mixed
    mixed = [{"type": "open", "data": '{"sid":"s"}'}, {"type": "CONNECT", "nsp": "/"},
             {"type": "ping"},
             {"type": "EVENT", "nsp": "/admin", "id": 12,
              "data": ["msg", {"$binary": "AQID"}, [{"$binary": "BA=="}]]},
             {"type": "noop"}, {"type": "ACK", "nsp": "/", "id": 3, "data": []},
             {"type": "message", "data": "raw"}]
    t.expect_ok("encode mixed lines (websocket)", e5, jsonl(mixed),
                [{"text": '0{"sid":"s"}'}, {"text": "40"}, {"text": "2"},
                 {"text": '452-/admin,12["msg",{"_placeholder":true,"num":0},'
                          '[{"_placeholder":true,"num":1}]]'},
                 {"binary": "AQID"}, {"binary": "BA=="}, {"text": "6"}, {"text": "433[]"},
                 {"text": "4raw"}])
    t.expect_ok("encode mixed lines (polling)", e5 + ["--transport", "polling"], jsonl(mixed),
                [{"text": '0{"sid":"s"}\x1e40\x1e2\x1e452-/admin,12["msg",{"_placeholder":true,'
                          '"num":0},[{"_placeholder":true,"num":1}]]\x1ebAQID\x1ebBA==\x1e6'
                          '\x1e433[]\x1e4raw'}])
    t.expect_ok("encode v4 over Engine.IO 3", e4,
                jsonl([{"type": "EVENT", "nsp": "/chat", "query": "a=1", "data": ["m", {"$binary": "AQID"}]}]),
                [{"text": '451-/chat?a=1,["m",{"_placeholder":true,"num":0}]'},
                 {"binary": b64(b"\x04\x01\x02\x03")}])
    t.expect_ok("encode --no-binary sends attachments as base64 text", e5 + ["--no-binary"],
                jsonl([{"type": "EVENT", "data": ["m", {"$binary": "AQID"}]}]),
                [{"text": '451-["m",{"_placeholder":true,"num":0}]'}, {"text": "bAQID"}])
    # the tree keeps the line's key order and numbers
    rc, lines, _ = t.run(e5, b'{"type":"EVENT","data":["n",{"z":1,"a":2.50,"e":1E21,"m":-0,'
                             b'"u":{"$undefined":true},"1":0},[{"$undefined":true}]]}\n')
    t.check(rc == 0 and lines == ['{"text":"42[\\"n\\",{\\"1\\":0,\\"z\\":1,\\"a\\":2.5,'
                                  '\\"e\\":1e+21,\\"m\\":0},[null]]"}'],
            "encode keeps key order, writes numbers and undefined as JSON.stringify", str(lines))
    # round trip: decode(encode(x)) == x, through polling too
    pk = [{"type": "CONNECT", "nsp": "/admin", "data": {"token": "é\u2028\"x"}},
          {"type": "EVENT", "nsp": "/", "id": 9007199254740991, "data": ["e", {"$binary": ""}]},
          {"type": "ping", "data": "probe"},
          {"type": "CONNECT_ERROR", "nsp": "/p", "data": {"message": "no"}},
          {"type": "DISCONNECT", "nsp": "/admin"}]
    want = [dict(p, type="BINARY_EVENT") if p["type"] == "EVENT" else p for p in pk]
    for args in (["--sio", "5"], ["--sio", "4"], ["--sio", "5", "--transport", "polling"],
                 ["--sio", "4", "--transport", "polling"], ["--sio", "5", "--no-binary"]):
        rc, units, _ = t.run_json(["encode"] + args, jsonl(pk))
        t.check(rc == 0, "sio encode round trip %s" % args)
        t.expect_ok("sio round trip %s" % args,
                    ["decode"] + [a for a in args if a != "--no-binary"], jsonl(units), want)

    # encode errors: offsets of the offending member or value in the line
    line = '{"type":"EVENT","data":["a",{"k":[{"$binary":"AQID","x":1}]}]}'
    E("$binary with another key", e5, (line + "\n").encode(), "EIO_ERR_INVALID_ARGUMENT",
      line.index('{"$binary'), 1)
    line = '{"type":"EVENT","data":["a", {"$binary":"AQ*D"}]}'
    E("$binary not base64", e5, (line + "\n").encode(), "EIO_ERR_INVALID_BASE64",
      line.index("*"), 1)
    line = '{"type":"EVENT","data":["a",{"$binary":7}]}'
    E("$binary not a string", e5, (line + "\n").encode(), "EIO_ERR_INVALID_ARGUMENT",
      line.index("7"), 1)
    line = '{"type":"EVENT","data":["a",{"$undefined":false}]}'
    E("$undefined not true", e5, (line + "\n").encode(), "EIO_ERR_INVALID_ARGUMENT",
      line.index("false"), 1)
    E("unknown upper-case type", e5, b'{"type":"EVENTS","data":["a"]}\n',
      "EIO_ERR_INVALID_ARGUMENT", 8, 1)
    E("ERROR is a v4 name", e5, b'{"type":"ERROR","data":"x"}\n', "EIO_ERR_INVALID_ARGUMENT", 8, 1)
    t.expect_ok("ERROR in v4", e4, b'{"type":"ERROR","data":"x"}\n', [{"text": '44"x"'}])
    E("Socket.IO type without --sio", ["encode"], b'{"type":"EVENT","data":["a"]}\n',
      "EIO_ERR_INVALID_ARGUMENT", 8, 1)
    E("query in v5", e5, b'{"type":"CONNECT","nsp":"/a","query":"x=1"}\n',
      "EIO_ERR_INVALID_ARGUMENT", 37, 1)
    E("nsp not a string", e5, b'{"type":"CONNECT","nsp":1}\n', "EIO_ERR_INVALID_ARGUMENT", 24, 1)
    E("bad nsp", e5, b'{"type":"CONNECT","nsp":"admin"}\n', "SIO_ERR_BAD_NAMESPACE", 24, 1)
    # JavaScript numbers: integers beyond 2^53 are the double JSON.parse makes
    t.expect_ok("large integers are JavaScript numbers", e5,
                b'{"type":"EVENT","data":["n",12345678901234567891,-9007199254740993]}\n',
                [{"text": '42["n",12345678901234567000,-9007199254740992]'}])
    rc, lines, _ = t.run(d5, b'{"text":"42[\\"n\\",12345678901234567891]"}\n')
    t.check(rc == 0 and lines == ['{"type":"EVENT","nsp":"/","data":["n",12345678901234567000]}'],
            "decode prints large integers as JSON.stringify", str(lines))
    E("id not an integer", e5, b'{"type":"ACK","id":1.5,"data":[]}\n',
      "EIO_ERR_INVALID_ARGUMENT", 19, 1)
    E("negative id", e5, b'{"type":"ACK","id":-1,"data":[]}\n', "SIO_ERR_BAD_ACK_ID", 19, 1)
    E("id over 2^53-1", e5, b'{"type":"ACK","id":9007199254740992,"data":[]}\n',
      "SIO_ERR_BAD_ACK_ID", 19, 1)
    E("reserved event name", e5, b'{"type":"EVENT","data":["disconnect"]}\n',
      "SIO_ERR_EVENT_RESERVED", 23, 1)
    E("EVENT without data", e5, b'{"type":"EVENT"}\n', "SIO_ERR_MISSING_PAYLOAD", 0, 1)
    E("sio error after good lines (websocket)", e5,
      b'{"type":"CONNECT"}\n{"type":"ACK","data":{}}\n', "SIO_ERR_ACK_NOT_ARRAY", 21, 2,
      [{"text": "40"}])
    E("sio error: no polling body", e5 + ["--transport", "polling"],
      b'{"type":"CONNECT"}\n{"type":"ACK","data":{}}\n', "SIO_ERR_ACK_NOT_ARRAY", 21, 2, [])


def test_sio_captures(t, root):
    files = sorted(glob.glob(os.path.join(root, "captures", "sio*.jsonl")))
    for path in files:
        name = os.path.basename(path)
        sio = "4" if name.startswith("sio4") else "5"
        rc, got, err = t.run_json(["decode", "--sio", sio, "--input", path])
        t.check(rc == 0 and err == "", "decode capture %s --sio %s" % (name, sio),
                "status %s, last %s, stderr %s" % (rc, got[-1:], err[:300]))
        types = [o.get("type") for o in got if isinstance(o, dict)]
        t.check("CONNECT" in types and "EVENT" in types,
                "capture %s holds Socket.IO packets" % name, str(types))
        # Each Socket.IO packet goes back to the frames it came from.
        with open(path, encoding="utf-8") as f:
            units = [json.loads(line) for line in f if line.strip()]
        ws = [{k: u[k] for k in ("text", "binary") if k in u} for u in units
              if u.get("transport") == "websocket"]
        if not ws:
            continue
        rc, pk, _ = t.run_json(["decode", "--sio", sio, "--transport", "websocket"], jsonl(ws))
        rc2, again, _ = t.run_json(["encode", "--sio", sio, "--transport", "websocket"], jsonl(pk))
        t.check(rc == 0 and rc2 == 0 and again == ws,
                "capture %s: WebSocket frames re-encode to the same bytes" % name,
                "%s %s\n      %s\n      %s" % (rc, rc2, again[:4], ws[:4]))
    print("sio captures: %d files" % len(files))
    return len(files)


# ---------------------------------------------------------------------- #
# (c) captures


def test_captures(t, root):
    files = sorted(p for p in glob.glob(os.path.join(root, "captures", "*"))
                   if os.path.isfile(p) and not p.endswith((".md", ".txt")))
    for path in files:
        name = os.path.basename(path)
        eio = "3" if ("v3" in name or "eio3" in name) else "4"
        transport = "websocket" if "websocket" in name else "polling"
        rc, lines, err = t.run(["decode", "--eio", eio, "--transport", transport,
                                "--input", path])
        t.check(rc == 0, "decode capture %s" % name,
                "status %s, last line %s, stderr %s" % (rc, lines[-1:], err[:300]))
    print("captures: %d files" % len(files))


def main():
    if len(sys.argv) != 2:
        print("usage: test_cli.py <path to sioc>", file=sys.stderr)
        return 2
    t = Tests(sys.argv[1])
    root = os.environ.get("SIOC_VECTORS") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "vectors")
    test_decode(t)
    test_encode(t)
    test_errors(t)
    test_usage(t)
    test_long_lines(t)
    n_files = test_vectors(t, root)
    t.check(n_files > 0, "vector files exist in %s/eio" % root)
    test_captures(t, root)
    test_sio(t)
    t.check(test_sio_vectors(t, root) > 0, "Socket.IO vector files exist in %s/sio" % root)
    t.check(test_sio_captures(t, root) > 0, "Socket.IO captures exist in %s/captures" % root)
    print("cli: %d checks passed, %d failed, %d runs of sioc" % (t.passed, t.failed, t.runs))
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
