#!/usr/bin/env node
// Generates vectors/sio/{json,json-errors,msgpack,msgpack-errors}.jsonl, the
// Socket.IO test vectors of sioc.
//
// Valid vectors come from the reference implementation: each packet below is
// encoded with npm socket.io-parser@4 (protocol v5), socket.io-parser@3
// (protocol v4, installed as sio-parser-v3) or socket.io-msgpack-parser@3,
// and the reference decoder is run on the resulting messages; the packets it
// gives back are what the vector expects.
//
// Error vectors are hand-written data: the error code, the byte offset and
// the index of the failing message are sioc's decisions (docs/vectors.md
// states the rules). The reference decoder is run on each and its verdict
// recorded in "reference" ("rejects" or "accepts").
//
// Output is deterministic. Usage: cd vectors && npm ci && node gen/gen_sio.js
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const v5 = require('socket.io-parser');
const v4 = require('sio-parser-v3');
const mp = require('socket.io-msgpack-parser');
const notepack = require('notepack.io');

const OUT = path.join(__dirname, '..', 'sio');

const TYPE_NAMES = ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'CONNECT_ERROR', 'BINARY_EVENT',
  'BINARY_ACK'];
const T = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4, BINARY_EVENT: 5,
  BINARY_ACK: 6 };

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

const isBin = (v) => Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);

function hasBinary(v) {
  if (isBin(v)) return true;
  if (Array.isArray(v)) return v.some(hasBinary);
  if (v && typeof v === 'object') return Object.keys(v).some((k) => hasBinary(v[k]));
  return false;
}

// A JS value as the vector JSON form: binaries as {"$binary":b64},
// undefined as {"$undefined":true}.
function toJ(v) {
  if (v === undefined) return { $undefined: true };
  if (isBin(v)) {
    const b = v instanceof ArrayBuffer ? Buffer.from(v)
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return { $binary: b.toString('base64') };
  }
  if (Array.isArray(v)) return v.map(toJ);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = toJ(v[k]);
    return o;
  }
  return v;
}

const text = (s) => ({ text: s });
const bin = (b) => ({ binary: Buffer.from(b).toString('base64') });
// A text message whose bytes are not valid UTF-8 (cannot be a JSON string).
const textB64 = (b) => ({ text_base64: Buffer.from(b).toString('base64') });

function msgOf(m) {
  if (typeof m === 'string') return text(m);
  return bin(m);
}

// The value the reference decoder is given for a message.
function refInput(m) {
  if (m.text !== undefined) return m.text;
  if (m.text_base64 !== undefined) return Buffer.from(m.text_base64, 'base64').toString('utf8');
  return Buffer.from(m.binary, 'base64');
}

// A decoded reference packet as a vector packet. `wireType` is the type as
// on the wire (the v5 decoder turns BINARY_EVENT into EVENT).
function packetJ(ver, p, wireType) {
  const o = { type: TYPE_NAMES[wireType], nsp: p.nsp };
  if (ver === 4) {
    const q = p.nsp.indexOf('?');
    if (q >= 0) {
      o.nsp = p.nsp.slice(0, q);
      o.query = p.nsp.slice(q + 1);
    }
  }
  if (p.id !== undefined && p.id !== null) o.id = p.id;
  if ('data' in p && !(p.data === undefined && ver !== 'msgpack')) o.data = toJ(p.data);
  return o;
}

/* ------------------------------------------------------------------------ */
/* running the references                                                   */
/* ------------------------------------------------------------------------ */

function encodeRef(ver, packet) {
  const p = Object.assign({}, packet);
  if (ver === 5) {
    return new v5.Encoder().encode(p);
  }
  if ((p.type === T.EVENT || p.type === T.ACK) && hasBinary(p.data)) {
    p.type = p.type === T.EVENT ? T.BINARY_EVENT : T.BINARY_ACK;
  }
  let out = null;
  new v4.Encoder().encode(p, (enc) => { out = enc; });
  assert(out, 'v3 encoder did not answer synchronously');
  return out;
}

// Runs the reference JSON decoder over messages; returns
// {packets:[{p, wireType}], error: null | {message: k, reason}}.
function decodeRef(ver, messages) {
  const dec = ver === 5 ? new v5.Decoder() : new v4.Decoder();
  const got = [];
  let pendingType = null;
  dec.on('decoded', (p) => got.push({ p, wireType: pendingType !== null ? pendingType : p.type }));
  for (let k = 0; k < messages.length; k++) {
    const m = messages[k];
    const before = got.length;
    try {
      if (m.text !== undefined || m.text_base64 !== undefined) {
        const s = refInput(m);
        const d = Number(s.charAt(0));
        pendingType = d === 5 || d === 6 ? d : null;
        dec.add(s);
      } else {
        dec.add(refInput(m));
      }
    } catch (e) {
      return { packets: got, error: { message: k, reason: e.message } };
    }
    // The v3 decoder reports some errors as a decoded ERROR packet.
    for (let i = before; i < got.length; i++) {
      const p = got[i].p;
      if (ver === 4 && p.type === 4 && typeof p.data === 'string' &&
          p.data.startsWith('parser error')) {
        return { packets: got.slice(0, i), error: { message: k, reason: p.data } };
      }
      if (got[i].wireType !== 5 && got[i].wireType !== 6) got[i].wireType = p.type;
    }
    if (got.length > before) pendingType = null;
  }
  return { packets: got, error: null };
}

function decodeRefMsgpack(messages) {
  const dec = new mp.Decoder();
  const got = [];
  dec.on('decoded', (p) => got.push(p));
  for (let k = 0; k < messages.length; k++) {
    try {
      dec.add(refInput(messages[k]));
    } catch (e) {
      return { packets: got, error: { message: k, reason: e.message } };
    }
  }
  return { packets: got, error: null };
}

/* ------------------------------------------------------------------------ */
/* valid packets (JSON parser)                                              */
/* ------------------------------------------------------------------------ */

const b1234 = Buffer.from([1, 2, 3, 4]);
const big64k = 'x'.repeat(65536);
const K1 = bytes(1024, 7);
const K64 = bytes(65536, 11);

function deep(n, leaf) {
  let v = leaf;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}
function deepObj(n, leaf) {
  let v = leaf;
  for (let i = 0; i < n; i++) v = { k: v };
  return v;
}

