/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers for L7 parser tests: one client/server conversation driven through test_run with real
 * TCP sequence numbers (or UDP datagrams), and the per-command stats read back. */
#ifndef WL_TESTS_L7CONV_H
#define WL_TESTS_L7CONV_H

#include <stddef.h>
#include <stdint.h>
#include "harness.h"
#include "maps/wirelens.h"

#define CONV_CLI   "198.18.0.1"
#define CONV_SRV   "198.18.0.2"
#define CONV_CLI6  "2001:db8::1"
#define CONV_SRV6  "2001:db8::2"
#define CONV_CPORT 40000

/* One conversation, numbered as a client and a server would number it. */
struct conv {
	uint32_t cseq, sseq;
	uint16_t sport; /* server port */
	uint16_t cport; /* client port (CONV_CPORT unless set) */
	uint8_t l4;	/* 6 (TCP, default) or 17 (UDP) */
	int family;	/* 4 (default) or 6 */
};

void conv_init(struct conv *c, uint16_t server_port);
/* A fresh case: every map emptied, c set up for server_port, SYN and SYN-ACK sent through h. */
void conv_start(enum wl_hook h, struct conv *c, uint16_t server_port);
/* The same over IPv6 (CONV_CLI6 to CONV_SRV6). */
void conv_start6(enum wl_hook h, struct conv *c, uint16_t server_port);
/* Sends payload one way through hook h; advances that direction's sequence number by len (and
 * by one for SYN/FIN). flags 0 means PSH|ACK. Returns the program's verdict. */
int conv_seg(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
	     uint8_t flags);
/* Same, without advancing the sequence (a retransmission). */
int conv_reseg(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
	       uint32_t back);
/* Sends data one way in two segments, the first of cut bytes (at most len - 1, so that the
 * second is never empty): a message cut at every offset is a loop over cut. */
void conv_split(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
		size_t cut);
/* One exchange, request q and response r, on fresh conversations to port through h: both cut in
 * two at every offset (conv_split), then q whole and r in three pieces at every pair of cuts
 * before byte `three`. check asserts after each conversation (pieces: 2 or 3). */
void conv_split_every(enum wl_hook h, uint16_t port, const void *q, size_t ql, const void *r,
		      size_t rl, size_t three,
		      void (*check)(const struct conv *c, size_t ql, size_t rl, int pieces));
/* Sends len bytes one way in segments of up to mss bytes. Segment number gap_seg (-1: none) is
 * lost: never sent (late = 0), or sent right after the one that follows it (late = 1: it then
 * arrives as a retransmission of bytes the hook had to do without). */
void conv_stream(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
		 size_t mss, int gap_seg, int late);
/*
 * Conversations as scripts (the fixture tables of the protocol suites): a list of lines, each
 * one segment, "> " from the client, "< " from the server; "+ " more for the segment of the line
 * before; "# " a comment; "= " a check at that point; "-> 89" ("-< 89") the next 89 bytes of
 * the client (server) lost. "> 3*..." is the rest of the line three times. What a line's rest means
 * is the protocol's: append turns it into bytes (conv_text_append: the text itself).
 */
struct conv_buf {
	uint8_t b[65536];
	size_t n;
};
typedef void (*conv_append_fn)(struct conv_buf *m, int from_server, const char *line);
void conv_text_append(struct conv_buf *m, int from_server, const char *line);

struct conv_play_opts {
	conv_append_fn append;
	size_t mss; /* segments of at most mss bytes (0: each segment whole; 1: byte by byte) */
	size_t cut; /* > 0: the first two segments sent in two pieces, the first of cut bytes */
	/* Called for a "= " line (its rest) once everything before it is sent. */
	void (*check)(const struct conv *c, const char *line, const void *arg);
	const void *arg;
};
/* Plays lines (to a NULL) through h on c. */
void conv_play(enum wl_hook h, struct conv *c, const char *const *lines,
	       const struct conv_play_opts *o);
/* The length of the longer of the script's first two segments (the cuts a split run makes). */
size_t conv_play_split_max(const char *const *lines, conv_append_fn append);
/* Sends m (then empties it) one way: in two at cut (0: not cut), or in segments of at most mss
 * bytes (0: whole). */
void conv_deliver(enum wl_hook h, struct conv *c, int from_server, struct conv_buf *m, size_t mss,
		  size_t cut);

/* Text helpers. */
int conv_req(enum wl_hook h, struct conv *c, const char *text);
int conv_resp(enum wl_hook h, struct conv *c, const char *text);
/* SYN and SYN-ACK, so both directions start on a message boundary. */
void conv_handshake(enum wl_hook h, struct conv *c);

/* MySQL/MariaDB login payloads (without the 4-byte packet header), into out (128 bytes). The
 * server's greeting (a MariaDB 10.11 HandshakeV10) offering caps; returns its length. */
