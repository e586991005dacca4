#!/usr/bin/env node
// Turns every Socket.IO vector (vectors/sio/*.jsonl) into fuzz seeds:
//
//   fuzz/corpus/sio_header/<sha1>   byte 0: bit0 version (0 v4, 1 v5)
//                                   bytes 1..: one text packet
//   fuzz/corpus/sio_decoder/<sha1>  byte 0: bit0 version (0 v4, 1 v5)
//                                   then messages, each
//                                   <1 byte: bit0 binary><2 bytes LE length><bytes>
//   fuzz/corpus/sio_msgpack/<sha1>  one msgpack message
//
// File names are the SHA-1 of the content, as libFuzzer names its corpus
// files, so rerunning only adds what is new. Existing files are never
// removed. Messages longer than 65535 bytes do not fit the decoder seed
// format and are left out (their packets are still header seeds when they
// are text up to 70000 bytes; larger ones are skipped to keep the corpus small).
//
// Usage: cd vectors && node gen/make_sio_seeds.js
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const SIO = path.join(ROOT, 'vectors', 'sio');
const CORPUS = path.join(ROOT, 'fuzz', 'corpus');
const MAX_HEADER_SEED = 70000;

const counts = {};

function put(target, buf) {
  const dir = path.join(CORPUS, target);
  fs.mkdirSync(dir, { recursive: true });
  const name = crypto.createHash('sha1').update(buf).digest('hex');
  const file = path.join(dir, name);
  counts[target] = counts[target] || { total: 0, added: 0 };
  counts[target].total++;
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, buf);
    counts[target].added++;
  }
}

function messageBytes(m) {
  if (m.text !== undefined) return { binary: false, bytes: Buffer.from(m.text, 'utf8') };
  if (m.text_base64 !== undefined) {
    return { binary: false, bytes: Buffer.from(m.text_base64, 'base64') };
  }
  return { binary: true, bytes: Buffer.from(m.binary, 'base64') };
}

function main() {
  const files = fs.readdirSync(SIO).filter((f) => f.endsWith('.jsonl')).sort();
  for (const f of files) {
    const lines = fs.readFileSync(path.join(SIO, f), 'utf8').split('\n').filter((l) => l.trim());
    for (const line of lines) {
      const v = JSON.parse(line);
      const msgs = v.messages.map(messageBytes);
      if (v.parser === 'msgpack') {
        for (const m of msgs) put('sio_msgpack', m.bytes);
        continue;
      }
      const ver = Buffer.from([v.sio === 5 ? 1 : 0]);
      for (const m of msgs) {
        if (!m.binary && m.bytes.length <= MAX_HEADER_SEED) {
          put('sio_header', Buffer.concat([ver, m.bytes]));
        }
      }
      if (msgs.every((m) => m.bytes.length <= 0xffff)) {
        const parts = [ver];
        for (const m of msgs) {
          const h = Buffer.alloc(3);
          h[0] = m.binary ? 1 : 0;
          h.writeUInt16LE(m.bytes.length, 1);
          parts.push(h, m.bytes);
        }
        put('sio_decoder', Buffer.concat(parts));
      }
    }
  }
  for (const t of Object.keys(counts).sort()) {
    console.log(`${t}: ${counts[t].total} seeds, ${counts[t].added} new`);
  }
}

main();
