/*
 * check_maildir_cache.c - the saved listing of a quiet folder: used whole
 * only while new/, cur/ and the UID list are as they were, and after a
 * change only for what it says of each message it knows; never saved for
 * a folder that changed within the last second, and ignored when it does
 * not parse or names a file outside the folder.  Time is moved by setting
 * the directories' modification times, as another process's rename would.
 */
#include "../../servers/core/maildir.h"
#include "../../servers/core/maildir_cache.h"
#include "../../servers/imap/imap_mailbox.h"
#include "fixture.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *tmp;
static char path[1024];

static void setup(void)
{
	const char *err = NULL;
	tmp = fixture_tmpdir();
	snprintf(path, sizeof(path), "%s/Maildir", tmp);
	ck_assert_msg(maildir_create(path, &err) == 0, "create: %s", err);
}

static void teardown(void)
{
	fixture_rmtree(tmp);
	free(tmp);
}

/* put - a message file with the given name in cur/ or new/. */
static void put(const char *sub, const char *name, const char *text)
{
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s/%s/%s", path, sub, name);
	fixture_write_file(file, text, strlen(text));
}

/* age - make new/ and cur/ look last changed @secs seconds ago. */
static void age(int secs)
{
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= secs;
	t[1] = t[0];
	for (int i = 0; i < 2; i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/%s", path, i ? "cur" : "new");
		ck_assert_int_eq(utimensat(AT_FDCWD, dir, t, 0), 0);
	}
}

static bool cache_exists(void)
{
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s/maillab-cache", path);
	return access(file, F_OK) == 0;
}

static void scan(struct maildir_list *list)
{
	const char *err = NULL;
	ck_assert_msg(maildir_scan(path, list, &err) == 0, "scan: %s", err);
}

/* loads - does the cache describe the folder as it is now, or as it was? */
static enum maildir_cached loads(struct maildir_list *list)
{
	struct maildir_stamp stamp;
	ck_assert_int_eq(maildir_stamp_read(path, &stamp), 0);
	return maildir_cache_load(path, &stamp, list);
}

static void two_messages(void)
{
	put("cur", "1700000001.M1P1.host,S=6,W=8:2,S", "a\nbcd\n");
	put("new", "1700000002.M2P1.host,S=3,W=4", "xy\n");
}

START_TEST(a_quiet_folder_lists_from_the_cache)
{
	two_messages();
	age(10);
	struct maildir_list first, cached;
	scan(&first); /* assigns UIDs (writes the UID list), saves the cache */
	ck_assert(cache_exists());
	ck_assert_int_eq(first.how.source, MAILDIR_FROM_DIRS);
	ck_assert_uint_eq(first.how.stats, 2);
	ck_assert_int_eq(loads(&cached), MAILDIR_CACHED_CURRENT);
	ck_assert_uint_eq(cached.count, 2);
	ck_assert_uint_eq(cached.uidvalidity, first.uidvalidity);
	ck_assert_uint_eq(cached.uidnext, first.uidnext);
	for (size_t i = 0; i < 2; i++) {
		const struct maildir_msg *a = &first.msgs[i], *b = &cached.msgs[i];
		ck_assert_str_eq(b->name, a->name);
		ck_assert_uint_eq(b->uid, a->uid);
		ck_assert_int_eq(b->in_new, a->in_new);
		ck_assert_int_eq(b->size, a->size);
		ck_assert_int_eq(b->wire_size, a->wire_size);
		ck_assert_int_eq(b->mtime, a->mtime);
	}
	ck_assert_str_eq(fixture_flags(&cached.msgs[0]), "S");
	ck_assert_int_eq(cached.msgs[1].wire_size, 4);
	maildir_list_free(&cached);
	/* and a scan says where its listing came from */
	scan(&cached);
	ck_assert_int_eq(cached.how.source, MAILDIR_FROM_CACHE);
	ck_assert_uint_eq(cached.how.stats, 0);
	const char *text = maildir_how_text(&cached.how);
	ck_assert_str_eq(text, "listed from its cache (unchanged)");
	text = maildir_how_text(&first.how);
	ck_assert_str_eq(text, "listed whole (no usable cache): 2 file(s) looked at");
	maildir_list_free(&first);
	maildir_list_free(&cached);
}
END_TEST

