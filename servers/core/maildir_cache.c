/*
 * maildir_cache.c - the saved listing of a quiet folder (see
 * maildir_cache.h for when it may be trusted).
 *
 * The file is text, like the UID list, so that a reader can look at it:
 *
 *     maillab-cache 3 <new/ time> <cur/ time> <list inode> <list time>
 *                     <list size> <uidvalidity> <uidnext> <count>
 *     <uid> <n|c> <mtime> <size> <wire size> <file name>\0
 *     ...
 *
 * (the header is one line; times are seconds and nanoseconds), the
 * messages in UID order, exactly as maildir_scan() returned them.  Each
 * file name ends in a NUL byte before its newline ("cat -v" shows it as
 * ^@): a listing read from the file keeps the file mapped and points into
 * it for its names, which are then C strings as they lie.  The mapping is
 * read-only and shared: every session on the folder uses the same pages
 * of the kernel's cache, and none copies 10,000 names into its own heap.
 *
 * The file is only ever replaced by rename(2), never rewritten in place,
 * so a mapping stays valid (the old file lives on while it is mapped).
 * Shortening a cache by hand under a running session would make its next
 * look at a name beyond the new end fault (SIGBUS), as with any mapped
 * file.
 */
#include "maildir_cache.h"

#include "../../common/prefault.h"
#include "../../proto/limits.h"
#include "maildir_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CACHE_FILE     "maillab-cache"
#define CACHE_VERSION  "3"
/* The largest cache we read: 100,000 messages at 300 octets a line. */
#define CACHE_SIZE_MAX (32u * 1024 * 1024)

int maildir_stamp_read(const char *path, struct maildir_stamp *stamp)
{
	struct stat st;
	memset(stamp, 0, sizeof(*stamp));
	if (maildir_stat_at(path, "new", &st) < 0)
		return -1;
	stamp->new_mtime = st.st_mtim;
	if (maildir_stat_at(path, "cur", &st) < 0)
		return -1;
	stamp->cur_mtime = st.st_mtim;
	if (maildir_stat_at(path, "maillab-uidlist", &st) == 0) {
		stamp->uidlist_ino = st.st_ino;
		stamp->uidlist_mtime = st.st_mtim;
		stamp->uidlist_size = st.st_size;
	}
	return 0;
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool maildir_stamp_same(const struct maildir_stamp *a,
			const struct maildir_stamp *b)
{
	return same_time(a->new_mtime, b->new_mtime) &&
	       same_time(a->cur_mtime, b->cur_mtime) &&
	       a->uidlist_ino == b->uidlist_ino &&
	       same_time(a->uidlist_mtime, b->uidlist_mtime) &&
	       a->uidlist_size == b->uidlist_size;
}

/* ---- reading ------------------------------------------------------- */

struct maildir_names {
	unsigned holders; /* lists and views that point into the text */
	char *text;       /* the mapped file */
	size_t size;
};

struct maildir_names *maildir_names_hold(struct maildir_names *names)
{
	if (names != NULL)
		names->holders++;
	return names;
}

void maildir_names_release(struct maildir_names *names)
{
	if (names == NULL || --names->holders > 0)
		return;
	munmap(names->text, names->size);
	free(names);
}

/* map_cache - the whole cache file mapped read-only, or NULL.  Mapped,
 * not read: a session's first SELECT of a large folder then uses the
 * pages the kernel already caches, instead of copying them into as many
 * fresh pages of its own.  The file must end in a newline, so parsing
 * that stops at a newline never reads past its end. */
static char *map_cache(const char *path, size_t *size_r)
{
	char file[PATH_MAX];
	const char *error;
	struct stat st;
	if (maildir_make_path(file, &error, "%s/" CACHE_FILE, path) < 0)
		return NULL;
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *text = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= CACHE_SIZE_MAX) {
		text = mmap(NULL, (size_t)st.st_size, PROT_READ,
			    MAP_PRIVATE | MAP_POPULATE, fd, 0);
		*size_r = (size_t)st.st_size;
		if (text == MAP_FAILED)
			text = NULL;
		else if (text[st.st_size - 1] != '\n') {
			munmap(text, *size_r);
			text = NULL;
		}
	}
	close(fd);
	return text;
}

