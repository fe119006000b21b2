/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The fuzzer's seeds: one session per TCP connection (or UDP pair) of the shared captures. Apart
 * from fuzz.c: libpcap's classic struct bpf_insn and linux/bpf.h's cannot meet in one file. */
#ifndef WL_TESTS_FUZZ_SEEDS_H
#define WL_TESTS_FUZZ_SEEDS_H

#include <stdint.h>

#define MSG_MAX	  4096 /* payload bytes kept per message */
#define SESS_MAX  512  /* sessions per protocol */
#define SESS_MSGS 64   /* messages per session */

struct msg {
	uint8_t from_server;
	uint16_t len;
	uint8_t *data;
};

struct session {
	int n;
	int udp;
	struct msg m[SESS_MSGS];
};

struct corpus {
	int n;
	struct session s[SESS_MAX];
};

/* Loads the sessions of dir/<name>/ (sessions with a server port of proto's defaults, else
 * the lower port, as the server). Returns their number, or -1. */
int seed_load(struct corpus *c, const char *dir, const char *name, int proto);

#endif