START_TEST(a_rename_makes_it_stale)
{
	struct maildir_list list;
	two_messages();
	age(10);
	scan(&list);
	maildir_list_free(&list);
	/* another process sets \Flagged: the rename changes cur/'s time */
	char from[PATH_MAX], to[PATH_MAX];
	snprintf(from, sizeof(from), "%s/cur/1700000001.M1P1.host,S=6,W=8:2,S", path);
	snprintf(to, sizeof(to), "%s/cur/1700000001.M1P1.host,S=6,W=8:2,FS", path);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_OLD);
	maildir_list_free(&list);
	scan(&list);
	ck_assert_str_eq(fixture_flags(&list.msgs[0]), "FS");
	maildir_list_free(&list);
}
END_TEST

START_TEST(a_busy_folder_is_not_cached)
{
	struct maildir_list list;
	two_messages(); /* just now: within the clock's last tick */
	scan(&list);
	ck_assert(!cache_exists());
	maildir_list_free(&list);
}
END_TEST

START_TEST(a_new_uid_list_makes_it_stale)
{
	struct maildir_list list;
	two_messages();
	age(10);
	scan(&list);
	maildir_list_free(&list);
	/* the UID list replaced (here: lost) - UIDVALIDITY must be new */
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s/maillab-uidlist", path);
	ck_assert_int_eq(unlink(file), 0);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_OLD);
	maildir_list_free(&list);
}
END_TEST

/* An append to the UID list keeps its inode, and may keep its time (two
 * changes in one clock tick): its size still tells. */
START_TEST(an_appended_uid_list_makes_it_stale)
{
	struct maildir_list list;
	struct stat st;
	two_messages();
	age(10);
	scan(&list);
	maildir_list_free(&list);
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s/maillab-uidlist", path);
	ck_assert_int_eq(stat(file, &st), 0);
	int fd = open(file, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "99 x\n", 5), 5);
	close(fd);
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	ck_assert_int_eq(utimensat(AT_FDCWD, file, times, 0), 0);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_OLD);
	maildir_list_free(&list);
}
END_TEST

/* replace_body - replace the cache's text, keeping its first line; with
 * @p nul each line of @p after_header gets the NUL that ends a name in
 * the file. */
static void replace_body(const char *after_header, bool nul)
{
	char file[PATH_MAX];
	size_t len, n;
	snprintf(file, sizeof(file), "%s/maillab-cache", path);
	char *text = fixture_read_file(file, &len);
	ck_assert_ptr_nonnull(text);
	char *nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	char out[4096];
	n = (size_t)(nl + 1 - text);
	memcpy(out, text, n);
	for (const char *p = after_header; *p != '\0'; p++) {
		ck_assert_uint_lt(n + 2, sizeof(out));
		if (*p == '\n' && nul)
			out[n++] = '\0';
		out[n++] = *p;
	}
	fixture_write_file(file, out, n);
	free(text);
}

static void write_cache(const char *after_header)
{
	replace_body(after_header, true);
}

/* cached_two_messages - two_messages(), settled, scanned: the cache is
 * saved.  Returns the first message's UID (the second has the next). */
static uint32_t cached_two_messages(void)
{
	struct maildir_list list;
	two_messages();
	age(10);
	scan(&list);
	uint32_t uid = list.msgs[0].uid;
	maildir_list_free(&list);
	return uid;
}

