// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libmongoc client for the live test.
 *   client single URI ROUNDS          one client (one connection): every round ping, insert_one,
 *                                     insert_many (an OP_MSG document sequence), find, update,
 *                                     delete, count_documents (aggregate), an unacknowledged
 *                                     insert (moreToCome, no reply), a command the server does
 *                                     not know and one it fails (ok: 0); every 10th round a
 *                                     300 KB insert and a find answered with 200 KB.
 *   client pool URI THREADS ROUNDS    a client pool (its own monitoring connections: streaming
 *                                     awaitable hello and RTT hellos), THREADS threads doing
 *                                     ROUNDS of insert, find, ping each.
 * Exit status 1 if an operation that should succeed failed, or one that should fail did not.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mongoc/mongoc.h>

static int failures;

static void expect(int ok, const char *what, const bson_error_t *err)
{
	if (!ok) {
		fprintf(stderr, "%s: %s\n", what, err ? err->message : "failed");
		__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	}
}

static int command(mongoc_client_t *client, const char *db, bson_t *cmd, bson_error_t *err)
{
	bson_t reply;
	int ok = mongoc_client_command_simple(client, db, cmd, NULL, &reply, err);

	bson_destroy(&reply);
	bson_destroy(cmd);
	return ok;
}

static int drain(mongoc_cursor_t *cur, bson_error_t *err)
{
	const bson_t *d;
	int n = 0, ok;

	while (mongoc_cursor_next(cur, &d))
		n++;
	ok = !mongoc_cursor_error(cur, err);
	mongoc_cursor_destroy(cur);
	return ok ? n : -1;
}

static void single(const char *uri, int rounds)
{
	mongoc_client_t *client = mongoc_client_new(uri);
	mongoc_collection_t *coll;
	mongoc_write_concern_t *w0 = mongoc_write_concern_new();
	bson_t *w0_opts = bson_new();
	char *big = malloc(300 * 1024);
	bson_error_t err;

	if (!client) {
		fprintf(stderr, "bad URI %s\n", uri);
		exit(2);
	}
	mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
	memset(big, 'b', 300 * 1024 - 1);
	big[300 * 1024 - 1] = 0;
	mongoc_write_concern_set_w(w0, MONGOC_WRITE_CONCERN_W_UNACKNOWLEDGED);
	mongoc_write_concern_append(w0, w0_opts);
	coll = mongoc_client_get_collection(client, "test", "c");
	for (int i = 0; i < rounds; i++) {
		bson_t *doc = BCON_NEW("x", BCON_INT32(i)), *filter = BCON_NEW("x", BCON_INT32(i));
		bson_t *update = BCON_NEW("$set", "{", "y", BCON_INT32(i), "}");
		const bson_t *many[3] = {doc, doc, doc};
		int ok;

		expect(command(client, "admin", BCON_NEW("ping", BCON_INT32(1)), &err), "ping",
		       &err);
		expect(mongoc_collection_insert_one(coll, doc, NULL, NULL, &err), "insert_one",
		       &err);
		expect(mongoc_collection_insert_many(coll, many, 3, NULL, NULL, &err),
		       "insert_many", &err);
		expect(drain(mongoc_collection_find_with_opts(coll, filter, NULL, NULL), &err) == 2,
		       "find", &err);
		expect(mongoc_collection_update_one(coll, filter, update, NULL, NULL, &err),
		       "update_one", &err);
		expect(mongoc_collection_delete_one(coll, filter, NULL, NULL, &err), "delete_one",
		       &err);
		expect(mongoc_collection_count_documents(coll, filter, NULL, NULL, NULL, &err) == 3,
		       "count_documents", &err);
		/* moreToCome: no reply; the next command on the connection follows it */
		expect(mongoc_collection_insert_one(coll, doc, w0_opts, NULL, &err), "insert w:0",
		       &err);
		ok = command(client, "test", BCON_NEW("noSuchCommand", BCON_INT32(1)), &err);
		expect(!ok, "noSuchCommand did not fail", NULL);
		ok = command(client, "test", BCON_NEW("getLastError", BCON_INT32(1)), &err);
		expect(!ok, "getLastError did not fail", NULL);
		if (i % 10 == 0) {
			bson_t *large = BCON_NEW("big", BCON_UTF8(big));
			bson_t *want_big = BCON_NEW("big", BCON_INT32(1));

			expect(mongoc_collection_insert_one(coll, large, NULL, NULL, &err),
			       "insert 300 KB", &err);
			expect(drain(mongoc_collection_find_with_opts(coll, want_big, NULL, NULL),
				     &err) == 100,
			       "find 200 KB", &err);
			bson_destroy(large);
			bson_destroy(want_big);
		}
		bson_destroy(doc);
		bson_destroy(filter);
		bson_destroy(update);
	}
	/* the last unacknowledged insert is followed by a command too */
	expect(command(client, "admin", BCON_NEW("ping", BCON_INT32(1)), &err), "ping", &err);
	mongoc_collection_destroy(coll);
	mongoc_client_destroy(client); /* endSessions */
	mongoc_write_concern_destroy(w0);
	bson_destroy(w0_opts);
	free(big);
}

struct worker {
	mongoc_client_pool_t *pool;
	int rounds;
	pthread_t tid;
};

static void *work(void *arg)
{
	struct worker *wk = arg;

	for (int i = 0; i < wk->rounds; i++) {
		mongoc_client_t *client = mongoc_client_pool_pop(wk->pool);
		mongoc_collection_t *coll = mongoc_client_get_collection(client, "test", "p");
		bson_t *doc = BCON_NEW("x", BCON_INT32(i));
		bson_error_t err;

		expect(mongoc_collection_insert_one(coll, doc, NULL, NULL, &err), "pool insert",
		       &err);
		expect(drain(mongoc_collection_find_with_opts(coll, doc, NULL, NULL), &err) == 2,
		       "pool find", &err);
		expect(command(client, "admin", BCON_NEW("ping", BCON_INT32(1)), &err), "pool ping",
		       &err);
		bson_destroy(doc);
		mongoc_collection_destroy(coll);
		mongoc_client_pool_push(wk->pool, client);
		usleep(10000); /* spread over a few heartbeats */
	}
	return NULL;
}

static void pool(const char *uri_str, int threads, int rounds)
{
	mongoc_uri_t *uri = mongoc_uri_new(uri_str);
	mongoc_client_pool_t *pool;
	struct worker wk[16];

	if (!uri || threads < 1 || threads > 16) {
		fprintf(stderr, "bad URI or thread count\n");
		exit(2);
	}
	pool = mongoc_client_pool_new(uri);
	mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
	for (int i = 0; i < threads; i++) {
		wk[i].pool = pool;
		wk[i].rounds = rounds;
		pthread_create(&wk[i].tid, NULL, work, &wk[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(wk[i].tid, NULL);
	mongoc_client_pool_destroy(pool);
	mongoc_uri_destroy(uri);
}

int main(int argc, char **argv)
{
	mongoc_init();
	if (argc == 4 && !strcmp(argv[1], "single")) {
		single(argv[2], atoi(argv[3]));
	} else if (argc == 5 && !strcmp(argv[1], "pool")) {
		pool(argv[2], atoi(argv[3]), atoi(argv[4]));
	} else {
		fprintf(stderr, "usage: %s single URI ROUNDS | pool URI THREADS ROUNDS\n", argv[0]);
		return 2;
	}
	mongoc_cleanup();
	return failures ? 1 : 0;
}
