#!/usr/bin/env python3
"""`sioc connect` as a client under test for `sioc conform client`, following
the client contract of docs/conformance.md:

    sioc_client.py SIOC URL EIO TRANSPORTS NSP AUTH
    (--exec 'python3 sioc_client.py SIOC {url} {eio} {transports} {nsp} {auth}')

Runs `sioc connect` with --auto-ack (events asking for an ack are
acknowledged with their own arguments) and feeds it an `emit` command for
every other event it prints, so that events come back with the same name
and arguments (binary values keep their {"$binary": ...} form). Socket.IO
only (sioc connect has no Engine.IO-only mode). Runs until SIGTERM, which it
passes on to sioc.
"""
import json
import signal
import subprocess
import sys


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    sioc, url, eio, transports, nsp, auth = sys.argv[1:]
    cmd = [sioc, "connect", url, "--eio", eio, "--namespace", nsp, "--auto-ack"]
    tlist = transports.split(",")
    if tlist == ["websocket"]:
        cmd += ["--transport", "websocket"]
    else:
        cmd += ["--transport", "polling"]
        if "websocket" not in tlist:
            cmd.append("--no-upgrade")
    if auth:
        cmd += ["--auth", auth]
    child = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def stop(*_):
        if child.poll() is None:
            child.terminate()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    for raw in child.stdout:
        line = raw.decode("utf-8", "replace")
        sys.stdout.write(line)
        sys.stdout.flush()
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") != "message" or "id" in ev:
            continue
        words = [json.dumps(ev["name"])] + [json.dumps(a, separators=(",", ":"))
                                             for a in ev.get("args", [])]
        prefix = "" if ev.get("nsp", "/") == nsp else ev["nsp"] + " "
        try:
            child.stdin.write((prefix + "emit " + " ".join(words) + "\n").encode("utf-8"))
            child.stdin.flush()
        except (BrokenPipeError, OSError):
            break
    try:
        return child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


if __name__ == "__main__":
    sys.exit(main())
