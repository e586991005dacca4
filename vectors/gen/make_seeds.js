#!/usr/bin/env node
// Turns every Engine.IO vector (vectors/eio/*.jsonl, handshake.jsonl aside)
// and every sample capture (vectors/captures/*.jsonl) into fuzz seeds:
//
//   fuzz/corpus/packet/<sha1>   byte 0: bit0 version (0 v3, 1 v4),
//                                       bit1 binary frame
//                               bytes 1..: the WebSocket frame
//   fuzz/corpus/payload/<sha1>  byte 0: bit0 version (0 v3, 1 v4),
//                                       bit1 binary format (v3 octet-stream)
//                               byte 1: chunking seed
//                               bytes 2..: the polling body
//
// File names are the SHA-1 of the content, as libFuzzer names its corpus
// files, so rerunning only adds what is new. Existing files are never
// removed (the folders also keep inputs found by fuzzing).
//
// Usage: cd vectors && node gen/make_seeds.js
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const VECTORS = path.join(ROOT, 'vectors');
const CORPUS = path.join(ROOT, 'fuzz', 'corpus');

// A few chunking seeds: whole, byte by byte, and two irregular patterns.
const CHUNK_SEEDS = [0x00, 0x01, 0x5a, 0xff];

function unitBytes(u) {
  if ('text' in u) return { bin: false, bytes: Buffer.from(u.text, 'utf8') };
  if ('binary' in u) return { bin: true, bytes: Buffer.from(u.binary, 'base64') };
  if ('text_base64' in u) return { bin: false, bytes: Buffer.from(u.text_base64, 'base64') };
  throw new Error('unknown unit ' + JSON.stringify(u));
}

function readJsonl(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

const written = { packet: new Set(), payload: new Set() };
let created = 0;

function seed(target, content) {
  const name = crypto.createHash('sha1').update(content).digest('hex');
  if (written[target].has(name)) return;
  written[target].add(name);
  const file = path.join(CORPUS, target, name);
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, content);
    created++;
  }
}

function packetSeed(eio, u) {
  const { bin, bytes } = unitBytes(u);
  const head = (eio === 4 ? 1 : 0) | (bin ? 2 : 0);
  seed('packet', Buffer.concat([Buffer.from([head]), bytes]));
}

function payloadSeeds(eio, u) {
  const { bin, bytes } = unitBytes(u);
  const head = (eio === 4 ? 1 : 0) | (bin ? 2 : 0);
  // Small bodies get every chunking seed; large ones one, so the corpus
  // stays small.
  // The one seed of a large body comes from its content, so that adding
  // vectors does not change the seeds of others.
  const pick = crypto.createHash('sha1').update(bytes).digest()[0] % CHUNK_SEEDS.length;
  const seeds = bytes.length <= 4096 ? CHUNK_SEEDS : [CHUNK_SEEDS[pick]];
  for (const c of seeds) seed('payload', Buffer.concat([Buffer.from([head, c]), bytes]));
}

function main() {
  for (const t of ['packet', 'payload']) fs.mkdirSync(path.join(CORPUS, t), { recursive: true });
  const dir = path.join(VECTORS, 'eio');
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.jsonl') || f === 'handshake.jsonl') continue;
    for (const v of readJsonl(path.join(dir, f))) {
      for (const u of v.units) {
        if (v.transport === 'websocket') packetSeed(v.eio, u);
        else payloadSeeds(v.eio, u);
      }
    }
  }
  // Sample captures: polling bodies of real sessions.
  for (const [file, eio] of [['eio4-session.jsonl', 4], ['eio3-session.jsonl', 3]]) {
    const p = path.join(VECTORS, 'captures', file);
    if (!fs.existsSync(p)) continue;
    for (const u of readJsonl(p)) payloadSeeds(eio, u);
  }
  console.log(`packet seeds: ${written.packet.size}, payload seeds: ${written.payload.size}, ` +
    `new files: ${created}`);
}

main();
