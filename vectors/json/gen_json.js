#!/usr/bin/env node
// Generates the JSON test vectors from JavaScript itself:
//   cases.jsonl   one reader/writer case per line
//   doubles.txt   "<IEEE-754 bits in hex> <String(x)>" per line
// Run: node vectors/json/gen_json.js   (no packages needed)
//
// A case is {"name", "input" (UTF-8 text) or "input_hex" (raw bytes)} plus
// either "output" (JSON.stringify(JSON.parse(input)), what our writer must
// print) or "error"/"offset" (our strict reader's decision). Where we differ
// from JavaScript on purpose the case says so: "sioc_output" (we print the
// exact int64 where JavaScript rounds to a double), and for rejected inputs
// "node":"accepts" with "node_output" or "node":"rejects".
// Optional "max_depth"/"max_size" give reader options.
'use strict';
const fs = require('fs');
const path = require('path');

const cases = [];
const A = (name, input, extra = {}) => cases.push({ name, input, ...extra });
const E = (name, input, error, offset, extra = {}) =>
  cases.push({ name, input, error: 'EIO_ERR_JSON_' + error, offset, ...extra });
const H = (name, hex, error, offset, extra = {}) =>
  cases.push({ name, input_hex: hex, error: 'EIO_ERR_JSON_' + error, offset, ...extra });
const HA = (name, hex, extra = {}) => cases.push({ name, input_hex: hex, ...extra });

// ---- accepted: scalars
A('null', 'null');
A('true', 'true');
A('false', 'false');
A('empty-string', '""');
A('string-ascii', '"hello world"');
A('empty-array', '[]');
A('empty-object', '{}');
A('ws-around', ' \t\n\r[ 1 , 2 ]\r\n\t ');
A('ws-inside-object', '{ "a" : 1 , "b" : [ ] }');
A('nested-mixed', '[1,2.5,"x",{"a":[true,false,null],"b":{}},[]]');
A('socketio-event', '["chat message",{"user":"ana","text":"hi \\"there\\"","ts":1700000000123,"tags":["a","b"]}]');

// ---- strings and escapes
A('escapes-all', '"\\"\\\\\\/\\b\\f\\n\\r\\t"');
A('escape-solidus', '"a\\/b"');
A('escape-u-ascii', '"\\u0041\\u0062"');
A('escape-u-upper-hex', '"\\u00E9\\u00e9"');
A('escape-u-nul', '"a\\u0000b"');
A('escape-u-2028', '"\\u2028\\u2029"');
A('raw-2028', '"\u2028\u2029"');
A('escape-u-fffe', '"\\ufffe\\uffff"');
A('escape-u-bmp-max', '"\\uFFFF"');
A('surrogate-pair', '"\\ud83d\\ude00"');
A('surrogate-pair-upper', '"\\uD834\\uDD1E"');
A('surrogate-pair-max', '"\\udbff\\udfff"');
A('surrogate-pair-min', '"\\ud800\\udc00"');
A('raw-utf8-2byte', '"\u00e9\u00df"');
A('raw-utf8-3byte', '"\u20ac\u4e2d\u6587"');
A('raw-utf8-4byte', '"\u{1F600}\u{10FFFF}"');
A('raw-utf8-boundaries', '"\u0080\u07ff\u0800\ud7ff\ue000\uffff\u{10000}"');
A('raw-del', '"\u007f"');
A('escaped-del', '"\\u007f"');
A('long-ascii', JSON.stringify('abcdefghijklmnopqrstuvwxyz0123456789'.repeat(20)));
A('long-mixed', JSON.stringify('abc\u00e9\n\t"\\\u4e2d\u{1F600}x'.repeat(30)));
A('escape-at-16', '"0123456789abcdef\\n0123456789abcde\\"x"');
A('many-short-escapes', '"' + '\\n'.repeat(64) + '"');
for (let c = 0; c < 0x20; c++) {
  A('escaped-control-' + c.toString(16).padStart(2, '0'), '"x\\u' + c.toString(16).padStart(4, '0') + 'y"');
}
A('escaped-controls-upper', '"\\u001F\\u000A"');
A('key-escapes', '{"a\\nb":1,"\\u00e9":2,"":3}');
A('key-unicode', '{"\u4e2d":"\u6587"}');

