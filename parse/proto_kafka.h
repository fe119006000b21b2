/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kafka: every message is an int32 (big-endian) length then that many bytes.
 *  Requests:  length, api_key int16, api_version int16, correlation_id int32, client_id, ...
 *  Responses: length, correlation_id int32, [tagged fields (flexible header v1)], body
 * Only the fixed part of each header is read (into d->hdr, across segment boundaries); bodies
 * of any size are skipped by length. Responses are matched to requests by correlation id
 * (wl_aux, which also remembers the request's api_key and version). A response is an error when
 * its top-level error_code, for the APIs that have one at a fixed place, is not zero.
 */
#ifndef WL_PARSE_PROTO_KAFKA_H
#define WL_PARSE_PROTO_KAFKA_H

#include "l7.h"
#include "kafka_apis.h"

#define WL_KAFKA_LEN_MAX  (1u << 30) /* larger lengths are malformed (brokers cap at 100 MiB) */
#define WL_KAFKA_API_MAX  80	     /* api keys 0..79; larger ones are malformed */
#define WL_KAFKA_VER_MAX  63	     /* api versions 0..63 */
#define WL_KAFKA_REQ_HDR  12	     /* length, api_key, api_version, correlation_id */
#define WL_KAFKA_RESP_HDR 8	     /* length, correlation_id */

enum wl_kafka_state {
	KF_HDR = 0, /* gathering the fixed header (d->hdr) */
	KF_ERR,	    /* response: gathering up to the error_code */
	KF_BODY,    /* skipping the rest of the message */
	KF_RESYNC = WL_L7_RESYNC,
};

struct wl_kafka_dir {
	__u32 need;   /* response: header bytes up to and including the error_code (0: none) */
	__u32 corr;   /* request: correlation id of the request being read */
	__u32 apiver; /* request: its api_key << 16 | api_version */
};
_Static_assert(sizeof(struct wl_kafka_dir) <= WL_L7_PRIV_MAX, "Kafka state fits in priv");
#define KF(d) ((struct wl_kafka_dir *)(d)->priv)

/* API names by api_key (parse/kafka_apis.h), NUL-padded to WL_CMD_LEN. 128 rows so that an
 * index masked with 127 is provably inside for the verifier. */
static const char wl_kafka_api_names[128][WL_CMD_LEN] = {WL_KAFKA_API_NAMES};

/* First version whose response header is v1 (flexible: tagged fields after the correlation id).
 * ApiVersions is the exception: its response header is always v0. 0xff: never. */
static __always_inline __u32 wl_kafka_flexible_from(__u32 api)
{
	switch (api) {
	case 0:
		return 9; /* Produce */
	case 1:
		return 12; /* Fetch */
	case 10:
		return 3; /* FindCoordinator */
	case 11:
		return 6; /* JoinGroup */
	case 12:
		return 4; /* Heartbeat */
	case 13:
		return 4; /* LeaveGroup */
	case 14:
		return 4; /* SyncGroup */
	case 16:
		return 3; /* ListGroups */
	case 22:
		return 2; /* InitProducerId */
	case 25:
		return 3; /* AddOffsetsToTxn */
	case 26:
		return 3; /* EndTxn */
	case 29:
		return 2; /* DescribeAcls */
	case 36:
		return 2; /* SaslAuthenticate */
	case 38:
		return 2; /* CreateDelegationToken */
	case 41:
		return 2; /* DescribeDelegationToken */
	case 43:
		return 2; /* ElectLeaders */
	case 48:
		return 1; /* DescribeClientQuotas */
	case 17:	  /* SaslHandshake */
	case 18:	  /* ApiVersions */
		return 0xff;
	default:
		return 0; /* APIs from 45 on are flexible in every version */
	}
}

/*
 * Where the top-level error_code sits in a response body (after the response header): 0 when
 * it comes first, 4 after throttle_time_ms, -1 when this API/version has none at a fixed place
 * (Produce, Metadata, OffsetCommit, CreateTopics, ...: errors are per topic or partition and
 * are not counted).
 */
static __always_inline int wl_kafka_err_pos(__u32 api, __u32 ver)
{
	switch (api) {
	case 1: /* Fetch v7+: throttle_time_ms, error_code, session_id */
		return ver >= 7 ? 4 : -1;
	case 10: /* FindCoordinator v0: error_code first; v1-v3 after throttle; v4+ per key */
		return ver == 0 ? 0 : ver <= 3 ? 4 : -1;
	case 11: /* JoinGroup: throttle_time_ms from v2 */
		return ver >= 2 ? 4 : 0;
	case 12: /* Heartbeat, LeaveGroup, SyncGroup, ListGroups: throttle_time_ms from v1 */
	case 13:
	case 14:
	case 16:
		return ver >= 1 ? 4 : 0;
	case 17: /* SaslHandshake, ApiVersions, SaslAuthenticate, Create/DescribeDelegationToken */
	case 18:
	case 36:
	case 38:
	case 41:
		return 0;
	case 22: /* InitProducerId, AddOffsetsToTxn, EndTxn, DescribeAcls, DescribeClientQuotas,
		  * AlterPartitionReassignments, ListPartitionReassignments, DescribeCluster:
		  * throttle_time_ms then error_code */
	case 25:
	case 26:
	case 29:
	case 45:
	case 46:
	case 48:
	case 60:
		return 4;
	case 43: /* ElectLeaders v1+ */
		return ver >= 1 ? 4 : -1;
	default:
		return -1;
	}
}

/* Back to a message boundary. */
static __always_inline void wl_kafka_reset(struct wl_l7_dir *d)
{
	wl_l7_msg_reset(d);
	KF(d)->need = 0;
}

static __always_inline long wl_kafka_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	wl_kafka_reset(d);
	return wl_l7_malformed(w, d);
}

