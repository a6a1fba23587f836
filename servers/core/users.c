/*
 * users.c - the users file: looking up, checking and changing secrets.
 *
 * The file is Dovecot's passwd-file format (see users.h), one user per line:
 *
 *     name:{SCHEME}secret[:uid:gid:gecos:home:shell:extra]
 *
 * Only the first two fields matter to us; the rest are kept as they are, so
 * the same file still works for Dovecot in the comparison labs.  A secret
 * without a {SCHEME} prefix is a crypt(3) string, as in Dovecot's default.
 * If a name appears twice, the first line wins (and users_set/users_delete
 * tidy the later ones away, so deleting a user really deletes it).
 *
 * Checking a password never returns early on the interesting branches:
 *
 *   - the final comparison is digest_equal(), whose time does not depend on
 *     where two strings differ (otherwise a network timer reveals how many
 *     leading characters were right);
 *   - an unknown user still costs one SHA512-CRYPT run on a dummy salt, so
 *     the answer time does not tell an attacker which names exist
 *     (RFC 4954 §4 and RFC 5034 §4 both warn against such disclosure).
 *
 * Changing the file is atomic in the qmail/Maildir way: write a temporary
 * file in the same directory (mode 0600), fsync it, rename() it over the
 * old one, fsync the directory.  A crash leaves the old file or the new
 * one, never a half-written list of passwords.  Two administrators running
 * mailctl at the same instant can still lose one change (last rename wins);
 * for a lab machine that is an accepted simplification.
 *
 * Hashes are made by libxcrypt: crypt_gensalt_rn("$6$", 0, NULL, ...) picks
 * a random salt from the kernel and the default cost, crypt_r() hashes.
 */
#include "users.h"

#include "../../common/digest.h"
#include "../../proto/limits.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* How a scheme's secret is checked. */
enum scheme_kind {
	SCHEME_CRYPT,   /* crypt(3) string: hash the candidate, compare */
	SCHEME_PLAIN,   /* the secret itself: compare directly */
};

/* Scheme names as Dovecot spells them (doc: "Password Schemes"). */
static const struct {
	const char *name;
	enum scheme_kind kind;
} schemes[] = {
	{ "SHA512-CRYPT", SCHEME_CRYPT },
	{ "SHA256-CRYPT", SCHEME_CRYPT },
	{ "BLF-CRYPT",    SCHEME_CRYPT },
	{ "CRYPT",        SCHEME_CRYPT },
	{ "PLAIN",        SCHEME_PLAIN },
	{ "CLEARTEXT",    SCHEME_PLAIN },
};

/* A SHA512-CRYPT setting with the default cost, hashed for unknown users so
 * that "no such user" takes as long as "wrong password" for a hashed user. */
static const char dummy_setting[] = "$6$maillab.dummy$";

/* The user's line, split in place.  All pointers point into @line. */
struct entry {
	char *line;       /* the whole line, owned (entry_free() it) */
	size_t size;      /* bytes allocated for @line, all wiped at the end */
	char *scheme;     /* between the braces, or "CRYPT" if none */
	char *secret;     /* after the braces, up to the next ':' */
};

/* ---- reading ---------------------------------------------------------- */

/* chomp - cut a trailing LF and CR (a file edited on Windows still works). */
static void chomp(char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
}

/* line_is_user - true if @line is the entry of @name ("name:..."). */
static bool line_is_user(const char *line, const char *name)
{
	size_t n = strlen(name);
	return n > 0 && strncmp(line, name, n) == 0 && line[n] == ':';
}

/* split_entry - point scheme and secret into @e->line (which names the user).
 * "{SCHEME}secret" or a bare crypt string; later fields are cut off. */
static void split_entry(struct entry *e)
{
	char *field = strchr(e->line, ':') + 1;
	char *end = strchr(field, ':');
	if (end != NULL)
		*end = '\0';
	char *close = field[0] == '{' ? strchr(field, '}') : NULL;
	if (close == NULL) {
		e->scheme = "CRYPT";
		e->secret = field;
		return;
	}
	*close = '\0';
	e->scheme = field + 1;
	e->secret = close + 1;
}

/*
 * A stream of the users file, or of the file that replaces it, through a
 * buffer of our own.  Every buffer the file passes through holds every
 * user's secret, and stdio would free its own without wiping it;
 * secret_close() wipes ours.
 */
struct secret_file {
	FILE *f;
	char *buf;   /* NULL: stdio's own buffer (there was no memory) */
	size_t size;
};

/* secret_buffer - give @sf->f a buffer of @size octets, before its first
 * read or write. */
