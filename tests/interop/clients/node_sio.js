// A Socket.IO peer client for the interop tests of `sioc serve`: runs one
// case against the server and prints one JSON line per observation on
// stdout ({"obs":NAME,...}; binary values as {"$binary":"<base64>"}).
// It ends with {"obs":"done"} (exit 0) once it has seen everything the case
// needs, or {"obs":"timeout","missing":[...]} (exit 1) at its deadline.
//
// node node_sio.js '{"case":"suite","origin":"http://127.0.0.1:3000",
//                    "path":"/socket.io/","client":"v4"|"v2",
//                    "transports":["polling","websocket"],"upgrade":true,
//                    "parser":"msgpack","insecure":true,"deadline":20000}'
//
// Cases: suite (the test-suite application), chat (the chat application,
// two clients), reconnect (the server restarts under the client),
// recovery (chat with --recovery: connection state recovery), refused (a
// connection that must fail: {"obs":"connect_error"}).
"use strict";

const cfg = JSON.parse(process.argv[2]);
const v2 = cfg.client === "v2";
const io = v2 ? require("socket.io-client-v2") : require("socket.io-client").io;

function enc(v) {
  if (Buffer.isBuffer(v)) return { $binary: v.toString("base64") };
  if (v instanceof ArrayBuffer) return { $binary: Buffer.from(v).toString("base64") };
  if (ArrayBuffer.isView(v)) {
    return { $binary: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  }
  if (Array.isArray(v)) return v.map(enc);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = enc(v[k]);
    return o;
  }
  return v === undefined ? null : v;
}

const sockets = [];
const obs = require("./observe")(cfg.deadline, () => {
  for (const s of sockets) {
    try { s.close(); } catch (e) { /* already closed */ }
  }
});
const { out, mark } = obs;

function options(extra) {
  const o = {
    path: cfg.path || "/socket.io/",
    forceNew: true,
    reconnection: false,
  };
  if (cfg.transports) o.transports = cfg.transports;
  if (cfg.upgrade === false) o.upgrade = false;
  if (cfg.parser === "msgpack") o.parser = require("socket.io-msgpack-parser");
  if (cfg.insecure) o.rejectUnauthorized = false;
  return Object.assign(o, extra || {});
}

function transportOf(s) {
  return s.io.engine && s.io.engine.transport ? s.io.engine.transport.name : null;
}

function watchUpgrade(s, onUpgrade) {
  const attach = () => {
    s.io.engine.on("upgrade", (t) => onUpgrade(t.name || String(t)));
  };
  if (s.io.engine) attach();
  else s.io.on("open", attach);
}

// ---------------------------------------------------------------- suite
function caseSuite() {
  const wantsUpgrade = cfg.upgrade !== false && (!cfg.transports ||
    (cfg.transports.includes("polling") && cfg.transports.includes("websocket")));
  obs.needed = ["auth:/", "connect:/", "message-back:/", "ack:/", "auth:/custom",
            "connect:/custom", "message-back:/custom", "refused:/nope"];
  if (wantsUpgrade) obs.needed.push("upgrade", "after-upgrade");

  const extra = v2 ? { query: { token: "abc" } } : { auth: { token: "abc" } };
  const s = io(cfg.origin + "/", options(extra));
  sockets.push(s);
  watchUpgrade(s, (name) => {
    out({ obs: "upgrade", transport: name });
    mark("upgrade");
    s.emit("message", "after-upgrade");
  });
  s.on("auth", (a) => { out({ obs: "auth", nsp: "/", data: enc(a) }); mark("auth:/"); });
  s.on("message-back", (...args) => {
    out({ obs: "message-back", nsp: "/", args: enc(args), transport: transportOf(s) });
    if (args[0] === "after-upgrade") mark("after-upgrade");
    else mark("message-back:/");
  });
  s.on("connect_error", (e) => out({ obs: "connect_error", nsp: "/", message: String(e && e.message) }));
  s.on("error", (e) => out({ obs: "error", nsp: "/", data: enc(e) }));
  s.on("connect", () => {
    out({ obs: "connect", nsp: "/", transport: transportOf(s) });
    mark("connect:/");
    s.emit("message", 1, "two", { three: [3, null, true] }, Buffer.from([1, 2, 3]));
    s.emit("message-with-ack", "a", Buffer.from([4, 5]), (...args) => {
      out({ obs: "ack", nsp: "/", args: enc(args) });
      mark("ack:/");
    });

    const copts = v2 ? { query: { token: "custom" } } : { auth: { token: "custom" } };
    const c = s.io.socket("/custom", copts);
    c.on("auth", (a) => { out({ obs: "auth", nsp: "/custom", data: enc(a) }); mark("auth:/custom"); });
    c.on("connect", () => {
      out({ obs: "connect", nsp: "/custom" });
      mark("connect:/custom");
      c.emit("message", "custom", Buffer.from([6]));
    });
    c.on("message-back", (...args) => {
      out({ obs: "message-back", nsp: "/custom", args: enc(args) });
      mark("message-back:/custom");
    });

    const bad = s.io.socket("/nope");
    bad.on("connect", () => out({ obs: "connect", nsp: "/nope" }));
    bad.on("connect_error", (e) => {
      out({ obs: "refused", nsp: "/nope", message: e.message, data: enc(e.data) });
      mark("refused:/nope");
    });
    bad.on("error", (e) => {
      // socket.io-client 2 reports a refused namespace as an "error" event.
      out({ obs: "refused", nsp: "/nope", message: typeof e === "string" ? e : enc(e) });
      mark("refused:/nope");
    });
  });
}

