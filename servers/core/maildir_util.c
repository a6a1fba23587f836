/*
 * maildir_util.c - helpers shared by the Maildir store and its UID list
 * (see maildir_util.h).
 */
#include "maildir_util.h"

#include "../../common/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *maildir_sys_error(const char *what)
{
	static char text[256];
	snprintf(text, sizeof(text), "%s: %s", what, strerror(errno));
	return text;
}

int maildir_make_path(char *out, const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n >= 0 && n < PATH_MAX)
		return 0;
	*error_r = "path too long";
	return -1;
}

int maildir_stat_at(const char *path, const char *name, struct stat *st)
{
	char file[PATH_MAX];
	const char *error;
	if (maildir_make_path(file, &error, "%s/%s", path, name) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return stat(file, st);
}

/* maildir_fsync_dir - a new or removed name is durable only once its
 * directory is fsync'ed; the file's own fsync does not cover it. */
int maildir_fsync_dir(const char *dir, const char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		*error_r = maildir_sys_error("fsync directory");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* flags_parse - flags as a bit set ('A' + n is bit n), which sorts and
 * removes duplicates for free.  @p strict refuses anything but A-Z (what
 * callers ask for); otherwise other letters are skipped (in names, lower
 * case letters are Dovecot keywords, see maildir_keywords_parse()). */
int maildir_flags_parse(const char *s, bool strict, char *out)
{
	uint32_t set = 0;
	size_t n = 0;
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			set |= 1u << (*s - 'A');
		else if (strict)
			return -1;
	}
	for (int i = 0; i < 26; i++)
		if (set & (1u << i))
			out[n++] = (char)('A' + i);
	out[n] = '\0';
	return 0;
}

/* maildir_keywords_parse - the same for the lower-case letters a-z,
 * which Dovecot uses for IMAP keywords (keywords.h). */
int maildir_keywords_parse(const char *s, bool strict, char *out)
{
	uint32_t set = 0;
	size_t n = 0;
	for (; *s != '\0'; s++) {
		if (*s >= 'a' && *s <= 'z')
			set |= 1u << (*s - 'a');
		else if (strict)
			return -1;
	}
	for (int i = 0; i < 26; i++)
		if (set & (1u << i))
			out[n++] = (char)('a' + i);
	out[n] = '\0';
	return 0;
}

void maildir_flags_from_name(const char *name, char *out)
{
	const char *info = strchr(name, ':');
	maildir_flags_parse(info != NULL && strncmp(info, ":2,", 3) == 0 ? info + 3 : "",
		    false, out);
}

/* lf_count - LFs, and LFs preceded by CR, in one chunk; *prev carries the
 * last byte over to the next chunk. */
void maildir_lf_count(const char *p, size_t n, char *prev, off_t *lf,
		     off_t *crlf)
{
	/* from one LF to the next with memchr(), which looks at many bytes
	 * at a time: a message is long lines of text, a few LFs per 100 */
	const char *end = p + n;
	for (const char *q = p; q < end; q++) {
		q = memchr(q, '\n', (size_t)(end - q));
		if (q == NULL)
			break;
		(*lf)++;
		*crlf += (q > p ? q[-1] : *prev) == '\r';
	}
	if (n > 0)
		*prev = p[n - 1];
}

int maildir_fsync_sub(const char *path, const char *sub, const char **error_r)
{
	char dir[PATH_MAX];
	if (maildir_make_path(dir, error_r, "%s/%s", path, sub) < 0)
		return -1;
	return maildir_fsync_dir(dir, error_r);
}

int maildir_replace_file(const char *dir, const char *name, const char *text,
			 size_t len, bool durable, const char **error_r)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	if (maildir_make_path(tmp, error_r, "%s/%s.maillab.tmp", dir, name) < 0 ||
	    maildir_make_path(path, error_r, "%s/%s", dir, name) < 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = maildir_sys_error(name);
		return -1;
	}
	bool ok = fd_write_all(fd, text, len) == 0;
	ok = ok && (!durable || fsync(fd) == 0);
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		*error_r = maildir_sys_error(name);
		unlink(tmp);
		return -1;
	}
	return 0;
}