START_TEST(a_bad_cache_is_ignored)
{
	struct maildir_list list;
	uint32_t uid = cached_two_messages();
	char line[512];
	/* a name that leaves the folder */
	snprintf(line, sizeof(line), "%u c 1 6 8 ../../etc/passwd\n"
		 "%u n 1 3 4 1700000002.M2P1.host,S=3,W=4\n", uid, uid + 1);
	write_cache(line);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_NONE);
	/* one line short of the count */
	snprintf(line, sizeof(line), "%u c 1 6 8 1700000001.M1P1.host,S=6,W=8:2,S\n",
		 uid);
	write_cache(line);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_NONE);
	/* a name not ended by its NUL (as version 2 wrote them) */
	snprintf(line, sizeof(line), "%u c 1 6 8 1700000001.M1P1.host,S=6,W=8:2,S\n"
		 "%u n 1 3 4 1700000002.M2P1.host,S=3,W=4\n", uid, uid + 1);
	replace_body(line, false);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_NONE);
	/* UIDs out of order */
	snprintf(line, sizeof(line), "%u c 1 6 8 1700000001.M1P1.host,S=6,W=8:2,S\n"
		 "%u n 1 3 4 1700000002.M2P1.host,S=3,W=4\n", uid + 1, uid);
	write_cache(line);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_NONE);
	/* numbers: a UID past 32 bits, a sign, a size with a letter in it */
	const char *bad[] = {
		"4294967296 c 1 6 8 1700000001.M1P1.host,S=6,W=8:2,S\n",
		"+%u c 1 6 8 1700000001.M1P1.host,S=6,W=8:2,S\n",
		"%u c 1 6x 8 1700000001.M1P1.host,S=6,W=8:2,S\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char first[256];
		snprintf(first, sizeof(first), bad[i], uid);
		snprintf(line, sizeof(line), "%s%u n 1 3 4 1700000002.M2P1.host,S=3,W=4\n",
			 first, uid + 1);
		write_cache(line);
		ck_assert_int_eq(loads(&list), MAILDIR_CACHED_NONE);
	}
	/* and the scan still lists the folder right */
	scan(&list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.msgs[0].name, "1700000001.M1P1.host,S=6,W=8:2,S");
	maildir_list_free(&list);
}
END_TEST

/* A listing from the cache points into the mapped file for its names:
 * each ends in a NUL there, so it is a C string where it lies, and it is
 * not the message's to free (a rename gives the message its own). */
START_TEST(names_are_read_where_they_lie)
{
	struct maildir_list list;
	char file[PATH_MAX];
	size_t len;
	(void)cached_two_messages();
	snprintf(file, sizeof(file), "%s/maillab-cache", path);
	char *text = fixture_read_file(file, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_CURRENT);
	ck_assert_ptr_nonnull(list.names);
	ck_assert_uint_eq(list.count, 2);
	for (size_t i = 0; i < list.count; i++) {
		const char *name = list.msgs[i].name;
		ck_assert(list.msgs[i].name_mapped);
		const char *at = memmem(text, len, name, strlen(name) + 1);
		ck_assert_msg(at != NULL, "%s: not followed by a NUL", name);
		ck_assert_int_eq(at[strlen(name) + 1], '\n');
	}
	free(text);
	ck_assert_str_eq(list.msgs[1].name, "1700000002.M2P1.host,S=3,W=4");
	char *own = strdup("1700000002.M2P1.host,S=3,W=4:2,S");
	ck_assert_ptr_nonnull(own);
	maildir_msg_rename(&list.msgs[1], own); /* must not free the mapped one */
	ck_assert(!list.msgs[1].name_mapped);
	ck_assert_str_eq(list.msgs[0].name, "1700000001.M1P1.host,S=6,W=8:2,S");
	maildir_list_free(&list); /* frees the own name, unmaps the file */
}
END_TEST

/* After a change, a scan reads both directories again but takes what an
 * old listing says of a message it knows by its unique part - size and
 * time - instead of a stat(2); here the cache is edited to say what the
 * files do not, which shows where each figure came from.  A new file is
 * looked at, a renamed one keeps its figures under its new name and
 * flags, and a deleted one is gone. */
