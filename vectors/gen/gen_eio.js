#!/usr/bin/env node
// Generates vectors/eio/*.jsonl, the Engine.IO test vectors of sioc.
//
// Every valid vector is produced by the reference implementation: the packet
// list below is encoded with npm engine.io-parser@5 (v4) or the v3 parser
// shipped in engine.io@6 (build/parser-v3), the resulting transport units are
// written out, and the reference decoder is run on those exact bytes to check
// that it gives the packets back. Error vectors are hand-written data (the
// error code and byte offset are sioc's decisions, see docs/vectors.md); for
// each the reference decoder is run too and its verdict recorded in
// "reference" ("rejects" or "accepts").
//
// Output is deterministic. Handshake vectors include the open packets of a
// live engine.io server, read from gen/server-open.json, which only
// gen/capture_eio.js rewrites.
//
// Usage: cd vectors && npm ci && node gen/gen_eio.js
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const parser = require('engine.io-parser');
// engine.io does not export its v3 parser; load it by path.
const parserV3 = require(path.join(path.dirname(require.resolve('engine.io')), 'parser-v3'));

const OUT = path.join(__dirname, '..', 'eio');

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

// Deterministic bytes (xorshift32), so binary vectors never change.
function bytes(n, seed) {
  let x = (seed >>> 0) || 0x9e3779b9;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// A JS string as it reaches the wire: written as UTF-8 (lone surrogates
// become U+FFFD) and read back.
function wire(s) { return Buffer.from(s, 'utf8').toString('utf8'); }

const T = (s) => ({ text: s });                         // text frame/body
const B = (buf) => ({ binary: Buffer.from(buf).toString('base64') }); // binary frame/body
// A text frame/body whose bytes are not valid UTF-8 (cannot be a JSON string).
const TB = (buf) => ({ text_base64: Buffer.from(buf).toString('base64') });

function unitOf(encoded) {
  if (typeof encoded === 'string') return T(wire(encoded));
  return B(encoded);
}

function unitBytes(u) {
  if ('text' in u) return Buffer.from(u.text, 'utf8');
  if ('binary' in u) return Buffer.from(u.binary, 'base64');
  return Buffer.from(u.text_base64, 'base64');
}

function isBinaryData(d) {
  return d instanceof ArrayBuffer || ArrayBuffer.isView(d);
}

// A reference packet as a vector packet object.
function pktJson(p) {
  const o = { type: p.type };
  if (isBinaryData(p.data)) {
    o.binary = Buffer.from(p.data.buffer ? Buffer.from(p.data.buffer, p.data.byteOffset,
      p.data.byteLength) : p.data).toString('base64');
  } else if (p.data !== undefined) {
    o.data = wire(String(p.data));
  }
  return o;
}

function sync(fn) {
  let out;
  let called = false;
  fn((x) => { out = x; called = true; });
  assert(called, 'reference callback was not called synchronously');
  return out;
}

/* ------------------------------------------------------------------------ */
/* the reference encoders and decoders, as the engine.io server uses them   */
/* ------------------------------------------------------------------------ */

// form: 'text' (binary data not expected), 'binary' (binary frames / v3
// octet-stream body) or 'b64' (binary data as base64 text).
function refEncodeFrames(eio, packets, form) {
  return packets.map((p) => {
    if (eio === 4) return sync((cb) => parser.encodePacket(p, form !== 'b64', cb));
    return sync((cb) => parserV3.encodePacket(p, form !== 'b64', cb));
  });
}

function refEncodeBody(eio, packets, form) {
  if (eio === 4) return sync((cb) => parser.encodePayload(packets, cb));
  if (form === 'binary-forced') return sync((cb) => parserV3.encodePayloadAsBinary(packets, cb));
  return sync((cb) => parserV3.encodePayload(packets, form !== 'b64', cb));
}

// Decodes units as the server would; returns vector packets or null when the
// reference reports an error (or throws).
function refDecode(eio, transport, units) {
  try {
    const out = [];
    if (transport === 'websocket') {
      for (const u of units) {
        const b = unitBytes(u);
        const frame = 'binary' in u ? b : b.toString('utf8');
        const p = eio === 4 ? parser.decodePacket(frame, 'nodebuffer') : parserV3.decodePacket(frame);
        if (p.type === 'error' || p.type === undefined) return null;
        out.push(pktJson(p));
      }
      return out;
    }
    assert.strictEqual(units.length, 1);
    const u = units[0];
    const b = unitBytes(u);
    if (eio === 4) {
      // engine.io reads a text body with Buffer#toString
      const ps = parser.decodePayload(b.toString('utf8'), 'nodebuffer');
      for (const p of ps) {
        if (p.type === 'error' || p.type === undefined) return null;
        out.push(pktJson(p));
      }
      return out;
    }
    let failed = false;
    const body = 'binary' in u ? b : b.toString('utf8');
    if ('binary' in u && b.length === 0) return [];
    parserV3.decodePayload(body, (p) => {
      if (p.type === 'error' || p.type === undefined) failed = true;
      else out.push(pktJson(p));
    });
    return failed ? null : out;
  } catch (e) {
    return null;
  }
}

/* ------------------------------------------------------------------------ */
/* vector collection                                                        */
/* ------------------------------------------------------------------------ */

const files = {
  'packets.jsonl': [],
  'payload-v4.jsonl': [],
  'payload-v3-text.jsonl': [],
  'payload-v3-binary.jsonl': [],
  'errors.jsonl': [],
  'handshake.jsonl': [],
};
const names = new Set();

function add(file, v) {
  assert(!names.has(v.name), 'duplicate vector name ' + v.name);
  names.add(v.name);
  files[file].push(v);
}

function sameJson(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

// A valid vector: packets encoded by the reference, decoded back by it.
function valid(name, eio, transport, packets, form, note) {
  form = form || 'binary';
  let units;
  if (transport === 'websocket') {
    units = refEncodeFrames(eio, packets, form).map(unitOf);
  } else {
    units = [unitOf(refEncodeBody(eio, packets, form))];
  }
  const decoded = refDecode(eio, transport, units);
  assert(decoded !== null, name + ': the reference decoder rejects its own output');
  // Re-encoding what the reference decoded must give the same unit bytes,
  // otherwise the vector is decode-only.
  let again;
  if (transport === 'websocket') {
    again = refEncodeFrames(eio, decoded.map(toRefPacket), form).map(unitOf);
  } else {
    again = [unitOf(refEncodeBody(eio, decoded.map(toRefPacket), form))];
  }
  const v = { name, eio, transport };
  if (eio === 3 && transport === 'polling' && form === 'b64' &&
      packets.some((p) => isBinaryData(p.data))) {
    v.b64 = true;
  }
  v.units = units;
  v.packets = decoded;
  if (!sameJson(again, units)) v.roundtrip = false;
  if (note) v.note = note;
  let file;
  if (transport === 'websocket') file = 'packets.jsonl';
  else if (eio === 4) file = 'payload-v4.jsonl';
  else if ('binary' in units[0]) file = 'payload-v3-binary.jsonl';
  else file = 'payload-v3-text.jsonl';
  add(file, v);
  return v;
}

// A decode-only vector with hand-written units; the packets are what the
// reference decoder gives (it must accept the input).
function decodeOnly(name, eio, transport, units, note, file) {
  const decoded = refDecode(eio, transport, units);
  assert(decoded !== null, name + ': the reference decoder rejects it');
  const v = { name, eio, transport, units, packets: decoded, roundtrip: false };
  if (note) v.note = note;
  add(file, v);
}

function toRefPacket(p) {
  const o = { type: p.type };
  if ('binary' in p) o.data = Buffer.from(p.binary, 'base64');
  else if ('data' in p) o.data = p.data;
  return o;
}

// An error vector: hand-written input, our error code and offset.
function error(name, eio, transport, unit, code, offset, note) {
  const units = [unit];
  const v = { name, eio, transport, units, error: code, offset };
  v.reference = refDecode(eio, transport, units) === null ? 'rejects' : 'accepts';
  if (note) v.note = note;
  add('errors.jsonl', v);
}

/* ------------------------------------------------------------------------ */
/* packet lists                                                             */
/* ------------------------------------------------------------------------ */

const TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];
const SAMPLE_DATA = {
  open: '{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,' +
        '"pingTimeout":20000,"maxPayload":1000000}',
  close: 'bye',
  ping: 'probe',
  pong: 'probe',
  message: 'hello',
  upgrade: 'x',
  noop: 'x',
};
const msg = (data) => ({ type: 'message', data });

const TEXTS = {
  'ascii': 'hello world',
  'euro': '\u20ac',
  'emoji': '\ud83d\ude00',
  'mixed-utf16': 'a\u20acb\ud83d\ude00c\u00e9\u4e2d\ud834\udd1e',
  'cjk': '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8',
  'record-separator': 'a\u001eb',
  'colon': '3:4x:',
  'digits-colon': '12:34',
  'nul': 'a\u0000b',
  'controls': '\t\r\n\u0001\u001f\u007f',
  'json': '["chat",{"text":"hi","n":1.5e3,"ok":true}]',
  'b-prefix': 'bAQID',
  'max-bmp': '\uffff\ufffd\ud7ff\ue000',
  'max-codepoint': '\udbff\udfff',
};

function addPacketVectors() {
  for (const eio of [4, 3]) {
    for (const t of TYPES) {
      valid(`v${eio}-ws-${t}-nodata`, eio, 'websocket', [{ type: t }]);
      valid(`v${eio}-ws-${t}-data`, eio, 'websocket', [{ type: t, data: SAMPLE_DATA[t] }]);
    }
    valid(`v${eio}-ws-ping-probe-exchange`, eio, 'websocket',
      [{ type: 'ping', data: 'probe' }, { type: 'pong', data: 'probe' }, { type: 'upgrade' }]);
    for (const [k, s] of Object.entries(TEXTS)) {
      valid(`v${eio}-ws-text-${k}`, eio, 'websocket', [msg(s)]);
    }
    valid(`v${eio}-ws-text-lone-surrogate`, eio, 'websocket', [msg('a\ud800b')],
      'binary', 'a lone surrogate in a JS string is sent as U+FFFD');
    valid(`v${eio}-ws-binary`, eio, 'websocket', [msg(Buffer.from([1, 2, 3]))]);
    valid(`v${eio}-ws-binary-empty`, eio, 'websocket', [msg(Buffer.alloc(0))]);
    valid(`v${eio}-ws-binary-all-bytes`, eio, 'websocket',
      [msg(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))]);
    valid(`v${eio}-ws-binary-base64`, eio, 'websocket', [msg(Buffer.from([1, 2, 3]))], 'b64');
    valid(`v${eio}-ws-binary-base64-pad1`, eio, 'websocket', [msg(Buffer.from([0xfb, 0xff]))], 'b64');
    valid(`v${eio}-ws-binary-base64-pad2`, eio, 'websocket', [msg(Buffer.from([0xfe]))], 'b64');
    valid(`v${eio}-ws-binary-base64-empty`, eio, 'websocket', [msg(Buffer.alloc(0))], 'b64');
    valid(`v${eio}-ws-large-text`, eio, 'websocket', [msg('x'.repeat(50000) + '\u20ac'.repeat(17000))]);
    valid(`v${eio}-ws-large-binary`, eio, 'websocket', [msg(bytes(100000, eio))]);
    valid(`v${eio}-ws-large-binary-base64`, eio, 'websocket', [msg(bytes(100000, eio + 10))], 'b64');
  }
  // v3 binary frames carry the type in their first byte, so any type can
  // have binary data (v4 binary frames are always messages).
  valid('v3-ws-binary-ping', 3, 'websocket', [{ type: 'ping', data: Buffer.from('probe') }]);
  valid('v3-ws-binary-close-empty', 3, 'websocket', [{ type: 'close', data: Buffer.alloc(0) }]);
  valid('v3-ws-binary-base64-noop', 3, 'websocket', [{ type: 'noop', data: Buffer.from([9]) }], 'b64');
}

