/*
 * check_robust.c - the fixes the robustness work led to, each pinned by a
 * test of the pure module it is in (docs/robustness.md).
 *
 *   - linebuf: how a skipped over-long line ended, and its first octets;
 *   - the SMTP core: bare CR and LF in commands, the end of DATA after an
 *     over-long line, EHLO and DATA with input pipelined behind them, the
 *     reply to an early talker (RFC 5321 §2.3.8, §3.1; RFC 2920 §3.1);
 *   - the IMAP parser's limits before login;
 *   - modified UTF-7: no lead octet F5-FF, no U+0000 (found by fuzzing);
 *   - ENVELOPE of an address with a stray ')' ends (found by fuzzing);
 *   - Maildir folders: a leading '~' refused, a symbolic link refused.
 *
 * The inputs the fuzzers found are also replayed as they are, from
 * fuzz/regress/, by `make fuzz-check`.
 */
#include "../../common/linebuf.h"
#include "../../proto/limits.h"
#include "../../servers/core/maildir.h"
#include "../../servers/imap/imap_mime.h"
#include "../../servers/imap/imap_mutf7.h"
#include "../../servers/imap/imap_parser.h"
#include "../../servers/smtp/smtp_core.h"
#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- linebuf ------------------------------------------------------------ */

START_TEST(skipped_line_reports_its_end)
{
	struct linebuf lb;
	char *line;
	size_t len;
	unsigned flags;
	ck_assert_int_eq(linebuf_init(&lb, 16), 0);
	/* over-long, ended by a bare LF, split over two reads */
	linebuf_feed(&lb, "abcdefghijklmnopqrst", 20);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags), LINEBUF_TOO_LONG);
	ck_assert_uint_ge(len, 16);
	ck_assert_int_eq(memcmp(line, "abcdefghijklmnop", 16), 0);
	linebuf_feed(&lb, "uvw\n.\r\n", 7);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags), LINEBUF_LINE);
	ck_assert_str_eq(line, ".");
	ck_assert_uint_eq(flags, LINEBUF_AFTER_LONG_BARE_LF);
	/* the same ended by CRLF, the CR at the end of a read */
	linebuf_feed(&lb, "abcdefghijklmnopqrs\r", 20);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags), LINEBUF_TOO_LONG);
	linebuf_feed(&lb, "\n.\r\n", 4);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags), LINEBUF_LINE);
	ck_assert_uint_eq(flags, 0);
	linebuf_free(&lb);
}
END_TEST

/* ---- SMTP --------------------------------------------------------------- */

static char *data_dir;
static char users_file[4096];
static struct smtp_config cfg;
static const struct trace quiet = { "smtp", 1, -1 };

static void smtp_setup(void)
{
	data_dir = fixture_tmpdir();
	snprintf(users_file, sizeof(users_file), "%s/users", data_dir);
	fixture_write_file(users_file, "alice:{PLAIN}x\n", 15);
	cfg = (struct smtp_config){
		.hostname = "mx.test", .data_dir = data_dir,
		.users_file = users_file, .domains = { "maillab.test" },
		.ndomains = 1, .postmaster = "alice", .role = SMTP_ROLE_MX,
		.cleartext_allowed = true, .max_size = 100000, .peer = "[127.0.0.1]",
	};
}

static void smtp_teardown(void)
{
	fixture_rmtree(data_dir);
	free(data_dir);
}

/* say - one line with @flags; the reply. */
static const char *say(struct smtp_session *s, struct buf *out,
		       const char *line, unsigned flags)
{
	bool slow;
	buf_reset(out);
	smtp_feed_line(s, line, strlen(line), flags, out, &slow);
	return out->data ? out->data : "";
}

START_TEST(bare_cr_and_lf_in_commands)
{
	struct smtp_session *s = smtp_session_new(&cfg, &quiet, false);
	struct buf out;
	buf_init(&out, 65536);
	ck_assert_str_eq(say(s, &out, "NOOP", SMTP_LINE_BARE_LF),
			 "500 5.5.2 Bare LF in command line (lines end in CRLF, "
			 "RFC 5321 section 2.3.8)\r\n");
	ck_assert_str_eq(say(s, &out, "EHLO a\rMAIL FROM:<x@y>", 0),
			 "500 5.5.2 Bare CR in command line (lines end in CRLF, "
			 "RFC 5321 section 2.3.8)\r\n");
	ck_assert_int_eq(smtp_session_state(s), SMTP_INIT);
	smtp_session_free(s);
	buf_free(&out);
}
END_TEST

