// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Option tables per verb (params.h): getopt_long, --help and the error lines from one table. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

#define WL_PARAMS_MAX 48
#define WL_KEY_HELP   'h'

static size_t params_count(const struct wl_verb_params *v)
{
	size_t n = 0;

	while (v->params && v->params[n].name)
		n++;
	return n;
}

static bool has_short(const struct wl_param *p)
{
	return p->key > 0 && p->key < 256;
}

/* What getopt_long returns for the option: its letter, or 256 + its index (long only). */
static int param_val(const struct wl_param *p, size_t i)
{
	return has_short(p) ? p->key : 256 + (int)i;
}

static const struct wl_param *param_by_val(const struct wl_verb_params *v, int val)
{
	for (size_t i = 0; v->params[i].name; i++)
		if (param_val(&v->params[i], i) == val)
			return &v->params[i];
	return NULL;
}

void wl_params_usage(const struct wl_verb_params *v, FILE *f)
{
	size_t n = params_count(v);

	fprintf(f, "usage: wirelens %s%s%s%s\n", v->verb, n ? " [options]" : "",
		v->synopsis && v->synopsis[0] ? " " : "", v->synopsis ? v->synopsis : "");
	if (v->summary)
		fprintf(f, "  %s\n", v->summary);
	for (size_t i = 0; i < n; i++) {
		const struct wl_param *p = &v->params[i];
		char head[64];
		const char *h = p->help ? p->help : "";
		int len;

		len = snprintf(head, sizeof(head), "%s%c%s--%s%s%s", has_short(p) ? "-" : "",
			       has_short(p) ? p->key : ' ', has_short(p) ? ", " : "  ", p->name,
			       p->arg ? " " : "", p->arg ? p->arg : "");
		if (!has_short(p))
			memmove(head, head + 1,
				strlen(head)); /* no short letter: no blank column */
		fprintf(f, "  %-26s", head);
		if (len > 26)
			fprintf(f, "\n  %-26s", "");
		/* continuation lines of a multi-line help line up under the first */
		for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
			fprintf(f, "%.*s\n  %-26s", (int)(nl - h), h, "");
		fprintf(f, "%s\n", h);
	}
	fprintf(f, "  %-26s%s\n", "-h, --help", "this help");
	if (v->notes)
		fprintf(f, "%s%s", v->notes, v->notes[strlen(v->notes) - 1] == '\n' ? "" : "\n");
	if (v->more)
		v->more(f);
	for (size_t i = 0; v->subs && v->subs[i]; i++)
		fprintf(f, "%s  wirelens %s --help\n", i ? "" : "sub-verbs:\n", v->subs[i]->verb);
}

int wl_params_bad_value(const struct wl_param_call *call, const char *value, const char *why)
{
	fprintf(stderr, "wirelens: %s: --%s %s: %s\n", call->verb->verb, call->param->name,
		value ? value : "", why);
	return 2;
}