const common = [
  // every packet type
  ['connect-main', { type: T.CONNECT, nsp: '/' }],
  ['connect-nsp', { type: T.CONNECT, nsp: '/admin' }],
  ['disconnect-main', { type: T.DISCONNECT, nsp: '/' }],
  ['disconnect-nsp', { type: T.DISCONNECT, nsp: '/admin' }],
  ['event-simple', { type: T.EVENT, nsp: '/', data: ['msg', 'hi'] }],
  ['event-name-only', { type: T.EVENT, nsp: '/', data: ['ping'] }],
  ['event-nsp-ack', { type: T.EVENT, nsp: '/admin', id: 12, data: ['msg'] }],
  ['ack-empty', { type: T.ACK, nsp: '/', id: 1, data: [] }],
  ['ack-values', { type: T.ACK, nsp: '/chat', id: 7, data: ['ok', 1, true, null] }],
  ['connect-error-string', { type: T.CONNECT_ERROR, nsp: '/', data: 'Not authorized' }],
  ['connect-error-object', { type: T.CONNECT_ERROR, nsp: '/private',
    data: { message: 'Not authorized', data: { code: 403, retry: false } } }],
  // namespaces
  ['nsp-unicode', { type: T.EVENT, nsp: '/ñamespace/日本語', data: ['héllo'] }],
  ['nsp-emoji', { type: T.CONNECT, nsp: '/🎉' }],
  ['nsp-nested-path', { type: T.EVENT, nsp: '/a/b-c_d.e~f', data: ['x'] }],
  ['nsp-slash-only-trailing', { type: T.EVENT, nsp: '/admin/', data: ['x'] }],
  ['nsp-digits', { type: T.EVENT, nsp: '/123', id: 45, data: ['x'] }],
  // ack ids
  ['ack-id-zero', { type: T.EVENT, nsp: '/', id: 0, data: ['a'] }],
  ['ack-id-large', { type: T.EVENT, nsp: '/', id: 4294967296, data: ['a'] }],
  ['ack-id-max', { type: T.EVENT, nsp: '/admin', id: 9007199254740991, data: ['a'] }],
  ['ack-reply-id-max', { type: T.ACK, nsp: '/', id: 9007199254740991, data: ['done'] }],
  // event names
  ['event-name-unicode', { type: T.EVENT, nsp: '/', data: ['héllo wörld 🎉 日本', 1] }],
  ['event-name-number', { type: T.EVENT, nsp: '/', data: [42, 'x'] }],
  ['event-name-float', { type: T.EVENT, nsp: '/', data: [3.5] }],
  ['event-name-negative', { type: T.EVENT, nsp: '/', data: [-1, 'x'] }],
  ['event-name-empty', { type: T.EVENT, nsp: '/', data: [''] }],
  ['event-name-escapes', { type: T.EVENT, nsp: '/', data: ['a"b\\c\n\t\u0001/'] }],
  ['event-name-reserved-case', { type: T.EVENT, nsp: '/', data: ['Connect'] }],
  ['event-name-reserved-prefix', { type: T.EVENT, nsp: '/', data: ['connecting'] }],
  ['event-name-reserved-as-arg', { type: T.EVENT, nsp: '/', data: ['msg', 'disconnect'] }],
  // data
  ['data-nested', { type: T.EVENT, nsp: '/', data: ['update',
    { user: { id: 1, name: 'Ann', tags: ['a', 'b'], meta: { active: true, score: null } } },
    [[1, 2], [3, [4, [5]]]], {}] }],
  ['data-scalars', { type: T.EVENT, nsp: '/', data: ['s', true, false, null, 0, -0, 1.5,
    -2.25e-7, 1e21, 1.7976931348623157e308, 5e-324, 9007199254740991, -9007199254740991,
    0.1] }],
  ['data-escapes', { type: T.EVENT, nsp: '/', data: ['e',
    'quote " backslash \\ slash / nl \n cr \r tab \t bs \b ff \f',
    'ctl \u0000 \u001f \u007f', 'seps \u2028 \u2029', 'bmp é ü 中 surrogate 😀'] }],
  ['data-keys-unicode', { type: T.EVENT, nsp: '/', data: ['k',
    { 'ключ': 1, 'a"b': 2, '': 3, '\n': 4 }] }],
  ['data-placeholder-lookalike', { type: T.EVENT, nsp: '/', data: ['p',
    { _placeholder: true, num: 0 }] }],
  ['data-deep-arrays', { type: T.EVENT, nsp: '/', data: ['deep', deep(120, 1)] }],
  ['data-deep-objects', { type: T.EVENT, nsp: '/', data: ['deep', deepObj(120, 'leaf')] }],
  ['data-64k-string', { type: T.EVENT, nsp: '/', data: ['big', big64k] }],
  ['data-64k-array', { type: T.EVENT, nsp: '/', id: 3,
    data: ['nums', Array.from({ length: 12000 }, (_, i) => (i * 7919) % 100003)] }],
  ['ack-64k', { type: T.ACK, nsp: '/big', id: 99, data: [{ blob: big64k }] }],
  ['connect-auth', { type: T.CONNECT, nsp: '/admin', data: { token: '123', n: 1 } }],
  ['connect-sid', { type: T.CONNECT, nsp: '/', data: { sid: 'wZX3oN0bSVIhsaknAAAI' } }],
  ['connect-empty-object', { type: T.CONNECT, nsp: '/', data: {} }],
  // binary attachments
  ['binary-one', { type: T.EVENT, nsp: '/', data: ['file', bytes(16, 1)] }],
  ['binary-many', { type: T.EVENT, nsp: '/', data: ['files', bytes(1, 2), bytes(2, 3),
    bytes(3, 4), bytes(4, 5)] }],
  ['binary-ten', { type: T.EVENT, nsp: '/up', id: 5,
    data: ['ten'].concat(Array.from({ length: 10 }, (_, i) => bytes(i + 1, 100 + i))) }],
  ['binary-in-object', { type: T.EVENT, nsp: '/', data: ['obj',
    { name: 'a.bin', content: bytes(8, 6), meta: { thumb: bytes(3, 7) } }] }],
  ['binary-in-array', { type: T.EVENT, nsp: '/', data: ['arr', [1, [bytes(5, 8), 'x'],
    [[bytes(2, 9)]]]] }],
  ['binary-same-twice', { type: T.EVENT, nsp: '/', data: ['twice', b1234, b1234] }],
  ['binary-empty', { type: T.EVENT, nsp: '/', data: ['empty', Buffer.alloc(0)] }],
  ['binary-as-name-arg', { type: T.EVENT, nsp: '/', data: [7, bytes(4, 10)] }],
  ['binary-ack', { type: T.ACK, nsp: '/admin', id: 456, data: [bytes(3, 11)] }],
  ['binary-ack-many', { type: T.ACK, nsp: '/', id: 0, data: [{ a: bytes(2, 12) }, bytes(1, 13),
    null] }],
  ['binary-nsp-unicode', { type: T.EVENT, nsp: '/ünï', id: 9007199254740991,
    data: ['b', bytes(4, 14)] }],
  ['binary-1k-64k', { type: T.EVENT, nsp: '/', data: ['upload', K1, K64] }],
];

