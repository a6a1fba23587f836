/*
 * uidlist.c - persistent UIDs and UIDVALIDITY for one Maildir folder.
 *
 * IMAP (RFC 9051 §2.3.1.1) promises that a message keeps its UID for as
 * long as the folder's UIDVALIDITY stays the same, that UIDs only grow in
 * the order messages arrive, and that a UID is never given to a second
 * message.  POP3's UIDL (RFC 1939 §7) needs the same kind of lasting name.
 * Maildir records neither, so, like Dovecot's dovecot-uidlist and Courier's
 * courierimapuiddb, each folder keeps a small text file that maps the
 * unique part of each file name to its UID (the format is in uidlist.h).
 *
 * Several sessions may sync one folder at once, so the whole
 * read-modify-write happens under an exclusive flock() on a separate lock
 * file: the list itself may be replaced by rename(2), and a lock on a file
 * that is being replaced would protect nothing.  The list changes in one
 * of two ways:
 *
 *   - new messages only (every delivery, every APPEND): their lines are
 *     appended and the file is fdatasync'ed.  One flush, and the cost
 *     does not grow with the folder.  A crash in the middle leaves a last
 *     line without its newline, which readers ignore (its UID was never
 *     promised to anyone: the reply waits for the flush);
 *   - anything else (a message gone, a first or damaged list, a list in
 *     the old format): the whole list is written to a temporary file and
 *     fsync'ed, renamed over the old one, and the folder is fsync'ed, so
 *     after a crash the list is the old one or the new one.
 *
 * UIDs handed out before a crash may be handed out again only if the
 * list was lost, and then UIDVALIDITY changes too.
 *
 * uidnext is never lowered, so the UID of an expunged message is never
 * reused.  A list that is missing or that we cannot parse starts a fresh
 * UIDVALIDITY (the current time, as Dovecot does), which tells clients to
 * throw away what they cached.
 */
#include "uidlist.h"

#include "../../common/fdio.h"
#include "maildir_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UIDLIST_FILE    "maillab-uidlist"
#define UIDLIST_LOCK    "maillab-uidlist.lock"
/* Only one writer at a time holds the lock, so a fixed name is safe. */
#define UIDLIST_TMP     "maillab-uidlist.tmp"
/* uidlist_add() looks up at most this many messages by walking the
 * table; more, and it sorts the table first. */
#define UIDLIST_WALK_MAX 8
/* Largest list we read: about a million messages at 64 bytes a line. */
#define UIDLIST_SIZE_MAX (64u * 1024 * 1024)

/* Where an entry of the old list stands after matching it with a scan. */
enum entry_state {
	ENTRY_GONE,   /* not in the scan; dropped unless found on disk */
	ENTRY_LISTED, /* in the scan: the message keeps this UID */
	ENTRY_ON_DISK /* not in the scan, but its file exists: kept */
};

struct entry {
	uint32_t uid;
	const char *unique; /* points into table.text */
	enum entry_state state;
};

/* The list as read from the file. */
struct table {
	uint32_t uidvalidity, uidnext;
	bool fresh;           /* started anew: must be written */
	bool appendable;      /* in the current format: new lines may be
				 appended (see uidlist.h) */
	bool sorted;          /* entries by unique (else in file order) */
	char *text;           /* the file, NUL-terminated, lines split */
	size_t size;          /* of the file */
	size_t whole;         /* of its complete lines: where appends go */
	struct entry *entries;
	size_t count;
};

/* lock_take - the lock is released when the fd is closed, also if the
 * process dies, so a crashed session cannot leave the folder locked. */
