// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* L2-L4 parsing and flow accounting through both hooks, with exact map contents. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "pktbuild.h"
#include "suites.h"

static uint8_t frame[PKT_MAX];

static void test_udp_v4_smoke(void)
{
	for (int h = 0; h < HOOK_COUNT; h++) {
		struct pkt_spec s = {.family = 4, .src = "198.18.0.1", .dst = "198.18.0.2", .l4 = 17,
				     .sport = 1000, .dport = 53, .payload = "hello", .payload_len = 5};
		size_t len = pkt_build(&s, frame, sizeof(frame));
		struct wl_flow_key k = flow_key(TEST_IFINDEX, 4, s.src, s.dst, 17, 1000, 53);
		struct wl_flow_stats st;
		struct wl_counters c;

		harness_reset();
		CU_ASSERT_EQUAL(harness_run(h, frame, len, NULL), h == HOOK_XDP ? 2 : 0);
		c = harness_counters();
		CU_ASSERT_EQUAL(c.seen, 1);
		CU_ASSERT_EQUAL(c.accounted, 1);
		CU_ASSERT_EQUAL(harness_flow_count(), 1);
		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
		CU_ASSERT_EQUAL(st.packets, 1);
		CU_ASSERT_EQUAL(st.bytes, len);
	}
}

void register_l2l4_tests(void)
{
	CU_pSuite s = wl_add_suite("l2l4");

	CU_add_test(s, "udp_v4_smoke", test_udp_v4_smoke);
}
