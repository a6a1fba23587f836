/*
 * check_maildir.c - the Maildir store against what the spec
 * (https://cr.yp.to/proto/maildir.html) and other Maildir users expect:
 * delivery leaves nothing in tmp/ and a whole file in new/, CRLF is stored
 * as LF with the wire size in the name, UIDs survive renames by other
 * processes and are never reused, flags are sorted letters after ":2,",
 * and a folder written by Dovecot or mutt (no W= in the names) lists with
 * the right sizes.  Other processes are simulated with plain rename(2),
 * unlink(2) and utimes(2) on the files.
 */
#include "../../proto/limits.h"
#include "../../servers/core/maildir.h"
#include "fixture.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A Maildir inside a fresh temporary directory (the path is kept short
 * enough that every file name built from it fits in PATH_MAX). */
struct box {
	char *tmp;
	char path[1024];
};

static void box_open(struct box *b)
{
	const char *err = NULL;
	b->tmp = fixture_tmpdir();
	snprintf(b->path, sizeof(b->path), "%s/Maildir", b->tmp);
	ck_assert_msg(maildir_create(b->path, &err) == 0, "create: %s", err);
}

static void box_close(struct box *b)
{
	fixture_rmtree(b->tmp);
	free(b->tmp);
}

static void box_file(const struct box *b, const char *sub, const char *name,
		     char *out)
{
	snprintf(out, PATH_MAX, "%s/%s/%s", b->path, sub, name);
}

static void put_file(const struct box *b, const char *sub, const char *name,
		     const char *text, time_t mtime)
{
	char file[PATH_MAX];
	box_file(b, sub, name, file);
	fixture_write_file(file, text, strlen(text));
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	ck_assert_int_eq(utimes(file, tv), 0);
}

/* Entries of a directory, not counting "." and "..". */
static int count_entries(const struct box *b, const char *sub)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", b->path, sub);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static char *deliver(const struct box *b, const char *text)
{
	const char *err = NULL;
	char *name = NULL;
	ck_assert_msg(maildir_deliver(b->path, text, strlen(text), &name,
				      &err) == 0, "deliver: %s", err);
	ck_assert_ptr_nonnull(name);
	return name;
}

static void scan(const struct box *b, struct maildir_list *list)
{
	const char *err = NULL;
	ck_assert_msg(maildir_scan(b->path, list, &err) == 0, "scan: %s", err);
}

static struct maildir_msg *by_unique(struct maildir_list *list,
				     const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (maildir_unique_cmp(list->msgs[i].name, name) == 0)
			return &list->msgs[i];
	ck_abort_msg("no message %s", name);
	return NULL;
}

START_TEST(test_create_nested_and_again)
{
	struct box b;
	const char *err = NULL;
	b.tmp = fixture_tmpdir();
	snprintf(b.path, sizeof(b.path), "%s/home/alice/Maildir", b.tmp);
	ck_assert_int_eq(maildir_create(b.path, &err), 0);
	ck_assert_int_eq(maildir_create(b.path, &err), 0);
	ck_assert_int_eq(count_entries(&b, "tmp"), 0);
	ck_assert_int_eq(count_entries(&b, "new"), 0);
	ck_assert_int_eq(count_entries(&b, "cur"), 0);
	/* one of the three gone: made again */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/cur", b.path);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(maildir_create(b.path, &err), 0);
	ck_assert_int_eq(count_entries(&b, "cur"), 0);
	box_close(&b);
}
END_TEST

/* A file where a directory belongs is an error, not a Maildir. */
START_TEST(test_create_refuses_file_in_place_of_dir)
{
	struct box b;
	const char *err = NULL;
	char file[PATH_MAX];
	b.tmp = fixture_tmpdir();
	snprintf(b.path, sizeof(b.path), "%s/Maildir", b.tmp);
	ck_assert_int_eq(mkdir(b.path, 0700), 0);
	snprintf(file, sizeof(file), "%s/new", b.path);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(maildir_create(b.path, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "Not a directory"));
	/* the same for a component of the path above the Maildir */
	snprintf(b.path, sizeof(b.path), "%s/Maildir/new/deeper", b.tmp);
	ck_assert_int_eq(maildir_create(b.path, &err), -1);
	ck_assert_int_eq(unlink(file), 0);
	snprintf(b.path, sizeof(b.path), "%s/Maildir", b.tmp);
	ck_assert_msg(maildir_create(b.path, &err) == 0, "create: %s", err);
	ck_assert_int_eq(count_entries(&b, "new"), 0);
	box_close(&b);
}
END_TEST

