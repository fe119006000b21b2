/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP methods as the parser emits them (the request line's method, case-sensitive, as nginx's
 * $request_method logs it). Other methods (WebDAV, PRI, lower-case) count as OTHER. */
static const char *const http_commands[] = {
	"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "OTHER",
};
