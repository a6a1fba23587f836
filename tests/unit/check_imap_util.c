/*
 * check_imap_util.c - the small pure pieces of imapd: modified UTF-7
 * (RFC 3501 §5.1.3), sequence sets (RFC 9051 §9), IMAP dates.
 */
#include "../../servers/imap/imap_date.h"
#include "../../servers/imap/imap_mutf7.h"
#include "../../servers/imap/imap_seqset.h"

#include <check.h>
#include <string.h>

/* round_trip - UTF-8 encodes to @mutf7 and decodes back. */
static void round_trip(const char *utf8, const char *mutf7)
{
	char enc[256], dec[256];
	ck_assert_int_eq(imap_mutf7_encode(utf8, enc, sizeof(enc)), 0);
	ck_assert_str_eq(enc, mutf7);
	ck_assert_int_eq(imap_mutf7_decode(mutf7, dec, sizeof(dec)), 0);
	ck_assert_str_eq(dec, utf8);
}

START_TEST(mutf7_round_trips)
{
	round_trip("INBOX", "INBOX");
	round_trip("Entw\xc3\xbcrfe", "Entw&APw-rfe");
	/* RFC 3501 §5.1.3's example */
	round_trip("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		   "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	round_trip("Tom & Jerry", "Tom &- Jerry");
	round_trip("\xf0\x9f\x93\xa7 mail", "&2D3c5w- mail"); /* surrogates */
	round_trip("", "");
}
END_TEST

START_TEST(mutf7_refuses_other_spellings)
{
	static const char *const bad[] = {
		"&AGE-",        /* "a" encoded: printable ASCII must be direct */
		"&AOQ-&APY-",   /* two runs in a row: one run is the spelling */
		"&APw",         /* never closed */
		"&APx-",        /* leftover bits not zero */
		"&2D0-",        /* a lone high surrogate */
		"&-&",          /* '&' at the end */
		"caf\xc3\xa9",  /* raw 8-bit */
		"&;-",          /* not base64 */
	};
	char out[64];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(imap_mutf7_decode(bad[i], out, sizeof(out)) < 0,
			      "accepted %s", bad[i]);
	ck_assert_int_lt(imap_mutf7_encode("caf\xc3", out, sizeof(out)), 0);
	ck_assert_int_lt(imap_mutf7_encode("Entw\xc3\xbcrfe", out, 6), 0);
}
END_TEST

START_TEST(seqsets)
{
	struct imap_seqset set;
	const char *error;
	ck_assert_int_eq(imap_seqset_parse("4:2,7,10:*", 12, &set, &error), 0);
	ck_assert(set.has_star);
	static const unsigned in[] = { 2, 3, 4, 7, 10, 11, 12 };
	static const unsigned out[] = { 1, 5, 6, 8, 9, 13 };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert(imap_seqset_contains(&set, in[i]));
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		ck_assert(!imap_seqset_contains(&set, out[i]));
	ck_assert_uint_eq(imap_seqset_max(&set), 12);
	imap_seqset_free(&set);
	/* RFC 9051 §6.4.9: 559:* includes the last UID even if lower */
	ck_assert_int_eq(imap_seqset_parse("559:*", 40, &set, &error), 0);
	ck_assert(imap_seqset_contains(&set, 40));
	imap_seqset_free(&set);
	static const char *const bad[] = { "", "0", "1:0", "1,", ",1", "1::2",
					   "a", "4294967296", "1 2", "*:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(imap_seqset_parse(bad[i], 5, &set, &error) < 0,
			      "accepted \"%s\"", bad[i]);
	struct buf b;
	static const uint32_t nums[] = { 3, 4, 5, 9, 11, 12 };
	buf_init(&b, 256);
	imap_seqset_format(nums, 6, &b);
	ck_assert_str_eq(b.data, "3:5,9,11:12");
	buf_free(&b);
}
END_TEST

START_TEST(dates)
{
	time_t t;
	long day, day2;
	/* RFC 9051 §9 date-time, with its zone */
	ck_assert_int_eq(imap_date_time_parse("17-Jul-1996 02:44:25 -0700", &t), 0);
	ck_assert_int_eq((long)t, 837596665L);
	ck_assert_int_eq(imap_date_time_parse(" 7-Jul-1996 02:44:25 +0000", &t), 0);
	ck_assert_int_lt(imap_date_time_parse("17-Jul-1996 25:44:25 -0700", &t), 0);
	ck_assert_int_lt(imap_date_time_parse("17-Jly-1996 02:44:25 -0700", &t), 0);
	struct buf b;
	buf_init(&b, 64);
	imap_date_time_put(837596665, &b);
	ck_assert_str_eq(b.data, "\"17-Jul-1996 09:44:25 +0000\"");
	buf_free(&b);
	ck_assert_int_eq(imap_date_parse("1-Feb-1994", &day), 0);
	ck_assert_int_eq(imap_date_parse("01-feb-1994", &day2), 0);
	ck_assert_int_eq(day, day2);
	ck_assert_int_eq(day, imap_date_day(760104000)); /* 1994-02-01 12:00 */
	ck_assert_int_lt(imap_date_parse("29-Feb-2023", &day), 0);
	ck_assert_int_eq(imap_date_parse("29-Feb-2024", &day), 0);
	/* RFC 5322 dates, with and without the weekday, old 2-digit year */
	ck_assert_int_eq(imap_date_rfc5322("Tue, 1 Feb 1994 23:59:00 -1200", &day2), 0);
	ck_assert_int_eq(imap_date_parse("1-Feb-1994", &day), 0);
	ck_assert_int_eq(day, day2);
	ck_assert_int_eq(imap_date_rfc5322("1 Feb 94 10:00 GMT", &day2), 0);
	ck_assert_int_eq(day, day2);
	ck_assert_int_lt(imap_date_rfc5322("yesterday", &day2), 0);
}
END_TEST

Suite *imap_util_suite(void)
{
	Suite *s = suite_create("imap_util");
	TCase *tc = tcase_create("util");
	tcase_add_test(tc, mutf7_round_trips);
	tcase_add_test(tc, mutf7_refuses_other_spellings);
	tcase_add_test(tc, seqsets);
	tcase_add_test(tc, dates);
	suite_add_tcase(s, tc);
	return s;
}