// ---- numbers
A('int-zero', '0');
A('int-neg-zero', '-0');
A('double-neg-zero', '-0.0');
A('zero-exp', '0e0');
A('zero-exp-big', '0e999999');
A('zero-frac', '0.000');
A('int-small', '[1,-1,42,-42,123456789]');
A('int-2p53', '9007199254740992');
A('int-2p53-plus-1', '9007199254740993', { sioc_output: '9007199254740993' });
A('int-2p53-neg-plus-1', '-9007199254740993', { sioc_output: '-9007199254740993' });
A('int64-max', '9223372036854775807', { sioc_output: '9223372036854775807' });
A('int64-min', '-9223372036854775808', { sioc_output: '-9223372036854775808' });
A('int64-max-plus-1', '9223372036854775808');
A('int64-min-minus-1', '-9223372036854775809');
A('uint64-max', '18446744073709551615');
A('int-20-digits', '12345678901234567890');
A('int-huge', '123456789012345678901234567890123456789');
A('int-1e20', '100000000000000000000');
A('int-1e21', '1000000000000000000000');
A('int-400-digits', '1' + '0'.repeat(300));
A('double-1e21', '1e21');
A('double-1e20', '1e20');
A('double-below-1e21', '999999999999999900000');
A('double-1e-7', '1e-7');
A('double-1e-6', '1e-6');
A('double-1.5e-7', '1.5e-7');
A('double-0.1', '0.1');
A('double-0.3', '0.30000000000000004');
A('double-min-subnormal', '5e-324');
A('double-min-subnormal-long', '4.9406564584124654e-324');
A('double-below-half-min', '2.4703282292062327e-324');
A('double-above-half-min', '2.4703282292062328e-324');
A('double-underflow', '1e-400');
A('double-neg-underflow', '-1e-400');
A('double-max', '1.7976931348623157e308');
A('double-max-neg', '-1.7976931348623157e308');
A('double-max-rounds-down', '1.7976931348623158e308');
A('double-min-normal', '2.2250738585072014e-308');
A('double-max-subnormal', '2.225073858507201e-308');
A('double-exp-forms', '[1E2,1e+2,1e-2,1E-2,1e007,1e-0,1.0,1.50,2.5e+0]');
A('double-frac-long', '3.14159265358979323846264338327950288419716939937510');
A('double-many-zeros', '0.' + '0'.repeat(30) + '1');
A('double-long-mantissa', '1.' + '0'.repeat(40) + '1');
A('double-19-digits-frac', '1234567890.123456789');
A('double-clinger-edge', '[9007199254740993.0,1e22,1e23,123456789e-22,8.98846567431158e307]');
A('double-halfway', '9007199254740993.5');
A('double-small-values', '[1.5,-2.25,0.5,0.001,0.0001,100.5,1e-5,123e-20]');
A('double-int-valued', '[1.0,2e0,1e15,1e16,1e17,-5e2]');

// ---- objects
A('dup-keys', '{"a":1,"b":2,"a":3}');
A('dup-keys-nested', '{"a":{"x":1},"a":{"y":2}}');
A('dup-keys-three', '{"k":1,"k":2,"k":3}');
A('index-keys-order', '{"b":1,"2":2,"1":3,"a":4,"0":5}');
A('index-keys-not-canonical', '{"01":1,"-1":2,"1.0":3,"1":4," 1":5}');
A('index-key-max', '{"x":1,"4294967294":2,"4294967295":3,"4294967296":4}');
A('index-keys-dup', '{"z":0,"5":1,"3":2,"5":3}');
A('empty-key', '{"":1}');

// ---- nesting
A('depth-128', '['.repeat(128) + ']'.repeat(128));
A('depth-128-objects', '{"a":'.repeat(127) + '[]' + '}'.repeat(127));
A('depth-5-option', '[[[[[]]]]]', { max_depth: 5 });