const specV5 = [
  ['spec-connect-main', { type: T.CONNECT, nsp: '/' }],
  ['spec-connect-admin-sid', { type: T.CONNECT, nsp: '/admin',
    data: { sid: 'oSO0OpakMV_3jnilAAAA' } }],
  ['spec-connect-admin-token', { type: T.CONNECT, nsp: '/admin', data: { token: '123' } }],
  ['spec-connect-admin-sid-2', { type: T.CONNECT, nsp: '/admin',
    data: { sid: 'iLnRaVGHY4B75TeVAAAB' } }],
  ['spec-connect-error', { type: T.CONNECT_ERROR, nsp: '/', data: { message: 'Not authorized' } }],
  ['spec-event-foo', { type: T.EVENT, nsp: '/', data: ['foo'] }],
  ['spec-event-admin-bar', { type: T.EVENT, nsp: '/admin', data: ['bar'] }],
  ['spec-binary-event', { type: T.EVENT, nsp: '/', data: ['baz', b1234] }],
  ['spec-binary-event-two', { type: T.EVENT, nsp: '/admin', data: ['baz', Buffer.from([1, 2]),
    Buffer.from([3, 4])] }],
  ['spec-event-ack-12', { type: T.EVENT, nsp: '/', id: 12, data: ['foo'] }],
  ['spec-ack-12-empty', { type: T.ACK, nsp: '/', id: 12, data: [] }],
  ['spec-event-admin-13', { type: T.EVENT, nsp: '/admin', id: 13, data: ['foo'] }],
  ['spec-ack-admin-13', { type: T.ACK, nsp: '/admin', id: 13, data: ['bar'] }],
  ['spec-binary-event-14', { type: T.EVENT, nsp: '/', id: 14, data: ['foo', b1234] }],
  ['spec-ack-14', { type: T.ACK, nsp: '/', id: 14, data: ['bar'] }],
  ['spec-event-15', { type: T.EVENT, nsp: '/', id: 15, data: ['foo'] }],
  ['spec-binary-ack-15', { type: T.ACK, nsp: '/', id: 15, data: ['bar', b1234] }],
  ['spec-disconnect-main', { type: T.DISCONNECT, nsp: '/' }],
  ['spec-disconnect-admin', { type: T.DISCONNECT, nsp: '/admin' }],
  ['spec-session-connect-sid', { type: T.CONNECT, nsp: '/', data: { sid: 'wZX3oN0bSVIhsaknAAAI' } }],
  ['spec-session-hey-jude', { type: T.EVENT, nsp: '/', data: ['hey', 'Jude'] }],
  ['spec-session-hello', { type: T.EVENT, nsp: '/', data: ['hello'] }],
  ['spec-session-world', { type: T.EVENT, nsp: '/', data: ['world'] }],
  ['spec-session-connect-admin', { type: T.CONNECT, nsp: '/admin' }],
  ['spec-session-connect-admin-sid', { type: T.CONNECT, nsp: '/admin',
    data: { sid: '-G5j-67EZFp-q59rADQM' } }],
  ['spec-session-tellme', { type: T.EVENT, nsp: '/admin', id: 1, data: ['tellme'] }],
  ['spec-session-binary-ack', { type: T.ACK, nsp: '/admin', id: 1, data: [bytes(5, 21)] }],
  // v5 has no query in the namespace: '?' is an ordinary character
  ['nsp-question-mark', { type: T.EVENT, nsp: '/admin?x=1', data: ['q'] }],
];

const specV4 = [
  ['spec-connect-main', { type: T.CONNECT, nsp: '/' }],
  ['spec-connect-admin', { type: T.CONNECT, nsp: '/admin' }],
  ['spec-disconnect-admin', { type: T.DISCONNECT, nsp: '/admin' }],
  ['spec-event-hello-1', { type: T.EVENT, nsp: '/', data: ['hello', 1] }],
  ['spec-event-ack-456', { type: T.EVENT, nsp: '/admin', id: 456,
    data: ['project:delete', 123] }],
  ['spec-ack-456', { type: T.ACK, nsp: '/admin', id: 456, data: [] }],
  ['spec-error', { type: T.CONNECT_ERROR, nsp: '/admin', data: 'Not authorized' }],
  ['spec-binary-event', { type: T.EVENT, nsp: '/', data: ['hello', Buffer.from([1, 2, 3])] }],
  ['spec-binary-event-ack', { type: T.EVENT, nsp: '/admin', id: 456,
    data: ['project:delete', Buffer.from([1, 2, 3])] }],
  ['spec-binary-ack', { type: T.ACK, nsp: '/admin', id: 456, data: [Buffer.from([3, 2, 1])] }],
  ['spec-exchange-hello-456', { type: T.EVENT, nsp: '/admin', id: 456, data: ['hello'] }],
  ['spec-session-hey-jude', { type: T.EVENT, nsp: '/', data: ['hey', 'Jude'] }],
  ['spec-session-hello', { type: T.EVENT, nsp: '/', data: ['hello'] }],
  ['spec-session-tellme', { type: T.EVENT, nsp: '/admin', id: 1, data: ['tellme'] }],
  ['spec-session-binary-ack', { type: T.ACK, nsp: '/admin', id: 1, data: [bytes(5, 21)] }],
  // v4 namespaces may carry a query string
  ['nsp-query', { type: T.CONNECT, nsp: '/admin?token=abc&x=1' }],
  ['nsp-query-main', { type: T.CONNECT, nsp: '/?foo=bar' }],
  ['nsp-query-event', { type: T.EVENT, nsp: '/chat?room=1', id: 3, data: ['m'] }],
  ['nsp-query-unicode', { type: T.CONNECT, nsp: '/q?name=日本&e=%20' }],
  ['error-object', { type: T.CONNECT_ERROR, nsp: '/', data: { message: 'nope' } }],
];

