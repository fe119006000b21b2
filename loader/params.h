/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One option table per verb: the table gives getopt_long its options, `VERB --help` its text,
 * the man page and the shell completion their lists, and says what each value is and where it
 * goes in the verb's options struct, so wl_params_parse fills that struct and no verb parses,
 * checks or documents its options its own way. Model: xdp-tools' lib/util/params.h.
 */
#ifndef WL_LOADER_PARAMS_H
#define WL_LOADER_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct wl_param;
struct wl_verb_params;

/* What a value is. */
enum wl_param_type {
	WL_PARAM_NONE,	 /* documented here, parsed elsewhere (the global --netns) */
	WL_PARAM_FLAG,	 /* no value: the member gets .set */
	WL_PARAM_NUM,	 /* digits only, .min to .max (max 0: the largest the member holds) */
	WL_PARAM_WORD,	 /* one of .words: the member gets its value */
	WL_PARAM_STRING, /* the value itself (argv's): a const char * member */
	WL_PARAM_FN,	 /* a value with a syntax of its own (CIDR, PROTO=PORT,...): .fn */
};

/* What a value parser of its own (WL_PARAM_FN) is given. */
struct wl_param_call {
	const struct wl_verb_params *verb;
	const struct wl_param *param;
	void *opts; /* the verb's options struct */
};
/* Takes value into call->opts: 0, or an exit status (2) after one error line on stderr
 * (wl_params_bad_value's, or the verb's own older wording). */
typedef int wl_param_fn(const struct wl_param_call *call, const char *value);

/* A word an option takes and what it stands for ({"tcx", WL_TC_TCX}); a list ends with {}. */
struct wl_param_word {
	const char *word;
	int value;
};

struct wl_param {
	const char *name; /* long option without "--"; NULL ends the table */
	int key;	  /* the short option letter; 0 for a long option only */
	const char *arg;  /* NULL: a flag; else the value's name in the help ("CIDR", "N[-M]") */
	const char *help; /* one line (more lines: "\n" inside, indented by the printer) */
	/* Set with WL_FLAG, WL_NUM, WL_WORD, WL_STRING or WL_FN below. */
	enum wl_param_type type;
	unsigned short offset, size; /* the member of the options struct the value goes to */
	unsigned long long set;	     /* FLAG: what the member gets */
	unsigned long long min, max; /* NUM */
	const struct wl_param_word *words;
	wl_param_fn *fn;
};

/* The designators of a table entry after its name, key, arg and help: what S's member M gets.
 * Unsigned (or bool, enum) members of 1, 2, 4 or 8 bytes. */
#define WL_PARAM_AT_(S, M)   .offset = offsetof(S, M), .size = sizeof(((S *)0)->M)
#define WL_FLAG(S, M)	     .type = WL_PARAM_FLAG, WL_PARAM_AT_(S, M), .set = 1
#define WL_FLAG_SET(S, M, V) .type = WL_PARAM_FLAG, WL_PARAM_AT_(S, M), .set = (V)
#define WL_NUM(S, M, LO, HI) .type = WL_PARAM_NUM, WL_PARAM_AT_(S, M), .min = (LO), .max = (HI)
#define WL_WORD(S, M, WORDS) .type = WL_PARAM_WORD, WL_PARAM_AT_(S, M), .words = (WORDS)
#define WL_STRING(S, M)	     .type = WL_PARAM_STRING, WL_PARAM_AT_(S, M)
#define WL_FN(FN)	     .type = WL_PARAM_FN, .fn = (FN)

/* A verb's options table in its declaration: .params = WL_PARAMS({...}, {...}) (ended by {}). */
#define WL_PARAMS(...) ((const struct wl_param[]){__VA_ARGS__, {}})

struct wl_verb_params {
	const char *verb;	       /* "attach", "rule add" */
	const char *synopsis;	       /* positional arguments after the options, "" when none */
	const char *summary;	       /* what the verb does, one line */
	const struct wl_param *params; /* WL_PARAMS(...), or NULL */
	const char *notes;	       /* printed after the options (defaults, examples), or NULL */
	/* Lists known only at run time (the protocols built in): printed after the notes, in the
	 * usage and the man page alike. NULL: none. */
	void (*more)(FILE *f);
	/* A verb with sub-verbs ("rule add", "rule list"): their tables, NULL-terminated; the man
	 * page and the completion walk them. The verb's own table then only describes the group. */
	const struct wl_verb_params *const *subs;
};

/* The options struct of a verb whose only option is --json. */
struct wl_json_opts {
	bool json;
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
 * Parses the options of argv (argv[0] is the verb's last word) against v->params into opts, the
 * verb's options struct, in order (a later option overrides an earlier one). Options and
 * positional arguments may be mixed; on return *first is the index of the first positional
 * argument (getopt_long moves them to the end). Returns 0, WL_PARAMS_HELP after printing the
 * usage for --help/-h, or 2 after one error line on stderr: an unknown option, a missing or bad
 * value (a member is only written with a good value), or what a WL_FN parser returned.
 */
int wl_params_parse(const struct wl_verb_params *v, int argc, char **argv, void *opts, int *first);

/* wl_params_parse for a verb that takes no positional argument: one is an error line
 * ("wirelens: VERB: unexpected 'ARG' (wirelens VERB --help)") and 2. Returns what
 * wl_params_parse does. */
int wl_params_parse_no_args(const struct wl_verb_params *v, int argc, char **argv, void *opts);
/* The same with the verb's own error line ("wirelens: " line) for a positional argument: the
 * wording older verbs had and their users' scripts may match. */
int wl_params_parse_no_args_as(const struct wl_verb_params *v, int argc, char **argv, void *opts,
			       const char *line);

/* The one number syntax of the CLI, for options and the numbers inside other values (ports of
 * PROTO=PORT, rule ids): decimal digits only (no sign, no blank, no 0x), min..max. 0 with *out
 * set, or -1 (nothing written). */
int wl_params_number(const char *s, unsigned long long min, unsigned long long max,
		     unsigned long long *out);

/* The value of the word in words that value is: 0 with *out set, or -1 when it is none. */
int wl_params_word(const char *value, const struct wl_param_word *words, int *out);

/* The usage text: "usage: wirelens VERB [options] SYNOPSIS", the summary, every option. */
void wl_params_usage(const struct wl_verb_params *v, FILE *f);

/* One error line about a bad option value, the same shape for every verb:
 * "wirelens: VERB: --NAME VALUE: WHY". Returns 2 (the exit status of a usage error). */
int wl_params_bad_value(const struct wl_param_call *call, const char *value, const char *why);

#endif /* WL_LOADER_PARAMS_H */