static int lock_take(const char *dir, const char **error_r)
{
	char file[PATH_MAX];
	if (maildir_make_path(file, error_r, "%s/" UIDLIST_LOCK, dir) < 0)
		return -1;
	int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = maildir_sys_error("open uidlist lock");
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			*error_r = maildir_sys_error("lock uidlist");
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* ---- reading ------------------------------------------------------- */

/* slurp - the whole list: 1 read, 0 there is none, -1 error.  An I/O
 * error is not "missing": starting afresh then would renumber a folder
 * because of a passing fault. */
static int slurp(const char *dir, char **text_r, size_t *size_r,
		 const char **error_r)
{
	char file[PATH_MAX];
	struct stat st;
	if (maildir_make_path(file, error_r, "%s/" UIDLIST_FILE, dir) < 0)
		return -1;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = maildir_sys_error("open uidlist");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char *text = NULL;
	ssize_t n = 0;
	if (st.st_size <= UIDLIST_SIZE_MAX &&
	    (text = malloc((size_t)st.st_size + 1)) != NULL)
		n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (text == NULL || n != st.st_size) {
		*error_r = text == NULL ? "uidlist too large" : "short uidlist read";
		free(text);
		return -1;
	}
	text[n] = '\0';
	*text_r = text;
	*size_r = (size_t)n;
	return 1;
}

/* parse_u32 - a decimal UID or UIDVALIDITY followed by @p end.  Zero and
 * leading zeros are refused: both are nz-number (RFC 9051 §9). */
static bool parse_u32(char **pp, char end, uint32_t *out)
{
	char *p = *pp;
	uint64_t v = 0;
	if (*p < '1' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9' && v <= UINT32_MAX; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (v > UINT32_MAX || *p != end)
		return false;
	*out = (uint32_t)v;
	*pp = p + 1;
	return true;
}

/* parse - check everything we rely on: the header, one "<uid> <unique>"
 * per line (no space in the unique part, and no ':', which would end it
 * early for maildir_unique_cmp()), UIDs ascending.  Whatever follows the
 * last newline is an append cut short by a crash and is left out.  Any
 * other doubt means the list cannot be trusted, and false sends the
 * caller to a fresh start. */
static bool parse(struct table *t)
{
	char *p = t->text, *last_nl = memrchr(t->text, '\n', t->size);
	size_t lines = 0;
	if (last_nl == NULL)
		return false;
	t->whole = (size_t)(last_nl - t->text) + 1;
	t->text[t->whole] = '\0';
	if (strlen(t->text) != t->whole ||
	    (strncmp(p, "V1 ", 3) != 0 && strncmp(p, "V2 ", 3) != 0))
		return false;
	t->appendable = p[1] == '2';
	p += 3;
	if (!parse_u32(&p, ' ', &t->uidvalidity) ||
	    !parse_u32(&p, '\n', &t->uidnext))
		return false;
	for (char *q = p; (q = strchr(q, '\n')) != NULL; q++)
		lines++;
	if (lines > 0 && (t->entries = calloc(lines, sizeof(*t->entries))) == NULL)
		return false;
	while (*p != '\0') {
		struct entry *e = &t->entries[t->count];
		char *eol = strchr(p, '\n');
		if (!parse_u32(&p, ' ', &e->uid) || eol == p ||
		    p + strcspn(p, " :\n") != eol ||
		    (t->count > 0 && e->uid <= e[-1].uid))
			return false;
		*eol = '\0';
		e->unique = p;
		t->count++;
		p = eol + 1;
	}
	/* the header's uidnext was right when the list was last written
	 * whole; appended lines may have gone past it */
	if (t->count > 0 && t->entries[t->count - 1].uid >= t->uidnext) {
		if (t->entries[t->count - 1].uid == UINT32_MAX)
			return false;
		t->uidnext = t->entries[t->count - 1].uid + 1;
	}
	return true;
}

/* table_restart - a new UIDVALIDITY, different from the old one even if
 * we restart twice in one second, and never 0 (not an nz-number). */
static void table_restart(struct table *t)
{
	uint32_t v = (uint32_t)time(NULL);
	if (v == t->uidvalidity)
		v++;
	t->uidvalidity = v != 0 ? v : 1;
	t->uidnext = 1;
	t->count = 0;
	t->fresh = true;
	t->appendable = false;
}

/* entry_by_unique - the key may be a whole file name: its ':' ends it */
static int entry_by_unique(const void *a, const void *b)
{
	return maildir_unique_cmp(((const struct entry *)a)->unique,
				  ((const struct entry *)b)->unique);
}

/* table_read - read and parse the list; a fresh start if there is none
 * or it cannot be trusted. */
static int table_read(const char *dir, struct table *t, const char **error_r)
{
	memset(t, 0, sizeof(*t));
	int r = slurp(dir, &t->text, &t->size, error_r);
	if (r < 0)
		return -1;
	if (r == 0 || !parse(t))
		table_restart(t);
	return 0;
}

/* table_sort - the entries sorted by unique, for matching a whole scan;
 * one unique with two UIDs is as untrustworthy as garbage. */
static void table_sort(struct table *t)
{
	bool ok = true;
	if (t->count > 1)
		qsort(t->entries, t->count, sizeof(*t->entries),
		      entry_by_unique);
	for (size_t i = 1; ok && i < t->count; i++)
		ok = strcmp(t->entries[i - 1].unique, t->entries[i].unique) != 0;
	if (!ok)
		table_restart(t);
	t->sorted = true;
}

static void table_free(struct table *t)
{
	free(t->text);
	free(t->entries);
}

/* ---- matching ------------------------------------------------------ */

/* table_find - the entry for the file @p name (its unique part): by
 * bsearch once sorted; in file order, a walk from the end, where the
 * latest messages are (cheaper than a sort when only a few messages are
 * looked up, as for an APPEND). */
static struct entry *table_find(struct table *t, const char *name)
{
	struct entry key = { .unique = name };
	if (t->sorted)
		return t->count == 0 ? NULL :
		       bsearch(&key, t->entries, t->count, sizeof(key),
			       entry_by_unique);
	for (size_t i = t->count; i-- > 0;)
		if (maildir_unique_cmp(t->entries[i].unique, name) == 0)
			return &t->entries[i];
	return NULL;
}

/* table_match - known messages keep their UID; the rest get 0 for now.
 * Returns how many are new.  An entry already taken means the same unique
 * twice in @p list, and two messages must never share a UID. */
static size_t table_match(struct table *t, struct maildir_list *list)
{
	size_t news = 0;
	for (size_t i = 0; i < t->count; i++)
		t->entries[i].state = ENTRY_GONE;
	for (size_t i = 0; i < list->count; i++) {
		struct maildir_msg *m = &list->msgs[i];
		struct entry *e = table_find(t, m->name);
		m->uid = 0;
		if (e != NULL && e->state == ENTRY_GONE) {
			e->state = ENTRY_LISTED;
			m->uid = e->uid;
		} else {
			news++;
		}
	}
	return news;
}

/* name_usecs - the delivery time written in a Maildir name,
 * "<secs>.M<usecs>..." (maillab, Dovecot, qmail's successors), in
 * microseconds; 0 if the name has another shape.  It orders messages that
 * arrived within one second, and, unlike the mtime, it is not changed by
 * an IMAP APPEND that sets INTERNALDATE.  Dovecot does not zero-pad the
 * microseconds, so they must be compared as numbers, not as text. */
static unsigned long long name_usecs(const char *name)
{
	char *end;
	unsigned long long secs = strtoull(name, &end, 10);
	if (end == name || strncmp(end, ".M", 2) != 0)
		return 0;
	return secs * 1000000ULL + strtoull(end + 2, NULL, 10);
}

static int msg_by_arrival(const void *a, const void *b)
{
	const struct maildir_msg *x = *(const struct maildir_msg *const *)a;
	const struct maildir_msg *y = *(const struct maildir_msg *const *)b;
	unsigned long long ux = name_usecs(x->name), uy = name_usecs(y->name);
	if (ux != 0 && uy != 0 && ux != uy)
		return ux < uy ? -1 : 1;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* assign_new - new messages get uidnext, uidnext+1, ... in the order they
 * arrived, so UIDs ascend with delivery (RFC 9051 §2.3.1.1). */
static int assign_new(struct table *t, struct maildir_list *list,
		      size_t count, const char **error_r)
{
	if (count == 0)
		return 0;
	struct maildir_msg **news = malloc(count * sizeof(*news));
	if (news == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < list->count; i++)
		if (list->msgs[i].uid == 0)
			news[n++] = &list->msgs[i];
	qsort(news, n, sizeof(*news), msg_by_arrival);
	for (size_t i = 0; i < n; i++)
		news[i]->uid = t->uidnext++;
	free(news);
	return 0;
}

/* keep_on_disk - (on a sorted table) an entry missing from the scan is
 * dropped only if its file is really gone.  The scan listed the folder
 * before we held the lock, so a message delivered and numbered by another
 * session since then is missing from it, as are all the others when
 * uidlist_add() rewrites an old-format list from just its new messages.
 * Returns how many entries are dropped. */
static int keep_on_disk(const char *dir, struct table *t, size_t *dropped_r,
			const char **error_r)
{
	static const char *const subs[] = { "new", "cur" };
	*dropped_r = 0;
	for (size_t i = 0; i < t->count; i++)
		*dropped_r += t->entries[i].state == ENTRY_GONE;
	for (size_t i = 0; i < 2 && *dropped_r > 0; i++) {
		char path[PATH_MAX];
		if (maildir_make_path(path, error_r, "%s/%s", dir, subs[i]) < 0)
			return -1;
		DIR *d = opendir(path);
		if (d == NULL && errno == ENOENT)
			continue;
		if (d == NULL) {
			*error_r = maildir_sys_error("open Maildir directory");
			return -1;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			struct entry *e = table_find(t, de->d_name);
			if (e != NULL && e->state == ENTRY_GONE) {
				e->state = ENTRY_ON_DISK;
				(*dropped_r)--;
			}
		}
		closedir(d);
	}
	return 0;
}

/* ---- writing ------------------------------------------------------- */

struct line {
	uint32_t uid;
	const char *unique; /* up to its ':' or NUL (a file name, or an entry) */
};

static int line_by_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct line *)a)->uid;
	uint32_t y = ((const struct line *)b)->uid;
	return x < y ? -1 : x > y;
}