function manyPackets(n, withBinary) {
  const out = [];
  for (let i = 0; i < n; i++) {
    if (withBinary && i % 7 === 3) out.push(msg(bytes(i % 23, i)));
    else if (i % 10 === 9) out.push({ type: 'ping' });
    else if (i % 13 === 5) out.push(msg('\u20ac' + i + '\ud83d\ude00'));
    else out.push(msg('message number ' + i));
  }
  return out;
}

function addPayloadVectors() {
  // every type, with and without data, alone in a body
  for (const eio of [4, 3]) {
    for (const t of TYPES) {
      valid(`v${eio}-polling-${t}-nodata`, eio, 'polling', [{ type: t }]);
      valid(`v${eio}-polling-${t}-data`, eio, 'polling', [{ type: t, data: SAMPLE_DATA[t] }]);
    }
    valid(`v${eio}-polling-all-types`, eio, 'polling',
      TYPES.map((t, i) => (i % 2 ? { type: t } : { type: t, data: SAMPLE_DATA[t] })));
    valid(`v${eio}-polling-two-messages`, eio, 'polling', [msg('a'), msg('b')]);
    valid(`v${eio}-polling-ping-probe`, eio, 'polling', [{ type: 'ping', data: 'probe' }]);
    valid(`v${eio}-polling-pong-probe`, eio, 'polling', [{ type: 'pong', data: 'probe' }]);
    valid(`v${eio}-polling-noop`, eio, 'polling', [{ type: 'noop' }]);
    valid(`v${eio}-polling-empty-messages`, eio, 'polling', [msg(''), msg(''), msg('')]);
    for (const [k, s] of Object.entries(TEXTS)) {
      if (eio === 4 && k === 'record-separator') continue; // below
      valid(`v${eio}-polling-text-${k}`, eio, 'polling', [msg(s), msg('after')]);
    }
    valid(`v${eio}-polling-text-lone-surrogate`, eio, 'polling', [msg('\ud800'), msg('x\udc00y')],
      'binary', 'a lone surrogate in a JS string is sent as U+FFFD (counts 1)');
    valid(`v${eio}-polling-large-text`, eio, 'polling',
      [msg('y'.repeat(60000) + '\ud83d\ude00'.repeat(10000)), { type: 'ping' }]);
    valid(`v${eio}-polling-many`, eio, 'polling', manyPackets(200, false));
  }

  // v4: binary data is always base64 in a polling body
  valid('v4-polling-binary', 4, 'polling', [msg(Buffer.from([1, 2, 3, 4]))]);
  valid('v4-polling-binary-empty', 4, 'polling', [msg(Buffer.alloc(0))]);
  valid('v4-polling-binary-pads', 4, 'polling',
    [msg(Buffer.from([1])), msg(Buffer.from([1, 2])), msg(Buffer.from([1, 2, 3]))]);
  valid('v4-polling-binary-mixed', 4, 'polling',
    [msg('hello'), msg(Buffer.from([0xff, 0x1e, 0x00])), { type: 'ping' }, msg(Buffer.alloc(0)), msg('\u20ac')]);
  valid('v4-polling-binary-large', 4, 'polling', [msg(bytes(100000, 44))]);
  valid('v4-polling-many-binary', 4, 'polling', manyPackets(200, true));
  valid('v4-polling-text-record-separator', 4, 'polling', [msg('a\u001eb')], 'binary',
    'the reference does not escape 0x1e: the record splits, the second part is base64 "b" (empty binary)');
  valid('v4-polling-text-record-separator-type', 4, 'polling', [msg('a\u001e4b')], 'binary',
    'the reference does not escape 0x1e: one message becomes two');

  // v3 text payloads: lengths in UTF-16 code units
  valid('v3-polling-empty', 3, 'polling', [], 'binary', 'zero packets encode as "0:"');
  valid('v3-polling-utf16-euro', 3, 'polling', [msg('\u20ac')], 'binary', '\u20ac counts 1');
  valid('v3-polling-utf16-emoji', 3, 'polling', [msg('\ud83d\ude00')], 'binary', 'U+1F600 counts 2');
  valid('v3-polling-utf16-mix', 3, 'polling',
    [msg('\u20ac\ud83d\ude00a\u00e9'), msg('\ud83d\ude00\ud83d\ude00'), msg('\u20ac')], 'binary',
    '\u20ac 1, U+1F600 2, a 1, \u00e9 1');
  valid('v3-polling-utf16-lone-surrogate', 3, 'polling', [msg('\ud83d'), msg('\ude00z')], 'binary',
    'lone surrogates become U+FFFD on the wire (3 bytes, counts 1)');
  valid('v3-polling-utf16-long', 3, 'polling', [msg('\ud83d\ude00'.repeat(600))], 'binary',
    '1201 code units, 2401 bytes');
  valid('v3-polling-length-10', 3, 'polling', [msg('123456789')], 'binary', 'two-digit length');
  decodeOnly('v3-polling-zero-length-records', 3, 'polling', [T('0:2:4a0:1:20:')],
    'records of length 0 are skipped', 'payload-v3-text.jsonl');

  // v3 binary data, b64 (client without binary support) and octet-stream
  const binSets = {
    'one': [msg(Buffer.from([1, 2, 3]))],
    'empty': [msg(Buffer.alloc(0))],
    'mixed': [msg('hello \u20ac'), msg(Buffer.from([0, 255, 10])), { type: 'ping', data: 'probe' },
      msg(Buffer.alloc(0)), msg('\ud83d\ude00')],
    'types': [{ type: 'ping', data: Buffer.from('probe') }, { type: 'noop', data: Buffer.from([6]) }],
    'large': [msg(bytes(100000, 33)), msg('tail')],
    'many': manyPackets(200, true),
    'ff-in-data': [msg(Buffer.from([0xff, 0xff, 0x00, 0x01])), msg('\u00ff\u00fe')],
  };
  for (const [k, ps] of Object.entries(binSets)) {
    valid(`v3-polling-b64-${k}`, 3, 'polling', ps, 'b64');
    valid(`v3-polling-binary-${k}`, 3, 'polling', ps, 'binary');
  }
  valid('v3-polling-binary-text-only', 3, 'polling',
    [msg('hello'), { type: 'ping' }, msg('\u20ac\ud83d\ude00')], 'binary-forced',
    'the octet-stream format with text records only (record lengths count UTF-8 bytes)');
  valid('v3-polling-binary-lone-surrogate', 3, 'polling', [msg('a\ud800'), msg(Buffer.from([1]))],
    'binary', 'the reference writes a lone surrogate of a text record as U+FFFD (3 bytes)');
  valid('v3-polling-binary-length-10', 3, 'polling', [msg(Buffer.from('12345678'))], 'binary-forced',
    'two length digits: bytes 1 0');
}

