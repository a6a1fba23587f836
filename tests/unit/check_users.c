/*
 * check_users.c - the users file: Dovecot passwd-file lines in, verdicts
 * out, and atomic rewrites that leave every other line as it was.
 *
 * Each test works in its own temporary directory with a users file it
 * writes by hand (to test the reader on lines an admin might type) or
 * through users_set() (to test the writer).
 */
#include "../../servers/core/users.h"
#include "../../proto/limits.h"
#include "fixture.h"

#include <check.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* One temporary directory with a users file path in it. */
struct tmp {
	char *dir;
	char file[4096];
};

static struct tmp tmp_open(const char *contents)
{
	struct tmp t;
	t.dir = fixture_tmpdir();
	snprintf(t.file, sizeof(t.file), "%s/users", t.dir);
	if (contents != NULL)
		fixture_write_file(t.file, contents, strlen(contents));
	return t;
}

static void tmp_close(struct tmp *t)
{
	fixture_rmtree(t->dir);
	free(t->dir);
}

/* verify - users_verify() with a throwaway error pointer. */
static enum users_result verify(const struct tmp *t, const char *name,
				const char *password)
{
	const char *error = NULL;
	enum users_result r = users_verify(t->file, name, password, &error);
	if (r != USERS_OK)
		ck_assert_ptr_nonnull(error);
	return r;
}

START_TEST(test_add_and_verify)
{
	struct tmp t = tmp_open(NULL);
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, "alice", "secret", NULL, &error), 0);

	char *text = fixture_read_file(t.file, NULL);
	ck_assert_ptr_nonnull(strstr(text, "alice:{SHA512-CRYPT}$6$"));
	ck_assert_ptr_null(strstr(text, "secret")); /* hashed, not stored */
	free(text);
	struct stat st;
	ck_assert_int_eq(stat(t.file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	ck_assert_int_eq(verify(&t, "alice", "secret"), USERS_OK);
	ck_assert_int_eq(verify(&t, "alice", "Secret"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "alice", ""), USERS_BAD);
	ck_assert(users_exists(t.file, "alice"));
	tmp_close(&t);
}
END_TEST

START_TEST(test_unknown_user)
{
	struct tmp t = tmp_open("alice:{PLAIN}secret\n");
	ck_assert_int_eq(verify(&t, "bob", "secret"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "alic", "secret"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "alice:", "secret"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "ALICE", "secret"), USERS_BAD);
	ck_assert(!users_exists(t.file, "bob"));
	tmp_close(&t);

	/* A name that is a prefix of a whole line must not match it. */
	t = tmp_open("bob:{PLAIN}x:1000:1000\n");
	ck_assert_int_eq(verify(&t, "bob:{PLAIN}x", "x"), USERS_BAD);
	ck_assert(!users_exists(t.file, "bob:{PLAIN}x"));
	ck_assert_int_eq(verify(&t, "bob", "x"), USERS_OK);
	tmp_close(&t);
}
END_TEST

START_TEST(test_plain_secret)
{
	struct tmp t = tmp_open(NULL);
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, "bob", "builder", "PLAIN", &error),
			 0);
	char *text = fixture_read_file(t.file, NULL);
	ck_assert_str_eq(text, "bob:{PLAIN}builder\n");
	free(text);

	char *secret = NULL;
	ck_assert_int_eq(users_plain_secret(t.file, "bob", &secret, &error),
			 USERS_OK);
	ck_assert_str_eq(secret, "builder");
	free(secret);
	ck_assert_int_eq(verify(&t, "bob", "builder"), USERS_OK);
	ck_assert_int_eq(verify(&t, "bob", "builde"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "bob", "builderx"), USERS_BAD);
	tmp_close(&t);
}
END_TEST

START_TEST(test_hashed_user_has_no_plain_secret)
{
	struct tmp t = tmp_open(NULL);
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, "alice", "secret", "sha512-crypt",
				   &error), 0);
	char *secret = (char *)"untouched";
	error = NULL;
	ck_assert_int_eq(users_plain_secret(t.file, "alice", &secret, &error),
			 USERS_BAD);
	ck_assert_ptr_null(secret);
	ck_assert_ptr_nonnull(error);
	ck_assert_int_eq(users_plain_secret(t.file, "nobody", &secret, &error),
			 USERS_BAD);
	ck_assert_ptr_null(secret);
	tmp_close(&t);
}
END_TEST