START_TEST(dot_after_long_line_ended_by_bare_lf)
{
	struct smtp_session *s = smtp_session_new(&cfg, &quiet, false);
	struct buf out;
	buf_init(&out, 65536);
	say(s, &out, "EHLO client.test", 0);
	say(s, &out, "MAIL FROM:<b@elsewhere.test>", 0);
	say(s, &out, "RCPT TO:<alice@maillab.test>", 0);
	say(s, &out, "DATA", 0);
	/* "...\r\n<long>\n.\r\n": not the end */
	smtp_line_too_long(s, &out);
	say(s, &out, ".", SMTP_LINE_AFTER_BARE_LF);
	ck_assert_int_eq(smtp_session_state(s), SMTP_DATA);
	/* "...\n<long>\r\n.\r\n": the end, even after a bare LF before */
	say(s, &out, "text", SMTP_LINE_BARE_LF);
	smtp_line_too_long(s, &out);
	ck_assert_str_eq(say(s, &out, ".", 0), "554 5.6.0 Message refused: bare "
			 "CR or LF in the text (lines must end in CRLF, RFC 5322 "
			 "section 2.3; see SMTP smuggling)\r\n");
	ck_assert_int_eq(smtp_session_state(s), SMTP_READY);
	smtp_session_free(s);
	buf_free(&out);
}
END_TEST

START_TEST(pipelined_behind_data_and_ehlo)
{
	struct smtp_session *s = smtp_session_new(&cfg, &quiet, false);
	struct buf out;
	buf_init(&out, 65536);
	ck_assert_str_eq(say(s, &out, "EHLO client.test", SMTP_LINE_PIPELINED),
			 "554 5.5.0 Pipelining error: EHLO must be the last command "
			 "before waiting for its reply (RFC 2920 section 3.1), "
			 "closing\r\n");
	ck_assert_int_eq(smtp_session_state(s), SMTP_CLOSED);
	smtp_session_free(s);
	s = smtp_session_new(&cfg, &quiet, false);
	say(s, &out, "EHLO client.test", 0);
	/* MAIL and RCPT may be pipelined (RFC 2920 §3.1) */
	say(s, &out, "MAIL FROM:<b@elsewhere.test>", SMTP_LINE_PIPELINED);
	say(s, &out, "RCPT TO:<alice@maillab.test>", SMTP_LINE_PIPELINED);
	ck_assert_int_eq(smtp_session_state(s), SMTP_RCPT);
	bool slow;
	buf_reset(&out);
	ck_assert_int_eq(smtp_feed_line(s, "DATA", 4, SMTP_LINE_PIPELINED, &out,
					&slow), SMTP_CLOSE);
	ck_assert(strncmp(out.data, "554 5.5.0 Pipelining error: DATA", 32) == 0);
	smtp_session_free(s);
	s = smtp_session_new(&cfg, &quiet, false);
	buf_reset(&out);
	smtp_early_talker(s, &out);
	ck_assert_str_eq(out.data, "554 5.5.0 mx.test protocol error: you talked "
			 "before the greeting\r\n");
	smtp_session_free(s);
	buf_free(&out);
}
END_TEST

/* ---- IMAP parser limits --------------------------------------------------- */

static enum imap_parse_status feed_all(struct imap_parser *p, const char *in)
{
	enum imap_parse_status st = IMAP_PARSE_NEED_MORE;
	size_t pos = 0, len = strlen(in);
	while (pos < len) {
		pos += imap_parser_feed(p, in + pos, len - pos, &st);
		if (st != IMAP_PARSE_NEED_MORE)
			break;
	}
	return st;
}

