/*
 * maildir.c - the Maildir store: deliver, list, read, flag and delete mail.
 *
 * Maildir (https://cr.yp.to/proto/maildir.html) was designed for qmail so
 * that mail is delivered without locks and survives a crash at any instant.
 * A message only ever appears under its final name by rename(2), which is
 * atomic: create tmp/<unique> with O_EXCL, write it, fsync it, rename it
 * into new/, fsync new/ (or, in a server that chose it, let a group flush
 * do both fsyncs for many deliveries at once: flush.h).  Only then may
 * SMTP answer 250 (RFC 5321 §4.1.1.4:
 * the server now "accepts responsibility") or IMAP answer APPEND with OK.
 * A crash before that leaves the sender without an answer, so it retries;
 * the debris in tmp/ is removed after 36 hours, as the spec says.
 *
 * A mail reader moves a message from new/ to cur/ once seen and keeps its
 * flags after ":2," in the name.  Another process may rename a message at
 * any time, so every operation on one message is ready to find it again by
 * the part of its name before ':', which never changes and which is also
 * the key of the UID list (uidlist.c).
 *
 * Mail is stored with LF line ends, as mutt, Dovecot and Unix tools expect;
 * POP3 and IMAP send CRLF, so the name records the wire size too (W=) and
 * a listing need not read every file.
 *
 * This file is the writing side (deliver, append, create, folders, tmp/
 * cleaning); maildir_msg.c is the reading side (scan, read, flag, delete).
 */
#include "maildir.h"

#include "../../proto/limits.h"
#include "../../common/fdio.h"
#include "flush.h"
#include "maildir_util.h"
#include "uidlist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* The Maildir spec: a tmp/ file untouched for 36 hours is abandoned. */
#define TMP_MAX_AGE_S   (36 * 3600)
/* Longest host name part of a unique name, after escaping. */
#define HOST_PART_MAX   64

/* The group flush of this server, or NULL: an fsync per file
 * (maildir_set_flush(), called once at start-up). */
static struct flush_group *flush_group;

void maildir_set_flush(struct flush_group *g)
{
	flush_group = g;
}


/* put - add @p len bytes to the chunk being written, writing it out
 * whenever it fills. */
static int put(int fd, char *chunk, size_t *n, const char *p, size_t len)
{
	while (len > 0) {
		size_t k = MAILDIR_IO_CHUNK - *n < len ? MAILDIR_IO_CHUNK - *n : len;
		memcpy(chunk + *n, p, k);
		*n += k;
		p += k;
		len -= k;
		if (*n == MAILDIR_IO_CHUNK) {
			if (fd_write_all(fd, chunk, *n) < 0)
				return -1;
			*n = 0;
		}
	}
	return 0;
}

/* write_lf - write @p data with every CRLF stored as LF; a CR that is not
 * followed by LF is data and stays.  The text between two CRs is copied
 * whole (memchr() finds the next CR many bytes at a time). */
static int write_lf(int fd, const char *data, size_t len)
{
	char chunk[MAILDIR_IO_CHUNK];
	size_t n = 0, pos = 0;
	while (pos < len) {
		const char *cr = memchr(data + pos, '\r', len - pos);
		size_t end = cr != NULL ? (size_t)(cr - data) : len;
		if (put(fd, chunk, &n, data + pos, end - pos) < 0)
			return -1;
		if (cr == NULL)
			break;
		bool crlf = end + 1 < len && data[end + 1] == '\n';
		if (!crlf && put(fd, chunk, &n, "\r", 1) < 0)
			return -1;
		pos = end + 1;
	}
	return fd_write_all(fd, chunk, n);
}

/* make_unique - <secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>,W=<wire>.  The
 * host's '/' and ':' (and anything else unusual) become \ooo, the spec's
 * own escape, so the name is one path component and ':' starts the info.
 * Microseconds are zero-padded so that names within one second sort in
 * delivery order, which is how the UID list orders new mail. */
