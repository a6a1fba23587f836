/*
 * check_smtp.c - the SMTP core fed lines, no sockets.
 *
 * The first tests are the example scenarios of RFC 5321 Appendix D (the
 * server here is foo.com, with users Jones and Brown but no Green), then
 * the rules around them: every sequencing error, dot-stuffing and the
 * end of data, the smuggling variants, pipelined batches, limits, and
 * the submission role's AUTH policy.
 */
#include "../../common/base64.h"
#include "../../proto/limits.h"
#include "../../servers/core/maildir.h"
#include "../../servers/core/users.h"
#include "../../servers/smtp/smtp_core.h"
#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *data_dir;
static char users_file[4096];
static struct smtp_config cfg;
static const struct trace quiet = { "smtp", 1, -1 };

static void setup(void)
{
	data_dir = fixture_tmpdir();
	snprintf(users_file, sizeof(users_file), "%s/users", data_dir);
	const char *users = "jones:{PLAIN}secret\nbrown:{PLAIN}secret\n"
			    "bob:{PLAIN}builder\n";
	fixture_write_file(users_file, users, strlen(users));
	const char *error;
	ck_assert_int_eq(users_set(users_file, "alice", "wonderland", NULL,
				   &error), 0);
	cfg = (struct smtp_config){
		.hostname = "foo.com", .data_dir = data_dir,
		.users_file = users_file, .domains = { "foo.com" },
		.ndomains = 1, .postmaster = "jones", .role = SMTP_ROLE_MX,
		.starttls_offered = true, .cleartext_allowed = true,
		.max_size = 2000, .peer = "[192.0.2.1]",
	};
}

static void teardown(void)
{
	fixture_rmtree(data_dir);
	free(data_dir);
}

static size_t count_messages(const char *user)
{
	char *md = users_maildir(data_dir, user);
	struct maildir_list list;
	const char *error;
	size_t n = 0;
	if (maildir_scan(md, &list, &error) == 0) {
		n = list.count;
		maildir_list_free(&list);
	}
	free(md);
	return n;
}

