/*
 * check_linebuf.c - line framing: fed one byte at a time, CR without LF,
 * bare LF, over-long lines and resynchronisation, NUL bytes, literals.
 */
#include "../../common/buf.h"
#include "../../common/linebuf.h"

#include <check.h>
#include <string.h>

static struct linebuf lb;

static void setup(void)
{
	ck_assert_int_eq(linebuf_init(&lb, 16), 0);
}

static void teardown(void)
{
	linebuf_free(&lb);
}

/* next_line - the next line as a string, or NULL if none is complete. */
static const char *next_line(unsigned *flags)
{
	char *line;
	size_t len;
	unsigned f = 0;
	enum linebuf_result r = linebuf_next(&lb, &line, &len, &f);
	if (flags)
		*flags = f;
	return r == LINEBUF_LINE ? line : NULL;
}

START_TEST(byte_at_a_time)
{
	const char *in = "USER alice\r\nPASS x\r\n";
	for (size_t i = 0; i < strlen(in); i++) {
		linebuf_feed(&lb, in + i, 1);
		if (in[i] == '\n')
			break;
		ck_assert_ptr_null(next_line(NULL));
	}
	unsigned flags;
	ck_assert_str_eq(next_line(&flags), "USER alice");
	ck_assert_uint_eq(flags, 0);
	linebuf_feed(&lb, in + 12, strlen(in) - 12);
	ck_assert_str_eq(next_line(NULL), "PASS x");
	ck_assert_ptr_null(next_line(NULL));
}
END_TEST

START_TEST(bare_lf_is_reported)
{
	unsigned flags;
	linebuf_feed(&lb, "NOOP\n", 5);
	ck_assert_str_eq(next_line(&flags), "NOOP");
	ck_assert_uint_eq(flags, LINEBUF_BARE_LF);
}
END_TEST

START_TEST(cr_alone_does_not_end_a_line)
{
	linebuf_feed(&lb, "A\rB\r\n", 5);
	char *line;
	size_t len;
	unsigned flags;
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags), LINEBUF_LINE);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(line, "A\rB", 3);
}
END_TEST

START_TEST(exactly_the_maximum_is_accepted)
{
	/* 14 characters + CRLF = 16 octets = the limit */
	linebuf_feed(&lb, "ABCDEFGHIJKLMN\r\n", 16);
	ck_assert_str_eq(next_line(NULL), "ABCDEFGHIJKLMN");
}
END_TEST

START_TEST(too_long_then_resync)
{
	char *line;
	size_t len;
	unsigned flags;
	/* 15 characters + CRLF = 17 octets: one too many */
	linebuf_feed(&lb, "ABCDEFGHIJKLMNO\r\nNOOP\r\n", 23);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags),
			 LINEBUF_TOO_LONG);
	ck_assert_str_eq(next_line(NULL), "NOOP");
}
END_TEST

START_TEST(too_long_without_lf_skips_until_lf)
{
	char *line;
	size_t len;
	unsigned flags;
	for (int i = 0; i < 100; i++)
		linebuf_feed(&lb, "xxxxxxxxxx", 10);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags),
			 LINEBUF_TOO_LONG);
	/* more of the same line is skipped silently */
	linebuf_feed(&lb, "yyyy", 4);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags),
			 LINEBUF_NEED_MORE);
	linebuf_feed(&lb, "zz\r\nQUIT\r\n", 10);
	ck_assert_str_eq(next_line(NULL), "QUIT");
}
END_TEST

START_TEST(nul_bytes_are_kept_and_counted)
{
	char *line;
	size_t len;
	unsigned flags;
	linebuf_feed(&lb, "AB\0CD\r\n", 7);
	ck_assert_int_eq(linebuf_next(&lb, &line, &len, &flags), LINEBUF_LINE);
	ck_assert_uint_eq(len, 5);
	ck_assert_uint_eq(strlen(line), 2);
}
END_TEST

START_TEST(take_and_discard)
{
	const char *data;
	linebuf_feed(&lb, "{3}\r\nabcNEXT\r\n", 14);
	ck_assert_str_eq(next_line(NULL), "{3}");
	ck_assert_uint_eq(linebuf_take(&lb, 3, &data), 3);
	ck_assert_mem_eq(data, "abc", 3);
	ck_assert_uint_eq(linebuf_pending(&lb), 6);
	ck_assert_uint_eq(linebuf_discard(&lb), 6);
	ck_assert_ptr_null(next_line(NULL));
}
END_TEST

START_TEST(buf_respects_its_maximum)
{
	struct buf b;
	buf_init(&b, 8);
	ck_assert_int_eq(buf_puts(&b, "12345"), 0);
	ck_assert_int_eq(buf_printf(&b, "%d", 678), 0);
	ck_assert_str_eq(b.data, "12345678");
	ck_assert_int_eq(buf_puts(&b, "9"), -1);
	ck_assert(b.overflow);
	ck_assert_uint_eq(b.len, 8);
	buf_reset(&b);
	ck_assert(!b.overflow);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

Suite *linebuf_suite(void)
{
	Suite *s = suite_create("linebuf");
	TCase *core = tcase_create("Core");
	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, byte_at_a_time);
	tcase_add_test(core, bare_lf_is_reported);
	tcase_add_test(core, cr_alone_does_not_end_a_line);
	tcase_add_test(core, nul_bytes_are_kept_and_counted);
	tcase_add_test(core, take_and_discard);
	tcase_add_test(core, buf_respects_its_maximum);
	suite_add_tcase(s, core);
	TCase *limits = tcase_create("Limits");
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_test(limits, exactly_the_maximum_is_accepted);
	tcase_add_test(limits, too_long_then_resync);
	tcase_add_test(limits, too_long_without_lf_skips_until_lf);
	suite_add_tcase(s, limits);
	return s;
}
