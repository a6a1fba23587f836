/*
 * check_flush.c - the group flush (servers/core/flush.c): a wait returns
 * only after a flush that finished after it was asked for, processes
 * share one page, a leader that died is replaced (its pid is not what
 * tells), a failed flush fails
 * everybody it may have covered, and a Maildir delivery through a group
 * lands where an fsync'ed one does.
 */
#include "../../servers/core/flush.h"
#include "../../servers/core/maildir.h"
#include "fixture.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir;
static struct flush_group *g;

static void setup(void)
{
	dir = fixture_tmpdir();
	const char *error = NULL;
	g = flush_group_new(dir, &error);
	ck_assert_msg(g != NULL, "flush_group_new: %s", error);
}

static void teardown(void)
{
	flush_group_free(g);
	fixture_rmtree(dir);
	free(dir);
}

/* write_file - a small file in the test directory, its descriptor open */
static int write_file(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "text\n", 5), 5);
	return fd;
}

START_TEST(alone_a_wait_runs_one_flush)
{
	ck_assert_uint_eq(flush_group_count(g), 0);
	int fd = write_file("a");
	bool led = false;
	ck_assert_int_eq(flush_group_wait(g, &led), 0);
	ck_assert(led);
	ck_assert_uint_eq(flush_group_count(g), 1);
	ck_assert_int_eq(flush_group_wait(g, &led), 0);
	ck_assert_uint_eq(flush_group_count(g), 2);
	close(fd);
}
END_TEST