static long wl_kafka_req_step(__u32 i, void *arg)
{
	struct wl_l7_walk *w = arg;
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;

	if (d->state == KF_HDR) {
		__u32 len, api, ver, corr;
		__u16 flags;

		if (!wl_l7_hdr_take(w, d, WL_KAFKA_REQ_HDR))
			return 1;
		len = wl_be32(&d->hdr[0]);
		api = wl_be16(&d->hdr[4]);
		ver = wl_be16(&d->hdr[6]);
		corr = wl_be32(&d->hdr[8]);
		/* negative (as int32), zero, shorter than the fixed header, or absurd */
		if (len < WL_KAFKA_REQ_HDR - 4 || len > WL_KAFKA_LEN_MAX ||
		    api >= WL_KAFKA_API_MAX || ver > WL_KAFKA_VER_MAX)
			return wl_kafka_malformed(w, d);
		d->cur_id = wl_cmd_lookup(w, wl_kafka_api_names[api & 127], &flags);
		KF(d)->corr = corr;
		KF(d)->apiver = (api << 16) | ver;
		d->body_left = len - (WL_KAFKA_REQ_HDR - 4);
		d->state = KF_BODY;
	}
	if (d->state != KF_BODY)
		return 1;
	if (!wl_l7_body_skip(w, d))
		return 1;
	/* pending only once the request is whole: one cut short is not counted, so neither may
	 * its answer be (the fuzzer found answers > requests) */
	wl_aux_set(w, WL_AUX_PENDING, KF(d)->corr, d->cur_id, KF(d)->apiver);
	wl_emit_request(w, d->cur_id, d->msg_bytes);
	wl_kafka_reset(d);
	return s->off >= s->end;
}

/* The response header is complete: find its request and where its error_code is. */
static __always_inline long wl_kafka_resp_start(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u32 len = wl_be32(&d->hdr[0]), corr = wl_be32(&d->hdr[4]);
	struct wl_aux_val *v;
	__u64 lat = 0;
	__u32 need = 0;

	if (len < WL_KAFKA_RESP_HDR - 4 || len > WL_KAFKA_LEN_MAX)
		return wl_kafka_malformed(w, d);
	v = wl_aux_get(w, WL_AUX_PENDING, corr);
	if (v) {
		__u32 api = v->value >> 16, ver = v->value & 0xffff;
		int pos = wl_kafka_err_pos(api, ver);

		if (pos >= 0) {
			need = WL_KAFKA_RESP_HDR + pos + 2;
			if (ver >= wl_kafka_flexible_from(api))
				need++; /* tagged fields count: one byte (none in practice) */
		}
		d->cur_id = wl_pending_take(w, corr, &lat);
	} else {
		d->cur_id = WL_CMD_NONE;
	}
	d->msg_ts_ns = lat;
	if (need > len + 4)
		need = 0; /* too short to hold one: not an error we can see */
	KF(d)->need = need;
	d->body_left = len - (WL_KAFKA_RESP_HDR - 4);
	d->state = need ? KF_ERR : KF_BODY;
	return 0;
}