// ---- errors: syntax
E('empty', '', 'UNEXPECTED_END', 0);
E('only-ws', ' \n\t\r', 'UNEXPECTED_END', 4);
E('bare-word', 'x', 'SYNTAX', 0);
E('nan', 'NaN', 'SYNTAX', 0);
E('infinity', 'Infinity', 'SYNTAX', 0);
E('neg-infinity', '-Infinity', 'INVALID_NUMBER', 1);
E('plus-one', '+1', 'SYNTAX', 0);
E('dot-five', '.5', 'SYNTAX', 0);
E('single-quotes', "'a'", 'SYNTAX', 0);
E('comment', '/*c*/1', 'SYNTAX', 0);
E('line-comment', '1 // c', 'TRAILING', 2);
E('bom', '\ufeff1', 'SYNTAX', 0);
E('bom-ws', '\ufeff 1', 'SYNTAX', 0);
E('array-missing-comma', '[1 2]', 'SYNTAX', 3);
E('array-trailing-comma', '[1,]', 'SYNTAX', 3);
E('array-leading-comma', '[,1]', 'SYNTAX', 1);
E('array-double-comma', '[1,,2]', 'SYNTAX', 3);
E('array-closed-by-brace', '[}', 'SYNTAX', 1);
E('array-mismatch', '[1}', 'SYNTAX', 2);
E('object-trailing-comma', '{"a":1,}', 'SYNTAX', 7);
E('object-missing-colon', '{"a" 1}', 'SYNTAX', 5);
E('object-number-key', '{1:2}', 'SYNTAX', 1);
E('object-bare-key', '{a:2}', 'SYNTAX', 1);
E('object-closed-by-bracket', '{]', 'SYNTAX', 1);
E('object-mismatch', '{"a":1]', 'SYNTAX', 6);
E('object-lone-comma', '{,}', 'SYNTAX', 1);
E('object-missing-value', '{"a":}', 'SYNTAX', 5);
E('literal-case', 'nUll', 'SYNTAX', 1);
E('literal-true-case', 'True', 'SYNTAX', 0);
E('literal-bad-tail', 'fals3', 'SYNTAX', 4);
E('literal-in-array', '[truex]', 'SYNTAX', 5);
E('raw-nul-outside', '\u0000', 'SYNTAX', 0);
E('vertical-tab-ws', '\u000b1', 'SYNTAX', 0);
E('nbsp-ws', '\u00a01', 'SYNTAX', 0);
H('invalid-utf8-outside-string', 'ff', 'SYNTAX', 0);

// ---- errors: unexpected end
E('end-open-array', '[', 'UNEXPECTED_END', 1);
E('end-after-element', '[1', 'UNEXPECTED_END', 2);
E('end-after-comma', '[1,', 'UNEXPECTED_END', 3);
E('end-open-object', '{', 'UNEXPECTED_END', 1);
E('end-after-key', '{"a"', 'UNEXPECTED_END', 4);
E('end-after-colon', '{"a":', 'UNEXPECTED_END', 5);
E('end-after-member', '{"a":1', 'UNEXPECTED_END', 6);
E('end-after-member-comma', '{"a":1,', 'UNEXPECTED_END', 7);
E('end-in-key', '{"ab', 'UNEXPECTED_END', 4);
E('end-in-string', '"abc', 'UNEXPECTED_END', 4);
E('end-in-long-string', '"' + 'a'.repeat(40), 'UNEXPECTED_END', 41);
E('end-after-backslash', '"\\', 'UNEXPECTED_END', 2);
E('end-in-u-escape', '"\\u12', 'UNEXPECTED_END', 5);
E('end-after-high-surrogate', '"\\ud800', 'UNEXPECTED_END', 7);
E('end-after-high-surrogate-bs', '"\\ud800\\', 'UNEXPECTED_END', 8);
E('end-in-second-escape', '"\\ud800\\udc', 'UNEXPECTED_END', 11);
E('end-in-escaped-string', '"a\\nb', 'UNEXPECTED_END', 5);
E('end-in-literal', 'tru', 'UNEXPECTED_END', 3);
E('end-in-null', 'n', 'UNEXPECTED_END', 1);
E('end-minus', '-', 'UNEXPECTED_END', 1);
E('end-dot', '1.', 'UNEXPECTED_END', 2);
E('end-exp', '1e', 'UNEXPECTED_END', 2);
E('end-exp-sign', '1e+', 'UNEXPECTED_END', 3);
H('end-in-utf8', '22e282', 'UNEXPECTED_END', 3);
H('end-in-utf8-4', '22f09f98', 'UNEXPECTED_END', 4);

