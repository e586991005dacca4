// The reference counterpart of examples/client.c: node socket.io-client
// running the same exchange against a server of the "echo" application.
// Usage: node echo_client.js 4|2 http://127.0.0.1:PORT
// Exits 0 when the ack, the binary echo and the refusal of namespace
// /nope all came as expected; 1 otherwise (or after 15 s).
'use strict';

const major = process.argv[2] === '2' ? 2 : 4;
const url = process.argv[3];
const io = require(major === 2 ? 'socket.io-client-v2' : 'socket.io-client');
const opts = { reconnection: false, forceNew: true };

const timer = setTimeout(() => fail('timed out'), 15000);
function fail(why) {
  console.log('FAIL ' + why);
  process.exit(1);
}

let gotAck = false;
let gotEcho = false;
let gotRefusal = false;
function check() {
  if (gotAck && gotEcho && gotRefusal) {
    clearTimeout(timer);
    console.log('done');
    process.exit(0);
  }
}

const main = io(url, opts);
main.on('connect', () => {
  console.log('connected ' + main.id);
  main.emit('echo', 'hello', { n: 1 }, (...args) => {
    const got = JSON.stringify(args);
    console.log('ack ' + got);
    if (got !== '["hello",{"n":1}]') fail('wrong ack ' + got);
    gotAck = true;
    check();
  });
  main.emit('echo', Buffer.from([1, 2, 3, 255]));
});
main.on('echo', (data) => {
  const bytes = Buffer.from(data);
  console.log('echo ' + bytes.toString('hex'));
  if (bytes.toString('hex') !== '010203ff') fail('wrong echo');
  gotEcho = true;
  check();
});
main.on('connect_error', (err) => fail('connect_error ' + (err && err.message)));

// A namespace the server refuses: socket.io-client 4 reports connect_error
// with the message, socket.io-client 2 an 'error' event with it.
const nope = io(url + '/nope', opts);
function refused(msg) {
  console.log('refused: ' + msg);
  if (msg !== 'no such namespace') fail('wrong refusal ' + msg);
  gotRefusal = true;
  check();
}
if (major === 2) {
  nope.on('error', (msg) => refused(typeof msg === 'string' ? msg : JSON.stringify(msg)));
} else {
  nope.on('connect_error', (err) => refused(err.message));
}
nope.on('connect', () => fail('namespace /nope was accepted'));
