// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"

void wl_test_stall(const char *point)
{
	static bool done;
	const char *want = getenv("WIRELENS_TEST_STALL");

	if (!want || done || strcmp(want, point))
		return;
	done = true;
	fprintf(stderr, "wirelens: stalled at %s (WIRELENS_TEST_STALL)\n", point);
	fflush(stderr);
	for (;;)
		pause();
}
