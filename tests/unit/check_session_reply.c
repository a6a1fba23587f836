/*
 * check_session_reply.c - replies to a pipelining client
 * (session_reply() in servers/core/session.c), over a socketpair: a
 * reply is held while the client's next command is already buffered,
 * and goes out with the next one in a single write; it is sent at once
 * when no complete line waits (nothing may be held while the session
 * could block), when the session does not read on (STARTTLS, QUIT, ...),
 * and when the held replies reach SESSION_HOLD_MAX.
 */
#include "../../common/buf.h"
#include "../../common/netio.h"
#include "../../servers/core/session.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int pair[2];   /* [0]: the server's end, [1]: the client's */
static struct netio *io;
static struct buf out;

static void setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	io = netio_new(pair[0], 512, 5);
	ck_assert_ptr_nonnull(io);
	buf_init(&out, 64 * 1024);
}

static void teardown(void)
{
	netio_free(io); /* closes pair[0] */
	close(pair[1]);
	buf_free(&out);
}

/* client_sends - what the client wrote, all at once. */
static void client_sends(const char *text)
{
	ck_assert_int_eq(write(pair[1], text, strlen(text)),
			 (ssize_t)strlen(text));
}

/* server_reads - the server's next line, which must be @want. */
static void server_reads(const char *want)
{
	char *line;
	size_t len;
	unsigned flags;
	ck_assert_int_eq(netio_read_line(io, &line, &len, &flags), NETIO_OK);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(line, want, len) == 0);
}

/* client_receives - what one read on the client's end returns, without
 * waiting ("" if nothing has been sent). */
static const char *client_receives(void)
{
	static char got[SESSION_HOLD_MAX * 2];
	ssize_t n = recv(pair[1], got, sizeof(got) - 1, MSG_DONTWAIT);
	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		n = 0;
	}
	got[n] = '\0';
	return got;
}

START_TEST(batch_leaves_in_one_write)
{
	client_sends("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	server_reads("MAIL FROM:<a@b>");
	buf_puts(&out, "250 2.1.0 ok\r\n");
	ck_assert_int_eq(session_reply(io, &out, true), 0);
	ck_assert_str_eq(client_receives(), ""); /* held: RCPT is here */
	server_reads("RCPT TO:<c@d>");
	buf_puts(&out, "250 2.1.5 ok\r\n");
	ck_assert_int_eq(session_reply(io, &out, true), 0);
	ck_assert_str_eq(client_receives(), "");
	server_reads("DATA");
	buf_puts(&out, "354 go on\r\n");
	ck_assert_int_eq(session_reply(io, &out, true), 0);
	/* nothing more to read: all three leave, in order, together */
	ck_assert_str_eq(client_receives(),
			 "250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go on\r\n");
	ck_assert_uint_eq(out.len, 0);
}
END_TEST

START_TEST(one_command_is_answered_at_once)
{
	client_sends("NOOP\r\n");
	server_reads("NOOP");
	buf_puts(&out, "+OK\r\n");
	ck_assert_int_eq(session_reply(io, &out, true), 0);
	ck_assert_str_eq(client_receives(), "+OK\r\n");
}
END_TEST

START_TEST(part_of_a_line_does_not_hold)
{
	/* the rest of "STAT" may never come before the client hears back:
	 * the next read could block, so the reply goes now */
	client_sends("NOOP\r\nST");
	server_reads("NOOP");
	buf_puts(&out, "+OK\r\n");
	ck_assert_int_eq(session_reply(io, &out, true), 0);
	ck_assert_str_eq(client_receives(), "+OK\r\n");
}
END_TEST

START_TEST(held_replies_leave_at_the_limit)
{
	client_sends("a NOOP\r\nb NOOP\r\n");
	server_reads("a NOOP");
	for (size_t i = 0; i < SESSION_HOLD_MAX / 8; i++)
		buf_puts(&out, "* 1 OK\r\n"); /* 8 octets each */
	ck_assert_int_eq(session_reply(io, &out, true), 0);
	ck_assert_uint_eq(strlen(client_receives()), SESSION_HOLD_MAX);
	ck_assert_uint_eq(out.len, 0);
}
END_TEST

START_TEST(session_send_never_holds)
{
	client_sends("QUIT\r\nNOOP\r\n");
	server_reads("QUIT");
	buf_puts(&out, "221 bye\r\n");
	ck_assert_int_eq(session_send(io, &out), 0);
	ck_assert_str_eq(client_receives(), "221 bye\r\n");
}
END_TEST

START_TEST(not_reading_on_never_holds)
{
	/* STARTTLS with a command behind it: the 220 must go before the
	 * handshake, whatever is buffered */
	client_sends("STARTTLS\r\nRSET\r\n");
	server_reads("STARTTLS");
	buf_puts(&out, "220 go ahead\r\n");
	ck_assert_int_eq(session_reply(io, &out, false), 0);
	ck_assert_str_eq(client_receives(), "220 go ahead\r\n");
}
END_TEST

Suite *session_reply_suite(void)
{
	Suite *s = suite_create("session_reply");
	TCase *t = tcase_create("session_reply");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, batch_leaves_in_one_write);
	tcase_add_test(t, one_command_is_answered_at_once);
	tcase_add_test(t, part_of_a_line_does_not_hold);
	tcase_add_test(t, held_replies_leave_at_the_limit);
	tcase_add_test(t, session_send_never_holds);
	tcase_add_test(t, not_reading_on_never_holds);
	suite_add_tcase(s, t);
	return s;
}
