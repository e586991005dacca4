#!/usr/bin/env node
// The reference side of bench/bench_sio.c: the same cases on the same bytes,
// measured with npm socket.io-parser@4 (the default parser of Socket.IO v5),
// socket.io-msgpack-parser@3 and the notepack.io it uses.
// Prints `bench<TAB>case<TAB>impl<TAB>ops/s<TAB>MB/s` lines.
//
// Decoding is Decoder#add on one long-lived decoder with a "decoded"
// listener, as socket.io uses it; text inputs are JS strings (engine.io
// hands strings over), so Node's UTF-8 decoding is not measured. Encoding is
// Encoder#encode of a packet object.
//
// Usage: cd bench && npm ci && node ref/bench_sio.js
// SIOC_BENCH_SECONDS sets the seconds per round (default 0.3), as for the C side.
'use strict';

const assert = require('assert');
const path = require('path');
const sioParser = require('socket.io-parser');
const msgpackParser = require('socket.io-msgpack-parser');
// notepack.io as socket.io-msgpack-parser loads it (its own pinned copy).
const notepack = require(require.resolve('notepack.io',
  { paths: [path.dirname(require.resolve('socket.io-msgpack-parser'))] }));

const SECONDS = Number(process.env.SIOC_BENCH_SECONDS) > 0 ? Number(process.env.SIOC_BENCH_SECONDS) : 0.3;
const ROUNDS = 5;

let sink = 0;
function consume(x) {
  if (x === null || x === undefined) return;
  if (typeof x === 'string' || Array.isArray(x) || Buffer.isBuffer(x)) sink ^= x.length;
  else sink ^= 1;
}

function now() { return Number(process.hrtime.bigint()) / 1e9; }

// Same shape as bench_run in bench/bench_util.c.
function run(name, impl, bytes, fn) {
  const warmEnd = now() + SECONDS / 4;
  while (now() < warmEnd) fn();
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let iters = 0;
    let batch = 1;
    const start = now();
    let t = start;
    while (t - start < SECONDS) {
      for (let i = 0; i < batch; i++) fn();
      iters += batch;
      if (batch < (1 << 20)) batch *= 2;
      t = now();
    }
    const ops = iters / (t - start);
    if (ops > best) best = ops;
  }
  process.stdout.write(`bench\t${name}\t${impl}\t${best.toFixed(1)}\t${(best * bytes / 1e6).toFixed(1)}\n`);
}

// ---- inputs: built by the same rules as bench_sio.c --------------------------

function jsonEvent(target) {
  let s = '2["data",{"items":[';
  for (let i = 0; s.length + 2 < target; i++) {
    s += `${i ? ',' : ''}{"id":${i},"name":"item ${i}","tags":["a","b"],"v":${i}.5}`;
  }
  return s + ']}]';
}

function pseudoBytes(n, seed) {
  let x = seed >>> 0;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

const cases = [
  ['sio_decode_small', 'sio_encode_small', '2["msg","hi"]'],
  ['sio_decode_ack_nsp', 'sio_encode_ack_nsp',
    '2/chat,12["msg",{"from":"ann","text":"hello there"}]'],
  ['sio_decode_1k', 'sio_encode_1k', jsonEvent(1024)],
  ['sio_decode_64k', 'sio_encode_64k', jsonEvent(65536)],
];

const IMPL = 'socket.io-parser';
let last = null;
const decoder = new sioParser.Decoder();
decoder.on('decoded', (p) => { last = p; });
const encoder = new sioParser.Encoder();

for (const [dname, ename, text] of cases) {
  const bytes = Buffer.byteLength(text);
  decoder.add(text);
  const packet = last;
  assert(packet && Array.isArray(packet.data), dname);
  // the encoder gives the same bytes back, so both sides encode the same packet
  assert.strictEqual(encoder.encode(packet)[0], text, ename);
  run(dname, IMPL, bytes, () => { decoder.add(text); consume(last); });
  run(ename, IMPL, bytes, () => consume(encoder.encode(packet)));
}

// binary event: text + 1 KB + 64 KB attachments
const binText = '52-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]';
const att = [pseudoBytes(1024, 7), pseudoBytes(65536, 11)];
const binBytes = Buffer.byteLength(binText) + att[0].length + att[1].length;
decoder.add(binText); decoder.add(att[0]); decoder.add(att[1]);
const binPacket = last;
assert(Buffer.isBuffer(binPacket.data[2]) && binPacket.data[2].length === 65536);
{
  const enc = encoder.encode({ type: 2, nsp: '/', data: binPacket.data });
  assert.strictEqual(enc[0], binText);
}
run('sio_decode_binary_1k_64k', IMPL, binBytes, () => {
  decoder.add(binText); decoder.add(att[0]); decoder.add(att[1]); consume(last);
});
run('sio_encode_binary_1k_64k', IMPL, binBytes,
  () => consume(encoder.encode({ type: 2, nsp: '/', data: binPacket.data })));

// msgpack: {type:2,data:["msg","hi"],nsp:"/"}
const mpPacket = { type: 2, data: ['msg', 'hi'], nsp: '/' };
const mpBytes = notepack.encode(mpPacket);
assert.strictEqual(mpBytes.toString('hex'),
  '83a474797065' + '02' + 'a464617461' + '92a36d7367a26869' + 'a36e7370a12f');
const mpDecoder = new msgpackParser.Decoder();
mpDecoder.on('decoded', (p) => { last = p; });
const mpEncoder = new msgpackParser.Encoder();
run('sio_msgpack_decode_small', 'socket.io-msgpack-parser', mpBytes.length,
  () => { mpDecoder.add(mpBytes); consume(last); });
run('sio_msgpack_decode_small', 'notepack.io', mpBytes.length,
  () => consume(notepack.decode(mpBytes)));
run('sio_msgpack_encode_small', 'socket.io-msgpack-parser', mpBytes.length,
  () => consume(mpEncoder.encode(mpPacket)));
run('sio_msgpack_encode_small', 'notepack.io', mpBytes.length,
  () => consume(notepack.encode(mpPacket)));

if (sink === 0.5) process.stdout.write('');
