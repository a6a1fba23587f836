/*
 * check_imap_mime.c - the MIME parser and what FETCH builds from it:
 * BODYSTRUCTURE of multipart and nested messages, ENVELOPE with groups,
 * RFC 2231 parameters, and BODY[section] of every kind.
 *
 * The expected strings are written out by hand from RFC 9051 §7.5.2 and
 * §9 (body, envelope); the sizes are of the CRLF form.
 */
#include "../../servers/imap/imap_mime.h"
#include "check_imap.h"

/* A message with a preamble, a text part, an attachment whose name is
 * split and percent-encoded (RFC 2231), and a forwarded message that is
 * itself multipart/alternative. */
static const char nested[] =
	"From: A <a@x.test>\n"
	"To: Team: b@x.test, \"C D\" <c@x.test>;\n"
	"Subject: nested\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\n"
	"\n"
	"preamble\n"
	"--outer\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"\n"
	"Hello\n"
	"--outer\n"
	"Content-Type: application/octet-stream; name*0*=utf-8''r%C3%A9sum;\n"
	" name*1=\".pdf\"\n"
	"Content-Transfer-Encoding: base64\n"
	"Content-Disposition: attachment; filename=\"a.pdf\"\n"
	"\n"
	"AAAA\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: Inner <i@x.test>\n"
	"Subject: inner\n"
	"Content-Type: multipart/alternative; boundary=inner\n"
	"\n"
	"--inner\n"
	"Content-Type: text/plain\n"
	"\n"
	"plain\n"
	"--inner\n"
	"Content-Type: text/html\n"
	"\n"
	"<p>html</p>\n"
	"--inner--\n"
	"--outer--\n"
	"epilogue\n";

#define INNER_ENVELOPE \
	"(NIL \"inner\" ((\"Inner\" NIL \"i\" \"x.test\")) " \
	"((\"Inner\" NIL \"i\" \"x.test\")) ((\"Inner\" NIL \"i\" \"x.test\")) " \
	"NIL NIL NIL NIL NIL)"

static const char nested_bodystructure[] =
	"((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 "
	"NIL NIL NIL NIL)"
	"(\"application\" \"octet-stream\" (\"name\" {10}\r\nr\xc3\xa9sum.pdf) "
	"NIL NIL \"base64\" 4 NIL (\"attachment\" (\"filename\" \"a.pdf\")) "
	"NIL NIL)"
	"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 197 " INNER_ENVELOPE " "
	"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1 "
	"NIL NIL NIL NIL)"
	"(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1 "
	"NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL) "
	"13 NIL NIL NIL NIL) "
	"\"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)";

/* wire - the CRLF form, as FETCH sees a message. */
static char *wire(const char *msg, size_t *len_r)
{
	size_t n = strlen(msg), k = 0;
	char *w = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		if (msg[i] == '\n')
			w[k++] = '\r';
		w[k++] = msg[i];
	}
	w[k] = '\0';
	*len_r = k;
	return w;
}

static void setup(void)
{
	imap_setup();
}

static void teardown(void)
{
	imap_teardown();
}

START_TEST(bodystructure_nested)
{
	size_t len;
	char *w = wire(nested, &len);
	struct imap_mime m;
	struct buf out;
	ck_assert_int_eq(imap_mime_parse(w, len, &m), 0);
	buf_init(&out, 1 << 16);
	imap_bodystructure_put(&m, 0, true, &out);
	ck_assert_str_eq(out.data, nested_bodystructure);
	/* BODY: the same without extension data */
	buf_reset(&out);
	imap_bodystructure_put(&m, m.parts[0].first_child, false, &out);
	ck_assert_str_eq(out.data, "(\"text\" \"plain\" (\"charset\" \"utf-8\") "
			 "NIL NIL \"7bit\" 5 1)");
	buf_free(&out);
	imap_mime_free(&m);
	free(w);
}
END_TEST

