/*
 * fuzz_users_file.c - the users file in Dovecot's passwd-file form
 * ("name:{SCHEME}secret:...", servers/core/users.h).
 *
 * The input is written as the users file and read the ways the servers
 * read it: a password check (users_verify), the plaintext secret APOP and
 * CRAM-MD5 need (users_plain_secret), and existence (users_exists), for a
 * few fixed names and for the name the first line starts with.  Then a
 * user is added and removed the way mailctl does it, and the promises of
 * users_set() are checked: the new user logs in with the new password,
 * and after users_delete() is gone again.
 *
 * A '$' in the input is replaced: crypt(3) settings carry their own cost
 * ("$6$rounds=999999999$", "$2b$31$"), and an administrator's choice of a
 * slow hash is not a bug the fuzzer should wait for.
 */
#include "support.h"

#include "../proto/limits.h"
#include "../servers/core/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once by LLVMFuzzerInitialize(): a fuzz target has no context. */
static const char *dir;
static char file[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_data_dir("");
	fuzz_path(dir, "users", file, sizeof(file));
	return 0;
}

/* look_up - as APOP and RCPT do; with @verify, as PASS does too. */
static void look_up(const char *name, const char *password, bool verify)
{
	const char *error;
	char *secret = NULL;
	if (verify)
		users_verify(file, name, password, &error);
	if (users_plain_secret(file, name, &secret, &error) == USERS_OK) {
		if (!users_name_valid(name))
			fuzz_fail("a secret for the invalid name \"%s\"", name);
		free(secret);
	}
	users_exists(file, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		if (text[i] == '$')
			text[i] = '%';
	fuzz_write_file(file, text, size);
	char first[USER_NAME_MAX * 2 + 1];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(text, ":\n"), text);
	static const char *const names[] = { "alice", "bob", "", ".", "x" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		look_up(names[i], "wonderland", false);
	/* verified only when it is in the file: for an unknown name
	 * users_verify() spends a real SHA512-CRYPT on purpose, which would
	 * make this target a hash benchmark */
	look_up(first, "secret", users_exists(file, first));

	const char *error;
	if (users_set(file, "carol", "her password", "PLAIN", &error) == 0) {
		if (users_verify(file, "carol", "her password", &error) !=
		    USERS_OK)
			fuzz_fail("carol was added but cannot log in: %s", error);
		if (users_delete(file, "carol", &error) != 0 ||
		    users_exists(file, "carol"))
			fuzz_fail("carol was deleted but is still there");
	}
	free(text);
	return 0;
}
