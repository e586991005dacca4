#!/usr/bin/env node
// Captures real Socket.IO traffic between the reference server (npm
// socket.io@4) and client (socket.io-client@4), both using
// socket.io-msgpack-parser, over loopback WebSocket.
//
// Every packet either side encodes is recorded in the order it was encoded,
// with the side that built it ("from": "server" | "client"). The output is
// the Socket.IO vector format (docs/vectors.md), parser "msgpack", one
// packet (one binary Engine.IO message) per vector:
//
//   vectors/sio/msgpack-live.jsonl
//
// "roundtrip": false marks frames whose bytes sioc's encoder does not
// reproduce from the decoded packet: sioc writes the key order the server
// uses (docs/msgpack.md), so client-built EVENT (extra "options" key) and
// ACK (type before id) frames, the server's "invalid namespace"
// CONNECT_ERROR (nsp before data) and values sent as ext type 0 (Node's
// typed arrays) differ. The script computes this by re-encoding each
// decoded packet in server order with the same encoder.
//
// Deterministic except for the session ids in the CONNECT answers. Exits by
// itself (hard deadline 30 s).
//
// Usage: cd vectors && npm install && node gen/capture_msgpack.js
// (needs socket.io@4, socket.io-client@4 and socket.io-msgpack-parser@3 in
// vectors/node_modules, or in a folder named by NODE_PATH).
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const { Server } = require('socket.io');
const { Manager } = require('socket.io-client');
const msgpackParser = require('socket.io-msgpack-parser');
// The exact notepack.io the parser uses (it may differ from a top-level one).
const notepack = require(require.resolve('notepack.io', {
  paths: [path.dirname(require.resolve('socket.io-msgpack-parser'))],
}));

const OUT = path.join(__dirname, '..', 'sio', 'msgpack-live.jsonl');
const deadline = setTimeout(() => {
  console.error('capture_msgpack: timed out');
  process.exit(1);
}, 30000);

const frames = [];
let label = 'start';

function wrapParser(side) {
  class Encoder extends msgpackParser.Encoder {
    encode(packet) {
      const out = super.encode(packet);
      for (const buf of out) frames.push({ side, label, buf: Buffer.from(buf) });
      return out;
    }
  }
  return {
    protocol: msgpackParser.protocol,
    PacketType: msgpackParser.PacketType,
    Encoder,
    Decoder: msgpackParser.Decoder,
  };
}

const TYPES = ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'CONNECT_ERROR'];

// A decoded value as the vector format writes it.
function toVector(v) {
  if (v === undefined) return { $undefined: true };
  if (Buffer.isBuffer(v)) return { $binary: v.toString('base64') };
  if (v instanceof ArrayBuffer) return { $binary: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(toVector);
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = toVector(v[k]);
    return o;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new Error('non-finite number cannot go in a vector');
  }
  return v;
}

// What sioc's encoder writes for a decoded packet: the server's key order,
// binaries as bin (Buffer), nothing else.
function asBuffers(v) {
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(asBuffers);
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = asBuffers(v[k]);
    return o;
  }
  return v;
}
function serverOrder(p) {
  const has = (k) => Object.prototype.hasOwnProperty.call(p, k);
  const o = {};
  if (p.type === 3) {
    if (has('id') && p.id !== undefined) o.id = p.id;
    o.type = p.type;
  } else {
    o.type = p.type;
  }
  if (has('data')) o.data = asBuffers(p.data);
  if (p.type !== 3 && has('id') && p.id !== undefined) o.id = p.id;
  o.nsp = p.nsp;
  return notepack.encode(o);
}

function vectorOf(f, i) {
  const p = notepack.decode(f.buf);
  const has = (k) => Object.prototype.hasOwnProperty.call(p, k);
  const pkt = { type: TYPES[p.type], nsp: p.nsp };
  if (has('id') && p.id !== undefined) pkt.id = p.id;
  if (has('data')) pkt.data = toVector(p.data);
  const v = {
    name: `msgpack-live-${String(i).padStart(2, '0')}-${f.side}-${f.label}`,
    sio: 5,
    parser: 'msgpack',
    from: f.side,
    messages: [{ binary: f.buf.toString('base64') }],
    packets: [pkt],
  };
  const again = serverOrder(p);
  if (!again.equals(f.buf)) {
    v.roundtrip = false;
    v.note = 'sioc re-encodes in server key order as ' + again.toString('hex');
  }
  return v;
}

function once(emitter, ev) {
  return new Promise((resolve) => emitter.once(ev, (...a) => resolve(a)));
}

