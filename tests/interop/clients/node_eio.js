// An Engine.IO peer client (engine.io-client 6) for the interop tests of
// `sioc serve --app test-suite`: sends text and binary messages to the echo
// server on /engine.io/ and prints one JSON line per observation
// ({"obs":NAME,...}), then {"obs":"done"} (exit 0), or
// {"obs":"timeout","missing":[...]} (exit 1) at its deadline.
//
// node node_eio.js '{"origin":"http://127.0.0.1:3000","transports":["polling"],
//                    "upgrade":false,"deadline":20000}'
"use strict";

const { Socket } = require("engine.io-client");

const cfg = JSON.parse(process.argv[2]);
const opts = { path: "/engine.io/", upgrade: cfg.upgrade !== false };
if (cfg.transports) opts.transports = cfg.transports;
const socket = new Socket(cfg.origin, opts);

const obs = require("./observe")(cfg.deadline, () => socket.close());
const { out, mark } = obs;
obs.needed = ["open", "echo:text", "echo:binary"];
const wantsUpgrade = cfg.upgrade !== false && (!cfg.transports ||
  (cfg.transports.includes("polling") && cfg.transports.includes("websocket")));
if (wantsUpgrade) obs.needed.push("upgrade");

socket.on("open", () => {
  out({ obs: "open", transport: socket.transport.name, sid: socket.id });
  mark("open");
  socket.send("héllo ✓");
  socket.send(Uint8Array.from([0, 1, 2, 255]));
});
socket.on("upgrade", (t) => {
  out({ obs: "upgrade", transport: t.name });
  mark("upgrade");
});
socket.on("message", (data) => {
  if (typeof data === "string") {
    out({ obs: "echo", kind: "text", data, transport: socket.transport.name });
    mark("echo:text");
  } else {
    const b = Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    out({ obs: "echo", kind: "binary", data: b.toString("base64"), transport: socket.transport.name });
    mark("echo:binary");
  }
});
socket.on("close", (reason) => out({ obs: "close", reason }));
