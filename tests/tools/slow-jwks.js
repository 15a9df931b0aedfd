// slow-jwks.js: a key server that answers slowly, for tests of what waits
// on it.  Serves FILE (read at each request: the local stack writes it
// after this starts) as application/json after DELAY_MS, on loopback.
//
//   node tests/tools/slow-jwks.js PORT FILE DELAY_MS
//
// Prints "listening PORT" once ready and "fetch N" on every request, so a
// test can count how often the key server was asked.
'use strict';
const fs = require('fs');
const http = require('http');

const [portS, file, delayS] = process.argv.slice(2);
const port = Number(portS), delay = Number(delayS);
if (!(port > 0) || !file || !(delay >= 0 && delay <= 60000)) {
	console.error('usage: slow-jwks.js PORT FILE DELAY_MS');
	process.exit(2);
}
let n = 0;
http.createServer((req, res) => {
	console.log(`fetch ${++n}`);
	setTimeout(() => {
		let body;
		try {
			body = fs.readFileSync(file);
		} catch (e) {
			res.writeHead(503).end();
			return;
		}
		res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
	}, delay);
}).listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
