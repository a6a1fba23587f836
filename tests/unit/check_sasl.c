/*
 * check_sasl.c - the SASL mechanisms as a client would drive them: each
 * test sends the base64 lines a real client sends and checks the status,
 * the challenge on the wire and, where it matters, the verdict against a
 * temporary users file.  The CRAM-MD5 test replays RFC 2195 §2 verbatim.
 */
#include "../../servers/core/sasl.h"
#include "../../common/base64.h"
#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RFC2195_CHALLENGE "<1896.697170952@postoffice.reston.mci.net>"

/* b64 - encode @len bytes of @data as a client would send them. */
static void b64(const void *data, size_t len, char out[SASL_CHALLENGE_MAX * 2])
{
	base64_encode(data, len, out);
}

/* unb64 - decode a challenge we sent, for comparing with the clear text. */
static void unb64(const char *in, char out[SASL_CHALLENGE_MAX])
{
	long n = base64_decode(in, strlen(in), (unsigned char *)out);
	ck_assert_int_ge(n, 0);
}

/* A users file with a PLAIN user tim (RFC 2195's secret) and a hashed
 * user alice. */
struct users {
	char *dir;
	char file[4096];
};

static struct users users_open(void)
{
	struct users u;
	u.dir = fixture_tmpdir();
	snprintf(u.file, sizeof(u.file), "%s/users", u.dir);
	const char *text = "tim:{PLAIN}tanstaaftanstaaf\n";
	fixture_write_file(u.file, text, strlen(text));
	const char *error = NULL;
	ck_assert_int_eq(users_set(u.file, "alice", "wonderland", NULL, &error),
			 0);
	return u;
}

static void users_close(struct users *u)
{
	fixture_rmtree(u->dir);
	free(u->dir);
}

START_TEST(test_mech_names)
{
	enum sasl_mech m;
	ck_assert_int_eq(sasl_mech_from_name("plain", &m), 0);
	ck_assert_int_eq(m, SASL_PLAIN);
	ck_assert_int_eq(sasl_mech_from_name("Login", &m), 0);
	ck_assert_int_eq(m, SASL_LOGIN);
	ck_assert_int_eq(sasl_mech_from_name("cram-MD5", &m), 0);
	ck_assert_int_eq(m, SASL_CRAM_MD5);
	ck_assert_int_eq(sasl_mech_from_name("DIGEST-MD5", &m), -1);
	ck_assert_int_eq(sasl_mech_from_name("PLAINX", &m), -1);
	ck_assert_int_eq(sasl_mech_from_name("", &m), -1);
	ck_assert_str_eq(sasl_mech_name(SASL_PLAIN), "PLAIN");
	ck_assert_str_eq(sasl_mech_name(SASL_LOGIN), "LOGIN");
	ck_assert_str_eq(sasl_mech_name(SASL_CRAM_MD5), "CRAM-MD5");
}
END_TEST

/* RFC 4616 §2 with an empty authzid, as an initial response. */
START_TEST(test_plain_initial_response)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	b64("\0alice\0wonderland", 17, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_DONE);
	ck_assert_str_eq(s.user, "alice");
	ck_assert_str_eq(s.password, "wonderland");
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_OK);

	b64("\0alice\0wonderlan", 16, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_DONE);
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);
	sasl_clear(&s);
	users_close(&u);
}
END_TEST

START_TEST(test_plain_authzid_equal)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	b64("tim\0tim\0tanstaaftanstaaf", 24, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_DONE);
	ck_assert_str_eq(s.user, "tim");
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_OK);
	sasl_clear(&s);
	users_close(&u);
}
END_TEST

/* Proxy authorization (log in as tim, act as alice) is not offered. */
START_TEST(test_plain_authzid_mismatch)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	b64("alice\0tim\0tanstaaftanstaaf", 26, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_FAIL);
	ck_assert_ptr_nonnull(strstr(error, "authorization identity"));
	/* A core that ignored the failure still cannot log the client in. */
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);
	ck_assert_str_eq(s.password, "");
	users_close(&u);
}
END_TEST

/* No initial response: an empty challenge, then the message. */
START_TEST(test_plain_continuation)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	strcpy(out, "junk");
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, NULL, NULL, out, &error),
			 SASL_CONTINUE);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);
	b64("\0tim\0tanstaaftanstaaf", 21, line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_DONE);
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_OK);
	/* Nothing more is expected after the exchange completed. */
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_FAIL);
	sasl_clear(&s);
	users_close(&u);
}
END_TEST