START_TEST(test_replace_preserves_other_lines)
{
	struct tmp t = tmp_open("# lab users\n"
				"\n"
				"bob:{PLAIN}b\n"
				"alice:{PLAIN}a:1000:1000::/home/alice::\n"
				"#alice:{PLAIN}commented\n"
				"carol:{PLAIN}c");   /* no final newline */
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, "alice", "new", "PLAIN", &error), 0);
	ck_assert_int_eq(users_set(t.file, "dave", "d", "plain", &error), 0);
	char *text = fixture_read_file(t.file, NULL);
	ck_assert_str_eq(text, "# lab users\n"
			       "\n"
			       "bob:{PLAIN}b\n"
			       "alice:{PLAIN}new:1000:1000::/home/alice::\n"
			       "#alice:{PLAIN}commented\n"
			       "carol:{PLAIN}c\n"
			       "dave:{PLAIN}d\n");
	free(text);
	ck_assert_int_eq(verify(&t, "alice", "new"), USERS_OK);
	ck_assert_int_eq(verify(&t, "alice", "a"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "carol", "c"), USERS_OK);
	tmp_close(&t);
}
END_TEST

START_TEST(test_replace_plain_with_hash)
{
	struct tmp t = tmp_open("bob:{PLAIN}old\n");
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, "bob", "new", NULL, &error), 0);
	ck_assert_int_eq(verify(&t, "bob", "new"), USERS_OK);
	ck_assert_int_eq(verify(&t, "bob", "old"), USERS_BAD);
	char *secret = NULL;
	ck_assert_int_eq(users_plain_secret(t.file, "bob", &secret, &error),
			 USERS_BAD);
	tmp_close(&t);
}
END_TEST

START_TEST(test_delete)
{
	struct tmp t = tmp_open("# comment\n"
				"alice:{PLAIN}a\n"
				"bob:{PLAIN}b\n"
				"bob:{PLAIN}duplicate\n"
				"carol:{PLAIN}c\n");
	const char *error = NULL;
	ck_assert_int_eq(users_delete(t.file, "bob", &error), 0);
	char *text = fixture_read_file(t.file, NULL);
	ck_assert_str_eq(text, "# comment\nalice:{PLAIN}a\ncarol:{PLAIN}c\n");
	free(text);
	ck_assert(!users_exists(t.file, "bob"));
	ck_assert_int_eq(verify(&t, "bob", "b"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "bob", "duplicate"), USERS_BAD);

	error = NULL;
	ck_assert_int_eq(users_delete(t.file, "bob", &error), -1);
	ck_assert_str_eq(error, "no such user");
	ck_assert_int_eq(users_delete(t.file, "../x", &error), -1);
	tmp_close(&t);
}
END_TEST

/* Replacing a name listed twice leaves one line, so the old secret in the
 * second cannot come back to life when the first is deleted. */
START_TEST(test_replace_duplicate)
{
	struct tmp t = tmp_open("bob:{PLAIN}one\nx:{PLAIN}x\nbob:{PLAIN}two\n");
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, "bob", "three", "PLAIN", &error), 0);
	char *text = fixture_read_file(t.file, NULL);
	ck_assert_str_eq(text, "bob:{PLAIN}three\nx:{PLAIN}x\n");
	free(text);
	tmp_close(&t);
}
END_TEST

/* An unknown name costs about as much as a wrong password for a hashed
 * user (one SHA512-CRYPT each), so timing does not reveal which names
 * exist.  The bound is loose: it catches "returns at once", not noise. */
static double seconds(const struct tmp *t, const char *name)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 5; i++)
		verify(t, name, "not the password");
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

START_TEST(test_unknown_user_timing)
{
	struct tmp t = tmp_open(NULL);
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, "alice", "secret", NULL, &error), 0);
	double known = seconds(&t, "alice");
	double unknown = seconds(&t, "mallory");
	ck_assert_msg(unknown > known * 0.3,
		      "unknown user %.4fs vs known %.4fs", unknown, known);
	tmp_close(&t);
}
END_TEST

/* The first line of a name wins, as in Dovecot. */
START_TEST(test_first_line_wins)
{
	struct tmp t = tmp_open("bob:{PLAIN}one\nbob:{PLAIN}two\n");
	ck_assert_int_eq(verify(&t, "bob", "one"), USERS_OK);
	ck_assert_int_eq(verify(&t, "bob", "two"), USERS_BAD);
	tmp_close(&t);
}
END_TEST

