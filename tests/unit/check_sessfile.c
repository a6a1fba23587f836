/*
 * check_sessfile.c - the session-file parser and matcher: the documented
 * example, every marker, every error with its line number, and the
 * patterns.
 */
#include "../../shell/sessfile.h"

#include <check.h>
#include <string.h>

static const char example[] =
	"maillab-session 1\n"
	"title: POP3 - download and delete\n"
	"protocol: pop3\n"
	"server: 127.0.0.1:10110\n"
	"tls: starttls\n"
	"secret password: wonderland\n"
	"\n"
	"# a comment for the editor\n"
	"S: +OK maillab POP3 server ready <{{*}}>\n"
	"> The greeting.\n"
	"= AUTHORIZATION\n"
	"C: STLS\n"
	"S: +OK begin TLS negotiation\n"
	"~ TLS\n"
	"C: USER alice\r\n"
	"S: +OK send PASS\n"
	"C: PASS {{secret:password}}\n"
	"S: +OK alice's maildrop has {{n}} messages ({{n}} octets)\n"
	"> Locked now.\n"
	">\n"
	"> Second paragraph.\n"
	"= TRANSACTION\n"
	"@ 1.5\n"
	"C: LIST\n"
	"S: +OK {{n}} messages\n"
	"S: {{...}}\n"
	"S: .\n"
	"C:\n"
	"S:\n";

static struct sessfile sf;
static char err[256];

static int parse(const char *text)
{
	return sessfile_parse(text, strlen(text), "t.session", &sf, err,
			      sizeof(err));
}

START_TEST(the_documented_example)
{
	ck_assert_int_eq(parse(example), 0);
	ck_assert_str_eq(sf.protocol, "pop3");
	ck_assert_str_eq(sf.tls, "starttls");
	ck_assert_str_eq(sf.server, "127.0.0.1:10110");
	ck_assert_str_eq(sessfile_secret(&sf, "password"), "wonderland");
	ck_assert_ptr_null(sessfile_secret(&sf, "sasl"));
	ck_assert_uint_eq(sf.nsteps, 6);
	/* step 0: the greeting */
	ck_assert_ptr_null(sf.steps[0].client);
	ck_assert_uint_eq(sf.steps[0].nserver, 1);
	ck_assert_str_eq(sf.steps[0].notes[0], "The greeting.");
	ck_assert_str_eq(sf.steps[0].state, "AUTHORIZATION");
	ck_assert(sf.steps[1].tls_after);
	ck_assert_str_eq(sf.steps[2].client, "USER alice"); /* CR removed */
	ck_assert_uint_eq(sf.steps[2].client_line, 15);
	ck_assert_uint_eq(sf.steps[3].nnotes, 3);
	ck_assert_str_eq(sf.steps[3].notes[1], "");
	ck_assert_str_eq(sf.steps[3].state, "TRANSACTION");
	ck_assert(sf.steps[4].delay_s == 1.5);
	ck_assert(sessfile_is_any_lines(sf.steps[4].server[1]));
	/* "C:" and "S:" alone are empty lines (SMTP message text has them) */
	ck_assert_str_eq(sf.steps[5].client, "");
	ck_assert_str_eq(sf.steps[5].server[0], "");
	sessfile_free(&sf);
}
END_TEST

/* expect_error - parsing @text fails with exactly @want. */
static void expect_error(const char *text, const char *want)
{
	ck_assert_int_eq(parse(text), -1);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(sf.nsteps, 0);
}

