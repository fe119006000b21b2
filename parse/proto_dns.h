/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DNS over UDP (one message per datagram) and over TCP (each message after a 2-byte length,
 * several per segment, cut anywhere). The fixed header (and the TCP length) is gathered in
 * d->hdr across segment boundaries; a query's first QNAME is walked label by label (bounded:
 * 255 bytes, no compression pointer in a question) to reach its QTYPE, which names the command;
 * the rest of every message is skipped by length. Responses are matched to queries by
 * (connection, id) through wl_aux: on UDP the "connection" is client addr:port <-> server:53.
 * A response is an error when its RCODE is not NOERROR (NXDOMAIN included, as unbound's
 * num.answer.rcode.* counts it) and a miss when it is NODATA (NOERROR, no answer, not
 * truncated: unbound's num.answer.rcode.nodata). A truncated (TC) response is a response.
 */
#ifndef WL_PARSE_PROTO_DNS_H
#define WL_PARSE_PROTO_DNS_H

#include "l7.h"

#define WL_DNS_HDR	  12  /* id, flags, qdcount, ancount, nscount, arcount */
#define WL_DNS_QNAME_MAX  255 /* RFC 1035 2.3.4 */
#define WL_DNS_LABELS_MAX 127

enum wl_dns_state {
	DN_HDR = 0, /* gathering the (length and) fixed header */
	DN_QLABEL,  /* query: at a label length byte of the first QNAME */
	DN_QSKIP,   /* query: skipping a label */
	DN_QTYPE,   /* query: gathering QTYPE */
	DN_BODY,    /* skipping the rest of the message */
	DN_RESYNC = WL_L7_RESYNC,
};

#define WL_DIR_NODATA WL_DIR_P0 /* response: NOERROR without an answer (a miss) */

struct wl_dns_dir {
	__u32 msg_len;	 /* the whole message, with the TCP length */
	__u16 qname_len; /* QNAME bytes so far */
	__u16 labels;
	__u16 id; /* query id */
};
_Static_assert(sizeof(struct wl_dns_dir) <= WL_L7_PRIV_MAX, "DNS state fits in priv");
#define DN(d) ((struct wl_dns_dir *)(d)->priv)

/* QTYPE mnemonics as unbound's num.query.type.* spells them (sldns), by a compact index
 * (wl_dns_type_index). 128 rows so that a masked index is provably inside. Empty: OTHER. */
static const char wl_dns_type_names[128][WL_CMD_LEN] = {
	"",
	"A",
	"NS",
	"MD",
	"MF",
	"CNAME",
	"SOA",
	"MB",
	"MG",
	"MR",
	"NULL",
	"WKS",
	"PTR",
	"HINFO",
	"MINFO",
	"MX",
	"TXT",
	"RP",
	"AFSDB",
	"X25",
	"ISDN",
	"RT",
	"NSAP",
	"NSAP-PTR",
	"SIG",
	"KEY",
	"PX",
	"GPOS",
	"AAAA",
	"LOC",
	"NXT",
	"EID",
	"NIMLOC",
	"SRV",
	"ATMA",
	"NAPTR",
	"KX",
	"CERT",
	"A6",
	"DNAME",
	"SINK",
	"OPT",
	"APL",
	"DS",
	"SSHFP",
	"IPSECKEY",
	"RRSIG",
	"NSEC",
	"DNSKEY",
	"DHCID",
	"NSEC3",
	"NSEC3PARAM",
	"TLSA",
	"SMIMEA",
	"",
	"HIP",
	"NINFO",
	"RKEY",
	"TALINK",
	"CDS",
	"CDNSKEY",
	"OPENPGPKEY",
	"CSYNC",
	"ZONEMD",
	"SVCB",
	"HTTPS",
	/* 66: 99.. */
	"SPF",
	"UINFO",
	"UID",
	"GID",
	"UNSPEC",
	"NID",
	"L32",
	"L64",
	"LP",
	"EUI48",
	"EUI64",
	/* 77: 249.. */
	"TKEY",
	"TSIG",
	"IXFR",
	"AXFR",
	"MAILB",
	"MAILA",
	"ANY",
	"URI",
	"CAA",
	/* 86: 32768.. */
	"TA",
	"DLV",
};

static __always_inline __u32 wl_dns_type_index(__u32 t)
{
	if (t <= 65)
		return t;
	if (t >= 99 && t <= 109)
		return t - 99 + 66;
	if (t >= 249 && t <= 257)
		return t - 249 + 77;
	if (t == 32768 || t == 32769)
		return t - 32768 + 86;
	return 0;
}

/* Back to a message boundary. */
static __always_inline void wl_dns_reset(struct wl_l7_dir *d)
{
	wl_l7_msg_reset(d);
	DN(d)->qname_len = 0;
	DN(d)->labels = 0;
}

static __always_inline long wl_dns_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	wl_dns_reset(d);
	return wl_l7_malformed(w, d);
}

