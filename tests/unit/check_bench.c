/*
 * check_bench.c - the load generator's counting and its reading of
 * replies: the latency histogram and its percentiles, the merging of
 * per-client counts, and every reply line it must recognise or refuse.
 */
#include "../../bench/lg_parse.h"
#include "../../bench/lg_stats.h"

#include <check.h>
#include <string.h>

START_TEST(small_latencies_are_exact)
{
	struct lg_hist h;
	lg_hist_init(&h);
	for (uint64_t us = 1; us <= 50; us++)
		lg_hist_add(&h, us);
	ck_assert_uint_eq(h.count, 50);
	ck_assert_uint_eq(h.min_us, 1);
	ck_assert_uint_eq(h.max_us, 50);
	ck_assert_uint_eq(h.sum_us, 50 * 51 / 2);
	/* nearest rank: the 25th of 50 samples is 25 */
	ck_assert_uint_eq(lg_hist_percentile(&h, 50), 25);
	ck_assert_uint_eq(lg_hist_percentile(&h, 99), 50);
	ck_assert_uint_eq(lg_hist_percentile(&h, 100), 50);
	ck_assert_uint_eq(lg_hist_percentile(&h, 0), 1);
}
END_TEST

START_TEST(buckets_cover_every_value_once)
{
	/* each bucket starts where the one before ends, and a value falls
	 * in the bucket whose range holds it */
	for (unsigned b = 1; b < LG_HIST_BUCKETS; b++)
		ck_assert_uint_gt(lg_hist_bucket_low(b), lg_hist_bucket_low(b - 1));
	static const uint64_t samples[] = {
		0, 1, 63, 64, 65, 127, 128, 1000, 4095, 4096, 999999,
		123456789, 1ull << 40,
	};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		uint64_t v = samples[i];
		unsigned b = lg_hist_bucket(v);
		ck_assert_uint_le(lg_hist_bucket_low(b), v);
		if (b + 1 < LG_HIST_BUCKETS)
			ck_assert_uint_gt(lg_hist_bucket_low(b + 1), v);
	}
	/* beyond the last octave: the last bucket, not out of bounds */
	ck_assert_uint_eq(lg_hist_bucket(UINT64_MAX), LG_HIST_BUCKETS - 1);
}
END_TEST

START_TEST(large_latencies_within_one_bucket)
{
	/* 1000 samples from 1 ms to 1 s: p50 is about 500 ms, p99 990 ms,
	 * each within 1/32 of the true value */
	struct lg_hist h;
	lg_hist_init(&h);
	for (uint64_t i = 1; i <= 1000; i++)
		lg_hist_add(&h, i * 1000);
	uint64_t p50 = lg_hist_percentile(&h, 50);
	uint64_t p99 = lg_hist_percentile(&h, 99);
	ck_assert_uint_ge(p50, 500000 - 500000 / 32);
	ck_assert_uint_le(p50, 500000 + 500000 / 32);
	ck_assert_uint_ge(p99, 990000 - 990000 / 32);
	ck_assert_uint_le(p99, 990000 + 990000 / 32);
	ck_assert_uint_eq(lg_hist_percentile(&h, 100), 1000000);
}
END_TEST

START_TEST(empty_histogram)
{
	struct lg_hist h;
	lg_hist_init(&h);
	ck_assert_uint_eq(lg_hist_percentile(&h, 50), 0);
	struct lg_counts c;
	lg_counts_init(&c);
	ck_assert(lg_counts_rate(&c) == 0);
	ck_assert(lg_counts_byte_rate(&c) == 0);
}
END_TEST

START_TEST(merged_counts_add_up)
{
	/* two clients: one did 3 operations, the other 1 and two errors;
	 * the run spans from the first start to the last end */
	struct lg_counts a, b, t;
	lg_counts_init(&a);
	lg_counts_init(&b);
	lg_counts_op(&a, 1000000, 1000100);
	lg_counts_op(&a, 1000100, 1000300);
	lg_counts_op(&a, 1000300, 1500000);
	lg_counts_op(&b, 1200000, 2000000);
	a.bytes = 3000000;
	b.bytes = 1000000;
	b.errors = 2;
	a.done = 3;
	b.done = 1;
	lg_counts_init(&t);
	lg_counts_merge(&t, &a);
	lg_counts_merge(&t, &b);
	ck_assert_uint_eq(t.ops, 4);
	ck_assert_uint_eq(t.done, 4);
	ck_assert_uint_eq(t.errors, 2);
	ck_assert_uint_eq(t.lat.count, 4);
	ck_assert_uint_eq(t.first_us, 1000000);
	ck_assert_uint_eq(t.last_us, 2000000);
	ck_assert_double_eq_tol(lg_counts_rate(&t), 4.0, 1e-9);
	ck_assert_double_eq_tol(lg_counts_byte_rate(&t), 4e6, 1e-3);
	ck_assert_uint_eq(t.lat.max_us, 800000);
	ck_assert_uint_eq(t.lat.min_us, 100);
}
END_TEST

