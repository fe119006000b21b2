// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Option tables per verb (params.h): getopt_long, --help and the error lines from one table. */
#include <getopt.h>
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

static const struct wl_param *param_by_key(const struct wl_verb_params *v, int key)
{
	for (size_t i = 0; v->params && v->params[i].name; i++)
		if (v->params[i].key == key)
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

		len = snprintf(head, sizeof(head), "%s%c%s--%s%s%s",
			       p->key > 0 && p->key < 256 ? "-" : "",
			       p->key > 0 && p->key < 256 ? p->key : ' ',
			       p->key > 0 && p->key < 256 ? ", " : "  ", p->name, p->arg ? " " : "",
			       p->arg ? p->arg : "");
		if (p->key <= 0 || p->key >= 256)
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

int wl_params_bad_value(const struct wl_verb_params *v, int key, const char *value, const char *why)
{
	const struct wl_param *p = param_by_key(v, key);

	if (p)
		fprintf(stderr, "wirelens: %s: --%s %s: %s\n", v->verb, p->name, value ? value : "",
			why);
	else
		fprintf(stderr, "wirelens: %s: %s%s%s\n", v->verb, value ? value : "",
			value ? ": " : "", why);
	return 2;
}

int wl_params_parse(const struct wl_verb_params *v, int argc, char **argv,
		    int (*opt)(int key, const char *value, void *ctx), void *ctx, int *first)
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
					   p->key};
		if (p->key > 0 && p->key < 256) {
			shorts[s++] = (char)p->key;
			if (p->arg)
				shorts[s++] = ':';
		}
	}
	longs[n] = (struct option){"help", no_argument, NULL, WL_KEY_HELP};
	longs[n + 1] = (struct option){NULL, 0, NULL, 0};
	shorts[s++] = WL_KEY_HELP;
	shorts[s] = '\0';

	optind = 1;
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
		err = opt ? opt(c, optarg, ctx) : 0;
		if (err)
			return err;
	}
	if (first)
		*first = optind;
	return 0;
}

int wl_params_parse_no_args_as(const struct wl_verb_params *v, int argc, char **argv,
			       int (*opt)(int key, const char *value, void *ctx), void *ctx,
			       const char *line)
{
	int first, err = wl_params_parse(v, argc, argv, opt, ctx, &first);

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

int wl_params_parse_no_args(const struct wl_verb_params *v, int argc, char **argv,
			    int (*opt)(int key, const char *value, void *ctx), void *ctx)
{
	return wl_params_parse_no_args_as(v, argc, argv, opt, ctx, NULL);
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

int wl_params_flag(int key, const char *value, void *ctx)
{
	(void)key;
	(void)value;
	*(int *)ctx = 1;
	return 0;
}
