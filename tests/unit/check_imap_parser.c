/*
 * check_imap_parser.c - the IMAP command parser, fed byte by byte.
 *
 * Every command is fed twice: all at once, and one octet per call, and the
 * two must give the same tree and the same stops.  The tree is printed
 * back in a canonical form (atoms bare, strings quoted, literals as
 * {n}data, lists in parentheses) so each test states the expected result
 * as one readable string.
 */
#include "../../servers/imap/imap_parser.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* show - the canonical form of a list of arguments. */
static void show(const struct imap_arg *a, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(out, " ");
		switch (a[i].type) {
		case IMAP_ARG_ATOM:
			buf_append(out, a[i].str, a[i].len);
			break;
		case IMAP_ARG_STRING:
			if (a[i].literal)
				buf_printf(out, "{%zu}", a[i].len);
			else
				buf_puts(out, "\"");
			buf_append(out, a[i].str, a[i].len);
			if (!a[i].literal)
				buf_puts(out, "\"");
			break;
		case IMAP_ARG_LIST:
			buf_puts(out, "(");
			show(a[i].list, a[i].count, out);
			buf_puts(out, ")");
			break;
		}
	}
}

/* One run of the parser over an input: the stops in order ('L' literal,
 * 'D' done, 'E' error) and the last result, printed. */
struct run {
	char stops[64];
	char result[4096];
	enum imap_parse_error error;
};

static void record(struct imap_parser *p, enum imap_parse_status st,
		   struct run *r)
{
	static const char letters[] = { 'N', 'L', 'D', 'E' };
	size_t n = strlen(r->stops);
	if (n + 1 < sizeof(r->stops))
		r->stops[n] = letters[st];
	if (st == IMAP_PARSE_DONE || st == IMAP_PARSE_ERROR) {
		struct buf out;
		buf_init(&out, sizeof(r->result) - 1);
		buf_printf(&out, "%s|", p->tag ? p->tag : "*");
		if (st == IMAP_PARSE_DONE)
			show(p->args, p->nargs, &out);
		else
			buf_puts(&out, p->error_text);
		snprintf(r->result, sizeof(r->result), "%s", out.data);
		r->error = p->error;
		buf_free(&out);
	}
}

static void parse(const char *in, size_t len, size_t chunk, struct run *r)
{
	struct imap_parser p;
	imap_parser_init(&p);
	memset(r, 0, sizeof(*r));
	size_t pos = 0;
	while (pos < len) {
		size_t n = len - pos < chunk ? len - pos : chunk;
		enum imap_parse_status st;
		size_t used = imap_parser_feed(&p, in + pos, n, &st);
		ck_assert_uint_gt(used, 0);
		pos += used;
		if (st != IMAP_PARSE_NEED_MORE)
			record(&p, st, r);
		if (st == IMAP_PARSE_ERROR && p.error == IMAP_PERR_FATAL)
			break; /* the server closes the connection here */
	}
	imap_parser_free(&p);
}

/* expect_len - whole and byte by byte must agree with @stops/@result. */
static void expect_len(const char *in, size_t len, const char *stops,
		       const char *result)
{
	struct run whole, bytes;
	parse(in, len, len, &whole);
	parse(in, len, 1, &bytes);
	ck_assert_str_eq(whole.stops, stops);
	ck_assert_str_eq(bytes.stops, stops);
	ck_assert_str_eq(whole.result, result);
	ck_assert_str_eq(bytes.result, result);
}

static void expect(const char *in, const char *stops, const char *result)
{
	expect_len(in, strlen(in), stops, result);
}

START_TEST(simple_commands)
{
	expect("a1 NOOP\r\n", "D", "a1|NOOP");
	expect("a2 LOGIN alice wonderland\r\n", "D", "a2|LOGIN alice wonderland");
	/* hand-typed input often ends in a bare LF */
	expect("a3 CAPABILITY\n", "D", "a3|CAPABILITY");
	expect("A001 SELECT INBOX\r\nA002 NOOP\r\n", "DD", "A002|NOOP");
}
END_TEST

START_TEST(quoted_strings)
{
	expect("a LOGIN \"alice\" \"won der\"\r\n", "D",
	       "a|LOGIN \"alice\" \"won der\"");
	/* RFC 9051 §4.3: \" and \\ are the only escapes */
	expect("a LOGIN x \"say \\\"hi\\\" \\\\o/\"\r\n", "D",
	       "a|LOGIN x \"say \"hi\" \\o/\"");
	expect("a LOGIN x \"\\n\"\r\n", "E",
	       "a|in a quoted string '\\' may only escape '\"' or '\\'");
	expect("a LOGIN x \"open\r\n", "E",
	       "a|quoted string not closed (use a literal for line breaks)");
	expect("a SELECT \"\"\r\n", "D", "a|SELECT \"\"");
	/* UTF-8 is fine inside quotes */
	expect("a SEARCH SUBJECT \"caf\xc3\xa9\"\r\n", "D",
	       "a|SEARCH SUBJECT \"caf\xc3\xa9\"");
}
END_TEST

