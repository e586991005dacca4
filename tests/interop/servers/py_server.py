#!/usr/bin/python3
# A Socket.IO server for the interop tests of `sioc connect`, on
# python-socketio's AsyncServer with aiohttp (Engine.IO 4 / Socket.IO v5).
#
#   /usr/bin/python3 py_server.py [--port N] [--ping MS] [--msgpack]
#
# --msgpack: python-socketio's msgpack serializer (needs python3-msgpack)
# instead of the JSON text format.
#
# Listens on 127.0.0.1 (port 0: any free port) and prints {"port":N} on stdout
# once listening. The application is the one of node_server.js:
#   "/"        on connect emits "welcome" {auth, query, nsp}; echo, ask, bin, kick
#   "/admin"   accepts when auth.token is "secret", else refuses "forbidden"
#              with data {"reason":"bad token"}
#   "/private" always refused ("private")
import asyncio
import json
import sys
import urllib.parse

import socketio
from aiohttp import web

port = 0
ping = 25000
serializer = "default"
args = sys.argv[1:]
while args:
    a = args.pop(0)
    if a == "--port":
        port = int(args.pop(0))
    elif a == "--ping":
        ping = int(args.pop(0))
    elif a == "--msgpack":
        serializer = "msgpack"
    else:
        print("unknown argument " + a, file=sys.stderr)
        sys.exit(2)

sio = socketio.AsyncServer(async_mode="aiohttp", serializer=serializer,
                           ping_interval=ping / 1000.0,
                           ping_timeout=min(ping, 20000) / 1000.0)
app = web.Application()
sio.attach(app)


def query_of(environ):
    q = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    for k in ("EIO", "transport", "t", "b64", "sid"):
        q.pop(k, None)
    return q


def register(nsp):
    async def connect(sid, environ, auth=None):
        if nsp == "/admin" and not (isinstance(auth, dict) and auth.get("token") == "secret"):
            raise socketio.exceptions.ConnectionRefusedError("forbidden", {"reason": "bad token"})
        if nsp == "/private":
            raise socketio.exceptions.ConnectionRefusedError("private")
        # python-socketio sends what the connect handler emits before its
        # CONNECT answer (docs/connect.md): the client must hold it until
        # the CONNECT answer and deliver it after.
        welcome = {"auth": auth, "query": query_of(environ), "nsp": nsp}
        await sio.emit("welcome", welcome, to=sid, namespace=nsp)

    async def echo(sid, *args):
        await sio.emit("echoed", tuple(args), to=sid, namespace=nsp)
        return args

    async def ask(sid, text=None):
        async def got(*answer):
            await sio.emit("answer", tuple(answer), to=sid, namespace=nsp)
        await sio.emit("question", text, to=sid, namespace=nsp, callback=got)

    async def binary(sid, *args):
        await sio.emit("binary", b"\xfe\xff", to=sid, namespace=nsp)
        sizes = [len(x) if isinstance(x, (bytes, bytearray)) else -1 for x in args]
        return sizes, b"\x01\x02\x03"

    async def kick(sid, *args):
        await sio.disconnect(sid, namespace=nsp)

    sio.on("connect", connect, namespace=nsp)
    sio.on("echo", echo, namespace=nsp)
    sio.on("ask", ask, namespace=nsp)
    sio.on("bin", binary, namespace=nsp)
    sio.on("kick", kick, namespace=nsp)


for n in ("/", "/admin", "/private"):
    register(n)


async def main():
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]
    print(json.dumps({"port": bound}), flush=True)
    while True:
        await asyncio.sleep(3600)


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