static long wl_kafka_resp_step(__u32 i, void *arg)
{
	struct wl_l7_walk *w = arg;
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;

	if (d->state == KF_HDR) {
		if (!wl_l7_hdr_take(w, d, WL_KAFKA_RESP_HDR))
			return 1;
		if (wl_kafka_resp_start(w, d))
			return 1;
	}
	if (d->state == KF_ERR) {
		__u32 need = KF(d)->need, before = d->hdr_len;

		if (need < WL_KAFKA_RESP_HDR + 2 || need > 16)
			return wl_kafka_malformed(w, d);
		if (!wl_l7_hdr_take(w, d, need)) {
			d->body_left -= d->hdr_len - before;
			return 1;
		}
		d->body_left -= d->hdr_len - before;
		if (d->hdr[(need - 2) & 15] | d->hdr[(need - 1) & 15])
			d->flags |= WL_DIR_ERROR;
		d->state = KF_BODY;
	}
	if (d->state != KF_BODY)
		return 1;
	if (!wl_l7_body_skip(w, d))
		return 1;
	wl_emit_response(w, d->cur_id, d->msg_ts_ns, d->flags & WL_DIR_ERROR, 0, d->msg_bytes);
	wl_kafka_reset(d);
	return s->off >= s->end;
}

/*
 * Lost sync (joined mid-stream or a gap): does the segment begin like a message, a plausible
 * request header, or a response header whose correlation id is pending?
 */
static __always_inline int wl_kafka_plausible(struct wl_l7_walk *w)
{
	__u32 need = w->s->job.dir ? WL_KAFKA_RESP_HDR : WL_KAFKA_REQ_HDR, len;
	__u8 *b = w->s->buf;

	if (wl_win_avail(w) < need)
		return 0;
	len = wl_be32(&b[0]);
	if (len < need - 4 || len > WL_KAFKA_LEN_MAX)
		return 0;
	if (w->s->job.dir)
		return !!wl_aux_get(w, WL_AUX_PENDING, wl_be32(&b[4]));
	return !b[4] && b[5] < WL_KAFKA_API_MAX && !b[6] && b[7] <= WL_KAFKA_VER_MAX;
}

WL_L7_STEPPED_PARSE(kafka, wl_kafka_req_step, wl_kafka_resp_step)

/* Does a client's first payload look like Kafka? A whole request in the segment: length equal to
 * the rest of the payload, a known api_key, a small version, a client_id that fits. */
static __always_inline int wl_kafka_sniff(const __u8 *h, __u32 len)
{
	__u8 b0 = h[0], b1 = h[1], b2 = h[2], b3 = h[3], b4 = h[4], b5 = h[5], b6 = h[6], b7 = h[7];
	__u8 b12 = h[12], b13 = h[13];
	__u32 mlen = ((__u32)b0 << 24) | ((__u32)b1 << 16) | ((__u32)b2 << 8) | b3;
	__u32 clen = ((__u32)b12 << 8) | b13;

	if (len < 14 || mlen + 4 != len || mlen < 10)
		return 0;
	if (b4 || b5 >= WL_KAFKA_API_MAX || b6 || b7 > 20)
		return 0;
	return clen == 0xffff || clen + 10 <= mlen;
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? */
static __always_inline int wl_kafka_open(const struct wl_l7_dir *d, int dir)
{
	(void)dir;
	return wl_l7_open_std(d);
}

#endif /* WL_PARSE_PROTO_KAFKA_H */