/* number - an unsigned decimal at *@p, then the separator @end. */
static bool number(char **p, char end, unsigned long long max,
		   unsigned long long *out)
{
	char *q;
	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*out = strtoull(*p, &q, 10);
	if (errno != 0 || *out > max || *q != end)
		return false;
	*p = q + 1;
	return true;
}

static bool timespec_at(char **p, struct timespec *t)
{
	unsigned long long s, ns;
	if (!number(p, ' ', INT64_MAX, &s) || !number(p, ' ', 999999999, &ns))
		return false;
	t->tv_sec = (time_t)s;
	t->tv_nsec = (long)ns;
	return true;
}

/* header - the first line: none, the current listing, or an old one. */
static enum maildir_cached header(char **p, const struct maildir_stamp *stamp,
				  struct maildir_list *list, size_t *count_r)
{
	struct maildir_stamp saved;
	unsigned long long ino, size, v, next, count;
	const char magic[] = CACHE_FILE " " CACHE_VERSION " ";
	if (strncmp(*p, magic, sizeof(magic) - 1) != 0)
		return MAILDIR_CACHED_NONE;
	*p += sizeof(magic) - 1;
	if (!timespec_at(p, &saved.new_mtime) || !timespec_at(p, &saved.cur_mtime) ||
	    !number(p, ' ', UINT64_MAX, &ino) ||
	    !timespec_at(p, &saved.uidlist_mtime) ||
	    !number(p, ' ', INT64_MAX, &size) ||
	    !number(p, ' ', UINT32_MAX, &v) || !number(p, ' ', UINT32_MAX, &next) ||
	    !number(p, '\n', CACHE_SIZE_MAX, &count))
		return MAILDIR_CACHED_NONE;
	saved.uidlist_ino = (ino_t)ino;
	saved.uidlist_size = (off_t)size;
	list->uidvalidity = (uint32_t)v;
	list->uidnext = (uint32_t)next;
	*count_r = (size_t)count;
	return maildir_stamp_same(&saved, stamp) ? MAILDIR_CACHED_CURRENT
						  : MAILDIR_CACHED_OLD;
}

/* safe_name - a message file name in this folder, never a path: the
 * cache lives where the user's mail is, so it is checked like a listing. */
static bool safe_name(const char *name, size_t len)
{
	if (len == 0 || len > NAME_MAX || name[0] < '0' || name[0] > '9')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == '/' ||
		    name[i] == 0x7f)
			return false;
	return true;
}

/* entry - one message line into @p m; false if it does not parse.  The
 * name is left where it lies, in the mapped file. */
static bool entry(char **p, char *end, struct maildir_msg *m, uint32_t after)
{
	unsigned long long uid, mtime, size, wire;
	if (!number(p, ' ', UINT32_MAX, &uid) || uid <= after ||
	    ((*p)[0] != 'n' && (*p)[0] != 'c') || (*p)[1] != ' ')
		return false;
	bool in_new = (*p)[0] == 'n';
	*p += 2;
	if (!number(p, ' ', INT64_MAX, &mtime) ||
	    !number(p, ' ', MAIL_MESSAGE_MAX * 4ULL, &size) ||
	    !number(p, ' ', MAIL_MESSAGE_MAX * 4ULL, &wire))
		return false;
	/* the file ends in a newline (map_cache()), so a NUL is never its
	 * last octet and nul[1] is inside it */
	char *nul = memchr(*p, '\0', (size_t)(end - *p));
	if (nul == NULL || nul[1] != '\n' ||
	    !safe_name(*p, (size_t)(nul - *p)))
		return false;
	*m = (struct maildir_msg){ .name = *p, .name_mapped = true,
				   .in_new = in_new, .uid = (uint32_t)uid,
				   .size = (off_t)size, .wire_size = (off_t)wire,
				   .mtime = (time_t)mtime };
	*p = nul + 2;
	return true;
}