/* ------------------------------------------------------------------------ */
/* error vectors: code and offset are sioc's decisions                      */
/* ------------------------------------------------------------------------ */

const E = {
  EMPTY_PACKET: 'EIO_ERR_EMPTY_PACKET',
  INVALID_TYPE: 'EIO_ERR_INVALID_TYPE',
  INVALID_UTF8: 'EIO_ERR_INVALID_UTF8',
  INVALID_BASE64: 'EIO_ERR_INVALID_BASE64',
  BAD_LENGTH: 'EIO_ERR_BAD_LENGTH',
  LENGTH_PAST_END: 'EIO_ERR_LENGTH_PAST_END',
  LENGTH_SPLITS_CHAR: 'EIO_ERR_LENGTH_SPLITS_CHAR',
  EMPTY_PAYLOAD: 'EIO_ERR_EMPTY_PAYLOAD',
  BAD_BINARY_HEADER: 'EIO_ERR_BAD_BINARY_HEADER',
};
const X = (...a) => Buffer.from(a.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from(x))).reduce((acc, b) => Buffer.concat([acc, b]), Buffer.alloc(0)));

// Invalid UTF-8 shapes: [label, bytes]
const BAD_UTF8 = [
  ['ff', [0xff]],
  ['lone-continuation', [0x80]],
  ['overlong-2', [0xc0, 0xaf]],
  ['overlong-3', [0xe0, 0x80, 0xaf]],
  ['overlong-4', [0xf0, 0x80, 0x80, 0xaf]],
  ['surrogate', [0xed, 0xa0, 0x80]],
  ['above-10ffff', [0xf4, 0x90, 0x80, 0x80]],
  ['f5', [0xf5, 0x80, 0x80, 0x80]],
  ['truncated-2-at-end', [0xc3]],
  ['truncated-3-at-end', [0xe2, 0x82]],
  ['truncated-4-at-end', [0xf0, 0x9f, 0x98]],
  ['truncated-then-ascii', [0xe2, 0x82, 0x41]],
];