START_TEST(test_deliver_then_scan)
{
	struct box b;
	struct maildir_list list;
	box_open(&b);
	time_t before = time(NULL);
	char *name = deliver(&b, "Subject: hi\n\nbody\n");
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.msgs[0].name, name);
	ck_assert(list.msgs[0].in_new);
	ck_assert_int_eq(list.msgs[0].size, 18);
	ck_assert_int_eq(list.msgs[0].wire_size, 21);
	ck_assert_uint_eq(list.msgs[0].uid, 1);
	ck_assert_str_eq(fixture_flags(&list.msgs[0]), "");
	ck_assert_int_ge(list.msgs[0].mtime, before);
	ck_assert_uint_eq(list.uidnext, 2);
	ck_assert_uint_ge(list.uidvalidity, (uint32_t)before);
	ck_assert_ptr_nonnull(strstr(name, ",S=18,W=21"));
	maildir_list_free(&list);
	free(name);
	box_close(&b);
}
END_TEST

/* Step by step as the spec asks: nothing in tmp/, one 0600 file in new/. */
START_TEST(test_deliver_leaves_tmp_empty)
{
	struct box b;
	char file[PATH_MAX];
	struct stat st;
	box_open(&b);
	char *name = deliver(&b, "x\n");
	ck_assert_int_eq(count_entries(&b, "tmp"), 0);
	ck_assert_int_eq(count_entries(&b, "new"), 1);
	ck_assert_int_eq(count_entries(&b, "cur"), 0);
	box_file(&b, "new", name, file);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_ptr_null(strchr(name, ':'));
	ck_assert_ptr_null(strchr(name, '/'));
	free(name);
	box_close(&b);
}
END_TEST

START_TEST(test_deliver_crlf_stored_as_lf)
{
	struct box b;
	char file[PATH_MAX];
	size_t len;
	box_open(&b);
	/* A lone CR is data, not a line end, and stays. */
	char *name = deliver(&b, "Subject: x\r\n\r\nline\r\nbare\rcr\r\n");
	box_file(&b, "new", name, file);
	char *stored = fixture_read_file(file, &len);
	ck_assert_str_eq(stored, "Subject: x\n\nline\nbare\rcr\n");
	/* 25 bytes stored, 4 LFs become CRLF on the wire. */
	ck_assert_ptr_nonnull(strstr(name, ",S=25,W=29"));
	free(stored);
	free(name);
	box_close(&b);
}
END_TEST

START_TEST(test_deliver_without_final_newline)
{
	struct box b;
	struct maildir_list list;
	box_open(&b);
	char *n1 = deliver(&b, "abc");
	char *n2 = deliver(&b, "a\r\nb");
	scan(&b, &list);
	ck_assert_int_eq(by_unique(&list, n1)->size, 3);
	ck_assert_int_eq(by_unique(&list, n1)->wire_size, 3);
	ck_assert_int_eq(by_unique(&list, n2)->size, 3);
	ck_assert_int_eq(by_unique(&list, n2)->wire_size, 4);
	maildir_list_free(&list);
	free(n1);
	free(n2);
	box_close(&b);
}
END_TEST

