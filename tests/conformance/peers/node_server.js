// The node reference servers the conformance proof runs `sioc conform`
// against, configured as the official Engine.IO and Socket.IO test suites
// expect (pingInterval 300, pingTimeout 200, maxPayload 1e6,
// connectTimeout 1000).
//
//   node node_server.js v4 [--parser msgpack] [--allow-eio3] [--break NAME]
//       socket.io 4 on /socket.io/ and a bare engine.io 6 echo server on
//       /engine.io/ (with --allow-eio3 both also accept Engine.IO v3)
//   node node_server.js v2
//       socket.io 2 (Engine.IO v3, Socket.IO v4) on /socket.io/ and its own
//       engine.io 3 as a bare echo server on /engine.io/
//
// Prints one line {"listening":".../socket.io/","engine.io":".../engine.io/"}
// once it listens on 127.0.0.1 (port 0: any free port, or --port N), then
// serves until killed. NODE_PATH must reach tests/peers/node_modules.
//
// The Socket.IO application (namespaces "/" and "/custom") is the official
// test suite's, plus the hooks the scenarios use for server-initiated
// behaviour (see docs/conformance.md and vectors/scenarios/sio5.scn):
//   - on connect: emit "auth" with the CONNECT payload ({} when none)
//   - "message"          -> emit "message-back" with the same arguments
//   - "message-with-ack" -> ack with the same arguments
//   - "emit-with-ack"    -> emit "emit-with-ack" with the same arguments and
//                           an ack callback; the ack's arguments are then
//                           emitted as "emit-with-ack"
//   - "server-disconnect" -> the server disconnects the socket (DISCONNECT)
//   - CONNECT with auth {"refuse":true} -> refused, "Not authorized"
//   - other namespaces are refused ("Invalid namespace", the reference's own)
//
// --break NAME (the deliberately broken server of the negative proof) makes
// one protocol violation, see broken_server.js.
"use strict";

const http = require("http");

const OPTS = {
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
};

function parseArgs(argv) {
  const out = { mode: argv[0], port: 0, parser: "json", allowEIO3: false, brk: null };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--port") out.port = Number(argv[++i]);
    else if (a === "--parser") out.parser = argv[++i];
    else if (a === "--allow-eio3") out.allowEIO3 = true;
    else if (a === "--break") out.brk = argv[++i];
    else {
      process.stderr.write(`node_server.js: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (out.mode !== "v4" && out.mode !== "v2") {
    process.stderr.write("usage: node node_server.js v4|v2 [--port N] [--parser json|msgpack] [--allow-eio3] [--break NAME]\n");
    process.exit(2);
  }
  return out;
}

function testSuiteApp(nsp, v2) {
  if (!v2) {
    nsp.use((socket, next) => {
      const auth = socket.handshake.auth;
      if (auth && auth.refuse === true) next(new Error("Not authorized"));
      else next();
    });
  }
  nsp.on("connection", (socket) => {
    socket.emit("auth", v2 ? {} : socket.handshake.auth);
    socket.on("message", (...args) => {
      socket.emit("message-back", ...args);
    });
    socket.on("message-with-ack", (...args) => {
      const ack = args.pop();
      if (typeof ack === "function") ack(...args);
    });
    socket.on("emit-with-ack", (...args) => {
      socket.emit("emit-with-ack", ...args, (...answer) => {
        socket.emit("emit-with-ack", ...answer);
      });
    });
    socket.on("server-disconnect", () => {
      socket.disconnect();
    });
  });
}

function echo(engine) {
  engine.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data));
  });
}

function start(args, patch) {
  const server = http.createServer();
  if (args.mode === "v4") {
    const { Server } = require("socket.io");
    const engineio = require("engine.io");
    const sioOpts = Object.assign({}, OPTS, {
      path: "/socket.io/",
      connectTimeout: 1000,
      allowEIO3: args.allowEIO3,
    });
    if (args.parser === "msgpack") sioOpts.parser = require("socket.io-msgpack-parser");
    if (patch && patch.sioOptions) patch.sioOptions(sioOpts);
    const io = new Server(server, sioOpts);
    testSuiteApp(io.of("/"), false);
    testSuiteApp(io.of("/custom"), false);
    const engine = new engineio.Server(Object.assign({}, OPTS, { allowEIO3: args.allowEIO3 }));
    engine.attach(server, { path: "/engine.io/" });
    echo(engine);
    if (patch && patch.engines) patch.engines([engine, io.engine]);
  } else {
    const io = require("socket.io-v2")(server, Object.assign({}, OPTS, { path: "/socket.io/" }));
    testSuiteApp(io.of("/"), true);
    testSuiteApp(io.of("/custom"), true);
    const engineio = require("socket.io-v2/node_modules/engine.io");
    const engine = engineio.attach(server, Object.assign({}, OPTS, { path: "/engine.io/" }));
    echo(engine);
  }
  if (patch && patch.server) patch.server(server);
  server.listen(args.port, "127.0.0.1", () => {
    const base = `http://127.0.0.1:${server.address().port}`;
    process.stdout.write(
      JSON.stringify({ listening: `${base}/socket.io/`, "engine.io": `${base}/engine.io/` }) + "\n"
    );
  });
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

module.exports = { parseArgs, start };

if (require.main === module) {
  start(parseArgs(process.argv.slice(2)), null);
}