START_TEST(covers_its_file_system_only)
{
	int fd = write_file("b");
	ck_assert(flush_group_covers(g, fd));
	close(fd);
	/* /proc is a file system of its own */
	fd = open("/proc/self/status", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert(!flush_group_covers(g, fd));
	ck_assert(!flush_group_covers(NULL, fd));
	close(fd);
}
END_TEST

/* A flush held "running" by another process: it holds the lock and has
 * counted flush 1 as started, until told to let go. */
struct held {
	pid_t pid;
	int go;      /* write a byte here: the holder lets go and exits */
};

static struct held hold_a_flush(struct flush_shared *s)
{
	int ready[2], go[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char c = 0;
		pthread_mutex_lock(&s->lock);
		s->started = 1;
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		pthread_mutex_unlock(&s->lock);
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	return (struct held){ pid, go[1] };
}

/* end_the_held_flush - 50 ms later, flush 1 ends (failed with @error, if
 * not 0) and its leader lets go. */
static void end_the_held_flush(struct flush_shared *s, struct held h, int error)
{
	struct timespec later = { 0, 50 * 1000000L };
	nanosleep(&later, NULL);
	if (error != 0) {
		s->failed_errno = error;
		__atomic_store_n(&s->failed, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(write(h.go, "x", 1), 1);
	close(h.go);
	int status;
	ck_assert_int_eq(waitpid(h.pid, &status, 0), h.pid);
	/* it wakes nobody: a waiter finds the lock free at its next look
	 * (WAIT_MS), as after a leader that never said it was done */
}

static void assert_exited_0(pid_t pid)
{
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

/* A flush that was already running when a process asked does not end its
 * wait: the process runs a flush of its own after it. */
START_TEST(a_running_flush_does_not_count)
{
	struct flush_shared *s = flush_group_shared(g);
	struct held holder = hold_a_flush(s);
	pid_t waiter = fork();
	ck_assert_int_ge(waiter, 0);
	if (waiter == 0) {
		bool led = false;
		int r = flush_group_wait(g, &led);
		/* flush 1 was running: ours is 2, run by us */
		_exit(r == 0 && led && flush_group_count(g) == 2 ? 0 : 1);
	}
	end_the_held_flush(s, holder, 0);
	assert_exited_0(waiter);
}
END_TEST

/* A leader killed in the middle of its flush: the lock is robust, so the
 * next waiter takes it over (EOWNERDEAD) and runs a flush of its own. */
START_TEST(a_dead_leader_is_replaced)
{
	struct flush_shared *s = flush_group_shared(g);
	pid_t dead = fork();
	ck_assert_int_ge(dead, 0);
	if (dead == 0) {
		pthread_mutex_lock(&s->lock);
		s->started = 1;   /* flush 1 will never finish */
		_exit(0);
	}
	assert_exited_0(dead);
	bool led = false;
	ck_assert_int_eq(flush_group_wait(g, &led), 0);
	ck_assert(led);
	ck_assert_uint_eq(flush_group_count(g), 2);
	/* and the lock is free again */
	ck_assert_int_eq(pthread_mutex_trylock(&s->lock), 0);
	pthread_mutex_unlock(&s->lock);
}
END_TEST

/* A flush that failed after a process asked fails that process too. */
START_TEST(a_failed_flush_fails_its_waiters)
{
	struct flush_shared *s = flush_group_shared(g);
	struct held holder = hold_a_flush(s);
	pid_t waiter = fork();
	ck_assert_int_ge(waiter, 0);
	if (waiter == 0) {
		int r = flush_group_wait(g, NULL);
		_exit(r < 0 && errno == EIO ? 0 : 1);
	}
	end_the_held_flush(s, holder, EIO);
	assert_exited_0(waiter);
	/* one that asks afterwards is not failed by it */
	ck_assert_int_eq(flush_group_wait(g, NULL), 0);
}
END_TEST

/* Eight processes wait at once, again and again: every wait ends after
 * a flush that finished after it began, and each one's files are there. */
#define PROCS 8
#define ROUNDS 25
START_TEST(processes_share_the_flushes)
{
	pid_t pids[PROCS];
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] != 0)
			continue;
		int bad = 0;
		for (int r = 0; r < ROUNDS; r++) {
			char name[32];
			snprintf(name, sizeof(name), "p%d-%d", p, r);
			int fd = write_file(name);
			close(fd);
			unsigned before = flush_group_count(g);
			if (flush_group_wait(g, NULL) < 0 ||
			    flush_group_count(g) == before)
				bad++;
		}
		_exit(bad);
	}
	for (int p = 0; p < PROCS; p++)
		assert_exited_0(pids[p]);
	unsigned n = flush_group_count(g);
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, PROCS * ROUNDS);
	/* nobody kept the lock */
	ck_assert_int_eq(pthread_mutex_trylock(&flush_group_shared(g)->lock), 0);
	pthread_mutex_unlock(&flush_group_shared(g)->lock);
}
END_TEST

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(a_maildir_delivery_through_the_group)
{
	char md[4096], sub[4200];
	snprintf(md, sizeof(md), "%s/Maildir", dir);
	const char *error = NULL;
	ck_assert_int_eq(maildir_create(md, &error), 0);
	maildir_set_flush(g);
	char *name = NULL;
	int r = maildir_deliver(md, "Subject: x\r\n\r\nbody\r\n", 21, &name,
				&error);
	maildir_set_flush(NULL);
	ck_assert_msg(r == 0, "deliver: %s", error);
	/* one flush for the text, one for the rename */
	ck_assert_uint_eq(flush_group_count(g), 2);
	snprintf(sub, sizeof(sub), "%s/new", md);
	ck_assert_int_eq(count_dir(sub), 1);
	snprintf(sub, sizeof(sub), "%s/tmp", md);
	ck_assert_int_eq(count_dir(sub), 0);
	free(name);
	/* without the group: fsyncs, and no flush */
	ck_assert_int_eq(maildir_deliver(md, "a\r\n", 3, NULL, &error), 0);
	ck_assert_uint_eq(flush_group_count(g), 2);
}
END_TEST

Suite *flush_suite(void)
{
	Suite *s = suite_create("flush");
	TCase *t = tcase_create("flush");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, alone_a_wait_runs_one_flush);
	tcase_add_test(t, covers_its_file_system_only);
	tcase_add_test(t, a_running_flush_does_not_count);
	tcase_add_test(t, a_dead_leader_is_replaced);
	tcase_add_test(t, a_failed_flush_fails_its_waiters);
	tcase_add_test(t, processes_share_the_flushes);
	tcase_add_test(t, a_maildir_delivery_through_the_group);
	suite_add_tcase(s, t);
	return s;
}
