// The reference counterpart of examples/server.c: node socket.io with the
// same "echo" application. Usage: node echo_server.js 4|2
// (socket.io 4.x, or 2.x for Socket.IO v4 over Engine.IO v3). Prints
// "listening on PORT" (127.0.0.1, a free port), runs until killed.
'use strict';
const http = require('http');

const major = process.argv[2] === '2' ? 2 : 4;
const server = http.createServer();
const io = major === 2 ? require('socket.io-v2')(server) : new (require('socket.io').Server)(server);

io.on('connection', (socket) => {
  console.log('socket connected ' + socket.id);
  socket.on('echo', (...args) => {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    if (ack) {
      ack(...args);
    } else {
      socket.emit('echo', ...args);
    }
  });
  socket.on('disconnect', (reason) => console.log('socket disconnected: ' + reason));
});

server.listen(0, '127.0.0.1', () => {
  console.log('listening on ' + server.address().port);
});