START_TEST(lists_nested)
{
	expect("a FETCH 1:* (FLAGS UID)\r\n", "D", "a|FETCH 1:* (FLAGS UID)");
	expect("a SEARCH OR (FROM x (SUBJECT y)) ()\r\n", "D",
	       "a|SEARCH OR (FROM x (SUBJECT y)) ()");
	expect("a STORE 1 +FLAGS (\\Seen \\Deleted)\r\n", "D",
	       "a|STORE 1 +FLAGS (\\Seen \\Deleted)");
	expect("a FETCH 1 (FLAGS\r\n", "E",
	       "a|unbalanced parentheses: a list is not closed");
	expect("a FETCH 1 FLAGS)\r\n", "E",
	       "a|unbalanced parentheses: ')' without '('");
	expect("a FETCH 1 (FLAGS)(UID)\r\n", "E",
	       "a|arguments must be separated by a space");
}
END_TEST

START_TEST(depth_limit)
{
	char in[256];
	int n = snprintf(in, sizeof(in), "a SEARCH ");
	for (int i = 0; i <= IMAP_LIST_DEPTH_MAX; i++)
		in[n++] = '(';
	strcpy(in + n, "ALL\r\n");
	expect(in, "E", "a|lists nested too deeply");
}
END_TEST

START_TEST(fetch_sections)
{
	expect("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100> UID)\r\n",
	       "D", "a|FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100> UID)");
	expect("a FETCH 1 BODY[]\r\n", "D", "a|FETCH 1 BODY[]");
	expect("a FETCH 1 BODY[1.2\r\n", "E", "a|'[' without ']'");
	/* Gmail-style names are atoms too */
	expect("a LIST \"\" [Gmail]/*\r\n", "D", "a|LIST \"\" [Gmail]/*");
}
END_TEST

START_TEST(synchronizing_literal)
{
	/* RFC 9051 §8's APPEND example, shortened: the stop 'L' is where the
	 * server sends "+ Ready for literal data". */
	const char *in = "A003 APPEND saved-messages (\\Seen) {12}\r\n"
			 "Hi\r\nthere.\r\n\r\n";
	expect(in, "LD", "A003|APPEND saved-messages (\\Seen) {12}Hi\r\nthere.\r\n");
	expect("a LOGIN {5}\r\nalice {10}\r\nwonder)and\r\n", "LLD",
	       "a|LOGIN {5}alice {10}wonder)and");
	/* an empty literal */
	expect("a LOGIN {0}\r\n {1}\r\nx\r\n", "LLD", "a|LOGIN {0} {1}x");
	/* the literal is any octets, even what looks like a command end */
	expect("a X {8}\r\nb NOOP\r\n\r\n", "LD", "a|X {8}b NOOP\r\n");
}
END_TEST

START_TEST(non_synchronizing_literal)
{
	/* RFC 7888: no continuation stop */
	expect("a LOGIN {5+}\r\nalice {3+}\r\npwd\r\n", "D",
	       "a|LOGIN {5}alice {3}pwd");
	expect("a LOGIN {+}\r\n", "E",
	       "a|malformed literal size (use {n} or {n+})");
	expect("a LOGIN {5}x\r\n", "E", "a|a literal's size must end the line");
}
END_TEST

START_TEST(literal_too_big)
{
	char in[128];
	/* {n}: refused before a single octet is read; the line just ends */
	snprintf(in, sizeof(in), "a APPEND INBOX {%u}\r\n",
		 (unsigned)IMAP_LITERAL_MAX + 1);
	expect(in, "E", "a|literal too large");
	struct run r;
	parse(in, strlen(in), 1, &r);
	ck_assert_int_eq(r.error, IMAP_PERR_TOOBIG);
	/* {n+}: the octets are coming anyway; the stream is lost */
	snprintf(in, sizeof(in), "a APPEND INBOX {99999999999999999999+}\r\n");
	parse(in, strlen(in), 1, &r);
	ck_assert_str_eq(r.result, "a|non-synchronizing literal too large");
	ck_assert_int_eq(r.error, IMAP_PERR_FATAL);
}
END_TEST

