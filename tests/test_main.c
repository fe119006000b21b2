// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* CUnit driver: `test_wirelens [SUITE...]` runs all suites or the named ones. The exit status is
 * the number of failures (capped), so CI sees every failed assertion. `test_wirelens --list`
 * prints every suite's name, one a line, in run order (the kernel matrix deals them out). */
#include <stdio.h>
#include <stdlib.h>
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

/* Every suite, in the order they run (each protocol of the registry after the others). */
static const struct wl_suite {
	const char *name;
	int userspace; /* needs no programs: no load, no map reset */
} suites[] = {{"l2l4", 0},
	      {"loader", 0},
	      {"pcap", 0},
	      {"l7filter", 0},
	      {"filter", 0},
	      {"events", 0},
	      {"export", 0},
	      {"netns", 0},
	      {"container", 1},
	      {"sniff", 0},
	      {"params", 1},
	      {"hdr_len", 1},
#define WL_TEST_SUITE(name, ...) {#name, 0},
	      WL_L7_PROTOCOLS(WL_TEST_SUITE)};
#define SUITES (int)(sizeof(suites) / sizeof(suites[0]))

/* The wl_tests section: a pointer to each WL_TEST (the linker defines its bounds). */
extern const struct wl_test *const __start_wl_tests[], *const __stop_wl_tests[];

static int suite_index(const char *name)
{
	for (int i = 0; i < SUITES; i++)
		if (!strcmp(suites[i].name, name))
			return i;
	return -1;
}

/* Suite order, then source order. */
static int test_cmp(const void *a, const void *b)
{
	const struct wl_test *x = *(const struct wl_test *const *)a;
	const struct wl_test *y = *(const struct wl_test *const *)b;
	int d = suite_index(x->suite) - suite_index(y->suite);

	if (!d)
		d = strcmp(x->file, y->file);
	return d ? d : x->line - y->line;
}

/* Adds every suite of the table and every WL_TEST to its suite. Returns 0, or -1 (said on
 * stderr) when a test names no suite of the table. */
static int register_tests(void)
{
	size_t n = __stop_wl_tests - __start_wl_tests;
	const struct wl_test **tests = calloc(n, sizeof(*tests));
	CU_pSuite added[SUITES];
	int err = 0;

	if (!tests)
		return -1;
	for (int i = 0; i < SUITES; i++)
		added[i] = suites[i].userspace ? CU_add_suite(suites[i].name, NULL, NULL)
					       : wl_add_suite(suites[i].name);
	memcpy(tests, __start_wl_tests, n * sizeof(*tests));
	qsort(tests, n, sizeof(*tests), test_cmp);
	for (size_t i = 0; i < n; i++) {
		int k = suite_index(tests[i]->suite);

		if (k < 0 || !added[k] || !CU_add_test(added[k], tests[i]->name, tests[i]->fn)) {
			fprintf(stderr, "%s:%d: test %s of no suite %s\n", tests[i]->file,
				tests[i]->line, tests[i]->name, tests[i]->suite);
			err = -1;
		}
	}
	free(tests);
	return err;
}

int main(int argc, char **argv)
{
	unsigned int failures = 0;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (register_tests() || register_capture_tests()) {
		CU_cleanup_registry();
		return 1;
	}
	register_replay_tests();

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext)
			printf("%s\n", s->pName);
		CU_cleanup_registry();
		return 0;
	}
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