/* the one stored message of @user (LF line ends) */
static char *stored(const char *user)
{
	char *md = users_maildir(data_dir, user);
	struct maildir_list list;
	const char *error;
	char *data = NULL;
	size_t len;
	ck_assert_int_eq(maildir_scan(md, &list, &error), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(maildir_read(md, &list.msgs[0], &data, &len, &error), 0);
	maildir_list_free(&list);
	free(md);
	return data;
}

/* A session and its output, so each test reads like the dialogue. */
struct chat {
	struct smtp_session *s;
	struct buf out;
	enum smtp_action act;
	bool slow;
};

static void open_chat(struct chat *c, bool tls)
{
	c->s = smtp_session_new(&cfg, &quiet, tls);
	buf_init(&c->out, 1 << 20);
	smtp_greeting(c->s, &c->out);
}

static void close_chat(struct chat *c)
{
	smtp_session_free(c->s);
	buf_free(&c->out);
}

/* feed - one line with its line end, appended to the output so far */
static void feed(struct chat *c, const char *line, unsigned flags)
{
	c->act = smtp_feed_line(c->s, line, strlen(line), flags, &c->out,
				&c->slow);
}

/* say - send one CRLF line, return the whole server reply. */
static const char *say(struct chat *c, const char *line)
{
	buf_reset(&c->out);
	feed(c, line, 0);
	return c->out.data ? c->out.data : "";
}

static void expect(struct chat *c, const char *line, const char *reply)
{
	ck_assert_str_eq(say(c, line), reply);
}

static void expect_prefix(struct chat *c, const char *line, const char *pfx)
{
	const char *r = say(c, line);
	ck_assert_msg(strncmp(r, pfx, strlen(pfx)) == 0,
		      "C: %s\nS: %s\nwanted a reply starting \"%s\"", line, r,
		      pfx);
}

static void greet(struct chat *c)
{
	expect_prefix(c, "EHLO bar.com", "250-foo.com greets bar.com\r\n");
}

START_TEST(rfc5321_d1_typical_transaction)
{
	struct chat c;
	open_chat(&c, false);
	ck_assert_str_eq(c.out.data, "220 foo.com ESMTP maillab ready\r\n");
	const char *r = say(&c, "EHLO bar.com");
	ck_assert(strstr(r, "250-8BITMIME\r\n") && strstr(r, "250-SIZE 2000\r\n"));
	ck_assert(strstr(r, "\r\n250 HELP\r\n"));
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	expect(&c, "MAIL FROM:<Smith@bar.com>", "250 2.1.0 Sender <Smith@bar.com> OK\r\n");
	expect(&c, "RCPT TO:<Jones@foo.com>", "250 2.1.5 Recipient <Jones@foo.com> OK\r\n");
	expect(&c, "RCPT TO:<Green@foo.com>", "550 5.1.1 <Green@foo.com>: "
	       "Recipient address rejected: no such user here\r\n");
	expect(&c, "RCPT TO:<Brown@foo.com>", "250 2.1.5 Recipient <Brown@foo.com> OK\r\n");
	expect(&c, "DATA", "354 End data with <CR><LF>.<CR><LF>\r\n");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_DATA);
	expect(&c, "Blah blah blah...", "");
	expect(&c, "...etc. etc. etc.", "");
	expect_prefix(&c, ".", "250 2.0.0 OK: delivered to 2 mailbox(es)");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	expect(&c, "QUIT", "221 2.0.0 foo.com closing connection\r\n");
	ck_assert_int_eq(c.act, SMTP_CLOSE);
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_CLOSED);
	close_chat(&c);
	ck_assert_uint_eq(count_messages("green"), 0);
	char *msg = stored("jones");
	ck_assert_msg(strncmp(msg, "Return-Path: <Smith@bar.com>\nReceived: from "
			      "bar.com ([192.0.2.1])\n\tby foo.com (maillab) with "
			      "ESMTP id ", 85) == 0, "%s", msg);
	/* two recipients: no "for" clause (RFC 5321 §4.4, Bcc privacy) */
	ck_assert_ptr_null(strstr(msg, "\tfor <"));
	ck_assert(strstr(msg, "\nBlah blah blah...\n..etc. etc. etc.\n") != NULL);
	free(msg);
	ck_assert_uint_eq(count_messages("brown"), 1);
}
END_TEST

START_TEST(rfc5321_d2_aborted_transaction)
{
	struct chat c;
	open_chat(&c, false);
	greet(&c);
	expect_prefix(&c, "MAIL FROM:<Smith@bar.com>", "250 ");
	expect_prefix(&c, "RCPT TO:<Jones@foo.com>", "250 ");
	expect(&c, "RSET", "250 2.0.0 OK\r\n");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	expect_prefix(&c, "RCPT TO:<Jones@foo.com>", "503 5.5.1 ");
	expect_prefix(&c, "QUIT", "221 ");
	close_chat(&c);
	ck_assert_uint_eq(count_messages("jones"), 0);
}
END_TEST

START_TEST(rfc5321_d4_verify)
{
	struct chat c;
	open_chat(&c, false);
	expect_prefix(&c, "HELO bar.com", "250 foo.com\r\n");
	/* our stated policy: never confirm a mailbox (RFC 5321 §3.5.3) */
	expect_prefix(&c, "VRFY Crispin", "252 2.5.0 ");
	expect_prefix(&c, "VRFY", "501 5.5.4 ");
	expect_prefix(&c, "EXPN Example-People", "502 5.5.1 ");
	close_chat(&c);
}
END_TEST

