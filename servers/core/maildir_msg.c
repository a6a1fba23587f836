/*
 * maildir_msg.c - the reading side of the Maildir store: list a folder,
 * and read, flag or delete one message (see maildir.h).
 *
 * Readers never lock: a message only changes by rename(2), so a listing
 * may be a moment old.  Every operation on one message is therefore ready
 * to find it again by its unique part (the name before ':'), which no
 * rename changes: another session may have moved it from new/ to cur/ or
 * changed its flags since we listed it.
 *
 * Listing: a folder nobody changed lists from its cache (maildir_cache.h);
 * after a change both directories are read again, and only the files the
 * old listing does not know are stat(2)ed.  UIDs are given in uidlist.c
 * only (RFC 9051 §2.3.1.1): uidlist_sync() at the end of every listing,
 * uidlist_add() for mail just added - through maildir_number_new() (the
 * mail waiting in new/) and maildir_number_added() (which lists the whole
 * folder once if it has no UID list yet).
 */
#include "maildir.h"

#include "../../proto/limits.h"
#include "maildir_cache.h"
#include "maildir_util.h"
#include "uidlist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void msg_free(struct maildir_msg *msg)
{
	if (!msg->name_mapped)
		free(msg->name);
}

void maildir_msg_rename(struct maildir_msg *msg, char *name)
{
	msg_free(msg);
	msg->name = name;
	msg->name_mapped = false;
}

void maildir_msg_forget_name(struct maildir_msg *msg)
{
	static char none[1];
	msg_free(msg);
	msg->name = none;
	msg->name_mapped = true;
}

size_t maildir_unique_len(const char *name)
{
	return strcspn(name, ":");
}

int maildir_unique_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = *a == ':' ? 0 : (unsigned char)*a;
		int y = *b == ':' ? 0 : (unsigned char)*b;
		if (x != y || x == 0)
			return x - y;
	}
}

/* looks_like_message - every Maildir writer we know (qmail, Dovecot, mutt,
 * mbsync, procmail) starts the name with the delivery time, so anything
 * else (".nfs1234", "README") is a stray file.  Spaces and control
 * characters are refused too: the UID list keeps one name per line. */