START_TEST(an_old_listing_spares_the_stats)
{
	struct maildir_list list;
	uint32_t uid = cached_two_messages();
	char line[512];
	snprintf(line, sizeof(line), "%u c 1234567 6 8 1700000001.M1P1.host,S=6,W=8:2,S\n"
		 "%u n 7654321 3 4 1700000002.M2P1.host,S=3,W=4\n", uid, uid + 1);
	write_cache(line);
	char from[PATH_MAX], to[PATH_MAX];
	snprintf(from, sizeof(from), "%s/cur/1700000001.M1P1.host,S=6,W=8:2,S", path);
	snprintf(to, sizeof(to), "%s/cur/1700000001.M1P1.host,S=6,W=8:2,FS", path);
	ck_assert_int_eq(rename(from, to), 0);
	snprintf(from, sizeof(from), "%s/new/1700000002.M2P1.host,S=3,W=4", path);
	ck_assert_int_eq(unlink(from), 0);
	put("new", "1700000003.M3P1.host", "new\r\nmail\r\n");
	ck_assert_int_eq(loads(&list), MAILDIR_CACHED_OLD);
	maildir_list_free(&list);
	scan(&list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(list.how.source, MAILDIR_FROM_OLD);
	ck_assert_uint_eq(list.how.stats, 1); /* only the new file */
	const struct maildir_msg *known = &list.msgs[0], *fresh = &list.msgs[1];
	ck_assert_str_eq(known->name, "1700000001.M1P1.host,S=6,W=8:2,FS");
	ck_assert_str_eq(fixture_flags(known), "FS");
	ck_assert_int_eq(known->mtime, 1234567); /* the cache's, not the file's */
	ck_assert_uint_eq(known->uid, uid);
	ck_assert(!known->in_new);
	ck_assert_str_eq(fresh->name, "1700000003.M3P1.host");
	ck_assert_int_eq(fresh->size, 11);      /* looked at: CRLF file */
	ck_assert_int_eq(fresh->wire_size, 11);
	ck_assert_int_gt(fresh->mtime, 1700000000);
	ck_assert_uint_eq(fresh->uid, uid + 2);
	ck_assert(fresh->in_new);
	maildir_list_free(&list);
}
END_TEST

/* An IMAP view opened when the user has no inotify instance left (the
 * kernel allows fs.inotify.max_user_instances, 128 by default, and a
 * class can have more sessions than that) tells an unchanged folder from
 * its stamp, and still sees new mail. */
START_TEST(a_view_without_inotify_uses_the_stamp)
{
	enum { CAP = 100000 };
	static int fds[CAP];
	struct rlimit rl;
	const char *err = NULL;
	put("cur", "1700000001.M1P1.host,S=6,W=8:2,S", "a\r\nb\r\n");
	age(10);
	/* take every inotify instance this user may have: raise our own
	 * descriptor limit first, so that the user's limit is what stops us */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	size_t n = 0;
	while (n < CAP && (fds[n] = inotify_init1(IN_CLOEXEC)) >= 0)
		n++;
	ck_assert_msg(n < CAP, "could not use up the inotify instances");
	struct imap_mailbox *mb = NULL;
	int r = imap_mailbox_open("INBOX", path, false, &mb, &err);
	while (n > 0)
		close(fds[--n]);
	ck_assert_msg(r == 0, "open: %s", err);
	ck_assert_int_eq(mb->inotify_fd, -1);
	ck_assert(mb->stamp_ok);
	struct buf out;
	buf_init(&out, 4096);
	imap_mailbox_select_replies(mb, &out);
	buf_free(&out);
	/* nothing changed: a second SELECT keeps the view */
	ck_assert(imap_mailbox_reuse(mb, false));
	/* mail arrives: the stamp differs, the next sync reads it */
	put("new", "1700000002.M2P1.host", "c\r\n");
	ck_assert(!imap_mailbox_reuse(mb, false));
	ck_assert_msg(imap_mailbox_sync(mb, &err) == 1, "sync: %s", err);
	ck_assert_uint_eq(mb->count, 2);
	ck_assert_int_eq(mb->how.source, MAILDIR_FROM_OLD);
	ck_assert_uint_eq(mb->how.stats, 1);
	/* just changed: not settled, so the stamp proves nothing yet */
	ck_assert(!mb->stamp_ok);
	imap_mailbox_close(mb);
}
END_TEST

/* mapped_caches - how many mappings of this folder's cache file (the
 * live one, or one replaced since) this process has. */
static int mapped_caches(void)
{
	char want[PATH_MAX], line[PATH_MAX + 256];
	snprintf(want, sizeof(want), "%s/maillab-cache", path);
	FILE *f = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(f);
	int n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, want) != NULL;
	fclose(f);
	return n;
}

/* A view holds the mapped cache its names lie in.  After a change the
 * next sync lists the folder again, taking the names that did not change
 * from a new mapping of the (now old) cache; the view then holds that
 * mapping and lets go of the one before.  A message that left lets its
 * name go first: a name still pointing into the released mapping would
 * fault here, and a mapping never let go would show as a second one. */
