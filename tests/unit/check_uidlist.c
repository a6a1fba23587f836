/*
 * check_uidlist.c - the UID list on its own, fed hand-made message lists:
 * numbering in arrival order, the exact file format of uidlist.h, no
 * rewrite when nothing changed, new messages appended (and an append a
 * crash cut short ignored), UIDs never reused (RFC 9051 §2.3.1.1),
 * a fresh UIDVALIDITY for every kind of damaged file, and the lock really
 * held while the list is read and written.
 */
#include "../../servers/core/uidlist.h"
#include "fixture.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void add(struct maildir_list *list, const char *name, time_t mtime)
{
	list->msgs = realloc(list->msgs, (list->count + 1) * sizeof(*list->msgs));
	ck_assert_ptr_nonnull(list->msgs);
	list->msgs[list->count++] = (struct maildir_msg){
		.name = strdup(name),
		.mtime = mtime,
	};
}

static void sync_ok(const char *dir, struct maildir_list *list)
{
	const char *err = NULL;
	ck_assert_msg(uidlist_sync(dir, list, &err) == 0, "sync: %s", err);
}

static uint32_t uid_of(const struct maildir_list *list, const char *unique)
{
	for (size_t i = 0; i < list->count; i++)
		if (maildir_unique_cmp(list->msgs[i].name, unique) == 0)
			return list->msgs[i].uid;
	ck_abort_msg("no message %s", unique);
	return 0;
}

