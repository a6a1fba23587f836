/*
 * check_smtp_queue.c - the relay side of smtpd without a network: the
 * route table, the queue files, and the RFC 3464 bounce.
 */
#include "../../servers/smtp/smtp_queue.h"
#include "../../servers/smtp/smtp_routes.h"
#include "../../servers/smtp/smtp_runner.h"
#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

START_TEST(route_lines)
{
	char dom[SMTP_DOMAIN_MAX + 1];
	struct smtp_route r;
	const char *error;
	ck_assert_int_eq(smtp_routes_parse_line("# comment\n", dom, &r, &error), 0);
	ck_assert_int_eq(smtp_routes_parse_line("   \n", dom, &r, &error), 0);
	ck_assert_int_eq(smtp_routes_parse_line("example.org  127.0.0.1:20025 # b\n",
						dom, &r, &error), 1);
	ck_assert_str_eq(dom, "example.org");
	ck_assert_str_eq(r.host, "127.0.0.1");
	ck_assert_str_eq(r.port, "20025");
	ck_assert_int_eq(smtp_routes_parse_line("v6.test\t[::1]:25", dom, &r,
						&error), 1);
	ck_assert_str_eq(r.host, "::1");
	ck_assert_int_eq(smtp_routes_parse_line("x.test 127.0.0.1", dom, &r,
						&error), -1);
	ck_assert_int_eq(smtp_routes_parse_line("x.test h:99999", dom, &r,
						&error), -1);
	ck_assert_int_eq(smtp_routes_parse_line("x.test h:1 extra", dom, &r,
						&error), -1);
}
END_TEST

START_TEST(route_lookup)
{
	char *dir = fixture_tmpdir();
	char file[4096];
	snprintf(file, sizeof(file), "%s/routes", dir);
	struct smtp_route r;
	const char *error;
	ck_assert_int_eq(smtp_routes_lookup(file, "b.test", &r, &error), 0);
	const char *table = "*  127.0.0.1:30025\nB.Test 127.0.0.1:20025\n";
	fixture_write_file(file, table, strlen(table));
	ck_assert_int_eq(smtp_routes_lookup(file, "b.test", &r, &error), 1);
	ck_assert_str_eq(r.port, "20025"); /* exact match beats "*" */
	ck_assert_int_eq(smtp_routes_lookup(file, "c.test", &r, &error), 1);
	ck_assert_str_eq(r.port, "30025");
	fixture_write_file(file, "bad\n", 4);
	ck_assert_int_eq(smtp_routes_lookup(file, "b.test", &r, &error), -1);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(queue_files)
{
	char *dir = fixture_tmpdir();
	char q[4096];
	snprintf(q, sizeof(q), "%s/queue", dir);
	struct smtp_envelope *env = calloc(1, sizeof(*env));
	struct smtp_envelope *back = calloc(1, sizeof(*back));
	const char *error;
	strcpy(env->from, "alice@a.test");
	strcpy(env->rcpts[0], "bob@b.test");
	strcpy(env->rcpts[1], "carol@b.test");
	env->nrcpt = 2;
	env->body_8bit = true;
	const char *msg = "Subject: q\r\n\r\nbody\r\n";
	ck_assert_int_eq(smtp_queue_add(q, env, msg, strlen(msg), &error), 0);
	char **ids;
	size_t n;
	ck_assert_int_eq(smtp_queue_ids(q, &ids, &n, &error), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], env->id);
	ck_assert_int_eq(smtp_queue_load(q, ids[0], back, &error), 0);
	ck_assert_str_eq(back->from, "alice@a.test");
	ck_assert_uint_eq(back->nrcpt, 2);
	ck_assert_str_eq(back->rcpts[1], "carol@b.test");
	ck_assert(back->body_8bit && !back->smtputf8);
	ck_assert_int_eq(back->created, env->created);
	char *data;
	size_t len;
	ck_assert_int_eq(smtp_queue_read(q, ids[0], &data, &len, &error), 0);
	ck_assert_str_eq(data, msg);
	free(data);
	/* after an attempt: one recipient left, an error, a later time */
	back->nrcpt = 1;
	back->attempts = 1;
	strcpy(back->last_error, "421 4.3.2 busy");
	ck_assert_int_eq(smtp_queue_save(q, back, &error), 0);
	ck_assert_int_eq(smtp_queue_load(q, ids[0], env, &error), 0);
	ck_assert_uint_eq(env->nrcpt, 1);
	ck_assert_str_eq(env->last_error, "421 4.3.2 busy");
	ck_assert_int_eq(smtp_queue_remove(q, ids[0], &error), 0);
	smtp_queue_ids_free(ids, n);
	ck_assert_int_eq(smtp_queue_ids(q, &ids, &n, &error), 0);
	ck_assert_uint_eq(n, 0);
	smtp_queue_ids_free(ids, n);
	ck_assert_int_eq(smtp_envelope_parse("garbage\n", env, &error), -1);
	free(env);
	free(back);
	fixture_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(bounce_is_rfc3464)
{
	struct smtp_envelope *env = calloc(1, sizeof(*env));
	strcpy(env->id, "123.q");
	strcpy(env->from, "alice@a.test");
	struct smtp_relay_status perm = { 550, "550 5.1.1 <nobody@b.test>: no such user" };
	struct smtp_relay_status temp = { 421, "421 4.4.1 cannot connect" };
	struct smtp_failure f[2] = { { "nobody@b.test", &perm },
				     { "bob@c.test", &temp } };
	const char *data = "Subject: original\r\nFrom: alice@a.test\r\n\r\nsecret body\r\n";
	struct buf out;
	buf_init(&out, 1 << 16);
	ck_assert_int_eq(smtp_bounce_format("mx.a.test", env, data, strlen(data),
					    f, 2, 0, &out), 0);
	const char *m = out.data;
	ck_assert_ptr_nonnull(strstr(m, "To: <alice@a.test>\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "Content-Type: multipart/report; "
				     "report-type=delivery-status;"));
	ck_assert_ptr_nonnull(strstr(m, "Content-Type: message/delivery-status\r\n"
				     "\r\nReporting-MTA: dns; mx.a.test\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "Final-Recipient: rfc822; nobody@b.test\r\n"
				     "Action: failed\r\nStatus: 5.1.1\r\n"
				     "Diagnostic-Code: smtp; 550 5.1.1"));
	ck_assert_ptr_nonnull(strstr(m, "Final-Recipient: rfc822; bob@c.test\r\n"
				     "Action: failed\r\nStatus: 4.4.7\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "text/rfc822-headers\r\n\r\nSubject: "
				     "original\r\nFrom: alice@a.test\r\n"));
	ck_assert_ptr_null(strstr(m, "secret body")); /* headers only */
	ck_assert_ptr_nonnull(strstr(m, "--maillab-dsn-boundary--\r\n"));
	buf_free(&out);
	free(env);
}
END_TEST

Suite *smtp_queue_suite(void)
{
	Suite *s = suite_create("smtp_queue");
	TCase *tc = tcase_create("queue");
	tcase_add_test(tc, route_lines);
	tcase_add_test(tc, route_lookup);
	tcase_add_test(tc, queue_files);
	tcase_add_test(tc, bounce_is_rfc3464);
	suite_add_tcase(s, tc);
	return s;
}