START_TEST(test_plain_malformed)
{
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	/* only one separator */
	b64("tim\0secret", 10, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_FAIL);
	/* a NUL inside the password */
	b64("\0tim\0sec\0ret", 12, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_FAIL);
	ck_assert_ptr_nonnull(strstr(error, "NUL"));
	/* empty authcid */
	b64("\0\0secret", 8, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_FAIL);
	/* authcid longer than USER_NAME_MAX */
	char msg[USER_NAME_MAX + 16];
	msg[0] = '\0';
	memset(msg + 1, 'u', USER_NAME_MAX + 1);
	memcpy(msg + USER_NAME_MAX + 2, "\0pw", 3);
	b64(msg, USER_NAME_MAX + 5, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_FAIL);
	/* a password of exactly USER_PASSWORD_MAX is fine, one more is not */
	static char big[USER_PASSWORD_MAX + 8], enc[USER_PASSWORD_MAX * 2];
	memcpy(big, "\0u\0", 3);
	memset(big + 3, 'p', USER_PASSWORD_MAX + 1);
	base64_encode(big, 3 + USER_PASSWORD_MAX, enc);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, enc, NULL, out, &error),
			 SASL_DONE);
	ck_assert_uint_eq(strlen(s.password), USER_PASSWORD_MAX);
	base64_encode(big, 3 + USER_PASSWORD_MAX + 1, enc);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, enc, NULL, out, &error),
			 SASL_FAIL);
}
END_TEST

/* "=" is an empty initial response (RFC 4422 §4): decoded, not rejected as
 * base64, and an empty PLAIN message then fails for its shape. */
START_TEST(test_empty_initial_response)
{
	struct sasl s;
	char out[SASL_CHALLENGE_MAX];
	const char *error = NULL;
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, "=", NULL, out, &error),
			 SASL_FAIL);
	ck_assert_str_ne(error, "invalid base64");
	ck_assert_ptr_nonnull(strstr(error, "authzid NUL authcid"));
	/* For LOGIN the initial response is the user name: empty is refused. */
	ck_assert_int_eq(sasl_start(&s, SASL_LOGIN, "=", NULL, out, &error),
			 SASL_FAIL);
	ck_assert_ptr_nonnull(strstr(error, "user name"));
	/* "=" only means "empty" as an initial response. */
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, NULL, NULL, out, &error),
			 SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(&s, "=", out, &error), SASL_FAIL);
	ck_assert_str_eq(error, "invalid base64");
	/* An empty continuation line is the empty response. */
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, NULL, NULL, out, &error),
			 SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(&s, "", out, &error), SASL_FAIL);
	ck_assert_ptr_nonnull(strstr(error, "authzid NUL authcid"));
}
END_TEST

START_TEST(test_cancel)
{
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, NULL, NULL, out, &error),
			 SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(&s, "*", out, &error), SASL_CANCEL);

	ck_assert_int_eq(sasl_start(&s, SASL_LOGIN, NULL, NULL, out, &error),
			 SASL_CONTINUE);
	b64("tim", 3, line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(&s, "*", out, &error), SASL_CANCEL);
	ck_assert_str_eq(s.user, "");

	ck_assert_int_eq(sasl_start(&s, SASL_CRAM_MD5, NULL, RFC2195_CHALLENGE,
				    out, &error), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(&s, "*", out, &error), SASL_CANCEL);

	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, "*", NULL, out, &error),
			 SASL_CANCEL);
}
END_TEST

START_TEST(test_bad_base64)
{
	struct sasl s;
	char out[SASL_CHALLENGE_MAX];
	const char *error = NULL;
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, "AGFsaWNl!", NULL, out,
				    &error), SASL_FAIL);
	ck_assert_str_eq(error, "invalid base64");
	ck_assert_int_eq(sasl_start(&s, SASL_LOGIN, NULL, NULL, out, &error),
			 SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(&s, "dGlt\r", out, &error), SASL_FAIL);
	ck_assert_str_eq(error, "invalid base64");
	/* A line far too long to hold a PLAIN message is refused unread. */
	char huge[2048];
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, huge, NULL, out, &error),
			 SASL_FAIL);
	ck_assert_str_eq(error, "response too long");
}
END_TEST

/* LOGIN: "Username:" then "Password:", each base64 on the wire. */
START_TEST(test_login_two_steps)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	char text[SASL_CHALLENGE_MAX];
	const char *error = NULL;
	ck_assert_int_eq(sasl_start(&s, SASL_LOGIN, NULL, NULL, out, &error),
			 SASL_CONTINUE);
	ck_assert_str_eq(out, "VXNlcm5hbWU6");
	unb64(out, text);
	ck_assert_str_eq(text, "Username:");
	b64("alice", 5, line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_CONTINUE);
	unb64(out, text);
	ck_assert_str_eq(text, "Password:");
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);
	b64("wonderland", 10, line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_DONE);
	ck_assert_str_eq(s.user, "alice");
	ck_assert_str_eq(s.password, "wonderland");
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_OK);
	sasl_clear(&s);
	users_close(&u);
}
END_TEST

/* LOGIN with the user name as initial response: straight to "Password:". */
START_TEST(test_login_initial_response)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	char text[SASL_CHALLENGE_MAX];
	const char *error = NULL;
	b64("alice", 5, line);
	ck_assert_int_eq(sasl_start(&s, SASL_LOGIN, line, NULL, out, &error),
			 SASL_CONTINUE);
	unb64(out, text);
	ck_assert_str_eq(text, "Password:");
	b64("wrong", 5, line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_DONE);
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);
	sasl_clear(&s);
	users_close(&u);
}
END_TEST

