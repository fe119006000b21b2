// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Capture replay through BPF_PROG_TEST_RUN, and the EXPECTED.tsv reader. See pcap_replay.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "pcap_replay.h"

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

const char *wl_pcap_dir(void)
{
	const char *d = getenv("WL_PCAP_DIR");

	return d && *d ? d : WL_PCAP_DIR_DEFAULT;
}

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
 *  - raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6): no header, ethertype from the IP version nibble.
 */
static size_t to_ethernet(int dlt, const uint8_t *rec, size_t len, uint8_t *out, int *rewritten)
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
		hdr = 16;
		if (len < hdr)
			return 0;
		type = (uint16_t)rec[14] << 8 | rec[15];
		break;
	case DLT_LINUX_SLL2:
		hdr = 20;
		if (len < hdr)
			return 0;
		type = (uint16_t)rec[0] << 8 | rec[1];
		break;
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

/* What a frame the TC program could not run carried, so the caller can account for it: the
 * ethertype after up to two VLAN tags, and whether the IP header says fragment (IPv4 MF or
 * offset; IPv6 a Fragment header right after the fixed header). Nothing deeper. */
static void peek_skipped(const uint8_t *f, size_t len, struct wl_replay_stats *st)
{
	size_t off = 12;
	uint16_t type;
	int tags = 0;

	st->too_big++;
	if (len < off + 2)
		return;
	type = (uint16_t)f[off] << 8 | f[off + 1];
	while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 2 && len >= off + 6) {
		off += 4;
		tags++;
		type = (uint16_t)f[off] << 8 | f[off + 1];
	}
	off += 2;
	st->too_big_vlan += tags > 0;
	st->too_big_qinq += tags > 1;
	if (type == ETHERTYPE_IP && len >= off + 20) {
		st->too_big_ipv4++;
		if (((uint16_t)f[off + 6] << 8 | f[off + 7]) & 0x3fff)
			st->too_big_frag_v4++;
	} else if (type == ETHERTYPE_IP6 && len >= off + 40) {
		st->too_big_ipv6++;
		if (f[off + 6] == 44)
			st->too_big_frag_v6++;
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
	pcap_t *pc = pcap_open_offline(path, err);
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *fp, *mem;
	int le = 0, be = 0;

	*repaired = NULL;
	if (pc)
		return pc;
	fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, fp) != len || len < 24) {
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
	pc = pcap_fopen_offline(mem, err); /* closes mem on pcap_close */
	if (!pc) {
		fclose(mem);
		free(buf);
		return NULL;
	}
	*repaired = buf; /* freed by the caller after pcap_close */
	fprintf(stderr, "pcap: %s: file header version byte-swapped, repaired in memory\n", path);
	return pc;
}

int wl_pcap_replay(const char *path, enum wl_hook hook, struct wl_replay_stats *out)
{
	static uint8_t frame[FRAME_CAP];
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *rec;
	uint32_t tc_max = wl_tc_test_run_max();
	uint8_t *repaired;
	pcap_t *pc;
	int rc;

	memset(out, 0, sizeof(*out));
	pc = open_capture(path, err, &repaired);
	if (!pc) {
		fprintf(stderr, "pcap: %s: %s\n", path, err);
		return -1;
	}
	out->dlt = pcap_datalink(pc);
	snprintf(out->linktype, sizeof(out->linktype), "%s", dlt_name(out->dlt));
	while ((rc = pcap_next_ex(pc, &ph, &rec)) == 1) {
		int rewritten;
		size_t len;
		int ret;

		out->frames++;
		/* caplen: what was captured. Some records claim a larger orig_len with complete
		 * data (see SOURCES.md); padding up to it would invent bytes. */
		len = to_ethernet(out->dlt, rec, ph->caplen, frame, &rewritten);
		if (len < ETH_HLEN) {
			out->unsupported++;
			continue;
		}
		out->rewritten += rewritten;
		if (hook == HOOK_TC && len > tc_max) {
			peek_skipped(frame, len, out);
			continue;
		}
		ret = harness_run(hook, frame, len, NULL);
		if (ret < 0) {
			out->run_errors++;
			fprintf(stderr, "pcap: %s frame %llu (%zu B): %s test_run: %s\n", path,
				(unsigned long long)out->frames, len, hook_names[hook],
				strerror(-ret));
			continue;
		}
		out->run++;
		if (len > out->max_len)
			out->max_len = len;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pcap: %s: %s\n", path, pcap_geterr(pc));
		pcap_close(pc);
		free(repaired);
		return -1;
	}
	pcap_close(pc);
	free(repaired);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_capture(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".pcap")) ||
	       (n > 7 && !strcmp(name + n - 7, ".pcapng")) ||
	       (n > 4 && !strcmp(name + n - 4, ".cap"));
}

int wl_pcap_list(const char *dir, char ***list)
{
	char **v = NULL, sub[4096];
	int n = 0, cap = 0;
	struct dirent *de, *fe;
	DIR *d, *f;

	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		f = opendir(sub);
		if (!f)
			continue;
		while ((fe = readdir(f))) {
			if (!is_capture(fe->d_name))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					abort();
			}
			if (asprintf(&v[n], "%s/%s", de->d_name, fe->d_name) < 0)
				abort();
			n++;
		}
		closedir(f);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*list = v;
	return n;
}

void wl_pcap_list_free(char **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int wl_expected_load(const char *dir, struct wl_expected_row **rows)
{
	struct wl_expected_row *v = NULL;
	char path[4096], line[1024];
	int n = 0, cap = 0, lineno = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/EXPECTED.tsv", dir);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		char *f[5], *save = NULL, *tok = line;
		int nf = 0;

		line[strcspn(line, "\r\n")] = 0;
		if (lineno++ == 0 || !*line) /* header */
			continue;
		while (nf < 5 && (f[nf] = strtok_r(tok, "\t", &save))) {
			tok = NULL;
			nf++;
		}
		if (nf != 5) {
			fprintf(stderr, "%s:%d: expected 5 tab-separated fields\n", path, lineno);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		snprintf(v[n].file, sizeof(v[n].file), "%s", f[0]);
		snprintf(v[n].protocol, sizeof(v[n].protocol), "%s", f[1]);
		snprintf(v[n].metric, sizeof(v[n].metric), "%s", f[2]);
		snprintf(v[n].key, sizeof(v[n].key), "%s", f[3]);
		v[n].value = strtoull(f[4], NULL, 10);
		n++;
	}
	fclose(fp);
	*rows = v;
	return n;
}