/* A file larger than the reader's largest buffer (1 MiB): found first,
 * across the buffer's end and last, the last line without its newline. */
START_TEST(test_large_file)
{
	enum { USERS = 20000 };  /* lines of 56 octets: 1.1 MB */
	size_t cap = (size_t)USERS * 64, len = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	for (int i = 0; i < USERS; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"user%05d:{PLAIN}secret%05d:1000:1000::"
					"/home/x:/bin/sh\n",
					i, i);
	ck_assert_uint_gt(len, 1024 * 1024);
	size_t line_len = len / USERS;
	len--;  /* no newline at the end */
	struct tmp t = tmp_open(NULL);
	fixture_write_file(t.file, text, len);
	free(text);
	/* the line that holds octet 1 MiB: read in two pieces */
	int across = (int)(1024 * 1024 / line_len);
	char name[16], password[16];
	const int found[] = { 0, across, across + 1, USERS / 2, USERS - 1 };
	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		snprintf(name, sizeof(name), "user%05d", found[i]);
		snprintf(password, sizeof(password), "secret%05d", found[i]);
		ck_assert_int_eq(verify(&t, name, password), USERS_OK);
		ck_assert(users_exists(t.file, name));
	}
	ck_assert_int_eq(verify(&t, "user00001", "secret00002"), USERS_BAD);
	ck_assert(!users_exists(t.file, "user20000"));
	tmp_close(&t);
}
END_TEST

#define TEN "aaaaaaaaaa"
static const char *const bad_names[] = {
	"../x", ".x", "a/b", "", "A:b", "Alice", "a b", "a:b", "a\nb", "..",
	TEN TEN TEN TEN TEN TEN "aaaaa",   /* USER_NAME_MAX + 1 = 65 */
};