/* RFC 2195 §2, the example exchange, verbatim. */
START_TEST(test_cram_md5_rfc2195)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX];
	const char *error = NULL;
	ck_assert_int_eq(sasl_start(&s, SASL_CRAM_MD5, NULL, RFC2195_CHALLENGE,
				    out, &error), SASL_CONTINUE);
	ck_assert_str_eq(out, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9u"
			      "Lm1jaS5uZXQ+");
	ck_assert_int_eq(sasl_step(&s, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZl"
				       "NzMzNGQzODkw", out, &error),
			 SASL_DONE);
	ck_assert_str_eq(s.user, "tim");
	ck_assert_str_eq(s.digest, "b913a602c7eda7a495b4e6e7334d3890");
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_OK);
	sasl_clear(&s);
	users_close(&u);
}
END_TEST

START_TEST(test_cram_md5_failures)
{
	struct users u = users_open();
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	const char *answer;

	/* one digit wrong */
	answer = "tim b913a602c7eda7a495b4e6e7334d3891";
	sasl_start(&s, SASL_CRAM_MD5, NULL, RFC2195_CHALLENGE, out, &error);
	b64(answer, strlen(answer), line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_DONE);
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);

	/* the right digest for another challenge (a replay) */
	answer = "tim b913a602c7eda7a495b4e6e7334d3890";
	sasl_start(&s, SASL_CRAM_MD5, NULL, "<1.2@other>", out, &error);
	b64(answer, strlen(answer), line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_DONE);
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);

	/* a user stored as a hash has no secret to compute the HMAC with */
	answer = "alice b913a602c7eda7a495b4e6e7334d3890";
	sasl_start(&s, SASL_CRAM_MD5, NULL, RFC2195_CHALLENGE, out, &error);
	b64(answer, strlen(answer), line);
	ck_assert_int_eq(sasl_step(&s, line, out, &error), SASL_DONE);
	ck_assert_int_eq(sasl_verify(&s, u.file, &error), USERS_BAD);

	/* malformed answers */
	const char *bad[] = {
		"tim b913a602c7eda7a495b4e6e7334d389",   /* 31 digits */
		"tim b913a602c7eda7a495b4e6e7334d38900", /* 33 digits */
		"tim zz13a602c7eda7a495b4e6e7334d3890",  /* not hex */
		" b913a602c7eda7a495b4e6e7334d3890",     /* no user */
		"timb913a602c7eda7a495b4e6e7334d3890",   /* no space */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sasl_start(&s, SASL_CRAM_MD5, NULL, RFC2195_CHALLENGE, out,
			   &error);
		b64(bad[i], strlen(bad[i]), line);
		ck_assert_msg(sasl_step(&s, line, out, &error) == SASL_FAIL,
			      "accepted \"%s\"", bad[i]);
	}

	/* the server speaks first: no initial response, and a nonce needed */
	ck_assert_int_eq(sasl_start(&s, SASL_CRAM_MD5, "dGlt", "<1@h>", out,
				    &error), SASL_FAIL);
	ck_assert_int_eq(sasl_start(&s, SASL_CRAM_MD5, NULL, NULL, out,
				    &error), SASL_FAIL);
	users_close(&u);
}
END_TEST

START_TEST(test_clear_wipes)
{
	struct sasl s;
	char out[SASL_CHALLENGE_MAX], line[SASL_CHALLENGE_MAX * 2];
	const char *error = NULL;
	b64("\0tim\0tanstaaftanstaaf", 21, line);
	ck_assert_int_eq(sasl_start(&s, SASL_PLAIN, line, NULL, out, &error),
			 SASL_DONE);
	sasl_clear(&s);
	const unsigned char *p = (const unsigned char *)&s;
	for (size_t i = 0; i < sizeof(s); i++)
		ck_assert_uint_eq(p[i], 0);
}
END_TEST

Suite *sasl_suite(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc = tcase_create("mechanisms");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_mech_names);
	tcase_add_test(tc, test_plain_initial_response);
	tcase_add_test(tc, test_plain_authzid_equal);
	tcase_add_test(tc, test_plain_authzid_mismatch);
	tcase_add_test(tc, test_plain_continuation);
	tcase_add_test(tc, test_plain_malformed);
	tcase_add_test(tc, test_empty_initial_response);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_bad_base64);
	tcase_add_test(tc, test_login_two_steps);
	tcase_add_test(tc, test_login_initial_response);
	tcase_add_test(tc, test_cram_md5_rfc2195);
	tcase_add_test(tc, test_cram_md5_failures);
	tcase_add_test(tc, test_clear_wipes);
	suite_add_tcase(s, tc);
	return s;
}
