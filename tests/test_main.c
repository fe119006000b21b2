// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* CUnit driver: `test_wirelens [SUITE...]` runs all suites or the named ones. The exit status is
 * the number of failures (capped), so CI sees every failed assertion. */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "capture_cmds.h"
#include "harness.h"
#include "suites.h"

static int suite_init(void)
{
	return harness_init() ? -1 : 0;
}

static int suite_clean(void)
{
	return 0;
}

static void test_setup(void)
{
	harness_reset();
}

CU_pSuite wl_add_suite(const char *name)
{
	return CU_add_suite_with_setup_and_teardown(name, suite_init, suite_clean, test_setup,
						    NULL);
}

int main(int argc, char **argv)
{
	unsigned int failures = 0;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	register_l2l4_tests();
	register_loader_tests();
	register_pcap_tests();
	register_l7filter_tests();
	register_filter_tests();
	register_events_tests();
	register_export_tests();
	register_netns_tests();
	register_container_tests();
	register_sniff_tests();
#define WL_TEST_SUITE_CALL(name, ENUM, id, ...) register_##name##_tests();
	WL_L7_PROTOCOLS(WL_TEST_SUITE_CALL)
	if (register_capture_tests()) {
		CU_cleanup_registry();
		return 1;
	}
	register_replay_tests();

	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			CU_pSuite s = CU_get_suite(argv[i]);

			if (!s) {
				fprintf(stderr, "no suite %s\n", argv[i]);
				CU_cleanup_registry();
				return 1;
			}
			CU_basic_run_suite(s);
			/* each run starts a new summary: a failure of an earlier suite is added now
			 * (the kernel matrix runs several suites per call) */
			failures += CU_get_number_of_failures() + CU_get_number_of_suites_failed();
		}
	} else {
		CU_basic_run_tests();
		failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	}
	harness_fini();
	CU_cleanup_registry();
	return failures > 100 ? 100 : (int)failures;
}