START_TEST(every_sequencing_error)
{
	struct chat c;
	open_chat(&c, false);
	expect_prefix(&c, "MAIL FROM:<a@bar.com>", "503 5.5.1 Bad sequence of "
		      "commands: MAIL in state INIT (send EHLO or HELO first)");
	expect_prefix(&c, "RCPT TO:<jones@foo.com>", "503 5.5.1 ");
	expect_prefix(&c, "DATA", "503 5.5.1 ");
	expect_prefix(&c, "STARTTLS", "503 5.5.1 ");
	expect(&c, "RSET", "250 2.0.0 OK\r\n");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_INIT); /* no greeting */
	greet(&c);
	expect_prefix(&c, "RCPT TO:<jones@foo.com>", "503 5.5.1 Bad sequence of "
		      "commands: RCPT in state READY");
	expect_prefix(&c, "DATA", "503 5.5.1 ");
	expect_prefix(&c, "MAIL FROM:<a@bar.com>", "250 ");
	expect_prefix(&c, "MAIL FROM:<a@bar.com>", "503 5.5.1 Bad sequence of "
		      "commands: MAIL in state MAIL");
	expect_prefix(&c, "DATA", "503 5.5.1 Bad sequence of commands: DATA "
		      "in state MAIL");
	expect_prefix(&c, "RCPT TO:<nobody@foo.com>", "550 ");
	expect_prefix(&c, "DATA", "503 5.5.1 "); /* no accepted recipient */
	expect_prefix(&c, "RCPT TO:<jones@foo.com>", "250 ");
	expect_prefix(&c, "MAIL FROM:<a@bar.com>", "503 5.5.1 ");
	expect_prefix(&c, "AUTH PLAIN", "503 5.5.1 "); /* not in a transaction */
	/* EHLO inside a transaction resets it (RFC 5321 §4.1.4) */
	greet(&c);
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	expect_prefix(&c, "DATA", "503 5.5.1 ");
	close_chat(&c);
}
END_TEST

/* open_data - a session in DATA with jones as the recipient */
static void open_data(struct chat *c)
{
	open_chat(c, false);
	greet(c);
	expect_prefix(c, "MAIL FROM:<a@bar.com>", "250 ");
	expect_prefix(c, "RCPT TO:<jones@foo.com>", "250 ");
	expect_prefix(c, "DATA", "354 ");
}

START_TEST(dot_stuffing_edges)
{
	struct chat c;
	open_data(&c);
	expect(&c, "Subject: dots", "");
	expect(&c, "", "");
	expect(&c, "..", "");            /* a line with a single dot */
	expect(&c, "...", "");           /* two dots */
	expect(&c, ".x", "");            /* unstuffed anyway, as RFC 5321 says */
	expect(&c, " .", "");            /* not at the start: data */
	expect(&c, "x.", "");
	expect(&c, "", "");
	expect_prefix(&c, ".", "250 ");
	close_chat(&c);
	char *msg = stored("jones");
	const char *body = strstr(msg, "\n\n");
	ck_assert_str_eq(body, "\n\n.\n..\nx\n .\nx.\n\n");
	free(msg);
}
END_TEST

START_TEST(smuggling_variants_never_end_data)
{
	struct chat c;
	open_data(&c);
	expect(&c, "real", "");
	buf_reset(&c.out);
	/* "\n.\n": a "." line ended by LF only */
	feed(&c, ".", SMTP_LINE_BARE_LF);
	/* "\n.\r\n": CRLF "." after a line that ended in LF only */
	feed(&c, ".", 0);
	/* "\r.\r" inside a CRLF line */
	feed(&c, "x\r.\rMAIL FROM:<evil@bar.com>", 0);
	ck_assert_uint_eq(c.out.len, 0);
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_DATA);
	expect(&c, "MAIL FROM:<evil@bar.com>", ""); /* still data */
	expect_prefix(&c, ".", "554 5.6.0 Message refused: bare CR or LF");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	close_chat(&c);
	ck_assert_uint_eq(count_messages("jones"), 0);
}
END_TEST

