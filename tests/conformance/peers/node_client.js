// A client under test for `sioc conform client`, following the client
// contract of docs/conformance.md:
//
//   node node_client.js URL EIO TRANSPORTS NSP AUTH LAYER
//   (sioc conform client --exec 'node node_client.js {url} {eio} {transports} {nsp} {auth} {layer}')
//
// LAYER eio: engine.io-client 6 (EIO 4) or the engine.io-client 3 of
// socket.io-client 2 (EIO 3), echoing every message. LAYER sio:
// socket.io-client 4 (EIO 4) or socket.io-client 2 (EIO 3) joining NSP with
// AUTH (JSON or empty); events asking for an ack are acknowledged with their
// arguments, other events are emitted back. Runs until SIGTERM. NODE_PATH
// must reach tests/peers/node_modules.
"use strict";

const [url, eio, transports, nsp, auth, layer] = process.argv.slice(2);
if (!url || !["3", "4"].includes(eio) || !transports || !nsp || auth === undefined ||
    !["eio", "sio"].includes(layer)) {
  process.stderr.write("usage: node node_client.js URL 3|4 TRANSPORTS NSP AUTH eio|sio\n");
  process.exit(2);
}
const u = new URL(url);
const origin = u.origin;
const path = u.pathname;
const list = transports.split(",");
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");

process.on("SIGTERM", () => process.exit(0));

if (layer === "eio") {
  const Socket = eio === "4" ? require("engine.io-client").Socket
                             : require("socket.io-client-v2/node_modules/engine.io-client");
  const socket = new Socket(origin, { path, transports: list, upgrade: list.length > 1 });
  socket.on("open", () => say({ event: "open", transport: socket.transport.name }));
  socket.on("upgrade", (t) => say({ event: "upgrade", transport: t.name }));
  socket.on("message", (data) => socket.send(data));
  socket.on("close", (reason) => say({ event: "close", reason: String(reason) }));
  socket.on("error", (err) => say({ event: "error", error: String(err) }));
} else {
  const opts = { path, transports: list, upgrade: list.length > 1, forceNew: true };
  const target = origin + (nsp === "/" ? "" : nsp);
  let socket;
  if (eio === "4") {
    if (auth !== "") opts.auth = JSON.parse(auth);
    socket = require("socket.io-client")(target, opts);
  } else {
    socket = require("socket.io-client-v2")(target, opts);
  }
  // Every event, with the ack callback last when the server asked for one.
  const onEvent = (name, ...args) => {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args.pop();
      last(...args);
    } else {
      socket.emit(name, ...args);
    }
  };
  if (typeof socket.onAny === "function") {
    socket.onAny(onEvent);
  } else {
    // socket.io-client 2 has no catch-all listener
    socket.onevent = function (packet) {
      const args = packet.data ? packet.data.slice() : [];
      if (packet.id != null) args.push(this.ack(packet.id));
      onEvent(...args);
    };
  }
  socket.on("connect", () => say({ event: "connect", nsp }));
  socket.on("connect_error", (err) => say({ event: "connect_error", error: String(err && err.message) }));
  socket.on("disconnect", (reason) => say({ event: "disconnect", reason: String(reason) }));
}
