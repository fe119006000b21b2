// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A second IPFIX consumer for the live tests, on libfixbuf's collecting side: listens on UDP
 * 127.0.0.1:PORT and prints one line per record, as it arrives (line-buffered):
 *   flow SRC SPORT DST DPORT PROTO PACKETS OCTETS END_REASON
 *   cmd PROTOCOL SERVER:PORT COMMAND REQUESTS RESPONSES ERRORS MISSES REQ_OCTETS RESP_OCTETS LAT_NS
 * The per-command elements are defined here from the documented numbers (README: private
 * enterprise 32473, elements 1-9), not taken from the exporter's code: the test checks the
 * documentation as much as the records.
 * usage: ipfix_print PORT
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fixbuf/public.h>

#define PEN 32473

#define IE(name, num, len, type)                                                                   \
	FB_IE_INIT_FULL(name, PEN, num, len, FB_IE_F_ENDIAN, 0, 0, type, NULL)
static fbInfoElement_t elements[] = {
	IE("wirelensL7Protocol", 1, FB_IE_VARLEN, FB_STRING),
	IE("wirelensCommand", 2, FB_IE_VARLEN, FB_STRING),
	IE("wirelensRequestDeltaCount", 3, 8, FB_UINT_64),
	IE("wirelensResponseDeltaCount", 4, 8, FB_UINT_64),
	IE("wirelensErrorDeltaCount", 5, 8, FB_UINT_64),
	IE("wirelensMissDeltaCount", 6, 8, FB_UINT_64),
	IE("wirelensRequestOctetDeltaCount", 7, 8, FB_UINT_64),
	IE("wirelensResponseOctetDeltaCount", 8, 8, FB_UINT_64),
	IE("wirelensLatencySumNanoseconds", 9, 8, FB_UINT_64),
	FB_IE_NULL,
};

struct flow {
	uint64_t packets, octets;
	uint8_t src6[16], dst6[16];
	uint32_t src4, dst4;
	uint16_t sport, dport;
	uint8_t proto, reason;
} __attribute__((packed));

static fbInfoElementSpec_t flow_spec[] = {
	{"packetDeltaCount", 8, 0},
	{"octetDeltaCount", 8, 0},
	{"sourceIPv6Address", 16, 0},
	{"destinationIPv6Address", 16, 0},
	{"sourceIPv4Address", 4, 0},
	{"destinationIPv4Address", 4, 0},
	{"sourceTransportPort", 2, 0},
	{"destinationTransportPort", 2, 0},
	{"protocolIdentifier", 1, 0},
	{"flowEndReason", 1, 0},
	FB_IESPEC_NULL,
};

struct cmd {
	uint64_t requests, responses, errors, misses, req_octets, resp_octets, latency;
	uint8_t dst6[16];
	uint32_t dst4;
	uint16_t dport;
	fbVarfield_t protocol, command;
} __attribute__((packed));

static fbInfoElementSpec_t cmd_spec[] = {
	{"wirelensRequestDeltaCount", 8, 0},
	{"wirelensResponseDeltaCount", 8, 0},
	{"wirelensErrorDeltaCount", 8, 0},
	{"wirelensMissDeltaCount", 8, 0},
	{"wirelensRequestOctetDeltaCount", 8, 0},
	{"wirelensResponseOctetDeltaCount", 8, 0},
	{"wirelensLatencySumNanoseconds", 8, 0},
	{"destinationIPv6Address", 16, 0},
	{"destinationIPv4Address", 4, 0},
	{"destinationTransportPort", 2, 0},
	{"wirelensL7Protocol", FB_IE_VARLEN, 0},
	{"wirelensCommand", FB_IE_VARLEN, 0},
	FB_IESPEC_NULL,
};

static fbInfoElementSpec_t is_cmd[] = {{"wirelensCommand", 0, 0}, FB_IESPEC_NULL};

enum { TID_FLOW = 0x400, TID_CMD };

