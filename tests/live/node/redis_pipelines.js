// Deep pipelines from a real client library (ioredis) for tests/live/redis_clients.sh:
//   node redis_pipelines.js HOST MODE
// MODE: seed      string keys s:0..49, counters n:0..9 (then the test resets the statistics)
//       explicit  5 explicit pipelines of 1,200 commands in runs of one command (1..40 long),
//                 with failing ones (WRONGTYPE, not an integer, wrong arity)
//       auto      the same commands issued in one tick with auto-pipelining (one write each)
//       alternate one explicit pipeline of 1,000 commands, a new command every time (more runs
//                 than the FIFO holds), failing ones among them; then, on the same connection
//                 once the file GO exists (argument 3), an explicit pipeline of 1,200 in runs
// Prints the number of commands sent and of error replies seen.
'use strict';
const Redis = require('ioredis');

const fs = require('fs');
let [host, mode] = process.argv.slice(2);
let seed = 17;
const rand = (n) => {
	seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
	return (seed >>> 16) % n;
};

// One command of each kind; some fail: s:* hold strings (LPUSH, HGETALL -> WRONGTYPE; INCR ->
// not an integer), a GET without its key is rejected for its arity.
const kinds = [
	(i) => ['set', `s:${i % 50}`, 'v'],
	(i) => ['get', `s:${i % 50}`],
	(i) => ['incr', i % 3 ? `n:${i % 10}` : `s:${i % 50}`],
	(i) => ['lpush', i % 2 ? `l:${i % 10}` : `s:${i % 50}`, 'x'],
	(i) => ['hgetall', i % 2 ? `h:${i % 10}` : `s:${i % 50}`],
	(i) => ['hset', `h:${i % 10}`, 'f', 'v'],
	(i) => ['expire', `s:${i % 50}`, '1000'],
	(i) => (i % 4 ? ['get', `s:${i % 50}`] : ['get']),
];

function runs(total) {
	const cmds = [];
	while (cmds.length < total) {
		const k = kinds[rand(kinds.length)];
		for (let len = 1 + rand(40); len > 0 && cmds.length < total; len--)
			cmds.push(k(cmds.length));
	}
	return cmds;
}

function alternate(total) {
	const cmds = [];
	for (let i = 0; cmds.length < total; i++) cmds.push(kinds[i % kinds.length](i));
	return cmds;
}

async function main() {
	const auto = mode === 'auto';
	// disableClientInfo: no CLIENT SETINFO at connect, a subcommand redis-server 7.0 does not know
	// (it counts the rejection under no command; wirelens under CLIENT)
	const redis = new Redis({
		host,
		port: 6379,
		enableAutoPipelining: auto,
		maxRetriesPerRequest: 0,
		disableClientInfo: true,
	});
	let sent = 0, errors = 0;

	if (mode === 'seed') {
		const p = redis.pipeline();
		for (let i = 0; i < 50; i++) p.set(`s:${i}`, 'v');
		for (let i = 0; i < 10; i++) p.set(`n:${i}`, '0');
		await p.exec();
	} else if (mode === 'explicit' || mode === 'alternate') {
		const rounds = mode === 'explicit' ? 5 : 1;
		for (let r = 0; r < rounds; r++) {
			const cmds = mode === 'explicit' ? runs(1200) : alternate(1000);
			const res = await redis.pipeline(cmds).exec();
			sent += cmds.length;
			errors += res.filter(([err]) => err).length;
		}
		if (mode === 'alternate') {
			const go = process.argv[4];
			console.log(`${mode}: ${sent} commands, ${errors} errors`);
			while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 50));
			const cmds = runs(1200);
			const res = await redis.pipeline(cmds).exec();
			sent = cmds.length;
			errors = res.filter(([err]) => err).length;
			mode = 'after';
		}
	} else if (auto) {
		for (let r = 0; r < 5; r++) {
			const cmds = runs(1200);
			const res = await Promise.allSettled(cmds.map(([name, ...args]) => redis.call(name, ...args)));
			sent += cmds.length;
			errors += res.filter((x) => x.status === 'rejected').length;
		}
	} else {
		throw new Error(`unknown mode ${mode}`);
	}
	console.log(`${mode}: ${sent} commands, ${errors} errors`);
	redis.disconnect();
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
