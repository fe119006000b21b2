/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How many bytes of a TC skb must be linear for the path to read its headers in place, and the
 * header constants the parsers share. Plain C over bytes (no helper, no kernel type; IPPROTO_*
 * from vmlinux.h or, on the host, <netinet/in.h>): the test suite runs it on the host too
 * (tests/test_hdr_len.c).
 */
#ifndef WL_PARSE_HDR_LEN_H
#define WL_PARSE_HDR_LEN_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define ETH_P_IP	  0x0800
#define ETH_P_IPV6	  0x86DD
#define ETH_P_8021Q	  0x8100
#define ETH_P_8021AD	  0x88A8
#define ETH_P_QINQ1	  0x9100 /* pre-standard QinQ still seen in the field */
#define WL_IPPROTO_ICMPV6 58

static __always_inline int wl_is_vlan(__u16 proto)
{
	return proto == ETH_P_8021Q || proto == ETH_P_8021AD || proto == ETH_P_QINQ1;
}

/* Header bytes TC makes linear when an skb arrives with them not all in its linear part. */
#define WL_HDR_PULL 256

/*
 * The header bytes the path reads in place (Ethernet, up to two VLAN tags, IPv4 with its options
 * or a bare IPv6 header, the TCP/UDP/ICMP header), found from the linear part [data, end);
 * WL_HDR_PULL when that part does not show them all (IPv6 extension headers, headers cut short).
 * A locally sent TCP skb has exactly its headers in the linear part and its payload in
 * fragments, which the L7 engine reads with bpf_skb_load_bytes wherever they lie.
 */
static __always_inline __u32 wl_tc_hdr_len(const __u8 *data, const __u8 *end)
{
	const __u8 *pos = data + 12;
	__u16 proto = 0;
	__u8 l4;

	for (int i = 0; i < 3; i++) {
		if (pos + 2 > end)
			return WL_HDR_PULL;
		proto = (__u16)pos[0] << 8 | pos[1];
		pos += 2;
		if (!wl_is_vlan(proto))
			break;
		pos += 2; /* the tag's TCI; its encapsulated type follows */
	}
	if (proto == ETH_P_IP) {
		if (pos + 20 > end)
			return WL_HDR_PULL;
		l4 = pos[9];
		if (((__u16)pos[6] << 8 | pos[7]) & 0x1fff)
			l4 = 0; /* a later fragment: no L4 header */
		pos += (pos[0] & 15) * 4;
	} else if (proto == ETH_P_IPV6) {
		if (pos + 40 > end)
			return WL_HDR_PULL;
		l4 = pos[6];
		pos += 40;
	} else {
		return pos - data;
	}
	if (l4 == IPPROTO_TCP) {
		if (pos + 13 > end)
			return WL_HDR_PULL;
		pos += (pos[12] >> 4) * 4;
	} else if (l4 == IPPROTO_UDP || l4 == IPPROTO_ICMP || l4 == WL_IPPROTO_ICMPV6) {
		pos += 8;
	} else if (proto == ETH_P_IPV6) {
		return WL_HDR_PULL; /* an extension header */
	}
	return pos - data;
}

#endif /* WL_PARSE_HDR_LEN_H */
