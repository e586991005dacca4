"""A python-socketio peer client for the interop tests of `sioc serve`.

Run with the interpreter that has python-socketio (Debian's python3-socketio,
/usr/bin/python3). Runs one case and prints one JSON line per observation
({"obs": NAME, ...}; bytes as {"$binary": "<base64>"}), then {"obs": "done"}
(exit 0), or {"obs": "timeout", "missing": [...]} (exit 1) at its deadline.

    py_sio.py '{"case": "suite", "url": "http://127.0.0.1:3000",
                "path": "socket.io", "transports": ["polling"],
                "deadline": 20}'

With "parser": "msgpack", the clients use python-socketio's msgpack serializer.

Cases: suite (the test-suite application), chat (the chat application,
two clients), reconnect (the server restarts under the client).
"""
import base64
import json
import os
import sys
import threading

import socketio

CFG = json.loads(sys.argv[1])
LOCK = threading.Lock()
SEEN = set()
NEEDED = []
DONE = threading.Event()


def enc(v):
    if isinstance(v, (bytes, bytearray)):
        return {"$binary": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    return v


def out(obj):
    with LOCK:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def mark(key):
    with LOCK:
        SEEN.add(key)
        complete = NEEDED and all(k in SEEN for k in NEEDED)
    if complete:
        DONE.set()


def watchdog():
    out({"obs": "timeout", "missing": [k for k in NEEDED if k not in SEEN]})
    sys.stdout.flush()
    os._exit(1)


def client(**kw):
    kw.setdefault("reconnection", False)
    if CFG.get("parser") == "msgpack":
        # python-socketio's own msgpack serializer (needs python3-msgpack)
        kw["serializer"] = "msgpack"
    return socketio.Client(handle_sigint=False, **kw)


def connect(sio, **kw):
    kw.setdefault("wait_timeout", 10)
    sio.connect(CFG["url"], transports=CFG.get("transports"),
                socketio_path=CFG.get("path", "socket.io"), **kw)


def case_suite():
    NEEDED[:] = ["connect", "auth:/", "message-back:/", "ack:/", "auth:/custom",
                 "message-back:/custom", "refused:/nope", "transport"]
    sio = client()

    @sio.on("auth")
    def on_auth(data):
        out({"obs": "auth", "nsp": "/", "data": enc(data)})
        mark("auth:/")

    @sio.on("auth", namespace="/custom")
    def on_auth_custom(data):
        out({"obs": "auth", "nsp": "/custom", "data": enc(data)})
        mark("auth:/custom")

    @sio.on("message-back")
    def on_back(*args):
        out({"obs": "message-back", "nsp": "/", "args": enc(list(args))})
        mark("message-back:/")

    @sio.on("message-back", namespace="/custom")
    def on_back_custom(*args):
        out({"obs": "message-back", "nsp": "/custom", "args": enc(list(args))})
        mark("message-back:/custom")

    connect(sio, auth={"token": "abc"}, namespaces=["/", "/custom"])
    out({"obs": "connect", "transport": sio.transport(), "namespaces": sorted(sio.namespaces)})
    mark("connect")
    sio.emit("message", (1, "two", {"three": [3, None, True]}, b"\x01\x02\x03"))
    sio.emit("message", ("custom", b"\x06"), namespace="/custom")

    def on_ack(*args):
        out({"obs": "ack", "nsp": "/", "args": enc(list(args))})
        mark("ack:/")

    sio.emit("message-with-ack", ("a", b"\x04\x05"), callback=on_ack)

    bad = client()

    @bad.on("connect_error", namespace="/nope")
    def on_refused(data):
        out({"obs": "refused", "nsp": "/nope", "data": enc(data)})
        mark("refused:/nope")

    # wait=False: this client waits for a namespace that never connects.
    connect(bad, namespaces=["/nope"], wait=False)
    # The transport once the handshake and any upgrade are over.
    out({"obs": "transport", "transport": sio.transport()})
    mark("transport")
    DONE.wait()
    sio.disconnect()
    try:
        bad.disconnect()
    except Exception:  # noqa: BLE001 - it may never have connected
        pass


def case_chat():
    NEEDED[:] = ["joined:A", "joined:B", "room-ack", "message:B", "server-ping",
                 "server-ping-answer", "rooms", "left", "to-all:A", "to-all-ack", "echo"]
    a = client()
    b = client()
    answered = threading.Event()

    @b.on("message")
    def b_message(*args):
        out({"obs": "message", "who": "B", "args": enc(list(args))})
        mark("message:B")

    @a.on("message")
    def a_message(*args):
        out({"obs": "message", "who": "A", "args": enc(list(args))})
        if args and args[0] == "to-all":
            mark("to-all:A")

    @a.on("server-ping")
    def a_ping(*args):
        out({"obs": "server-ping", "args": enc(list(args))})
        mark("server-ping")
        return "pong", b"\x07"

    @a.on("server-ping-answer")
    def a_answer(*args):
        out({"obs": "server-ping-answer", "args": enc(list(args))})
        mark("server-ping-answer")
        answered.set()

    @a.on("echo")
    def a_echo(*args):
        out({"obs": "echo", "args": enc(list(args))})
        mark("echo")

    connect(a)
    connect(b)
    out({"obs": "connect", "transport": a.transport()})
    for who, s in (("A", a), ("B", b)):
        r = s.call("join", "room1", timeout=10)
        out({"obs": "joined", "who": who, "args": enc([r])})
        mark("joined:" + who)
    r = a.call("room-message", ("room1", "hi", b"\x09"), timeout=10)
    out({"obs": "room-ack", "args": enc([r])})
    mark("room-ack")
    a.emit("ping-me", "p1")
    answered.wait(15)
    r = a.call("rooms", timeout=10)
    out({"obs": "rooms", "args": enc([r])})
    mark("rooms")
    r = a.call("leave", "room1", timeout=10)
    out({"obs": "left", "args": enc([r])})
    mark("left")
    r = b.call("message", "to-all", timeout=10)
    out({"obs": "to-all-ack", "args": enc([r])})
    mark("to-all-ack")
    a.emit("echo", (b"\x01\x02", "e"))
    DONE.wait()
    a.disconnect()
    b.disconnect()


def case_reconnect():
    NEEDED[:] = ["connect:1", "disconnect", "connect:2", "message-back"]
    sio = client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                 randomization_factor=0)
    count = [0]

    @sio.on("connect")
    def on_connect():
        count[0] += 1
        out({"obs": "connect", "n": count[0]})
        mark("connect:%d" % min(count[0], 2))
        if count[0] >= 2:
            # Not from inside the handler: the namespace is marked connected after it.
            threading.Timer(0.1, lambda: sio.emit("message", ("again", count[0]))).start()

    @sio.on("disconnect")
    def on_disconnect():
        out({"obs": "disconnect"})
        mark("disconnect")

    @sio.on("message-back")
    def on_back(*args):
        out({"obs": "message-back", "args": enc(list(args))})
        if count[0] >= 2:
            mark("message-back")

    connect(sio)
    DONE.wait()
    sio.disconnect()


def main():
    timer = threading.Timer(CFG.get("deadline", 20), watchdog)
    timer.daemon = True
    timer.start()
    cases = {"suite": case_suite, "chat": case_chat, "reconnect": case_reconnect}
    try:
        cases[CFG["case"]]()
    except Exception as e:  # noqa: BLE001 - reported as an observation
        out({"obs": "exception", "type": type(e).__name__, "message": str(e)})
        sys.stdout.flush()
        os._exit(1)
    out({"obs": "done"})
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
