// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "l7conv.h"
#include "pktbuild.h"
#include "loader/l7cfg.h"
#include "loader/commands.h"

static uint8_t frame[PKT_MAX];

void conv_init(struct conv *c, uint16_t server_port)
{
	memset(c, 0, sizeof(*c));
	c->cseq = 1000;
	c->sseq = 500000;
	c->sport = server_port;
	c->cport = CONV_CPORT;
	c->l4 = 6;
	c->family = 4;
}

void conv_start(enum wl_hook h, struct conv *c, uint16_t server_port)
{
	harness_reset();
	conv_init(c, server_port);
	conv_handshake(h, c);
}

void conv_start6(enum wl_hook h, struct conv *c, uint16_t server_port)
{
	harness_reset();
	conv_init(c, server_port);
	c->family = 6;
	conv_handshake(h, c);
}

static int send_seg(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
		    uint8_t flags, uint32_t seq)
{
	struct pkt_spec s = {.family = c->family, .l4 = c->l4, .payload = data, .payload_len = len};
	const char *cli = c->family == 6 ? CONV_CLI6 : CONV_CLI;
	const char *srv = c->family == 6 ? CONV_SRV6 : CONV_SRV;
	size_t n;

	s.tcp_flags = flags ? flags : 0x18; /* PSH|ACK */
	if (from_server) {
		s.src = srv, s.dst = cli, s.sport = c->sport, s.dport = c->cport;
		s.seq = seq, s.ack = c->cseq;
	} else {
		s.src = cli, s.dst = srv, s.sport = c->cport, s.dport = c->sport;
		s.seq = seq, s.ack = c->sseq;
	}
	n = pkt_build(&s, frame, sizeof(frame));
	return harness_run(h, frame, n, NULL);
}

int conv_seg(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
	     uint8_t flags)
{
	uint32_t *seq = from_server ? &c->sseq : &c->cseq;
	uint32_t at = *seq;

	*seq += len + ((flags & 0x03) ? 1 : 0); /* SYN and FIN take one sequence number */
	return send_seg(h, c, from_server, data, len, flags, at);
}

int conv_reseg(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
	       uint32_t back)
{
	return send_seg(h, c, from_server, data, len, 0, (from_server ? c->sseq : c->cseq) - back);
}

void conv_split(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
		size_t cut)
{
	if (cut > len - 1)
		cut = len - 1;
	conv_seg(h, c, from_server, data, cut, 0);
	conv_seg(h, c, from_server, (const char *)data + cut, len - cut, 0);
}

void conv_split_every(enum wl_hook h, uint16_t port, const void *q, size_t ql, const void *r,
		      size_t rl, size_t three,
		      void (*check)(const struct conv *c, size_t ql, size_t rl, int pieces))
{
	const char *rb = r;

	for (size_t cut = 1; cut < (ql > rl ? ql : rl); cut++) {
		struct conv c;

		conv_start(h, &c, port);
		conv_split(h, &c, 0, q, ql, cut);
		conv_split(h, &c, 1, r, rl, cut);
		check(&c, ql, rl, 2);
	}
	for (size_t a = 1; a + 1 < three; a++) {
		for (size_t b = a + 1; b < three; b++) {
			struct conv c;

			conv_start(h, &c, port);
			conv_seg(h, &c, 0, q, ql, 0);
			conv_seg(h, &c, 1, rb, a, 0);
			conv_seg(h, &c, 1, rb + a, b - a, 0);
			conv_seg(h, &c, 1, rb + b, rl - b, 0);
			check(&c, ql, rl, 3);
		}
	}
}

void conv_stream(enum wl_hook h, struct conv *c, int from_server, const void *data, size_t len,
		 size_t mss, int gap_seg, int late)
{
	uint32_t *seq = from_server ? &c->sseq : &c->cseq;
	uint32_t base = *seq;
	const char *p = data;
	size_t off = 0;

	for (int i = 0; off < len; i++, off += mss) {
		size_t n = len - off < mss ? len - off : mss;

		*seq = base + off;
		if (i != gap_seg) {
			send_seg(h, c, from_server, p + off, n, 0, *seq);
			if (late && i == gap_seg + 1) { /* the lost one arrives now */
				size_t lo = off - mss;

				send_seg(h, c, from_server, p + lo, mss, 0, base + lo);
			}
		}
	}
	*seq = base + len;
}

void conv_text_append(struct conv_buf *m, int from_server, const char *line)
{
	size_t len = strlen(line);

	(void)from_server;
	if (len > sizeof(m->b) - m->n)
		len = sizeof(m->b) - m->n;
	memcpy(m->b + m->n, line, len);
	m->n += len;
}

void conv_deliver(enum wl_hook h, struct conv *c, int from_server, struct conv_buf *m, size_t mss,
		  size_t cut)
{
	if (cut && m->n)
		conv_split(h, c, from_server, m->b, m->n, cut);
	else
		for (size_t off = 0; off < m->n; off += mss ? mss : m->n)
			conv_seg(h, c, from_server, m->b + off,
				 mss && m->n - off > mss ? mss : m->n - off, 0);
	m->n = 0;
}

/* Appends a line's rest (after "> "), its repeat prefix applied. */
static void play_append(struct conv_buf *m, int from_server, const char *rest,
			conv_append_fn append)
{
	char *end;
	long times = strtol(rest, &end, 10);

	if (*end == '*' && times > 0)
		rest = end + 1;
	else
		times = 1;
	while (times--)
		append(m, from_server, rest);
}