int wl_params_number(const char *s, unsigned long long min, unsigned long long max,
		     unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned int digit = (unsigned char)*s - '0';

		if (digit > 9 || v > (ULLONG_MAX - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int wl_params_word(const char *value, const struct wl_param_word *words, int *out)
{
	for (; words->word; words++)
		if (!strcmp(value, words->word)) {
			*out = words->value;
			return 0;
		}
	return -1;
}

/* v into the member p names: its low p->size bytes (1, 2, 4 or 8), in the machine's order. */
static void member_set(void *opts, const struct wl_param *p, unsigned long long v)
{
	const bool big_endian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;

	memcpy((char *)opts + p->offset, (const char *)&v + (big_endian ? 8 - p->size : 0),
	       p->size);
}

/* "a number from 1 to 65535" */
static int number_arg(const struct wl_param_call *c, const char *value)
{
	const struct wl_param *p = c->param;
	unsigned long long top = p->size >= 8 ? ULLONG_MAX : (1ULL << (8 * p->size)) - 1, v;
	char why[64];

	if (p->max && p->max < top)
		top = p->max;
	if (!wl_params_number(value, p->min, top, &v)) {
		member_set(c->opts, p, v);
		return 0;
	}
	snprintf(why, sizeof(why), "a number from %llu to %llu", p->min, top);
	return wl_params_bad_value(c, value, why);
}

/* "in, out or both" */
static int word_arg(const struct wl_param_call *c, const char *value)
{
	const struct wl_param_word *w = c->param->words;
	char why[256] = "";
	int v;

	if (!wl_params_word(value, w, &v)) {
		member_set(c->opts, c->param, (unsigned int)v);
		return 0;
	}
	for (size_t i = 0, len = 0; w[i].word && len < sizeof(why); i++)
		len += snprintf(why + len, sizeof(why) - len, "%s%s", w[i].word,
				!w[i + 1].word	 ? ""
				: !w[i + 2].word ? " or "
						 : ", ");
	return wl_params_bad_value(c, value, why);
}

/* One option's value (NULL for a flag) into the options struct: 0 or 2. */
static int param_take(const struct wl_param_call *c, const char *value)
{
	const struct wl_param *p = c->param;

	switch (p->type) {
	case WL_PARAM_FLAG:
		member_set(c->opts, p, p->set);
		return 0;
	case WL_PARAM_NUM:
		return number_arg(c, value);
	case WL_PARAM_WORD:
		return word_arg(c, value);
	case WL_PARAM_STRING:
		memcpy((char *)c->opts + p->offset, &value, sizeof(value));
		return 0;
	case WL_PARAM_FN:
		return p->fn(c, value);
	case WL_PARAM_NONE:
		break;
	}
	fprintf(stderr, "wirelens: %s: --%s is not parsed here\n", c->verb->verb, p->name);
	return 2;
}

int wl_params_parse(const struct wl_verb_params *v, int argc, char **argv, void *opts, int *first)
{
	struct option longs[WL_PARAMS_MAX + 2];
	char shorts[3 * WL_PARAMS_MAX + 4];
	size_t n = params_count(v), s = 0;
	int c, err;

	if (n > WL_PARAMS_MAX) {
		fprintf(stderr, "wirelens: %s: option table too long\n", v->verb);
		return 2;
	}
	shorts[s++] = ':'; /* a missing value returns ':' rather than '?' */
	for (size_t i = 0; i < n; i++) {
		const struct wl_param *p = &v->params[i];

		longs[i] = (struct option){p->name, p->arg ? required_argument : no_argument, NULL,
					   param_val(p, i)};
		if (has_short(p)) {
			shorts[s++] = (char)p->key;
			if (p->arg)
				shorts[s++] = ':';
		}
	}
	longs[n] = (struct option){"help", no_argument, NULL, WL_KEY_HELP};
	longs[n + 1] = (struct option){NULL, 0, NULL, 0};
	shorts[s++] = WL_KEY_HELP;
	shorts[s] = '\0';

	optind = 0; /* glibc: start over (argv of another call, a cluster left half-read) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == WL_KEY_HELP) {
			wl_params_usage(v, stdout);
			return WL_PARAMS_HELP;
		}
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];

			if (c == ':')
				fprintf(stderr,
					"wirelens: %s: %s needs a value (wirelens %s --help)\n",
					v->verb, what, v->verb);
			else
				fprintf(stderr,
					"wirelens: %s: unknown option '%s' (wirelens %s --help)\n",
					v->verb, what, v->verb);
			return 2;
		}
		err = param_take(&(struct wl_param_call){v, param_by_val(v, c), opts}, optarg);
		if (err)
			return err;
	}
	if (first)
		*first = optind;
	return 0;
}

int wl_params_parse_no_args_as(const struct wl_verb_params *v, int argc, char **argv, void *opts,
			       const char *line)
{
	int first, err = wl_params_parse(v, argc, argv, opts, &first);

	if (!err && first < argc) {
		if (line)
			fprintf(stderr, "wirelens: %s\n", line);
		else
			fprintf(stderr, "wirelens: %s: unexpected '%s' (wirelens %s --help)\n",
				v->verb, argv[first], v->verb);
		err = 2;
	}
	return err;
}

int wl_params_parse_no_args(const struct wl_verb_params *v, int argc, char **argv, void *opts)
{
	return wl_params_parse_no_args_as(v, argc, argv, opts, NULL);
}
