#!/usr/bin/env node
// Captures real Engine.IO traffic from the reference server (npm engine.io@6)
// over loopback, with Node's own http module as the client.
//
// Writes:
//   vectors/gen/server-open.json        open packets of a default-configured
//                                       server, EIO=4 and EIO=3 (read by
//                                       gen_eio.js for handshake.jsonl)
//   vectors/captures/eio4-session.jsonl  a v4 polling session, one transport
//                                       unit (HTTP body) per line
//   vectors/captures/eio3-session.jsonl  v3 polling sessions (binary-capable
//                                       and b64=1 clients)
//
// Every run yields new session ids, so this is kept apart from gen_eio.js,
// whose output must not change from one run to the next.
//
// Usage: cd vectors && npm ci && node gen/capture_eio.js
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const engine = require('engine.io');
const parser = require('engine.io-parser');
// engine.io does not export its v3 parser; load it by path.
const parserV3 = require(path.join(path.dirname(require.resolve('engine.io')), 'parser-v3'));

const ROOT = path.join(__dirname, '..');

function startServer(opts, onConnection) {
  return new Promise((resolve) => {
    const httpServer = http.createServer();
    const eio = engine.attach(httpServer, Object.assign({ allowEIO3: true }, opts));
    if (onConnection) eio.on('connection', onConnection);
    httpServer.listen(0, '127.0.0.1', () => {
      resolve({ httpServer, eio, port: httpServer.address().port });
    });
  });
}

function stopServer(s) {
  return new Promise((resolve) => {
    s.eio.close();
    s.httpServer.close(() => resolve());
  });
}

