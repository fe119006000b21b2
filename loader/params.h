/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One option table per verb: the table gives getopt_long its options, `VERB --help` its text,
 * errors their wording, and (later) the man page and the shell completion their lists, so no
 * verb parses or documents its options its own way. Model: xdp-tools' lib/util/params.h.
 */
#ifndef WL_LOADER_PARAMS_H
#define WL_LOADER_PARAMS_H

#include <stdio.h>

struct wl_param {
	const char *name; /* long option without "--"; NULL ends the table */
	int key;	  /* the short option letter, or a value >= 256 for long-only options */
	const char *arg;  /* NULL: a flag; else the value's name in the help ("CIDR", "N[-M]") */
	const char *help; /* one line (more lines: "\n" inside, indented by the printer) */
};

struct wl_verb_params {
	const char *verb;     /* "attach", "rule add" */
	const char *synopsis; /* positional arguments after the options, "" when none */
	const char *summary;  /* what the verb does, one line */
	const struct wl_param *params;
	const char *notes; /* printed after the options (defaults, examples), or NULL */
	/* Lists known only at run time (the protocols built in): printed after the notes, in the
	 * usage and the man page alike. NULL: none. */
	void (*more)(FILE *f);
	/* A verb with sub-verbs ("rule add", "rule list"): their tables, NULL-terminated; the man
	 * page and the completion walk them. The verb's own table then only describes the group. */
	const struct wl_verb_params *const *subs;
};

/*
 * The shell completion (`wirelens __complete`) reads what to offer from the names in the
 * tables: an option's arg or the synopsis' first word that is lowercase words joined by '|'
 * ("native|skb", "list|set|unset") offers those words; IFACE and PATTERN offer interfaces,
 * PROTO ("PROTO,...", "P,...") protocols, HOOK hooks, NAME|PATH network namespaces, ID rule ids
 * (`wirelens rule list --json`).
 */

#define WL_PARAMS_HELP (-1) /* wl_params_parse: --help was printed; the verb returns 0 */

/*
 * Parses the options of argv (argv[0] is the verb's last word) against v->params, calling
 * opt(key, value, ctx) for each in order (value is NULL for flags). Options and positional
 * arguments may be mixed; on return *first is the index of the first positional argument
 * (getopt_long moves them to the end). Returns 0, WL_PARAMS_HELP after printing the usage for
 * --help/-h, 2 after one error line on stderr for an unknown option or a missing value, or
 * the first non-zero value opt returned (opt prints its own error line).
 */
int wl_params_parse(const struct wl_verb_params *v, int argc, char **argv,
		    int (*opt)(int key, const char *value, void *ctx), void *ctx, int *first);

/* wl_params_parse for a verb that takes no positional argument: one is an error line
 * ("wirelens: VERB: unexpected 'ARG' (wirelens VERB --help)") and 2. Returns what
 * wl_params_parse does. */
int wl_params_parse_no_args(const struct wl_verb_params *v, int argc, char **argv,
			    int (*opt)(int key, const char *value, void *ctx), void *ctx);
/* The same with the verb's own error line ("wirelens: " line) for a positional argument: the
 * wording older verbs had and their users' scripts may match. */
int wl_params_parse_no_args_as(const struct wl_verb_params *v, int argc, char **argv,
			       int (*opt)(int key, const char *value, void *ctx), void *ctx,
			       const char *line);

/* The opt of a verb whose only option is a flag (--json): sets the int ctx points to. */
int wl_params_flag(int key, const char *value, void *ctx);

/* A word an option takes and what it stands for ({"tcx", WL_TC_TCX}); a list ends with {}. */
struct wl_param_word {
	const char *word;
	int value;
};
/* The value of the word in words that value is: 0 with *out set, or -1 when it is none. */
int wl_params_word(const char *value, const struct wl_param_word *words, int *out);

/* The usage text: "usage: wirelens VERB [options] SYNOPSIS", the summary, every option. */
void wl_params_usage(const struct wl_verb_params *v, FILE *f);

/* One error line about a bad option value, the same shape for every verb:
 * "wirelens: VERB: --NAME VALUE: WHY". Returns 2 (the exit status of a usage error). */
int wl_params_bad_value(const struct wl_verb_params *v, int key, const char *value,
			const char *why);

#endif /* WL_LOADER_PARAMS_H */