START_TEST(a_view_lets_the_old_mapping_go)
{
	const char *err = NULL;
	(void)cached_two_messages();
	struct imap_mailbox *mb = NULL;
	ck_assert_msg(imap_mailbox_open("INBOX", path, false, &mb, &err) == 0,
		      "open: %s", err);
	ck_assert_int_eq(mb->how.source, MAILDIR_FROM_CACHE);
	ck_assert_ptr_nonnull(mb->names);
	ck_assert_uint_eq(mb->count, 2);
	ck_assert(mb->msgs[0].file.name_mapped && mb->msgs[1].file.name_mapped);
	ck_assert_int_eq(mapped_caches(), 1);
	struct buf out;
	buf_init(&out, 4096);
	imap_mailbox_select_replies(mb, &out);
	/* another session expunges the first message; mail arrives */
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s/cur/1700000001.M1P1.host,S=6,W=8:2,S", path);
	ck_assert_int_eq(unlink(file), 0);
	put("new", "1700000003.M3P1.host", "new\r\n");
	ck_assert_msg(imap_mailbox_sync(mb, &err) == 1, "sync: %s", err);
	ck_assert_int_eq(mb->how.source, MAILDIR_FROM_OLD);
	ck_assert_int_eq(mapped_caches(), 1);
	ck_assert_uint_eq(mb->count, 3);
	ck_assert(mb->msgs[0].expunged);
	ck_assert_str_eq(mb->msgs[0].file.name, "");
	ck_assert(mb->msgs[1].file.name_mapped);  /* unchanged: still mapped */
	ck_assert_str_eq(mb->msgs[1].file.name, "1700000002.M2P1.host,S=3,W=4");
	ck_assert(!mb->msgs[2].file.name_mapped); /* new: its own */
	ck_assert_str_eq(mb->msgs[2].file.name, "1700000003.M3P1.host");
	/* the expunge is announced and the message leaves the view */
	imap_mailbox_announce(mb, &out, true);
	ck_assert_ptr_nonnull(strstr(out.data, "* 1 EXPUNGE\r\n"));
	ck_assert_uint_eq(mb->count, 2);
	/* more mail: one mapping still, and every name as it was */
	put("new", "1700000004.M4P1.host", "more\r\n");
	ck_assert_msg(imap_mailbox_sync(mb, &err) == 1, "sync: %s", err);
	ck_assert_int_eq(mapped_caches(), 1);
	ck_assert_uint_eq(mb->count, 3);
	ck_assert_str_eq(mb->msgs[0].file.name, "1700000002.M2P1.host,S=3,W=4");
	ck_assert_str_eq(mb->msgs[1].file.name, "1700000003.M3P1.host");
	ck_assert_str_eq(mb->msgs[2].file.name, "1700000004.M4P1.host");
	buf_free(&out);
	imap_mailbox_close(mb);
	ck_assert_int_eq(mapped_caches(), 0);
}
END_TEST

/* A view that sleeps (an idle session) keeps only what its client knows
 * of each message and lets go of the mapped cache.  What happens while
 * it sleeps - a message expunged by another session, new flags, new
 * mail - is found when it wakes and announced like any other change; a
 * ghost and a flag change not yet announced survive a second sleep; and
 * each message gets its file back (name, sizes) from the new listing. */
