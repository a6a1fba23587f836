/*
 * check_bench_args.c - the load generator's command line, the names it
 * builds from it, and the message text it sends.
 */
#include "../../bench/lg_args.h"
#include "../../bench/lg_text.h"
#include "../../bench/loadgen.h"

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static struct lg_conf conf;
static char err[256];

/* parse - lg_args_parse() on a NULL-terminated list of words. */
static int parse(const char *first, ...)
{
	char *argv[64] = { "loadgen" };
	int argc = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 63;
	     a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	err[0] = '\0';
	return lg_args_parse(argc, argv, &conf, err, sizeof(err));
}

START_TEST(a_full_command_line)
{
	ck_assert_int_eq(parse("--workload", "pop3", "--port", "10110",
			       "--clients", "64", "--duration", "2.5",
			       "--warmup=0.5", "--tls", "--cafile", "ca.pem",
			       "--user", "u", "--users", "256", "--password",
			       "secret", "--timeout", "30", NULL), 0);
	ck_assert_str_eq(conf.workload->name, "pop3");
	ck_assert_uint_eq(conf.port, 10110);
	ck_assert_uint_eq(conf.clients, 64);
	ck_assert(conf.duration_s == 2.5);
	ck_assert(conf.warmup_s == 0.5);
	ck_assert(conf.tls);
	ck_assert_str_eq(conf.cafile, "ca.pem");
	ck_assert_uint_eq(conf.users, 256);
	ck_assert_str_eq(conf.password, "secret");
	ck_assert_uint_eq(conf.timeout_s, 30);
	ck_assert_uint_eq(conf.count, 0);
}
END_TEST

START_TEST(defaults)
{
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", NULL), 0);
	ck_assert_str_eq(conf.host, "127.0.0.1");
	ck_assert_uint_eq(conf.clients, 1);
	ck_assert(conf.duration_s == 2);
	ck_assert(!conf.tls);
	ck_assert(!conf.no_pipelining);
	ck_assert_uint_eq(conf.size, 4096);
	ck_assert_str_eq(conf.mailbox, "INBOX");
	ck_assert_str_eq(conf.rcpt, "alice@maillab.test");
	ck_assert_uint_eq(conf.timeout_s, LG_TIMEOUT_S);
}
END_TEST

START_TEST(sizes_take_a_suffix)
{
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--size",
			       "1M", NULL), 0);
	ck_assert_uint_eq(conf.size, 1024 * 1024);
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--size",
			       "4K", NULL), 0);
	ck_assert_uint_eq(conf.size, 4096);
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--size",
			       "33M", NULL), -1);
	ck_assert_str_eq(err, "--size: not a number from 0 to 33554432");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--size",
			       "1", NULL), -1);
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--size",
			       "4G", NULL), -1);
}
END_TEST

/* refused - parsing fails with a message that starts with @want. */
static void refused(const char *want)
{
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		      "expected \"%s...\", got \"%s\"", want, err);
}

START_TEST(every_refusal_names_its_option)
{
	ck_assert_int_eq(parse("--port", "25", NULL), -1);
	refused("--workload is required");
	ck_assert_int_eq(parse("--workload", "smtp", NULL), -1);
	refused("--port is required");
	ck_assert_int_eq(parse("--workload", "fetchall", "--port", "1", NULL), -1);
	refused("--workload: unknown workload \"fetchall\"");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "70000", NULL), -1);
	refused("--port: not a number from 1 to 65535");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "-1", NULL), -1);
	refused("--port");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25",
			       "--clients", "0", NULL), -1);
	refused("--clients: not a number from 1 to 4096");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25",
			       "--duration", "soon", NULL), -1);
	refused("--duration: not a number of seconds");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25",
			       "--duration", "1", "--count", "5", NULL), -1);
	refused("--duration and --count exclude each other");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--bogus",
			       NULL), -1);
	refused("unknown option \"--bogus\"");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", NULL), -1);
	refused("--port needs a value");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--tls=yes",
			       NULL), -1);
	refused("--tls takes no value");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "stray",
			       NULL), -1);
	refused("unexpected argument \"stray\"");
	ck_assert_int_eq(parse("--workload", "imap-idle", "--port", "143",
			       "--count", "3", NULL), -1);
	refused("--count: imap-idle holds sessions");
}
END_TEST

START_TEST(text_for_the_wire_is_checked)
{
	/* it goes inside quoted strings and command lines as it is */
	ck_assert_int_eq(parse("--workload", "imap-select", "--port", "143",
			       "--mailbox", "a\"b", NULL), -1);
	refused("--mailbox and --text");
	ck_assert_int_eq(parse("--workload", "imap-select", "--port", "143",
			       "--text", "a\r\nb", NULL), -1);
	ck_assert_int_eq(parse("--workload", "pop3", "--port", "110",
			       "--user", "a b", NULL), -1);
	refused("--user");
	ck_assert_int_eq(parse("--workload", "pop3", "--port", "110",
			       "--password", "", NULL), -1);
	refused("--password");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25",
			       "--rcpt", "nobody", NULL), -1);
	refused("--rcpt");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25",
			       "--rcpt", "@bench.test", NULL), -1);
	ck_assert_int_eq(parse("--workload", "imap-select", "--port", "143",
			       "--mailbox", "Archive/2026", NULL), 0);
}
END_TEST

START_TEST(help)
{
	ck_assert_int_eq(parse("--workload", "smtp", "--help", NULL), 1);
	ck_assert_ptr_nonnull(strstr(lg_args_usage(), "--workload"));
}
END_TEST

