// idle-sockets.js: open N TCP connections to HOST:PORT and send nothing
// (the "slowloris" half of a flood), for tests of a server's accept path.
//
//   node tests/tools/idle-sockets.js HOST PORT N SECONDS
//
// Prints one JSON line once every connection is established or 3 s have
// passed ({"connected":n,"failed":n}), then holds the sockets for SECONDS
// (or until SIGTERM) and prints a last line with how many
// the server closed meanwhile ({"closedByServer":n}).  Bounded in count
// and time; loopback targets only.
'use strict';
const net = require('net');

const [host, portS, nS, secsS] = process.argv.slice(2);
const port = Number(portS), n = Number(nS), secs = Number(secsS);
if (!/^(127\.|localhost$|::1$)/.test(host || '') || !(port > 0) ||
    !(n > 0 && n <= 20000) || !(secs > 0 && secs <= 600)) {
	console.error('usage: idle-sockets.js LOOPBACK-HOST PORT N(<=20000) SECONDS(<=600)');
	process.exit(2);
}

let connected = 0, failed = 0, closedByServer = 0, reported = false;
const sockets = [];

function report() {
	if (reported)
		return;
	reported = true;
	console.log(JSON.stringify({ connected, failed }));
}

for (let i = 0; i < n; i++) {
	const s = net.connect({ host, port });
	let up = false;
	s.on('connect', () => {
		up = true;
		if (++connected + failed === n)
			report();
	});
	s.on('error', () => {});
	s.on('close', () => {
		if (up)
			closedByServer++;
		else if (++failed + connected === n)
			report();
	});
	s.on('data', () => {});	// a refusal, if any: read and ignore
	sockets.push(s);
}
setTimeout(report, 3000);

function done() {
	report();
	console.log(JSON.stringify({ closedByServer }));
	for (const s of sockets)
		s.destroy();
	process.exit(0);
}
setTimeout(done, secs * 1000);
process.on('SIGTERM', done);
