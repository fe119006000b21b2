// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * librdkafka client for the live test: "produce N" or "consume N" (simple consumer, partition
 * 0 of topic "wl", no group), then, once idle, librdkafka's own statistics: the "req" counts of
 * every broker summed by request type, written as "Name count" lines to OUT. The client stays
 * connected until OUT.go exists (the test compares wirelens meanwhile), then closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

static char *last_stats;
static int stats_seen;

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	(void)rk, (void)len, (void)opaque;
	free(last_stats);
	last_stats = strdup(json);
	stats_seen++;
	return 0;
}

static void write_req(const char *out)
{
	struct json_object *root = json_tokener_parse(last_stats), *brokers, *req;
	struct json_object *sum = json_object_new_object();
	FILE *f = fopen(out, "w");

	if (!root || !f || !json_object_object_get_ex(root, "brokers", &brokers)) {
		fprintf(stderr, "no stats\n");
		exit(1);
	}
	json_object_object_foreach(brokers, bname, b)
	{
		(void)bname;
		if (!json_object_object_get_ex(b, "req", &req))
			continue;
		json_object_object_foreach(req, name, v)
		{
			struct json_object *cur;
			int64_t n = json_object_get_int64(v);

			if (json_object_object_get_ex(sum, name, &cur))
				n += json_object_get_int64(cur);
			json_object_object_add(sum, name, json_object_new_int64(n));
		}
	}
	json_object_object_foreach(sum, name, v)
	{
		if (json_object_get_int64(v))
			fprintf(f, "%s %lld\n", name, (long long)json_object_get_int64(v));
	}
	fclose(f);
}

/* Waits for two statistics rounds with no request sent in between: the client is idle. */
static void wait_idle(rd_kafka_t *rk)
{
	char *prev = NULL;

	for (int i = 0; i < 100; i++) {
		int seen = stats_seen;

		while (stats_seen == seen)
			rd_kafka_poll(rk, 50);
		if (prev && last_stats) {
			/* compare the brokers' tx counts */
			struct json_object *a = json_tokener_parse(prev),
					   *b = json_tokener_parse(last_stats);
			struct json_object *ba, *bb;
			int64_t ta = 0, tb = 0;

			json_object_object_get_ex(a, "brokers", &ba);
			json_object_object_get_ex(b, "brokers", &bb);
			json_object_object_foreach(ba, n1, x)
			{
				struct json_object *t;
				(void)n1;
				if (json_object_object_get_ex(x, "tx", &t))
					ta += json_object_get_int64(t);
			}
			int64_t waiting = 0;

			json_object_object_foreach(bb, n2, y)
			{
				struct json_object *t;
				(void)n2;
				if (json_object_object_get_ex(y, "tx", &t))
					tb += json_object_get_int64(t);
				/* a request still in flight (a long-poll Fetch) is not idle */
				if (json_object_object_get_ex(y, "waitresp_cnt", &t))
					waiting += json_object_get_int64(t);
				if (json_object_object_get_ex(y, "outbuf_cnt", &t))
					waiting += json_object_get_int64(t);
			}
			json_object_put(a);
			json_object_put(b);
			if (ta == tb && waiting == 0)
				break;
		}
		free(prev);
		prev = last_stats ? strdup(last_stats) : NULL;
	}
	free(prev);
}

int main(int argc, char **argv)
{
	char err[256], go[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int n, produce;
	rd_kafka_t *rk;

	if (argc != 5) {
		fprintf(stderr, "usage: %s BOOTSTRAP produce|consume N OUT\n", argv[0]);
		return 2;
	}
	produce = !strcmp(argv[2], "produce");
	n = atoi(argv[3]);
	rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err));
	rd_kafka_conf_set(conf, "statistics.interval.ms", "200", err, sizeof(err));
	rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof(err));
	rd_kafka_conf_set_stats_cb(conf, on_stats);
	rk = rd_kafka_new(produce ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "rd_kafka_new: %s\n", err);
		return 1;
	}
	if (produce) {
		for (int i = 0; i < n; i++) {
			char payload[64];
			int len = snprintf(payload, sizeof(payload), "message %d", i);

			while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("wl"),
						 RD_KAFKA_V_VALUE(payload, (size_t)len),
						 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 10);
			if (i % 50 == 49)
				rd_kafka_flush(rk, 10000); /* several Produce requests */
		}
		rd_kafka_flush(rk, 10000);
	} else {
		rd_kafka_topic_t *t = rd_kafka_topic_new(rk, "wl", NULL);
		int got = 0;

		rd_kafka_consume_start(t, 0, RD_KAFKA_OFFSET_BEGINNING);
		while (got < n) {
			rd_kafka_message_t *m = rd_kafka_consume(t, 0, 1000);

			if (!m)
				continue;
			if (!m->err)
				got++;
			rd_kafka_message_destroy(m);
		}
		rd_kafka_consume_stop(t, 0);
		rd_kafka_topic_destroy(t);
	}
	wait_idle(rk);
	write_req(argv[4]);
	snprintf(go, sizeof(go), "%s.go", argv[4]);
	while (access(go, F_OK))
		rd_kafka_poll(rk, 50);
	rd_kafka_destroy(rk);
	return 0;
}
