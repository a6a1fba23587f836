/*
 * check_pop3.c - the POP3 core fed lines, no sockets.
 *
 * The first tests are the RFC 1939 dialogues: the example session with
 * APOP from §10, and the annotated dialogue of the source articles in its
 * normalised form (source-articles-digest.md, Appendix B), with the same
 * maildrop: two messages of 120 and 200 octets.  The rest are the rules
 * around them: states, limits, byte-stuffing, locking, STLS, AUTH.
 */
#include "../../common/base64.h"
#include "../../common/digest.h"
#include "../../proto/limits.h"
#include "../../servers/core/maildir.h"
#include "../../servers/core/users.h"
#include "../../servers/pop3/pop3_core.h"
#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RFC_TIMESTAMP "<1896.697170952@dbc.mtview.ca.us>"

static char *data_dir;
static char users_file[4096];
static struct pop3_config cfg;
static const struct trace quiet = { "pop3", 1, -1 };

/* deliver_sized - a message whose wire size (CRLF line ends) is exactly
 * @wire octets, with an optional body line that starts with a dot. */
static void deliver_sized(const char *user, int wire, bool dot_line)
{
	char msg[4096] = "Subject: test\n\n"; /* 15 + 2 on the wire */
	int left = wire - 17;
	if (dot_line) {
		strcat(msg, ".hidden\n");
		left -= 9;
	}
	while (left > 12) {
		strcat(msg, "xxxxxxxx\n");
		left -= 10;
	}
	size_t n = strlen(msg);
	memset(msg + n, 'y', (size_t)left - 2);
	strcpy(msg + n + left - 2, "\n");
	char *md = users_maildir(data_dir, user);
	const char *error;
	char *name;
	ck_assert_int_eq(maildir_create(md, &error), 0);
	ck_assert_int_eq(maildir_deliver(md, msg, strlen(msg), &name, &error), 0);
	free(name);
	free(md);
}

static size_t count_messages(const char *user)
{
	char *md = users_maildir(data_dir, user);
	struct maildir_list list;
	const char *error;
	ck_assert_int_eq(maildir_scan(md, &list, &error), 0);
	size_t n = list.count;
	maildir_list_free(&list);
	free(md);
	return n;
}

static void setup(void)
{
	data_dir = fixture_tmpdir();
	snprintf(users_file, sizeof(users_file), "%s/users", data_dir);
	const char *users = "kcope:{PLAIN}secret\n"
			    "mrose:{PLAIN}tanstaaf\n";
	fixture_write_file(users_file, users, strlen(users));
	const char *error;
	ck_assert_int_eq(users_set(users_file, "alice", "wonderland", NULL,
				   &error), 0);
	deliver_sized("kcope", 120, false);
	deliver_sized("kcope", 200, true);
	deliver_sized("mrose", 120, false);
	deliver_sized("mrose", 200, false);
	cfg = (struct pop3_config){
		.hostname = "test.example", .data_dir = data_dir,
		.users_file = users_file, .stls_offered = true,
		.cleartext_allowed = true,
	};
}

static void teardown(void)
{
	fixture_rmtree(data_dir);
	free(data_dir);
}

/* A session and its output, so each test reads like the dialogue. */
struct chat {
	struct pop3_session *s;
	struct buf out;
	enum pop3_action act;
	bool slow;
};

static void open_chat(struct chat *c, bool tls)
{
	c->s = pop3_session_new(&cfg, &quiet, RFC_TIMESTAMP, tls);
	buf_init(&c->out, 1 << 20);
	pop3_greeting(c->s, &c->out);
}

static void close_chat(struct chat *c)
{
	pop3_session_free(c->s);
	buf_free(&c->out);
}