START_TEST(test_deliver_too_large)
{
	struct box b;
	const char *err = NULL;
	char *name = NULL;
	box_open(&b);
	char *big = calloc(1, MAIL_MESSAGE_MAX + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(maildir_deliver(b.path, big, MAIL_MESSAGE_MAX + 1,
					 &name, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(count_entries(&b, "tmp"), 0);
	ck_assert_int_eq(count_entries(&b, "new"), 0);
	free(big);
	box_close(&b);
}
END_TEST

START_TEST(test_two_deliveries_ascending_uids)
{
	struct box b;
	struct maildir_list list;
	box_open(&b);
	char *n1 = deliver(&b, "first\n");
	char *n2 = deliver(&b, "second\n");
	ck_assert_str_ne(n1, n2);
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.msgs[0].name, n1);
	ck_assert_uint_eq(list.msgs[0].uid, 1);
	ck_assert_str_eq(list.msgs[1].name, n2);
	ck_assert_uint_eq(list.msgs[1].uid, 2);
	ck_assert_uint_eq(list.uidnext, 3);
	maildir_list_free(&list);
	free(n1);
	free(n2);
	box_close(&b);
}
END_TEST

/* A reader moves one message to cur/ by hand, we flag the other: both keep
 * their UIDs, and UIDVALIDITY does not change. */
START_TEST(test_uids_survive_renames)
{
	struct box b;
	struct maildir_list l1, l2;
	char from[PATH_MAX], to[PATH_MAX], seen[NAME_MAX + 8];
	const char *err = NULL;
	box_open(&b);
	char *n1 = deliver(&b, "one\n");
	char *n2 = deliver(&b, "two\n");
	scan(&b, &l1);
	box_file(&b, "new", n1, from);
	snprintf(seen, sizeof(seen), "%s:2,S", n1);
	box_file(&b, "cur", seen, to);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(maildir_set_flags(b.path, by_unique(&l1, n2), "F",
					   &err), 0);
	scan(&b, &l2);
	ck_assert_uint_eq(l2.uidvalidity, l1.uidvalidity);
	ck_assert_uint_eq(l2.count, 2);
	ck_assert_uint_eq(by_unique(&l2, n1)->uid, 1);
	ck_assert(!by_unique(&l2, n1)->in_new);
	ck_assert_str_eq(fixture_flags(by_unique(&l2, n1)), "S");
	ck_assert_uint_eq(by_unique(&l2, n2)->uid, 2);
	ck_assert_str_eq(fixture_flags(by_unique(&l2, n2)), "F");
	maildir_list_free(&l1);
	maildir_list_free(&l2);
	free(n1);
	free(n2);
	box_close(&b);
}
END_TEST

/* Deleting the newest message must not hand its UID out again (RFC 9051
 * §2.3.1.1): uidnext stays where it was. */
START_TEST(test_deleted_uid_not_reused)
{
	struct box b;
	struct maildir_list list;
	const char *err = NULL;
	box_open(&b);
	free(deliver(&b, "1\n"));
	free(deliver(&b, "2\n"));
	free(deliver(&b, "3\n"));
	scan(&b, &list);
	ck_assert_uint_eq(list.msgs[2].uid, 3);
	ck_assert_int_eq(maildir_delete(b.path, &list.msgs[2], &err), 0);
	maildir_list_free(&list);
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_uint_eq(list.uidnext, 4);
	maildir_list_free(&list);
	free(deliver(&b, "4\n"));
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_uint_eq(list.msgs[2].uid, 4);
	maildir_list_free(&list);
	box_close(&b);
}
END_TEST

START_TEST(test_uidlist_read_and_garbled)
{
	struct box b;
	struct maildir_list list;
	char file[PATH_MAX], text[512];
	box_open(&b);
	char *name = deliver(&b, "m\n");
	snprintf(file, sizeof(file), "%s/maillab-uidlist", b.path);
	snprintf(text, sizeof(text), "V1 12345 10\n7 %s\n", name);
	fixture_write_file(file, text, strlen(text));
	scan(&b, &list);
	ck_assert_uint_eq(list.uidvalidity, 12345);
	ck_assert_uint_eq(list.uidnext, 10);
	ck_assert_uint_eq(list.msgs[0].uid, 7);
	maildir_list_free(&list);
	fixture_write_file(file, "garbage\n", 8);
	time_t before = time(NULL);
	scan(&b, &list);
	ck_assert_uint_ne(list.uidvalidity, 12345);
	ck_assert_uint_ge(list.uidvalidity, (uint32_t)before);
	ck_assert_uint_le(list.uidvalidity, (uint32_t)time(NULL) + 1);
	ck_assert_uint_eq(list.msgs[0].uid, 1);
	ck_assert_uint_eq(list.uidnext, 2);
	maildir_list_free(&list);
	free(name);
	box_close(&b);
}
END_TEST

START_TEST(test_set_flags)
{
	struct box b;
	struct maildir_list list;
	char file[PATH_MAX], expect[NAME_MAX + 8], flags[MAILDIR_FLAGS_MAX + 1];
	const char *err = NULL;
	box_open(&b);
	char *name = deliver(&b, "m\n");
	scan(&b, &list);
	struct maildir_msg *m = &list.msgs[0];
	ck_assert_int_eq(maildir_set_flags(b.path, m, "SFS", &err), 0);
	snprintf(expect, sizeof(expect), "%s:2,FS", name);
	ck_assert_str_eq(m->name, expect);
	maildir_msg_flags(m, flags);
	ck_assert_str_eq(flags, "FS");
	ck_assert(!m->in_new);
	box_file(&b, "cur", expect, file);
	ck_assert_int_eq(access(file, F_OK), 0);
	ck_assert_int_eq(count_entries(&b, "new"), 0);
	/* Unknown letters are refused and nothing changes. */
	ck_assert_int_eq(maildir_set_flags(b.path, m, "s", &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(maildir_set_flags(b.path, m, "S1", &err), -1);
	ck_assert_str_eq(m->name, expect);
	ck_assert_int_eq(access(file, F_OK), 0);
	ck_assert_int_eq(maildir_set_flags(b.path, m, "", &err), 0);
	snprintf(expect, sizeof(expect), "%s:2,", name);
	ck_assert_str_eq(m->name, expect);
	maildir_msg_flags(m, flags);
	ck_assert_str_eq(flags, "");
	ck_assert_int_eq(count_entries(&b, "cur"), 1);
	maildir_list_free(&list);
	free(name);
	box_close(&b);
}
END_TEST

/* Another session read the message (new/ -> cur/) and flagged it after our
 * scan: the read still finds it, and our view follows. */
START_TEST(test_read_after_other_rename)
{
	struct box b;
	struct maildir_list list;
	char from[PATH_MAX], to[PATH_MAX], moved[NAME_MAX + 8];
	const char *err = NULL;
	char *data = NULL;
	size_t len = 0;
	box_open(&b);
	char *name = deliver(&b, "hello\r\nworld\r\n");
	scan(&b, &list);
	box_file(&b, "new", name, from);
	snprintf(moved, sizeof(moved), "%s:2,RS", name);
	box_file(&b, "cur", moved, to);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(maildir_read(b.path, &list.msgs[0], &data, &len, &err), 0);
	ck_assert_uint_eq(len, 12);
	ck_assert_str_eq(data, "hello\nworld\n");
	ck_assert_str_eq(list.msgs[0].name, moved);
	ck_assert(!list.msgs[0].in_new);
	ck_assert_str_eq(fixture_flags(&list.msgs[0]), "RS");
	free(data);
	/* Gone for good: an error, not a crash. */
	ck_assert_int_eq(unlink(to), 0);
	ck_assert_int_eq(maildir_read(b.path, &list.msgs[0], &data, &len, &err), -1);
	ck_assert_ptr_nonnull(err);
	maildir_list_free(&list);
	free(name);
	box_close(&b);
}
END_TEST

START_TEST(test_read_refuses_huge_file)
{
	struct box b;
	char file[PATH_MAX];
	const char *err = NULL;
	char *data = NULL;
	size_t len = 0;
	box_open(&b);
	box_file(&b, "cur", "1700000000.M1P1.host:2,", file);
	int fd = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, MAIL_MESSAGE_MAX + 1), 0);
	close(fd);
	struct maildir_msg m = { .name = strdup("1700000000.M1P1.host:2,") };
	ck_assert_int_eq(maildir_read(b.path, &m, &data, &len, &err), -1);
	ck_assert_str_eq(err, "message too large");
	ck_assert_ptr_null(data);
	free(m.name);
	box_close(&b);
}
END_TEST

START_TEST(test_delete)
{
	struct box b;
	struct maildir_list list;
	char from[PATH_MAX], to[PATH_MAX], moved[NAME_MAX + 8];
	const char *err = NULL;
	box_open(&b);
	char *n1 = deliver(&b, "one\n");
	char *n2 = deliver(&b, "two\n");
	scan(&b, &list);
	ck_assert_int_eq(maildir_delete(b.path, by_unique(&list, n1), &err), 0);
	ck_assert_int_eq(count_entries(&b, "new"), 1);
	/* Renamed by someone else since the scan: found by its unique part. */
	box_file(&b, "new", n2, from);
	snprintf(moved, sizeof(moved), "%s:2,S", n2);
	box_file(&b, "cur", moved, to);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(maildir_delete(b.path, by_unique(&list, n2), &err), 0);
	ck_assert_int_eq(count_entries(&b, "cur"), 0);
	ck_assert_int_eq(count_entries(&b, "new"), 0);
	/* Already gone (expunged by another session): still success. */
	ck_assert_int_eq(maildir_delete(b.path, by_unique(&list, n2), &err), 0);
	maildir_list_free(&list);
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 0);
	maildir_list_free(&list);
	free(n1);
	free(n2);
	box_close(&b);
}
END_TEST

START_TEST(test_folder_path)
{
	static const char *const refused[] = {
		"", "/", "/a", "a/", "a//b", ".", "..", "a/../b", "../x",
		"a.b", ".hidden", "a/.", "a\nb", "tab\there", "del\x7f",
	};
	char *p;
	ck_assert_str_eq(p = maildir_folder_path("/m", "INBOX"), "/m");
	free(p);
	ck_assert_str_eq(p = maildir_folder_path("/m", "inBox"), "/m");
	free(p);
	ck_assert_str_eq(p = maildir_folder_path("/m", "Sent"), "/m/.Sent");
	free(p);
	ck_assert_str_eq(p = maildir_folder_path("/m", "Archive/2026"),
			 "/m/.Archive.2026");
	free(p);
	ck_assert_str_eq(p = maildir_folder_path("/m", "INBOX/Lists"),
			 "/m/.INBOX.Lists");
	free(p);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(maildir_folder_path("/m", refused[i]) == NULL,
			      "accepted \"%s\"", refused[i]);
	ck_assert_ptr_null(maildir_folder_path("/m", NULL));
}
END_TEST

START_TEST(test_clean_tmp)
{
	struct box b;
	const char *err = NULL;
	time_t now = time(NULL);
	box_open(&b);
	put_file(&b, "tmp", "old", "x", now - 37 * 3600);
	put_file(&b, "tmp", "recent", "x", now - 35 * 3600);
	put_file(&b, "tmp", "fresh", "x", now);
	put_file(&b, "new", "1.M1P1.h", "kept\n", now - 40 * 3600);
	ck_assert_int_eq(maildir_clean_tmp(b.path, now, &err), 0);
	ck_assert_int_eq(count_entries(&b, "tmp"), 2);
	char file[PATH_MAX];
	box_file(&b, "tmp", "old", file);
	ck_assert_int_ne(access(file, F_OK), 0);
	box_file(&b, "tmp", "recent", file);
	ck_assert_int_eq(access(file, F_OK), 0);
	ck_assert_int_eq(count_entries(&b, "new"), 1);
	box_close(&b);
}
END_TEST

/* A folder written by Dovecot or mutt: no W= (sizes must be counted), one
 * name without S= and with CRLF inside, one whose S= lies, a Dovecot
 * keyword letter, and stray files that are not messages at all.  New mail
 * is numbered by delivery time, not by name. */
START_TEST(test_foreign_maildir)
{
	struct box b;
	struct maildir_list list;
	const char *err = NULL;
	char *data;
	size_t len;
	box_open(&b);
	put_file(&b, "cur", "1700000000.M1P2.host,S=10:2,S", "0123\n5678\n",
		 1700000000);
	put_file(&b, "cur", "1700000100.M2P2.host:2,FSa", "a\r\nb\n", 1700000100);
	put_file(&b, "new", "1700000050.M3P2.host", "xyz", 1700000050);
	put_file(&b, "cur", "1700000200.M4P2.host,S=99,W=1:2,", "q\n", 1700000200);
	put_file(&b, "new", ".hidden", "no\n", 1700000000);
	put_file(&b, "cur", "README", "no\n", 1700000000);
	put_file(&b, "cur", "1700000300 two words", "no\n", 1700000000);
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 4);
	struct maildir_msg *m = list.msgs;
	ck_assert_str_eq(m[0].name, "1700000000.M1P2.host,S=10:2,S");
	ck_assert_int_eq(m[0].size, 10);
	ck_assert_int_eq(m[0].wire_size, 12);
	ck_assert_str_eq(fixture_flags(&m[0]), "S");
	ck_assert_int_eq(m[0].mtime, 1700000000);
	ck_assert_str_eq(m[1].name, "1700000050.M3P2.host");
	ck_assert(m[1].in_new);
	ck_assert_int_eq(m[1].wire_size, 3);
	ck_assert_str_eq(m[2].name, "1700000100.M2P2.host:2,FSa");
	ck_assert_int_eq(m[2].size, 5);
	ck_assert_int_eq(m[2].wire_size, 6);
	ck_assert_str_eq(fixture_flags(&m[2]), "FS");
	ck_assert_int_eq(m[3].size, 2);
	ck_assert_int_eq(m[3].wire_size, 3);
	for (uint32_t i = 0; i < 4; i++)
		ck_assert_uint_eq(m[i].uid, i + 1);
	ck_assert_int_eq(maildir_read(b.path, &m[2], &data, &len, &err), 0);
	ck_assert_str_eq(data, "a\nb\n");
	/* What the reader sends: every LF as CRLF, exactly wire_size bytes. */
	ck_assert_int_eq((off_t)len + 2, m[2].wire_size);
	free(data);
	maildir_list_free(&list);
	box_close(&b);
}
END_TEST