// One HTTP exchange; resolves to { status, type, body (Buffer) }.
function request(port, method, query, body, contentType) {
  return new Promise((resolve, reject) => {
    const headers = { Connection: 'close' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType || 'text/plain;charset=UTF-8';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({
      host: '127.0.0.1', port, method, path: '/engine.io/?' + query, headers, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        type: res.headers['content-type'] || '',
        body: Buffer.concat(chunks),
      }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// A response or request body as a transport unit.
function unitOf(body, contentType) {
  if (/octet-stream/.test(contentType)) return { binary: body.toString('base64') };
  return { text: body.toString('utf8') };
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function expectOk(res, what) {
  if (res.status !== 200) throw new Error(what + ': HTTP ' + res.status + ' ' + res.body);
  return res;
}

function sidFromOpen(text) {
  const i = text.indexOf('0{');
  return JSON.parse(text.slice(i + 1)).sid;
}

async function captureOpenPackets() {
  const s = await startServer({});
  const out = {};
  for (const eioVersion of [4, 3]) {
    const res = expectOk(await request(s.port, 'GET', `EIO=${eioVersion}&transport=polling`),
      'handshake v' + eioVersion);
    const text = res.body.toString('utf8');
    // v4: "0{...}"; v3: "<len>:0{...}" (possibly followed by more records)
    const start = text.indexOf('0{');
    let json = text.slice(start + 1);
    if (eioVersion === 3) {
      const len = Number(text.slice(0, text.indexOf(':')));
      json = text.slice(text.indexOf(':') + 2, text.indexOf(':') + 1 + len);
    }
    out['v' + eioVersion] = json;
  }
  await stopServer(s);
  return out;
}

async function captureV4Session() {
  const units = [];
  let socket;
  const s = await startServer({ pingInterval: 300, pingTimeout: 2000 }, (sock) => {
    socket = sock;
    sock.on('message', () => {});
  });
  const port = s.port;
  let res = expectOk(await request(port, 'GET', 'EIO=4&transport=polling'), 'open');
  units.push(unitOf(res.body, res.type));
  const sid = sidFromOpen(res.body.toString('utf8'));
  const q = `EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;

  // several server messages, delivered together in the next poll
  socket.send('hello');
  socket.send('{"event":"chat","text":"h\u00e9llo \u20ac"}');
  socket.send('multi\nline: with \u001f and colon');
  res = expectOk(await request(port, 'GET', q), 'poll messages');
  units.push(unitOf(res.body, res.type));

  // the client sends two messages in one POST
  let body = await new Promise((r) => parser.encodePayload([
    { type: 'message', data: 'hi' },
    { type: 'message', data: 'there \ud83d\ude00' },
  ], r));
  expectOk(await request(port, 'POST', q, body), 'post messages');
  units.push({ text: body });

  // binary from the server is base64 in a v4 polling body
  socket.send(Buffer.from([1, 2, 3, 4, 0xff]));
  res = expectOk(await request(port, 'GET', q), 'poll binary');
  units.push(unitOf(res.body, res.type));

  // the heartbeat: the server pings after pingInterval, the client pongs
  res = expectOk(await request(port, 'GET', q), 'poll ping');
  units.push(unitOf(res.body, res.type));
  body = await new Promise((r) => parser.encodePayload([{ type: 'pong' }], r));
  expectOk(await request(port, 'POST', q, body), 'post pong');
  units.push({ text: body });

  // the client sends binary (base64) and closes
  body = await new Promise((r) => parser.encodePayload([
    { type: 'message', data: Buffer.from([0, 0x1e, 0x3a]) },
    { type: 'close' },
  ], r));
  expectOk(await request(port, 'POST', q, body), 'post close');
  units.push({ text: body });
  await sleep(20);
  await stopServer(s);
  return units;
}

async function captureV3Session(b64) {
  const units = [];
  let socket;
  const s = await startServer({ pingInterval: 25000, pingTimeout: 20000 }, (sock) => {
    socket = sock;
    sock.on('message', () => {});
  });
  const port = s.port;
  const extra = b64 ? '&b64=1' : '';
  let res = expectOk(await request(port, 'GET', 'EIO=3&transport=polling' + extra), 'open v3');
  units.push(unitOf(res.body, res.type));
  const sid = sidFromOpen(res.body.toString('utf8'));
  const q = `EIO=3&transport=polling${extra}&sid=${encodeURIComponent(sid)}`;

  // in v3 the client pings and the server answers
  let body = await new Promise((r) => parserV3.encodePayload([{ type: 'ping' }], !b64, r));
  expectOk(await request(port, 'POST', q, body), 'post ping');
  units.push({ text: body });
  res = expectOk(await request(port, 'GET', q), 'poll pong');
  units.push(unitOf(res.body, res.type));

  // text and binary from the server in one body
  socket.send('hello \u20ac');
  socket.send(Buffer.from([1, 2, 3]));
  socket.send('\ud83d\ude00 2:4 colon');
  res = expectOk(await request(port, 'GET', q), 'poll mixed');
  units.push(unitOf(res.body, res.type));

  // the client sends text and binary in one body
  const pkts = [
    { type: 'message', data: 'from client' },
    { type: 'message', data: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
  ];
  body = await new Promise((r) => parserV3.encodePayload(pkts, !b64, r));
  const ctype = Buffer.isBuffer(body) ? 'application/octet-stream' : undefined;
  expectOk(await request(port, 'POST', q, body, ctype), 'post mixed');
  units.push(Buffer.isBuffer(body) ? { binary: body.toString('base64') } : { text: body });

  body = await new Promise((r) => parserV3.encodePayload([{ type: 'close' }], !b64, r));
  expectOk(await request(port, 'POST', q, body), 'post close');
  units.push({ text: body });
  await sleep(20);
  await stopServer(s);
  return units;
}

function writeJsonl(file, lines) {
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  console.log(`${path.relative(ROOT, file)}: ${lines.length} lines`);
}

async function main() {
  const open = await captureOpenPackets();
  fs.writeFileSync(path.join(__dirname, 'server-open.json'), JSON.stringify(open, null, 2) + '\n');
  console.log('gen/server-open.json:', JSON.stringify(open));
  writeJsonl(path.join(ROOT, 'captures', 'eio4-session.jsonl'), await captureV4Session());
  const v3 = (await captureV3Session(false)).concat(await captureV3Session(true));
  writeJsonl(path.join(ROOT, 'captures', 'eio3-session.jsonl'), v3);
}

main().catch((e) => { console.error(e); process.exit(1); });
