/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Character classes for every parser that reads text off the wire (SQL keywords, command names,
 * header tokens, decimal lengths): one set, instead of each protocol's own copy. Plain ASCII as
 * the protocols define it (no locale, no table in memory: a few compares the verifier sees
 * through). Case folding stays with the name lookups (wl_upper in l7.h).
 */
#ifndef WL_PARSE_CHARS_H
#define WL_PARSE_CHARS_H

#include "meta.h"

static __always_inline int wl_char_is_alpha(__u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static __always_inline int wl_char_is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

static __always_inline int wl_char_is_alnum(__u8 c)
{
	return wl_char_is_alpha(c) || wl_char_is_digit(c);
}

/* White space as C's isspace and the SQL lexers (MySQL, PostgreSQL) take it. */
static __always_inline int wl_char_is_blank(__u8 c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

#endif /* WL_PARSE_CHARS_H */
