// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The fuzzer's seeds from the shared captures (see seeds.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "tests/fuzz/seeds.h"
#include "maps/wirelens.h"

struct flow_id {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	int used;
	int sess;
};

static int default_port(int proto, uint16_t port)
{
	int v = 0;

	/* the registry's default ports */
#define PORT_OF(name, ENUM, id, flags, ...)                                                        \
	if (proto == id) {                                                                         \
		uint16_t ps[] = {__VA_ARGS__};                                                     \
		for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)                            \
			if (ps[i] == port)                                                         \
				v = 1;                                                             \
	}
	WL_L7_PROTOCOLS(PORT_OF)
#undef PORT_OF
	return v;
}

/* Adds the payload of one frame to its connection's session. */
static void seed_frame(struct corpus *c, struct flow_id *flows, int *nflows, int proto,
		       const uint8_t *p, size_t len)
{
	size_t off = 14, l4off, poff;
	uint16_t et;
	uint8_t l4, src[16] = {0}, dst[16] = {0};
	uint16_t sport, dport;
	int v6, from_server, i;
	struct session *s;

	if (len < 14)
		return;
	et = p[12] << 8 | p[13];
	while ((et == 0x8100 || et == 0x88a8) && off + 4 <= len) {
		et = p[off + 2] << 8 | p[off + 3];
		off += 4;
	}
	if (et == 0x0800 && off + 20 <= len) {
		v6 = 0;
		l4 = p[off + 9];
		memcpy(src, p + off + 12, 4);
		memcpy(dst, p + off + 16, 4);
		if ((p[off + 6] & 0x3f) || p[off + 7])
			return; /* fragments: not seeds */
		len = off + (p[off + 2] << 8 | p[off + 3]) < len
			      ? off + (p[off + 2] << 8 | p[off + 3])
			      : len;
		l4off = off + (p[off] & 15) * 4;
	} else if (et == 0x86dd && off + 40 <= len) {
		v6 = 1;
		l4 = p[off + 6];
		memcpy(src, p + off + 8, 16);
		memcpy(dst, p + off + 24, 16);
		l4off = off + 40;
	} else {
		return;
	}
	(void)v6;
	if (l4 == 6 && l4off + 20 <= len)
		poff = l4off + (p[l4off + 12] >> 4) * 4;
	else if (l4 == 17 && l4off + 8 <= len)
		poff = l4off + 8;
	else
		return;
	if (poff >= len)
		return;
	sport = p[l4off] << 8 | p[l4off + 1];
	dport = p[l4off + 2] << 8 | p[l4off + 3];
	from_server = default_port(proto, sport) || (!default_port(proto, dport) && sport < dport);
	for (i = 0; i < *nflows; i++) {
		struct flow_id *f = &flows[i];

		if ((!memcmp(f->a, src, 16) && !memcmp(f->b, dst, 16) && f->pa == sport &&
		     f->pb == dport) ||
		    (!memcmp(f->a, dst, 16) && !memcmp(f->b, src, 16) && f->pa == dport &&
		     f->pb == sport))
			break;
	}
	if (i == *nflows) {
		if (*nflows >= SESS_MAX || c->n >= SESS_MAX)
			return;
		memcpy(flows[i].a, src, 16);
		memcpy(flows[i].b, dst, 16);
		flows[i].pa = sport;
		flows[i].pb = dport;
		flows[i].sess = c->n++;
		(*nflows)++;
		c->s[flows[i].sess].udp = l4 == 17;
	}
	s = &c->s[flows[i].sess];
	if (s->n >= SESS_MSGS)
		return;
	s->m[s->n].from_server = from_server;
	s->m[s->n].len = len - poff > MSG_MAX ? MSG_MAX : len - poff;
	s->m[s->n].data = malloc(s->m[s->n].len);
	memcpy(s->m[s->n].data, p + poff, s->m[s->n].len);
	s->n++;
}

int seed_load(struct corpus *c, const char *dir, const char *name, int proto)
{
	static struct flow_id flows[SESS_MAX];
	char path[512], err[PCAP_ERRBUF_SIZE], cmd[600];
	FILE *ls;

	snprintf(cmd, sizeof(cmd), "ls %s/%s 2>/dev/null", dir, name);
	ls = popen(cmd, "r");
	if (!ls)
		return -1;
	while (fgets(path + 0, 256, ls)) {
		char file[768];
		struct pcap_pkthdr *h;
		const u_char *d;
		pcap_t *pc;
		int nflows = 0;

		path[strcspn(path, "\n")] = 0;
		snprintf(file, sizeof(file), "%s/%s/%s", dir, name, path);
		pc = pcap_open_offline(file, err);
		if (!pc)
			continue;
		if (pcap_datalink(pc) == DLT_EN10MB)
			while (pcap_next_ex(pc, &h, &d) == 1)
				seed_frame(c, flows, &nflows, proto, d, h->caplen);
		pcap_close(pc);
	}
	pclose(ls);
	/* sessions with nothing to parse are no seeds */
	for (int i = 0; i < c->n; i++)
		if (!c->s[i].n)
			c->s[i--] = c->s[--c->n];
	return c->n;
}
