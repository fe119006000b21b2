// mysql2 against the live test's MariaDB (tests/live/mysql_clients.sh): text queries, prepared
// statements, multi-statement batches (multipleStatements: true) with and without a failing
// statement in the middle, a stored procedure returning several result sets (text and
// prepared). Prints "errors VERB N" for the errors the client saw, by the verb of the statement
// that failed, and "statements N" for the statements it ran.
// usage: node mysql_clients.js HOST ROUNDS
'use strict';
const mysql = require('mysql2/promise');

const host = process.argv[2];
const rounds = Number(process.argv[3] || 20);
const errors = {};
let statements = 0;

function failed(verb) {
	errors[verb] = (errors[verb] || 0) + 1;
}

// a statement expected to fail (with the verb it is counted under)
async function expectError(verb, p) {
	try {
		await p;
	} catch (e) {
		failed(verb);
		return e;
	}
	throw new Error(`${verb}: no error`);
}

async function main() {
	const opts = { host, user: 'wl', database: 'sbtest' };
	const text = await mysql.createConnection(opts);
	const multi = await mysql.createConnection({ ...opts, multipleStatements: true });

	for (let r = 0; r < rounds; r++) {
		const id = 1000 + r;
		// text protocol, one statement a query
		await text.query('INSERT INTO mc (id, v) VALUES (?, ?)', [id, 'a;b']);
		await text.query('SELECT * FROM mc WHERE id = ?', [id]);
		await text.query('UPDATE mc SET v = ? WHERE id = ?', ['c', id]);
		await text.query('DELETE FROM mc WHERE id = ?', [id]);
		await expectError('SELECT', text.query('SELECT * FROM no_such_table'));
		statements += 5;
		// prepared statements (COM_STMT_PREPARE once per text, then executes)
		await text.execute('INSERT INTO mc (id, v) VALUES (?, ?)', [id, 'p']);
		await text.execute('SELECT v FROM mc WHERE id = ?', [id]);
		await text.execute('UPDATE mc SET v = ? WHERE id = ?', ['q', id]);
		await text.execute('DELETE FROM mc WHERE id = ?', [id]);
		await expectError('INSERT', text.execute('INSERT INTO mc (id, v) VALUES (?, ?)', [1, 'dup']));
		await text.execute('CALL two_sets(?)', [2]); /* two result sets + OK, prepared */
		statements += 6;
		// multi-statements: four verbs in one COM_QUERY (separators inside strings and
		// comments too)
		const [res] = await multi.query(
			`INSERT INTO mc (id, v) VALUES (${id}, 'x;y'); /* ; */ SELECT * FROM mc WHERE v = 'x;y';
			 UPDATE mc SET v = "--;" WHERE id = ${id} -- ;
			 ; DELETE FROM mc WHERE id = ${id}`);
		if (res.length !== 4)
			throw new Error(`multi: ${res.length} results`);
		statements += 4;
		// an error in the middle: the statements after it never run
		await expectError('SELECT', multi.query(
			`INSERT INTO mc (id, v) VALUES (${id}, 'z'); SELECT * FROM no_such_table;
			 UPDATE mc SET v = 'never' WHERE id = ${id}; DELETE FROM mc`));
		statements += 2;
		await multi.query(`DELETE FROM mc WHERE id = ${id}`);
		statements += 1;
		// an error in the first statement: nothing else runs
		await expectError('UPDATE', multi.query(
			`UPDATE no_such_table SET v = 1; INSERT INTO mc (id, v) VALUES (${id}, 'never')`));
		statements += 1;
		// a stored procedure with several result sets, alone and inside a batch
		const [call] = await multi.query('CALL two_sets(3)');
		if (call.length !== 3) /* two result sets + the CALL's OK */
			throw new Error(`call: ${call.length} results`);
		const [both] = await multi.query(`CALL two_sets(1); SELECT 'after;call'; DO 1`);
		if (both.length !== 5)
			throw new Error(`call batch: ${both.length} results`);
		statements += 4;
		// several batches in flight on one connection (mysql2 queues them; the last one fails
		// in its middle)
		await Promise.all([
			multi.query('SELECT 1; SELECT 2'),
			multi.query(`INSERT INTO mc (id, v) VALUES (${id}, 'w'); DELETE FROM mc WHERE id = ${id}`),
			expectError('DELETE', multi.query('SELECT 3; DELETE FROM no_such_table; SELECT 4')),
		]);
		statements += 6;
	}
	await text.end();
	await multi.end();
	for (const [verb, n] of Object.entries(errors).sort())
		console.log(`errors ${verb} ${n}`);
	console.log(`statements ${statements}`);
}

main().catch((e) => {
	console.error(e.message);
	process.exit(1);
});