START_TEST(errors_name_the_line)
{
	expect_error("", "t.session:0: empty file");
	expect_error("maillab-session 2\n", "t.session:1: format version 2 is "
		     "not supported (this mailsh reads version 1)");
	expect_error("session\n", "t.session:1: expected \"maillab-session 1\" "
		     "on the first line");
	expect_error("maillab-session 1\nprotocol: pop3\n",
		     "t.session:2: the file ends inside the header (no steps)");
	expect_error("maillab-session 1\nprotocol: nntp\n\n",
		     "t.session:2: protocol must be pop3, smtp or imap");
	expect_error("maillab-session 1\ntitle: x\n\nS: +OK\n",
		     "t.session:3: the header has no \"protocol:\" line");
	expect_error("maillab-session 1\nprotocol: smtp\nport: 25\n\n",
		     "t.session:3: unknown header \"port\" (expected protocol, "
		     "server, tls, title or secret NAME)");
	expect_error("maillab-session 1\nprotocol: smtp\nprotocol: smtp\n\n",
		     "t.session:3: header \"protocol\" given twice");
	expect_error("maillab-session 1\nprotocol: smtp\n\nC:EHLO x\n",
		     "t.session:4: expected \"C:\", \"S:\", \">\", \"=\", \"~ "
		     "TLS\", \"@\" or \"#\" at the start of the line");
	expect_error("maillab-session 1\nprotocol: smtp\n\n= A\n= B\n",
		     "t.session:5: a second state marker in one step");
	expect_error("maillab-session 1\nprotocol: smtp\n\n@ soon\n",
		     "t.session:4: expected \"@ SECONDS\" with 0 <= SECONDS <= "
		     "3600");
}
END_TEST

START_TEST(nul_and_long_lines)
{
	const char text[] = "maillab-session 1\nprotocol: smtp\n\nS: a\0b\n";
	ck_assert_int_eq(sessfile_parse(text, sizeof(text) - 1, "n", &sf, err,
					 sizeof(err)), -1);
	ck_assert_str_eq(err, "n:4: NUL byte in the line");
	static char big[SESSFILE_LINE_MAX + 64];
	strcpy(big, "maillab-session 1\nprotocol: smtp\n\nS: ");
	memset(big + strlen(big), 'x', SESSFILE_LINE_MAX);
	ck_assert_int_eq(parse(big), -1);
	ck_assert_str_eq(err, "t.session:4: line longer than 2048 characters");
}
END_TEST

START_TEST(patterns)
{
	ck_assert(sessfile_match("+OK", "+OK"));
	ck_assert(sessfile_match("+OK", "+OK "));  /* trailing spaces do not count */
	ck_assert(!sessfile_match("+OK", "-ERR"));
	ck_assert(sessfile_match("+OK {{n}} {{n}}", "+OK 2 320"));
	ck_assert(!sessfile_match("+OK {{n}} {{n}}", "+OK 2 "));
	ck_assert(!sessfile_match("+OK {{n}}", "+OK two"));
	ck_assert(sessfile_match("+OK ready <{{*}}>", "+OK ready <1.2@h>"));
	ck_assert(sessfile_match("+OK ready <{{*}}>", "+OK ready <>"));
	ck_assert(!sessfile_match("+OK ready <{{*}}>", "+OK ready <1.2@h"));
	ck_assert(sessfile_match("{{word}} OK LOGIN done", "A0001 OK LOGIN done"));
	ck_assert(!sessfile_match("{{word}} OK", " OK"));
	ck_assert(!sessfile_match("{{word}} OK", "A 1 OK"));
	ck_assert(sessfile_match("{{*}}{{*}}x{{*}}", "aaxbb"));
	ck_assert(sessfile_match("a{{{{b", "a{{b"));
	ck_assert(!sessfile_match("a{{{{b", "a{b"));
	ck_assert(sessfile_match("{{n}}", "12345678901234567890"));
	ck_assert(sessfile_match("", ""));
	ck_assert(!sessfile_match("", "x"));
	ck_assert(sessfile_is_any_lines("{{...}}"));
	ck_assert(!sessfile_is_any_lines("{{*}}"));
}
END_TEST

Suite *sessfile_suite(void)
{
	Suite *s = suite_create("sessfile");
	TCase *c = tcase_create("Core");
	tcase_add_test(c, the_documented_example);
	tcase_add_test(c, errors_name_the_line);
	tcase_add_test(c, nul_and_long_lines);
	tcase_add_test(c, patterns);
	suite_add_tcase(s, c);
	return s;
}