/* write_lines - the new list into the temporary file, fsync'ed. */
static int write_lines(const char *tmp, const struct table *t,
		       const struct line *lines, size_t n,
		       const char **error_r)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		*error_r = maildir_sys_error("create uidlist");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "V2 %" PRIu32 " %" PRIu32 "\n", t->uidvalidity, t->uidnext);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%" PRIu32 " %.*s\n", lines[i].uid,
			(int)maildir_unique_len(lines[i].unique), lines[i].unique);
	int ret = (fflush(f) != 0 || ferror(f) || fsync(fd) < 0) ? -1 : 0;
	if (ret < 0)
		*error_r = maildir_sys_error("write uidlist");
	if (fclose(f) != 0 && ret == 0) {
		*error_r = maildir_sys_error("close uidlist");
		ret = -1;
	}
	return ret;
}

/* table_write - the messages of @p list plus the entries kept because
 * their files exist, in UID order; then rename over the old list and
 * fsync the folder so the rename itself survives a crash. */
static int table_write(const char *dir, const struct table *t,
		       const struct maildir_list *list, const char **error_r)
{
	char tmp[PATH_MAX], file[PATH_MAX];
	struct line *lines = malloc((list->count + t->count + 1) * sizeof(*lines));
	size_t n = 0;
	if (lines == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	for (size_t i = 0; i < list->count; i++)
		lines[n++] = (struct line){ list->msgs[i].uid, list->msgs[i].name };
	for (size_t i = 0; i < t->count; i++)
		if (t->entries[i].state == ENTRY_ON_DISK)
			lines[n++] = (struct line){ t->entries[i].uid,
						    t->entries[i].unique };
	if (n > 1)
		qsort(lines, n, sizeof(*lines), line_by_uid);
	int ret = -1;
	if (maildir_make_path(tmp, error_r, "%s/" UIDLIST_TMP, dir) == 0 &&
	    maildir_make_path(file, error_r, "%s/" UIDLIST_FILE, dir) == 0 &&
	    write_lines(tmp, t, lines, n, error_r) == 0) {
		if (rename(tmp, file) < 0)
			*error_r = maildir_sys_error("rename uidlist");
		else
			ret = maildir_fsync_dir(dir, error_r);
		if (ret < 0)
			unlink(tmp);
	}
	free(lines);
	return ret;
}

/* table_append - the last @p n messages of @p list (sorted by UID, all
 * above what the list holds) as new lines at the end of the file, after
 * the complete lines (a line cut short by a crash is overwritten), then
 * fdatasync: the new UIDs are on disk before anyone is told them. */
static int table_append(const char *dir, const struct table *t,
			const struct maildir_list *list, size_t n,
			const char **error_r)
{
	char file[PATH_MAX];
	if (maildir_make_path(file, error_r, "%s/" UIDLIST_FILE, dir) < 0)
		return -1;
	size_t len = 0;
	for (size_t i = list->count - n; i < list->count; i++)
		len += maildir_unique_len(list->msgs[i].name) + 12; /* uid, ' ', '\n' */
	char *lines = malloc(len + 1), *p = lines;
	if (lines == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	for (size_t i = list->count - n; i < list->count; i++)
		p += sprintf(p, "%" PRIu32 " %.*s\n", list->msgs[i].uid,
			     (int)maildir_unique_len(list->msgs[i].name),
			     list->msgs[i].name);
	int ret = -1, fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && (t->size == t->whole ||
			ftruncate(fd, (off_t)t->whole) == 0) &&
	    lseek(fd, (off_t)t->whole, SEEK_SET) >= 0 &&
	    fd_write_all(fd, lines, (size_t)(p - lines)) == 0 &&
	    fdatasync(fd) == 0)
		ret = 0;
	else
		*error_r = maildir_sys_error("append to uidlist");
	if (fd >= 0)
		close(fd);
	free(lines);
	return ret;
}

/* ---- the entry points ---------------------------------------------- */

static int msg_by_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct maildir_msg *)a)->uid;
	uint32_t y = ((const struct maildir_msg *)b)->uid;
	return x < y ? -1 : x > y;
}