START_TEST(preauth_literal_limits)
{
	struct imap_parser p;
	imap_parser_init(&p);
	imap_parser_set_limits(&p, IMAP_PREAUTH_LITERAL_MAX,
			       IMAP_PREAUTH_COMMAND_MAX);
	ck_assert_int_eq(feed_all(&p, "a LOGIN {1025}\r\n"), IMAP_PARSE_ERROR);
	ck_assert_int_eq(p.error, IMAP_PERR_TOOBIG);
	ck_assert_int_eq(feed_all(&p, "b LOGIN {1025+}\r\n"), IMAP_PARSE_ERROR);
	ck_assert_int_eq(p.error, IMAP_PERR_FATAL);
	imap_parser_reset(&p);
	ck_assert_int_eq(feed_all(&p, "c LOGIN {5}\r\n"), IMAP_PARSE_LITERAL);
	imap_parser_set_limits(&p, IMAP_LITERAL_MAX, IMAP_COMMAND_MAX);
	imap_parser_reset(&p);
	ck_assert_int_eq(feed_all(&p, "d APPEND x {65537}\r\n"), IMAP_PARSE_LITERAL);
	imap_parser_free(&p);
}
END_TEST

/* ---- modified UTF-7, ENVELOPE ------------------------------------------- */

START_TEST(mutf7_found_by_fuzzing)
{
	char out[64];
	ck_assert_int_eq(imap_mutf7_encode("&&-\xf8\x98\x80", out, sizeof(out)), -1);
	ck_assert_int_eq(imap_mutf7_decode("&AAA-", out, sizeof(out)), -1);
	ck_assert_int_eq(imap_mutf7_decode("&JAAAAA-", out, sizeof(out)), -1);
	ck_assert_int_eq(imap_mutf7_decode("&2D3eAA-", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(envelope_with_stray_parenthesis_ends)
{
	const char msg[] = "To: Ned <ned@innosoft.c)m>, x)y@z\r\n\r\nbody\r\n";
	struct imap_mime m;
	struct buf out;
	ck_assert_int_eq(imap_mime_parse(msg, sizeof(msg) - 1, &m), 0);
	buf_init(&out, 65536);
	imap_envelope_put(&m, 0, &out);
	/* the stray parenthesis is skipped like a space */
	ck_assert_ptr_nonnull(strstr(out.data, "((\"Ned\" NIL \"ned\" \"innosoft.c\")"));
	buf_free(&out);
	imap_mime_free(&m);
}
END_TEST

/* ---- Maildir folders ------------------------------------------------------ */

START_TEST(folders_that_could_lead_out)
{
	char *dir = fixture_tmpdir();
	char root[2048], outside[2048], link[4096];
	const char *error;
	snprintf(root, sizeof(root), "%s/Maildir", dir);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	snprintf(link, sizeof(link), "%s/.evil", root);
	ck_assert_int_eq(maildir_create(root, &error), 0);
	ck_assert_int_eq(maildir_create(outside, &error), 0);
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_ptr_null(maildir_folder_path(root, "~root"));
	ck_assert(maildir_folder_safe(root, "INBOX"));
	ck_assert(maildir_folder_safe(root, "not/yet/there"));
	ck_assert(!maildir_folder_safe(root, "evil"));
	ck_assert(!maildir_folder_safe(root, "evil/child"));
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

Suite *robust_suite(void)
{
	Suite *s = suite_create("robust");
	TCase *t = tcase_create("Fixes");
	tcase_add_test(t, skipped_line_reports_its_end);
	tcase_add_test(t, preauth_literal_limits);
	tcase_add_test(t, mutf7_found_by_fuzzing);
	tcase_add_test(t, envelope_with_stray_parenthesis_ends);
	tcase_add_test(t, folders_that_could_lead_out);
	suite_add_tcase(s, t);
	TCase *smtp = tcase_create("SMTP");
	tcase_add_checked_fixture(smtp, smtp_setup, smtp_teardown);
	tcase_add_test(smtp, bare_cr_and_lf_in_commands);
	tcase_add_test(smtp, dot_after_long_line_ended_by_bare_lf);
	tcase_add_test(smtp, pipelined_behind_data_and_ehlo);
	suite_add_tcase(s, smtp);
	return s;
}