/* ------------------------------------------------------------------------ */
/* error vectors (JSON parser), hand-written                                */
/* ------------------------------------------------------------------------ */

const PH = (n) => `{"_placeholder":true,"num":${n}}`;
const A = bin([1, 2, 3]);

// [name, versions, messages, error, offset, message index, note]
// A message string is a text message; use A (or bin()) for an attachment.
function jsonErrors() {
  const both = [4, 5];
  const E = [];
  const add = (name, vers, msgs, error, offset, message, note) =>
    E.push({ name, vers, msgs, error, offset, message: message || 0, note });
  const longNsp = '/' + 'n'.repeat(1100);
  const deep129 = '2["d",' + '['.repeat(128) + ']'.repeat(128) + ']';
  // type
  add('empty-message', both, [''], 'EIO_ERR_EMPTY_PACKET', 0, 0,
    'the reference reads an empty message as CONNECT ("" is 0 to Number)');
  add('type-7', both, ['7'], 'SIO_ERR_INVALID_TYPE', 0);
  add('type-9-payload', both, ['9["a"]'], 'SIO_ERR_INVALID_TYPE', 0);
  add('type-letter', both, ['a["x"]'], 'SIO_ERR_INVALID_TYPE', 0);
  add('type-space', both, [' ["x"]'], 'SIO_ERR_INVALID_TYPE', 0,
    0, 'the reference reads " " as 0 (CONNECT) through Number()');
  add('type-minus', both, ['-1'], 'SIO_ERR_INVALID_TYPE', 0);
  // attachments
  add('attachments-missing-count', both, ['5-["a",' + PH(0) + ']', A], 'SIO_ERR_BAD_ATTACHMENTS', 1);
  add('attachments-zero', both, ['50-["a"]'], 'SIO_ERR_BAD_ATTACHMENTS', 1);
  add('attachments-letters', both, ['5x-["a",' + PH(0) + ']', A], 'SIO_ERR_BAD_ATTACHMENTS', 1);
  add('attachments-no-dash', both, ['51["a",' + PH(0) + ']', A], 'SIO_ERR_BAD_ATTACHMENTS', 2);
  add('attachments-end', both, ['6'], 'SIO_ERR_BAD_ATTACHMENTS', 1);
  add('attachments-digits-end', both, ['61'], 'SIO_ERR_BAD_ATTACHMENTS', 2);
  add('attachments-11', both, ['511-["a"]'], 'SIO_ERR_TOO_MANY_ATTACHMENTS', 1);
  add('attachments-1000000', both, ['51000000-["a"]'], 'SIO_ERR_TOO_MANY_ATTACHMENTS', 1);
  add('attachments-51000000', both, ['551000000-["a"]'], 'SIO_ERR_TOO_MANY_ATTACHMENTS', 1);
  add('attachments-overflow', both, ['599999999999999999999999-["a"]'],
    'SIO_ERR_TOO_MANY_ATTACHMENTS', 1);
  // namespace
  add('nsp-no-slash-event', both, ['2admin,["a"]'], 'SIO_ERR_EVENT_NOT_ARRAY', 1, 0,
    'without a leading / the namespace is read as the start of the payload');
  add('nsp-no-slash-connect', both, ['0admin,'], 'SIO_ERR_CONNECT_NOT_OBJECT', 1);
  add('nsp-too-long', both, ['2' + longNsp + ',["a"]'], 'SIO_ERR_NAMESPACE_TOO_LONG', 1025, 0,
    'the offset is where the namespace passes max_namespace (1024 bytes)');
  add('nsp-invalid-utf8', both, [Buffer.concat([Buffer.from('2/a'), Buffer.from([0xff]),
    Buffer.from(',["a"]')])], 'SIO_ERR_BAD_NAMESPACE', 3, 0,
  'bytes that are not UTF-8 in the namespace (a text message, given as base64)');
  // ack id
  add('ack-id-2pow53', both, ['29007199254740992["a"]'], 'SIO_ERR_BAD_ACK_ID', 1);
  add('ack-id-huge', both, ['2/admin,99999999999999999999999["a"]'], 'SIO_ERR_BAD_ACK_ID', 8);
  add('ack-id-letters', both, ['212ab["a"]'], 'SIO_ERR_EVENT_NOT_ARRAY', 3, 0,
    'the ack id ends at the first non-digit, which starts the payload');
  add('ack-reply-id-2pow53', both, ['39007199254740992[]'], 'SIO_ERR_BAD_ACK_ID', 1);
  // payload per type
  add('event-missing-payload', both, ['2'], 'SIO_ERR_MISSING_PAYLOAD', 1, 0,
    'the reference accepts an EVENT without payload');
  add('event-nsp-id-missing-payload', both, ['2/admin,12'], 'SIO_ERR_MISSING_PAYLOAD', 10);
  add('ack-missing-payload', both, ['3/admin,1'], 'SIO_ERR_MISSING_PAYLOAD', 9);
  add('connect-error-missing-payload', both, ['4'], 'SIO_ERR_MISSING_PAYLOAD', 1);
  add('binary-event-missing-payload', both, ['51-'], 'SIO_ERR_MISSING_PAYLOAD', 3);
  add('event-object', both, ['2{"a":1}'], 'SIO_ERR_EVENT_NOT_ARRAY', 1);
  add('event-string', both, ['2/admin,"abc"'], 'SIO_ERR_EVENT_NOT_ARRAY', 8);
  add('event-number', both, ['2/x,-5'], 'SIO_ERR_EVENT_NOT_ARRAY', 4);
  add('event-leading-space', both, ['2 ["a"]'], 'SIO_ERR_EVENT_NOT_ARRAY', 1, 0,
    'JSON.parse skips the white space');
  add('event-empty-array', both, ['2[]'], 'SIO_ERR_EVENT_EMPTY', 2);
  add('event-empty-array-ws', both, ['2/admin,5[ ]'], 'SIO_ERR_EVENT_EMPTY', 11);
  add('event-name-object', both, ['2[{"a":1},"x"]'], 'SIO_ERR_EVENT_NAME', 2);
  add('event-name-array', both, ['2[["a"]]'], 'SIO_ERR_EVENT_NAME', 2);
  add('event-name-null', both, ['2[null]'], 'SIO_ERR_EVENT_NAME', 2);
  add('event-name-true', both, ['2/admin,[true,1]'], 'SIO_ERR_EVENT_NAME', 9);
  add('binary-event-name-object', both, ['51-[{"a":1},' + PH(0) + ']', A], 'SIO_ERR_EVENT_NAME', 4);
  for (const r of ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener',
    'removeListener']) {
    add('event-reserved-' + r, both, ['2["' + r + '","x"]'], 'SIO_ERR_EVENT_RESERVED', 2);
  }
  add('event-reserved-escaped', both, ['2["\\u0063onnect"]'], 'SIO_ERR_EVENT_RESERVED', 2);
  add('event-reserved-escaped-all', both,
    ['2/admin,1["\\u0064\\u0069\\u0073connect"]'], 'SIO_ERR_EVENT_RESERVED', 10);
  add('binary-event-reserved', both, ['51-["disconnecting",' + PH(0) + ']', A],
    'SIO_ERR_EVENT_RESERVED', 4);
  add('ack-object', both, ['3/admin,1{}'], 'SIO_ERR_ACK_NOT_ARRAY', 9);
  add('ack-string', both, ['31"a"'], 'SIO_ERR_ACK_NOT_ARRAY', 2);
  add('binary-ack-object', both, ['61-1{"a":' + PH(0) + '}', A], 'SIO_ERR_ACK_NOT_ARRAY', 4);
  add('connect-array', both, ['0["a"]'], 'SIO_ERR_CONNECT_NOT_OBJECT', 1);
  add('connect-nsp-array', both, ['0/admin,[]'], 'SIO_ERR_CONNECT_NOT_OBJECT', 8);
  add('connect-null', both, ['0null'], 'SIO_ERR_CONNECT_NOT_OBJECT', 1);
  add('connect-string', both, ['0"token"'], 'SIO_ERR_CONNECT_NOT_OBJECT', 1);
  add('disconnect-object', both, ['1{}'], 'SIO_ERR_DISCONNECT_PAYLOAD', 1);
  add('disconnect-nsp-array', both, ['1/admin,["x"]'], 'SIO_ERR_DISCONNECT_PAYLOAD', 8);
  add('connect-error-negative', both, ['4-1'], 'SIO_ERR_CONNECT_ERROR_PAYLOAD', 1);
  add('connect-error-nsp-number', both, ['4/admin,-1.5'], 'SIO_ERR_CONNECT_ERROR_PAYLOAD', 8);
  add('connect-error-array', both, ['4["x"]'], 'SIO_ERR_CONNECT_ERROR_PAYLOAD', 1);
  add('connect-error-true', both, ['4true'], 'SIO_ERR_CONNECT_ERROR_PAYLOAD', 1);
  add('connect-error-null', both, ['4/admin,null'], 'SIO_ERR_CONNECT_ERROR_PAYLOAD', 8);
  add('connect-error-digits', both, ['4123'], 'SIO_ERR_MISSING_PAYLOAD', 4, 0,
    'digits after the type are an ack id, so no payload is left');
  // placeholders
  add('placeholder-num-out-of-range', both, ['51-["a",' + PH(1) + ']', A],
    'SIO_ERR_BAD_PLACEHOLDER', 29);
  add('placeholder-num-negative', both, ['51-["a",' + PH(-1) + ']', A],
    'SIO_ERR_BAD_PLACEHOLDER', 29);
  add('placeholder-num-fraction', both, ['52-["a",' + PH(0.5) + ',' + PH(1) + ']', A, A],
    'SIO_ERR_BAD_PLACEHOLDER', 29);
  add('placeholder-num-string', both, ['51-["a",' + PH('"0"') + ']', A],
    'SIO_ERR_BAD_PLACEHOLDER', 29);
  add('placeholder-num-tostring', both, ['51-["a",' + PH('"toString"') + ']', A],
    'SIO_ERR_BAD_PLACEHOLDER', 29, 0,
    'CVE-2022-2421: a num that names an Array method must not select it');
  add('placeholder-num-missing', both, ['51-["a",{"_placeholder":true}]', A],
    'SIO_ERR_BAD_PLACEHOLDER', 9, 0, 'without num the offset is that of the _placeholder key');
  add('placeholder-num-null', both, ['61-3[{"_placeholder":true,"num":null}]', A],
    'SIO_ERR_BAD_PLACEHOLDER', 26);
  // message sequencing
  add('text-while-pending', both, ['51-["a",' + PH(0) + ']', '2["b"]'],
    'SIO_ERR_UNEXPECTED_TEXT', 0, 1);
  add('text-while-pending-second', both, ['52-["a",' + PH(0) + ',' + PH(1) + ']', A, '3[]'],
    'SIO_ERR_UNEXPECTED_TEXT', 0, 2);
  add('binary-none-pending', both, [A], 'SIO_ERR_UNEXPECTED_BINARY', 0, 0);
  add('binary-after-complete', both, ['51-["a",' + PH(0) + ']', A, A],
    'SIO_ERR_UNEXPECTED_BINARY', 0, 2);
  add('binary-after-text', both, ['2["a"]', A], 'SIO_ERR_UNEXPECTED_BINARY', 0, 1);
  // JSON after the header
  add('json-unterminated', both, ['2["a"'], 'EIO_ERR_JSON_UNEXPECTED_END', 5);
  add('json-trailing-comma', both, ['2["a",]'], 'EIO_ERR_JSON_SYNTAX', 6);
  add('json-bad-escape', both, ['2["a\\x"]'], 'EIO_ERR_JSON_INVALID_ESCAPE', 5);
  add('json-lone-surrogate', both, ['2["\\ud800"]'], 'EIO_ERR_JSON_INVALID_UNICODE', 3);
  add('json-control-char', both, ['2["a\u0001"]'], 'EIO_ERR_JSON_CONTROL_CHAR', 4);
  add('json-leading-zero', both, ['2["a",01]'], 'EIO_ERR_JSON_INVALID_NUMBER', 7);
  add('json-number-range', both, ['2["a",1e999]'], 'EIO_ERR_JSON_NUMBER_RANGE', 6, 0,
    'JSON.parse gives Infinity');
  add('json-single-quotes', both, ["2['a']"], 'EIO_ERR_JSON_SYNTAX', 2);
  add('json-binary-payload', both, ['51-["a",' + PH(0), A], 'EIO_ERR_JSON_UNEXPECTED_END', 37);
  add('trailing-garbage', both, ['2["a"]x'], 'EIO_ERR_JSON_TRAILING', 6);
  add('trailing-bracket', both, ['2/admin,1["a"]]'], 'EIO_ERR_JSON_TRAILING', 14);
  add('trailing-object', both, ['0{}{}'], 'EIO_ERR_JSON_TRAILING', 3);
  // limits
  add('depth', both, [deep129], 'SIO_ERR_DEPTH', 133, 0,
    'nesting 129 deep counting the outer array');
  add('packet-too-large', [5], ['2["a","' + 'a'.repeat(1000000) + '"]'],
    'SIO_ERR_PACKET_TOO_LARGE', 1000000, 0,
    'the offset is where the packet passes max_packet');
  add('attachment-too-large', [5], ['51-["a",' + PH(0) + ']', Buffer.alloc(1000001)],
    'SIO_ERR_ATTACHMENT_TOO_LARGE', 1000000, 1,
    'the offset is where the attachment passes max_attachment_size');
  return E;
}

