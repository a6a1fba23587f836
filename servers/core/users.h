/*
 * users.h - the users file: who may log in, and with which secret.
 *
 * The format is Dovecot's passwd-file (so the same file can be given to
 * Dovecot in the comparison labs):
 *
 *     alice:{SHA512-CRYPT}$6$rounds=5000$...
 *     bob:{PLAIN}builder
 *
 * one user per line, "name:{SCHEME}secret", optionally followed by more
 * ':'-separated fields that we ignore.  Lines starting with '#' and empty
 * lines are ignored.  Schemes understood:
 *
 *   SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, CRYPT  checked with crypt(3)
 *   PLAIN (also CLEARTEXT)                         compared as text
 *
 * A hash is the default for new users: the file then does not reveal
 * passwords.  PLAIN exists for the challenge-response mechanisms (APOP,
 * CRAM-MD5), which need the secret itself on the server; that trade-off is
 * part of what the labs teach.
 *
 * The user's mail lives in <data>/mail/<name>/Maildir.
 */
#ifndef MAILLAB_USERS_H
#define MAILLAB_USERS_H

#include <stdbool.h>

/** Result of a password check. */
enum users_result {
	USERS_OK,       /**< the password is right */
	USERS_BAD,      /**< unknown user or wrong password */
	USERS_ERROR,    /**< the users file could not be read */
};

/** True if @p name may be a user name: [a-z0-9._-], 1..USER_NAME_MAX, not
 * starting with '.', so it is safe as a path component. */
bool users_name_valid(const char *name);

/** Check @p password for @p name against the users file. */
enum users_result users_verify(const char *users_file, const char *name,
			       const char *password, const char **error_r);

/**
 * Look up the plaintext secret of @p name, for APOP and CRAM-MD5.
 * Returns USERS_OK with a malloc'ed copy in @p secret_r, USERS_BAD if the
 * user is unknown or stored with a hash (no plaintext available).
 */
enum users_result users_plain_secret(const char *users_file, const char *name,
				     char **secret_r, const char **error_r);

/** True if @p name exists in the users file. */
bool users_exists(const char *users_file, const char *name);

/**
 * Add @p name, or replace its secret.  @p scheme is "SHA512-CRYPT" (default
 * when NULL) or "PLAIN".  The file is rewritten atomically (tmp, fsync,
 * rename) and created with mode 0600 if missing.
 */
int users_set(const char *users_file, const char *name, const char *password,
	      const char *scheme, const char **error_r);

/** Remove @p name from the users file (0, or -1 if absent or on error). */
int users_delete(const char *users_file, const char *name,
		 const char **error_r);

/** The Maildir of @p name under @p data_dir (malloc'ed). */
char *users_maildir(const char *data_dir, const char *name);

#endif
