/*
 * check_sessions_record.c - what the recorder writes for each line:
 * secrets masked in every way they cross (PASS, APOP, IMAP LOGIN, SASL
 * initial responses and answers of PLAIN, LOGIN and CRAM-MD5), and the
 * values that differ in every connection written as patterns.  The
 * tracker is driven as in a real session (replay.h's helpers), so each
 * line is judged in the state it was really sent in.
 */
#include "../../shell/record.h"
#include "../../shell/replay.h"

#include <check.h>
#include <string.h>

static struct replay_track rt;
static char out[SESSFILE_LINE_MAX];

/* client - the text the recorder writes for a line sent now; then the
 * line is sent. */
static const char *client(const char *line)
{
	record_client_text(&rt.t, line, out, sizeof(out));
	replay_track_client(&rt, line);
	return out;
}

/* server - the text written for a server line arriving now. */
static const char *server(const char *line)
{
	record_server_text(&rt.t, line, strlen(line), out, sizeof(out));
	replay_track_server(&rt, line);
	return out;
}

START_TEST(pop3_passwords)
{
	replay_track_init(&rt, TRACK_POP3, false);
	/* RFC 1939 section 7: the timestamp is new for each connection */
	ck_assert_str_eq(server("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
			 "+OK POP3 server ready <{{*}}>");
	ck_assert_str_eq(client("USER mrose"), "USER mrose");
	ck_assert_str_eq(server("+OK send PASS"), "+OK send PASS");
	ck_assert_str_eq(client("PASS tan staaf"), "PASS {{secret:password}}");
	server("-ERR [AUTH] no");
	ck_assert_str_eq(client("APOP mrose c4c9334bac560ecc979e58001b3e22fb"),
			 "APOP mrose {{apop:password}}");
	ck_assert_str_eq(server("+OK mrose's maildrop has 2 messages <{{x}}>"),
			 "+OK mrose's maildrop has 2 messages <{{{{x}}>");
	ck_assert_str_eq(client("LIST"), "LIST");
}
END_TEST

START_TEST(pop3_sasl)
{
	replay_track_init(&rt, TRACK_POP3, false);
	server("+OK ready");
	/* AUTH PLAIN with an initial response (RFC 5034 section 4) */
	ck_assert_str_eq(client("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="),
			 "AUTH PLAIN {{plain:alice:password}}");
	server("-ERR [AUTH] no");
	/* an authorization identity other than empty: the whole answer */
	ck_assert_str_eq(client("AUTH PLAIN Ym9iAGFsaWNlAHg="),
			 "AUTH PLAIN {{secret:sasl}}");
	server("-ERR [AUTH] no");
	/* RFC 2195 section 2: the challenge is unique, the answer masked */
	ck_assert_str_eq(client("AUTH CRAM-MD5"), "AUTH CRAM-MD5");
	ck_assert_str_eq(server("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
			 "+ {{word}}");
	ck_assert_str_eq(client("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"),
			 "{{cram:tim:password}}");
	server("+OK tim's maildrop has 0 messages");
	ck_assert_str_eq(client("STAT"), "STAT");
}
END_TEST

START_TEST(smtp_auth_login_and_queue_ids)
{
	replay_track_init(&rt, TRACK_SMTP, false);
	server("220 mx.test ESMTP");
	client("EHLO c.test");
	server("250-mx.test");
	server("250 AUTH PLAIN LOGIN");
	ck_assert_str_eq(client("AUTH LOGIN"), "AUTH LOGIN");
	ck_assert_str_eq(server("334 VXNlcm5hbWU6"), "334 VXNlcm5hbWU6");
	ck_assert_str_eq(client("YWxpY2U="), "YWxpY2U=");  /* the user name */
	server("334 UGFzc3dvcmQ6");
	ck_assert_str_eq(client("d29uZGVybGFuZA=="), "{{base64:password}}");
	server("235 2.7.0 ok");
	/* the queue id of an accepted message is new every time */
	client("MAIL FROM:<a@b.test>");
	server("250 ok");
	client("RCPT TO:<c@d.test>");
	server("250 ok");
	client("DATA");
	server("354 go");
	ck_assert_str_eq(client("PASS is only text here"), "PASS is only text here");
	client(".");
	ck_assert_str_eq(server("250 2.0.0 OK: queued as 4F2B3C1A2B"),
			 "250 2.0.0 OK: queued as {{word}}");
	client("MAIL FROM:<a@b.test>");
	server("250 ok");
	client("RCPT TO:<c@d.test>");
	server("250 ok");
	client("BDAT 3 LAST");
	client("abc");
	ck_assert_str_eq(server("250 2.0.0 OK: delivered as 77.1"),
			 "250 2.0.0 OK: delivered as {{word}}");
	/* elsewhere " as " is just text */
	client("NOOP");
	ck_assert_str_eq(server("250 2.0.0 known as 12"), "250 2.0.0 known as 12");
}
END_TEST

START_TEST(imap_login_and_authenticate)
{
	replay_track_init(&rt, TRACK_IMAP, false);
	server("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready");
	ck_assert_str_eq(client("a1 LOGIN alice wonderland"),
			 "a1 LOGIN alice {{secret:password}}");
	server("a1 NO [AUTHENTICATIONFAILED] no");
	ck_assert_str_eq(client("a2 login \"alice\" \"won der\""),
			 "a2 login \"alice\" \"{{secret:password}}\"");
	server("a2 NO no");
	/* SASL-IR (RFC 4959) */
	ck_assert_str_eq(client("a3 AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="),
			 "a3 AUTHENTICATE PLAIN {{plain:alice:password}}");
	server("a3 NO no");
	ck_assert_str_eq(client("a4 AUTHENTICATE PLAIN"), "a4 AUTHENTICATE PLAIN");
	ck_assert_str_eq(server("+ "), "+ ");
	ck_assert_str_eq(client("AGFsaWNlAHdvbmRlcmxhbmQ="), "{{plain:alice:password}}");
	server("a4 OK done");
	/* a password in a literal is masked as the literal's lines come */
	client("a5 LOGIN {5}");
	server("+ go");
	ck_assert_str_eq(client("alice wonderland"), "{{secret:password}}");
	server("a5 NO no");
	ck_assert_str_eq(client("a6 SELECT {{x}}"), "a6 SELECT {{{{x}}");
}
END_TEST

Suite *sessions_record_suite(void)
{
	Suite *s = suite_create("sessions_record");
	TCase *c = tcase_create("Core");
	tcase_add_test(c, pop3_passwords);
	tcase_add_test(c, pop3_sasl);
	tcase_add_test(c, smtp_auth_login_and_queue_ids);
	tcase_add_test(c, imap_login_and_authenticate);
	suite_add_tcase(s, c);
	return s;
}