/* ------------------------------------------------------------------------ */
/* msgpack                                                                  */
/* ------------------------------------------------------------------------ */

// Packets in the key order sioc writes (docs/msgpack.md), the order the
// reference server builds most packets in (notepack keeps insertion order):
// ACK {id, type, data, nsp}; every other type {type, data?, id?, nsp}.
const M = {
  connect: (nsp, data) => (data === undefined ? { type: 0, nsp } : { type: 0, data, nsp }),
  disconnect: (nsp) => ({ type: 1, nsp }),
  event: (nsp, data, id) => (id === undefined ? { type: 2, data, nsp } : { type: 2, data, id, nsp }),
  ack: (nsp, id, data) => ({ id, type: 3, data, nsp }),
  connectError: (nsp, data) => ({ type: 4, data, nsp }),
};

const msgpackValid = [
  ['connect-main', M.connect('/')],
  ['connect-sid', M.connect('/', { sid: 'wZX3oN0bSVIhsaknAAAI' })],
  ['connect-nsp-sid', M.connect('/admin', { sid: 'oSO0OpakMV_3jnilAAAA', pid: 'p1' })],
  ['disconnect-main', M.disconnect('/')],
  ['disconnect-nsp', M.disconnect('/admin')],
  ['event-simple', M.event('/', ['msg', 'hi'])],
  ['event-nsp-ack', M.event('/admin', ['msg'], 12)],
  ['event-ack-zero', M.event('/', ['a'], 0)],
  ['event-ack-max', M.event('/', ['a'], 9007199254740991)],
  ['event-ack-uint32', M.event('/', ['a'], 4294967296)],
  ['event-number-name', M.event('/', [42, -1, -33, -200, -40000, -3000000000])],
  ['event-unicode', M.event('/ñ/日本', ['héllo 🎉', { 'ключ': 'значение' }])],
  ['event-scalars', M.event('/', ['s', true, false, null, 0, 127, 128, 255, 256, 65535, 65536,
    4294967295, 1.5, -2.25e-7, 1.5e-300])],
  ['event-strings-sizes', M.event('/', ['s', 'a'.repeat(31), 'b'.repeat(32), 'c'.repeat(255),
    'd'.repeat(256), 'e'.repeat(65536)])],
  ['event-binary', M.event('/', ['file', bytes(16, 1)])],
  ['event-binary-sizes', M.event('/', ['b', Buffer.alloc(0), bytes(255, 2), bytes(256, 3),
    bytes(65536, 4)])],
  ['event-binary-nested', M.event('/', ['obj', { content: bytes(8, 6), list: [bytes(3, 7)] }])],
  ['event-nested', M.event('/', ['n', { a: [1, [2, [3, { b: null }]]], c: {} }, []])],
  ['event-big-containers', M.event('/', ['c', Array.from({ length: 20 }, (_, i) => i),
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => ['k' + i, i])),
    Array.from({ length: 70000 }, (_, i) => i & 0x7f)])],
  ['event-undefined', M.event('/', ['u', undefined, { x: undefined }])],
  ['ack-empty', M.ack('/', 1, [])],
  ['ack-values', M.ack('/admin', 7, ['ok', bytes(4, 9)])],
  ['connect-error-object', M.connectError('/', { message: 'Not authorized' })],
  ['connect-error-string', M.connectError('/admin', 'nope')],
  ['deep', M.event('/', ['d', deep(120, 1)])],
];

