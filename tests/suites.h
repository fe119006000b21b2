/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every CUnit suite registers itself through one of these (called from test_main.c). */
#ifndef WL_TESTS_SUITES_H
#define WL_TESTS_SUITES_H

#include <CUnit/CUnit.h>
#include "maps/wirelens.h"

void register_l2l4_tests(void);
void register_loader_tests(void);
void register_pcap_tests(void);
/* Registered last: the "captures" tests of the others once more through `wirelens replay`. */
void register_replay_tests(void);
void register_l7filter_tests(void);
void register_filter_tests(void);
void register_events_tests(void);
void register_export_tests(void);
void register_netns_tests(void);
void register_container_tests(void);
void register_sniff_tests(void);
/* One suite per protocol of the registry: tests/test_<name>.c defines register_<name>_tests. */
#define WL_TEST_SUITE_DECL(name, ENUM, id, ...) void register_##name##_tests(void);
WL_L7_PROTOCOLS(WL_TEST_SUITE_DECL)

/* Adds a suite whose setup loads the programs and resets the maps before each test. */
CU_pSuite wl_add_suite(const char *name);

#endif