START_TEST(envelope_with_group)
{
	size_t len;
	char *w = wire(nested, &len);
	struct imap_mime m;
	struct buf out;
	ck_assert_int_eq(imap_mime_parse(w, len, &m), 0);
	buf_init(&out, 1 << 16);
	imap_envelope_put(&m, 0, &out);
	/* RFC 9051 §7.5.2: a group is a start and an end marker */
	ck_assert_str_eq(out.data,
		"(NIL \"nested\" ((\"A\" NIL \"a\" \"x.test\")) "
		"((\"A\" NIL \"a\" \"x.test\")) ((\"A\" NIL \"a\" \"x.test\")) "
		"((NIL NIL \"Team\" NIL)(NIL NIL \"b\" \"x.test\")"
		"(\"C D\" NIL \"c\" \"x.test\")(NIL NIL NIL NIL)) "
		"NIL NIL NIL NIL)");
	buf_free(&out);
	imap_mime_free(&m);
	free(w);
}
END_TEST

START_TEST(addresses_in_odd_forms)
{
	static const char msg[] =
		"From: \"Smith, John\" (the boss) <john@x.test>\n"
		"Sender: <@relay.test:bounce@x.test>\n"
		"Reply-To: nobody\n"
		"To: undisclosed-recipients:;\n"
		"Cc: plain@x.test (Plain Person), \"q\\\"uote\" <q@x.test>\n"
		"Subject: =?utf-8?q?caf=C3=A9?=\n"
		"\n"
		"body\n";
	size_t len;
	char *w = wire(msg, &len);
	struct imap_mime m;
	struct buf out;
	ck_assert_int_eq(imap_mime_parse(w, len, &m), 0);
	buf_init(&out, 1 << 16);
	imap_envelope_put(&m, 0, &out);
	ck_assert_str_eq(out.data,
		"(NIL \"=?utf-8?q?caf=C3=A9?=\" "
		"((\"Smith, John\" NIL \"john\" \"x.test\")) "
		"((NIL \"@relay.test\" \"bounce\" \"x.test\")) "
		"((NIL NIL \"nobody\" \"MISSING_DOMAIN\")) "
		"((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
		"((NIL NIL \"plain\" \"x.test\")(\"q\\\"uote\" NIL \"q\" \"x.test\")) "
		"NIL NIL NIL)");
	buf_free(&out);
	imap_mime_free(&m);
	free(w);
}
END_TEST

START_TEST(digest_and_depth_limit)
{
	/* multipart/digest: parts without Content-Type are messages */
	static const char digest[] =
		"Content-Type: multipart/digest; boundary=d\n\n"
		"--d\n\nSubject: one\n\nbody one\n--d--\n";
	size_t len;
	char *w = wire(digest, &len);
	struct imap_mime m;
	struct buf out;
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(imap_mime_parse(w, len, &m), 0);
	ck_assert_uint_eq(m.parts[0].nchildren, 1);
	const struct imap_part *p = &m.parts[m.parts[0].first_child];
	ck_assert_str_eq(p->type, "message");
	ck_assert_str_eq(p->subtype, "rfc822");
	ck_assert_int_ge(p->message, 0);
	imap_mime_free(&m);
	free(w);
	/* far deeper than IMAP_MIME_DEPTH_MAX: parsed to the limit, the
	 * rest opaque, and still a valid BODYSTRUCTURE */
	struct buf deep;
	buf_init(&deep, 1 << 20);
	for (int i = 0; i < 100; i++)
		buf_printf(&deep, "Content-Type: multipart/mixed; boundary=b%d\n"
			   "\n--b%d\n", i, i);
	buf_puts(&deep, "\nleaf\n");
	w = wire(deep.data, &len);
	ck_assert_int_eq(imap_mime_parse(w, len, &m), 0);
	ck_assert_uint_le(m.count, IMAP_MIME_DEPTH_MAX + 2);
	imap_bodystructure_put(&m, 0, true, &out);
	ck_assert_uint_gt(out.len, 0);
	imap_mime_free(&m);
	free(w);
	buf_free(&deep);
	buf_free(&out);
}
END_TEST

