// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Content sniffing looks at the first WL_SNIFF_FLOW_PACKETS packets of a flow (maps/wirelens.h,
 * parse/l7_dispatch.h): a protocol-looking payload among them teaches the ports map, one after
 * them does not (and is not refused either); a flow pushed out of wl_flows starts over; a port
 * learned through another flow claims the late flow's packets too (the bound is sniffing's only).
 */
#include <string.h>
#include <bpf/bpf.h>

#include "suites.h"
#include "harness.h"
#include "l7conv.h"

static const char set_req[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
/* a payload no protocol's sniffer recognises */
static const char junk[] = "hello there\r\n";

static struct wl_sniff sniff_state(void)
{
	struct wl_sniff s = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(wl_map_sniff_fd(harness()), &zero, &s);
	return s;
}

static __u8 port_value(__u32 port)
{
	__u8 v = 0;

	bpf_map_lookup_elem(wl_map_ports_fd(harness()), &port, &v);
	return v;
}

/* Handshake, then payloads no sniffer knows from the client until its flow holds `packets`
 * packets (the SYN is its first). */
static void open_with_junk(enum wl_hook h, struct conv *c, uint16_t port, uint16_t cport,
			   int packets)
{
	conv_init(c, port);
	c->cport = cport;
	conv_handshake(h, c);
	for (int i = 1; i < packets; i++)
		conv_req(h, c, junk);
}

/* The client flow's packets so far. */
static __u64 client_packets(const struct conv *c)
{
	struct wl_flow_key k = flow_key(TEST_IFINDEX, 4, CONV_CLI, CONV_SRV, 6, c->cport, c->sport);
	struct wl_flow_stats st = {};

	harness_flow_get(&k, &st);
	return st.packets;
}

/* The last packet within the bound is sniffed: the port is learned, the SET counted. */
WL_TEST(sniff, last_packet_in_bound)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		harness_reset();
		open_with_junk(h, &c, 7000, 40000, WL_SNIFF_FLOW_PACKETS - 1);
		CU_ASSERT_EQUAL(client_packets(&c), WL_SNIFF_FLOW_PACKETS - 1);
		CU_ASSERT_EQUAL(port_value(7000), 0);
		conv_req(h, &c, set_req); /* packet WL_SNIFF_FLOW_PACKETS of the flow */
		conv_resp(h, &c, "+OK\r\n");
		CU_ASSERT_EQUAL(port_value(7000), WL_L7_REDIS | WL_PORT_LEARNED);
		CU_ASSERT_EQUAL(sniff_state().learned, 1);
		CU_ASSERT_EQUAL(sniff_state().refused, 0);
		EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 1, 1, 0);
	}
}

/* The first packet past the bound is not sniffed: nothing learned, counted or refused; until
 * the flow starts over (pushed out of wl_flows) or another flow teaches the port. */
WL_TEST(sniff, past_bound)
{
	FOR_EACH_HOOK(h) {
		struct wl_flow_key k;
		struct wl_cmd_stats st;
		struct conv c, d;

		harness_reset();
		open_with_junk(h, &c, 7001, 40001, WL_SNIFF_FLOW_PACKETS);
		conv_req(h, &c, set_req); /* packet WL_SNIFF_FLOW_PACKETS + 1 */
		conv_resp(h, &c, "+OK\r\n");
		CU_ASSERT_EQUAL(client_packets(&c), WL_SNIFF_FLOW_PACKETS + 1);
		CU_ASSERT_EQUAL(port_value(7001), 0);
		CU_ASSERT_EQUAL(sniff_state().learned, 0);
		CU_ASSERT_EQUAL(sniff_state().refused, 0);
		CU_ASSERT_NOT_EQUAL(conv_stats(&c, WL_L7_REDIS, "SET", &st), 0);
		EXPECT_COUNTER(l7_packets, 0);

		/* the flow pushed out of the table (and of the flow cache, which holds its later
		 * packets): its next SET is its first packet again */
		k = flow_key(TEST_IFINDEX, 4, CONV_CLI, CONV_SRV, 6, c.cport, c.sport);
		CU_ASSERT_EQUAL(harness_flow_forget(&k), 0);
		conv_req(h, &c, set_req);
		conv_resp(h, &c, "+OK\r\n");
		CU_ASSERT_EQUAL(port_value(7001), WL_L7_REDIS | WL_PORT_LEARNED);
		EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 1, 1, 0);

		/* a late flow on a port another connection taught: recognised by port */
		harness_reset();
		open_with_junk(h, &c, 7002, 40002, WL_SNIFF_FLOW_PACKETS);
		conv_init(&d, 7002);
		d.cport = 40003;
		conv_handshake(h, &d);
		conv_req(h, &d, set_req);
		conv_resp(h, &d, "+OK\r\n");
		CU_ASSERT_EQUAL(port_value(7002), WL_L7_REDIS | WL_PORT_LEARNED);
		conv_req(h, &c, set_req);
		conv_resp(h, &c, "+OK\r\n");
		EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 2, 2, 0); /* c's and d's: one server */
	}
}