START_TEST(pipelined_batch)
{
	struct chat c;
	open_chat(&c, false);
	buf_reset(&c.out);
	/* RFC 2920 §3.1: the client sends a batch; replies come in order */
	const char *batch[] = {
		"EHLO bar.com", "MAIL FROM:<a@bar.com>", "RCPT TO:<jones@foo.com>",
		"RCPT TO:<green@foo.com>", "RCPT TO:<x@elsewhere.org>", "DATA",
		"Subject: batch", "", "hello", ".", "NOOP", "QUIT",
	};
	for (size_t i = 0; i < sizeof(batch) / sizeof(*batch); i++)
		feed(&c, batch[i], 0);
	const char *r = strstr(c.out.data, "250 HELP\r\n");
	ck_assert_ptr_nonnull(r);
	r += 10;
	const char *codes[] = { "250 2.1.0", "250 2.1.5", "550 5.1.1", "554 5.7.1",
				"354 ", "250 2.0.0", "250 2.0.0 OK", "221 2.0.0" };
	for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++) {
		ck_assert_msg(strncmp(r, codes[i], strlen(codes[i])) == 0,
			      "reply %zu: %s", i, r);
		r = strstr(r, "\r\n") + 2;
	}
	ck_assert_str_eq(r, "");
	close_chat(&c);
	ck_assert_uint_eq(count_messages("jones"), 1);
}
END_TEST

START_TEST(limits_become_replies)
{
	struct chat c;
	open_chat(&c, false);
	greet(&c);
	char line[700];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "NOOP ", 5);
	expect_prefix(&c, line, "500 5.5.2 Line too long");
	buf_reset(&c.out);
	smtp_line_too_long(c.s, &c.out);
	ck_assert(strncmp(c.out.data, "500 5.5.2 ", 10) == 0);
	buf_reset(&c.out);
	c.act = smtp_feed_line(c.s, "NOOP\0x", 6, 0, &c.out, &c.slow);
	ck_assert_str_eq(c.out.data, "500 5.5.2 NUL byte in command\r\n");
	expect_prefix(&c, "MAIL FROM:<a@bar.com> SIZE=2001", "552 5.3.4 ");
	expect_prefix(&c, "MAIL FROM:<a@bar.com> SIZE=2000 BODY=8BITMIME", "250 ");
	for (int i = 0; i < SMTP_RCPT_MAX; i++)
		expect_prefix(&c, "RCPT TO:<jones@foo.com>", "250 ");
	expect_prefix(&c, "RCPT TO:<jones@foo.com>", "452 4.5.3 ");
	expect_prefix(&c, "DATA", "354 ");
	/* more than SIZE: read to the end, refused, nothing stored */
	for (int i = 0; i < 30; i++)
		expect(&c, "0123456789012345678901234567890123456789012345678901"
		       "23456789012345678901234567890123456789", "");
	buf_reset(&c.out);
	smtp_line_too_long(c.s, &c.out); /* inside DATA: no reply yet */
	ck_assert_uint_eq(c.out.len, 0);
	expect_prefix(&c, ".", "554 5.6.0 Message refused: a line is longer");
	expect_prefix(&c, "MAIL FROM:<a@bar.com> FOO=1", "555 5.5.4 ");
	expect_prefix(&c, "MAIL FROM:<δ@bar.com>", "553 5.6.7 ");
	expect_prefix(&c, "MAIL FROM:<δ@bar.com> SMTPUTF8", "250 ");
	close_chat(&c);
	ck_assert_uint_eq(count_messages("jones"), 0);
}
END_TEST

START_TEST(size_exceeded_in_data)
{
	struct chat c;
	open_data(&c);
	for (int i = 0; i < 30; i++)
		expect(&c, "0123456789012345678901234567890123456789012345678901"
		       "23456789012345678901234567890123456789", "");
	expect_prefix(&c, ".", "552 5.3.4 ");
	expect_prefix(&c, "NOOP", "250 ");
	close_chat(&c);
	ck_assert_uint_eq(count_messages("jones"), 0);
}
END_TEST

START_TEST(starttls_starts_over)
{
	struct chat c;
	open_chat(&c, false);
	const char *r = say(&c, "EHLO bar.com");
	ck_assert_ptr_nonnull(strstr(r, "250-STARTTLS\r\n"));
	expect(&c, "STARTTLS", "220 2.0.0 Ready to start TLS\r\n");
	ck_assert_int_eq(c.act, SMTP_STARTTLS);
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_INIT);
	smtp_tls_started(c.s);
	expect_prefix(&c, "MAIL FROM:<a@bar.com>", "503 5.5.1 ");
	r = say(&c, "EHLO bar.com");
	ck_assert_ptr_null(strstr(r, "STARTTLS"));
	expect_prefix(&c, "STARTTLS", "503 5.5.1 TLS is already active");
	close_chat(&c);
}
END_TEST

