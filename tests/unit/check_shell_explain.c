/*
 * check_shell_explain.c - the explanation tables and what mailsh builds
 * from them, plus the pure helpers of the shell: SASL arithmetic (checked
 * against the RFC examples) and completion.
 */
#include "../../proto/codes.h"
#include "../../proto/imap.h"
#include "../../proto/pop3.h"
#include "../../shell/explain.h"
#include "../../shell/shell.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char text[1024];

static void explain(enum track_proto p, enum track_line kind, const char *line)
{
	explain_line(p, kind, line, text, sizeof(text));
}

static void has(const char *part)
{
	ck_assert_msg(strstr(text, part) != NULL, "\"%s\" not in \"%s\"", part,
		      text);
}

/* every row: a code, an RFC section, a meaning; no code twice */
static void table_ok(const struct code_info *table, const char *name)
{
	int n = 0;
	for (const struct code_info *c = table; c->code; c++, n++) {
		ck_assert_msg(strncmp(c->rfc, "RFC ", 4) == 0 &&
				      strstr(c->rfc, "§") != NULL,
			      "%s %s: no RFC section", name, c->code);
		ck_assert_msg(strlen(c->meaning) > 5, "%s %s: no meaning", name,
			      c->code);
		ck_assert_msg(codes_find(table, c->code, strlen(c->code)) == c,
			      "%s %s appears twice", name, c->code);
	}
	ck_assert_msg(n >= 5, "%s has only %d rows", name, n);
}

START_TEST(tables_are_complete)
{
	table_ok(codes_smtp, "smtp_codes.def");
	table_ok(codes_smtp_enhanced, "smtp_enhanced.def");
	table_ok(codes_imap_status, "imap status");
	table_ok(codes_imap_resp, "imap codes");
	table_ok(codes_imap_data, "imap data");
	/* RFC 5321 §4.2.3 and RFC 3463 §3 rows that replies use every day */
	static const char *const smtp[] = { "220", "250", "354", "421", "450",
					    "451", "500", "503", "530", "535",
					    "550", "554", NULL };
	for (int i = 0; smtp[i]; i++)
		ck_assert_ptr_nonnull(codes_find(codes_smtp, smtp[i], 3));
	ck_assert_ptr_nonnull(codes_find(codes_smtp_enhanced, "X.7.8", 5));
	ck_assert_ptr_nonnull(codes_find(codes_imap_resp, "trycreate", 9));
	ck_assert_ptr_null(codes_find(codes_smtp, "25", 2));
}
END_TEST

START_TEST(smtp_lines)
{
	explain(TRACK_SMTP, TRACK_LINE_STATUS, "250 2.1.5 Ok");
	has("250: Requested action okay, completed (RFC 5321 §4.2.3)");
	has("2.1.5: Destination address valid (RFC 3463 §3.2)");
	explain(TRACK_SMTP, TRACK_LINE_STATUS, "535 5.7.8 Error: authentication failed");
	has("RFC 4954 §6");
	has("5.7.8: Authentication credentials invalid");
	/* a code without a row: what its digits say (RFC 5321 §4.2.1) */
	explain(TRACK_SMTP, TRACK_LINE_STATUS, "459 odd");
	has("459: Transient failure");
	has("about the mail system");
	explain(TRACK_SMTP, TRACK_LINE_CONT, "334 VXNlcm5hbWU6");
	has("base64 for \"Username:\"");
	explain(TRACK_SMTP, TRACK_LINE_DATA, "250-PIPELINING");
	ck_assert_str_eq(text, "");
}
END_TEST

START_TEST(pop3_and_imap_lines)
{
	explain(TRACK_POP3, TRACK_LINE_STATUS, "-ERR [IN-USE] maildrop locked");
	has("-ERR: Failure");
	has("[IN-USE]: The maildrop is locked");
	has("RFC 2449 §8.1.1");
	explain(TRACK_POP3, TRACK_LINE_DATA, "Subject: hi");
	ck_assert_str_eq(text, "");
	explain(TRACK_IMAP, TRACK_LINE_STATUS, "a1 NO [TRYCREATE] no such mailbox");
	has("tagged NO: Operational failure");
	has("[TRYCREATE]: The target mailbox does not exist");
	explain(TRACK_IMAP, TRACK_LINE_UNTAGGED, "* 3 EXISTS");
	has("EXISTS: The number of messages");
	has("RFC 9051 §7.4.1");
	explain(TRACK_IMAP, TRACK_LINE_UNTAGGED, "* BYE Logging out");
	has("untagged BYE");
	explain(TRACK_IMAP, TRACK_LINE_CONT, "+ ");
	has("Continuation request");
}
END_TEST