function addErrorVectors() {
  for (const eio of [4, 3]) {
    const p = `v${eio}-ws`;
    error(`${p}-empty-text-frame`, eio, 'websocket', T(''), E.EMPTY_PACKET, 0);
    error(`${p}-type-7`, eio, 'websocket', T('7'), E.INVALID_TYPE, 0);
    error(`${p}-type-letter`, eio, 'websocket', T('xhello'), E.INVALID_TYPE, 0);
    error(`${p}-type-space`, eio, 'websocket', T(' 4hello'), E.INVALID_TYPE, 0);
    error(`${p}-type-non-ascii`, eio, 'websocket', T('\u20ac'), E.INVALID_TYPE, 0);
    error(`${p}-type-invalid-utf8`, eio, 'websocket', TB([0xff, 0x34]), E.INVALID_TYPE, 0,
      'the type is checked before the text');
    error(`${p}-type-B`, eio, 'websocket', T('BAQID'), E.INVALID_TYPE, 0, 'only lower-case b marks base64');
    for (const [label, bad] of BAD_UTF8) {
      error(`${p}-utf8-${label}`, eio, 'websocket', TB(X('4ab', bad)), E.INVALID_UTF8, 3,
        'engine.io-parser takes a JS string; ws itself closes the connection on invalid UTF-8 in a text frame');
    }
    error(`${p}-utf8-after-valid-multibyte`, eio, 'websocket', TB(X('4', [0xe2, 0x82, 0xac], [0xc3, 0x28])),
      E.INVALID_UTF8, 4);
    // base64 frames: v4 "b<base64>", v3 "b<type><base64>"
    const b = eio === 4 ? 'b' : 'b4';
    const o = b.length;
    error(`${p}-base64-bad-char`, eio, 'websocket', T(b + 'AQ!D'), E.INVALID_BASE64, o + 2);
    error(`${p}-base64-url-alphabet`, eio, 'websocket', T(b + 'AQ-_'), E.INVALID_BASE64, o + 2);
    error(`${p}-base64-space`, eio, 'websocket', T(b + 'AQID AQID'), E.INVALID_BASE64, o + 4);
    error(`${p}-base64-bad-length`, eio, 'websocket', T(b + 'AQI'), E.INVALID_BASE64, o + 3,
      'a length that is not a multiple of 4 is reported at the end of the data');
    error(`${p}-base64-bad-length-1`, eio, 'websocket', T(b + 'AQIDA'), E.INVALID_BASE64, o + 5,
      'a length that is not a multiple of 4 is reported at the end of the data');
    error(`${p}-base64-unpadded`, eio, 'websocket', T(b + 'AQ'), E.INVALID_BASE64, o + 2,
      'padding is required');
    error(`${p}-base64-pad-in-middle`, eio, 'websocket', T(b + 'AQ==AQID'), E.INVALID_BASE64, o + 4,
      'nothing may follow a padded group: the first character after it is reported');
    error(`${p}-base64-data-after-pad`, eio, 'websocket', T(b + 'AQ=D'), E.INVALID_BASE64, o + 3,
      'after "xx=" only "=" may follow');
    error(`${p}-base64-three-pads`, eio, 'websocket', T(b + 'A==='), E.INVALID_BASE64, o + 1);
    error(`${p}-base64-all-pads`, eio, 'websocket', T(b + '===='), E.INVALID_BASE64, o);
    error(`${p}-base64-nonzero-bits-pad2`, eio, 'websocket', T(b + 'AR=='), E.INVALID_BASE64, o + 1,
      'unused bits must be zero: the character holding them is reported');
    error(`${p}-base64-nonzero-bits-pad1`, eio, 'websocket', T(b + 'AQJ='), E.INVALID_BASE64, o + 2,
      'unused bits must be zero: the character holding them is reported');
    error(`${p}-base64-non-ascii`, eio, 'websocket', T(b + 'AQ\u20acD'), E.INVALID_BASE64, o + 2);
  }
  // v3-only frame shapes
  error('v3-ws-binary-no-type-byte', 3, 'websocket', B([]), E.EMPTY_PACKET, 0,
    'a v3 binary frame needs a type byte');
  error('v3-ws-binary-type-7', 3, 'websocket', B([7, 1, 2]), E.INVALID_TYPE, 0);
  error('v3-ws-binary-type-ascii-digit', 3, 'websocket', B([0x34, 1, 2]), E.INVALID_TYPE, 0,
    'binary frames carry the type as a byte 0-6, not an ASCII digit');
  error('v3-ws-base64-type-7', 3, 'websocket', T('b7AQID'), E.INVALID_TYPE, 1);
  error('v3-ws-base64-type-letter', 3, 'websocket', T('bxAQID'), E.INVALID_TYPE, 1);
  error('v3-ws-base64-no-type', 3, 'websocket', T('b'), E.INVALID_TYPE, 1,
    'the type digit after b is missing');

  // v4 payloads
  const P4 = (name, unit, code, off, note) => error('v4-polling-' + name, 4, 'polling', unit, code, off, note);
  P4('empty-body', T(''), E.EMPTY_PAYLOAD, 0);
  P4('empty-record-middle', T('4a\u001e\u001e4b'), E.EMPTY_PACKET, 3);
  P4('empty-record-first', T('\u001e4a'), E.EMPTY_PACKET, 0);
  P4('empty-record-last', T('4a\u001e'), E.EMPTY_PACKET, 3, 'a trailing separator ends in an empty record');
  P4('only-separator', T('\u001e'), E.EMPTY_PACKET, 0);
  P4('type-7', T('7'), E.INVALID_TYPE, 0);
  P4('type-second-record', T('4a\u001e9b'), E.INVALID_TYPE, 3);
  P4('type-letter', T('4hello\u001e2\u001ehello'), E.INVALID_TYPE, 9);
  for (const [label, bad] of BAD_UTF8) {
    P4('utf8-' + label, TB(X('4a\u001e4x', bad, '\u001e4z')), E.INVALID_UTF8, 5,
      'engine.io reads the body with Buffer#toString, turning bad bytes into U+FFFD');
  }
  P4('utf8-in-type-position', TB(X('4a\u001e', [0xc3, 0xa9])), E.INVALID_TYPE, 3);
  P4('base64-bad-char', T('4a\u001ebAQ!D'), E.INVALID_BASE64, 6);
  P4('base64-bad-length', T('4a\u001ebAQI\u001e4b'), E.INVALID_BASE64, 7,
    'a length that is not a multiple of 4 is reported at the end of the record\'s data');
  P4('base64-bad-padding', T('bAQ==AQID'), E.INVALID_BASE64, 5);
  P4('base64-nonzero-bits', T('bAR=='), E.INVALID_BASE64, 2);
  P4('base64-newline', T('bAQID\nAQID'), E.INVALID_BASE64, 5);

  // v3 text payloads
  const P3 = (name, unit, code, off, note) => error('v3-polling-' + name, 3, 'polling', unit, code, off, note);
  P3('empty-body', T(''), E.EMPTY_PAYLOAD, 0);
  P3('length-non-digit', T('a:4hi'), E.BAD_LENGTH, 0);
  P3('length-non-digit-after-digit', T('1a:4'), E.BAD_LENGTH, 1);
  P3('length-empty', T(':4hi'), E.BAD_LENGTH, 0);
  P3('length-plus-sign', T('+3:4hi'), E.BAD_LENGTH, 0);
  P3('length-minus-sign', T('-3:4hi'), E.BAD_LENGTH, 0);
  P3('length-space', T(' 3:4hi'), E.BAD_LENGTH, 0);
  P3('length-unterminated', T('12'), E.BAD_LENGTH, 2, 'the ":" is missing at the end of the body');
  P3('length-second-record-empty', T('3:4hi:4hi'), E.BAD_LENGTH, 5);
  P3('trailing-digits', T('3:4hi5'), E.BAD_LENGTH, 6, 'a length prefix without ":" at the end of the body');
  P3('length-huge', T('99999999999999999999999:4hi'), 'EIO_ERR_PACKET_TOO_LARGE', 0,
    'a declared length over max_packet (default 1000000) is refused as soon as it is read, ' +
    'at the start of the length');
  P3('length-eleven-digits', T('00000000001:4'), E.BAD_LENGTH, 10,
    'at most 10 length digits: the 11th is reported');
  P3('length-past-end', T('10:4hi'), E.LENGTH_PAST_END, 0,
    'reported at the start of the record whose length is too long');
  P3('length-past-end-second', T('3:4hi3:4h'), E.LENGTH_PAST_END, 5);
  P3('length-past-end-utf16', T('3:4\u20ac'), E.LENGTH_PAST_END, 0, '\u20ac counts 1: only 2 code units');
  P3('length-counts-bytes', T('4:4\u20ac'), E.LENGTH_PAST_END, 0,
    'a length in UTF-8 bytes (4) instead of UTF-16 units (2)');
  P3('length-splits-pair', T('2:4\ud83d\ude00'), E.LENGTH_SPLITS_CHAR, 3,
    'the length ends between the two UTF-16 halves of U+1F600: reported at the character');
  P3('length-splits-pair-later', T('4:4ab\ud83d\ude00'), E.LENGTH_SPLITS_CHAR, 5);
  P3('type-7', T('2:7a'), E.INVALID_TYPE, 2);
  P3('type-in-second-record', T('2:4a2:xa'), E.INVALID_TYPE, 6);
  P3('type-letter-first', T('5:hello'), E.INVALID_TYPE, 2);
  for (const [label, bad] of BAD_UTF8.slice(0, 6)) {
    P3('utf8-' + label, TB(X('2:4a', '9:4x', bad, 'yyyyyyyy')), E.INVALID_UTF8, 8);
  }
  P3('utf8-in-length', TB(X('1', [0xc3, 0xa9], ':4')), E.BAD_LENGTH, 1);
  P3('base64-bad-char', T('6:b4AQ!D'), E.INVALID_BASE64, 6);
  P3('base64-bad-length', T('5:b4AQI'), E.INVALID_BASE64, 7,
    'a length that is not a multiple of 4 is reported at the end of the record\'s data');
  P3('base64-bad-padding', T('10:b4AQ==AQID'), E.INVALID_BASE64, 9);
  P3('base64-type-7', T('6:b7AQID'), E.INVALID_TYPE, 3);
  P3('base64-no-type', T('1:b'), E.INVALID_TYPE, 3, 'the type digit after b is missing');

  // v3 binary (octet-stream) payloads
  const PB = (name, buf, code, off, note) => error('v3-polling-binary-' + name, 3, 'polling', B(buf), code, off, note);
  PB('empty-body', [], E.EMPTY_PAYLOAD, 0);
  PB('marker-2', [2, 1, 0xff, 0x34], E.BAD_BINARY_HEADER, 0);
  PB('marker-ascii-0', [0x30, 1, 0xff, 0x34], E.BAD_BINARY_HEADER, 0);
  PB('marker-2-second-record', [0, 1, 0xff, 0x34, 2, 1, 0xff, 0x34], E.BAD_BINARY_HEADER, 4);
  PB('digit-10', [0, 10, 0xff, 0x34], E.BAD_LENGTH, 1);
  PB('digit-ascii', [0, 0x31, 0xff, 0x34], E.BAD_LENGTH, 1, 'length digits are bytes 0-9, not ASCII');
  PB('digit-254', [1, 1, 254, 0xff, 4], E.BAD_LENGTH, 2);
  PB('no-digits', [0, 0xff, 0x34], E.BAD_LENGTH, 1);
  PB('no-terminator', [0, 1], E.BAD_LENGTH, 2, 'the body ends before the 0xFF');
  PB('marker-only', [1], E.BAD_LENGTH, 1, 'the body ends before the length');
  PB('length-past-end', [0, 5, 0xff, 0x34, 0x61], E.LENGTH_PAST_END, 0);
  PB('length-past-end-second', [1, 2, 0xff, 4, 9, 1, 3, 0xff, 4], E.LENGTH_PAST_END, 5);
  PB('text-empty-record', [0, 0, 0xff], E.EMPTY_PACKET, 3, 'a text record of length 0 has no type');
  PB('binary-empty-record', [1, 0, 0xff], E.EMPTY_PACKET, 3, 'a binary record of length 0 has no type byte');
  PB('text-type-7', [0, 1, 0xff, 0x37], E.INVALID_TYPE, 3);
  PB('text-type-byte', [0, 1, 0xff, 4], E.INVALID_TYPE, 3, 'text records carry the type as an ASCII digit');
  PB('binary-type-7', [1, 2, 0xff, 7, 1], E.INVALID_TYPE, 3);
  PB('binary-type-ascii', [1, 2, 0xff, 0x34, 1], E.INVALID_TYPE, 3,
    'binary records carry the type as a byte 0-6');
  PB('text-utf8-ff', [0, 3, 0xff, 0x34, 0x61, 0xff], E.INVALID_UTF8, 5);
  PB('text-utf8-truncated', [0, 3, 0xff, 0x34, 0xe2, 0x82], E.INVALID_UTF8, 4);
  PB('text-base64-bad-char', X([0, 6, 0xff], 'b4AQ!D'), E.INVALID_BASE64, 7);
}