START_TEST(smtp_reply_lines)
{
	int code;
	bool last;
	ck_assert_int_eq(lg_smtp_line("250-PIPELINING", 14, &code, &last), 0);
	ck_assert_int_eq(code, 250);
	ck_assert(!last);
	ck_assert_int_eq(lg_smtp_line("250 OK", 6, &code, &last), 0);
	ck_assert(last);
	ck_assert_int_eq(lg_smtp_line("354", 3, &code, &last), 0);
	ck_assert_int_eq(code, 354);
	ck_assert(last);
	ck_assert_int_eq(lg_smtp_line("550 5.1.1 no", 12, &code, &last), 0);
	ck_assert_int_eq(code, 550);
	/* not replies: short, letters, a code out of range, no separator */
	ck_assert_int_eq(lg_smtp_line("25", 2, &code, &last), -1);
	ck_assert_int_eq(lg_smtp_line("OK 250", 6, &code, &last), -1);
	ck_assert_int_eq(lg_smtp_line("150 x", 5, &code, &last), -1);
	ck_assert_int_eq(lg_smtp_line("250x", 4, &code, &last), -1);
}
END_TEST

START_TEST(ehlo_keywords)
{
	ck_assert(lg_smtp_ehlo_has("250-PIPELINING", 14, "PIPELINING"));
	ck_assert(lg_smtp_ehlo_has("250 pipelining", 14, "PIPELINING"));
	ck_assert(lg_smtp_ehlo_has("250-SIZE 10485760", 17, "SIZE"));
	/* another keyword that starts the same, the greeting line, short */
	ck_assert(!lg_smtp_ehlo_has("250-SIZEX", 9, "SIZE"));
	ck_assert(!lg_smtp_ehlo_has("250-mail.test Hello", 19, "PIPELINING"));
	ck_assert(!lg_smtp_ehlo_has("250", 3, "SIZE"));
}
END_TEST

