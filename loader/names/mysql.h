/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * MySQL / MariaDB command names as the parser emits them. COM_QUERY (and the statement of a
 * COM_STMT_PREPARE, whose COM_STMT_EXECUTEs count under it) is named by its first keyword;
 * other commands by their protocol name; TLS and COMPRESSED are connections whose traffic is
 * not parsed (SSL request, compressed protocol). Names not listed count as OTHER.
 * How they line up with the server's Com_* status variables: tests/live/mysql.sh (com_map).
 */
#include "parse/mysql_coms.h"
#include "loader/names/sql_verbs.h"

static const char *const mysql_commands[] = {
	"OTHER",
	/* statements: first keyword */
	"SELECT",
	"INSERT",
	"UPDATE",
	"DELETE",
	"REPLACE",
	"WITH",
	"VALUES",
	"TABLE",
	WL_SQL_TX_VERBS,
	"XA",
	"SET",
	"SHOW",
	"CREATE",
	"DROP",
	"ALTER",
	"RENAME",
	"TRUNCATE",
	"CALL",
	"USE",
	"DO",
	"GRANT",
	"REVOKE",
	"LOCK",
	"UNLOCK",
	"EXPLAIN",
	"DESCRIBE",
	"DESC",
	"ANALYZE",
	"OPTIMIZE",
	"REPAIR",
	"CHECK",
	"CHECKSUM",
	"FLUSH",
	"KILL",
	"LOAD",
	"HANDLER",
	"PREPARE",
	"EXECUTE",
	"DEALLOCATE",
	"SIGNAL",
	"RESIGNAL",
	"GET",
	"INSTALL",
	"UNINSTALL",
	"RESET",
	"PURGE",
	"CHANGE",
	"STOP",
	"BINLOG",
	"CACHE",
	"HELP",
	"SHUTDOWN",
	"BACKUP",
	/* commands by command byte, then TLS and COMPRESSED (parse/mysql_coms.h) */
	WL_MYSQL_COM_NAMES,
};
