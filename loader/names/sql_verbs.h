/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Statement verbs that MySQL / MariaDB and PostgreSQL spell alike, for both names tables
 * (loader/names/mysql.h, loader/names/postgresql.h): SQL's transaction control.
 */
#ifndef WL_NAMES_SQL_VERBS_H
#define WL_NAMES_SQL_VERBS_H

#define WL_SQL_TX_VERBS "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"

#endif /* WL_NAMES_SQL_VERBS_H */
