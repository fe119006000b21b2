// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Capture files as Ethernet frames (libpcap). See capture.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "capture.h"

#define ETH_HLEN      14
#define ETHERTYPE_IP  0x0800
#define ETHERTYPE_IP6 0x86DD
#define FRAME_CAP     (256 * 1024)

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

struct wl_capture {
	pcap_t *pc;
	int dlt;
	uint8_t *repaired; /* the file in memory when its header had to be repaired */
	uint8_t frame[FRAME_CAP];
};

static const char *dlt_name(int dlt)
{
	/* tshark's name of the first layer in frame.protocols (what EXPECTED.tsv counts) */
	switch (dlt) {
	case DLT_EN10MB:
		return "eth";
	case DLT_NULL:
		return "null";
	case DLT_LOOP:
		return "loop";
	case DLT_LINUX_SLL:
		return "sll";
	case DLT_LINUX_SLL2:
		return "sll2";
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return "raw";
	default:
		return "other";
	}
}

static uint16_t ethertype_of_ip_version(const uint8_t *l3, size_t len)
{
	if (len < 1)
		return 0;
	switch (l3[0] >> 4) {
	case 4:
		return ETHERTYPE_IP;
	case 6:
		return ETHERTYPE_IP6;
	default:
		return 0;
	}
}

/*
 * Turns one captured record into an Ethernet frame in out (capacity FRAME_CAP). Returns the
 * frame length, 0 if the record cannot be made into one. Ethernet is copied as is; the others
 * get a synthetic Ethernet header (locally administered MACs 02:00:00:00:00:01 -> :02) whose
 * ethertype says what the pseudo-header said:
 *  - DLT_NULL (BSD loopback): 4-byte address family in the capturing host's byte order, so
 *    either order is accepted; AF_INET is 2 everywhere, AF_INET6 is 10 (Linux), 24 (NetBSD,
 *    OpenBSD), 28 (FreeBSD), 30 (Darwin). Anything else: taken from the IP version nibble.
 *  - DLT_LOOP (OpenBSD loopback): the same family, in network byte order.
 *  - DLT_LINUX_SLL: 16-byte cooked header, protocol (ethertype) in its last 2 bytes.
 *  - DLT_LINUX_SLL2: 20-byte cooked header, protocol (ethertype) in its first 2 bytes.
 *    On both, libpcap writes a VLAN tag the kernel had taken off back in front of the
 *    payload with protocol 0x8100, so the synthetic header keeps the tag.
 *  - raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6): no header, ethertype from the IP version nibble.
 */
static size_t to_ethernet(int dlt, const uint8_t *rec, size_t len, uint8_t *out, bool *rewritten)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	uint16_t type = 0;
	size_t hdr = 0;

	*rewritten = dlt != DLT_EN10MB;
	switch (dlt) {
	case DLT_EN10MB:
		if (len > FRAME_CAP)
			return 0;
		memcpy(out, rec, len);
		return len;
	case DLT_NULL:
	case DLT_LOOP: {
		uint32_t af;

		hdr = 4;
		if (len < hdr)
			return 0;
		memcpy(&af, rec, 4);
		if (dlt == DLT_LOOP)
			af = ntohl(af);
		else if (af > 0xffff) /* written by a host of the other byte order */
			af = __builtin_bswap32(af);
		if (af == 2)
			type = ETHERTYPE_IP;
		else if (af == 10 || af == 24 || af == 28 || af == 30)
			type = ETHERTYPE_IP6;
		else
			type = ethertype_of_ip_version(rec + hdr, len - hdr);
		break;
	}
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2: {
		const uint8_t *proto = dlt == DLT_LINUX_SLL ? rec + 14 : rec;

		hdr = dlt == DLT_LINUX_SLL ? 16 : 20;
		if (len < hdr)
			return 0;
		type = (uint16_t)proto[0] << 8 | proto[1];
		break;
	}
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		type = ethertype_of_ip_version(rec, len);
		break;
	default:
		return 0;
	}
	if (!type || len - hdr + ETH_HLEN > FRAME_CAP)
		return 0;
	memcpy(out, macs, 12);
	out[12] = type >> 8;
	out[13] = type & 0xff;
	memcpy(out + ETH_HLEN, rec + hdr, len - hdr);
	return len - hdr + ETH_HLEN;
}

static bool dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