static bool looks_like_message(const char *name)
{
	if (name[0] < '0' || name[0] > '9')
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* name_number - the value of ",S=" or ",W=" in the unique part of a name
 * (never after the ':', where Dovecot allows more than flags). */
static bool name_number(const char *name, const char *key, off_t *out)
{
	const char *p = memmem(name, maildir_unique_len(name), key, strlen(key));
	if (p == NULL || p[3] < '0' || p[3] > '9')
		return false;
	off_t v = 0;
	for (p += 3; *p >= '0' && *p <= '9' && v <= MAIL_MESSAGE_MAX * 4LL; p++)
		v = v * 10 + (*p - '0');
	*out = v;
	return *p == '\0' || *p == ',' || *p == ':';
}

/* msg_sizes - S= and W= are a cache of what the file holds.  When they are
 * missing (Dovecot and mutt often leave out W=) or S= does not match the
 * file, the file is read: a bare LF gains a CR on the wire, a CRLF already
 * there does not, the same result maildir_read()'s data gives. */
static int msg_sizes(int dfd, struct maildir_msg *m, off_t file_size)
{
	off_t s, lf = 0, crlf = 0;
	m->size = file_size;
	if (name_number(m->name, ",S=", &s) && s == file_size &&
	    name_number(m->name, ",W=", &m->wire_size))
		return 0;
	int fd = openat(dfd, m->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char chunk[MAILDIR_IO_CHUNK], prev = '\0';
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 ||
	       (n < 0 && errno == EINTR))
		maildir_lf_count(chunk, n > 0 ? (size_t)n : 0, &prev, &lf, &crlf);
	int saved = errno;
	close(fd);
	errno = saved;
	m->wire_size = file_size - crlf + lf;
	return n < 0 ? -1 : 0;
}

/* msg_fill - the fields of one message; 0, or -1 with errno set (ENOENT
 * if the file vanished meanwhile). */
static int msg_fill(struct maildir_msg *m, int dfd, const char *name,
		    const struct stat *st, bool in_new)
{
	*m = (struct maildir_msg){ .in_new = in_new, .mtime = st->st_mtime };
	m->name = strdup(name);
	if (m->name != NULL && msg_sizes(dfd, m, st->st_size) == 0)
		return 0;
	int saved = m->name != NULL ? errno : ENOMEM;
	msg_free(m);
	errno = saved;
	return -1;
}

/* ---- what an earlier listing knew ----------------------------------- */

/* The messages of an earlier listing (an old cache), by unique part. */
struct known {
	struct maildir_list list;
	const struct maildir_msg **by_unique;
	size_t count;
};

static int known_order(const void *a, const void *b)
{
	return maildir_unique_cmp((*(const struct maildir_msg *const *)a)->name,
				  (*(const struct maildir_msg *const *)b)->name);
}

/* known_index - @p list (taken over) sorted by unique part; without
 * memory for the index, nothing is known, which only costs stat(2)s. */
static void known_index(struct known *k, struct maildir_list *list)
{
	k->list = *list;
	k->count = 0;
	k->by_unique = list->count > 0 ? malloc(list->count * sizeof(*k->by_unique))
				       : NULL;
	if (k->by_unique == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		k->by_unique[k->count++] = &list->msgs[i];
	qsort(k->by_unique, k->count, sizeof(*k->by_unique), known_order);
}

/* known_find - the earlier entry for the file @p name: the same unique
 * part (the name up to ':'), whatever its flags are now; or NULL. */
static const struct maildir_msg *known_find(const struct known *k,
					    const char *name)
{
	size_t lo = 0, hi = k->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = maildir_unique_cmp(name, k->by_unique[mid]->name);
		if (c == 0)
			return k->by_unique[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void known_free(struct known *k)
{
	free(k->by_unique);
	maildir_list_free(&k->list);
}

/* msg_known - the fields of one message from what an earlier listing knew
 * of it: only the name and the directory may have changed.  A name that
 * has not changed stays where it lies in the old listing's mapped cache,
 * which the new listing holds (maildir_scan()). */
static int msg_known(struct maildir_msg *m, const struct maildir_msg *old,
		     const char *name, bool in_new)
{
	*m = (struct maildir_msg){ .in_new = in_new, .mtime = old->mtime,
				   .size = old->size,
				   .wire_size = old->wire_size };
	if (old->name_mapped && strcmp(old->name, name) == 0) {
		m->name = old->name;
		m->name_mapped = true;
		return 0;
	}
	m->name = strdup(name);
	if (m->name != NULL)
		return 0;
	errno = ENOMEM;
	return -1;
}

/* ---- listing --------------------------------------------------------- */

/* add_entry - one directory entry: 0 added or skipped, -1 error.  A file
 * that vanished since readdir() was deleted, or renamed by someone else
 * and is then seen under its new name in cur/.  A file @p known knows is
 * taken from there: no stat(2). */
static int add_entry(struct maildir_list *list, size_t *cap, int dfd,
		     const char *name, bool in_new, const struct known *known,
		     const char **error_r)
{
	struct stat st;
	if (!looks_like_message(name))
		return 0;
	const struct maildir_msg *old = known_find(known, name);
	if (old == NULL)
		list->how.stats++;
	if (old == NULL && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = maildir_sys_error("stat message");
		return -1;
	}
	if (old == NULL && !S_ISREG(st.st_mode))
		return 0;
	if (list->count == *cap) {
		size_t n = *cap != 0 ? *cap * 2 : 64;
		void *p = reallocarray(list->msgs, n, sizeof(*list->msgs));
		if (p == NULL) {
			*error_r = "out of memory";
			return -1;
		}
		list->msgs = p;
		*cap = n;
	}
	struct maildir_msg *m = &list->msgs[list->count];
	if ((old != NULL ? msg_known(m, old, name, in_new)
			 : msg_fill(m, dfd, name, &st, in_new)) == 0) {
		list->count++;
	} else if (errno != ENOENT) {
		*error_r = maildir_sys_error("read message");
		return -1;
	}
	return 0;
}

static int scan_dir(const char *path, bool in_new, struct maildir_list *list,
		    size_t *cap, const struct known *known,
		    const char **error_r)
{
	char dir[PATH_MAX];
	if (maildir_make_path(dir, error_r, "%s/%s", path, in_new ? "new" : "cur") < 0)
		return -1;
	DIR *d = opendir(dir);
	if (d == NULL) {
		*error_r = maildir_sys_error(in_new ? "open new/" : "open cur/");
		return -1;
	}
	int ret = 0;
	struct dirent *de;
	while (ret == 0 && (errno = 0, de = readdir(d)) != NULL)
		ret = add_entry(list, cap, dirfd(d), de->d_name, in_new, known,
				error_r);
	if (ret == 0 && errno != 0) {
		*error_r = maildir_sys_error("read directory");
		ret = -1;
	}
	closedir(d);
	return ret;
}

static int by_unique(const void *a, const void *b)
{
	const struct maildir_msg *x = a, *y = b;
	int c = maildir_unique_cmp(x->name, y->name);
	return c != 0 ? c : (int)x->in_new - (int)y->in_new;
}

/* drop_duplicates - a message moved from new/ to cur/ while we listed, or
 * caught half way through a reader's link()+unlink(), is seen twice; keep
 * the copy in cur/ (it sorts first) so that it gets one UID. */
static void drop_duplicates(struct maildir_list *list)
{
	size_t out = 0;
	if (list->count > 1)
		qsort(list->msgs, list->count, sizeof(*list->msgs), by_unique);
	for (size_t i = 0; i < list->count; i++) {
		if (out > 0 &&
		    maildir_unique_cmp(list->msgs[i].name, list->msgs[out - 1].name) == 0)
			msg_free(&list->msgs[i]);
		else
			list->msgs[out++] = list->msgs[i];
	}
	list->count = out;
}

int maildir_scan(const char *path, struct maildir_list *list_r,
		 const char **error_r)
{
	size_t cap = 0;
	struct maildir_stamp before;
	struct maildir_list old = { 0 };
	struct known known = { 0 };
	time_t started = time(NULL);
	/* a folder nobody changed since the last full scan lists as it did
	 * then: three stat(2) calls instead of one per message */
	bool stamped = maildir_stamp_read(path, &before) == 0;
	enum maildir_cached cached = stamped
		? maildir_cache_load(path, &before, &old) : MAILDIR_CACHED_NONE;
	if (cached == MAILDIR_CACHED_CURRENT) {
		*list_r = old;
		list_r->how.source = MAILDIR_FROM_CACHE;
		return 0;
	}
	/* Something changed - mail arrived, or flags, or a message left -
	 * so both directories are read again; but a message the old
	 * listing knows by its unique part needs no stat(2): only new
	 * files are looked at, not the whole folder. */
	known_index(&known, &old);
	memset(list_r, 0, sizeof(*list_r));
	list_r->names = maildir_names_hold(known.list.names);
	list_r->how.source = cached == MAILDIR_CACHED_OLD ? MAILDIR_FROM_OLD
							  : MAILDIR_FROM_DIRS;
	/* new/ before cur/: a message moved from new/ to cur/ during the
	 * scan is then seen at least once, never missed. */
	int r = scan_dir(path, true, list_r, &cap, &known, error_r) < 0 ||
		scan_dir(path, false, list_r, &cap, &known, error_r) < 0 ? -1 : 0;
	known_free(&known);
	if (r < 0) {
		maildir_list_free(list_r);
		return -1;
	}
	drop_duplicates(list_r);
	if (uidlist_sync(path, list_r, error_r) < 0) {
		maildir_list_free(list_r);
		return -1;
	}
	if (stamped)
		maildir_cache_save(path, &before, started, list_r);
	return 0;
}

const char *maildir_how_text(const struct maildir_how *how)
{
	static char text[128];
	switch (how->source) {
	case MAILDIR_FROM_CACHE:
		return "listed from its cache (unchanged)";
	case MAILDIR_FROM_OLD:
		snprintf(text, sizeof(text), "listed again after a change: %zu "
			 "file(s) looked at, the rest as the cache knew them",
			 how->stats);
		return text;
	default:
		snprintf(text, sizeof(text), "listed whole (no usable cache): "
			 "%zu file(s) looked at", how->stats);
		return text;
	}
}

int maildir_number_added(const char *path, struct maildir_list *list,
			 const char **error_r)
{
	int r = uidlist_add(path, list, error_r);
	if (r != UIDLIST_UNLISTED)
		return r;
	/* a folder nobody has numbered yet (made by another program, or
	 * its list lost): all of it first, these messages among the rest */
	struct maildir_list all;
	if (maildir_scan(path, &all, error_r) < 0)
		return -1;
	int numbered = (int)(all.count < (size_t)INT_MAX ? all.count : INT_MAX);
	maildir_list_free(&all);
	r = uidlist_add(path, list, error_r);
	if (r == UIDLIST_UNLISTED) {
		*error_r = "the folder's UID list could not be written";
		return -1;
	}
	return r < 0 ? -1 : numbered;
}

int maildir_number_new(const char *path, size_t *numbered_r,
		       const char **error_r)
{
	struct maildir_list list = { 0 };
	size_t cap = 0;
	*numbered_r = 0;
	const struct known none = { 0 };
	if (scan_dir(path, true, &list, &cap, &none, error_r) < 0) {
		bool missing = errno == ENOENT; /* no new/: nothing waits */
		maildir_list_free(&list);
		return missing ? 0 : -1;
	}
	int r = list.count > 0 ? maildir_number_added(path, &list, error_r) : 0;
	maildir_list_free(&list);
	if (r < 0)
		return -1;
	*numbered_r = (size_t)r;
	return 0;
}

void maildir_list_free(struct maildir_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		msg_free(&list->msgs[i]);
	free(list->msgs);
	maildir_names_release(list->names);
	memset(list, 0, sizeof(*list));
}

/* ---- one message --------------------------------------------------- */

/* relocate - another session renamed the message (read it, or changed its
 * flags): find it in new/ or cur/ by its unique part and update @p msg.
 * Returns 1 found, 0 gone for good, -1 error. */
static int relocate(const char *path, struct maildir_msg *msg,
		    const char **error_r)
{
	for (int in_new = 1; in_new >= 0; in_new--) {
		char dir[PATH_MAX], *name = NULL;
		bool found = false;
		if (maildir_make_path(dir, error_r, "%s/%s", path, in_new ? "new" : "cur") < 0)
			return -1;
		DIR *d = opendir(dir);
		if (d == NULL) {
			*error_r = maildir_sys_error("open Maildir directory");
			return -1;
		}
		struct dirent *de;
		while (!found && (de = readdir(d)) != NULL)
			found = maildir_unique_cmp(de->d_name, msg->name) == 0;
		if (found)
			name = strdup(de->d_name);
		closedir(d);
		if (!found)
			continue;
		if (name == NULL) {
			*error_r = "out of memory";
			return -1;
		}
		maildir_msg_rename(msg, name);
		msg->in_new = in_new;
		return 1;
	}
	return 0;
}

/* An operation on one message file: 0, or -1 with errno set. */
typedef int message_op(const char *file, void *arg);

/* on_message - run @p op on the message's file, finding the file again
 * if it was renamed under us.  0 done, 1 the message is gone, -1 error. */
static int on_message(const char *path, struct maildir_msg *msg,
		      message_op *op, void *arg, const char **error_r)
{
	for (int attempt = 0;; attempt++) {
		char file[PATH_MAX];
		if (maildir_make_path(file, error_r, "%s/%s/%s", path,
			      msg->in_new ? "new" : "cur", msg->name) < 0)
			return -1;
		if (op(file, arg) == 0)
			return 0;
		if (errno != ENOENT) {
			*error_r = maildir_sys_error("message file");
			return -1;
		}
		int found = attempt < MAILDIR_RETRIES ? relocate(path, msg, error_r) : 0;
		if (found <= 0)
			return found < 0 ? -1 : 1;
	}
}

static int op_open(const char *file, void *fd)
{
	*(int *)fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return *(int *)fd < 0 ? -1 : 0;
}

static int op_rename(const char *file, void *target)
{
	return rename(file, target);
}

static int op_unlink(const char *file, void *unused)
{
	(void)unused;
	return unlink(file);
}

/* read_fd - the whole file; Maildir files never change once delivered, so
 * fstat's size is the size.  Files from other tools may hold CRLF, but
 * callers are promised LF (and msg_sizes() measured them so).  The fd is
 * closed. */
static int read_fd(int fd, char **data_r, size_t *len_r, const char **error_r)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0, out = 0;
	if (fstat(fd, &st) < 0)
		*error_r = maildir_sys_error("stat message");
	else if (st.st_size > MAIL_MESSAGE_MAX)
		*error_r = "message too large";
	else if ((data = malloc((size_t)st.st_size + 1)) == NULL)
		*error_r = "out of memory";
	while (data != NULL && len < (size_t)st.st_size) {
		ssize_t n = read(fd, data + len, (size_t)st.st_size - len);
		if (n > 0) {
			len += (size_t)n;
		} else if (n == 0 || errno != EINTR) {
			*error_r = n == 0 ? "message shrank while reading" :
				   maildir_sys_error("read message");
			free(data);
			data = NULL;
		}
	}
	close(fd);
	if (data == NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (data[i] != '\r' || i + 1 == len || data[i + 1] != '\n')
			data[out++] = data[i];
	data[out] = '\0';
	*data_r = data;
	*len_r = out;
	return 0;
}

int maildir_read(const char *path, struct maildir_msg *msg, char **data_r,
		 size_t *len_r, const char **error_r)
{
	int fd = -1;
	int r = on_message(path, msg, op_open, &fd, error_r);
	if (r == 1)
		*error_r = "message no longer exists";
	return r != 0 ? -1 : read_fd(fd, data_r, len_r, error_r);
}

int maildir_delete(const char *path, struct maildir_msg *msg,
		   const char **error_r)
{
	int r = on_message(path, msg, op_unlink, NULL, error_r);
	/* Gone already: another session expunged it first, which is the
	 * result the caller wanted, so not an error. */
	if (r != 0)
		return r < 0 ? -1 : 0;
	return maildir_fsync_sub(path, msg->in_new ? "new" : "cur", error_r);
}

/* rename_info - a flag change is a rename within cur/ (or out of new/) to
 * "<unique>:2,<upper><lower>" (the Maildir spec wants the letters in ASCII
 * order, so flags before keywords).  It is not fsync'ed: rename is
 * atomic, so after a crash the message is there with the old flags or the
 * new, and losing a flag change is harmless while an fsync per STORE
 * would be slow. */
static int rename_info(const char *path, struct maildir_msg *msg,
		       const char *upper, const char *lower,
		       const char **error_r)
{
	char target[PATH_MAX];
	int n = (int)maildir_unique_len(msg->name);
	size_t size = (size_t)n + strlen(upper) + strlen(lower) + 4;
	char *name = malloc(size);
	if (name == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	snprintf(name, size, "%.*s:2,%s%s", n, msg->name, upper, lower);
	int r = maildir_make_path(target, error_r, "%s/cur/%s", path, name);
	if (r == 0)
		r = on_message(path, msg, op_rename, target, error_r);
	if (r == 1)
		*error_r = "message no longer exists";
	if (r != 0) {
		free(name);
		return -1;
	}
	maildir_msg_rename(msg, name);
	msg->in_new = false;
	return 0;
}

void maildir_msg_flags(const struct maildir_msg *msg, char *out)
{
	maildir_flags_from_name(msg->name, out);
}

/* maildir_set_flags - the keyword letters the name has are kept: a POP3
 * session marking a message \Seen must not drop an IMAP keyword. */
int maildir_set_flags(const char *path, struct maildir_msg *msg,
		      const char *flags, const char **error_r)
{
	char norm[MAILDIR_FLAGS_MAX + 1], kw[MAILDIR_FLAGS_MAX + 1];
	const char *info = strchr(msg->name, ':');
	if (maildir_flags_parse(flags != NULL ? flags : "", true, norm) < 0) {
		*error_r = "invalid flag (only the letters A-Z)";
		return -1;
	}
	maildir_keywords_parse(info != NULL && strncmp(info, ":2,", 3) == 0 ? info + 3
								       : "",
			false, kw);
	return rename_info(path, msg, norm, kw, error_r);
}

int maildir_set_flags_keywords(const char *path, struct maildir_msg *msg,
			       const char *flags, const char *keywords,
			       const char **error_r)
{
	char norm[MAILDIR_FLAGS_MAX + 1], kw[MAILDIR_FLAGS_MAX + 1];
	if (maildir_flags_parse(flags != NULL ? flags : "", true, norm) < 0 ||
	    maildir_keywords_parse(keywords != NULL ? keywords : "", true, kw) < 0) {
		*error_r = "invalid flag (only the letters A-Z and a-z)";
		return -1;
	}
	return rename_info(path, msg, norm, kw, error_r);
}

/* ---- folders and housekeeping -------------------------------------- */