// Client-side shapes: decoded fine, but sioc writes the server's key order.
const msgpackClientShapes = [
  ['client-connect-no-auth', { type: 0, data: undefined, nsp: '/' }],
  ['client-event', { type: 2, data: ['hi'], options: { compress: true }, nsp: '/' }],
  ['client-event-ack', { type: 2, data: ['hi'], options: { compress: true }, id: 3, nsp: '/' }],
  ['client-ack', { type: 3, id: 3, data: ['re'], nsp: '/' }],
  ['server-connect-error-nsp-first', { type: 4, nsp: '/nope', data: { message: 'Invalid namespace' } }],
];

function mpErrors() {
  const E = [];
  const add = (name, buf, error, offset, note) => E.push({ name, buf, error, offset, note });
  // Semantic errors point at the offending value: the value of a top-level
  // key (V), or the first element of the data array (V + 1).
  const V = (buf, key) => {
    const i = buf.indexOf(Buffer.concat([Buffer.from([0xa0 | key.length]), Buffer.from(key)]));
    assert(i >= 0);
    return i + 1 + key.length;
  };
  const addv = (name, v, error, key, extra) => {
    const buf = enc(v);
    add(name, buf, error, V(buf, key) + (extra || 0));
  };
  const enc = (v) => notepack.encode(v);
  const ok = enc(M.event('/', ['a', 1]));
  add('not-map-array', enc([2, '/', ['a']]), 'SIO_ERR_MSGPACK_NOT_MAP', 0);
  add('not-map-int', enc(2), 'SIO_ERR_MSGPACK_NOT_MAP', 0);
  add('not-map-string', enc('2["a"]'), 'SIO_ERR_MSGPACK_NOT_MAP', 0);
  add('empty', Buffer.alloc(0), 'SIO_ERR_MSGPACK_INVALID', 0);
  add('truncated', ok.subarray(0, ok.length - 1), 'SIO_ERR_MSGPACK_INVALID', ok.length - 1);
  add('truncated-header', Buffer.from([0xde, 0x00]), 'SIO_ERR_MSGPACK_INVALID', 2);
  add('trailing', Buffer.concat([ok, Buffer.from([0xc0])]), 'SIO_ERR_MSGPACK_TRAILING', ok.length);
  add('invalid-byte', Buffer.from([0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xc1]),
    'SIO_ERR_MSGPACK_INVALID', 6);
  addv('type-5', { type: 5, data: ['a'], nsp: '/' }, 'SIO_ERR_INVALID_TYPE', 'type');
  addv('type-6', { type: 6, data: [], id: 1, nsp: '/' }, 'SIO_ERR_INVALID_TYPE', 'type');
  addv('type-string', { type: '2', data: ['a'], nsp: '/' }, 'SIO_ERR_INVALID_TYPE', 'type');
  addv('type-float', { type: 2.5, data: ['a'], nsp: '/' }, 'SIO_ERR_INVALID_TYPE', 'type');
  add('type-missing', enc({ data: ['a'], nsp: '/' }), 'SIO_ERR_INVALID_TYPE', 0);
  addv('nsp-number', { type: 2, data: ['a'], nsp: 1 }, 'SIO_ERR_BAD_NAMESPACE', 'nsp');
  add('nsp-missing', enc({ type: 2, data: ['a'] }), 'SIO_ERR_BAD_NAMESPACE', 0);
  addv('event-object', { type: 2, data: { a: 1 }, nsp: '/' }, 'SIO_ERR_EVENT_NOT_ARRAY', 'data');
  add('event-no-data', enc({ type: 2, nsp: '/' }), 'SIO_ERR_MISSING_PAYLOAD', 0);
  addv('event-empty', { type: 2, data: [], nsp: '/' }, 'SIO_ERR_EVENT_EMPTY', 'data');
  addv('event-name-object', { type: 2, data: [{}], nsp: '/' }, 'SIO_ERR_EVENT_NAME', 'data', 1);
  addv('event-name-binary', { type: 2, data: [Buffer.from([1])], nsp: '/' }, 'SIO_ERR_EVENT_NAME', 'data', 1);
  addv('event-reserved', { type: 2, data: ['disconnect'], nsp: '/' }, 'SIO_ERR_EVENT_RESERVED', 'data', 1);
  addv('ack-object', { id: 1, type: 3, data: {}, nsp: '/' }, 'SIO_ERR_ACK_NOT_ARRAY', 'data');
  addv('connect-array', { type: 0, data: [], nsp: '/' }, 'SIO_ERR_CONNECT_NOT_OBJECT', 'data');
  addv('connect-null', { type: 0, data: null, nsp: '/' }, 'SIO_ERR_CONNECT_NOT_OBJECT', 'data');
  addv('disconnect-data', { type: 1, data: {}, nsp: '/' }, 'SIO_ERR_DISCONNECT_PAYLOAD', 'data');
  addv('connect-error-number', { type: 4, nsp: '/', data: 3 }, 'SIO_ERR_CONNECT_ERROR_PAYLOAD', 'data');
  add('connect-error-missing', enc({ type: 4, nsp: '/' }), 'SIO_ERR_MISSING_PAYLOAD', 0);
  addv('id-string', { type: 2, data: ['a'], id: '1', nsp: '/' }, 'SIO_ERR_BAD_ACK_ID', 'id');
  addv('id-float', { type: 2, data: ['a'], id: 1.5, nsp: '/' }, 'SIO_ERR_BAD_ACK_ID', 'id');
  addv('id-negative', { type: 2, data: ['a'], id: -1, nsp: '/' }, 'SIO_ERR_BAD_ACK_ID', 'id');
  addv('id-2pow53', { type: 2, data: ['a'], id: 9007199254740992, nsp: '/' }, 'SIO_ERR_BAD_ACK_ID', 'id');
  // data: ["a", <ext 1>]; the offset is that of the ext value
  add('ext-type-1', Buffer.concat([Buffer.from([0x83, 0xa4]), Buffer.from('type'), Buffer.from([0x02, 0xa3]),
    Buffer.from('nsp'), Buffer.from([0xa1, 0x2f, 0xa4]), Buffer.from('data'),
    Buffer.from([0x92, 0xa1, 0x61, 0xd4, 0x01, 0x00])]), 'SIO_ERR_MSGPACK_UNSUPPORTED', 21);
  add('non-string-key', Buffer.concat([Buffer.from([0x84, 0xa4]), Buffer.from('type'),
    Buffer.from([0x02, 0xa3]), Buffer.from('nsp'), Buffer.from([0xa1, 0x2f, 0xa4]),
    Buffer.from('data'), Buffer.from([0x91, 0xa1, 0x61, 0x01, 0x02])]),
  'SIO_ERR_MSGPACK_UNSUPPORTED', 21);
  addv('depth', M.event('/', ['d', deep(130, 1)]), 'SIO_ERR_DEPTH', 'data', 3 + 127);
  return E;
}