START_TEST(full_explanations)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	ck_assert_int_eq(explain_full("5.7.8", f), 3);   /* class, subject, detail */
	ck_assert_int_eq(explain_full("550", f), 3);     /* code, 1st, 2nd digit */
	ck_assert_int_eq(explain_full("[IN-USE]", f), 1);
	ck_assert_int_eq(explain_full("BYE", f), 1);
	ck_assert_int_eq(explain_full("-ERR", f), 1);
	ck_assert_int_eq(explain_full("NOSUCHCODE", f), 0);
	ck_assert_int_eq(explain_full("9.9.9", f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "RFC 3463 §2"));
	ck_assert_ptr_nonnull(strstr(out, "RFC 4954 §6"));
	ck_assert_ptr_nonnull(strstr(out, "Security or policy"));
	ck_assert_ptr_nonnull(strstr(out, "RFC 2449 §8.1.1"));
	free(out);
}
END_TEST

START_TEST(sasl_arithmetic)
{
	char out[256];
	ck_assert_int_eq(sasl_plain_b64("", "alice", "wonderland", out,
					sizeof(out)), 0);
	ck_assert_str_eq(out, "AGFsaWNlAHdvbmRlcmxhbmQ=");
	/* RFC 2195 §2's example */
	ck_assert_int_eq(sasl_cram_answer("tim", "tanstaaftanstaaf",
					  "<1896.697170952@postoffice.reston.mci.net>",
					  out, sizeof(out)), 0);
	ck_assert_str_eq(out, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	/* RFC 1939 §7's example */
	ck_assert_int_eq(sasl_apop_digest("<1896.697170952@dbc.mtview.ca.us>",
					  "tanstaaf", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "c4c9334bac560ecc979e58001b3e22fb");
}
END_TEST

/* completions - run the completer; returns how many and the list. */
static int completions(struct shell *sh, const char *line, char ***v_r)
{
	const char *text = strrchr(line, ' ');
	text = text ? text + 1 : line;
	char **v = complete_words(sh, line, (int)(text - line), text);
	int n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	*v_r = v;
	return n;
}

static void free_all(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

START_TEST(completion_from_state)
{
	static struct shell sh;
	char **v;
	struct conn fake;
	sh.have_url = true;
	sh.conn = &fake;          /* only its presence is looked at */
	track_init(&sh.track, TRACK_POP3, false);
	sh.track.state = POP3_TRANSACTION;
	sh.track.messages = 3;
	ck_assert_int_eq(completions(&sh, "RE", &v), 1);
	ck_assert_str_eq(v[0], "RETR");
	free_all(v);
	ck_assert_int_eq(completions(&sh, "US", &v), 0); /* not in TRANSACTION */
	ck_assert_int_eq(completions(&sh, "RETR ", &v), 4);  /* prefix + 1 2 3 */
	ck_assert_str_eq(v[3], "3");
	free_all(v);
	ck_assert_int_eq(completions(&sh, ":conn", &v), 1);
	ck_assert_str_eq(v[0], ":connect");
	free_all(v);
	track_init(&sh.track, TRACK_IMAP, false);
	sh.track.state = IMAP_AUTHENTICATED;
	sh.track.nmailboxes = 2;
	strcpy(sh.track.mailboxes[0], "INBOX");
	strcpy(sh.track.mailboxes[1], "Sent Items");
	ck_assert_int_eq(completions(&sh, "t1 SELECT \"S", &v), 1);
	ck_assert_str_eq(v[0], "\"Sent Items\"");
	free_all(v);
	ck_assert_int_eq(completions(&sh, "SELECT I", &v), 1);
	free_all(v);
	ck_assert_int_eq(completions(&sh, "UID F", &v), 0); /* not selected */
	sh.track.state = IMAP_SELECTED;
	ck_assert_int_eq(completions(&sh, "UID F", &v), 1);
	ck_assert_str_eq(v[0], "FETCH");
	free_all(v);
}
END_TEST

Suite *shell_explain_suite(void)
{
	Suite *su = suite_create("shell_explain");
	TCase *tc = tcase_create("Explain");
	tcase_add_test(tc, tables_are_complete);
	tcase_add_test(tc, smtp_lines);
	tcase_add_test(tc, pop3_and_imap_lines);
	tcase_add_test(tc, full_explanations);
	suite_add_tcase(su, tc);
	TCase *helpers = tcase_create("Helpers");
	tcase_add_test(helpers, sasl_arithmetic);
	tcase_add_test(helpers, completion_from_state);
	suite_add_tcase(su, helpers);
	return su;
}