/*
 * pcap_open_offline, plus one repair: a pcap file header whose version field is written in the
 * other byte order than its magic (0x0200.0x0400 read as 512.1024: memcached-userdata.pcap).
 * libpcap refuses it ("unsupported pcap savefile version"); Wireshark's wiretap reads it. The
 * records are standard, so the header is fixed in a copy in memory and read from there.
 */
static pcap_t *open_capture(const char *path, char *err, uint8_t **repaired)
{
	static const uint8_t le_magic[2][4] = {{0xd4, 0xc3, 0xb2, 0xa1}, {0x4d, 0x3c, 0xb2, 0xa1}};
	static const uint8_t be_magic[2][4] = {{0xa1, 0xb2, 0xc3, 0xd4}, {0xa1, 0xb2, 0x3c, 0x4d}};
	static const uint8_t le_ver[4] = {2, 0, 4, 0}, be_ver[4] = {0, 2, 0, 4};
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	uint8_t *buf = NULL;
	long len = 0;
	FILE *fp, *mem;
	int le = 0, be = 0;

	*repaired = NULL;
	if (pc)
		return pc;
	fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) || (len = ftell(fp)) < 24) {
		fclose(fp);
		return NULL;
	}
	rewind(fp);
	buf = malloc(len);
	if (!buf || fread(buf, 1, len, fp) != (size_t)len) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	for (int i = 0; i < 2; i++) {
		le |= !memcmp(buf, le_magic[i], 4);
		be |= !memcmp(buf, be_magic[i], 4);
	}
	if (le && !memcmp(buf + 4, be_ver, 4))
		memcpy(buf + 4, le_ver, 4);
	else if (be && !memcmp(buf + 4, le_ver, 4))
		memcpy(buf + 4, be_ver, 4);
	else {
		free(buf);
		return NULL; /* not that defect: keep libpcap's message */
	}
	mem = fmemopen(buf, len, "rb");
	if (!mem) {
		free(buf);
		return NULL;
	}
	pc = pcap_fopen_offline_with_tstamp_precision(mem, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc) { /* pcap_fopen_offline closes mem only when it succeeds */
		fclose(mem);
		free(buf);
		return NULL;
	}
	*repaired = buf; /* freed after pcap_close */
	return pc;
}

struct wl_capture *wl_capture_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct wl_capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return NULL;
	}
	c->pc = open_capture(path, perr, &c->repaired);
	if (!c->pc) {
		/* libpcap names the file in some messages and not in others */
		if (strstr(perr, path))
			snprintf(err, errlen, "%s", perr);
		else
			snprintf(err, errlen, "%s: %s", path, perr[0] ? perr : "cannot read");
		free(c);
		return NULL;
	}
	c->dlt = pcap_datalink(c->pc);
	if (!dlt_supported(c->dlt)) {
		const char *name = pcap_datalink_val_to_name(c->dlt);

		snprintf(err, errlen,
			 "%s: link type %d (%s) is not supported (Ethernet, Linux cooked SLL/SLL2, "
			 "BSD loopback, raw IP)",
			 path, c->dlt, name ? name : "unknown");
		wl_capture_close(c);
		return NULL;
	}
	return c;
}

void wl_capture_close(struct wl_capture *c)
{
	if (!c)
		return;
	if (c->pc)
		pcap_close(c->pc);
	free(c->repaired);
	free(c);
}

const char *wl_capture_linktype(const struct wl_capture *c)
{
	return dlt_name(c->dlt);
}

int wl_capture_dlt(const struct wl_capture *c)
{
	return c->dlt;
}

int wl_capture_next(struct wl_capture *c, struct wl_capture_frame *f, char *err, size_t errlen)
{
	struct pcap_pkthdr *ph;
	const u_char *rec;
	int rc = pcap_next_ex(c->pc, &ph, &rec);

	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		snprintf(err, errlen, "%s", pcap_geterr(c->pc));
		return -1;
	}
	/* caplen: what was captured. Some records claim a larger orig_len with complete data;
	 * padding up to it would invent bytes. */
	f->len = to_ethernet(c->dlt, rec, ph->caplen, c->frame, &f->rewritten);
	if (f->len < ETH_HLEN)
		f->len = 0;
	f->data = c->frame;
	/* nanosecond precision was asked for at open: tv_usec holds nanoseconds */
	f->ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000ULL + (uint64_t)ph->ts.tv_usec;
	return 1;
}