static void make_unique(char *out, off_t size, off_t wire)
{
	static unsigned long counter;
	char host[256], safe[HOST_PART_MAX + 1];
	struct timeval tv;
	size_t n = 0;
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	for (const char *p = host; *p != '\0' && n + 5 <= HOST_PART_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/' || c == ':' || c == ',' || c <= ' ' || c >= 0x7f)
			n += (size_t)sprintf(safe + n, "\\%03o", c);
		else
			safe[n++] = (char)c;
	}
	safe[n] = '\0';
	gettimeofday(&tv, NULL);
	snprintf(out, NAME_MAX + 1, "%lld.M%06ldP%ldQ%lu.%s,S=%lld,W=%lld",
		 (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
		 ++counter, safe, (long long)size, (long long)wire);
}

/* create_tmp - O_EXCL turns a clash with another deliverer into EEXIST
 * instead of two messages in one file; we then take the next name. */
static int create_tmp(const char *path, off_t size, off_t wire, char *unique,
		      char *tmp, const char **error_r)
{
	for (int attempt = 0; attempt < MAILDIR_RETRIES; attempt++) {
		make_unique(unique, size, wire);
		if (maildir_make_path(tmp, error_r, "%s/tmp/%s", path, unique) < 0)
			return -1;
		int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST) {
			if (fd < 0)
				*error_r = maildir_sys_error("create file in tmp/");
			return fd;
		}
	}
	*error_r = "no free unique name in tmp/";
	return -1;
}

/* fill_tmp - write, set the time if asked, fsync unless a group flush
 * will do it (@p sync false); the fd is closed in every case, and close()
 * may report a delayed write error as well. */
static int fill_tmp(int fd, const char *data, size_t len, time_t mtime,
		    bool sync, const char **error_r)
{
	const struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };
	int ret = -1;
	if (write_lf(fd, data, len) < 0)
		*error_r = maildir_sys_error("write message");
	else if (mtime != 0 && futimens(fd, times) < 0)
		*error_r = maildir_sys_error("set message time");
	else if (sync && fsync(fd) < 0)
		*error_r = maildir_sys_error("fsync message");
	else
		ret = 0;
	if (close(fd) < 0 && ret == 0) {
		*error_r = maildir_sys_error("close message");
		ret = -1;
	}
	return ret;
}

/* rename_durable - make the new name in @p sub durable: fsync the
 * directory, or wait for a group flush that started after the rename. */
static int rename_durable(const char *path, const char *sub, bool group,
			  const char **error_r)
{
	if (!group)
		return maildir_fsync_sub(path, sub, error_r);
	if (flush_group_wait(flush_group, NULL) == 0)
		return 0;
	*error_r = maildir_sys_error("flush new message");
	return -1;
}

/* store - the whole delivery into @p sub ("new" or "cur"), with @p info
 * (":2,FLAGS" or "") after the unique part. */
static int store(const char *path, const char *data, size_t len,
		 const char *sub, const char *info, time_t mtime,
		 char **name_r, const char **error_r)
{
	char unique[NAME_MAX + 1], tmp[PATH_MAX], dest[PATH_MAX], prev = '\0';
	off_t lf = 0, crlf = 0;
	if (len > MAIL_MESSAGE_MAX) {
		*error_r = "message too large";
		return -1;
	}
	maildir_lf_count(data, len, &prev, &lf, &crlf);
	off_t size = (off_t)len - crlf;
	int fd = create_tmp(path, size, size + lf, unique, tmp, error_r);
	if (fd < 0)
		return -1;
	char *name = NULL;
	bool group = flush_group_covers(flush_group, fd);
	if (fill_tmp(fd, data, len, mtime, !group, error_r) < 0 ||
	    maildir_make_path(dest, error_r, "%s/%s/%s%s", path, sub, unique, info) < 0)
		goto fail;
	/* Allocate before the rename: once the message is in place, only
	 * making that durable may fail. */
	if ((name = strdup(strrchr(dest, '/') + 1)) == NULL) {
		*error_r = "out of memory";
		goto fail;
	}
	/* the text is on disk before its name can appear in new/ or cur/ */
	if (group && flush_group_wait(flush_group, NULL) < 0) {
		*error_r = maildir_sys_error("flush message");
		goto fail;
	}
	if (rename(tmp, dest) < 0) {
		*error_r = maildir_sys_error("rename message into place");
		goto fail;
	}
	if (rename_durable(path, sub, group, error_r) < 0) {
		/* We report failure, so the sender will try again; a copy
		 * left here would be delivered twice. */
		unlink(dest);
		free(name);
		return -1;
	}
	*name_r = name;
	return 0;
fail:
	unlink(tmp);
	free(name);
	return -1;
}