/* store - number the @p news new messages of @p list, sort it by UID
 * and store the result; returns @p news, or -1.  Nothing new and nothing
 * gone: the file is left alone, which keeps a scan of a quiet folder free
 * of writes and fsyncs.  Only new ones: their lines are appended.
 * Anything else: the whole list anew. */
static int store(const char *dir, struct table *t, struct maildir_list *list,
		 size_t news, size_t dropped, const char **error_r)
{
	if (assign_new(t, list, news, error_r) < 0)
		return -1;
	/* by UID: the new messages, numbered last, are now at the end */
	if (list->count > 1)
		qsort(list->msgs, list->count, sizeof(*list->msgs), msg_by_uid);
	int ret = 0;
	if (t->fresh || dropped > 0 || (news > 0 && !t->appendable))
		ret = table_write(dir, t, list, error_r);
	else if (news > 0)
		ret = table_append(dir, t, list, news, error_r);
	if (ret < 0)
		return -1;
	list->uidvalidity = t->uidvalidity;
	list->uidnext = t->uidnext;
	return news > INT_MAX ? INT_MAX : (int)news;
}

/* sync_table - match a whole scan against the list read into @p t, with
 * the lock held: uidlist_sync() for every scan, uidlist_add() when the
 * list must be written anew anyway. */
