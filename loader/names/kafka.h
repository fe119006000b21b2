/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kafka API names as the parser emits them: the one list in parse/kafka_apis.h ("" entries,
 * names too long for WL_CMD_LEN, are skipped: they count as OTHER). */
#include "parse/kafka_apis.h"

static const char *const kafka_commands[] = {"OTHER", WL_KAFKA_API_NAMES};