async function main() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { parser: wrapParser('server') });
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${httpServer.address().port}`;

  const serverSockets = {};
  io.on('connection', (s) => {
    serverSockets['/'] = s;
    s.on('hello', () => {});
    s.on('ping', (a, ack) => { label = 'ack'; ack('pong', 2.5); });
    s.on('bin', () => {});
  });
  io.of('/admin').on('connection', (s) => { serverSockets['/admin'] = s; });
  io.of('/private').use((socket, next) => next(new Error('not authorized')));
  io.of('/private2').use((socket, next) => {
    const err = new Error('refused');
    err.data = { reason: 'token expired', retry: false };
    next(err);
  });

  const manager = new Manager(url, {
    parser: wrapParser('client'),
    transports: ['websocket'],
    reconnection: false,
  });

  label = 'connect-main';
  const main = manager.socket('/');
  await once(main, 'connect');
  label = 'connect-admin-auth';
  const admin = manager.socket('/admin', { auth: { token: 'abc', n: 1 } });
  await once(admin, 'connect');

  label = 'event';
  main.emit('hello', 'world', 42);
  label = 'event-ack';
  await new Promise((r) => main.emit('ping', 1, () => r()));

  label = 'server-event-ack';
  const gotWelcome = new Promise((r) => main.once('welcome', (x, ack) => {
    label = 'client-ack';
    ack({ ok: true }, null);
    r();
  }));
  await new Promise((r) => { serverSockets['/'].emit('welcome', 'hi', r); });
  await gotWelcome;

  label = 'binary';
  const gotBin = once(serverSockets['/'], 'bin');
  main.emit('bin', Buffer.from([1, 2, 3]), { nested: Buffer.alloc(0) });
  await gotBin;
  label = 'typed-array';
  const gotBin2 = once(serverSockets['/'], 'bin');
  main.emit('bin', new Uint8Array([4, 5, 6]));
  await gotBin2;
  label = 'server-binary';
  const gotSrvBin = once(main, 'data');
  serverSockets['/'].emit('data', Buffer.from('abc'), [Buffer.alloc(300, 7)]);
  await gotSrvBin;

  label = 'numbers';
  const gotNums = once(main, 'nums');
  serverSockets['/'].emit('nums', 0, 127, 128, 255, 256, 65535, 65536, 4294967295,
    4294967296, 9007199254740991, -1, -32, -33, -128, -129, -32768, -32769,
    -2147483648, -2147483649, -9007199254740991, 1.5, -0, 0.1, -2.5e-300);
  await gotNums;
  // notepack writes integral doubles of 2^64 and above modulo 2^64 (uint 64).
  label = 'huge-integer';
  const gotHuge = once(main, 'huge');
  serverSockets['/'].emit('huge', 1e20);
  await gotHuge;

  label = 'sizes';
  const gotSizes = once(main, 'sizes');
  const obj16 = {};
  for (let i = 0; i < 16; i++) obj16['k' + i] = i;
  serverSockets['/'].emit('sizes', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255),
    'w'.repeat(256), 'é€😀', new Array(15).fill(1), new Array(16).fill(2), obj16, {},
    [], true, false, null, undefined, { u: undefined });
  await gotSizes;

  label = 'broadcast';
  const gotB = once(main, 'news');
  io.emit('news', { title: 'x' });
  await gotB;

  label = 'connect-error';
  const priv = manager.socket('/private');
  await once(priv, 'connect_error');
  label = 'connect-error-data';
  const priv2 = manager.socket('/private2', { auth: { token: 'old' } });
  await once(priv2, 'connect_error');
  label = 'connect-error-nsp';
  const nope = manager.socket('/nope');
  await once(nope, 'connect_error');

  label = 'server-disconnect';
  const gotDisc = once(admin, 'disconnect');
  serverSockets['/admin'].disconnect();
  await gotDisc;

  label = 'client-disconnect';
  const gotCliDisc = once(serverSockets['/'], 'disconnect');
  main.disconnect();
  await gotCliDisc;

  manager.engine && manager.engine.close();
  io.close();
  httpServer.close();

  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const lines = frames.map((f, i) => JSON.stringify(vectorOf(f, i)));
  fs.writeFileSync(OUT, lines.join('\n') + '\n');
  console.log(`capture_msgpack: ${lines.length} vectors -> ${path.relative(process.cwd(), OUT)}`);
  clearTimeout(deadline);
  setTimeout(() => process.exit(0), 100);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