static void file_path(const char *dir, const char *name, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static void write_list(const char *dir, const char *text, size_t len)
{
	char file[PATH_MAX];
	file_path(dir, "maillab-uidlist", file);
	fixture_write_file(file, text, len);
}

static char *read_list(const char *dir)
{
	char file[PATH_MAX];
	file_path(dir, "maillab-uidlist", file);
	char *text = fixture_read_file(file, NULL);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* Same mtime: by name; otherwise by mtime, whatever the names say. */
START_TEST(test_fresh_numbering_and_format)
{
	char *dir = fixture_tmpdir(), expect[128], lock[PATH_MAX];
	struct maildir_list list = { 0 };
	time_t before = time(NULL);
	add(&list, "c", 300);
	add(&list, "b:2,S", 200);
	add(&list, "a", 200);
	sync_ok(dir, &list);
	ck_assert_str_eq(list.msgs[0].name, "a");
	ck_assert_uint_eq(list.msgs[0].uid, 1);
	ck_assert_str_eq(list.msgs[1].name, "b:2,S");
	ck_assert_uint_eq(list.msgs[1].uid, 2);
	ck_assert_str_eq(list.msgs[2].name, "c");
	ck_assert_uint_eq(list.msgs[2].uid, 3);
	ck_assert_uint_eq(list.uidnext, 4);
	ck_assert_uint_ge(list.uidvalidity, (uint32_t)before);
	ck_assert_uint_le(list.uidvalidity, (uint32_t)time(NULL) + 1);
	snprintf(expect, sizeof(expect), "V2 %u 4\n1 a\n2 b\n3 c\n",
		 (unsigned)list.uidvalidity);
	char *text = read_list(dir);
	ck_assert_str_eq(text, expect);
	file_path(dir, "maillab-uidlist.lock", lock);
	ck_assert_int_eq(access(lock, F_OK), 0);
	free(text);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* A second sync with nothing new leaves the file alone (same inode: no
 * rename happened), and every UID and UIDVALIDITY stays. */
START_TEST(test_stable_without_rewrite)
{
	char *dir = fixture_tmpdir(), file[PATH_MAX];
	struct maildir_list l1 = { 0 }, l2 = { 0 };
	struct stat st1, st2;
	add(&l1, "x", 1);
	add(&l1, "y", 2);
	sync_ok(dir, &l1);
	file_path(dir, "maillab-uidlist", file);
	ck_assert_int_eq(stat(file, &st1), 0);
	add(&l2, "y:2,S", 2);
	add(&l2, "x", 1);
	sync_ok(dir, &l2);
	ck_assert_int_eq(stat(file, &st2), 0);
	ck_assert_uint_eq(st1.st_ino, st2.st_ino);
	ck_assert_uint_eq(l2.uidvalidity, l1.uidvalidity);
	ck_assert_uint_eq(uid_of(&l2, "x"), 1);
	ck_assert_uint_eq(uid_of(&l2, "y"), 2);
	maildir_list_free(&l1);
	maildir_list_free(&l2);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_existing_list_honoured)
{
	char *dir = fixture_tmpdir();
	struct maildir_list list = { 0 };
	static const char old[] = "V1 42 100\n7 kept\n9 gone\n";
	write_list(dir, old, sizeof(old) - 1);
	add(&list, "new", 5);
	add(&list, "kept", 9);
	sync_ok(dir, &list);
	ck_assert_uint_eq(list.uidvalidity, 42);
	ck_assert_uint_eq(list.uidnext, 101);
	ck_assert_uint_eq(list.msgs[0].uid, 7);
	ck_assert_uint_eq(list.msgs[1].uid, 100);
	char *text = read_list(dir);
	ck_assert_str_eq(text, "V2 42 101\n7 kept\n100 new\n");
	free(text);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_uids_never_reused)
{
	char *dir = fixture_tmpdir();
	struct maildir_list list = { 0 };
	add(&list, "a", 1);
	add(&list, "b", 2);
	add(&list, "c", 3);
	sync_ok(dir, &list);
	maildir_list_free(&list);
	add(&list, "a", 1);
	add(&list, "b", 2);
	sync_ok(dir, &list);
	ck_assert_uint_eq(list.uidnext, 4);
	maildir_list_free(&list);
	add(&list, "a", 1);
	add(&list, "b", 2);
	add(&list, "d", 4);
	sync_ok(dir, &list);
	ck_assert_uint_eq(uid_of(&list, "d"), 4);
	ck_assert_uint_eq(list.uidnext, 5);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* A list made before another session delivered (or maildir_append()'s
 * one-message list) lacks messages that still exist: their entries stay;
 * only entries whose file is gone from new/ and cur/ are dropped. */
START_TEST(test_entries_kept_while_file_exists)
{
	char *dir = fixture_tmpdir(), sub[1024], file[PATH_MAX];
	struct maildir_list list = { 0 };
	static const char old[] = "V1 5 3\n1 x\n2 y\n";
	file_path(dir, "cur", sub);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	file_path(sub, "x:2,S", file);
	fixture_write_file(file, "x\n", 2);
	write_list(dir, old, sizeof(old) - 1);
	add(&list, "z", 1);
	sync_ok(dir, &list);
	ck_assert_uint_eq(list.msgs[0].uid, 3);
	char *text = read_list(dir);
	ck_assert_str_eq(text, "V2 5 4\n1 x\n3 z\n");
	free(text);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

static const char *const garbled[] = {
	"",
	"V3 5 3\n1 a\n",          /* a format we do not know */
	"V2 5 3",                 /* the header cut off */
	"V1 0 3\n1 a\n",
	"V1 5 0\n",
	"V1 5 3\n2 a\n1 b\n",     /* not ascending */
	"V2 5 3\n1 a\n4294967295 b\n", /* no UID left after it */
	"V1 5 3\n1 a b\n",        /* space in the unique part */
	"V1 5 3\n1 a:2,S\n",      /* flags: not part of a unique part */
	"V1 5 3\n1 a\n2 a\n",     /* one message, two UIDs */
	"V1 5 3\n01 a\n",         /* not an nz-number */
	"V1 5 3\n1 \n",           /* empty unique part */
	"V1 5 3\n1 a\n\n",        /* empty line */
	"V1 5 99999999999\n1 a\n",
	"V1 5 3\n-1 a\n",
	"V1 5 3\n1 a\n2 b\0\n",   /* NUL inside */
};

/* Every kind of damage: a fresh UIDVALIDITY (never the old one, never 0)
 * and numbering from 1. */
START_TEST(test_garbled_starts_afresh)
{
	char *dir = fixture_tmpdir();
	struct maildir_list list = { 0 };
	const char *text = garbled[_i];
	size_t len = strlen(text);
	if (_i == sizeof(garbled) / sizeof(garbled[0]) - 1)
		len += 2; /* the NUL case: the bytes after it count */
	write_list(dir, text, len);
	add(&list, "a", 1);
	time_t before = time(NULL);
	sync_ok(dir, &list);
	ck_assert_uint_ne(list.uidvalidity, 5);
	ck_assert_uint_ge(list.uidvalidity, (uint32_t)before);
	ck_assert_uint_eq(list.msgs[0].uid, 1);
	ck_assert_uint_eq(list.uidnext, 2);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* Damaged twice within one second: the new UIDVALIDITY must still differ
 * from the one clients may have cached. */
START_TEST(test_restart_never_repeats_uidvalidity)
{
	char *dir = fixture_tmpdir(), text[64];
	struct maildir_list list = { 0 };
	uint32_t now = (uint32_t)time(NULL);
	int n = snprintf(text, sizeof(text), "V1 %u 3\n1 a\n1 b\n", (unsigned)now);
	write_list(dir, text, (size_t)n);
	add(&list, "a", 1);
	sync_ok(dir, &list);
	ck_assert_uint_ne(list.uidvalidity, now);
	ck_assert_uint_ne(list.uidvalidity, 0);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_uid_space_exhausted)
{
	char *dir = fixture_tmpdir();
	struct maildir_list list = { 0 };
	static const char full[] = "V1 9 4294967295\n4294967294 old\n";
	write_list(dir, full, sizeof(full) - 1);
	add(&list, "old", 1);
	add(&list, "new", 2);
	sync_ok(dir, &list);
	ck_assert_uint_ne(list.uidvalidity, 9);
	ck_assert_uint_eq(uid_of(&list, "old"), 1);
	ck_assert_uint_eq(uid_of(&list, "new"), 2);
	ck_assert_uint_eq(list.uidnext, 3);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_same_unique_twice_gets_two_uids)
{
	char *dir = fixture_tmpdir();
	struct maildir_list list = { 0 };
	add(&list, "a", 1);
	add(&list, "a:2,S", 1);
	sync_ok(dir, &list);
	ck_assert_uint_ne(list.msgs[0].uid, list.msgs[1].uid);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_empty_folder)
{
	char *dir = fixture_tmpdir(), expect[64];
	struct maildir_list list = { 0 };
	sync_ok(dir, &list);
	ck_assert_uint_eq(list.uidnext, 1);
	snprintf(expect, sizeof(expect), "V2 %u 1\n", (unsigned)list.uidvalidity);
	char *text = read_list(dir);
	ck_assert_str_eq(text, expect);
	free(text);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* uidlist_add(): the new line is appended to the same file (same inode,
 * the old lines untouched), whatever the folder holds; the next sync
 * reads it back. */
START_TEST(test_add_appends)
{
	char *dir = fixture_tmpdir(), file[PATH_MAX];
	struct maildir_list l1 = { 0 }, l2 = { 0 }, l3 = { 0 };
	struct stat st1, st2;
	const char *err = NULL;
	add(&l1, "a", 1);
	add(&l1, "b", 2);
	sync_ok(dir, &l1);
	file_path(dir, "maillab-uidlist", file);
	ck_assert_int_eq(stat(file, &st1), 0);
	char *before = read_list(dir);
	add(&l2, "c", 3);
	ck_assert_msg(uidlist_add(dir, &l2, &err) == 1, "add: %s", err);
	ck_assert_uint_eq(l2.msgs[0].uid, 3);
	ck_assert_uint_eq(l2.uidnext, 4);
	ck_assert_uint_eq(l2.uidvalidity, l1.uidvalidity);
	ck_assert_int_eq(stat(file, &st2), 0);
	ck_assert_uint_eq(st1.st_ino, st2.st_ino);
	char *after = read_list(dir), expect[256];
	snprintf(expect, sizeof(expect), "%s3 c\n", before);
	ck_assert_str_eq(after, expect);
	/* the header still says 3: the next UID comes from the last line */
	add(&l3, "a", 1);
	add(&l3, "b", 2);
	add(&l3, "c", 3);
	add(&l3, "d", 4);
	sync_ok(dir, &l3);
	ck_assert_uint_eq(uid_of(&l3, "c"), 3);
	ck_assert_uint_eq(uid_of(&l3, "d"), 4);
	ck_assert_uint_eq(l3.uidnext, 5);
	ck_assert_uint_eq(l3.uidvalidity, l1.uidvalidity);
	free(before);
	free(after);
	maildir_list_free(&l1);
	maildir_list_free(&l2);
	maildir_list_free(&l3);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* Another session's scan may number a message between its rename into
 * place and uidlist_add(): it keeps that UID, and no second line is
 * written (one unique with two UIDs would restart the whole list). */
START_TEST(test_add_of_a_numbered_message)
{
	char *dir = fixture_tmpdir();
	struct maildir_list seen = { 0 }, mine = { 0 }, again = { 0 };
	const char *err = NULL;
	add(&seen, "a", 1);
	add(&seen, "b", 2);
	sync_ok(dir, &seen);
	char *before = read_list(dir);
	add(&mine, "b", 2);
	ck_assert_msg(uidlist_add(dir, &mine, &err) == 0, "add: %s", err);
	ck_assert_uint_eq(mine.msgs[0].uid, 2);
	char *after = read_list(dir);
	ck_assert_str_eq(after, before);
	add(&again, "a", 1);
	add(&again, "b", 2);
	sync_ok(dir, &again);
	ck_assert_uint_eq(again.uidvalidity, seen.uidvalidity);
	free(before);
	free(after);
	maildir_list_free(&seen);
	maildir_list_free(&mine);
	maildir_list_free(&again);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* uidlist_add() of many messages (a full new/): the table is sorted for
 * the lookups; numbered ones keep their UIDs, only the others are
 * appended, after the last line. */
START_TEST(test_add_many_known_and_new)
{
	char *dir = fixture_tmpdir(), name[16];
	struct maildir_list all = { 0 }, many = { 0 };
	const char *err = NULL;
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		add(&all, name, 100 + i);
	}
	sync_ok(dir, &all);
	char *before = read_list(dir);
	add(&many, "z2", 300);
	for (int i = 14; i >= 5; i--) {
		snprintf(name, sizeof(name), "m%02d", i);
		add(&many, name, 100 + i);
	}
	add(&many, "z1", 200);
	ck_assert_msg(uidlist_add(dir, &many, &err) == 2, "add: %s", err);
	for (int i = 5; i <= 14; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		ck_assert_uint_eq(uid_of(&many, name), (uint32_t)i + 1);
	}
	ck_assert_uint_eq(uid_of(&many, "z1"), 21);
	ck_assert_uint_eq(uid_of(&many, "z2"), 22);
	ck_assert_uint_eq(many.uidnext, 23);
	char *after = read_list(dir), expect[2048];
	snprintf(expect, sizeof(expect), "%s21 z1\n22 z2\n", before);
	ck_assert_str_eq(after, expect);
	free(before);
	free(after);
	maildir_list_free(&all);
	maildir_list_free(&many);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* A crash in the middle of an append leaves a line without its newline:
 * it is ignored (UIDVALIDITY stays), and the next append replaces it. */
START_TEST(test_torn_append_ignored)
{
	char *dir = fixture_tmpdir();
	struct maildir_list list = { 0 };
	const char *err = NULL;
	static const char torn[] = "V2 5 3\n1 a\n2 b\n7 hal";
	write_list(dir, torn, sizeof(torn) - 1);
	add(&list, "c", 3);
	ck_assert_msg(uidlist_add(dir, &list, &err) == 1, "add: %s", err);
	ck_assert_uint_eq(list.uidvalidity, 5);
	ck_assert_uint_eq(list.msgs[0].uid, 3);
	char *text = read_list(dir);
	ck_assert_str_eq(text, "V2 5 3\n1 a\n2 b\n3 c\n");
	free(text);
	maildir_list_free(&list);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

/* A list of the old format is read as it is, and uidlist_add() writes it
 * anew as V2 rather than append to it; a missing list is not started. */
START_TEST(test_add_to_old_or_missing_list)
{
	char *dir = fixture_tmpdir(), sub[1024], file[PATH_MAX];
	struct maildir_list list = { 0 }, fresh = { 0 };
	const char *err = NULL;
	static const char old[] = "V1 5 3\n1 x\n";
	file_path(dir, "cur", sub);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	file_path(sub, "x:2,S", file);
	fixture_write_file(file, "x\n", 2);
	write_list(dir, old, sizeof(old) - 1);
	add(&list, "y", 1);
	ck_assert_msg(uidlist_add(dir, &list, &err) == 1, "add: %s", err);
	ck_assert_uint_eq(list.uidvalidity, 5);
	ck_assert_uint_eq(list.msgs[0].uid, 3);
	char *text = read_list(dir);
	ck_assert_str_eq(text, "V2 5 4\n1 x\n3 y\n");
	free(text);
	/* no list at all: nothing is numbered or written; the caller
	 * must list the whole folder first */
	char *other = fixture_tmpdir();
	add(&fresh, "z", 1);
	ck_assert_int_eq(uidlist_add(other, &fresh, &err), UIDLIST_UNLISTED);
	ck_assert_uint_eq(fresh.msgs[0].uid, 0);
	char missing[PATH_MAX];
	file_path(other, "maillab-uidlist", missing);
	ck_assert_ptr_null(fixture_read_file(missing, NULL));
	maildir_list_free(&list);
	maildir_list_free(&fresh);
	fixture_rmtree(dir);
	fixture_rmtree(other);
	free(dir);
	free(other);
}
END_TEST

/* While another process holds the lock, a sync waits, and then reads what
 * that process wrote: the read-modify-write really is under the lock. */
START_TEST(test_sync_waits_for_lock)
{
	char *dir = fixture_tmpdir(), lock[PATH_MAX];
	static const char theirs[] = "V1 77 50\n40 a\n";
	int status;
	file_path(dir, "maillab-uidlist.lock", lock);
	int fd = open(lock, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct maildir_list list = { 0 };
		const char *err;
		add(&list, "a", 1);
		_exit(uidlist_sync(dir, &list, &err) == 0 ? (int)list.msgs[0].uid : 255);
	}
	usleep(200 * 1000);
	ck_assert_int_eq(waitpid(child, &status, WNOHANG), 0);
	write_list(dir, theirs, sizeof(theirs) - 1);
	ck_assert_int_eq(flock(fd, LOCK_UN), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 40);
	close(fd);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

Suite *uidlist_suite(void)
{
	Suite *s = suite_create("uidlist");
	TCase *tc = tcase_create("uidlist");
	tcase_add_test(tc, test_fresh_numbering_and_format);
	tcase_add_test(tc, test_stable_without_rewrite);
	tcase_add_test(tc, test_existing_list_honoured);
	tcase_add_test(tc, test_uids_never_reused);
	tcase_add_test(tc, test_entries_kept_while_file_exists);
	tcase_add_loop_test(tc, test_garbled_starts_afresh, 0,
			    sizeof(garbled) / sizeof(garbled[0]));
	tcase_add_test(tc, test_restart_never_repeats_uidvalidity);
	tcase_add_test(tc, test_uid_space_exhausted);
	tcase_add_test(tc, test_same_unique_twice_gets_two_uids);
	tcase_add_test(tc, test_empty_folder);
	tcase_add_test(tc, test_sync_waits_for_lock);
	tcase_add_test(tc, test_add_appends);
	tcase_add_test(tc, test_torn_append_ignored);
	tcase_add_test(tc, test_add_of_a_numbered_message);
	tcase_add_test(tc, test_add_many_known_and_new);
	tcase_add_test(tc, test_add_to_old_or_missing_list);
	suite_add_tcase(s, tc);
	return s;
}
