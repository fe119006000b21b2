// PostgreSQL through real client libraries: postgres.js ("porsager", describe-first: Parse,
// Describe, Flush for a query with parameters it has not prepared yet) and node-postgres (pg:
// text queries, unnamed and named extended queries). Usage: node pg_clients.js HOST pgjs|pg
// Prints what the client saw, one line per verb: "VERB completed failed" (every statement this
// script sends, nothing hidden: postgres.js' type fetch is off).
'use strict';
const [host, mode] = process.argv.slice(2);
const seen = new Map();

function note(verb, ok) {
	const v = seen.get(verb) || [0, 0];
	v[ok ? 0 : 1]++;
	seen.set(verb, v);
}

// a statement's outcome under its verb; failures are expected ones, anything else aborts
async function run(verb, p, code) {
	try {
		const r = await p;
		note(verb, true);
		return r;
	} catch (e) {
		if (!e || !e.code || (code && e.code !== code))
			throw e;
		note(verb, false);
		return null;
	}
}

async function pgjs() {
	const postgres = require('postgres');
	const sql = postgres({ host, port: 5432, user: 'postgres', database: 'wl', max: 1,
		fetch_types: false, onnotice: () => {} });
	// the issue: 40 parameterised selects in flight on one connection, then the failing one
	await Promise.all(Array.from({ length: 40 }, (_, i) =>
		run('SELECT', sql`select * from t where id = ${i}`)));
	await run('SELECT', sql`select * from nope where id = ${1}`, '42P01');
	// the same, the failing one queued behind the others
	await Promise.all([
		...Array.from({ length: 40 }, (_, i) =>
			run('SELECT', sql`select v from t where id = ${i} and v is not null`)),
		run('SELECT', sql`select * from nope where id = ${2}`, '42P01')]);
	// the first statement is prepared now: 40 Bind/Execute/Sync pipelined in one write, the
	// failing describe-first one right behind them
	await Promise.all([
		...Array.from({ length: 40 }, (_, i) =>
			run('SELECT', sql`select * from t where id = ${i}`)),
		run('SELECT', sql`select * from nope where id = ${3}`, '42P01')]);
	// described (prepared), never executed: nothing for the server to count
	await sql`update t set v = ${'x'} where id = ${1}`.describe();
	await run('INSERT', sql`insert into t values (${100}, ${'a'})`);
	// a transaction: a failure, then statements the server refuses (25P02): one prepared
	// before (Bind refused), new ones with parameters (Parse refused after Describe + Flush),
	// one without, then ROLLBACK
	await run('BEGIN', sql`begin`);
	await run('SELECT', sql`select * from t where id = ${3}`);
	await run('INSERT', sql`insert into t values (${100}, ${'dup'})`, '23505');
	await run('SELECT', sql`select * from t where id = ${4}`, '25P02');
	await run('UPDATE', sql`update t set v = ${'y'} where id = ${5}`, '25P02');
	await run('DELETE', sql`delete from t where id = ${6} and v = ${'z'}`, '25P02');
	await run('SELECT', sql`select count(*) from t`, '25P02');
	await Promise.all([
		run('SELECT', sql`select * from t where id = ${7}`, '25P02'),
		run('INSERT', sql`insert into t values (${101}, ${'b'})`, '25P02')]);
	await run('ROLLBACK', sql`rollback`);
	await run('DELETE', sql`delete from t where id = ${100}`);
	await sql.end();
}

async function pg() {
	const { Client } = require('pg');
	const c = new Client({ host, port: 5432, user: 'postgres', database: 'wl' });
	await c.connect();
	for (let i = 0; i < 10; i++) {
		await run('SELECT', c.query('select * from t order by id limit 3')); // text
		await run('SELECT', c.query('select v from t where id = $1', [i])); // unnamed extended
		await run('UPDATE', c.query({ name: 'upd', text: 'update t set v = $1 where id = $2',
			values: ['p' + i, i] })); // named: Parse once, then Bind, Execute, Sync
	}
	await run('INSERT', c.query("insert into t values (200, 'a')"));
	await run('SELECT', c.query('select * from nope'), '42P01');
	await run('SELECT', c.query('select * from nope where id = $1', [1]), '42P01');
	await run('SELECT', c.query({ name: 'bad', text: 'select * from nope where id = $1',
		values: [1] }), '42P01');
	// a transaction with a failure, then refused statements, then ROLLBACK
	await run('BEGIN', c.query('begin'));
	await run('INSERT', c.query('insert into t values ($1, $2)', [200, 'dup']), '23505');
	await run('SELECT', c.query('select * from t'), '25P02');
	await run('SELECT', c.query('select v from t where id = $1', [1]), '25P02');
	await run('UPDATE', c.query({ name: 'upd', text: 'update t set v = $1 where id = $2',
		values: ['q', 1] }), '25P02');
	await run('DELETE', c.query({ name: 'del', text: 'delete from t where id = $1',
		values: [1] }), '25P02');
	await run('ROLLBACK', c.query('rollback'));
	await run('DELETE', c.query('delete from t where id = 200'));
	await c.end();
}

(mode === 'pg' ? pg() : pgjs()).then(() => {
	for (const [verb, [ok, err]] of [...seen].sort())
		console.log(`${verb} ${ok} ${err}`);
}, (e) => {
	console.error(e);
	process.exit(1);
});