/* say - send one client line, return the whole server reply. */
static const char *say(struct chat *c, const char *line)
{
	buf_reset(&c->out);
	c->act = pop3_feed_line(c->s, line, strlen(line), &c->out, &c->slow);
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

START_TEST(digest_appendix_b_dialogue)
{
	struct chat c;
	open_chat(&c, false);
	ck_assert_str_eq(c.out.data,
			 "+OK maillab POP3 server ready " RFC_TIMESTAMP "\r\n");
	expect(&c, "USER kcope", "+OK send PASS\r\n");
	expect(&c, "PASS secret",
	       "+OK kcope's maildrop has 2 messages (320 octets)\r\n");
	ck_assert_int_eq(pop3_session_state(c.s), POP3_TRANSACTION);
	expect(&c, "STAT", "+OK 2 320\r\n");
	expect(&c, "LIST",
	       "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n");
	expect(&c, "LIST 2", "+OK 2 200\r\n");
	expect(&c, "LIST 3",
	       "-ERR no such message, only 2 messages in maildrop\r\n");
	expect_prefix(&c, "TOP 1 10", "+OK");
	expect_prefix(&c, "TOP 100 3", "-ERR no such message");
	expect(&c, "NOOP", "+OK\r\n");
	const char *r = say(&c, "RETR 1");
	ck_assert(strncmp(r, "+OK 120 octets\r\n", 16) == 0);
	/* the octet count is exactly what follows, up to the final "." */
	ck_assert_uint_eq(strlen(r), 16 + 120 + 3);
	ck_assert_str_eq(r + 16 + 120, ".\r\n");
	expect(&c, "DELE 1", "+OK message 1 deleted\r\n");
	expect(&c, "DELE 1", "-ERR message 1 already deleted\r\n");
	expect(&c, "RSET", "+OK maildrop has 2 messages (320 octets)\r\n");
	expect(&c, "QUIT",
	       "+OK maillab POP3 server signing off (2 messages left)\r\n");
	ck_assert_int_eq(c.act, POP3_CLOSE);
	ck_assert_int_eq(pop3_session_state(c.s), POP3_UPDATE);
	close_chat(&c);
	ck_assert_uint_eq(count_messages("kcope"), 2);
}
END_TEST

START_TEST(rfc1939_apop_session)
{
	struct chat c;
	open_chat(&c, false);
	/* RFC 1939 §7 and §10: the digest for secret "tanstaaf" */
	expect(&c, "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
	       "+OK mrose's maildrop has 2 messages (320 octets)\r\n");
	expect(&c, "STAT", "+OK 2 320\r\n");
	expect(&c, "DELE 1", "+OK message 1 deleted\r\n");
	expect(&c, "DELE 2", "+OK message 2 deleted\r\n");
	expect(&c, "STAT", "+OK 0 0\r\n");
	expect(&c, "QUIT",
	       "+OK maillab POP3 server signing off (maildrop empty)\r\n");
	close_chat(&c);
	ck_assert_uint_eq(count_messages("mrose"), 0);
}
END_TEST

START_TEST(apop_wrong_digest_and_hashed_user)
{
	struct chat c;
	open_chat(&c, false);
	expect(&c, "APOP mrose 00000000000000000000000000000000",
	       "-ERR [AUTH] invalid user name or password\r\n");
	ck_assert(c.slow);
	/* alice is stored as SHA512-CRYPT: APOP cannot work for her */
	expect_prefix(&c, "APOP alice c4c9334bac560ecc979e58001b3e22fb",
		      "-ERR [AUTH]");
	close_chat(&c);
}
END_TEST

START_TEST(drop_without_quit_deletes_nothing)
{
	struct chat c;
	open_chat(&c, false);
	say(&c, "USER kcope");
	expect_prefix(&c, "PASS secret", "+OK");
	expect(&c, "DELE 1", "+OK message 1 deleted\r\n");
	expect(&c, "DELE 2", "+OK message 2 deleted\r\n");
	close_chat(&c); /* the connection drops here */
	ck_assert_uint_eq(count_messages("kcope"), 2);
}
END_TEST

START_TEST(quit_in_authorization_has_no_update)
{
	struct chat c;
	open_chat(&c, false);
	expect(&c, "QUIT", "+OK maillab POP3 server signing off\r\n");
	ck_assert_int_eq(c.act, POP3_CLOSE);
	ck_assert_int_eq(pop3_session_state(c.s), POP3_AUTHORIZATION);
	close_chat(&c);
}
END_TEST

START_TEST(commands_in_the_wrong_state)
{
	struct chat c;
	open_chat(&c, false);
	expect(&c, "STAT",
	       "-ERR STAT is not valid in the AUTHORIZATION state\r\n");
	expect(&c, "RETR 1",
	       "-ERR RETR is not valid in the AUTHORIZATION state\r\n");
	expect(&c, "PASS secret", "-ERR give USER first\r\n");
	say(&c, "USER kcope");
	say(&c, "PASS secret");
	expect(&c, "STLS", "-ERR STLS is not valid in the TRANSACTION state\r\n");
	expect(&c, "USER kcope",
	       "-ERR USER is not valid in the TRANSACTION state\r\n");
	close_chat(&c);
}
END_TEST

START_TEST(syntax_errors)
{
	struct chat c;
	open_chat(&c, false);
	expect(&c, "", "-ERR empty command\r\n");
	expect(&c, "LAST", "-ERR unknown command \"LAST\"\r\n");
	expect(&c, "user", "-ERR usage: USER name\r\n");
	expect(&c, "USER a b", "-ERR usage: USER name\r\n");
	expect_prefix(&c, "USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		      "-ERR argument too long");
	/* keywords are case-insensitive (RFC 1939 §3) */
	expect(&c, "uSeR kcope", "+OK send PASS\r\n");
	expect_prefix(&c, "pass secret", "+OK");
	expect(&c, "RETR 0",
	       "-ERR no such message, only 2 messages in maildrop\r\n");
	expect(&c, "RETR -1",
	       "-ERR no such message, only 2 messages in maildrop\r\n");
	expect(&c, "RETR 99999999999999999999999",
	       "-ERR no such message, only 2 messages in maildrop\r\n");
	expect(&c, "TOP 1 x", "-ERR usage: TOP msg lines (lines is a number >= 0)\r\n");
	close_chat(&c);
}
END_TEST

START_TEST(nul_and_garbage)
{
	struct chat c;
	open_chat(&c, false);
	buf_reset(&c.out);
	pop3_feed_line(c.s, "NO\0OP", 5, &c.out, &c.slow);
	ck_assert_str_eq(c.out.data, "-ERR NUL byte in command\r\n");
	expect(&c, "\x01\xff\x7f garbage", "-ERR unknown command \"???\"\r\n");
	buf_reset(&c.out);
	pop3_line_too_long(c.s, &c.out);
	ck_assert_str_eq(c.out.data, "-ERR line too long (limit 255 octets "
			 "including CRLF, RFC 2449 section 4)\r\n");
	/* and the session still works */
	expect(&c, "USER kcope", "+OK send PASS\r\n");
	close_chat(&c);
}
END_TEST

START_TEST(failed_logins_are_slow_and_limited)
{
	struct chat c;
	open_chat(&c, false);
	say(&c, "USER kcope");
	expect(&c, "PASS wrong", "-ERR [AUTH] invalid user name or password\r\n");
	ck_assert(c.slow);
	ck_assert_int_eq(c.act, POP3_CONTINUE);
	say(&c, "USER nobody");
	expect(&c, "PASS x", "-ERR [AUTH] invalid user name or password\r\n");
	say(&c, "USER kcope");
	expect(&c, "PASS again", "-ERR [AUTH] too many failed logins, closing\r\n");
	ck_assert_int_eq(c.act, POP3_CLOSE);
	close_chat(&c);
}
END_TEST

START_TEST(hashed_password_and_spaces)
{
	struct chat c;
	open_chat(&c, false);
	say(&c, "USER alice");
	expect(&c, "PASS wonderland",
	       "+OK alice's maildrop has 0 messages (0 octets)\r\n");
	close_chat(&c);
	const char *error;
	ck_assert_int_eq(users_set(users_file, "alice", "through the glass",
				   NULL, &error), 0);
	open_chat(&c, false);
	say(&c, "USER alice");
	/* RFC 1939 §7: a password may contain spaces */
	expect_prefix(&c, "PASS through the glass", "+OK");
	close_chat(&c);
}
END_TEST

START_TEST(second_session_gets_in_use)
{
	struct chat a, b;
	open_chat(&a, false);
	open_chat(&b, false);
	say(&a, "USER kcope");
	expect_prefix(&a, "PASS secret", "+OK");
	say(&b, "USER kcope");
	expect(&b, "PASS secret",
	       "-ERR [IN-USE] maildrop already locked by another session\r\n");
	ck_assert(!b.slow);
	ck_assert_int_eq(pop3_session_state(b.s), POP3_AUTHORIZATION);
	close_chat(&a);
	/* the lock goes with the session */
	say(&b, "USER kcope");
	expect_prefix(&b, "PASS secret", "+OK");
	close_chat(&b);
}
END_TEST

START_TEST(byte_stuffing_and_top)
{
	struct chat c;
	open_chat(&c, false);
	say(&c, "USER kcope");
	say(&c, "PASS secret");
	const char *r = say(&c, "RETR 2");
	ck_assert_ptr_nonnull(strstr(r, "\r\n..hidden\r\n"));
	/* 200 octets of message, plus the one stuffed dot */
	ck_assert_uint_eq(strlen(r), strlen("+OK 200 octets\r\n") + 201 + 3);
	expect(&c, "TOP 2 0",
	       "+OK top of message follows\r\nSubject: test\r\n\r\n.\r\n");
	expect(&c, "TOP 2 1", "+OK top of message follows\r\nSubject: test"
	       "\r\n\r\n..hidden\r\n.\r\n");
	close_chat(&c);
}
END_TEST

START_TEST(uidl_is_stable_across_sessions)
{
	char first[256];
	struct chat c;
	open_chat(&c, false);
	say(&c, "USER kcope");
	say(&c, "PASS secret");
	snprintf(first, sizeof(first), "%s", say(&c, "UIDL"));
	ck_assert(strncmp(first, "+OK", 3) == 0);
	const char *one = say(&c, "UIDL 1");
	ck_assert(strncmp(one, "+OK 1 ", 6) == 0);
	expect(&c, "DELE 1", "+OK message 1 deleted\r\n");
	expect(&c, "QUIT",
	       "+OK maillab POP3 server signing off (1 messages left)\r\n");
	close_chat(&c);
	open_chat(&c, false);
	say(&c, "USER kcope");
	say(&c, "PASS secret");
	/* the old message 2 is now message 1, with the same unique id */
	const char *line2 = strstr(first, "\r\n2 ") + 4;
	const char *again = say(&c, "UIDL 1");
	ck_assert(strncmp(again + 6, line2, strcspn(line2, "\r")) == 0);
	close_chat(&c);
}
END_TEST

START_TEST(cleartext_policy_and_stls)
{
	cfg.cleartext_allowed = false;
	struct chat c;
	open_chat(&c, false);
	const char *capa = say(&c, "CAPA");
	ck_assert_ptr_null(strstr(capa, "\r\nUSER\r\n"));
	ck_assert_ptr_nonnull(strstr(capa, "\r\nSTLS\r\n"));
	ck_assert_ptr_null(strstr(capa, "SASL"));
	expect(&c, "USER kcope", "-ERR [AUTH] cleartext passwords are refused "
	       "on an unencrypted connection: use STLS first\r\n");
	expect_prefix(&c, "AUTH PLAIN", "-ERR [AUTH] cleartext");
	expect(&c, "STLS", "+OK begin TLS negotiation\r\n");
	ck_assert_int_eq(c.act, POP3_STARTTLS);
	pop3_tls_started(c.s);
	capa = say(&c, "CAPA");
	ck_assert_ptr_nonnull(strstr(capa, "\r\nUSER\r\n"));
	ck_assert_ptr_nonnull(strstr(capa, "\r\nSASL PLAIN LOGIN\r\n"));
	ck_assert_ptr_null(strstr(capa, "STLS"));
	expect(&c, "STLS", "-ERR TLS is already active\r\n");
	expect(&c, "USER kcope", "+OK send PASS\r\n");
	expect_prefix(&c, "PASS secret", "+OK");
	close_chat(&c);
}
END_TEST

START_TEST(stls_not_offered_on_plain_port)
{
	cfg.stls_offered = false;
	struct chat c;
	open_chat(&c, false);
	ck_assert_ptr_null(strstr(say(&c, "CAPA"), "STLS"));
	expect(&c, "STLS", "-ERR STLS is not available on this port\r\n");
	close_chat(&c);
}
END_TEST

/* b64 - base64 of @len bytes into a static buffer. */
static const char *b64(const void *data, size_t len)
{
	static char out[512];
	base64_encode(data, len, out);
	return out;
}

START_TEST(auth_plain_with_and_without_initial_response)
{
	char line[600];
	struct chat c;
	open_chat(&c, false);
	snprintf(line, sizeof(line), "AUTH PLAIN %s",
		 b64("\0kcope\0secret", 13));
	expect_prefix(&c, line, "+OK kcope's maildrop has 2 messages");
	close_chat(&c);

	open_chat(&c, false);
	expect(&c, "AUTH PLAIN", "+ \r\n");
	ck_assert_uint_eq(pop3_max_line(c.s), POP3_SASL_LINE_MAX);
	expect_prefix(&c, b64("kcope\0kcope\0secret", 18), "+OK");
	ck_assert_uint_eq(pop3_max_line(c.s), POP3_COMMAND_MAX);
	close_chat(&c);
}
END_TEST

START_TEST(auth_login_cancel_and_list)
{
	struct chat c;
	open_chat(&c, false);
	expect(&c, "AUTH", "+OK SASL mechanisms follow\r\nPLAIN\r\nLOGIN\r\n"
	       "CRAM-MD5\r\n.\r\n");
	expect(&c, "AUTH LOGIN", "+ VXNlcm5hbWU6\r\n");   /* "Username:" */
	expect(&c, "*", "-ERR AUTH cancelled by the client\r\n");
	expect(&c, "AUTH LOGIN", "+ VXNlcm5hbWU6\r\n");
	expect(&c, b64("kcope", 5), "+ UGFzc3dvcmQ6\r\n"); /* "Password:" */
	expect_prefix(&c, b64("secret", 6), "+OK kcope's maildrop");
	close_chat(&c);
	open_chat(&c, false);
	expect_prefix(&c, "AUTH FOO", "-ERR unknown SASL mechanism");
	expect(&c, "AUTH PLAIN", "+ \r\n");
	expect_prefix(&c, "not base64!", "-ERR [AUTH]");
	ck_assert(c.slow);
	close_chat(&c);
}
END_TEST

START_TEST(auth_cram_md5)
{
	struct chat c;
	open_chat(&c, false);
	const char *r = say(&c, "AUTH CRAM-MD5");
	ck_assert(strncmp(r, "+ ", 2) == 0);
	unsigned char chal[256];
	long n = base64_decode(r + 2, strcspn(r + 2, "\r"), chal);
	ck_assert_int_gt(n, 0);
	/* RFC 2195 §2: the challenge is a <...> msg-id; we use the greeting's */
	ck_assert_str_eq((char *)chal, RFC_TIMESTAMP);
	char hex[DIGEST_MD5_HEX_SIZE], answer[128];
	digest_hmac_md5_hex("tanstaaf", 8, chal, (size_t)n, hex);
	int len = snprintf(answer, sizeof(answer), "mrose %s", hex);
	expect_prefix(&c, b64(answer, (size_t)len), "+OK mrose's maildrop");
	close_chat(&c);
}
END_TEST

Suite *pop3_suite(void)
{
	Suite *s = suite_create("pop3");
	TCase *rfc = tcase_create("RFC dialogues");
	tcase_add_checked_fixture(rfc, setup, teardown);
	tcase_add_test(rfc, digest_appendix_b_dialogue);
	tcase_add_test(rfc, rfc1939_apop_session);
	suite_add_tcase(s, rfc);
	TCase *core = tcase_create("Core");
	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, apop_wrong_digest_and_hashed_user);
	tcase_add_test(core, drop_without_quit_deletes_nothing);
	tcase_add_test(core, quit_in_authorization_has_no_update);
	tcase_add_test(core, commands_in_the_wrong_state);
	tcase_add_test(core, hashed_password_and_spaces);
	tcase_add_test(core, second_session_gets_in_use);
	tcase_add_test(core, byte_stuffing_and_top);
	tcase_add_test(core, uidl_is_stable_across_sessions);
	tcase_add_test(core, cleartext_policy_and_stls);
	tcase_add_test(core, stls_not_offered_on_plain_port);
	tcase_add_test(core, auth_plain_with_and_without_initial_response);
	tcase_add_test(core, auth_login_cancel_and_list);
	tcase_add_test(core, auth_cram_md5);
	suite_add_tcase(s, core);
	TCase *limits = tcase_create("Limits");
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_test(limits, syntax_errors);
	tcase_add_test(limits, nul_and_garbage);
	tcase_add_test(limits, failed_logins_are_slow_and_limited);
	suite_add_tcase(s, limits);
	return s;
}
