/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The CUnit suites: each test is a function defined with WL_TEST(suite, name), which also puts a
 * pointer to its description in the wl_tests section. test_main.c walks that section once and
 * adds every test to its suite (the table there names the suites in the order they run), in the
 * order of the source: a suite has no registration list to keep in step with its tests.
 */
#ifndef WL_TESTS_SUITES_H
#define WL_TESTS_SUITES_H

#include <CUnit/CUnit.h>
#include "maps/wirelens.h"

struct wl_test {
	const char *suite; /* a suite of the table in test_main.c */
	const char *name;  /* CUnit's test name */
	const char *file;
	int line;
	void (*fn)(void);
};

/* Defines test_<id> (the body follows) as the test title of suite. */
#define WL_TEST_NAMED(suite, id, title)                                                            \
	static void test_##id(void);                                                               \
	static const struct wl_test wl_test_##id = {#suite, title, __FILE__, __LINE__, test_##id}; \
	static const struct wl_test *const wl_test_at_##id                                         \
		__attribute__((used, section("wl_tests"))) = &wl_test_##id;                        \
	static void test_##id(void)
/* Defines test_<id>, named id in suite. */
#define WL_TEST(suite, id) WL_TEST_NAMED(suite, id, #id)

/* Registered last: the "captures" tests of the others once more through `wirelens replay`. */
void register_replay_tests(void);

/* Adds a suite whose setup loads the programs and resets the maps before each test. */
CU_pSuite wl_add_suite(const char *name);

#endif