START_TEST(fetch_sections)
{
	struct chat c;
	imap_deliver("mrc", "INBOX", nested);
	imap_deliver("mrc", "INBOX", "Subject: single\n\nonly body\n");
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	expect(&c, "a FETCH 1 BODY.PEEK[1]",
	       "* 1 FETCH (BODY[1] {5}\r\nHello)\r\na OK FETCH completed\r\n");
	expect(&c, "b FETCH 1 BODY.PEEK[3.1]",
	       "* 1 FETCH (BODY[3.1] {5}\r\nplain)\r\nb OK FETCH completed\r\n");
	expect(&c, "c FETCH 1 BODY.PEEK[3.2.MIME]",
	       "* 1 FETCH (BODY[3.2.MIME] {27}\r\nContent-Type: text/html\r\n"
	       "\r\n)\r\nc OK FETCH completed\r\n");
	expect(&c, "d FETCH 1 BODY.PEEK[3.HEADER.FIELDS (subject)]",
	       "* 1 FETCH (BODY[3.HEADER.FIELDS (SUBJECT)] {18}\r\n"
	       "Subject: inner\r\n\r\n)\r\nd OK FETCH completed\r\n");
	expect(&c, "e FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (From To MIME-Version "
	       "Content-Type)]",
	       "* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO MIME-VERSION "
	       "CONTENT-TYPE)] {19}\r\nSubject: nested\r\n\r\n)\r\n"
	       "e OK FETCH completed\r\n");
	/* a part that does not exist, HEADER of a part that is no message */
	expect(&c, "f FETCH 1 (BODY.PEEK[4] BODY.PEEK[1.HEADER])",
	       "* 1 FETCH (BODY[4] NIL BODY[1.HEADER] NIL)\r\n"
	       "f OK FETCH completed\r\n");
	/* partial: <origin.octets>, the answer names the origin; body data
	 * is always sent as a literal */
	expect(&c, "g FETCH 1 BODY.PEEK[3.TEXT]<2.5>",
	       "* 1 FETCH (BODY[3.TEXT]<2> {5}\r\ninner)\r\ng OK FETCH completed\r\n");
	expect(&c, "h FETCH 1 BODY.PEEK[1]<99.5>",
	       "* 1 FETCH (BODY[1]<99> {0}\r\n)\r\nh OK FETCH completed\r\n");
	/* a message that is not multipart has one part: its body */
	expect(&c, "i FETCH 2 (BODY.PEEK[1] BODY.PEEK[1.MIME] RFC822.HEADER)",
	       "* 2 FETCH (BODY[1] {11}\r\nonly body\r\n BODY[1.MIME] "
	       "{19}\r\nSubject: single\r\n\r\n RFC822.HEADER "
	       "{19}\r\nSubject: single\r\n\r\n)\r\ni OK FETCH completed\r\n");
	expect(&c, "j FETCH 2 RFC822.TEXT",
	       "* 2 FETCH (RFC822.TEXT {11}\r\nonly body\r\n FLAGS (\\Seen "
	       "\\Recent))\r\nj OK FETCH completed\r\n");
	expect(&c, "k FETCH 2 BODY[TEXT]<0.0>", "k BAD usage: FETCH set "
	       "(item ...), items such as FLAGS UID ENVELOPE BODY.PEEK[HEADER] "
	       "BODY[1]<0.100>\r\n");
	expect(&c, "l UID FETCH 2 FLAGS",
	       "* 2 FETCH (FLAGS (\\Seen \\Recent) UID 2)\r\n"
	       "l OK UID FETCH completed\r\n");
	chat_close(&c);
}
END_TEST

Suite *imap_mime_suite(void)
{
	Suite *s = suite_create("imap_mime");
	TCase *tc = tcase_create("mime");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bodystructure_nested);
	tcase_add_test(tc, envelope_with_group);
	tcase_add_test(tc, addresses_in_odd_forms);
	tcase_add_test(tc, digest_and_depth_limit);
	tcase_add_test(tc, fetch_sections);
	suite_add_tcase(s, tc);
	return s;
}