/* ------------------------------------------------------------------------ */
/* assembling                                                               */
/* ------------------------------------------------------------------------ */

function stripPacket(p) {
  // what the reference decoder should give back for an encoded packet
  const o = { type: p.type, nsp: p.nsp };
  if (p.id !== undefined) o.id = p.id;
  if (p.data !== undefined) o.data = p.data;
  return o;
}

function validJson(ver, list) {
  const out = [];
  for (const [name, packet] of list) {
    const enc = encodeRef(ver, packet);
    const messages = enc.map(msgOf);
    const dec = decodeRef(ver, messages);
    assert(!dec.error, `v${ver}-${name}: reference rejects its own encoding: ${dec.error && dec.error.reason}`);
    assert.strictEqual(dec.packets.length, 1, `v${ver}-${name}`);
    const got = dec.packets[0];
    const pj = packetJ(ver, got.p, got.wireType);
    // the reference gives back what it was given
    const want = stripPacket(packet);
    assert.deepStrictEqual(JSON.stringify(toJ(got.p.data)), JSON.stringify(toJ(want.data)), name);
    out.push({ name: `v${ver}-${name}`, sio: ver, parser: 'json', messages, packets: [pj] });
  }
  return out;
}

// Vectors made of several packets in a row (decoder state between packets).
function sequences(ver) {
  const seq = [
    ['seq-binary-then-text', [
      { type: T.EVENT, nsp: '/', data: ['a', bytes(3, 31)] },
      { type: T.EVENT, nsp: '/', data: ['b'] }]],
    ['seq-two-binary', [
      { type: T.EVENT, nsp: '/x', id: 1, data: ['a', bytes(3, 32), bytes(0, 1)] },
      { type: T.ACK, nsp: '/x', id: 2, data: [bytes(5, 33)] }]],
    ['seq-session', [
      { type: T.CONNECT, nsp: '/' },
      { type: T.EVENT, nsp: '/', data: ['hello'] },
      { type: T.EVENT, nsp: '/', data: ['world'] },
      { type: T.CONNECT, nsp: '/admin' },
      { type: T.EVENT, nsp: '/admin', id: 1, data: ['tellme'] },
      { type: T.ACK, nsp: '/admin', id: 1, data: [bytes(4, 34)] },
      { type: T.DISCONNECT, nsp: '/admin' }]],
  ];
  const out = [];
  for (const [name, packets] of seq) {
    const messages = [].concat(...packets.map((p) => encodeRef(ver, p).map(msgOf)));
    const dec = decodeRef(ver, messages);
    assert(!dec.error && dec.packets.length === packets.length, name);
    out.push({ name: `v${ver}-${name}`, sio: ver, parser: 'json', messages,
      packets: dec.packets.map((g) => packetJ(ver, g.p, g.wireType)) });
  }
  return out;
}