/* The unique part is the name up to ':', measured and compared in place:
 * a ':' ends it as a NUL does, so a name and a bare unique part (as the
 * UID list holds them) compare as the unique parts alone would. */
START_TEST(test_unique_part)
{
	ck_assert_uint_eq(maildir_unique_len("1700000000.M1P2.host:2,S"), 20);
	ck_assert_uint_eq(maildir_unique_len("1700000000.M1P2.host"), 20);
	ck_assert_uint_eq(maildir_unique_len(":2,S"), 0);
	ck_assert_int_eq(maildir_unique_cmp("a:2,S", "a"), 0);
	ck_assert_int_eq(maildir_unique_cmp("a:2,S", "a:2,FS"), 0);
	ck_assert_int_lt(maildir_unique_cmp("a:2,S", "ab"), 0);
	ck_assert_int_gt(maildir_unique_cmp("ab", "a:2,S"), 0);
	ck_assert_int_lt(maildir_unique_cmp("a,S=1", "a,S=2:2,"), 0);
	ck_assert_int_eq(maildir_unique_cmp("", ":2,"), 0);
}
END_TEST

/* S= and W= at the end of the unique part, just before ":2,", are read
 * as they are anywhere else in it: with S= matching the file, W= is
 * believed (here it lies on purpose, so a count of the file would show).
 * A W= after the ':' is not part of the unique part, and not believed. */