/* plain_auth - "AUTH PLAIN <base64 of NUL user NUL password>" */
static const char *plain_auth(char *out, const char *user, const char *pw)
{
	char raw[128];
	int n = snprintf(raw, sizeof(raw), "%c%s%c%s", 0, user, 0, pw);
	char b64[256];
	base64_encode(raw, (size_t)n, b64);
	sprintf(out, "AUTH PLAIN %s", b64);
	return out;
}

START_TEST(submission_auth_policy)
{
	char cmd[300];
	cfg.role = SMTP_ROLE_SUBMISSION;
	cfg.cleartext_allowed = false;
	struct chat c;
	open_chat(&c, false);
	const char *r = say(&c, "EHLO bar.com");
	ck_assert_ptr_null(strstr(r, "AUTH"));
	expect_prefix(&c, plain_auth(cmd, "alice", "wonderland"), "538 5.7.11 ");
	expect_prefix(&c, "MAIL FROM:<alice@foo.com>", "530 5.7.0 ");
	say(&c, "STARTTLS");
	smtp_tls_started(c.s);
	r = say(&c, "EHLO bar.com");
	ck_assert_ptr_nonnull(strstr(r, "250-AUTH PLAIN LOGIN\r\n"));
	expect_prefix(&c, plain_auth(cmd, "alice", "nope"), "535 5.7.8 ");
	ck_assert(c.slow);
	expect(&c, plain_auth(cmd, "alice", "wonderland"),
	       "235 2.7.0 Authentication successful\r\n");
	expect_prefix(&c, "MAIL FROM:<bob@foo.com>", "553 5.7.1 ");
	expect_prefix(&c, "MAIL FROM:<alice@foo.com>", "250 ");
	/* no route table: other domains cannot be reached */
	expect_prefix(&c, "RCPT TO:<carol@example.org>", "550 5.1.2 ");
	expect_prefix(&c, "RCPT TO:<bob@foo.com>", "250 ");
	expect_prefix(&c, "DATA", "354 ");
	expect(&c, "Subject: hi", "");
	expect(&c, "", "");
	expect_prefix(&c, ".", "250 ");
	close_chat(&c);
	char *msg = stored("bob");
	/* RFC 6409 §8: Date and Message-ID added by the submission server */
	ck_assert_ptr_nonnull(strstr(msg, "\nDate: "));
	ck_assert_ptr_nonnull(strstr(msg, "\nMessage-ID: <"));
	ck_assert_ptr_nonnull(strstr(msg, "with ESMTPSA id"));
	free(msg);
}
END_TEST

START_TEST(mx_offers_no_auth_and_no_relay)
{
	char cmd[300];
	struct chat c;
	open_chat(&c, false);
	greet(&c);
	expect_prefix(&c, plain_auth(cmd, "bob", "builder"), "502 5.5.1 ");
	expect_prefix(&c, "MAIL FROM:<>", "250 ");
	expect_prefix(&c, "RCPT TO:<someone@example.org>", "554 5.7.1 ");
	expect_prefix(&c, "RCPT TO:<Postmaster>", "250 "); /* goes to jones */
	close_chat(&c);
}
END_TEST

/* chunk - feed the octets of a BDAT chunk in two parts, as a network might
 * deliver them, and return the reply to the chunk. */
static const char *chunk(struct chat *c, const char *data, size_t len)
{
	ck_assert_int_eq(c->act, SMTP_READ_CHUNK);
	ck_assert_uint_eq(smtp_chunk_left(c->s), len);
	smtp_feed_chunk(c->s, data, len / 2);
	smtp_feed_chunk(c->s, data + len / 2, len - len / 2);
	ck_assert_uint_eq(smtp_chunk_left(c->s), 0);
	buf_reset(&c->out);
	c->act = smtp_chunk_done(c->s, &c->out);
	return c->out.data ? c->out.data : "";
}

