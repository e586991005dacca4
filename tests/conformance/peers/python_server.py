#!/usr/bin/python3
"""python-socketio / python-engineio reference server for the conformance
proof, configured as the official test suites expect (pingInterval 300,
pingTimeout 200, maxPayload 1e6).

Run with the interpreter that has Debian's python3-socketio and aiohttp
(/usr/bin/python3):

    /usr/bin/python3 python_server.py [--port N]

Serves, on 127.0.0.1 (port 0: any free port):
  /socket.io/  socketio.AsyncServer (aiohttp) with the test-suite application
               of node_server.js (namespaces "/" and "/custom": "auth" on
               connect, "message" -> "message-back", "message-with-ack" acked,
               "emit-with-ack", "server-disconnect", auth {"refuse": true}
               refused with "Not authorized"; other namespaces refused)
  /engine.io/  engineio.AsyncServer echoing every message

Prints one line {"listening": ".../socket.io/", "engine.io": ".../engine.io/"}
when listening, then serves until SIGTERM/SIGINT.
"""
import argparse
import asyncio
import json
import signal
import sys

import engineio
import socketio
from aiohttp import web

OPTS = dict(async_mode="aiohttp", ping_interval=0.3, ping_timeout=0.2,
            max_http_buffer_size=1000000)


def make_app():
    sio = socketio.AsyncServer(namespaces=["/", "/custom"], **OPTS)
    eio = engineio.AsyncServer(**OPTS)
    app = web.Application()
    sio.attach(app, socketio_path="socket.io")
    eio.attach(app, engineio_path="engine.io")

    @eio.on("message")
    async def echo(sid, data):
        await eio.send(sid, data)

    def handlers(nsp):
        async def connect(sid, environ, auth=None):
            if isinstance(auth, dict) and auth.get("refuse") is True:
                raise socketio.exceptions.ConnectionRefusedError("Not authorized")
            # the CONNECT answer is sent when this handler returns: emit
            # "auth" right after it, as the reference server does
            payload = auth if auth is not None else {}

            async def later():
                await asyncio.sleep(0)
                await sio.emit("auth", payload, to=sid, namespace=nsp)
            asyncio.ensure_future(later())

        async def message(sid, *args):
            await sio.emit("message-back", data=tuple(args), to=sid, namespace=nsp)

        async def message_with_ack(sid, *args):
            return tuple(args)

        async def emit_with_ack(sid, *args):
            async def answered(*answer):
                await sio.emit("emit-with-ack", data=tuple(answer), to=sid, namespace=nsp)
            await sio.emit("emit-with-ack", data=tuple(args), to=sid, namespace=nsp,
                           callback=answered)

        async def server_disconnect(sid, *args):
            await sio.disconnect(sid, namespace=nsp)

        sio.on("connect", connect, namespace=nsp)
        sio.on("message", message, namespace=nsp)
        sio.on("message-with-ack", message_with_ack, namespace=nsp)
        sio.on("emit-with-ack", emit_with_ack, namespace=nsp)
        sio.on("server-disconnect", server_disconnect, namespace=nsp)

    handlers("/")
    handlers("/custom")
    return app


async def main(port):
    app = make_app()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]
    base = "http://127.0.0.1:%d" % bound
    print(json.dumps({"listening": base + "/socket.io/", "engine.io": base + "/engine.io/"}),
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    try:
        asyncio.run(main(a.port))
    except KeyboardInterrupt:
        sys.exit(0)