static void secret_buffer(struct secret_file *sf, size_t size)
{
	sf->buf = malloc(size);
	sf->size = size;
	if (sf->buf != NULL && setvbuf(sf->f, sf->buf, _IOFBF, size) != 0) {
		free(sf->buf);
		sf->buf = NULL;
	}
}

/* secret_close - fclose(), then wipe and free the buffer; fclose()'s
 * result (0 for a file that never opened). */
static int secret_close(struct secret_file *sf)
{
	int r = sf->f != NULL ? fclose(sf->f) : 0;
	if (sf->buf != NULL)
		explicit_bzero(sf->buf, sf->size);
	free(sf->buf);
	*sf = (struct secret_file){ NULL, NULL, 0 };
	return r;
}

/* READ_BUFFER_MAX - the largest buffer the file is read through.  A file
 * that fits (34 KB for the bench's 256 users) takes one read and one more
 * that sees its end, instead of one per 4 KiB of stdio's own buffer; a
 * larger one is read in pieces of this size. */
#define READ_BUFFER_MAX (1024 * 1024)

/* open_users - open the file for reading, through a buffer of its size
 * plus one (so that the read after it sees the end), at most
 * READ_BUFFER_MAX.  0, or -1 (errno kept) saying what an admin can do. */
static int open_users(const char *users_file, struct secret_file *sf,
		      const char **error_r)
{
	*sf = (struct secret_file){ fopen(users_file, "r"), NULL, 0 };
	if (sf->f == NULL) {
		*error_r = errno == ENOENT
			? "users file does not exist "
			  "(create users with mailctl useradd)"
			: "cannot open the users file";
		return -1;
	}
	struct stat st;
	size_t size = READ_BUFFER_MAX;
	if (fstat(fileno(sf->f), &st) == 0 && st.st_size < READ_BUFFER_MAX)
		size = (size_t)st.st_size + 1;
	secret_buffer(sf, size);
	return 0;
}

/* entry_free - wipe and free a found entry.  The whole buffer, not
 * strlen(): split_entry() put NULs in front of the secret. */
static void entry_free(struct entry *e)
{
	if (e->line != NULL) {
		explicit_bzero(e->line, e->size);
		free(e->line);
		e->line = NULL;
	}
}

/*
 * lookup - find the first line of @name.  USERS_OK fills @e (free it with
 * entry_free), USERS_BAD if absent, USERS_ERROR if the file cannot be read.
 * The whole file is read even after a match, so the time taken does not
 * depend on where (or whether) the name is in it.  An invalid name is
 * never found: "bob:{PLAIN}x" must not match the line of bob.
 */
static enum users_result lookup(const char *users_file, const char *name,
				struct entry *e, const char **error_r)
{
	e->line = NULL;
	if (!users_name_valid(name))
		return USERS_BAD;
	struct secret_file in;
	if (open_users(users_file, &in, error_r) < 0)
		return USERS_ERROR;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, in.f) >= 0) {
		if (e->line == NULL && line[0] != '#' &&
		    line_is_user(line, name)) {
			chomp(line);
			e->line = line;
			e->size = cap;
			line = NULL;
			cap = 0;
		}
	}
	bool failed = ferror(in.f) != 0;
	secret_close(&in);
	if (line != NULL)
		explicit_bzero(line, cap);  /* other users' secrets */
	free(line);
	if (failed) {
		entry_free(e);
		*error_r = "error reading the users file";
		return USERS_ERROR;
	}
	if (e->line == NULL)
		return USERS_BAD;
	split_entry(e);
	return USERS_OK;
}

/* scheme_kind_of - the kind of a scheme name (case-insensitive), -1 if
 * we do not know it. */
static int scheme_kind_of(const char *scheme)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strcasecmp(scheme, schemes[i].name) == 0)
			return (int)schemes[i].kind;
	return -1;
}

/* ---- checking --------------------------------------------------------- */

/* crypt_matches - hash @password with the salt and cost in @hash and compare
 * the result with @hash in constant time.  crypt_data is 32 KiB: heap, not
 * stack.  libxcrypt returns a string starting with '*' for a setting it
 * cannot use, which never equals a real hash. */