// ---------------------------------------------------------------- chat
function caseChat() {
  obs.needed = ["connect:A", "connect:B", "joined:A", "joined:B", "room-ack", "message:B",
            "server-ping", "server-ping-answer", "rooms", "left", "to-all:A", "to-all-ack",
            "echo"];
  const a = io(cfg.origin + "/", options());
  const b = io(cfg.origin + "/", options());
  sockets.push(a, b);
  let joined = 0;
  const afterJoin = () => {
    if (++joined < 2) return;
    a.emit("room-message", "room1", "hi", Buffer.from([9]), (...args) => {
      out({ obs: "room-ack", args: enc(args) });
      mark("room-ack");
      a.emit("ping-me", "p1");
    });
  };
  for (const [who, s] of [["A", a], ["B", b]]) {
    s.on("connect", () => {
      out({ obs: "connect", who, transport: transportOf(s) });
      mark("connect:" + who);
      s.emit("join", "room1", (...args) => {
        out({ obs: "joined", who, args: enc(args) });
        mark("joined:" + who);
        afterJoin();
      });
    });
  }
  b.on("message", (...args) => {
    out({ obs: "message", who: "B", args: enc(args) });
    mark("message:B");
  });
  a.on("server-ping", (...args) => {
    const ack = args.pop();
    out({ obs: "server-ping", args: enc(args), ack: typeof ack });
    mark("server-ping");
    if (typeof ack === "function") ack("pong", Buffer.from([7]));
  });
  a.on("server-ping-answer", (...args) => {
    out({ obs: "server-ping-answer", args: enc(args) });
    mark("server-ping-answer");
    a.emit("rooms", (...r) => {
      out({ obs: "rooms", args: enc(r) });
      mark("rooms");
      a.emit("leave", "room1", (...l) => {
        out({ obs: "left", args: enc(l) });
        mark("left");
        b.emit("message", "to-all", (...n) => {
          out({ obs: "to-all-ack", args: enc(n) });
          mark("to-all-ack");
        });
      });
    });
  });
  a.on("message", (...args) => {
    out({ obs: "message", who: "A", args: enc(args) });
    if (args[0] === "to-all") {
      mark("to-all:A");
      a.emit("echo", Buffer.from([1, 2]), "e");
    }
  });
  a.on("echo", (...args) => {
    out({ obs: "echo", args: enc(args) });
    mark("echo");
  });
}

// ---------------------------------------------------------------- reconnect
function caseReconnect() {
  obs.needed = ["connect:1", "disconnect", "connect:2", "message-back"];
  const s = io(cfg.origin + "/", options({
    reconnection: true, reconnectionDelay: 200, reconnectionDelayMax: 1000,
    randomizationFactor: 0, timeout: 5000,
  }));
  sockets.push(s);
  let n = 0;
  s.on("connect", () => {
    n++;
    out({ obs: "connect", n, transport: transportOf(s) });
    mark("connect:" + Math.min(n, 2));
    if (n >= 2) s.emit("message", "again", n);
  });
  s.on("disconnect", (reason) => {
    out({ obs: "disconnect", reason });
    mark("disconnect");
  });
  s.on("message-back", (...args) => {
    out({ obs: "message-back", args: enc(args) });
    if (n >= 2) mark("message-back");
  });
}