// ---- errors: escapes
E('escape-unknown', '"\\x"', 'INVALID_ESCAPE', 2);
E('escape-upper-u', '"\\U0041"', 'INVALID_ESCAPE', 2);
E('escape-single-quote', '"\\\'"', 'INVALID_ESCAPE', 2);
E('escape-zero', '"\\0"', 'INVALID_ESCAPE', 2);
E('escape-space', '"\\ "', 'INVALID_ESCAPE', 2);
E('escape-bad-hex', '"\\u12G4"', 'INVALID_ESCAPE', 5);
E('escape-bad-hex-first', '"\\uX000"', 'INVALID_ESCAPE', 3);
E('escape-short-hex', '"\\u12"', 'INVALID_ESCAPE', 5);
E('escape-bad-second-hex', '"\\ud800\\u12x4"', 'INVALID_ESCAPE', 11);
E('escape-in-key', '{"\\q":1}', 'INVALID_ESCAPE', 3);
E('escape-after-text', '"abcdefghijklmnopqrstuvwxyz\\a"', 'INVALID_ESCAPE', 28);

// ---- errors: lone surrogates (JSON.parse accepts them)
E('lone-high', '"\\ud800"', 'INVALID_UNICODE', 1);
E('lone-low', '"\\udc00"', 'INVALID_UNICODE', 1);
E('lone-low-max', '"\\udfff"', 'INVALID_UNICODE', 1);
E('high-then-bmp', '"\\ud800\\u0041"', 'INVALID_UNICODE', 1);
E('high-then-high', '"a\\udbff\\udbff"', 'INVALID_UNICODE', 2);
E('high-then-text', '"\\ud800x"', 'INVALID_UNICODE', 1);
E('high-then-escape', '"\\ud800\\n"', 'INVALID_UNICODE', 1);
E('low-then-high', '"\\udc00\\ud800"', 'INVALID_UNICODE', 1);
E('lone-in-key', '{"\\ud800":1}', 'INVALID_UNICODE', 2);

// ---- errors: control characters
for (let c = 0; c < 0x20; c++) {
  E('raw-control-' + c.toString(16).padStart(2, '0'), '"' + String.fromCharCode(c) + '"', 'CONTROL_CHAR', 1);
}
E('raw-control-after-escape', '"\\n\u0001"', 'CONTROL_CHAR', 3);
E('raw-control-long', '"' + 'a'.repeat(37) + '\n"', 'CONTROL_CHAR', 38);
E('raw-control-in-key', '{"a\tb":1}', 'CONTROL_CHAR', 3);

// ---- errors: numbers
E('leading-zero', '01', 'INVALID_NUMBER', 1);
E('leading-zeros', '00', 'INVALID_NUMBER', 1);
E('neg-leading-zero', '-01', 'INVALID_NUMBER', 2);
E('minus-letter', '-a', 'INVALID_NUMBER', 1);
E('minus-space', '- 1', 'INVALID_NUMBER', 1);
E('minus-dot', '-.5', 'INVALID_NUMBER', 1);
E('dot-letter', '1.x', 'INVALID_NUMBER', 2);
E('dot-exp', '1.e5', 'INVALID_NUMBER', 2);
E('dot-in-array', '[1.]', 'INVALID_NUMBER', 3);
E('exp-letter', '1ex', 'INVALID_NUMBER', 2);
E('exp-sign-letter', '1e+x', 'INVALID_NUMBER', 3);
E('exp-double-sign', '1e+-1', 'INVALID_NUMBER', 3);
E('leading-zero-in-array', '[0123]', 'INVALID_NUMBER', 2);
E('hex-number', '0x10', 'TRAILING', 1);
E('two-dots', '1.5.3', 'TRAILING', 3);

// ---- errors: range (JSON.parse gives Infinity)
E('range-1e400', '1e400', 'NUMBER_RANGE', 0);
E('range-neg-1e400', '-1e400', 'NUMBER_RANGE', 0);
E('range-in-array', '[0,1.8e308]', 'NUMBER_RANGE', 3);
E('range-just-above-max', '1.7976931348623159e308', 'NUMBER_RANGE', 0);
E('range-long-integer', '1' + '0'.repeat(400), 'NUMBER_RANGE', 0);
E('range-huge-exponent', '1e99999999999999999999', 'NUMBER_RANGE', 0);

// ---- errors: depth and size
E('depth-129', '['.repeat(129) + ']'.repeat(129), 'DEPTH', 128);
E('depth-129-objects', '{"a":'.repeat(128) + '[]' + '}'.repeat(128), 'DEPTH', 640);
E('depth-option-1', '[[]]', 'DEPTH', 1, { max_depth: 1 });
E('depth-option-5', '[[[[[[]]]]]]', 'DEPTH', 5, { max_depth: 5 });
E('depth-unclosed', '['.repeat(200), 'DEPTH', 128);
E('size-option', '[1,2,3,4,5,6]', 'TOO_LARGE', 10, { max_size: 10 });
A('size-option-exact', '[1,2,3,45]', { max_size: 10 });

