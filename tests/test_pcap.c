// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "harness.h"
#include "suites.h"

void register_pcap_tests(void)
{
}
