// A deliberately broken server for the negative proof of the conformance
// harness: node_server.js (socket.io 4 + engine.io 6, test-suite
// configuration) with exactly one protocol violation, chosen by the first
// argument:
//
//   missing-eio   a polling request without the EIO query parameter is
//                 served as EIO=4 instead of being refused with 400
//                 (eio4.handshake.missing-eio)
//   unknown-sid   a POST with an unknown sid is answered 200 "ok" instead of
//                 400 (eio4.polling.unknown-sid)
//   no-noop       during an upgrade the pending polling GET is never ended
//                 with a noop packet (eio4.upgrade.basic,
//                 eio4.upgrade.noop-pending-get, sio5.polling.upgrade)
//   ack-id-zero   an ACK for the event id 0 is sent without its id
//                 (sio5.message.ack-id-zero)
//
//   NODE_PATH=tests/peers/node_modules node broken_server.js VIOLATION [--port N]
//
// Prints the same listening line as node_server.js.
"use strict";

const { parseArgs, start } = require("./node_server.js");

const VIOLATIONS = ["missing-eio", "unknown-sid", "no-noop", "ack-id-zero"];

const violation = process.argv[2];
if (!VIOLATIONS.includes(violation)) {
  process.stderr.write(`usage: node broken_server.js ${VIOLATIONS.join("|")} [--port N]\n`);
  process.exit(2);
}
const args = parseArgs(["v4", ...process.argv.slice(3)]);

let engines = [];

// Runs `fn(req, res)` before the Engine.IO servers see a request; `fn`
// returns true when it answered the request itself.
function interceptRequests(server, fn) {
  const listeners = server.listeners("request").slice();
  server.removeAllListeners("request");
  server.on("request", (req, res) => {
    if (fn(req, res)) return;
    for (const l of listeners) l.call(server, req, res);
  });
}

const patch = {
  engines(list) {
    engines = list;
  },
};

if (violation === "missing-eio") {
  patch.server = (server) =>
    interceptRequests(server, (req) => {
      const url = new URL(req.url, "http://x");
      if (url.searchParams.get("transport") === "polling" && !url.searchParams.has("EIO")) {
        req.url += "&EIO=4";
      }
      return false;
    });
} else if (violation === "unknown-sid") {
  patch.server = (server) =>
    interceptRequests(server, (req, res) => {
      const url = new URL(req.url, "http://x");
      const sid = url.searchParams.get("sid");
      if (req.method === "POST" && sid && !engines.some((e) => e.clients[sid])) {
        req.resume();
        res.writeHead(200, { "Content-Type": "text/plain; charset=UTF-8" });
        res.end("ok");
        return true;
      }
      return false;
    });
} else if (violation === "no-noop") {
  // Once the probe is answered, noop packets on the polling transport are
  // dropped (the pending GET stays pending).
  patch.engines = (list) => {
    engines = list;
    for (const engine of list) {
      engine.on("connection", (socket) => {
        const polling = socket.transport;
        if (polling.name !== "polling") return;
        const send = polling.send.bind(polling);
        let upgrading = false;
        polling.send = (packets) => {
          if (upgrading) {
            packets = packets.filter((p) => p.type !== "noop");
            if (packets.length === 0) return;
          }
          send(packets);
        };
        socket.on("upgrading", () => {
          upgrading = true;
        });
      });
    }
  };
} else if (violation === "ack-id-zero") {
  const parser = require("socket.io-parser");
  class Encoder extends parser.Encoder {
    encode(packet) {
      if ((packet.type === parser.PacketType.ACK || packet.type === parser.PacketType.BINARY_ACK) &&
          packet.id === 0) {
        packet = Object.assign({}, packet);
        delete packet.id;
      }
      return super.encode(packet);
    }
  }
  patch.sioOptions = (opts) => {
    opts.parser = { Encoder, Decoder: parser.Decoder, protocol: parser.protocol,
                    PacketType: parser.PacketType };
  };
}

start(args, patch);