START_TEST(pop3_status_and_stat)
{
	ck_assert_int_eq(lg_pop3_status("+OK", 3), 1);
	ck_assert_int_eq(lg_pop3_status("+OK 2 320", 9), 1);
	ck_assert_int_eq(lg_pop3_status("-ERR [IN-USE] locked", 20), 0);
	ck_assert_int_eq(lg_pop3_status("+OKAY", 5), -1);
	ck_assert_int_eq(lg_pop3_status("* OK", 4), -1);
	unsigned long n;
	unsigned long long octets;
	ck_assert_int_eq(lg_pop3_stat("+OK 1000 4567890", &n, &octets), 0);
	ck_assert_uint_eq(n, 1000);
	ck_assert_uint_eq(octets, 4567890);
	ck_assert_int_eq(lg_pop3_stat("+OK 0 0 extra", &n, &octets), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(lg_pop3_stat("+OK maildrop ready", &n, &octets), -1);
	ck_assert_int_eq(lg_pop3_stat("+OK 5", &n, &octets), -1);
	ck_assert_int_eq(lg_pop3_stat("-ERR 1 2", &n, &octets), -1);
	/* RFC 1939 §3: "." ends the body; ".." is a stuffed "." */
	ck_assert_int_eq(lg_pop3_data_len(".", 1), -1);
	ck_assert_int_eq(lg_pop3_data_len("..", 2), 1);
	ck_assert_int_eq(lg_pop3_data_len(".profile", 8), 7);
	ck_assert_int_eq(lg_pop3_data_len("", 0), 0);
	ck_assert_int_eq(lg_pop3_data_len("Subject: x", 10), 10);
}
END_TEST

START_TEST(imap_response_kinds)
{
	ck_assert_int_eq(lg_imap_kind("* 3 EXISTS", 10, "a1"), LG_IMAP_UNTAGGED);
	ck_assert_int_eq(lg_imap_kind("+ Ready", 7, "a1"), LG_IMAP_CONTINUATION);
	ck_assert_int_eq(lg_imap_kind("+", 1, "a1"), LG_IMAP_CONTINUATION);
	ck_assert_int_eq(lg_imap_kind("a1 OK done", 10, "a1"), LG_IMAP_OK);
	ck_assert_int_eq(lg_imap_kind("a1 ok done", 10, "a1"), LG_IMAP_OK);
	ck_assert_int_eq(lg_imap_kind("a1 NO [TRYCREATE] x", 19, "a1"), LG_IMAP_NO);
	ck_assert_int_eq(lg_imap_kind("a1 BAD", 6, "a1"), LG_IMAP_BAD);
	/* another command's tag, a tag that only starts the same, junk */
	ck_assert_int_eq(lg_imap_kind("a2 OK done", 10, "a1"), LG_IMAP_OTHER);
	ck_assert_int_eq(lg_imap_kind("a12 OK done", 11, "a1"), LG_IMAP_OTHER);
	ck_assert_int_eq(lg_imap_kind("a1 OKAY", 7, "a1"), LG_IMAP_OTHER);
	ck_assert_int_eq(lg_imap_kind("*3 EXISTS", 9, "a1"), LG_IMAP_OTHER);
}
END_TEST

START_TEST(imap_literals)
{
	const char *l = "* 1 FETCH (BODY[] {1234}";
	ck_assert_int_eq(lg_imap_literal(l, strlen(l)), 1234);
	l = "a1 APPEND INBOX {42+}";
	ck_assert_int_eq(lg_imap_literal(l, strlen(l)), 42);
	l = "* 1 FETCH (BODY[] {0}";
	ck_assert_int_eq(lg_imap_literal(l, strlen(l)), 0);
	l = "* OK [UIDNEXT 5] {predicted}";
	ck_assert_int_eq(lg_imap_literal(l, strlen(l)), -1);
	l = "* 1 FETCH (FLAGS (\\Seen))";
	ck_assert_int_eq(lg_imap_literal(l, strlen(l)), -1);
	ck_assert_int_eq(lg_imap_literal("{}", 2), -1);
	ck_assert_int_eq(lg_imap_literal("{+}", 3), -1);
	ck_assert_int_eq(lg_imap_literal("5}", 2), -1);
	/* the line after a literal may announce the next one at once */
	ck_assert_int_eq(lg_imap_literal("{5}", 3), 5);
	l = "* X {99999999999}";
	ck_assert_int_eq(lg_imap_literal(l, strlen(l)), -1); /* too many digits */
}
END_TEST

START_TEST(imap_numbered_and_search)
{
	const char *word;
	const char *l = "* 10000 EXISTS";
	ck_assert_int_eq(lg_imap_numbered(l, strlen(l), &word), 10000);
	ck_assert_str_eq(word, "EXISTS");
	l = "* 7 FETCH (FLAGS (\\Seen) UID 7)";
	ck_assert_int_eq(lg_imap_numbered(l, strlen(l), &word), 7);
	ck_assert(strncmp(word, "FETCH", 5) == 0);
	l = "* OK [UNSEEN 3]";
	ck_assert_int_eq(lg_imap_numbered(l, strlen(l), &word), -1);
	l = "* 5";
	ck_assert_int_eq(lg_imap_numbered(l, strlen(l), &word), -1);
	l = "* SEARCH 2 84 882";
	ck_assert_int_eq(lg_imap_search_count(l, strlen(l)), 3);
	l = "* SEARCH";
	ck_assert_int_eq(lg_imap_search_count(l, strlen(l)), 0);
	l = "* SEARCH ";
	ck_assert_int_eq(lg_imap_search_count(l, strlen(l)), 0);
	l = "* SEARCHES 1";
	ck_assert_int_eq(lg_imap_search_count(l, strlen(l)), -1);
	l = "* SEARCH 1 x";
	ck_assert_int_eq(lg_imap_search_count(l, strlen(l)), -1);
	l = "* 3 EXISTS";
	ck_assert_int_eq(lg_imap_search_count(l, strlen(l)), -1);
}
END_TEST

Suite *bench_suite(void)
{
	Suite *s = suite_create("bench");
	TCase *c = tcase_create("Counting");
	tcase_add_test(c, small_latencies_are_exact);
	tcase_add_test(c, buckets_cover_every_value_once);
	tcase_add_test(c, large_latencies_within_one_bucket);
	tcase_add_test(c, empty_histogram);
	tcase_add_test(c, merged_counts_add_up);
	suite_add_tcase(s, c);
	c = tcase_create("Replies");
	tcase_add_test(c, smtp_reply_lines);
	tcase_add_test(c, ehlo_keywords);
	tcase_add_test(c, pop3_status_and_stat);
	tcase_add_test(c, imap_response_kinds);
	tcase_add_test(c, imap_literals);
	tcase_add_test(c, imap_numbered_and_search);
	suite_add_tcase(s, c);
	return s;
}