START_TEST(literal_cut_off)
{
	/* a disconnect in the middle of a literal: nothing is reported, and
	 * the parser says how much is still missing */
	struct imap_parser p;
	enum imap_parse_status st;
	imap_parser_init(&p);
	const char *in = "a APPEND INBOX {100}\r\nonly this";
	size_t used = imap_parser_feed(&p, in, 22, &st);
	ck_assert_uint_eq(used, 22);
	ck_assert_int_eq(st, IMAP_PARSE_LITERAL);
	used = imap_parser_feed(&p, in + 22, strlen(in) - 22, &st);
	ck_assert_int_eq(st, IMAP_PARSE_NEED_MORE);
	ck_assert_uint_eq(imap_parser_literal_left(&p), 91);
	ck_assert(imap_parser_busy(&p));
	imap_parser_free(&p);
}
END_TEST

START_TEST(bad_octets)
{
	expect_len("a NOOP\0x\r\nb NOOP\r\n", 18, "ED", "b|NOOP");
	expect_len("a NOOP\0x\r\n", 10, "E", "a|NUL octet in command");
	expect("a SELECT caf\xc3\xa9\r\n", "E",
	       "a|8-bit octet outside a quoted string or literal");
	expect("a NOOP\rx\r\n", "E", "a|CR not followed by LF");
	expect("a SELECT x\x01y\r\n", "E", "a|control character in command");
	/* a literal may not carry NUL either (RFC 9051 §4.3, CHAR8) */
	expect_len("a LOGIN {3}\r\na\0b c\r\n", 20, "LE",
		   "a|NUL octet in a literal");
}
END_TEST

START_TEST(tags)
{
	expect("\r\n", "E", "*|empty command line");
	expect("a1\r\n", "E", "a1|missing command name");
	expect(" NOOP\r\n", "E", "*|missing tag");
	expect("a+b NOOP\r\n", "E", "*|invalid character in tag");
	expect("* NOOP\r\n", "E", "*|invalid character in tag");
}
END_TEST

START_TEST(errors_resynchronise)
{
	/* after a bad line the next command parses normally, and a {n+} at
	 * the end of the bad line takes its octets with it */
	expect("a FETCH (\r\nb NOOP\r\n", "ED", "b|NOOP");
	expect("a \x01 {6+}\r\nc NOOP\r\nb NOOP\r\n", "ED", "b|NOOP");
}
END_TEST

START_TEST(line_limit)
{
	size_t n = IMAP_LINE_MAX + 100;
	char *in = malloc(n + 32);
	memcpy(in, "a SELECT ", 9);
	memset(in + 9, 'x', n);
	memcpy(in + 9 + n, "\r\nb NOOP\r\n", 11);
	struct run r;
	parse(in, strlen(in), 1, &r);
	ck_assert_str_eq(r.stops, "ED");
	ck_assert_str_eq(r.result, "b|NOOP");
	parse(in, 9 + n + 2, 7, &r);
	ck_assert_str_eq(r.result, "a|command line too long");
	ck_assert_int_eq(r.error, IMAP_PERR_TOOBIG);
	free(in);
}
END_TEST

START_TEST(many_arguments)
{
	/* more arguments than fit on one line: a {1+} literal every 1000
	 * arguments starts a new line */
	size_t n = IMAP_ARGS_MAX + 1;
	char *in = malloc(n * 4 + 32);
	size_t k = (size_t)sprintf(in, "a SEARCH");
	for (size_t i = 0; i < n; i++)
		k += (size_t)sprintf(in + k, i % 1000 == 999 ? " {1+}\r\ny"
							      : " x");
	strcpy(in + k, "\r\n");
	struct run r;
	parse(in, strlen(in), 4096, &r);
	ck_assert_str_eq(r.result, "a|too many arguments");
	free(in);
}
END_TEST

Suite *imap_parser_suite(void)
{
	Suite *s = suite_create("imap_parser");
	TCase *tc = tcase_create("parser");
	tcase_add_test(tc, simple_commands);
	tcase_add_test(tc, quoted_strings);
	tcase_add_test(tc, lists_nested);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, fetch_sections);
	tcase_add_test(tc, synchronizing_literal);
	tcase_add_test(tc, non_synchronizing_literal);
	tcase_add_test(tc, literal_too_big);
	tcase_add_test(tc, literal_cut_off);
	tcase_add_test(tc, bad_octets);
	tcase_add_test(tc, tags);
	tcase_add_test(tc, errors_resynchronise);
	tcase_add_test(tc, line_limit);
	tcase_add_test(tc, many_arguments);
	suite_add_tcase(s, tc);
	return s;
}
