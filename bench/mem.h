/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* bench_wirelens mem: map memory at the defaults (bench/mem.c). */
#ifndef WL_BENCH_MEM_H
#define WL_BENCH_MEM_H

int bench_mem_main(void);

#endif