static bool crypt_matches(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return false;
	const char *out = crypt_r(password, hash, cd);
	bool ok = out != NULL && out[0] != '*' && digest_equal(out, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* spend_dummy_time - the work of one SHA512-CRYPT check, result unused. */
static void spend_dummy_time(const char *password)
{
	(void)crypt_matches(password, dummy_setting);
}

/* check_entry - compare @password with the secret of a found user. */
static enum users_result check_entry(const struct entry *e,
				     const char *password,
				     const char **error_r)
{
	int kind = scheme_kind_of(e->scheme);
	if (kind < 0) {
		*error_r = "the user's password scheme is not supported";
		return USERS_ERROR;
	}
	/* An empty secret is "no password set", not "any password". */
	bool ok = e->secret[0] != '\0' &&
		  (kind == SCHEME_PLAIN ? digest_equal(password, e->secret)
					: crypt_matches(password, e->secret));
	if (!ok)
		*error_r = "unknown user or wrong password";
	return ok ? USERS_OK : USERS_BAD;
}

bool users_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > USER_NAME_MAX || name[0] == '.')
		return false;
	/* [a-z0-9._-] only: no '/', no ':', nothing a shell or a path parser
	 * would treat specially, so the name is safe in DATA/mail/<name>. */
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

enum users_result users_verify(const char *users_file, const char *name,
			       const char *password, const char **error_r)
{
	struct entry e;
	enum users_result r = lookup(users_file, name, &e, error_r);
	if (r == USERS_ERROR)
		return r;
	if (r == USERS_OK && strlen(password) <= USER_PASSWORD_MAX) {
		r = check_entry(&e, password, error_r);
	} else {
		spend_dummy_time(password);
		*error_r = "unknown user or wrong password";
		r = USERS_BAD;
	}
	entry_free(&e);
	return r;
}

enum users_result users_plain_secret(const char *users_file, const char *name,
				     char **secret_r, const char **error_r)
{
	*secret_r = NULL;
	struct entry e;
	enum users_result r = lookup(users_file, name, &e, error_r);
	if (r == USERS_OK) {
		if (scheme_kind_of(e.scheme) == SCHEME_PLAIN &&
		    e.secret[0] != '\0') {
			*secret_r = strdup(e.secret);
			if (*secret_r == NULL) {
				*error_r = "out of memory";
				r = USERS_ERROR;
			}
		} else {
			r = USERS_BAD;
		}
		entry_free(&e);
	}
	/* One message for "unknown" and "hashed", so it reveals no names. */
	if (r == USERS_BAD)
		*error_r = "no plaintext secret for this user "
			   "(unknown, or stored as a hash)";
	return r;
}

bool users_exists(const char *users_file, const char *name)
{
	struct entry e;
	const char *error;
	if (lookup(users_file, name, &e, &error) != USERS_OK)
		return false;
	entry_free(&e);
	return true;
}

/* ---- changing --------------------------------------------------------- */

/* password_valid - a password we can store on one line of the file:
 * ':' would end the field, CR or LF the line.  (A NUL cannot reach us in
 * a C string; sasl.c refuses it where the bytes arrive.) */
static bool password_valid(const char *password, const char **error_r)
{
	size_t n = strlen(password);
	if (n == 0)
		*error_r = "the password is empty";
	else if (n > USER_PASSWORD_MAX)
		*error_r = "the password is too long";
	else if (strpbrk(password, ":\r\n") != NULL)
		*error_r = "the password may not contain ':', CR or LF";
	else
		return true;
	return false;
}

/* sha512_crypt - "{SHA512-CRYPT}$6$salt$hash" for @password (malloc'ed).
 * With rbytes NULL, libxcrypt reads the salt's randomness from the kernel;
 * count 0 means its default cost (5000 rounds for $6$). */
static char *sha512_crypt(const char *password, const char **error_r)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	if (crypt_gensalt_rn("$6$", 0, NULL, 0, setting, sizeof(setting)) ==
	    NULL) {
		*error_r = "cannot make a salt (no SHA512-CRYPT in libcrypt?)";
		return NULL;
	}
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (cd == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	char *out = NULL;
	const char *hash = crypt_r(password, setting, cd);
	if (hash == NULL || hash[0] == '*') {
		*error_r = "crypt() failed";
	} else if (asprintf(&out, "{SHA512-CRYPT}%s", hash) < 0) {
		*error_r = "out of memory";
		out = NULL;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return out;
}

/* make_secret - "{SCHEME}secret" for a new entry (malloc'ed), or NULL. */
static char *make_secret(const char *password, const char *scheme,
			 const char **error_r)
{
	if (strcasecmp(scheme, "PLAIN") != 0)
		return sha512_crypt(password, error_r);
	char *out;
	if (asprintf(&out, "{PLAIN}%s", password) < 0) {
		*error_r = "out of memory";
		return NULL;
	}
	return out;
}

/* dir_of - the directory part of @path (malloc'ed), "." if none. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* fsync_dir - make a rename in @dir durable (the rename is a change to the
 * directory, not to the file). */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

/* write_replaced - copy @in to @out, with every line of @name dropped and
 * @secret (if not NULL) written in place of the first one, keeping that
 * line's extra fields.  Appends the user if it was not there.  @found_r
 * says whether it was. */
static int write_replaced(FILE *in, FILE *out, const char *name,
			  const char *secret, bool *found_r)
{
	char *line = NULL;
	size_t cap = 0;
	*found_r = false;
	while (in != NULL && getline(&line, &cap, in) >= 0) {
		chomp(line);
		if (line[0] == '#' || !line_is_user(line, name)) {
			fprintf(out, "%s\n", line);
			continue;
		}
		if (!*found_r && secret != NULL) {
			const char *rest = strchr(line + strlen(name) + 1, ':');
			fprintf(out, "%s:%s%s\n", name, secret,
				rest ? rest : "");
		}
		*found_r = true;
	}
	if (!*found_r && secret != NULL)
		fprintf(out, "%s:%s\n", name, secret);
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	return in != NULL && ferror(in) ? -1 : 0;
}

/* open_tmp - a fresh "<file>.XXXXXX" next to @users_file, mode 0600
 * (mkstemp's mode), so the rename stays within one file system. */
static FILE *open_tmp(const char *users_file, char **tmp_r)
{
	if (asprintf(tmp_r, "%s.XXXXXX", users_file) < 0) {
		*tmp_r = NULL;
		return NULL;
	}
	int fd = mkstemp(*tmp_r);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		free(*tmp_r);
		*tmp_r = NULL;
	}
	return f;
}

/* commit_tmp - flush, fsync and close @out, rename @tmp over @users_file,
 * fsync the directory. */
static int commit_tmp(struct secret_file *out, const char *tmp,
		      const char *users_file)
{
	bool ok = fflush(out->f) == 0 && !ferror(out->f) &&
		  fsync(fileno(out->f)) == 0;
	ok = secret_close(out) == 0 && ok;
	if (!ok || rename(tmp, users_file) != 0)
		return -1;
	char *dir = dir_of(users_file);
	int r = dir != NULL ? fsync_dir(dir) : -1;
	free(dir);
	return r;
}

/*
 * rewrite - the one place the users file changes: replace (or add, or with
 * @secret NULL delete) the entry of @name.  Fails with "no such user" when
 * deleting a name that is not there, leaving the file untouched.
 */
static int rewrite(const char *users_file, const char *name,
		   const char *secret, const char **error_r)
{
	struct secret_file in;
	if (open_users(users_file, &in, error_r) < 0 && errno != ENOENT) {
		*error_r = "cannot open the users file";
		return -1;
	}
	char *tmp;
	struct secret_file out = { open_tmp(users_file, &tmp), NULL, 0 };
	if (out.f == NULL) {
		*error_r = "cannot create a temporary file next to the "
			   "users file";
		secret_close(&in);
		return -1;
	}
	secret_buffer(&out, BUFSIZ);
	bool found;
	int r = write_replaced(in.f, out.f, name, secret, &found);
	secret_close(&in);
	if (r < 0) {
		*error_r = "error reading the users file";
	} else if (secret == NULL && !found) {
		*error_r = "no such user";
		r = -1;
	}
	if (r < 0)
		secret_close(&out);
	else if ((r = commit_tmp(&out, tmp, users_file)) < 0)
		*error_r = "cannot write the users file";
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

int users_set(const char *users_file, const char *name, const char *password,
	      const char *scheme, const char **error_r)
{
	if (scheme == NULL)
		scheme = "SHA512-CRYPT";
	if (!users_name_valid(name)) {
		*error_r = "invalid user name (use a-z 0-9 . _ -, "
			   "not starting with '.', at most 64)";
		return -1;
	}
	if (strcasecmp(scheme, "SHA512-CRYPT") != 0 &&
	    strcasecmp(scheme, "PLAIN") != 0) {
		*error_r = "scheme must be SHA512-CRYPT or PLAIN";
		return -1;
	}
	if (!password_valid(password, error_r))
		return -1;
	char *secret = make_secret(password, scheme, error_r);
	if (secret == NULL)
		return -1;
	int r = rewrite(users_file, name, secret, error_r);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	return r;
}

int users_delete(const char *users_file, const char *name,
		 const char **error_r)
{
	if (!users_name_valid(name)) {
		*error_r = "no such user";
		return -1;
	}
	return rewrite(users_file, name, NULL, error_r);
}

char *users_maildir(const char *data_dir, const char *name)
{
	/* Refuse names that could leave DATA/mail ("..", "a/b"): this path
	 * is given to mkdir and open. */
	if (!users_name_valid(name))
		return NULL;
	char *path;
	if (asprintf(&path, "%s/mail/%s/Maildir", data_dir, name) < 0)
		return NULL;
	return path;
}