size_t conv_mysql_greeting(uint8_t *out, uint32_t caps);
/* The client's HandshakeResponse41 with caps (user root, a 20-byte mysql_native_password
 * answer); returns its length, 80. Its first 32 bytes alone are an SSL request. */
size_t conv_mysql_handshake_response(uint8_t *out, uint32_t caps);

/* Summed per-CPU stats of one command of protocol proto at the conversation's server. Returns 0
 * when the entry exists. */
int conv_stats(const struct conv *c, uint8_t proto, const char *cmd, struct wl_cmd_stats *out);
/* Stats of one command of proto summed over every server (for capture replays). Returns the
 * number of servers it was seen at (0: none). */
int conv_stats_any_server(uint8_t proto, const char *cmd, struct wl_cmd_stats *out);
/* Distinct command names of proto in the stats map, into names (up to max). Returns the count. */
int conv_stats_names(uint8_t proto, char (*names)[WL_CMD_LEN], int max);
/* Entries in the stats map (all protocols). */
int conv_stats_entries(void);

#define EXPECT_CMD_STATS(c, proto, cmd, rq, rs, er)                                                \
	do {                                                                                       \
		struct wl_cmd_stats st_;                                                           \
		int found_ = conv_stats((c), (proto), (cmd), &st_) == 0;                           \
		CU_ASSERT_TRUE(found_);                                                            \
		CU_ASSERT_EQUAL(st_.requests, (rq));                                               \
		CU_ASSERT_EQUAL(st_.responses, (rs));                                              \
		CU_ASSERT_EQUAL(st_.errors, (er));                                                 \
		if (!found_ || st_.requests != (rq) || st_.responses != (rs) ||                    \
		    st_.errors != (er))                                                            \
			fprintf(stderr, "\n  [%s:%d] %s: found %d req %llu resp %llu err %llu\n",  \
				__FILE__, __LINE__, (cmd), found_,                                 \
				(unsigned long long)st_.requests,                                  \
				(unsigned long long)st_.responses,                                 \
				(unsigned long long)st_.errors);                                   \
	} while (0)

/* The same and its misses (not-found answers: DNS NXDOMAIN, HTTP 404, memcached get misses). */
#define EXPECT_CMD_MISSES(c, proto, cmd, rq, rs, er, mi)                                           \
	do {                                                                                       \
		struct wl_cmd_stats sm_;                                                           \
		EXPECT_CMD_STATS(c, proto, cmd, rq, rs, er);                                       \
		conv_stats((c), (proto), (cmd), &sm_);                                             \
		CU_ASSERT_EQUAL(sm_.misses, (mi));                                                 \
	} while (0)

/* One command's expected requests, responses and errors, for EXPECT_CMDS_ONLY. */
struct conv_want {
	const char *cmd;
	uint64_t requests, responses, errors;
};

/* Asserts each command of the list ({cmd, requests, responses, errors}, as EXPECT_CMD_STATS)
 * and that the stats map holds no other entry. */
#define EXPECT_CMDS_ONLY(c, proto, ...)                                                            \
	do {                                                                                       \
		static const struct conv_want w_[] = {__VA_ARGS__};                                \
		int n_ = sizeof(w_) / sizeof(w_[0]);                                               \
		for (int i_ = 0; i_ < n_; i_++)                                                    \
			EXPECT_CMD_STATS(c, proto, w_[i_].cmd, w_[i_].requests, w_[i_].responses,  \
					 w_[i_].errors);                                           \
		CU_ASSERT_EQUAL(conv_stats_entries(), n_);                                         \
	} while (0)

/* Asserts the request and response bytes of cmd of proto at the conversation's server. */
#define EXPECT_CMD_BYTES(c, proto, cmd, rqb, rsb)                                                  \
	do {                                                                                       \
		struct wl_cmd_stats st_;                                                           \
		CU_ASSERT_EQUAL(conv_stats((c), (proto), (cmd), &st_), 0);                         \
		CU_ASSERT_EQUAL(st_.request_bytes, (rqb));                                         \
		CU_ASSERT_EQUAL(st_.response_bytes, (rsb));                                        \
		if (st_.request_bytes != (rqb) || st_.response_bytes != (rsb))                     \
			fprintf(stderr, "\n  [%s:%d] %s bytes %llu/%llu, want %llu/%llu\n",        \
				__FILE__, __LINE__, (cmd), (unsigned long long)st_.request_bytes,  \
				(unsigned long long)st_.response_bytes, (unsigned long long)(rqb), \
				(unsigned long long)(rsb));                                        \
	} while (0)

/* Asserts that no L7 message was malformed, unmatched or skipped to resynchronise. */
#define EXPECT_L7_CLEAN()                                                                          \
	do {                                                                                       \
		EXPECT_COUNTER(l7_malformed, 0);                                                   \
		EXPECT_COUNTER(l7_unmatched, 0);                                                   \
		EXPECT_COUNTER(l7_resync_skip, 0);                                                 \
	} while (0)

#endif
