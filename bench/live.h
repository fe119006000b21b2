/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Live-traffic modes of bench_wirelens (bench/live.c), used by bench/pktgen.sh. */
#ifndef WL_BENCH_LIVE_H
#define WL_BENCH_LIVE_H

int bench_live_main(int argc, char **argv);

#endif