static void addr(char *buf, size_t len, const uint8_t *v6, uint32_t v4)
{
	static const uint8_t zero[16];
	uint32_t n = htonl(v4);

	if (memcmp(v6, zero, 16))
		inet_ntop(AF_INET6, v6, buf, len);
	else
		inet_ntop(AF_INET, &n, buf, len);
}

static int die(const char *what, GError *err)
{
	fprintf(stderr, "ipfix_print: %s: %s\n", what, err ? err->message : "?");
	return 1;
}

int main(int argc, char **argv)
{
	fbConnSpec_t spec = FB_CONNSPEC_INIT;
	fbInfoModel_t *model = fbInfoModelAlloc();
	fbSession_t *s;
	fbListener_t *l;
	fbTemplate_t *t;
	GError *err = NULL;
	fBuf_t *buf;

	if (argc != 2) {
		fprintf(stderr, "usage: ipfix_print PORT\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fbInfoModelAddElementArray(model, elements);
	s = fbSessionAlloc(model);
	t = fbTemplateAlloc(model);
	if (!fbTemplateAppendSpecArray(t, flow_spec, 0, &err) ||
	    !fbSessionAddTemplate(s, TRUE, TID_FLOW, t, &err))
		return die("flow template", err);
	t = fbTemplateAlloc(model);
	if (!fbTemplateAppendSpecArray(t, cmd_spec, 0, &err) ||
	    !fbSessionAddTemplate(s, TRUE, TID_CMD, t, &err))
		return die("command template", err);
	spec.transport = FB_UDP;
	spec.host = "127.0.0.1";
	spec.svc = argv[1];
	l = fbListenerAlloc(&spec, s, NULL, NULL, &err);
	if (!l)
		return die("listen", err);
	fprintf(stderr, "ipfix_print: listening on 127.0.0.1:%s\n", argv[1]);
	buf = fbListenerWait(l, &err);
	if (!buf)
		return die("wait", err);
	for (;;) {
		uint16_t tid;
		fbTemplate_t *ext = fBufNextCollectionTemplate(buf, &tid, &err);
		char a[64], b[64];

		if (!ext) {
			if (g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM) ||
			    g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_NLREAD) ||
			    g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_TMPL)) {
				g_clear_error(&err);
				continue;
			}
			return die("read", err);
		}
		if (fbTemplateContainsAllElementsByName(ext, is_cmd)) {
			struct cmd c;
			size_t len = sizeof(c);

			if (!fBufSetInternalTemplate(buf, TID_CMD, &err) ||
			    !fBufNext(buf, (uint8_t *)&c, &len, &err)) {
				g_clear_error(&err);
				continue;
			}
			addr(a, sizeof(a), c.dst6, c.dst4);
			printf("cmd %.*s %s%s%s:%u %.*s %llu %llu %llu %llu %llu %llu %llu\n",
			       (int)c.protocol.len, c.protocol.buf, strchr(a, ':') ? "[" : "", a,
			       strchr(a, ':') ? "]" : "", c.dport, (int)c.command.len,
			       c.command.buf, (unsigned long long)c.requests,
			       (unsigned long long)c.responses, (unsigned long long)c.errors,
			       (unsigned long long)c.misses, (unsigned long long)c.req_octets,
			       (unsigned long long)c.resp_octets, (unsigned long long)c.latency);
		} else {
			struct flow f;
			size_t len = sizeof(f);

			if (!fBufSetInternalTemplate(buf, TID_FLOW, &err) ||
			    !fBufNext(buf, (uint8_t *)&f, &len, &err)) {
				g_clear_error(&err);
				continue;
			}
			addr(a, sizeof(a), f.src6, f.src4);
			addr(b, sizeof(b), f.dst6, f.dst4);
			printf("flow %s %u %s %u %u %llu %llu %u\n", a, f.sport, b, f.dport,
			       f.proto, (unsigned long long)f.packets, (unsigned long long)f.octets,
			       f.reason);
		}
	}
}
