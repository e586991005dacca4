#!/usr/bin/python3
"""A client under test for `sioc conform client`, following the client
contract of docs/conformance.md, on python-socketio / python-engineio
(Debian's packages: run with /usr/bin/python3):

    python_client.py URL EIO TRANSPORTS NSP AUTH LAYER
    (--exec '/usr/bin/python3 python_client.py {url} {eio} {transports} {nsp} {auth} {layer}')

LAYER eio: engineio.Client echoing every message. LAYER sio: socketio.Client
joining NSP with AUTH (JSON or empty); events asking for an ack are
acknowledged with their arguments, other events are emitted back. Only
Engine.IO v4 exists in these packages: EIO 3 exits with status 3. Runs
until SIGTERM.
"""
import json
import signal
import sys
import threading
from urllib.parse import urlsplit

import engineio
import socketio


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    url, eio, transports, nsp, auth, layer = sys.argv[1:]
    if eio != "4":
        print("python-engineio 4 speaks Engine.IO v4 only", file=sys.stderr)
        return 3
    parts = urlsplit(url)
    origin = "%s://%s" % (parts.scheme, parts.netloc)
    path = parts.path.strip("/")
    tlist = transports.split(",")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())

    def say(**kw):
        print(json.dumps(kw), flush=True)

    if layer == "eio":
        client = engineio.Client()

        @client.on("message")
        def message(data):
            client.send(data)

        client.connect(origin, transports=tlist, engineio_path=path)
        say(event="open", transport=client.transport())
    else:
        class Client(socketio.Client):
            # Acknowledge events that ask for it, emit the others back.
            def _handle_event(self, namespace, id, data):
                namespace = namespace or "/"
                if id is not None:
                    self._send_packet(self.packet_class(
                        socketio.packet.ACK, namespace=namespace, id=id, data=data[1:]))
                else:
                    self.emit(data[0], tuple(data[1:]), namespace=namespace)

        client = Client()

        @client.event(namespace=nsp)
        def connect():
            say(event="connect", nsp=nsp)

        @client.event(namespace=nsp)
        def connect_error(data):
            say(event="connect_error", data=str(data))

        @client.event(namespace=nsp)
        def disconnect():
            say(event="disconnect", nsp=nsp)

        client.connect(origin, transports=tlist, namespaces=[nsp], socketio_path=path,
                       auth=json.loads(auth) if auth else None, wait=False)
    stop.wait()
    try:
        client.disconnect()
    except Exception:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