/* The rest of the message is skipped. */
static __always_inline long wl_dns_to_body(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	if (d->msg_bytes > DN(d)->msg_len)
		return wl_dns_malformed(w, d); /* the question runs past the message */
	d->body_left = DN(d)->msg_len - d->msg_bytes;
	d->state = DN_BODY;
	return 0;
}

/* The fixed header is in d->hdr (after the TCP length, base 2, or at 0 on UDP). */
static __always_inline long wl_dns_hdr_done(struct wl_l7_walk *w, struct wl_l7_dir *d, int resp,
					    __u32 base)
{
	__u8 *h = &d->hdr[base & 2];
	__u16 id = wl_be16(&h[0]), fl = wl_be16(&h[2]), qd = wl_be16(&h[4]);
	__u16 an = wl_be16(&h[6]);
	__u64 lat = 0;

	if (base) {
		__u32 len = wl_be16(&d->hdr[0]);

		if (len < WL_DNS_HDR)
			return wl_dns_malformed(w, d);
		DN(d)->msg_len = len + 2;
	}
	if (!!(fl & 0x8000) != !!resp || ((fl >> 11) & 0xf) > 6)
		return wl_dns_malformed(w, d); /* QR against the direction, unknown opcode */
	DN(d)->id = id;
	if (resp) {
		__u16 rcode = fl & 0xf;

		d->cur_id = wl_pending_take(w, id, &lat);
		d->msg_ts_ns = lat;
		if (rcode)
			d->flags |= WL_DIR_ERROR;
		else if (!an && !(fl & 0x0200))
			d->flags |= WL_DIR_NODATA;
		return wl_dns_to_body(w, d);
	}
	if (!qd) {
		__u16 flags;

		d->cur_id = wl_cmd_lookup(w, wl_dns_type_names[0], &flags); /* OTHER */
		return wl_dns_to_body(w, d);
	}
	d->state = DN_QLABEL;
	return 0;
}

static __always_inline void wl_dns_emit(struct wl_l7_walk *w, struct wl_l7_dir *d, int resp,
					__u32 bytes)
{
	if (resp)
		wl_emit_response(w, d->cur_id, d->msg_ts_ns, d->flags & WL_DIR_ERROR,
				 d->flags & WL_DIR_NODATA, bytes);
	else {
		/* pending only once the query is whole: one cut or broken after its question is
		 * not counted, so neither may its answer be (the fuzzer found answers > queries) */
		wl_pending_put(w, DN(d)->id, d->cur_id);
		wl_emit_request(w, d->cur_id, bytes);
	}
	wl_dns_reset(d);
}

static __always_inline long wl_dns_step(struct wl_l7_walk *w, int resp)
{
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;
	__u32 base = s->job.is_tcp ? 2 : 0;

	switch (d->state) {
	case DN_HDR:
		if (!wl_l7_hdr_take(w, d, base + WL_DNS_HDR))
			return 1;
		if (wl_dns_hdr_done(w, d, resp, base))
			return 1;
		break;
	case DN_QLABEL: {
		__u8 c;

		if (!wl_win_avail(w))
			return 1;
		c = wl_win_byte(w);
		s->off++;
		d->msg_bytes++;
		if (c == 0) {
			d->state = DN_QTYPE;
			break;
		}
		if (c > 63) /* a compression pointer cannot point before the first name */
			return wl_dns_malformed(w, d);
		DN(d)->qname_len += c + 1;
		DN(d)->labels++;
		if (DN(d)->qname_len >= WL_DNS_QNAME_MAX || DN(d)->labels > WL_DNS_LABELS_MAX ||
		    d->msg_bytes + c > DN(d)->msg_len)
			return wl_dns_malformed(w, d);
		d->body_left = c;
		d->state = DN_QSKIP;
		break;
	}
	case DN_QSKIP:
		if (!wl_l7_body_skip(w, d))
			return 1;
		d->state = DN_QLABEL;
		break;
	case DN_QTYPE: {
		__u32 at = base + WL_DNS_HDR;
		__u16 flags;

		if (!wl_l7_hdr_take(w, d, at + 2))
			return 1;
		d->cur_id = wl_cmd_lookup(
			w, wl_dns_type_names[wl_dns_type_index(wl_be16(&d->hdr[at & 15])) & 127],
			&flags);
		if (wl_dns_to_body(w, d))
			return 1;
		break;
	}
	case DN_BODY:
		if (!wl_l7_body_skip(w, d))
			return 1;
		wl_dns_emit(w, d, resp, d->msg_bytes);
		break;
	default:
		return 1;
	}
	return s->off >= s->end;
}