START_TEST(users_never_shared_by_two_clients)
{
	/* 8 clients over 256 users: at any moment client i is in its k-th
	 * session; no two clients may hold the same user whatever k each
	 * has reached, and every user is visited */
	ck_assert_int_eq(parse("--workload", "pop3", "--port", "110",
			       "--clients", "8", "--user", "u", "--users",
			       "256", NULL), 0);
	bool seen[256] = { false };
	for (unsigned k = 0; k < 32; k++) {
		for (unsigned i = 0; i < 8; i++) {
			unsigned u = lg_user_index(&conf, i, k);
			ck_assert_uint_lt(u, 256);
			ck_assert_uint_eq(u % 8, i);
			seen[u] = true;
		}
	}
	for (unsigned u = 0; u < 256; u++)
		ck_assert(seen[u]);
	char name[LG_USER_MAX + 1];
	lg_user_name(&conf, 17, name);
	ck_assert_str_eq(name, "u17");
	ck_assert_uint_eq(lg_user_index(&conf, 3, 32), 3); /* wraps around */
}
END_TEST

START_TEST(count_mode_visits_each_user_once)
{
	/* --count N over N users: operation n uses user n */
	ck_assert_int_eq(parse("--workload", "pop3-login", "--port", "110",
			       "--clients", "4", "--count", "12", "--user",
			       "u", "--users", "12", NULL), 0);
	struct lg_run run = { .conf = &conf };
	struct lg_client c = { .run = &run, .index = 2 };
	char name[LG_USER_MAX + 1];
	c.ticket = 7;
	lg_session_user(&c, name);
	ck_assert_str_eq(name, "u7");
	c.ticket = 11;
	lg_session_user(&c, name);
	ck_assert_str_eq(name, "u11");
}
END_TEST

START_TEST(one_user_and_recipients)
{
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", "--user",
			       "big", "--rcpt", "sink@bench.test", "--rcpts",
			       "16", "--no-pipelining", NULL), 0);
	ck_assert(conf.no_pipelining);
	char name[LG_USER_MAX + 1], rcpt[LG_RCPT_MAX + 1];
	ck_assert_uint_eq(lg_user_index(&conf, 5, 9), 0);
	lg_user_name(&conf, 0, name);
	ck_assert_str_eq(name, "big");
	lg_rcpt(&conf, 3, rcpt);
	ck_assert_str_eq(rcpt, "sink3@bench.test");
	lg_rcpt(&conf, 21, rcpt);
	ck_assert_str_eq(rcpt, "sink5@bench.test");
	ck_assert_int_eq(parse("--workload", "smtp", "--port", "25", NULL), 0);
	lg_rcpt(&conf, 21, rcpt);
	ck_assert_str_eq(rcpt, "alice@maillab.test");
}
END_TEST

/* body_ok - @size octets of CRLF lines, none too long, none starting
 * with '.', no CR or LF alone. */
static void body_ok(size_t size)
{
	char *b = lg_text_body(size);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(strlen(b), size);
	size_t start = 0;
	for (size_t i = 0; i < size; i++) {
		if (b[i] == '\r') {
			ck_assert_msg(i + 1 < size && b[i + 1] == '\n',
				      "bare CR at %zu of %zu", i, size);
			continue;
		}
		if (b[i] != '\n')
			continue;
		ck_assert_msg(i > 0 && b[i - 1] == '\r', "bare LF at %zu", i);
		ck_assert_uint_le(i + 1 - start, LG_TEXT_LINE);
		if (i + 1 - start > 2)
			ck_assert_int_ne(b[start], '.');
		start = i + 1;
	}
	ck_assert_uint_eq(start, size); /* ends with a whole line */
	free(b);
}

START_TEST(message_bodies)
{
	static const size_t sizes[] = { 0, 2, 3, 77, 78, 79, 80, 156, 157,
					4096, 1024 * 1024 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		body_ok(sizes[i]);
	ck_assert_ptr_null(lg_text_body(1));
}
END_TEST

START_TEST(message_headers)
{
	char h[512];
	size_t n = lg_text_header(h, sizeof(h), "sink3@bench.test", 3, 41);
	ck_assert_uint_eq(n, strlen(h));
	ck_assert_ptr_nonnull(strstr(h, "To: <sink3@bench.test>\r\n"));
	ck_assert_ptr_nonnull(strstr(h, "Message-ID: <3.41@loadgen.client.test>"));
	ck_assert(n > 4 && strcmp(h + n - 4, "\r\n\r\n") == 0);
	ck_assert_uint_eq(lg_text_header(h, 40, "x@y", 0, 0), 0);
}
END_TEST

Suite *bench_args_suite(void)
{
	Suite *s = suite_create("bench_args");
	TCase *c = tcase_create("Options");
	tcase_add_test(c, a_full_command_line);
	tcase_add_test(c, defaults);
	tcase_add_test(c, sizes_take_a_suffix);
	tcase_add_test(c, every_refusal_names_its_option);
	tcase_add_test(c, text_for_the_wire_is_checked);
	tcase_add_test(c, help);
	suite_add_tcase(s, c);
	c = tcase_create("Names");
	tcase_add_test(c, users_never_shared_by_two_clients);
	tcase_add_test(c, count_mode_visits_each_user_once);
	tcase_add_test(c, one_user_and_recipients);
	suite_add_tcase(s, c);
	c = tcase_create("Text");
	tcase_add_test(c, message_bodies);
	tcase_add_test(c, message_headers);
	suite_add_tcase(s, c);
	return s;
}
