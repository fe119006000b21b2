// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* mysql through the L7 engine: crafted segments, exact per-command stats. (To be written.) */
#include "suites.h"

void register_mysql_tests(void)
{
}
