/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * MySQL / MariaDB command names, as the servers' enum_server_command spells them: one list for
 * the parser's table (parse/proto_mysql.h, indexed by command byte) and the loader's name table
 * (loader/names/mysql.h). Rows 0-31 are the command bytes 0x00-0x1f, then MariaDB's
 * COM_STMT_BULK_EXECUTE (byte 0xfa) and the pseudo commands of connections whose traffic is not
 * parsed further: TLS (SSL request) and COMPRESSED (compressed protocol).
 */
#ifndef WL_PARSE_MYSQL_COMS_H
#define WL_PARSE_MYSQL_COMS_H

#define WL_MYSQL_COM_NAMES                                                                         \
	"COM_SLEEP", "COM_QUIT", "COM_INIT_DB", "COM_QUERY", "COM_FIELD_LIST", "COM_CREATE_DB",    \
		"COM_DROP_DB", "COM_REFRESH", "COM_SHUTDOWN", "COM_STATISTICS",                    \
		"COM_PROCESS_INFO", "COM_CONNECT", "COM_PROCESS_KILL", "COM_DEBUG", "COM_PING",    \
		"COM_TIME", "COM_DELAYED_INSERT", "COM_CHANGE_USER", "COM_BINLOG_DUMP",            \
		"COM_TABLE_DUMP", "COM_CONNECT_OUT", "COM_REGISTER_SLAVE", "COM_STMT_PREPARE",     \
		"COM_STMT_EXECUTE", "COM_STMT_SEND_LONG_DATA", "COM_STMT_CLOSE", "COM_STMT_RESET", \
		"COM_SET_OPTION", "COM_STMT_FETCH", "COM_DAEMON", "COM_BINLOG_DUMP_GTID",          \
		"COM_RESET_CONNECTION", "COM_STMT_BULK_EXECUTE", "TLS", "COMPRESSED"

#define WL_MYSQL_COM_BYTES    32 /* rows named by their command byte */
#define WL_MYSQL_ROW_BULK     32 /* COM_STMT_BULK_EXECUTE, byte 0xfa */
#define WL_MYSQL_ROW_TLS      33
#define WL_MYSQL_ROW_COMPRESS 34
#define WL_MYSQL_ROWS	      35

#endif /* WL_PARSE_MYSQL_COMS_H */
