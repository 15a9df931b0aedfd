// fcgi-wire-test.js: audio-api's FastCGI connections at the record level,
// spoken straight to its pool's unix socket, the way a web server does.
//
//   node fcgi-wire-test.js SOCKET TOKEN
//
// The pool has one worker and runs with LIBFCGI_OS_CLOSE_POLL_TIMEOUT at
// 30 s, so a worker that lingers on a connection (libfcgi's shutdown, then
// poll and read until the peer closes) is held for 30 s by a peer that
// keeps its end open, and the next connection waits that long.  Checks:
//   1. a GET whose input has ended is closed at once: a second connection
//      is answered while the first is still open;
//   2. the same for a POST whose body was read whole;
//   3. a POST answered (413) before its body was read keeps the lingering
//      close: the reply arrives whole, the worker waits for the rest, and
//      is free again once the peer has sent it and closed;
//   4. FCGI_KEEP_CONN: two requests on one connection, both answered, the
//      connection left open by the worker.
'use strict';
const net = require('net');

const [sock, token] = process.argv.slice(2);
let failed = 0;
let n = 0;
function ok(cond, what) {
	n++;
	if (!cond)
		failed++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
}

const BEGIN = 1, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6;

function record(type, id, body) {
	const h = Buffer.alloc(8);
	h[0] = 1;
	h[1] = type;
	h.writeUInt16BE(id, 2);
	h.writeUInt16BE(body.length, 4);
	return Buffer.concat([h, body]);
}

function nvlen(n) {
	if (n < 128)
		return Buffer.from([n]);
	const b = Buffer.alloc(4);
	b.writeUInt32BE((n | 0x80000000) >>> 0);
	return b;
}

function params(obj) {
	const parts = [];
	for (const [k, v] of Object.entries(obj)) {
		const kb = Buffer.from(k), vb = Buffer.from(v);
		parts.push(nvlen(kb.length), nvlen(vb.length), kb, vb);
	}
	return Buffer.concat(parts);
}

// The records of one request; stdin === null leaves the input open.
function request(id, keep, env, stdin) {
	const begin = Buffer.from([0, 1, keep ? 1 : 0, 0, 0, 0, 0, 0]);
	const out = [record(BEGIN, id, begin), record(PARAMS, id, params(env)),
	    record(PARAMS, id, Buffer.alloc(0))];
	if (stdin !== null) {
		if (stdin.length > 0)
			out.push(record(STDIN, id, stdin));
		out.push(record(STDIN, id, Buffer.alloc(0)));
	}
	return Buffer.concat(out);
}

function env(method, uri, extra) {
	return Object.assign({
		REQUEST_METHOD: method, REQUEST_URI: uri, SCRIPT_NAME: uri,
		SERVER_PROTOCOL: 'HTTP/1.1', GATEWAY_INTERFACE: 'CGI/1.1',
		REMOTE_ADDR: '127.0.0.1', HTTP_AUTHORIZATION: 'Bearer ' + token,
	}, extra || {});
}

// A connection that collects the replies (stdout text per END_REQUEST) and
// notes when the worker closes its end.
function connect() {
	return new Promise((resolve, reject) => {
		const c = net.createConnection(sock);
		c.allowHalfOpen = true;
		c.replies = [];
		c.ended = false;
		let buf = Buffer.alloc(0), out = '';
		const waiters = [];
		c.wake = () => { for (const w of waiters.splice(0)) w(); };
		c.until = (cond, ms) => new Promise((res) => {
			let done = false;
			const t = setTimeout(() => { done = true; res(false); }, ms);
			const check = () => {
				if (done)
					return;
				if (cond()) {
					done = true;
					clearTimeout(t);
					res(true);
				} else
					waiters.push(check);
			};
			check();
		});
		c.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			while (buf.length >= 8) {
				const len = buf.readUInt16BE(4), pad = buf[6];
				if (buf.length < 8 + len + pad)
					break;
				const type = buf[1], body = buf.subarray(8, 8 + len);
				if (type === STDOUT)
					out += body.toString();
				else if (type === END) {
					c.replies.push(out);
					out = '';
				}
				buf = buf.subarray(8 + len + pad);
			}
			c.wake();
		});
		c.on('end', () => { c.ended = true; c.wake(); });
		c.on('error', () => { c.ended = true; c.wake(); });
		c.on('connect', () => resolve(c));
		c.on('error', reject);
	});
}

