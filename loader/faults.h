/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Stall points for the crash tests (tests/live/faults_crash.sh). */
#ifndef WL_LOADER_FAULTS_H
#define WL_LOADER_FAULTS_H

/* WIRELENS_TEST_STALL=POINT: the first time this process reaches POINT it says so on stderr
 * ("stalled at POINT") and waits forever, so a test can kill -9 it exactly there. Points:
 * detach-hook (one hook of an interface detached, the next not yet), detach-cls (a cls_bpf
 * filter removed, its record still pinned), detach-links (every link gone, the maps not yet
 * unpinned), detach-unpin (programs and wl_counters unpinned, the other maps not yet),
 * rule-written (the new set written to the inactive generation, not flipped), rule-flipped
 * (flipped, the old generation not cleared). */
void wl_test_stall(const char *point);

#endif