void conv_play(enum wl_hook h, struct conv *c, const char *const *lines,
	       const struct conv_play_opts *o)
{
	static struct conv_buf m;
	int from_server = 0, seg = -1;

	m.n = 0;
	for (; *lines; lines++) {
		char kind = **lines;

		if (kind == '#')
			continue;
		if (kind != '+')
			conv_deliver(h, c, from_server, &m, o->mss, seg < 2 ? o->cut : 0);
		if (kind == '>' || kind == '<') {
			from_server = kind == '<';
			seg++;
		} else if (kind == '-') { /* "-> 89": the next 89 client bytes lost */
			*((*lines)[1] == '<' ? &c->sseq : &c->cseq) +=
				strtoul(*lines + 3, NULL, 10);
			continue;
		} else if (kind != '+') {
			if (o->check)
				o->check(c, *lines + 2, o->arg);
			continue;
		}
		play_append(&m, from_server, *lines + 2, o->append);
	}
	conv_deliver(h, c, from_server, &m, o->mss, seg < 2 ? o->cut : 0);
}

size_t conv_play_split_max(const char *const *lines, conv_append_fn append)
{
	static struct conv_buf m[2];
	int from_server = 0, seg = -1;

	m[0].n = m[1].n = 0;
	for (; *lines; lines++) {
		if (**lines == '>' || **lines == '<') {
			from_server = **lines == '<';
			seg++;
		} else if (**lines != '+') {
			continue;
		}
		if (seg >= 0 && seg < 2)
			play_append(&m[seg], from_server, *lines + 2, append);
	}
	return m[0].n > m[1].n ? m[0].n : m[1].n;
}

int conv_req(enum wl_hook h, struct conv *c, const char *text)
{
	return conv_seg(h, c, 0, text, strlen(text), 0);
}

int conv_resp(enum wl_hook h, struct conv *c, const char *text)
{
	return conv_seg(h, c, 1, text, strlen(text), 0);
}

void conv_handshake(enum wl_hook h, struct conv *c)
{
	conv_seg(h, c, 0, NULL, 0, 0x02);
	conv_seg(h, c, 1, NULL, 0, 0x12);
}

size_t conv_mysql_greeting(uint8_t *out, uint32_t caps)
{
	static const char ver[] = "5.5.5-10.11.6-MariaDB-0+deb12u1";
	size_t n = 0;

	out[n++] = 0x0a;
	memcpy(out + n, ver, sizeof(ver));
	n += sizeof(ver);
	memcpy(out + n,
	       "\x2a\x00\x00\x00"
	       "abcdefgh\x00",
	       13);
	n += 13;
	out[n++] = caps & 0xff;
	out[n++] = (caps >> 8) & 0xff;
	out[n++] = 0x2d;
	out[n++] = 0x02;
	out[n++] = 0x00;
	out[n++] = (caps >> 16) & 0xff;
	out[n++] = caps >> 24;
	out[n++] = 21;
	memset(out + n, 0, 10);
	n += 10;
	memcpy(out + n, "ijklmnopqrst\0mysql_native_password\0", 35);
	return n + 35;
}

size_t conv_mysql_handshake_response(uint8_t *out, uint32_t caps)
{
	memset(out, 0, 32);
	memcpy(out, &caps, 4);
	memcpy(out + 4, "\x00\x00\x00\x01\x2d", 5);
	memcpy(out + 32,
	       "root\0\x14"
	       "01234567890123456789"
	       "mysql_native_password\0",
	       48);
	return 80;
}

/* Every command as wirelens' readers count it: wl_cmd_stats and the per-CPU cache's deltas. */
static int stats_rows(struct wl_cmd_row **rows, size_t *n)
{
	return wl_cmd_stats_read(wl_map_cmd_maps(harness()), rows, n);
}

int conv_stats(const struct conv *c, uint8_t proto, const char *cmd, struct wl_cmd_stats *out)
{
	struct wl_cmd_row *rows;
	struct wl_cmd_key k;
	int err = -ENOENT;
	size_t n;

	memset(&k, 0, sizeof(k));
	memset(out, 0, sizeof(*out));
	k.l7_proto = proto;
	k.l3_proto = c->family == 6 ? 0x86dd : 0x0800;
	k.server_port = c->sport;
	inet_pton(c->family == 6 ? AF_INET6 : AF_INET, c->family == 6 ? CONV_SRV6 : CONV_SRV,
		  k.server_addr);
	strncpy(k.command, cmd, WL_CMD_LEN - 1);
	if (stats_rows(&rows, &n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!memcmp(&rows[i].key, &k, sizeof(k))) {
			*out = rows[i].st;
			err = 0;
		}
	free(rows);
	return err;
}

int conv_stats_entries(void)
{
	struct wl_cmd_key k, next;
	void *prev = NULL;
	int n = 0, fd = wl_map_cmd_stats_fd(harness());

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

int conv_stats_any_server(uint8_t proto, const char *cmd, struct wl_cmd_stats *out)
{
	struct wl_cmd_row *rows;
	size_t n_rows;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (stats_rows(&rows, &n_rows))
		return 0;
	for (size_t i = 0; i < n_rows; i++) {
		if (rows[i].key.l7_proto != proto || strncmp(rows[i].key.command, cmd, WL_CMD_LEN))
			continue;
		wl_cmd_stats_add(out, &rows[i].st);
		n++;
	}
	free(rows);
	return n;
}

int conv_stats_names(uint8_t proto, char (*names)[WL_CMD_LEN], int max)
{
	int fd = wl_map_cmd_stats_fd(harness()), n = 0;
	struct wl_cmd_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		int seen = 0;

		k = next;
		prev = &k;
		if (k.l7_proto != proto)
			continue;
		for (int i = 0; i < n; i++)
			seen |= !strncmp(names[i], k.command, WL_CMD_LEN);
		if (!seen && n < max)
			memcpy(names[n++], k.command, WL_CMD_LEN);
	}
	return n;
}