int maildir_deliver(const char *path, const char *data, size_t len,
		    char **name_r, const char **error_r)
{
	char *name;
	if (store(path, data, len, "new", "", 0, &name, error_r) < 0)
		return -1;
	if (name_r != NULL)
		*name_r = name;
	else
		free(name);
	return 0;
}

int maildir_append(const char *path, const char *data, size_t len,
		   const char *flags, time_t mtime, uint32_t *uid_r,
		   const char **error_r)
{
	return maildir_append_keywords(path, data, len, flags, NULL, mtime,
				       uid_r, NULL, error_r);
}

/* maildir_append_keywords - uidlist_add() numbers the new message and
 * keeps every other, without listing the folder (unless it has no UID
 * list yet, see maildir_number_added()). */
int maildir_append_keywords(const char *path, const char *data, size_t len,
			    const char *flags, const char *keywords,
			    time_t mtime, uint32_t *uid_r,
			    uint32_t *uidvalidity_r, const char **error_r)
{
	char norm[MAILDIR_FLAGS_MAX + 1], kw[MAILDIR_FLAGS_MAX + 1];
	char info[2 * MAILDIR_FLAGS_MAX + 4], file[PATH_MAX];
	const char *ignored;
	struct maildir_msg msg = { .mtime = mtime != 0 ? mtime : time(NULL) };
	struct maildir_list one = { .msgs = &msg, .count = 1 };
	if (maildir_flags_parse(flags != NULL ? flags : "", true, norm) < 0 ||
	    maildir_keywords_parse(keywords != NULL ? keywords : "", true, kw) < 0) {
		*error_r = keywords != NULL
			? "invalid flag (only the letters A-Z and a-z)"
			: "invalid flag (only the letters A-Z)";
		return -1;
	}
	snprintf(info, sizeof(info), ":2,%s%s", norm, kw);
	if (store(path, data, len, "cur", info, mtime, &msg.name, error_r) < 0)
		return -1;
	int ret = maildir_number_added(path, &one, error_r) < 0 ? -1 : 0;
	if (ret == 0 && uid_r != NULL)
		*uid_r = msg.uid;
	if (ret == 0 && uidvalidity_r != NULL)
		*uidvalidity_r = one.uidvalidity;
	/* APPEND promises a UID; without one, take the message back, so
	 * that failure means "nothing stored" and a retry cannot double it. */
	if (ret < 0 && maildir_make_path(file, &ignored, "%s/cur/%s", path, msg.name) == 0)
		unlink(file);
	free(msg.name);
	return ret;
}

/* ---- listing ------------------------------------------------------- */

/* mkdir_one - @dir exists as a directory afterwards.  EEXIST is only
 * good news if what exists is a directory: a file named "new" (a stray
 * copy, a mistyped command) would otherwise pass here and make every
 * delivery fail later, at the rename, with a less helpful error. */
static int mkdir_one(const char *dir, const char **error_r)
{
	struct stat st;
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	*error_r = maildir_sys_error("create directory");
	return -1;
}

/* complete - tmp/, new/ and cur/ are all there: three stat(2) calls. */
static bool complete(const char *path, const char *const subs[3])
{
	for (size_t i = 0; i < 3; i++) {
		struct stat st;
		if (maildir_stat_at(path, subs[i], &st) < 0 || !S_ISDIR(st.st_mode))
			return false;
	}
	return true;
}

/* maildir_create - parents first, like mkdir -p: a user's Maildir is made
 * on first delivery, and a folder lives inside it.  Every delivery and
 * login asks, and the Maildir nearly always exists: that is seen first,
 * without a mkdir(2) for each component of the path. */