START_TEST(a_sleeping_view_wakes_as_it_was)
{
	const char *err = NULL;
	(void)cached_two_messages();
	put("cur", "1700000005.M5P1.host,S=3,W=4:2,", "zz\n");
	struct imap_mailbox *mb = NULL;
	ck_assert_msg(imap_mailbox_open("INBOX", path, false, &mb, &err) == 0,
		      "open: %s", err);
	ck_assert_uint_eq(mb->count, 3);
	struct buf out;
	buf_init(&out, 4096);
	imap_mailbox_select_replies(mb, &out);
	unsigned recent = mb->msgs[2].flags & IMAP_F_RECENT;
	ck_assert_int_eq(mapped_caches(), 1);

	imap_mailbox_sleep(mb);
	ck_assert(imap_mailbox_asleep(mb));
	ck_assert_ptr_null(mb->msgs);
	ck_assert_ptr_null(mb->names);
	ck_assert_uint_eq(mb->count, 3);
	ck_assert_int_eq(mapped_caches(), 0);
	imap_mailbox_sleep(mb); /* already asleep: nothing changes */
	ck_assert(imap_mailbox_asleep(mb));

	/* another session expunges the first message and flags the second */
	char from[PATH_MAX], to[PATH_MAX];
	snprintf(from, sizeof(from), "%s/cur/1700000001.M1P1.host,S=6,W=8:2,S", path);
	ck_assert_int_eq(unlink(from), 0);
	snprintf(from, sizeof(from), "%s/new/1700000002.M2P1.host,S=3,W=4", path);
	snprintf(to, sizeof(to), "%s/cur/1700000002.M2P1.host,S=3,W=4:2,F", path);
	ck_assert_int_eq(rename(from, to), 0);

	/* the wake lists the folder and merges */
	ck_assert_msg(imap_mailbox_sync(mb, &err) == 1, "wake: %s", err);
	ck_assert(!imap_mailbox_asleep(mb));
	ck_assert_uint_eq(mb->count, 3);
	ck_assert(mb->msgs[0].expunged);
	ck_assert_str_eq(mb->msgs[0].file.name, "");
	ck_assert(!mb->msgs[1].expunged);
	ck_assert(mb->msgs[1].flags_changed);
	ck_assert_uint_eq(mb->msgs[1].flags & IMAP_F_STORED, IMAP_F_FLAGGED);
	ck_assert_str_eq(mb->msgs[1].file.name, "1700000002.M2P1.host,S=3,W=4:2,F");
	ck_assert(!mb->msgs[1].file.in_new);
	ck_assert_int_eq(mb->msgs[2].file.size, 3);
	ck_assert_int_eq(mb->msgs[2].file.wire_size, 4);
	ck_assert_int_gt(mb->msgs[2].file.mtime, 0);
	ck_assert_uint_eq(mb->msgs[2].flags & IMAP_F_RECENT, recent);
	ck_assert(!mb->msgs[2].flags_changed);

	/* asleep again before any of it was told: nothing is lost */
	imap_mailbox_sleep(mb);
	put("new", "1700000006.M6P1.host", "new\n");
	ck_assert_msg(imap_mailbox_sync(mb, &err) == 1, "wake: %s", err);
	ck_assert_uint_eq(mb->count, 4);
	ck_assert(mb->msgs[0].expunged);
	ck_assert(mb->msgs[1].flags_changed);
	ck_assert_str_eq(mb->msgs[3].file.name, "1700000006.M6P1.host");
	ck_assert_int_eq(mapped_caches(), 1);
	buf_reset(&out);
	imap_mailbox_announce(mb, &out, true);
	ck_assert_ptr_nonnull(strstr(out.data, "* 1 EXPUNGE\r\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "* 3 EXISTS\r\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "* 1 FETCH (FLAGS (\\Flagged"));
	ck_assert_uint_eq(mb->count, 3);

	/* a view that cannot wake (its folder is gone) stays asleep and is
	 * lost; closing it frees what it kept */
	imap_mailbox_sleep(mb);
	snprintf(to, sizeof(to), "%s.gone", path);
	ck_assert_int_eq(rename(path, to), 0);
	ck_assert_int_eq(imap_mailbox_sync(mb, &err), -1);
	ck_assert(mb->lost);
	ck_assert(imap_mailbox_asleep(mb));
	ck_assert_int_eq(rename(to, path), 0);
	buf_free(&out);
	imap_mailbox_close(mb);
}
END_TEST

Suite *maildir_cache_suite(void)
{
	Suite *s = suite_create("maildir_cache");
	TCase *c = tcase_create("Core");
	tcase_add_checked_fixture(c, setup, teardown);
	tcase_add_test(c, a_quiet_folder_lists_from_the_cache);
	tcase_add_test(c, names_are_read_where_they_lie);
	tcase_add_test(c, a_rename_makes_it_stale);
	tcase_add_test(c, a_busy_folder_is_not_cached);
	tcase_add_test(c, a_new_uid_list_makes_it_stale);
	tcase_add_test(c, an_appended_uid_list_makes_it_stale);
	tcase_add_test(c, a_bad_cache_is_ignored);
	tcase_add_test(c, an_old_listing_spares_the_stats);
	tcase_add_test(c, a_view_without_inotify_uses_the_stamp);
	tcase_add_test(c, a_view_lets_the_old_mapping_go);
	tcase_add_test(c, a_sleeping_view_wakes_as_it_was);
	suite_add_tcase(s, c);
	return s;
}
