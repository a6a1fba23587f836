/*
 * check_imap_search.c - every SEARCH key of RFC 3501 §6.4.4 (and RFC 9051
 * §6.4.4) against five messages whose flags, dates, sizes and headers are
 * chosen so that each key selects a different set.
 *
 *   1  from alice, "Lunch", sent and received Feb 1994, \Seen, "pizza"
 *   2  from bob to carol cc dave, "Re: Lunch", Mar 2020, \Flagged
 *      \Answered, a UTF-8 body
 *   3  from Smith bcc eve, "Report", sent 15 Jun 2024, received 16 Jun,
 *      \Deleted \Draft, 2000 octets
 *   4  no Date field, received 1 Jan 2025, X-Priority
 *   5  sent 1 Jan 2025 23:30 -1200 (2 Jan in UTC), two X-Tag fields
 */
#include "check_imap.h"

#include <time.h>

static time_t at(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
			 .tm_hour = 12 };
	return timegm(&tm);
}

static void setup(void)
{
	char big[2200];
	imap_setup();
	imap_append_at("mrc", "INBOX",
		       "From: Alice <alice@x.test>\nSubject: Lunch\n"
		       "Date: Tue, 01 Feb 1994 10:00:00 +0000\n\npizza?\n",
		       "S", at(1994, 2, 2));
	imap_append_at("mrc", "INBOX",
		       "From: bob@x.test\nTo: Carol <carol@x.test>\n"
		       "Cc: dave@x.test\nSubject: Re: Lunch\n"
		       "Date: Tue, 10 Mar 2020 10:00:00 +0000\n\n"
		       "Caf\xc3\xa9 at noon\n", "FR", at(2020, 3, 10));
	int n = snprintf(big, sizeof(big), "From: \"Smith\" <s@x.test>\n"
			 "Bcc: eve@x.test\nSubject: Report\n"
			 "Date: 15 Jun 2024 22:00:00 +0000\n\n");
	memset(big + n, 'x', 2000);
	strcpy(big + n + 2000, "\n");
	imap_append_at("mrc", "INBOX", big, "DT", at(2024, 6, 16));
	imap_append_at("mrc", "INBOX", "From: x@x.test\nX-Priority: 1\n\nno date\n",
		       "", at(2025, 1, 1));
	imap_append_at("mrc", "INBOX",
		       "From: y@x.test\nX-Tag: one\nX-Tag: two\n"
		       "Date: Wed, 1 Jan 2025 23:30:00 -1200\n\ntags\n",
		       "", at(2025, 1, 1));
}

static void teardown(void)
{
	imap_teardown();
}

/* found - "SEARCH <keys>" answers exactly these numbers. */
static void found(struct chat *c, const char *keys, const char *numbers)
{
	char line[512], want[512];
	snprintf(line, sizeof(line), "s SEARCH %s", keys);
	snprintf(want, sizeof(want), "* SEARCH%s%s\r\ns OK SEARCH completed\r\n",
		 *numbers ? " " : "", numbers);
	ck_assert_msg(strcmp(say(c, line), want) == 0, "SEARCH %s\nwanted: %s"
		      "got:    %s", keys, want, c->out.data);
}

START_TEST(flag_keys)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	found(&c, "ALL", "1 2 3 4 5");
	found(&c, "ANSWERED", "2");
	found(&c, "UNANSWERED", "1 3 4 5");
	found(&c, "DELETED", "3");
	found(&c, "UNDELETED", "1 2 4 5");
	found(&c, "DRAFT", "3");
	found(&c, "UNDRAFT", "1 2 4 5");
	found(&c, "FLAGGED", "2");
	found(&c, "UNFLAGGED", "1 3 4 5");
	found(&c, "SEEN", "1");
	found(&c, "UNSEEN", "2 3 4 5");
	/* this session was the first: every message is \Recent for it */
	found(&c, "RECENT", "1 2 3 4 5");
	found(&c, "NEW", "2 3 4 5");
	found(&c, "OLD", "");
	expect(&c, "k STORE 2,4 +FLAGS.SILENT ($Work)",
	       "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
	       "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
	       "\\Draft $Work \\*)] Flags permitted\r\nk OK STORE completed\r\n");
	found(&c, "KEYWORD $Work", "2 4");
	found(&c, "UNKEYWORD $work", "1 3 5");
	found(&c, "KEYWORD $Nothing", "");
	/* a second session: nothing is recent for it (RFC 3501 §2.3.2) */
	struct chat b;
	chat_open(&b, false);
	chat_login(&b, "mrc", "secret", "INBOX");
	found(&b, "RECENT", "");
	found(&b, "OLD", "1 2 3 4 5");
	found(&b, "UNRECENT", "1 2 3 4 5");
	chat_close(&b);
	chat_close(&c);
}
END_TEST

START_TEST(date_and_size_keys)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	found(&c, "BEFORE 1-Jan-2025", "1 2 3");
	found(&c, "ON 1-Jan-2025", "4 5");
	found(&c, "SINCE 16-Jun-2024", "3 4 5");
	/* the Date: field, in its own zone; INTERNALDATE without one */
	found(&c, "SENTON 15-Jun-2024", "3");
	found(&c, "ON 15-Jun-2024", "");
	found(&c, "SENTBEFORE 16-Jun-2024", "1 2 3");
	found(&c, "SENTSINCE 1-Jan-2025", "4 5");
	found(&c, "SENTON 1-Jan-2025", "4 5");
	found(&c, "LARGER 1000", "3");
	found(&c, "SMALLER 1000", "1 2 4 5");
	chat_close(&c);
}
END_TEST