// Non-canonical input the decoder accepts: encoding gives other bytes.
function decodeOnly(ver) {
  const cases = [
    ['trailing-whitespace', ['2["a"] ']],
    ['inner-whitespace', ['2/admin,3[ "a" , { "b" : 1 } ]']],
    ['escaped-slash', ['2["a\\/b"]']],
    ['unicode-escapes', ['2["\\u00e9\\ud83d\\ude00"]']],
    ['number-forms', ['2["n",1.0,1E2,-0.0,1e-7]']],
    ['connect-nsp-no-comma', ['0/admin']],
    ['placeholder-extra-keys', ['51-["a",{"num":0,"x":1,"_placeholder":true}]', A]],
    ['placeholder-in-text-event', ['2["a",{"_placeholder":true,"num":5}]']],
    ['duplicate-key', ['2["a",{"k":1,"k":2}]']],
  ];
  const out = [];
  for (const [name, msgs] of cases) {
    const messages = msgs.map((m) => (typeof m === 'string' ? text(m) : m));
    const dec = decodeRef(ver, messages);
    assert(!dec.error, `decode-only ${name}: ${dec.error && dec.error.reason}`);
    out.push({ name: `v${ver}-${name}`, sio: ver, parser: 'json', messages,
      packets: dec.packets.map((g) => packetJ(ver, g.p, g.wireType)), roundtrip: false });
  }
  return out;
}

function errorJson() {
  const out = [];
  for (const e of jsonErrors()) {
    for (const ver of e.vers) {
      const messages = e.msgs.map((m) => {
        if (typeof m === 'string') return text(m);
        if (Buffer.isBuffer(m)) return m[0] === 0x32 ? textB64(m) : bin(m);
        return m;
      });
      const ref = decodeRef(ver, messages);
      const v = { name: `v${ver}-${e.name}`, sio: ver, parser: 'json', messages,
        error: e.error, offset: e.offset, message: e.message,
        reference: ref.error ? 'rejects' : 'accepts' };
      if (ref.error && ref.error.message !== e.message) {
        v.note = (e.note ? e.note + '; ' : '') + `the reference fails at message ${ref.error.message}`;
      } else if (e.note) {
        v.note = e.note;
      }
      out.push(v);
    }
  }
  // the reserved names are only the reference's rule from v5 on
  return out;
}

function msgpackVectors() {
  const out = [];
  for (const [name, packet] of msgpackValid) {
    const enc = new mp.Encoder().encode(packet);
    assert.strictEqual(enc.length, 1);
    const messages = [bin(enc[0])];
    const dec = decodeRefMsgpack(messages);
    assert(!dec.error, name + ': ' + (dec.error && dec.error.reason));
    out.push({ name: `msgpack-${name}`, sio: 5, parser: 'msgpack', messages,
      packets: dec.packets.map((p) => packetJ('msgpack', p, p.type)) });
  }
  {
    // notepack.io writes integral numbers >= 2^64 as uint64 with wrapped
    // bits (1e300 becomes 0); decoders read 0, which sioc writes as 0x00.
    const messages = [bin(new mp.Encoder().encode(M.event('/', ['big', 1e300]))[0])];
    const dec = decodeRefMsgpack(messages);
    assert(!dec.error);
    out.push({ name: 'msgpack-notepack-uint64-wrap', sio: 5, parser: 'msgpack', messages,
      packets: dec.packets.map((p) => packetJ('msgpack', p, p.type)), roundtrip: false,
      note: 'notepack.io writes 1e300 as uint64 0 (cf 00..00); sioc writes 0 as one byte' });
  }
  for (const [name, packet] of msgpackClientShapes) {
    const messages = [bin(new mp.Encoder().encode(packet)[0])];
    const dec = decodeRefMsgpack(messages);
    assert(!dec.error, name);
    out.push({ name: `msgpack-${name}`, sio: 5, parser: 'msgpack', messages,
      packets: dec.packets.map((p) => packetJ('msgpack', p, p.type)), roundtrip: false,
      note: 'key order of a reference client packet; sioc writes its own order' });
  }
  return out;
}

function msgpackErrors() {
  return mpErrors().map((e) => {
    const messages = [bin(e.buf)];
    const ref = decodeRefMsgpack(messages);
    const v = { name: `msgpack-${e.name}`, sio: 5, parser: 'msgpack', messages, error: e.error,
      offset: e.offset, message: 0, reference: ref.error ? 'rejects' : 'accepts' };
    if (e.note) v.note = e.note;
    return v;
  });
}

function write(file, vectors) {
  const names = new Set();
  for (const v of vectors) {
    assert(!names.has(v.name), 'duplicate name ' + v.name);
    names.add(v.name);
  }
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, file), vectors.map((v) => JSON.stringify(v)).join('\n') + '\n');
  console.log(`${file}: ${vectors.length} vectors`);
}

function main() {
  const json = [].concat(
    validJson(5, specV5), validJson(5, common), sequences(5), decodeOnly(5),
    validJson(4, specV4), validJson(4, common), sequences(4), decodeOnly(4));
  write('json.jsonl', json);
  write('json-errors.jsonl', errorJson());
  write('msgpack.jsonl', msgpackVectors());
  write('msgpack-errors.jsonl', msgpackErrors());
}

main();