static int sync_table(const char *dir, struct table *t,
		      struct maildir_list *list, const char **error_r)
{
	size_t dropped;
	table_sort(t);
	size_t news = table_match(t, list);
	/* UIDs are 32 bits; at the end of the range the only way on is a
	 * new UIDVALIDITY with every message numbered again. */
	if (news > UINT32_MAX - t->uidnext) {
		table_restart(t);
		news = table_match(t, list);
	}
	if (keep_on_disk(dir, t, &dropped, error_r) < 0)
		return -1;
	return store(dir, t, list, news, dropped, error_r);
}

/* add_table - uidlist_add() with the lock held and the list read. */
static int add_table(const char *dir, struct table *t,
		     struct maildir_list *list, const char **error_r)
{
	if (t->fresh) {
		/* no list yet, or one that cannot be trusted: numbering only
		 * these messages would put them ahead of the rest of the
		 * folder, so nothing is written and the caller lists it all */
		return UIDLIST_UNLISTED;
	}
	if (!t->appendable || list->count > UINT32_MAX - t->uidnext) {
		/* a list in the old format (or at the end of the UID
		 * range): written anew, from the table just read, keeping
		 * every entry whose file is still there */
		return sync_table(dir, t, list, error_r);
	}
	/* every entry of the list is kept (nothing is dropped); a message
	 * is new unless another session's scan numbered it between its
	 * rename into place and our lock.  Many to look up (a full new/):
	 * sorted first, for bsearch. */
	if (list->count > UIDLIST_WALK_MAX)
		table_sort(t);
	return t->fresh ? UIDLIST_UNLISTED
			: store(dir, t, list, table_match(t, list), 0, error_r);
}

/* with_table - @p step on the folder's list, read under the lock. */
static int with_table(const char *dir, struct maildir_list *list,
		      int (*step)(const char *, struct table *,
				  struct maildir_list *, const char **),
		      const char **error_r)
{
	struct table t;
	int lock = lock_take(dir, error_r);
	if (lock < 0)
		return -1;
	int ret = table_read(dir, &t, error_r);
	if (ret == 0)
		ret = step(dir, &t, list, error_r);
	table_free(&t);
	close(lock);
	return ret;
}

int uidlist_sync(const char *dir, struct maildir_list *list,
		 const char **error_r)
{
	return with_table(dir, list, sync_table, error_r) < 0 ? -1 : 0;
}

int uidlist_add(const char *dir, struct maildir_list *list,
		const char **error_r)
{
	return with_table(dir, list, add_table, error_r);
}