START_TEST(test_sizes_before_flags)
{
	struct box b;
	struct maildir_list list;
	box_open(&b);
	put_file(&b, "cur", "1700000000.M1P2.host,S=2,W=9:2,S", "q\n", 1700000000);
	put_file(&b, "cur", "1700000001.M2P2.host,S=2:2,S,W=9", "q\n", 1700000001);
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(list.msgs[0].size, 2);
	ck_assert_int_eq(list.msgs[0].wire_size, 9);
	ck_assert_int_eq(list.msgs[1].size, 2);
	ck_assert_int_eq(list.msgs[1].wire_size, 3); /* counted in the file */
	maildir_list_free(&list);
	box_close(&b);
}
END_TEST

/* A reader that moves mail with link() then unlink() (as old mutt did)
 * can leave one message in new/ and cur/ at once: it is one message, with
 * one UID, listed from cur/. */
START_TEST(test_same_message_in_new_and_cur)
{
	struct box b;
	struct maildir_list list;
	box_open(&b);
	put_file(&b, "new", "1700000000.M1P2.host", "m\n", 1700000000);
	put_file(&b, "cur", "1700000000.M1P2.host:2,S", "m\n", 1700000000);
	put_file(&b, "new", "1700000001.M2P2.host", "n\n", 1700000001);
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.msgs[0].name, "1700000000.M1P2.host:2,S");
	ck_assert(!list.msgs[0].in_new);
	ck_assert_uint_eq(list.msgs[0].uid, 1);
	ck_assert_uint_eq(list.msgs[1].uid, 2);
	maildir_list_free(&list);
	box_close(&b);
}
END_TEST

