#!/usr/bin/env node
// Writes every input of vectors/json/cases.jsonl as one file of
// fuzz/corpus/json/ (the JSON fuzz target's seeds), named after the case.
// Run after gen_json.js: node vectors/json/make_seeds.js
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const dir = path.join(root, 'fuzz', 'corpus', 'json');
fs.mkdirSync(dir, { recursive: true });
for (const f of fs.readdirSync(dir)) {
  if (f.startsWith('case-')) fs.unlinkSync(path.join(dir, f));
}
const lines = fs.readFileSync(path.join(__dirname, 'cases.jsonl'), 'utf8').split('\n').filter(Boolean);
for (const line of lines) {
  const c = JSON.parse(line);
  const bytes = c.input_hex !== undefined ? Buffer.from(c.input_hex, 'hex') : Buffer.from(c.input, 'utf8');
  fs.writeFileSync(path.join(dir, 'case-' + c.name + '.json'), bytes);
}
console.log(`${lines.length} seeds in ${path.relative(root, dir)}`);