// ---------------------------------------------------------------- recovery
function caseRecovery() {
  obs.needed = ["connect:A1", "echo", "disconnect:A", "connect:A2", "missed", "connect:B"];
  const a = io(cfg.origin + "/", options({
    reconnection: true, reconnectionDelay: 4000, reconnectionDelayMax: 4000,
    randomizationFactor: 0,
  }));
  const b = io(cfg.origin + "/", options());
  sockets.push(a, b);
  let n = 0;
  let firstId = null;
  a.on("connect", () => {
    n++;
    out({ obs: "connect", who: "A", n, id: a.id, recovered: a.recovered === true,
          same_id: firstId === null ? null : firstId === a.id });
    if (n === 1) {
      firstId = a.id;
      mark("connect:A1");
      a.emit("echo", "e1");
    } else {
      mark("connect:A2");
    }
  });
  a.on("echo", (...args) => {
    out({ obs: "echo", args: enc(args) });
    mark("echo");
    // Drop the transport under the socket: the server keeps it for recovery.
    a.io.engine.close();
  });
  a.on("disconnect", (reason) => {
    out({ obs: "disconnect", who: "A", reason });
    mark("disconnect:A");
    // Once the server noticed that A is gone (a broadcast no longer counts
    // it: it is kept, not connected), B sends what A must get on recovery,
    // well before A comes back 4 s later.
    probe(0);
  });
  const probe = (tries) => {
    b.emit("message", "probe", (n) => {
      out({ obs: "probe", n });
      if (n === 0) b.emit("message", "missed", Buffer.from([5]));
      else if (tries < 60) setTimeout(() => probe(tries + 1), 50);
    });
  };
  a.on("message", (...args) => {
    out({ obs: "message", who: "A", args: enc(args), n });
    if (args[0] === "missed") mark("missed");
  });
  b.on("connect", () => { out({ obs: "connect", who: "B" }); mark("connect:B"); });
}

// ---------------------------------------------------------------- refused
function caseRefused() {
  obs.needed = ["connect_error"];
  const s = io(cfg.origin + "/", options({ timeout: 5000 }));
  sockets.push(s);
  s.on("connect", () => out({ obs: "connect" }));
  const fail = (e) => {
    out({ obs: "connect_error", message: String(e && (e.message || e)) });
    mark("connect_error");
  };
  s.on("connect_error", fail);
  if (v2) s.on("error", fail);
}

// ---------------------------------------------------------------- heartbeat
// Engine.IO 4: the server pings, the client answers ("ping" events on the
// engine); Engine.IO 3: the client pings, the server answers ("pong").
function caseHeartbeat() {
  obs.needed = ["connect", "beat:1", "beat:2", "beat:3", "message-back"];
  const s = io(cfg.origin + "/", options());
  sockets.push(s);
  let beats = 0;
  const onBeat = () => {
    beats++;
    out({ obs: "beat", n: beats, transport: transportOf(s) });
    if (beats <= 3) mark("beat:" + beats);
    if (beats === 3) s.emit("message", "still-here");
  };
  s.io.on("open", () => s.io.engine.on(v2 ? "pong" : "ping", onBeat));
  s.on("connect", () => { out({ obs: "connect", transport: transportOf(s) }); mark("connect"); });
  s.on("disconnect", (reason) => out({ obs: "disconnect", reason }));
  s.on("message-back", (...args) => {
    out({ obs: "message-back", args: enc(args) });
    mark("message-back");
  });
}

const cases = { heartbeat: caseHeartbeat, suite: caseSuite, chat: caseChat, reconnect: caseReconnect,
                recovery: caseRecovery, refused: caseRefused };
if (!cases[cfg.case]) {
  out({ obs: "error", message: "unknown case " + cfg.case });
  process.exit(2);
}
cases[cfg.case]();
