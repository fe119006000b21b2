// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The typed option tables (loader/params.h): what wl_params_parse writes into a verb's options
 * struct for each type, the one number syntax and its one error line, and the verbs' own tables
 * (every number fits its member, no name or letter twice). No BPF: a userspace suite. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "suites.h"
#include "loader/params.h"
#include "loader/ruleset.h"
#include "loader/verbs.h"
#include "loader/views.h"

struct probe_opts {
	bool flag;
	unsigned int mode;
	__u8 n8;
	__u16 count;
	__u32 n32;
	__u64 n64;
	long port; /* a signed member: its range given */
	int dir;
	const char *name;
	const struct wl_param_call *fn_call; /* what --cidr's parser was given */
	char fn_value[32];
};

static int cidr_arg(const struct wl_param_call *call, const char *value)
{
	struct probe_opts *o = call->opts;

	if (!strcmp(value, "bad"))
		return wl_params_bad_value(call, value, "not a prefix");
	o->fn_call = call;
	snprintf(o->fn_value, sizeof(o->fn_value), "%s", value);
	return 0;
}

static const struct wl_param_word probe_dirs[] = {{"in", 1}, {"out", 2}, {"both", 3}, {}};

static const struct wl_verb_params probe_params = {
	.verb = "probe",
	.summary = "every type of option",
	.params = WL_PARAMS(
		{"flag", 'f', NULL, "a flag", WL_FLAG(struct probe_opts, flag)},
		{"fast", 0, NULL, "mode 7", WL_FLAG_SET(struct probe_opts, mode, 7)},
		{"n8", 0, "N", "a byte", WL_NUM(struct probe_opts, n8, 0, 0)},
		{"count", 'c', "N", "1..1000", WL_NUM(struct probe_opts, count, 1, 1000)},
		{"n32", 0, "N", "32 bits", WL_NUM(struct probe_opts, n32, 0, 0)},
		{"n64", 0, "N", "64 bits from 1", WL_NUM(struct probe_opts, n64, 1, 0)},
		{"port", 0, "N", "0..65535", WL_NUM(struct probe_opts, port, 0, 65535)},
		{"dir", 'd', "in|out|both", "a word", WL_WORD(struct probe_opts, dir, probe_dirs)},
		{"name", 0, "S", "a string", WL_STRING(struct probe_opts, name)},
		{"cidr", 0, "X", "its own parser", WL_FN(cidr_arg)}),
};

#define ARGC(argv) ((int)(sizeof(argv) / sizeof((argv)[0])) - 1)

/* wl_params_parse with stdout thrown away and stderr caught into err (its whole text). */
static int parse_caught(const struct wl_verb_params *v, int argc, char **argv, void *opts,
			int *first, char *err, size_t len)
{
	FILE *t = tmpfile();
	int saved_out = dup(1), saved_err = dup(2), null = open("/dev/null", O_WRONLY), ret;
	size_t n;

	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(fileno(t), 2);
	ret = wl_params_parse(v, argc, argv, opts, first);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(null);
	rewind(t);
	n = fread(err, 1, len - 1, t);
	err[n] = '\0';
	fclose(t);
	return ret;
}

/* `probe OPT VALUE --n8 9` refused: 2, the one line "wirelens: probe: OPT VALUE: why", and
 * nothing written (not even --n8, after it). */
static void expect_refused(const char *opt, const char *value, const char *why)
{
	char *argv[] = {"probe", (char *)opt, (char *)value, "--n8", "9", NULL};
	struct probe_opts o, before;
	char err[256], want[256];
	int first;

	memset(&o, 0x5a, sizeof(o));
	before = o;
	CU_ASSERT_EQUAL(parse_caught(&probe_params, ARGC(argv), argv, &o, &first, err, sizeof(err)),
			2);
	snprintf(want, sizeof(want), "wirelens: probe: %s %s: %s\n", opt, value, why);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(memcmp(&o, &before, sizeof(o)), 0);
}