START_TEST(text_keys)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	found(&c, "FROM alice", "1");
	found(&c, "FROM SMITH", "3");
	found(&c, "TO carol", "2");
	found(&c, "CC dave", "2");
	found(&c, "BCC eve", "3");
	found(&c, "SUBJECT lunch", "1 2");
	found(&c, "SUBJECT \"re: lunch\"", "2");
	/* every field of the name counts; "" matches any such field */
	found(&c, "HEADER X-Tag two", "5");
	found(&c, "HEADER X-Priority \"\"", "4");
	found(&c, "BODY pizza", "1");
	found(&c, "BODY Report", "");
	found(&c, "TEXT Report", "3");
	found(&c, "CHARSET UTF-8 BODY {5+}\r\nCaf\xc3\xa9", "2");
	chat_close(&c);
}
END_TEST

START_TEST(combinations_and_sets)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	found(&c, "NOT SEEN", "2 3 4 5");
	found(&c, "OR FLAGGED DELETED", "2 3");
	found(&c, "OR (FROM alice) (FROM bob)", "1 2");
	found(&c, "NOT (OR SEEN FLAGGED)", "3 4 5");
	found(&c, "1:* DELETED", "3");
	found(&c, "2:4", "2 3 4");
	found(&c, "*", "5");
	found(&c, "2,4:*", "2 4 5");
	found(&c, "UID 3:*", "3 4 5");
	found(&c, "UNSEEN UNDELETED SMALLER 1000", "2 4 5");
	expect(&c, "u UID SEARCH SUBJECT lunch",
	       "* SEARCH 1 2\r\nu OK UID SEARCH completed\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(encodings_are_decoded)
{
	/* RFC 2047 words, quoted-printable, base64 and Latin-1: SEARCH sees
	 * the text as a reader does */
	imap_append_at("mrc", "Enc",
		       "Subject: =?utf-8?q?caf=C3=A9?= =?utf-8?b?YXUgbGFpdA==?=\n"
		       "Content-Type: text/plain; charset=utf-8\n"
		       "Content-Transfer-Encoding: quoted-printable\n\n"
		       "Viele Gr=C3=BC=C3=9Fe, sch=\n"
		       "=C3=B6n\n", "", at(2025, 1, 1));
	imap_append_at("mrc", "Enc",
		       "Subject: plain\nMIME-Version: 1.0\n"
		       "Content-Type: multipart/mixed; boundary=b\n\n"
		       "--b\nContent-Type: text/plain; charset=iso-8859-1\n"
		       "Content-Transfer-Encoding: base64\n\n"
		       "Q2Fm6SBub2ly\n"                 /* "Café noir" */
		       "--b\nContent-Type: application/octet-stream\n\n"
		       "secret attachment words\n--b--\n", "", at(2025, 1, 1));
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "Enc");
	found(&c, "CHARSET UTF-8 SUBJECT {12+}\r\ncaf\xc3\xa9" "au lait", "1");
	found(&c, "CHARSET UTF-8 BODY {7+}\r\nGr\xc3\xbc\xc3\x9f" "e", "1");
	found(&c, "CHARSET UTF-8 BODY {6+}\r\nsch\xc3\xb6n", "1");
	found(&c, "CHARSET UTF-8 TEXT {5+}\r\nCaf\xc3\xa9", "1 2");
	found(&c, "BODY noir", "2");
	/* attachments that are not text are not searched */
	found(&c, "BODY attachment", "");
	chat_close(&c);
}
END_TEST

START_TEST(refused_searches)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	expect(&c, "a SEARCH FOO", "a BAD unknown search key\r\n");
	expect(&c, "b SEARCH CHARSET KOI8-R ALL", "b NO [BADCHARSET (US-ASCII "
	       "UTF-8)] unsupported charset\r\n");
	expect(&c, "c SEARCH BEFORE 31-Feb-2020", "c BAD a search date looks "
	       "like 1-Feb-1994\r\n");
	expect(&c, "d SEARCH OR ALL", "d BAD NOT and OR need search keys "
	       "after them\r\n");
	expect(&c, "e SEARCH ()", "e BAD a list of search keys may not be "
	       "empty\r\n");
	expect(&c, "f SEARCH FROM", "f BAD a search key is missing its "
	       "argument\r\n");
	expect(&c, "g SEARCH LARGER many", "g BAD LARGER and SMALLER take a "
	       "number of octets\r\n");
	/* NOT NOT NOT ... deeper than any search needs */
	struct buf in;
	buf_init(&in, 1 << 16);
	buf_puts(&in, "h SEARCH");
	for (int i = 0; i < 200; i++)
		buf_puts(&in, " NOT");
	buf_puts(&in, " ALL");
	expect(&c, in.data, "h BAD search keys nested too deeply\r\n");
	buf_free(&in);
	chat_close(&c);
}
END_TEST

Suite *imap_search_suite(void)
{
	Suite *s = suite_create("imap_search");
	TCase *tc = tcase_create("search");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, flag_keys);
	tcase_add_test(tc, date_and_size_keys);
	tcase_add_test(tc, text_keys);
	tcase_add_test(tc, combinations_and_sets);
	tcase_add_test(tc, encodings_are_decoded);
	tcase_add_test(tc, refused_searches);
	suite_add_tcase(s, tc);
	return s;
}
