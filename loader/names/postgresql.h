/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * PostgreSQL command names as the parser emits them. A statement the server completed is named
 * by the first word of its CommandComplete tag (PostgreSQL 15 cmdtaglist.h: "INSERT 0 1" ->
 * INSERT, "CREATE TABLE" -> CREATE, "START TRANSACTION" -> START); a failed one by the first
 * keyword of its statement (so the keywords whose tag differs are listed too: WITH, VALUES,
 * TABLE, END, ABORT). Pseudo commands: TLS and GSSENC (connections encrypted from the start,
 * not parsed further), CANCEL (CancelRequest), FUNCTION_CALL (fast-path FunctionCall).
 * Names not listed count as OTHER.
 */
#include "loader/names/sql_verbs.h"
static const char *const postgresql_commands[] = {
	"OTHER",
	/* command tags (first word) */
	"SELECT",
	"INSERT",
	"UPDATE",
	"DELETE",
	"MERGE",
	"COPY",
	"FETCH",
	"MOVE",
	WL_SQL_TX_VERBS,
	"PREPARE",
	"EXECUTE",
	"DEALLOCATE",
	"DECLARE",
	"CLOSE",
	"CREATE",
	"DROP",
	"ALTER",
	"TRUNCATE",
	"COMMENT",
	"GRANT",
	"REVOKE",
	"REASSIGN",
	"SECURITY",
	"IMPORT",
	"REFRESH",
	"REINDEX",
	"CLUSTER",
	"VACUUM",
	"ANALYZE",
	"CHECKPOINT",
	"EXPLAIN",
	"SET",
	"RESET",
	"SHOW",
	"DISCARD",
	"LOCK",
	"LISTEN",
	"UNLISTEN",
	"NOTIFY",
	"LOAD",
	"CALL",
	"DO",
	/* first keywords whose tag is another word */
	"WITH",
	"VALUES",
	"TABLE",
	"END",
	"ABORT",
	/* pseudo commands */
	"TLS",
	"GSSENC",
	"CANCEL",
	"FUNCTION_CALL",
};