// ---- errors: trailing
E('trailing-value', '1 2', 'TRAILING', 2);
E('trailing-array', '[] []', 'TRAILING', 3);
E('trailing-literal', 'true false', 'TRAILING', 5);
E('trailing-brace', '{}}', 'TRAILING', 2);
E('trailing-string', '"a""b"', 'TRAILING', 3);
E('trailing-letters', 'nullx', 'TRAILING', 4);
E('trailing-comma', '[1],', 'TRAILING', 3);
E('trailing-nul', '1\u0000', 'TRAILING', 1);
E('trailing-after-ws', '{} \n x', 'TRAILING', 5);

// ---- errors: invalid UTF-8 inside strings
H('utf8-overlong-nul', '22c08022', 'INVALID_UTF8', 1);
H('utf8-overlong-2', '22c1bf22', 'INVALID_UTF8', 1);
H('utf8-overlong-3', '22e0808022', 'INVALID_UTF8', 1);
H('utf8-overlong-3-max', '22e09fbf22', 'INVALID_UTF8', 1);
H('utf8-overlong-4', '22f080808022', 'INVALID_UTF8', 1);
H('utf8-overlong-4-max', '22f08fbfbf22', 'INVALID_UTF8', 1);
H('utf8-surrogate-d800', '22eda08022', 'INVALID_UTF8', 1);
H('utf8-surrogate-dfff', '22edbfbf22', 'INVALID_UTF8', 1);
H('utf8-surrogate-pair', '22eda0bdedb8a022', 'INVALID_UTF8', 1);
H('utf8-above-max', '22f490808022', 'INVALID_UTF8', 1);
H('utf8-f5', '22f580808022', 'INVALID_UTF8', 1);
H('utf8-ff', '22ff22', 'INVALID_UTF8', 1);
H('utf8-fe', '22fe22', 'INVALID_UTF8', 1);
H('utf8-lone-continuation', '22802022', 'INVALID_UTF8', 1);
H('utf8-truncated-2', '22c322', 'INVALID_UTF8', 1);
H('utf8-truncated-3', '22e28222', 'INVALID_UTF8', 1);
H('utf8-truncated-4', '22f09f9822', 'INVALID_UTF8', 1);
H('utf8-bad-continuation', '2261e228a122', 'INVALID_UTF8', 2);
H('utf8-after-escape', '225c6eff22', 'INVALID_UTF8', 3);
H('utf8-after-long-ascii', '22' + '61'.repeat(20) + 'c0af22', 'INVALID_UTF8', 21);
H('utf8-in-key', '7b22ff223a317d', 'INVALID_UTF8', 2);
HA('utf8-valid-edges', '22c280dfbfe0a080efbfbff0908080f48fbfbf22');

// ------------------------------------------------------------------------
function bytesOf(c) {
  return c.input_hex !== undefined ? Buffer.from(c.input_hex, 'hex') : Buffer.from(c.input, 'utf8');
}

const names = new Set();
const out = [];
for (const c of cases) {
  if (names.has(c.name)) throw new Error('duplicate case name ' + c.name);
  names.add(c.name);
  const buf = bytesOf(c);
  let nodeOk = true;
  let nodeOut;
  try {
    // JavaScript sees the text after UTF-8 decoding (invalid bytes become U+FFFD).
    nodeOut = JSON.stringify(JSON.parse(buf.toString('utf8')));
  } catch (e) {
    nodeOk = false;
  }
  const rec = { name: c.name };
  if (c.input_hex !== undefined) rec.input_hex = c.input_hex;
  else rec.input = c.input;
  if (c.max_depth !== undefined) rec.max_depth = c.max_depth;
  if (c.max_size !== undefined) rec.max_size = c.max_size;
  if (c.error === undefined) {
    if (!nodeOk) throw new Error(`case ${c.name}: we accept but JSON.parse rejects`);
    rec.output = nodeOut;
    if (c.sioc_output !== undefined) {
      if (c.sioc_output === nodeOut) throw new Error(`case ${c.name}: sioc_output equals node's`);
      rec.sioc_output = c.sioc_output;
    }
  } else {
    rec.error = c.error;
    rec.offset = c.offset;
    if (c.offset > buf.length) throw new Error(`case ${c.name}: offset past the end`);
    rec.node = nodeOk ? 'accepts' : 'rejects';
    if (nodeOk) rec.node_output = nodeOut;
  }
  out.push(JSON.stringify(rec));
}
fs.writeFileSync(path.join(__dirname, 'cases.jsonl'), out.join('\n') + '\n');