START_TEST(bdat_chunks_are_taken_as_they_are)
{
	struct chat c;
	open_chat(&c, false);
	ck_assert_ptr_nonnull(strstr(say(&c, "EHLO bar.com"), "250-CHUNKING\r\n"));
	say(&c, "MAIL FROM:<Smith@bar.com>");
	say(&c, "RCPT TO:<Jones@foo.com>");
	/* RFC 3030 §2: no reply until the chunk has arrived */
	expect(&c, "BDAT 15", "");
	ck_assert_str_eq(chunk(&c, "Subject: bdat\r\n", 15),
			 "250 2.0.0 15 octets received so far\r\n");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_BDAT);
	/* DATA cannot follow BDAT in one transaction */
	expect_prefix(&c, "DATA", "503 5.5.1 ");
	/* a line that starts with "." is not unstuffed: there is no stuffing */
	expect(&c, "BDAT 15 LAST", "");
	ck_assert(strncmp(chunk(&c, "\r\n.dot\r\n..two\r\n", 15), "250 2.0.0 ", 10) == 0);
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	char *msg = stored("jones");
	ck_assert_ptr_nonnull(strstr(msg, "Subject: bdat\n\n.dot\n..two\n"));
	free(msg);
	close_chat(&c);
}
END_TEST

START_TEST(bdat_refused_still_swallows_its_chunk)
{
	struct chat c;
	open_chat(&c, false);
	greet(&c);
	/* no transaction yet: 503, and the 9 octets are not commands */
	expect_prefix(&c, "BDAT 9", "503 5.5.1 Bad sequence of commands: BDAT");
	ck_assert_str_eq(chunk(&c, "QUIT\r\nXY\r", 9), "");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	expect(&c, "NOOP", "250 2.0.0 OK\r\n");
	/* a size we cannot read leaves the chunk's end unknown: close */
	say(&c, "MAIL FROM:<Smith@bar.com>");
	say(&c, "RCPT TO:<Jones@foo.com>");
	expect_prefix(&c, "BDAT lots", "501 5.5.4 ");
	ck_assert_int_eq(c.act, SMTP_CLOSE);
	close_chat(&c);
	ck_assert_uint_eq(count_messages("jones"), 0);
}
END_TEST

START_TEST(bdat_over_size_ends_the_transaction)
{
	static char big[3000];
	memset(big, 'x', sizeof(big));
	struct chat c;
	open_chat(&c, false);
	greet(&c);
	say(&c, "MAIL FROM:<Smith@bar.com>");
	say(&c, "RCPT TO:<Jones@foo.com>");
	expect(&c, "BDAT 3000 LAST", "");
	ck_assert_str_eq(chunk(&c, big, sizeof(big)), "552 5.3.4 Message size "
			 "exceeds fixed maximum message size\r\n");
	ck_assert_int_eq(smtp_session_state(c.s), SMTP_READY);
	close_chat(&c);
	ck_assert_uint_eq(count_messages("jones"), 0);
}
END_TEST

Suite *smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, rfc5321_d1_typical_transaction);
	tcase_add_test(tc, bdat_chunks_are_taken_as_they_are);
	tcase_add_test(tc, bdat_refused_still_swallows_its_chunk);
	tcase_add_test(tc, bdat_over_size_ends_the_transaction);
	tcase_add_test(tc, rfc5321_d2_aborted_transaction);
	tcase_add_test(tc, rfc5321_d4_verify);
	tcase_add_test(tc, every_sequencing_error);
	tcase_add_test(tc, dot_stuffing_edges);
	tcase_add_test(tc, smuggling_variants_never_end_data);
	tcase_add_test(tc, pipelined_batch);
	tcase_add_test(tc, limits_become_replies);
	tcase_add_test(tc, size_exceeded_in_data);
	tcase_add_test(tc, starttls_starts_over);
	tcase_add_test(tc, submission_auth_policy);
	tcase_add_test(tc, mx_offers_no_auth_and_no_relay);
	suite_add_tcase(s, tc);
	return s;
}
