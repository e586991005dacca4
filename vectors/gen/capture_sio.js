#!/usr/bin/env node
// Captures a real Socket.IO session between the reference server (npm
// socket.io@4) and client (socket.io-client@4), default parser, over
// loopback: the client starts with HTTP long-polling and upgrades to
// WebSocket, as browsers do.
//
// The server's Engine.IO transports are hooked so that every transport unit
// (a polling HTTP body or a WebSocket frame) is recorded in the order the
// server sees it, in the unit format of docs/cli.md with "transport" (the
// per-line override of `sioc decode`) and "from" ("client" | "server"):
//
//   vectors/captures/sio5-eio4-session.jsonl
//
// Replay it with
//   sioc decode --sio 5 --input vectors/captures/sio5-eio4-session.jsonl
//
// The session covers: CONNECT to "/" and to "/admin" with auth, events with
// and without acks, acks with data, binary events and a binary ack in both
// directions (attachments in their own units), and DISCONNECT.
//
// Session ids differ from run to run. Exits by itself (hard deadline 30 s).
//
// Usage: cd vectors && npm install && node gen/capture_sio.js
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const OUT = path.join(__dirname, '..', 'captures', 'sio5-eio4-session.jsonl');

const deadline = setTimeout(() => {
  console.error('capture_sio: timed out');
  process.exit(1);
}, 30000);

const { Server } = require('socket.io');
const { Manager } = require('socket.io-client');
const engineDir = path.dirname(require.resolve('engine.io', {
  paths: [path.dirname(require.resolve('socket.io'))],
}));
const { Transport } = require(path.join(engineDir, 'transport'));
const { Polling } = require(path.join(engineDir, 'transports', 'polling'));
const { WebSocket } = require(path.join(engineDir, 'transports', 'websocket'));

const units = [];

function record(from, transport, data) {
  const u = { from, transport };
  if (typeof data === 'string') {
    u.text = data;
  } else {
    u.binary = Buffer.from(data).toString('base64');
  }
  units.push(u);
}

// Incoming polling bodies.
const pollingOnData = Polling.prototype.onData;
Polling.prototype.onData = function (data) {
  record('client', 'polling', data);
  return pollingOnData.call(this, data);
};
// Outgoing polling bodies.
const pollingWrite = Polling.prototype.write;
Polling.prototype.write = function (data, options) {
  record('server', 'polling', data);
  return pollingWrite.call(this, data, options);
};
// Incoming WebSocket frames (the WebSocket transport calls Transport's onData).
const transportOnData = Transport.prototype.onData;
Transport.prototype.onData = function (data) {
  if (this instanceof WebSocket) record('client', 'websocket', data);
  return transportOnData.call(this, data);
};
// Outgoing WebSocket frames: every frame goes through the ws socket's send;
// pre-encoded broadcast frames would bypass it, so they are turned off.
WebSocket.prototype._canSendPreEncodedFrame = () => false;
const wsSend = WebSocket.prototype.send;
WebSocket.prototype.send = function (packets) {
  if (!this.__captured) {
    this.__captured = true;
    const sock = this.socket;
    const send = sock.send.bind(sock);
    sock.send = (data, ...rest) => {
      record('server', 'websocket', data);
      return send(data, ...rest);
    };
  }
  return wsSend.call(this, packets);
};

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, resolve));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function main() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { pingInterval: 25000, pingTimeout: 20000 });
  const admin = io.of('/admin');

  io.on('connection', (socket) => {
    socket.emit('welcome', 'hi \u00e9\u20ac', { n: 1, list: [true, null, 2.5] });
    socket.on('chat', (text, ack) => ack('ok', text.length));
    socket.on('file', (meta, bytes, ack) => {
      ack({ size: bytes.length, name: meta.name });
    });
    socket.on('ask-binary', () => {
      socket.emit('blob', Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        { nested: [Buffer.from('xyz'), 'after'] });
    });
  });
  admin.use((socket, next) => {
    if (socket.handshake.auth && socket.handshake.auth.token === 'abc') return next();
    next(new Error('not authorized'));
  });
  admin.on('connection', (socket) => {
    socket.emit('ready', { room: 'admin' }, (answer) => {
      socket.emit('got', answer);
    });
  });

  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  const port = httpServer.address().port;

  const manager = new Manager(`http://127.0.0.1:${port}`, {
    transports: ['polling', 'websocket'],
    reconnection: false,
  });
  const main = manager.socket('/');
  const welcome = once(main, 'welcome');
  await once(main, 'connect');
  await welcome;

  // Over polling, if the upgrade has not happened yet.
  await new Promise((r) => main.emit('chat', 'hello \ud83d\ude00', () => r()));

  // Wait for the upgrade to WebSocket.
  if (manager.engine.transport.name !== 'websocket') {
    await once(manager.engine, 'upgrade');
  }

  await new Promise((r) => main.emit('file', { name: 'a.bin' },
    Buffer.from([1, 2, 3, 0, 255]), () => r()));
  const blob = once(main, 'blob');
  main.emit('ask-binary');
  await blob;

  const adminSock = manager.socket('/admin', { auth: { token: 'abc' } });
  const got = once(adminSock, 'got');
  adminSock.on('ready', (info, ack) => ack(Buffer.from([7, 7]), 'fine'));
  await once(adminSock, 'connect');
  await got;

  const refused = manager.socket('/private', { auth: {} });
  await once(refused, 'connect_error');

  adminSock.disconnect();
  await sleep(50);
  main.disconnect();
  await sleep(50);
  manager.engine.close();
  io.close();
  httpServer.close();

  fs.writeFileSync(OUT, units.map((u) => JSON.stringify(u)).join('\n') + '\n');
  console.error(`capture_sio: ${units.length} units -> ${path.relative(process.cwd(), OUT)}`);
  clearTimeout(deadline);
  setTimeout(() => process.exit(0), 100).unref();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
