// A Socket.IO server for the interop tests of `sioc connect`, on the reference
// implementation: socket.io 4 (Engine.IO 4 / Socket.IO v5, v4 clients too) or,
// with --v2, socket.io 2 (Engine.IO 3 / Socket.IO v4).
//
//   node node_server.js [--v2] [--port N] [--msgpack] [--tls CERT KEY] [--ping MS]
//
// Listens on 127.0.0.1 (port 0: any free port) and prints {"port":N} on
// stdout once listening. Application, the same in every peer server:
//   "/"        on connection emits "welcome" {auth, query}; handlers:
//              echo (...args, ack)  acks with the arguments, emits "echoed" with them
//              ask (text)           emits "question" (text) asking for an ack, then
//                                   "answer" with what the client acked
//              bin (...args, ack)   acks with [sizes of binary args, Buffer 01 02 03]
//                                   and emits "binary" with a Buffer fe ff
//              kick                 disconnects the socket (io server disconnect)
//   "/admin"   accepts when auth.token (v5) or query.token (v4) is "secret";
//              else refuses with message "forbidden" and data {reason:"bad token"}
//   "/private" always refused ("private")
"use strict";

const http = require("http");
const https = require("https");
const fs = require("fs");

const argv = process.argv.slice(2);
let v2 = false;
let port = 0;
let msgpack = false;
let tls = null;
let ping = 25000;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--v2") v2 = true;
  else if (a === "--port") port = Number(argv[++i]);
  else if (a === "--msgpack") msgpack = true;
  else if (a === "--ping") ping = Number(argv[++i]);
  else if (a === "--tls") { tls = { cert: fs.readFileSync(argv[++i]), key: fs.readFileSync(argv[++i]) }; }
  else { console.error("unknown argument " + a); process.exit(2); }
}

const server = tls ? https.createServer(tls) : http.createServer();
let io;
if (v2) {
  io = require("socket.io-v2")(server, { pingInterval: ping, pingTimeout: Math.min(ping, 20000) });
} else {
  const { Server } = require("socket.io");
  const opts = { pingInterval: ping, pingTimeout: Math.min(ping, 20000), allowEIO3: true };
  if (msgpack) opts.parser = require("socket.io-msgpack-parser");
  io = new Server(server, opts);
}

function sizes(args) {
  return args.map((x) => (Buffer.isBuffer(x) ? x.length : x instanceof ArrayBuffer ? x.byteLength : -1));
}

function handlers(socket) {
  const auth = socket.handshake.auth || null;
  const q = Object.assign({}, socket.handshake.query);
  delete q.EIO; delete q.transport; delete q.t; delete q.b64; delete q.sid;
  socket.emit("welcome", { auth: auth, query: q, nsp: socket.nsp.name });
  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    socket.emit("echoed", ...args);
    if (ack) ack(...args);
  });
  socket.on("ask", (text) => {
    socket.emit("question", text, (...answer) => socket.emit("answer", ...answer));
  });
  socket.on("bin", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    socket.emit("binary", Buffer.from([0xfe, 0xff]));
    if (ack) ack(sizes(args), Buffer.from([1, 2, 3]));
  });
  socket.on("kick", () => socket.disconnect(true));
}

io.on("connection", handlers);
io.of("/admin").use((socket, next) => {
  const token = v2 ? socket.handshake.query.token : (socket.handshake.auth || {}).token;
  if (token === "secret") return next();
  const err = new Error("forbidden");
  err.data = { reason: "bad token" };
  next(err);
}).on("connection", handlers);
io.of("/private").use((socket, next) => next(new Error("private"))).on("connection", handlers);

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.on("SIGTERM", () => process.exit(0));
