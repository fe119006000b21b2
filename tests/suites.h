/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every CUnit suite registers itself through one of these (called from test_main.c). */
#ifndef WL_TESTS_SUITES_H
#define WL_TESTS_SUITES_H

#include <CUnit/CUnit.h>

void register_l2l4_tests(void);
void register_pcap_tests(void);
void register_redis_tests(void);
void register_memcached_tests(void);
void register_http_tests(void);
void register_dns_tests(void);
void register_mysql_tests(void);
void register_postgresql_tests(void);
void register_mongodb_tests(void);
void register_kafka_tests(void);

/* Adds a suite whose setup loads the programs and resets the maps before each test. */
CU_pSuite wl_add_suite(const char *name);

#endif