WL_TEST_NAMED(params, good_values, "good values fill the options struct")
{
	char *argv[] = {"probe",
			"--flag",
			"--fast",
			"--n8",
			"255",
			"-c",
			"1000",
			"--n32",
			"4294967295",
			"--n64",
			"18446744073709551615",
			"--port",
			"0",
			"--dir",
			"both",
			"--name",
			"wl0",
			"--cidr",
			"198.18.0.0/15",
			"FILE",
			NULL};
	struct probe_opts o = {.port = -1};
	char err[256];
	int first = -1;

	CU_ASSERT_EQUAL(parse_caught(&probe_params, ARGC(argv), argv, &o, &first, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_TRUE(o.flag);
	CU_ASSERT_EQUAL(o.mode, 7);
	CU_ASSERT_EQUAL(o.n8, 255);
	CU_ASSERT_EQUAL(o.count, 1000);
	CU_ASSERT_EQUAL(o.n32, 4294967295u);
	CU_ASSERT_EQUAL(o.n64, 18446744073709551615ull);
	CU_ASSERT_EQUAL(o.port, 0);
	CU_ASSERT_EQUAL(o.dir, 3);
	CU_ASSERT_STRING_EQUAL(o.name, "wl0");
	CU_ASSERT_STRING_EQUAL(o.fn_value, "198.18.0.0/15");
	CU_ASSERT_EQUAL(first, ARGC(argv) - 1); /* the positional argument */
}

WL_TEST_NAMED(params, last_wins, "a later option overrides an earlier one")
{
	char *argv[] = {"probe", "-c", "5", "--count=7", "-d", "in", "--dir", "out", NULL};
	struct probe_opts o = {};
	char err[256];
	int first;

	CU_ASSERT_EQUAL(parse_caught(&probe_params, ARGC(argv), argv, &o, &first, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(o.count, 7);
	CU_ASSERT_EQUAL(o.dir, 2);
	CU_ASSERT_EQUAL(first, ARGC(argv));
}

/* Each form a number is refused in: 2, one line of the one shape, nothing written. */
WL_TEST_NAMED(params, bad_numbers, "every bad number form is refused the same way")
{
	static const char *const forms[] = {
		"",
		"x",
		" 5",
		"5 ",
		"+5",
		"-5",
		"5x",
		"0x10",
		"1e3",
		"1000.0",
		"0",
		"1001",
		"01001",
		"99999999999999999999",
		"18446744073709551616",
		"-0",
		"\xd9\xa3" /* an Arabic-Indic 3 */,
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		expect_refused("--count", forms[i], "a number from 1 to 1000");
}

/* max 0: what the member holds. */
WL_TEST_NAMED(params, member_bounds, "a number beyond its member is refused")
{
	static const struct {
		const char *opt, *value;
		unsigned long long lo, hi; /* the range the line names */
	} cases[] = {
		{"--n8", "256", 0, 255},
		{"--n32", "4294967296", 0, 4294967295u},
		{"--n64", "18446744073709551616", 1, ~0ULL},
		{"--n64", "0", 1, ~0ULL},
		{"--port", "65536", 0, 65535},
		{"--port", "-1", 0, 65535},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[64];

		snprintf(why, sizeof(why), "a number from %llu to %llu", cases[i].lo, cases[i].hi);
		expect_refused(cases[i].opt, cases[i].value, why);
	}
}

WL_TEST_NAMED(params, words, "words map to their values, other words are refused")
{
	static const char *const good[] = {"in", "out", "both"}, *const bad[] = {"IN", "", "in ",
										 "bogus", "1"};

	for (int i = 0; i < 3; i++) {
		char *argv[] = {"probe", "-d", (char *)good[i], NULL};
		struct probe_opts o = {};
		char err[256];
		int first;

		CU_ASSERT_EQUAL(
			parse_caught(&probe_params, ARGC(argv), argv, &o, &first, err, sizeof(err)),
			0);
		CU_ASSERT_EQUAL(o.dir, i + 1);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused("--dir", bad[i], "in, out or both");
}

WL_TEST_NAMED(params, own_parser, "a value's own parser gets the call and stops the parse")
{
	char *good[] = {"probe", "--cidr", "x", NULL};
	char *bad[] = {"probe", "--cidr", "bad", "--n8", "4", NULL};
	struct probe_opts o = {};
	char err[256];
	int first;

	CU_ASSERT_EQUAL(parse_caught(&probe_params, ARGC(good), good, &o, &first, err, sizeof(err)),
			0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o.fn_call);
	CU_ASSERT_STRING_EQUAL(o.fn_value, "x");
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(parse_caught(&probe_params, ARGC(bad), bad, &o, &first, err, sizeof(err)),
			2);
	CU_ASSERT_STRING_EQUAL(err, "wirelens: probe: --cidr bad: not a prefix\n");
	CU_ASSERT_EQUAL(o.n8, 0);
}

WL_TEST_NAMED(params, usage_errors, "unknown options, missing values and --help")
{
	static const struct {
		const char *argv[3];
		int ret;
		const char *err;
	} cases[] = {
		{{"--bogus"},
		 2,
		 "wirelens: probe: unknown option '--bogus' (wirelens probe --help)\n"},
		{{"-x"}, 2, "wirelens: probe: unknown option '-x' (wirelens probe --help)\n"},
		{{"--count"},
		 2,
		 "wirelens: probe: --count needs a value (wirelens probe --help)\n"},
		{{"-c"}, 2, "wirelens: probe: -c needs a value (wirelens probe --help)\n"},
		{{"--flag=1"},
		 2,
		 "wirelens: probe: unknown option '--flag=1' (wirelens probe --help)\n"},
		{{"--help", "--count", "0"}, WL_PARAMS_HELP, ""},
		{{"-h"}, WL_PARAMS_HELP, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[5] = {"probe"};
		struct probe_opts o = {}, before = o;
		char err[256];
		int argc = 1, first;

		for (int k = 0; k < 3 && cases[i].argv[k]; k++)
			argv[argc++] = (char *)cases[i].argv[k];
		CU_ASSERT_EQUAL(
			parse_caught(&probe_params, argc, argv, &o, &first, err, sizeof(err)),
			cases[i].ret);
		CU_ASSERT_STRING_EQUAL(err, cases[i].err);
		CU_ASSERT_EQUAL(memcmp(&o, &before, sizeof(o)), 0);
	}
}

WL_TEST_NAMED(params, number_syntax, "wl_params_number: digits, min..max, no overflow")
{
	unsigned long long v = 77;

	CU_ASSERT_EQUAL(wl_params_number("0", 0, 0, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(wl_params_number("007", 0, 10, &v), 0);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_EQUAL(wl_params_number("18446744073709551615", 0, ~0ULL, &v), 0);
	CU_ASSERT_EQUAL(v, ~0ULL);
	v = 77;
	CU_ASSERT_EQUAL(wl_params_number("18446744073709551616", 0, ~0ULL, &v), -1);
	CU_ASSERT_EQUAL(wl_params_number("184467440737095516150", 0, ~0ULL, &v), -1);
	CU_ASSERT_EQUAL(wl_params_number("65536", 1, 65535, &v), -1);
	CU_ASSERT_EQUAL(wl_params_number("0", 1, 65535, &v), -1);
	CU_ASSERT_EQUAL(wl_params_number("", 0, 10, &v), -1);
	CU_ASSERT_EQUAL(wl_params_number("\t5", 0, 10, &v), -1);
	CU_ASSERT_EQUAL(v, 77);
}

/* A verb's own table into its own struct: flows' view. */
WL_TEST_NAMED(params, flows_table, "flows: --limit, --sort, --json into its view")
{
	char *good[] = {"flows", "--limit", "5", "--sort", "packets", "-j", NULL};
	char *bad[] = {"flows", "--limit", " 5", NULL};
	struct wl_flows_view v = {.limit = -1};
	char err[256];
	int first;

	CU_ASSERT_EQUAL(
		parse_caught(&wl_flows_params, ARGC(good), good, &v, &first, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v.limit, 5);
	CU_ASSERT_TRUE(v.by_packets);
	CU_ASSERT_TRUE(v.json);
	v = (struct wl_flows_view){.limit = -1};
	CU_ASSERT_EQUAL(
		parse_caught(&wl_flows_params, ARGC(bad), bad, &v, &first, err, sizeof(err)), 2);
	CU_ASSERT_STRING_EQUAL(err, "wirelens: flows: --limit  5: a number from 0 to 2147483647\n");
	CU_ASSERT_EQUAL(v.limit, -1);
}

/* rule add's table: numbers and words next to the conditions with a syntax of their own (no
 * --l7: the filter maps are not needed). */
WL_TEST_NAMED(params, rule_add_table, "rule add: --vlan, --priority, --dir and the rest")
{
	char *good[] = {"add",	 "--vlan",  "4094",	"--priority", "4294967295",
			"--dir", "in",	    "--action", "count",      "--proto",
			"tcp",	 "--dport", "1-1024",	NULL};
	char *bad[] = {"add", "--action", "count", "--vlan", "+5", NULL};
	struct wl_rule_ent e;

	CU_ASSERT_EQUAL(wl_rule_parse(NULL, ARGC(good), good, &e, NULL), 0);
	CU_ASSERT_EQUAL(e.r.vlan, 4094);
	CU_ASSERT_TRUE(e.r.fields & WL_RF_VLAN);
	CU_ASSERT_EQUAL(e.r.priority, 4294967295u);
	CU_ASSERT_EQUAL(e.r.dirs, WL_RULE_IN);
	CU_ASSERT_EQUAL(e.r.action, WL_ACT_COUNT);
	CU_ASSERT_EQUAL(e.r.dport_lo, 1);
	CU_ASSERT_EQUAL(e.r.dport_hi, 1024);
	CU_ASSERT_EQUAL(e.old_idx, -1);
	fflush(stderr);
	{
		int saved = dup(2), null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		CU_ASSERT_EQUAL(wl_rule_parse(NULL, ARGC(bad), bad, &e, NULL), -EINVAL);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		close(null);
	}
}

static unsigned long long member_max(const struct wl_param *p)
{
	return p->size >= 8 ? ~0ULL : (1ULL << (8 * p->size)) - 1;
}

/* One table: every entry typed as its arg says, numbers within their members, no name or
 * letter twice. */
static void table_check(const struct wl_verb_params *v)
{
	for (size_t i = 0; v->params && v->params[i].name; i++) {
		const struct wl_param *p = &v->params[i];
		bool sized = p->size == 1 || p->size == 2 || p->size == 4 || p->size == 8;

		CU_ASSERT_PTR_NOT_NULL(p->help);
		switch (p->type) {
		case WL_PARAM_FLAG:
			CU_ASSERT_PTR_NULL(p->arg);
			CU_ASSERT_TRUE(sized && p->set <= member_max(p));
			break;
		case WL_PARAM_NUM:
			CU_ASSERT_PTR_NOT_NULL(p->arg);
			CU_ASSERT_TRUE(sized && p->max <= member_max(p));
			CU_ASSERT_TRUE(p->min <= (p->max ? p->max : member_max(p)));
			break;
		case WL_PARAM_WORD:
			CU_ASSERT_PTR_NOT_NULL(p->arg);
			CU_ASSERT_TRUE(sized && p->words && p->words[0].word);
			break;
		case WL_PARAM_STRING:
			CU_ASSERT_PTR_NOT_NULL(p->arg);
			CU_ASSERT_EQUAL(p->size, sizeof(const char *));
			break;
		case WL_PARAM_FN:
			CU_ASSERT_PTR_NOT_NULL(p->fn);
			break;
		default:
			CU_FAIL("an option without a type");
			printf("\n  %s --%s: no type", v->verb, p->name);
		}
		for (size_t k = 0; k < i; k++) {
			CU_ASSERT_STRING_NOT_EQUAL(v->params[k].name, p->name);
			CU_ASSERT_TRUE(!p->key || v->params[k].key != p->key);
		}
	}
	for (size_t i = 0; v->subs && v->subs[i]; i++)
		table_check(v->subs[i]);
}

WL_TEST_NAMED(params, verb_tables, "every verb's table: typed, numbers within their members")
{
	const struct wl_verb_params *verbs[] = {
		&wl_status_params, &wl_flows_params,  &wl_commands_params, &wl_ports_params,
		&wl_watch_params,  &wl_log_params,    &wl_top_params,	   &wl_export_params,
		&wl_rule_params,   &wl_replay_params, &probe_params,
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		table_check(verbs[i]);
}