WL_L7_STEP_CBS(wl_dns_req_step, wl_dns_resp_step, wl_dns_step)

/*
 * TCP that lost sync (joined mid-stream, or a gap): a segment restarts the stream when it
 * begins with a plausible message: a query with one question and nothing else but EDNS, or a
 * response whose id is pending on this connection.
 */
static __always_inline void wl_dns_resync(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u8 *b = w->s->buf;
	int ok = 0;

	if (d->state != DN_RESYNC)
		return;
	if (wl_win_avail(w) >= 2 + WL_DNS_HDR) {
		__u16 len = wl_be16(&b[0]), fl = wl_be16(&b[4]);
		__u16 qd = wl_be16(&b[6]), an = wl_be16(&b[8]), ns = wl_be16(&b[10]);
		__u16 ar = wl_be16(&b[12]);

		if (!w->s->job.dir)
			ok = len >= WL_DNS_HDR + 5 && !(fl & 0xf800) && qd == 1 && !an && !ns &&
			     ar <= 2;
		else
			ok = len >= WL_DNS_HDR && (fl & 0x8000) &&
			     wl_aux_get(w, WL_AUX_PENDING, wl_be16(&b[2]));
	}
	if (ok)
		wl_dns_reset(d);
	else
		w->cnt->l7_resync_skip++;
}

static __always_inline void wl_dns_parse(struct wl_l7_walk *w)
{
	struct wl_l7_dir *d = w->d;

	__u32 have = w->s->end - w->s->off;
	int frag = 0;

	if (!w->s->job.is_tcp) {
		/* one message per datagram: its length is the datagram's (of which a first IP
		 * fragment holds the start: header and question, what DNS needs) */
		wl_dns_reset(d);
		frag = w->s->job.dgram_len > have;
		DN(d)->msg_len = frag ? w->s->job.dgram_len : have;
	}
	wl_dns_resync(w, d);
	if (d->state == DN_RESYNC)
		return;
	if (w->s->job.dir)
		bpf_loop(WL_L7_STEPS_MAX, wl_dns_resp_step, w, 0);
	else
		bpf_loop(WL_L7_STEPS_MAX, wl_dns_req_step, w, 0);
	if (w->s->job.is_tcp)
		return;
	if (frag && d->state == DN_BODY)
		wl_dns_emit(w, d, w->s->job.dir,
			    DN(d)->msg_len); /* the rest is in later fragments */
	else if ((d->state != DN_HDR || d->hdr_len) && d->state != DN_RESYNC)
		w->cnt->l7_malformed++; /* a datagram shorter than its message */
}

/* Content sniffing (TCP only: the engine sniffs TCP): one whole query in the segment, its
 * length prefix equal to the rest, one question, no answer or authority records. */
static __always_inline int wl_dns_sniff(const __u8 *h, __u32 len)
{
	__u8 b0 = h[0], b1 = h[1], b4 = h[4], b6 = h[6], b7 = h[7], b8 = h[8], b9 = h[9];
	__u8 b10 = h[10], b11 = h[11], b12 = h[12], b13 = h[13];
	__u32 mlen = ((__u32)b0 << 8) | b1;

	if (len < 2 + WL_DNS_HDR + 5 || mlen + 2 != len)
		return 0;
	if (b4 & 0xf8) /* QR = 0, opcode QUERY */
		return 0;
	return b6 == 0 && b7 == 1 && !b8 && !b9 && !b10 && !b11 && b12 == 0 && b13 <= 1;
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? */
static __always_inline int wl_dns_open(const struct wl_l7_dir *d, int dir)
{
	(void)dir;
	return wl_l7_open_std(d);
}

#endif /* WL_PARSE_PROTO_DNS_H */