int maildir_create(const char *path, const char **error_r)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	char dir[PATH_MAX];
	if (complete(path, subs))
		return 0;
	if (maildir_make_path(dir, error_r, "%s", path) < 0)
		return -1;
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir_one(dir, error_r);
		*p = '/';
		if (r < 0)
			return -1;
	}
	if (mkdir_one(dir, error_r) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (maildir_make_path(dir, error_r, "%s/%s", path, subs[i]) < 0 ||
		    mkdir_one(dir, error_r) < 0)
			return -1;
	return 0;
}

/* folder_name_ok - '/'-separated components, each non-empty and without
 * '.', which Maildir++ uses as its separator (this also refuses "." and
 * ".." and so any escape from the root), and without control characters.
 * The whole name becomes one directory name, so it must fit in one. */
static bool folder_name_ok(const char *folder)
{
	size_t comp = 0;
	if (strlen(folder) + 1 > NAME_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)folder;; p++) {
		if (*p == '\0')
			return comp > 0;
		if (*p == '/') {
			if (comp == 0)
				return false;
			comp = 0;
		} else if (*p == '.' || *p < 0x20 || *p == 0x7f ||
			   (*p == '~' && p == (const unsigned char *)folder)) {
			/* '~' first is "another user's home" to servers that
			 * follow RFC 3501 §5.1.2's UNIX convention ("~smith/
			 * Mail"): never one of our folders */
			return false;
		} else {
			comp++;
		}
	}
}

char *maildir_folder_path(const char *root, const char *folder)
{
	if (root == NULL || folder == NULL)
		return NULL;
	/* RFC 9051 §5.1: the name INBOX is case-insensitive. */
	if (strcasecmp(folder, "INBOX") == 0)
		return strdup(root);
	size_t root_len = strlen(root), len = root_len + strlen(folder) + 3;
	char *path;
	if (!folder_name_ok(folder) || len > PATH_MAX ||
	    (path = malloc(len)) == NULL)
		return NULL;
	snprintf(path, len, "%s/.%s", root, folder);
	for (char *p = path + root_len + 2; *p != '\0'; p++)
		if (*p == '/')
			*p = '.';
	return path;
}

/* real_dir - @path (or @sub below it) is missing or a directory that is
 * not a symbolic link.  O_NOFOLLOW fails with ELOOP on a link, and
 * O_DIRECTORY with ENOTDIR on anything else. */
static bool real_dir(const char *path, const char *sub)
{
	char full[PATH_MAX];
	snprintf(full, sizeof(full), "%s%s%s", path, sub ? "/" : "", sub ? sub : "");
	int fd = open(full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd >= 0 || errno == ENOENT;
}

bool maildir_folder_safe(const char *root, const char *folder)
{
	char prefix[NAME_MAX + 1];
	size_t len = strlen(folder);
	if (len >= sizeof(prefix))
		return false;
	/* "a/b/c": the folders a, a/b and a/b/c, each a directory of its own */
	for (size_t i = 1; i <= len; i++) {
		if (folder[i] != '/' && folder[i] != '\0')
			continue;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)i, folder);
		char *path = maildir_folder_path(root, prefix);
		bool ok = path != NULL && real_dir(path, NULL);
		if (ok && i == len)
			ok = real_dir(path, "cur") && real_dir(path, "new") &&
			     real_dir(path, "tmp");
		free(path);
		if (!ok)
			return false;
	}
	return true;
}

int maildir_clean_tmp(const char *path, time_t now, const char **error_r)
{
	char dir[PATH_MAX];
	if (maildir_make_path(dir, error_r, "%s/tmp", path) < 0)
		return -1;
	DIR *d = opendir(dir);
	if (d == NULL) {
		*error_r = maildir_sys_error("open tmp/");
		return -1;
	}
	int ret = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		/* A file that vanished was a delivery that just finished. */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime >= now - TMP_MAX_AGE_S)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			*error_r = maildir_sys_error("remove old file in tmp/");
			ret = -1;
		}
	}
	closedir(d);
	return ret;
}
