#!/usr/bin/env node
// The reference side of bench/bench_eio.c: the same cases on the same bytes,
// measured with npm engine.io-parser@5 (v4) and the v3 parser of engine.io@6.
// Prints `bench<TAB>case<TAB>engine.io-parser<TAB>ops/s<TAB>MB/s` lines.
//
// Text inputs are JS strings (engine.io hands the parser strings: it reads
// WebSocket text frames and polling bodies with Buffer#toString), so the
// UTF-8 decoding done by Node before the parser runs is not measured; the C
// side starts from bytes and validates UTF-8 itself.
//
// Usage: cd bench && npm ci && node ref/bench_eio.js
// SIOC_BENCH_SECONDS sets the seconds per round (default 0.3), as for the C side.
'use strict';

const path = require('path');
const parser = require('engine.io-parser');
const parserV3 = require(path.join(path.dirname(require.resolve('engine.io')), 'parser-v3'));

const IMPL = 'engine.io-parser';
const NPKT = 100;
const B64_RAW = 64 * 1024;
const SECONDS = Number(process.env.SIOC_BENCH_SECONDS) > 0 ? Number(process.env.SIOC_BENCH_SECONDS) : 0.3;
const ROUNDS = 5;

let sink = 0;
function consume(x) {
  if (typeof x === 'string') sink ^= x.length;
  else if (x && x.length !== undefined) sink ^= x.length;
  else if (x && x.data !== undefined) sink ^= 1;
}

function now() { return Number(process.hrtime.bigint()) / 1e9; }

// Same shape as bench_run in bench/bench_util.c: warm-up, then the best of
// ROUNDS rounds of at least SECONDS each, in doubling batches.
function run(name, bytes, fn) {
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
  process.stdout.write(`bench\t${name}\t${IMPL}\t${best.toFixed(1)}\t${(best * bytes / 1e6).toFixed(1)}\n`);
}

// ---- inputs: built by the same rules as bench_eio.c --------------------------

const small = '4hello';
const hundred = '4["chat",{"room":"lobby","user":"alice","text":"the quick brown fox jumps ' +
  'over the lazy dog","t":1}]';
const texts = [];
for (let i = 0; i < NPKT; i++) texts.push('4message ' + i);
const v4Body = texts.join('\x1e');
const v3Body = texts.map((t) => t.length + ':' + t).join('');
const packets = texts.map((t) => ({ type: 'message', data: t.slice(1) }));

const raw = Buffer.alloc(B64_RAW);
{
  let x = 0x9e3779b9;
  for (let i = 0; i < B64_RAW; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    raw[i] = x & 0xff;
  }
}
const b64Frame = 'b' + raw.toString('base64');
const binPacket = { type: 'message', data: raw };

if (hundred.length !== 100) throw new Error('the 100-byte frame is ' + hundred.length);

// ---- cases ----------------------------------------------------------------

const smallPkt = { type: 'message', data: small.slice(1) };
const hundredPkt = { type: 'message', data: hundred.slice(1) };

run('packet_decode_small', small.length, () => consume(parser.decodePacket(small)));
run('packet_encode_small', small.length, () => parser.encodePacket(smallPkt, true, consume));
run('packet_decode_100b', hundred.length, () => consume(parser.decodePacket(hundred)));
run('packet_encode_100b', hundred.length, () => parser.encodePacket(hundredPkt, true, consume));
run('payload_v4_decode_100', v4Body.length, () => consume(parser.decodePayload(v4Body)));
run('payload_v4_encode_100', v4Body.length, () => parser.encodePayload(packets, consume));
run('payload_v3_decode_100', v3Body.length, () => {
  let n = 0;
  parserV3.decodePayload(v3Body, (p) => { n++; consume(p); });
  if (n !== NPKT) throw new Error('v3 decode');
});
run('payload_v3_encode_100', v3Body.length, () => parserV3.encodePayload(packets, false, consume));
// base64 as engine.io-parser does it for a v4 polling body's binary packet
run('base64_encode_64k', B64_RAW, () => parser.encodePacket(binPacket, false, consume));
run('base64_decode_64k', B64_RAW, () => consume(parser.decodePacket(b64Frame).data));

if (sink === 0.5) console.log('');
