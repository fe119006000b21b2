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
	"COM_SLEEP",			   /* 0x00 */                                              \
		"COM_QUIT",		   /* 0x01 */                                              \
		"COM_INIT_DB",		   /* 0x02 */                                              \
		"COM_QUERY",		   /* 0x03 */                                              \
		"COM_FIELD_LIST",	   /* 0x04 */                                              \
		"COM_CREATE_DB",	   /* 0x05 */                                              \
		"COM_DROP_DB",		   /* 0x06 */                                              \
		"COM_REFRESH",		   /* 0x07 */                                              \
		"COM_SHUTDOWN",		   /* 0x08 */                                              \
		"COM_STATISTICS",	   /* 0x09 */                                              \
		"COM_PROCESS_INFO",	   /* 0x0a */                                              \
		"COM_CONNECT",		   /* 0x0b */                                              \
		"COM_PROCESS_KILL",	   /* 0x0c */                                              \
		"COM_DEBUG",		   /* 0x0d */                                              \
		"COM_PING",		   /* 0x0e */                                              \
		"COM_TIME",		   /* 0x0f */                                              \
		"COM_DELAYED_INSERT",	   /* 0x10 */                                              \
		"COM_CHANGE_USER",	   /* 0x11 */                                              \
		"COM_BINLOG_DUMP",	   /* 0x12 */                                              \
		"COM_TABLE_DUMP",	   /* 0x13 */                                              \
		"COM_CONNECT_OUT",	   /* 0x14 */                                              \
		"COM_REGISTER_SLAVE",	   /* 0x15 */                                              \
		"COM_STMT_PREPARE",	   /* 0x16 */                                              \
		"COM_STMT_EXECUTE",	   /* 0x17 */                                              \
		"COM_STMT_SEND_LONG_DATA", /* 0x18 */                                              \
		"COM_STMT_CLOSE",	   /* 0x19 */                                              \
		"COM_STMT_RESET",	   /* 0x1a */                                              \
		"COM_SET_OPTION",	   /* 0x1b */                                              \
		"COM_STMT_FETCH",	   /* 0x1c */                                              \
		"COM_DAEMON",		   /* 0x1d */                                              \
		"COM_BINLOG_DUMP_GTID",	   /* 0x1e */                                              \
		"COM_RESET_CONNECTION",	   /* 0x1f */                                              \
		"COM_STMT_BULK_EXECUTE",   /* 0xfa */                                              \
		"TLS", "COMPRESSED"

#define WL_MYSQL_COM_BYTES    32 /* rows named by their command byte */
#define WL_MYSQL_ROW_BULK     32 /* COM_STMT_BULK_EXECUTE, byte 0xfa */
#define WL_MYSQL_ROW_TLS      33
#define WL_MYSQL_ROW_COMPRESS 34
#define WL_MYSQL_ROWS	      35

#endif /* WL_PARSE_MYSQL_COMS_H */