START_TEST(test_invalid_names)
{
	const char *name = bad_names[_i];
	ck_assert_msg(!users_name_valid(name), "accepted \"%s\"", name);

	struct tmp t = tmp_open(NULL);
	const char *error = NULL;
	ck_assert_int_eq(users_set(t.file, name, "pw", "PLAIN", &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_null(fixture_read_file(t.file, NULL)); /* not created */
	ck_assert_ptr_null(users_maildir("/data", name));
	tmp_close(&t);
}
END_TEST

START_TEST(test_valid_names)
{
	_Static_assert(USER_NAME_MAX == 64, "bad_names assumes 64");
	char max_name[USER_NAME_MAX + 1];
	memset(max_name, 'z', USER_NAME_MAX);
	max_name[USER_NAME_MAX] = '\0';
	ck_assert(users_name_valid("alice"));
	ck_assert(users_name_valid("a.b-c_9"));
	ck_assert(users_name_valid("a..b"));
	ck_assert(users_name_valid("0"));
	ck_assert(users_name_valid(max_name));
}
END_TEST

START_TEST(test_invalid_passwords_and_schemes)
{
	struct tmp t = tmp_open(NULL);
	char too_long[USER_PASSWORD_MAX + 2];
	memset(too_long, 'p', USER_PASSWORD_MAX + 1);
	too_long[USER_PASSWORD_MAX + 1] = '\0';
	const char *bad[] = { "a:b", "a\rb", "a\nb", "", too_long };
	const char *error = NULL;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		ck_assert_int_eq(users_set(t.file, "alice", bad[i], "PLAIN",
					   &error), -1);
		ck_assert_ptr_nonnull(error);
	}
	ck_assert_int_eq(users_set(t.file, "alice", "pw", "MD5-CRYPT", &error),
			 -1);
	ck_assert_int_eq(users_set(t.file, "alice", "pw", "CRYPT", &error), -1);
	ck_assert_ptr_null(fixture_read_file(t.file, NULL));

	/* USER_PASSWORD_MAX itself is allowed. */
	too_long[USER_PASSWORD_MAX] = '\0';
	ck_assert_int_eq(users_set(t.file, "alice", too_long, "PLAIN", &error),
			 0);
	ck_assert_int_eq(verify(&t, "alice", too_long), USERS_OK);
	tmp_close(&t);
}
END_TEST

/* A full Dovecot line, typed by hand: the extra fields are ignored. */
START_TEST(test_extra_fields)
{
	struct tmp t = tmp_open("carol:{PLAIN}pw:1000:1000::/home/carol::\n");
	ck_assert_int_eq(verify(&t, "carol", "pw"), USERS_OK);
	ck_assert_int_eq(verify(&t, "carol", "pw:1000"), USERS_BAD);
	char *secret = NULL;
	const char *error = NULL;
	ck_assert_int_eq(users_plain_secret(t.file, "carol", &secret, &error),
			 USERS_OK);
	ck_assert_str_eq(secret, "pw");
	free(secret);
	tmp_close(&t);
}
END_TEST

/* Scheme names are case-insensitive; a bare crypt string is CRYPT; the
 * other crypt schemes work; CRLF line ends are tolerated. */
START_TEST(test_schemes)
{
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	char sha256[256], sha512[256], line[2048];
	snprintf(sha256, sizeof(sha256), "%s",
		 crypt_r("five", "$5$saltsaltsalt$", &cd));
	snprintf(sha512, sizeof(sha512), "%s",
		 crypt_r("six", "$6$saltsaltsalt$", &cd));
	snprintf(line, sizeof(line),
		 "dave:{plain}x\r\n"
		 "erin:{ClearText}y\n"
		 "fay:{SHA256-CRYPT}%s\n"
		 "gus:%s\n"
		 "hal:{sha512-crypt}%s:1001:1001::/home/hal::\n"
		 "ivy:{SSHA}abcdef\n"
		 "jo:\n"
		 "kim:{PLAIN}:1002\n",
		 sha256, sha512, sha512);
	struct tmp t = tmp_open(line);
	ck_assert_int_eq(verify(&t, "dave", "x"), USERS_OK);
	ck_assert_int_eq(verify(&t, "erin", "y"), USERS_OK);
	ck_assert_int_eq(verify(&t, "fay", "five"), USERS_OK);
	ck_assert_int_eq(verify(&t, "fay", "six"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "gus", "six"), USERS_OK);
	ck_assert_int_eq(verify(&t, "gus", "five"), USERS_BAD);
	ck_assert_int_eq(verify(&t, "hal", "six"), USERS_OK);
	/* An unknown scheme is a problem of the file, not of the password. */
	ck_assert_int_eq(verify(&t, "ivy", "abcdef"), USERS_ERROR);
	/* An empty secret never matches, not even the empty password. */
	ck_assert_int_eq(verify(&t, "jo", ""), USERS_BAD);
	ck_assert_int_eq(verify(&t, "kim", ""), USERS_BAD);
	char *secret = NULL;
	const char *error = NULL;
	ck_assert_int_eq(users_plain_secret(t.file, "kim", &secret, &error),
			 USERS_BAD);
	tmp_close(&t);
}
END_TEST

START_TEST(test_missing_file)
{
	struct tmp t = tmp_open(NULL);
	const char *error = NULL;
	ck_assert_int_eq(users_verify(t.file, "alice", "pw", &error),
			 USERS_ERROR);
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_nonnull(strstr(error, "does not exist"));
	char *secret = NULL;
	ck_assert_int_eq(users_plain_secret(t.file, "alice", &secret, &error),
			 USERS_ERROR);
	ck_assert(!users_exists(t.file, "alice"));
	ck_assert_int_eq(users_delete(t.file, "alice", &error), -1);
	tmp_close(&t);
}
END_TEST

START_TEST(test_maildir_path)
{
	char *path = users_maildir("/srv/data", "alice");
	ck_assert_str_eq(path, "/srv/data/mail/alice/Maildir");
	free(path);
}
END_TEST

Suite *users_suite(void)
{
	Suite *s = suite_create("users");
	TCase *tc = tcase_create("passwd-file");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_add_and_verify);
	tcase_add_test(tc, test_unknown_user);
	tcase_add_test(tc, test_plain_secret);
	tcase_add_test(tc, test_hashed_user_has_no_plain_secret);
	tcase_add_test(tc, test_replace_preserves_other_lines);
	tcase_add_test(tc, test_replace_plain_with_hash);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_replace_duplicate);
	tcase_add_test(tc, test_unknown_user_timing);
	tcase_add_test(tc, test_first_line_wins);
	tcase_add_test(tc, test_large_file);
	tcase_add_loop_test(tc, test_invalid_names, 0,
			    (int)(sizeof(bad_names) / sizeof(bad_names[0])));
	tcase_add_test(tc, test_valid_names);
	tcase_add_test(tc, test_invalid_passwords_and_schemes);
	tcase_add_test(tc, test_extra_fields);
	tcase_add_test(tc, test_schemes);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_maildir_path);
	suite_add_tcase(s, tc);
	return s;
}