/* IMAP APPEND: straight into cur/ with sorted flags and the given
 * INTERNALDATE, UID known on return, other messages keep theirs. */
START_TEST(test_append)
{
	struct box b;
	struct maildir_list list;
	const char *err = NULL;
	uint32_t uid = 0;
	const char *text = "Subject: a\r\n\r\nx\r\n";
	box_open(&b);
	free(deliver(&b, "earlier\n"));
	scan(&b, &list);
	maildir_list_free(&list);
	ck_assert_int_eq(maildir_append(b.path, text, strlen(text), "SD",
					1600000000, &uid, &err), 0);
	ck_assert_uint_eq(uid, 2);
	ck_assert_int_eq(count_entries(&b, "cur"), 1);
	ck_assert_int_eq(count_entries(&b, "tmp"), 0);
	scan(&b, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_uint_eq(list.msgs[0].uid, 1);
	ck_assert_uint_eq(list.msgs[1].uid, 2);
	ck_assert(!list.msgs[1].in_new);
	ck_assert_str_eq(fixture_flags(&list.msgs[1]), "DS");
	ck_assert_int_eq(list.msgs[1].mtime, 1600000000);
	ck_assert_int_eq(list.msgs[1].size, 14);
	ck_assert_int_eq(list.msgs[1].wire_size, 17);
	ck_assert_uint_eq(list.uidnext, 3);
	maildir_list_free(&list);
	ck_assert_int_eq(maildir_append(b.path, "y\n", 2, "x", 0, &uid, &err), -1);
	ck_assert_int_eq(count_entries(&b, "cur"), 1);
	ck_assert_int_eq(maildir_append(b.path, "y\n", 2, NULL, 0, &uid, &err), 0);
	ck_assert_uint_eq(uid, 3);
	box_close(&b);
}
END_TEST

/* maildir_number_new(): mail waiting in new/ without a UID gets one,
 * appended to the UID list (cur/ is not listed); mail numbered already,
 * an empty new/ or none at all number nothing. */
START_TEST(test_number_new)
{
	struct box b;
	struct maildir_list list;
	const char *err = NULL;
	size_t n = 99;
	char file[PATH_MAX];
	struct stat before, after;
	box_open(&b);
	ck_assert_int_eq(maildir_number_new(b.path, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	uint32_t uid;
	ck_assert_int_eq(maildir_append(b.path, "y\n", 2, "S", 0, &uid, &err), 0);
	ck_assert_uint_eq(uid, 1);
	ck_assert_int_eq(maildir_number_new(b.path, &n, &err), 0);
	ck_assert_uint_eq(n, 0); /* cur/ only */
	char *waiting = deliver(&b, "waiting\n");
	box_file(&b, ".", "maillab-uidlist", file);
	ck_assert_int_eq(stat(file, &before), 0);
	ck_assert_msg(maildir_number_new(b.path, &n, &err) == 0, "%s", err);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(stat(file, &after), 0);
	ck_assert_uint_eq(after.st_ino, before.st_ino); /* appended, not rewritten */
	ck_assert_int_eq(maildir_number_new(b.path, &n, &err), 0);
	ck_assert_uint_eq(n, 0); /* numbered already */
	ck_assert_int_eq(maildir_append(b.path, "z\n", 2, NULL, 0, &uid, &err), 0);
	ck_assert_uint_eq(uid, 3);
	scan(&b, &list);
	ck_assert_uint_eq(by_unique(&list, waiting)->uid, 2);
	ck_assert(by_unique(&list, waiting)->in_new); /* numbered, not moved */
	maildir_list_free(&list);
	char *gone = fixture_tmpdir();
	ck_assert_int_eq(maildir_number_new(gone, &n, &err), 0); /* no new/ */
	ck_assert_uint_eq(n, 0);
	fixture_rmtree(gone);
	free(gone);
	free(waiting);
	box_close(&b);
}
END_TEST

/* A folder another program filled, with no UID list yet: adding to it
 * numbers what was there first, oldest first, and the added message
 * last - not UID 1 ahead of older mail. */
START_TEST(test_add_to_unnumbered_folder)
{
	struct box b;
	struct maildir_list list;
	const char *err = NULL;
	size_t n = 0;
	uint32_t uid = 0, validity = 0;
	box_open(&b);
	put_file(&b, "cur", "1000000001.M1P1.old:2,S", "old\n", 1000000001);
	put_file(&b, "new", "1000000002.M1P1.newer", "newer\n", 1000000002);
	ck_assert_msg(maildir_number_new(b.path, &n, &err) == 0, "%s", err);
	ck_assert_uint_eq(n, 2); /* the whole folder, listed once */
	ck_assert_int_eq(maildir_append_keywords(b.path, "x\n", 2, NULL, NULL, 0,
						 &uid, &validity, &err), 0);
	ck_assert_uint_eq(uid, 3);
	scan(&b, &list);
	ck_assert_uint_eq(list.uidvalidity, validity);
	ck_assert_uint_eq(by_unique(&list, "1000000001.M1P1.old")->uid, 1);
	ck_assert_uint_eq(by_unique(&list, "1000000002.M1P1.newer")->uid, 2);
	maildir_list_free(&list);
	/* the same without the new/ step: APPEND alone lists the folder */
	struct box c;
	box_open(&c);
	put_file(&c, "cur", "1000000001.M1P1.old:2,S", "old\n", 1000000001);
	ck_assert_int_eq(maildir_append(c.path, "x\n", 2, NULL, 0, &uid, &err), 0);
	ck_assert_uint_eq(uid, 2);
	scan(&c, &list);
	ck_assert_uint_eq(by_unique(&list, "1000000001.M1P1.old")->uid, 1);
	maildir_list_free(&list);
	box_close(&c);
	box_close(&b);
}
END_TEST

START_TEST(test_scan_not_a_maildir)
{
	struct maildir_list list;
	const char *err = NULL;
	char *dir = fixture_tmpdir();
	ck_assert_int_eq(maildir_scan(dir, &list, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_uint_eq(list.count, 0);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

Suite *maildir_suite(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("store");
	tcase_add_test(tc, test_create_nested_and_again);
	tcase_add_test(tc, test_create_refuses_file_in_place_of_dir);
	tcase_add_test(tc, test_deliver_then_scan);
	tcase_add_test(tc, test_deliver_leaves_tmp_empty);
	tcase_add_test(tc, test_deliver_crlf_stored_as_lf);
	tcase_add_test(tc, test_deliver_without_final_newline);
	tcase_add_test(tc, test_deliver_too_large);
	tcase_add_test(tc, test_two_deliveries_ascending_uids);
	tcase_add_test(tc, test_uids_survive_renames);
	tcase_add_test(tc, test_deleted_uid_not_reused);
	tcase_add_test(tc, test_uidlist_read_and_garbled);
	tcase_add_test(tc, test_set_flags);
	tcase_add_test(tc, test_read_after_other_rename);
	tcase_add_test(tc, test_read_refuses_huge_file);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_folder_path);
	tcase_add_test(tc, test_clean_tmp);
	tcase_add_test(tc, test_foreign_maildir);
	tcase_add_test(tc, test_unique_part);
	tcase_add_test(tc, test_sizes_before_flags);
	tcase_add_test(tc, test_same_message_in_new_and_cur);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_number_new);
	tcase_add_test(tc, test_add_to_unnumbered_folder);
	tcase_add_test(tc, test_scan_not_a_maildir);
	suite_add_tcase(s, tc);
	return s;
}