enum maildir_cached maildir_cache_load(const char *path,
				       const struct maildir_stamp *stamp,
				       struct maildir_list *list_r)
{
	memset(list_r, 0, sizeof(*list_r));
	size_t size = 0;
	char *text = map_cache(path, &size);
	size_t count;
	if (text == NULL)
		return MAILDIR_CACHED_NONE;
	struct maildir_names *names = malloc(sizeof(*names));
	if (names == NULL) {
		munmap(text, size);
		return MAILDIR_CACHED_NONE;
	}
	*names = (struct maildir_names){ 1, text, size };
	list_r->names = names; /* the list's names point into it */
	char *p = text, *end = text + size;
	enum maildir_cached got = header(&p, stamp, list_r, &count);
	if (got == MAILDIR_CACHED_NONE ||
	    (count > 0 &&
	     (list_r->msgs = calloc(count, sizeof(*list_r->msgs))) == NULL)) {
		maildir_list_free(list_r);
		return MAILDIR_CACHED_NONE;
	}
	/* every entry is written in a moment: one call for all the pages */
	prefault(list_r->msgs, count * sizeof(*list_r->msgs));
	uint32_t last = 0;
	while (list_r->count < count && p < end &&
	       entry(&p, end, &list_r->msgs[list_r->count], last))
		last = list_r->msgs[list_r->count++].uid;
	bool whole = list_r->count == count && p == end &&
		     (count == 0 || last < list_r->uidnext);
	if (!whole) {
		maildir_list_free(list_r);
		return MAILDIR_CACHED_NONE;
	}
	return got;
}

/* ---- writing ------------------------------------------------------- */

/* settled - was the directory last changed more than a second before the
 * scan began?  Then any later change gives it a different time. */
static bool settled(struct timespec mtime, time_t scan_started)
{
	return mtime.tv_sec < scan_started - 1;
}

static int write_cache(FILE *f, const struct maildir_stamp *s,
		       const struct maildir_list *list)
{
	fprintf(f, CACHE_FILE " %s %lld %ld %lld %ld %llu %lld %ld %lld %" PRIu32
		" %" PRIu32 " %zu\n", CACHE_VERSION,
		(long long)s->new_mtime.tv_sec, s->new_mtime.tv_nsec,
		(long long)s->cur_mtime.tv_sec, s->cur_mtime.tv_nsec,
		(unsigned long long)s->uidlist_ino,
		(long long)s->uidlist_mtime.tv_sec, s->uidlist_mtime.tv_nsec,
		(long long)s->uidlist_size, list->uidvalidity, list->uidnext, list->count);
	for (size_t i = 0; i < list->count; i++) {
		const struct maildir_msg *m = &list->msgs[i];
		fprintf(f, "%" PRIu32 " %c %lld %lld %lld %s%c\n", m->uid,
			m->in_new ? 'n' : 'c', (long long)m->mtime,
			(long long)m->size, (long long)m->wire_size, m->name,
			'\0');
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

bool maildir_stamp_settled(const char *path, const struct maildir_stamp *before,
			   time_t scan_started, struct maildir_stamp *after)
{
	return maildir_stamp_read(path, after) == 0 &&
	       same_time(before->new_mtime, after->new_mtime) &&
	       same_time(before->cur_mtime, after->cur_mtime) &&
	       settled(after->new_mtime, scan_started) &&
	       settled(after->cur_mtime, scan_started);
}

void maildir_cache_save(const char *path, const struct maildir_stamp *before,
			time_t scan_started, const struct maildir_list *list)
{
	struct maildir_stamp after;
	char tmp[PATH_MAX], file[PATH_MAX];
	const char *error;
	if (!maildir_stamp_settled(path, before, scan_started, &after) ||
	    maildir_make_path(file, &error, "%s/" CACHE_FILE, path) < 0 ||
	    maildir_make_path(tmp, &error, "%s/" CACHE_FILE ".%ld.tmp", path,
			      (long)getpid()) < 0)
		return;
	/* the name carries our pid: two sessions saving at once each
	 * write their own file, and the last rename wins whole */
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return;
	int r = write_cache(f, &after, list);
	if (fclose(f) != 0 || r < 0 || rename(tmp, file) < 0)
		unlink(tmp);
}
