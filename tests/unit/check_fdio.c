/*
 * check_fdio.c - fd_write_all(): more than a pipe holds arrives whole and
 * in order while signals cut the writer's write(2) calls short or
 * interrupt them (EINTR), and failures report.
 */
#include "../../common/fdio.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Four times a default pipe's 64 KiB: the writer must block and go on. */
#define BIG (256 * 1024)

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* write_interrupted - the writer: a signal every millisecond, not
 * restarted, so a blocked write(2) returns what it wrote so far or fails
 * with EINTR.  Exit 0: all written and interrupted at least once. */
static void write_interrupted(int fd, const unsigned char *data)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval every = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &every, NULL);
	int r = fd_write_all(fd, data, BIG);
	_exit(r != 0 ? 1 : alarms == 0 ? 2 : 0);
}

START_TEST(larger_than_the_pipe_arrives_whole)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	/* a small pipe: the writer blocks often */
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	unsigned char *out = malloc(BIG), *in = malloc(BIG);
	ck_assert(out != NULL && in != NULL);
	for (size_t i = 0; i < BIG; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	pid_t writer = fork();
	ck_assert_int_ge(writer, 0);
	if (writer == 0) {
		close(p[0]);
		write_interrupted(p[1], out);
	}
	close(p[1]);
	/* read slowly, so that the writer waits on a full pipe */
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	size_t got = 0;
	for (ssize_t n; (n = read(p[0], in + got, 4096)) > 0;) {
		got += (size_t)n;
		nanosleep(&pause, NULL);
	}
	close(p[0]);
	int status;
	ck_assert_int_eq(waitpid(writer, &status, 0), writer);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) != 2, "no signal reached the writer");
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(got, BIG);
	for (size_t i = 0; i < BIG; i++)
		if (in[i] != out[i])
			ck_abort_msg("byte %zu differs", i);
	free(out);
	free(in);
}
END_TEST

START_TEST(a_closed_reader_is_an_error)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	errno = 0;
	ck_assert_int_eq(fd_write_all(p[1], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	signal(SIGPIPE, old);
	close(p[1]);
}
END_TEST

START_TEST(a_bad_descriptor_is_an_error)
{
	errno = 0;
	ck_assert_int_eq(fd_write_all(-1, "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);
	/* nothing to write is not an error, whatever the descriptor */
	ck_assert_int_eq(fd_write_all(-1, "", 0), 0);
}
END_TEST

Suite *fdio_suite(void)
{
	Suite *s = suite_create("fdio");
	TCase *core = tcase_create("Core");
	tcase_add_test(core, larger_than_the_pipe_arrives_whole);
	tcase_add_test(core, a_closed_reader_is_an_error);
	tcase_add_test(core, a_bad_descriptor_is_an_error);
	suite_add_tcase(s, core);
	return s;
}