function status(reply) {
	const m = /^Status: (\d+)/m.exec(reply || '');
	return m ? Number(m[1]) : 0;
}

// Another connection's GET /healthz, answered within ms?
async function answered(ms) {
	const c = await connect();
	c.write(request(1, false, env('GET', '/api/audio/healthz'), Buffer.alloc(0)));
	const got = await c.until(() => c.replies.length === 1, ms);
	c.destroy();
	return got && status(c.replies[0]) === 200;
}

async function main() {
	// 1. GET, input ended: closed without lingering.
	let a = await connect();
	a.write(request(1, false, env('GET', '/api/audio/sessions'), Buffer.alloc(0)));
	ok(await a.until(() => a.replies.length === 1 && a.ended, 10000),
	    'GET: the reply, then the worker closes its end');
	ok(status(a.replies[0]) === 200, `GET /sessions answered 200 (${status(a.replies[0])})`);
	ok(await answered(10000),
	    'GET: the next connection is answered while the first is held open');
	a.destroy();

	// 2. POST with its body read whole.
	a = await connect();
	const body = Buffer.from('{}');
	a.write(request(1, false, env('POST', '/api/audio/sessions', {
		CONTENT_TYPE: 'application/json', CONTENT_LENGTH: String(body.length),
	}), body));
	ok(await a.until(() => a.replies.length === 1 && a.ended, 10000),
	    'POST: the reply, then the worker closes its end');
	ok(status(a.replies[0]) === 201 || status(a.replies[0]) === 200,
	    `POST /sessions answered (${status(a.replies[0])})`);
	ok(await answered(10000),
	    'POST: the next connection is answered while the first is held open');
	a.destroy();

	// 3. A body over body_max is refused before it is read: the worker
	// lingers until the peer has sent the rest and closed.
	a = await connect();
	const big = 200 * 1024;
	a.write(request(1, false, env('POST', '/api/audio/sessions', {
		CONTENT_TYPE: 'application/json', CONTENT_LENGTH: String(big),
	}), null));
	a.write(record(STDIN, 1, Buffer.alloc(1000, 0x20)));
	ok(await a.until(() => a.replies.length === 1, 10000) &&
	    status(a.replies[0]) === 413 && /"code"/.test(a.replies[0]),
	    `unread body: 413 with its JSON body, whole (${status(a.replies[0])})`);
	ok(!(await answered(1500)),
	    'unread body: the worker is still draining the first connection');
	for (let sent = 1000; sent < big; sent += 32000)
		a.write(record(STDIN, 1, Buffer.alloc(Math.min(32000, big - sent), 0x20)));
	a.end(record(STDIN, 1, Buffer.alloc(0)));
	ok(await a.until(() => a.ended, 10000), 'unread body: closed once drained');
	ok(await answered(10000), 'unread body: the worker serves again after it');
	a.destroy();

	// 4. FCGI_KEEP_CONN: two requests on one connection.
	a = await connect();
	a.write(request(1, true, env('GET', '/api/audio/healthz'), Buffer.alloc(0)));
	ok(await a.until(() => a.replies.length === 1, 10000) &&
	    status(a.replies[0]) === 200, 'keep-conn: first request answered');
	a.write(request(2, true, env('GET', '/api/audio/sessions'), Buffer.alloc(0)));
	ok(await a.until(() => a.replies.length === 2, 10000) &&
	    status(a.replies[1]) === 200, 'keep-conn: second request on the same connection');
	ok(!a.ended, 'keep-conn: the worker keeps the connection open');
	a.destroy();

	console.log(`1..${n}`);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.log(`not ok - ${e.stack}`);
	process.exit(1);
});