/* ------------------------------------------------------------------------ */
/* handshake vectors                                                        */
/* ------------------------------------------------------------------------ */

function hsFields(obj) {
  const h = { sid: obj.sid, upgrades: obj.upgrades, pingInterval: obj.pingInterval,
    pingTimeout: obj.pingTimeout };
  if (obj.maxPayload !== undefined) h.maxPayload = obj.maxPayload;
  return h;
}

function addHandshakeVectors() {
  const hs = (v) => add('handshake.jsonl', v);
  const open = JSON.parse(fs.readFileSync(path.join(__dirname, 'server-open.json'), 'utf8'));
  hs({ name: 'hs-v4-engine.io-6', eio: 4, json: open.v4, handshake: hsFields(JSON.parse(open.v4)),
    note: 'captured from engine.io 6 (GET /engine.io/?EIO=4&transport=polling)' });
  hs({ name: 'hs-v3-engine.io-6', eio: 3, json: open.v3, handshake: hsFields(JSON.parse(open.v3)),
    roundtrip: false,
    note: 'captured from engine.io 6 with allowEIO3 (EIO=3): it sends maxPayload to v3 clients too, ' +
      'which engine.io 3.x did not' });
  // engine.io 3.x (the original v3 server), as in the v3 protocol document
  const v3doc = '{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}';
  hs({ name: 'hs-v3-engine.io-3', eio: 3, json: v3doc, handshake: hsFields(JSON.parse(v3doc)),
    note: 'the v3 protocol document\'s sample, as engine.io 3.x sent it' });
  // built the way the engine.io 6 server builds it, other option values
  const mk = (o) => JSON.stringify({ sid: o.sid, upgrades: o.upgrades, pingInterval: o.pingInterval,
    pingTimeout: o.pingTimeout, maxPayload: o.maxPayload });
  const o1 = { sid: 'AAAAAAAAAAAAAAAAAAAB', upgrades: [], pingInterval: 300, pingTimeout: 200, maxPayload: 1e6 };
  hs({ name: 'hs-v4-no-upgrades', eio: 4, json: mk(o1), handshake: hsFields(o1),
    note: 'an upgrade response or a websocket-only session has no upgrades' });
  const o2 = { sid: 'x'.repeat(128), upgrades: ['websocket', 'webtransport'], pingInterval: 2147483647,
    pingTimeout: 0, maxPayload: 0 };
  hs({ name: 'hs-v4-limits', eio: 4, json: mk(o2), handshake: hsFields(o2),
    note: 'the longest sid, the largest ping values, maxPayload 0' });
  const o3 = { sid: 'b\u00e9\u20ac"\\/', upgrades: ['websocket'], pingInterval: 25000, pingTimeout: 20000,
    maxPayload: 100000000 };
  hs({ name: 'hs-v4-sid-escapes', eio: 4, json: mk(o3), handshake: hsFields(o3) });

  // accepted, but not in the form the server writes
  const lenient = [
    ['hs-whitespace-key-order', ' {\n "pingTimeout" : 5000 , "upgrades" : [ "websocket" ] ,\t"sid":"abc",' +
      '"pingInterval":25000 } ', { sid: 'abc', upgrades: ['websocket'], pingInterval: 25000, pingTimeout: 5000 }],
    ['hs-unknown-keys', '{"sid":"abc","upgrades":["websocket"],"pingInterval":1,"pingTimeout":2,' +
      '"maxPayload":3,"extra":{"a":[1,2,{}]},"cookie":null}',
    { sid: 'abc', upgrades: ['websocket'], pingInterval: 1, pingTimeout: 2, maxPayload: 3 }],
    ['hs-unknown-upgrade', '{"sid":"abc","upgrades":["flashsocket","websocket","polling"],' +
      '"pingInterval":1,"pingTimeout":2}',
    { sid: 'abc', upgrades: ['websocket'], pingInterval: 1, pingTimeout: 2 }],
    ['hs-sid-escaped', '{"sid":"\\u0061\\u00e9\\ud83d\\ude00","upgrades":[],"pingInterval":1,"pingTimeout":2}',
      { sid: 'a\u00e9\ud83d\ude00', upgrades: [], pingInterval: 1, pingTimeout: 2 }],
    ['hs-number-exponent', '{"sid":"abc","upgrades":[],"pingInterval":2.5e4,"pingTimeout":2E4,' +
      '"maxPayload":1e6}',
    { sid: 'abc', upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 },
    'integral values written with an exponent are integers'],
  ];
  for (const [name, json, h, note] of lenient) {
    const v = { name, json, handshake: h };
    if (note) v.note = note;
    hs(v);
  }

  const bad = [
    ['hs-missing-sid', '{"upgrades":[],"pingInterval":1,"pingTimeout":2}'],
    ['hs-sid-number', '{"sid":12,"upgrades":[],"pingInterval":1,"pingTimeout":2}'],
    ['hs-sid-null', '{"sid":null,"upgrades":[],"pingInterval":1,"pingTimeout":2}'],
    ['hs-sid-empty', '{"sid":"","upgrades":[],"pingInterval":1,"pingTimeout":2}'],
    ['hs-sid-too-long', `{"sid":"${'x'.repeat(129)}","upgrades":[],"pingInterval":1,"pingTimeout":2}`],
    ['hs-missing-upgrades', '{"sid":"abc","pingInterval":1,"pingTimeout":2}'],
    ['hs-upgrades-string', '{"sid":"abc","upgrades":"websocket","pingInterval":1,"pingTimeout":2}'],
    ['hs-upgrades-number-item', '{"sid":"abc","upgrades":["websocket",1],"pingInterval":1,"pingTimeout":2}'],
    ['hs-missing-ping-interval', '{"sid":"abc","upgrades":[],"pingTimeout":2}'],
    ['hs-missing-ping-timeout', '{"sid":"abc","upgrades":[],"pingInterval":1}'],
    ['hs-ping-interval-negative', '{"sid":"abc","upgrades":[],"pingInterval":-1,"pingTimeout":2}'],
    ['hs-ping-interval-string', '{"sid":"abc","upgrades":[],"pingInterval":"25000","pingTimeout":2}'],
    ['hs-ping-interval-fraction', '{"sid":"abc","upgrades":[],"pingInterval":1.5,"pingTimeout":2}'],
    ['hs-ping-interval-too-large', '{"sid":"abc","upgrades":[],"pingInterval":2147483648,"pingTimeout":2}'],
    ['hs-ping-timeout-negative', '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":-20000}'],
    ['hs-ping-timeout-bool', '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":true}'],
    ['hs-max-payload-negative', '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":-1}'],
    ['hs-max-payload-string', '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":"1e6"}'],
    ['hs-array', '["sid","abc"]'],
    ['hs-string', '"abc"'],
    ['hs-null', 'null'],
    ['hs-number', '42'],
  ];
  for (const [name, json] of bad) hs({ name, json, error: 'EIO_ERR_HANDSHAKE_INVALID' });
  const badJson = [
    ['hs-json-empty', '', 'EIO_ERR_JSON_UNEXPECTED_END'],
    ['hs-json-truncated', '{"sid":', 'EIO_ERR_JSON_UNEXPECTED_END'],
    ['hs-json-truncated-string', '{"sid":"ab', 'EIO_ERR_JSON_UNEXPECTED_END'],
    ['hs-json-unquoted-key', '{sid:"abc"}', 'EIO_ERR_JSON_SYNTAX'],
    ['hs-json-single-quotes', "{'sid':'abc'}", 'EIO_ERR_JSON_SYNTAX'],
    ['hs-json-trailing-comma', '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":2,}', 'EIO_ERR_JSON_SYNTAX'],
    ['hs-json-trailing', '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":2}x', 'EIO_ERR_JSON_TRAILING'],
    ['hs-json-bad-escape', '{"sid":"a\\qb","upgrades":[],"pingInterval":1,"pingTimeout":2}', 'EIO_ERR_JSON_INVALID_ESCAPE'],
    ['hs-json-lone-surrogate', '{"sid":"\\ud800","upgrades":[],"pingInterval":1,"pingTimeout":2}', 'EIO_ERR_JSON_INVALID_UNICODE'],
    ['hs-json-control-char', '{"sid":"a\u0001b","upgrades":[],"pingInterval":1,"pingTimeout":2}', 'EIO_ERR_JSON_CONTROL_CHAR'],
    ['hs-json-bad-number', '{"sid":"abc","upgrades":[],"pingInterval":01,"pingTimeout":2}', 'EIO_ERR_JSON_INVALID_NUMBER'],
  ];
  for (const [name, json, code] of badJson) hs({ name, json, error: code });
}

/* ------------------------------------------------------------------------ */

function main() {
  addPacketVectors();
  addPayloadVectors();
  addErrorVectors();
  addHandshakeVectors();
  fs.mkdirSync(OUT, { recursive: true });
  for (const [file, vs] of Object.entries(files)) {
    fs.writeFileSync(path.join(OUT, file), vs.map((v) => JSON.stringify(v)).join('\n') + '\n');
    console.log(`eio/${file}: ${vs.length} vectors`);
  }
  const disagree = files['errors.jsonl'].filter((v) => v.reference === 'accepts').length;
  console.log(`errors the reference decoder accepts: ${disagree}`);
}

main();