// ---- doubles: String(x) for many values, from a fixed seed
let s0 = 0x9E3779B97F4A7C15n, s1 = 0xD1B54A32D192ED03n;
const M64 = (1n << 64n) - 1n;
function next64() { // xorshift128+
  let x = s0;
  const y = s1;
  s0 = y;
  x ^= (x << 23n) & M64;
  s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
  return (s1 + y) & M64;
}
const dv = new DataView(new ArrayBuffer(8));
function fromBits(b) { dv.setBigUint64(0, b); return dv.getFloat64(0); }
function bitsOf(x) { dv.setFloat64(0, x); return dv.getBigUint64(0); }
function rnd() { return Number(next64() >> 11n) / 2 ** 53; }

const values = [];
const add = (x) => { if (Number.isFinite(x)) values.push(x); };
// random bit patterns: every exponent, every mantissa shape
for (let i = 0; i < 4000; i++) add(fromBits(next64()));
// random values across decimal magnitudes
for (let i = 0; i < 3000; i++) add((rnd() * 10) * 10 ** (Math.floor(rnd() * 80) - 40) * (rnd() < 0.5 ? -1 : 1));
// subnormals
for (let i = 0; i < 400; i++) add(fromBits(next64() & ((1n << 52n) - 1n)));
for (let i = 1; i < 64; i++) add(fromBits(BigInt(i)));
// integers near 2^53 and large integers
for (let i = -40; i <= 40; i++) add(2 ** 53 + i * 2);
for (let i = -20; i <= 20; i++) add(2 ** 53 + i);
for (let i = 0; i < 300; i++) add(Math.floor(rnd() * 2 ** 64) * (rnd() < 0.5 ? -1 : 1));
for (let i = 0; i < 200; i++) add(Math.floor(rnd() * 1e6));
// the 1e21 and 1e-7 boundaries, and their neighbours
for (const b of [1e21, 1e-7, 1e-6, 1e20, 1e22, 1e-5]) {
  let up = b, down = b;
  for (let i = 0; i < 20; i++) {
    add(up); add(down);
    up = fromBits(bitsOf(up) + 1n);
    down = fromBits(bitsOf(down) - 1n);
  }
}
add(999999999999999900000); add(999999999999999999999); add(1e21 - 65536); add(123456789e13);
// every power of two
for (let e = -1074; e <= 1023; e++) add(2 ** e);
// short decimals and their sums
for (let i = 0; i < 500; i++) add(Math.round(rnd() * 10000) / 10 ** Math.floor(rnd() * 8));
add(0.1 + 0.2); add(1 / 3); add(2 / 3); add(Math.PI); add(Math.E); add(Number.MAX_VALUE);
add(Number.MIN_VALUE); add(Number.EPSILON); add(Number.MAX_SAFE_INTEGER); add(-0); add(0);
add(2.2250738585072014e-308); add(2.225073858507201e-308); add(5e-324); add(1.7976931348623157e308);
// neighbours of the extremes
for (let i = 1; i < 30; i++) { add(fromBits(0x7FEFFFFFFFFFFFFFn - BigInt(i))); add(fromBits(0x0010000000000000n + BigInt(i))); }

// decimals of 1 to 15 significant digits at every scale the writer's fast
// path covers (1e-7 .. 1e15), and their neighbours one ulp away, which must
// not be mistaken for the short decimal
for (let i = 0; i < 6000; i++) {
  const digits = 1 + Math.floor(rnd() * 15);
  const m = Math.floor(rnd() * 10 ** digits);
  const x = m / 10 ** Math.floor(rnd() * 23);
  if (x <= 0) continue;
  add(x);
  if (i % 3 === 0) { add(fromBits(bitsOf(x) + 1n)); add(fromBits(bitsOf(x) - 1n)); }
}

const lines = values.map((x) => bitsOf(x).toString(16).padStart(16, '0') + ' ' + String(x));
fs.writeFileSync(path.join(__dirname, 'doubles.txt'), lines.join('\n') + '\n');
console.log(`${out.length} cases, ${values.length} doubles`);
