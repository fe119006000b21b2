// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <string.h>

#include "pktbuild.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static size_t ext_len(uint8_t type)
{
	return type == 44 ? 8 : 8; /* every extension we build is 8 bytes */
}

size_t pkt_build_layout(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lo)
{
	static const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x02}, smac[6] = {0x02, 0, 0, 0, 0, 0x01};
	size_t off = 0, l3, l4, l4len, iphl;
	uint16_t ethertype = s->ethertype ? s->ethertype : (s->family == 6 ? 0x86DD : 0x0800);
	uint8_t l4hdr[60] = {0};
	size_t l4hl = 0;
	bool with_l4 = !(s->frag && s->frag_no_l4);

	memset(buf, 0, cap < 128 ? cap : 128);
	if (cap < 14 + 4 * 4 + 40 + 64 + 60 + s->payload_len)
		return 0;
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	off = 12;
	for (int i = 0; i < s->nvlan; i++) {
		uint16_t tpid = s->vlan_tpid[i] ? s->vlan_tpid[i]
						: (s->nvlan > 1 && i == 0 ? 0x88A8 : 0x8100);

		put16(buf + off, tpid);
		put16(buf + off + 2, s->vlan_id[i] & 0x0fff);
		off += 4;
	}
	put16(buf + off, ethertype);
	off += 2;
	l3 = off;

	/* L4 header first, to know lengths. */
	if (with_l4) {
		switch (s->l4) {
		case 6:
			l4hl = 20;
			put16(l4hdr, s->sport);
			put16(l4hdr + 2, s->dport);
			put32(l4hdr + 4, s->seq);
			put32(l4hdr + 8, s->ack);
			l4hdr[12] = (s->doff_override ? s->doff_override : 5) << 4;
			l4hdr[13] = s->tcp_flags;
			put16(l4hdr + 14, 65535);
			break;
		case 17:
			l4hl = 8;
			put16(l4hdr, s->sport);
			put16(l4hdr + 2, s->dport);
			put16(l4hdr + 4, 8 + s->payload_len);
			break;
		case 1:
		case 58:
			l4hl = 8;
			l4hdr[0] = s->icmp_type;
			l4hdr[1] = s->icmp_code;
			put16(l4hdr + 4, s->icmp_id);
			put16(l4hdr + 6, 1);
			break;
		default:
			l4hl = 0;
		}
	}
	l4len = l4hl + s->payload_len;

	if (s->family == 4) {
		size_t opt = s->ipv4_opt_len;

		iphl = 20 + opt;
		buf[l3] = (s->ip_version_override ? s->ip_version_override : 4) << 4 |
			  (s->ihl_override ? s->ihl_override : (int)(iphl / 4));
		put16(buf + l3 + 2, iphl + l4len);
		put16(buf + l3 + 4, s->frag_id);
		if (s->frag)
			put16(buf + l3 + 6, (s->frag_mf ? 0x2000 : 0) | (s->frag_offset8 & 0x1fff));
		buf[l3 + 8] = s->ttl ? s->ttl : 64;
		buf[l3 + 9] = s->l4;
		inet_pton(AF_INET, s->src, buf + l3 + 12);
		inet_pton(AF_INET, s->dst, buf + l3 + 16);
		for (size_t i = 0; i < opt; i++)
			buf[l3 + 20 + i] = 1; /* NOP options */
		put16(buf + l3 + 10, csum_fold(csum_add(0, buf + l3, iphl)));
		l4 = l3 + iphl;
	} else {
		size_t ext_total = 0;
		uint8_t *ip6 = buf + l3;
		size_t p;
		int n = s->n_ipv6_ext;
		bool fraghdr_needed = s->frag;
		uint8_t chain[10];
		int nchain = 0;

		for (int i = 0; i < n; i++)
			chain[nchain++] = s->ipv6_ext[i];
		if (fraghdr_needed)
			chain[nchain++] = 44;
		for (int i = 0; i < nchain; i++)
			ext_total += ext_len(chain[i]);
		ip6[0] = (s->ip_version_override ? s->ip_version_override : 6) << 4;
		put16(ip6 + 4, ext_total + l4len);
		ip6[6] = nchain ? chain[0] : s->l4;
		ip6[7] = s->ttl ? s->ttl : 64;
		inet_pton(AF_INET6, s->src, ip6 + 8);
		inet_pton(AF_INET6, s->dst, ip6 + 24);
		p = l3 + 40;
		for (int i = 0; i < nchain; i++) {
			uint8_t next = i + 1 < nchain ? chain[i + 1] : s->l4;

			if (i + 1 == nchain && s->ipv6_next_override)
				next = s->ipv6_next_override;
			buf[p] = next;
			if (chain[i] == 44) {
				buf[p + 1] = 0;
				put16(buf + p + 2, (s->frag_offset8 << 3) | (s->frag_mf ? 1 : 0));
				put32(buf + p + 4, s->frag_id);
			} else if (chain[i] == 51) {
				buf[p + 1] = 0; /* (0 + 2) * 4 = 8 bytes */
			} else {
				buf[p + 1] = 0; /* (0 + 1) * 8 = 8 bytes */
				buf[p + 2] = 1; /* PadN */
				buf[p + 3] = 4;
			}
			p += ext_len(chain[i]);
		}
		if (!nchain && s->ipv6_next_override)
			ip6[6] = s->ipv6_next_override;
		iphl = p - l3;
		l4 = p;
	}
	memcpy(buf + l4, l4hdr, l4hl);
	if (s->payload_len)
		memcpy(buf + l4 + l4hl, s->payload, s->payload_len);
	off = l4 + l4len;
	if (lo) {
		lo->l3 = l3;
		lo->l4 = l4;
		lo->payload = l4 + l4hl;
		lo->len = off;
	}
	(void)iphl;
	return off;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	return pkt_build_layout(s, buf, cap, NULL);
}
