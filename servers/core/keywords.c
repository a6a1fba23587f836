/*
 * keywords.c - the dovecot-keywords file of a Maildir folder (see
 * keywords.h for the format and why it is Dovecot's).
 *
 * Reading needs no lock: the file is replaced by rename(2), so a reader
 * sees the old table or the new one.  Adding a keyword is a
 * read-modify-write and takes the folder's keyword lock for the whole of
 * it.
 */
#include "keywords.h"

#include "../../common/buf.h"

#include "maildir_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#define KEYWORDS_FILE "dovecot-keywords"
#define KEYWORDS_LOCK "maillab-keywords.lock"
/* A keyword is an atom (RFC 9051 §9, flag-keyword); we keep it within one
 * line of the file and well under the command line limit. */
#define KEYWORD_NAME_MAX 250

void keywords_free(struct keywords *kw)
{
	for (size_t i = 0; i < IMAP_KEYWORDS_MAX; i++)
		free(kw->names[i]);
	memset(kw, 0, sizeof(*kw));
}

/* parse_line - "<index> <name>"; lines we cannot use are skipped, as
 * Dovecot does, rather than making the whole folder unreadable. */
static void parse_line(struct keywords *kw, char *line)
{
	char *end;
	unsigned long idx = strtoul(line, &end, 10);
	if (end == line || *end != ' ' || idx >= IMAP_KEYWORDS_MAX ||
	    end[1] == '\0' || kw->names[idx] != NULL)
		return;
	kw->names[idx] = strdup(end + 1);
	if (kw->names[idx] != NULL && idx + 1 > kw->count)
		kw->count = idx + 1;
}

int keywords_load(const char *dir, struct keywords *kw, const char **error_r)
{
	char path[PATH_MAX], line[KEYWORD_NAME_MAX + 16];
	keywords_free(kw);
	if (maildir_make_path(path, error_r, "%s/" KEYWORDS_FILE, dir) < 0)
		return -1;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = maildir_sys_error("open dovecot-keywords");
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		parse_line(kw, line);
	}
	fclose(f);
	return 0;
}

int keywords_find(const struct keywords *kw, const char *name)
{
	for (size_t i = 0; i < kw->count; i++)
		if (kw->names[i] != NULL && strcasecmp(kw->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* save - the table, replaced atomically and durably: a keyword letter in a
 * file name is meaningless without the line that names it. */
static int save(const char *dir, const struct keywords *kw,
		const char **error_r)
{
	struct buf text;
	buf_init(&text, (size_t)kw->count * (KEYWORD_NAME_MAX + 8) + 1);
	for (size_t i = 0; i < kw->count; i++)
		if (kw->names[i] != NULL)
			buf_printf(&text, "%zu %s\n", i, kw->names[i]);
	int r = maildir_replace_file(dir, KEYWORDS_FILE,
				     text.data ? text.data : "", text.len, true,
				     error_r);
	buf_free(&text);
	return r;
}

/* valid_name - a keyword is an atom; no '\' (that starts system flags),
 * nothing the file format could not hold. */
static bool valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > KEYWORD_NAME_MAX || name[0] == '\\')
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"]", *p) != NULL)
			return false;
	return true;
}

int keywords_add(const char *dir, struct keywords *kw, const char *name,
		 const char **error_r)
{
	char lock_path[PATH_MAX];
	if (!valid_name(name)) {
		*error_r = "invalid keyword";
		return -1;
	}
	int found = keywords_find(kw, name);
	if (found >= 0)
		return found;
	if (maildir_make_path(lock_path, error_r, "%s/" KEYWORDS_LOCK, dir) < 0)
		return -1;
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		*error_r = maildir_sys_error("lock dovecot-keywords");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int idx = -1;
	if (keywords_load(dir, kw, error_r) == 0) {
		idx = keywords_find(kw, name);
		for (size_t i = 0; idx < 0 && i < IMAP_KEYWORDS_MAX; i++)
			if (kw->names[i] == NULL)
				idx = (int)i;
		if (idx < 0)
			*error_r = "too many keywords in this mailbox (26, as "
				   "in Dovecot's Maildir)";
		else if (kw->names[idx] == NULL) {
			kw->names[idx] = strdup(name);
			if ((size_t)idx + 1 > kw->count)
				kw->count = (size_t)idx + 1;
			if (kw->names[idx] == NULL || save(dir, kw, error_r) < 0)
				idx = -1;
		}
	}
	close(fd); /* releases the lock */
	return idx;
}
