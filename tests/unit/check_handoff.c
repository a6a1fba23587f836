/*
 * check_handoff.c - passing a connected socket to another process's
 * end of a socketpair (servers/core/handoff.c): the descriptor arrives as
 * a working copy, the description arrives whole, a closed pair reads as
 * "let go", and a message of the wrong size is refused.
 */
#include "../../servers/core/handoff.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct info {
	unsigned long session;
	char peer[16];
};

static int pair[2];

static void setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    pair), 0);
}

static void teardown(void)
{
	close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
}

START_TEST(descriptor_and_description_arrive)
{
	int conn[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	struct info sent = { 42, "127.0.0.1:5555" }, got;
	ck_assert_int_eq(handoff_send(pair[0], conn[0], &sent, sizeof(sent)), 0);
	/* the sender may close its copy at once: the message holds one */
	close(conn[0]);
	int fd = -1;
	ck_assert_int_eq(handoff_recv(pair[1], &fd, &got, sizeof(got)), 1);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(got.session, 42);
	ck_assert_str_eq(got.peer, "127.0.0.1:5555");
	/* a new descriptor, close-on-exec, on the same connection */
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(write(fd, "220 hi\r\n", 8), 8);
	char buf[16] = "";
	ck_assert_int_eq(read(conn[1], buf, sizeof(buf)), 8);
	ck_assert_int_eq(memcmp(buf, "220 hi\r\n", 8), 0);
	close(fd);
	close(conn[1]);
}
END_TEST

START_TEST(closed_pair_means_exit)
{
	struct info got;
	int fd = -1;
	close(pair[0]);
	pair[0] = open("/dev/null", O_RDONLY); /* for teardown */
	ck_assert_int_eq(handoff_recv(pair[1], &fd, &got, sizeof(got)), 0);
	ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(send_to_a_gone_process_fails)
{
	int conn[2];
	struct info sent = { 1, "x" };
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	close(pair[1]);
	pair[1] = -1;
	ck_assert_int_eq(handoff_send(pair[0], conn[0], &sent, sizeof(sent)), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(conn[0]);
	close(conn[1]);
}
END_TEST

START_TEST(wrong_size_is_refused_and_closed)
{
	int conn[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	char small[4] = "abc";
	ck_assert_int_eq(handoff_send(pair[0], conn[0], small, sizeof(small)), 0);
	close(conn[0]);
	struct info got;
	int fd = -1;
	ck_assert_int_eq(handoff_recv(pair[1], &fd, &got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(fd, -1);
	/* the copy that arrived was closed: the peer sees end of file */
	char c;
	ck_assert_int_eq(read(conn[1], &c, 1), 0);
	close(conn[1]);
}
END_TEST

START_TEST(no_descriptor_is_refused)
{
	struct info sent = { 7, "y" }, got;
	ck_assert_int_eq(send(pair[0], &sent, sizeof(sent), 0),
			 (ssize_t)sizeof(sent));
	int fd = -1;
	ck_assert_int_eq(handoff_recv(pair[1], &fd, &got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EPROTO);
}
END_TEST

Suite *handoff_suite(void)
{
	Suite *s = suite_create("handoff");
	TCase *t = tcase_create("handoff");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, descriptor_and_description_arrive);
	tcase_add_test(t, closed_pair_means_exit);
	tcase_add_test(t, send_to_a_gone_process_fails);
	tcase_add_test(t, wrong_size_is_refused_and_closed);
	tcase_add_test(t, no_descriptor_is_refused);
	suite_add_tcase(s, t);
	return s;
}
