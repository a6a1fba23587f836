/*
 * check_sessions.c - the pure parts of annotated sessions: the format's
 * additions (comments in the header, trailing spaces, escaping), the
 * placeholders of client lines checked against the RFCs' own examples,
 * matching the lines of a reply, following a dialogue with literals, and
 * the Markdown and HTML handouts.
 */
#include "../../shell/replay.h"
#include "../../shell/sessfile.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sessfile sf;
static char err[256];

static void parse_ok(const char *text)
{
	int r = sessfile_parse(text, strlen(text), "t.session", &sf, err,
			       sizeof(err));
	ck_assert_msg(r == 0, "%s", err);
}

START_TEST(comments_in_the_header)
{
	parse_ok("maillab-session 1\n# portable: dovecot\nprotocol: pop3\n"
		 "# another\n\nS: +OK\n");
	ck_assert_str_eq(sf.protocol, "pop3");
	ck_assert_uint_eq(sf.nsteps, 1);
	sessfile_free(&sf);
}
END_TEST

START_TEST(trailing_spaces_do_not_count)
{
	ck_assert(sessfile_match("+", "+ "));
	ck_assert(sessfile_match("+ ", "+"));
	ck_assert(sessfile_match("S: -- ", "S: --"));
	ck_assert(!sessfile_match("+", "+x"));
	ck_assert(!sessfile_match(" +", "+"));  /* leading spaces do */
}
END_TEST

/* escaped - whatever a line holds, its escaped form matches it exactly. */
START_TEST(an_escaped_line_matches_itself)
{
	static const char *const lines[] = {
		"+OK 3 {{n}} x", "{{{{", "a {{{ b", "{{*}}", "}} {{", "plain",
		"{{...}}", "",
	};
	char out[SESSFILE_LINE_MAX];
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		ck_assert(!sessfile_escape(lines[i], strlen(lines[i]), out,
					   sizeof(out)));
		ck_assert_msg(sessfile_match(out, lines[i]), "%s -> %s", lines[i], out);
		ck_assert_msg(!sessfile_match(out, "x"), "%s matches x", out);
	}
	ck_assert_str_eq((sessfile_escape("{{n}}", 5, out, sizeof(out)), out),
			 "{{{{n}}");
}
END_TEST

START_TEST(a_long_line_is_cut_to_a_pattern)
{
	static char line[3 * SESSFILE_LINE_MAX];
	char out[SESSFILE_LINE_MAX];
	memset(line, 'a', sizeof(line) - 1);
	ck_assert(sessfile_escape(line, strlen(line), out, sizeof(out)));
	ck_assert_uint_le(strlen(out), SESSFILE_TEXT_MAX);
	ck_assert_str_eq(out + strlen(out) - 5, "{{*}}");
	ck_assert(sessfile_match(out, line));
	/* a NUL byte cannot be written in a session file either */
	ck_assert(sessfile_escape("ab\0cd", 5, out, sizeof(out)));
	ck_assert_str_eq(out, "ab{{*}}");
}
END_TEST

static const char secrets[] =
	"maillab-session 1\nprotocol: pop3\nsecret password: tanstaaf\n"
	"secret cram: tanstaaftanstaaf\n\n"
	"C: PASS {{secret:password}}\n"
	"C: {{base64:password}}\n"
	"C: AUTH PLAIN {{plain:alice:password}}\n"
	"C: {{cram:tim:cram}}\n"
	"C: APOP mrose {{apop:password}}\n"
	"C: a {{{{b {{secret:other}}\n";

static const char *expand(size_t step, const struct sessfile_ctx *ctx,
			  enum sessfile_expand_mode mode, char *out, size_t size)
{
	const char *error = NULL;
	if (sessfile_expand(&sf, sf.steps[step].client, ctx, mode, out, size,
			    &error) < 0)
		return error;
	return NULL;
}

START_TEST(placeholders_as_the_rfcs_compute_them)
{
	char out[SESSFILE_LINE_MAX];
	/* RFC 2195 section 2 and RFC 1939 section 7: their own examples */
	struct sessfile_ctx ctx = {
		.apop_stamp = "<1896.697170952@dbc.mtview.ca.us>",
		.challenge = "<1896.697170952@postoffice.reston.mci.net>",
	};
	parse_ok(secrets);
	ck_assert_ptr_null(expand(1, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_str_eq(out, "PASS tanstaaf");
	ck_assert_ptr_null(expand(2, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_str_eq(out, "dGFuc3RhYWY=");
	ck_assert_ptr_null(expand(3, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_str_eq(out, "AUTH PLAIN AGFsaWNlAHRhbnN0YWFm");
	ck_assert_ptr_null(expand(4, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_str_eq(out, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	ck_assert_ptr_null(expand(5, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_str_eq(out, "APOP mrose c4c9334bac560ecc979e58001b3e22fb");
	/* a secret without a value: not sendable, but any text fits it */
	ck_assert_ptr_nonnull(expand(6, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_ptr_null(expand(6, &ctx, SESSFILE_TO_PATTERN, out, sizeof(out)));
	ck_assert_str_eq(out, "a {{{{b {{*}}");
	ck_assert(sessfile_match(out, "a {{b whatever"));
	char name[64];
	ck_assert_str_eq(sessfile_missing_secret(&sf, name, sizeof(name)), "other");
	const char *error;
	ck_assert_int_eq(sessfile_set_secret(&sf, "other", "x", &error), 0);
	ck_assert_ptr_null(sessfile_missing_secret(&sf, name, sizeof(name)));
	ck_assert_ptr_null(expand(6, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_str_eq(out, "a {{b x");
	/* --secret replaces the header's value */
	ck_assert_int_eq(sessfile_set_secret(&sf, "password", "new", &error), 0);
	ck_assert_ptr_null(expand(1, &ctx, SESSFILE_TO_SEND, out, sizeof(out)));
	ck_assert_str_eq(out, "PASS new");
	sessfile_free(&sf);
}
END_TEST

START_TEST(placeholders_that_cannot_be_expanded)
{
	char out[SESSFILE_LINE_MAX];
	struct sessfile_ctx none = { NULL, NULL };
	parse_ok("maillab-session 1\nprotocol: pop3\nsecret password: x\n\n"
		 "C: APOP bob {{apop:password}}\nC: {{cram:bob:password}}\n"
		 "C: LIST {{n}}\nC: {{secret:password\n");
	ck_assert_ptr_nonnull(strstr(expand(1, &none, SESSFILE_TO_SEND, out,
					    sizeof(out)), "timestamp"));
	ck_assert_ptr_nonnull(strstr(expand(2, &none, SESSFILE_TO_SEND, out,
					    sizeof(out)), "challenge"));
	ck_assert_ptr_nonnull(strstr(expand(3, &none, SESSFILE_TO_SEND, out,
					    sizeof(out)), "patterns are for server lines"));
	ck_assert_ptr_nonnull(expand(4, &none, SESSFILE_TO_SEND, out, sizeof(out)));
	sessfile_free(&sf);
}
END_TEST

/* ---- matching a reply ---------------------------------------------------- */

static bool reply_fits(const char *const *expected, size_t n,
		       const char *const *actual, size_t m)
{
	struct sessfile_step st = { .server = (char **)expected, .nserver = n };
	struct replay_match rm;
	replay_match_init(&rm, &st);
	for (size_t i = 0; i < m; i++)
		if (!replay_match_line(&rm, actual[i]))
			return false;
	return replay_match_complete(&rm);
}

START_TEST(a_reply_line_by_line)
{
	const char *capa[] = { "+OK{{*}}", "{{...}}", "STLS", "{{...}}", "." };
	const char *ours[] = { "+OK capability list follows", "TOP", "USER",
			       "STLS", "." };
	const char *dovecot[] = { "+OK", "CAPA", "STLS", "USER", "SASL PLAIN", "." };
	const char *no_stls[] = { "+OK", "TOP", "USER", "." };
	ck_assert(reply_fits(capa, 5, ours, 5));
	ck_assert(reply_fits(capa, 5, dovecot, 6));
	ck_assert(!reply_fits(capa, 5, no_stls, 4));
	ck_assert(!reply_fits(capa, 5, ours, 4));  /* the "." is missing */
	const char *tail[] = { "* OK", "{{...}}" };
	const char *three[] = { "* OK", "a", "b" };
	ck_assert(reply_fits(tail, 2, three, 3));
	ck_assert(reply_fits(tail, 2, three, 1));
	const char *exact[] = { "+OK {{n}} messages", "." };
	const char *more[] = { "+OK 2 messages", ".", "extra" };
	ck_assert(!reply_fits(exact, 2, more, 3));
	/* the report names the line that was expected */
	struct sessfile_step st = { .server = (char **)capa, .nserver = 5 };
	struct replay_match rm;
	replay_match_init(&rm, &st);
	ck_assert(replay_match_line(&rm, "+OK"));
	ck_assert(replay_match_line(&rm, "TOP"));
	ck_assert_str_eq(replay_match_next(&rm), "STLS");
}
END_TEST

START_TEST(states_before_a_step)
{
	parse_ok("maillab-session 1\nprotocol: pop3\n\nS: +OK\n= AUTHORIZATION\n"
		 "C: USER a\nS: +OK\nC: PASS b\nS: +OK\n= TRANSACTION\nC: QUIT\n");
	ck_assert_ptr_null(replay_state_before(&sf, 0));
	ck_assert_str_eq(replay_state_before(&sf, 1), "AUTHORIZATION");
	ck_assert_str_eq(replay_state_before(&sf, 2), "AUTHORIZATION");
	ck_assert_str_eq(replay_state_before(&sf, 3), "TRANSACTION");
	sessfile_free(&sf);
}
END_TEST

/* ---- following a dialogue ------------------------------------------------ */

START_TEST(literals_lines_and_the_rest_of_the_command)
{
	struct replay_track rt;
	replay_track_init(&rt, TRACK_IMAP, false);
	replay_track_server(&rt, "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready");
	replay_track_client(&rt, "a1 APPEND INBOX {12}");
	ck_assert_int_eq(replay_track_server(&rt, "+ go ahead"), TRACK_GO_ON);
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_LITERAL);
	replay_track_client(&rt, "Subject:");    /* 8 octets + CRLF */
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_LITERAL);
	ck_assert_uint_eq(rt.literal_left, 2);
	replay_track_client(&rt, "");            /* the last 2 octets */
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_REST);
	replay_track_client(&rt, "");  /* the rest of the command: empty */
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_COMMAND);
	ck_assert_int_eq(replay_track_server(&rt, "a1 OK done"), TRACK_DONE);
	/* {n+}: the octets go at once; a line that runs past the literal
	 * carries the rest of the command */
	replay_track_client(&rt, "a2 APPEND INBOX {3+}");
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_LITERAL);
	replay_track_client(&rt, "abc x");
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_COMMAND);
	ck_assert_str_eq(rt.t.pending_tag, "a2");
	ck_assert_int_eq(replay_track_server(&rt, "a2 OK done"), TRACK_DONE);
	/* a literal whose count ends right after its text: that line goes
	 * without CRLF, and the rest of the command is the next line */
	replay_track_client(&rt, "a3 APPEND INBOX {5+}");
	ck_assert(!replay_literal_ends(&rt, "hell"));
	ck_assert(replay_literal_ends(&rt, "hello"));
	replay_track_client(&rt, "hello");
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_REST);
	ck_assert(!replay_literal_ends(&rt, ""));
	replay_track_client(&rt, "");
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_COMMAND);
	ck_assert_int_eq(replay_track_server(&rt, "a3 OK done"), TRACK_DONE);
}
END_TEST

START_TEST(smtp_data_is_not_commands)
{
	struct replay_track rt;
	replay_track_init(&rt, TRACK_SMTP, false);
	replay_track_server(&rt, "220 mx ready");
	replay_track_client(&rt, "DATA");
	ck_assert_int_eq(replay_track_server(&rt, "354 go"), TRACK_GO_ON);
	replay_track_client(&rt, "QUIT");   /* message text, not a command */
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_DATA);
	replay_track_client(&rt, ".");
	ck_assert_int_eq(rt.t.input, TRACK_INPUT_COMMAND);
	ck_assert_int_eq(replay_track_server(&rt, "250 2.0.0 OK"), TRACK_DONE);
}
END_TEST

/* ---- serve mode: a client's line read as a server reads it --------------- */

START_TEST(a_clients_line_as_a_server_reads_it)
{
	const enum track_input cmd = TRACK_INPUT_COMMAND;
	ck_assert(replay_client_fits(TRACK_POP3, cmd, "USER alice", "user alice"));
	ck_assert(!replay_client_fits(TRACK_POP3, cmd, "USER alice", "USER Alice"));
	ck_assert(replay_client_fits(TRACK_SMTP, cmd, "MAIL FROM:<a@b.test>",
				     "mail from:<a@b.test>"));
	ck_assert(!replay_client_fits(TRACK_SMTP, cmd, "MAIL FROM:<a@b.test>",
				      "MAIL FROM:<c@b.test>"));
	ck_assert(replay_client_fits(TRACK_SMTP, cmd, "EHLO client.example",
				     "ehlo [127.0.0.1]"));
	ck_assert(!replay_client_fits(TRACK_SMTP, cmd, "EHLO client.example",
				      "MAIL FROM:<x>"));
	ck_assert(replay_client_fits(TRACK_IMAP, cmd, "LOGIN alice wonderland",
				     "LOGIN alice \"wonderland\""));
	ck_assert(replay_client_fits(TRACK_IMAP, cmd, "uid fetch 1:* (FLAGS)",
				     "UID FETCH 1:* (FLAGS)"));
	ck_assert(!replay_client_fits(TRACK_IMAP, cmd, "SELECT INBOX",
				      "SELECT \"Sent Items\""));
	/* message text and SASL answers are compared as they are */
	ck_assert(!replay_client_fits(TRACK_SMTP, TRACK_INPUT_DATA, "Hello",
				      "hello"));
	ck_assert(replay_client_fits(TRACK_SMTP, TRACK_INPUT_DATA, "Hello", "Hello"));
}
END_TEST

/* ---- handouts ------------------------------------------------------------ */

static const char handout[] =
	"maillab-session 1\ntitle: A <small> test\nprotocol: pop3\n\n"
	"S: +OK ready <{{*}}>\n> The greeting & its stamp.\n= AUTHORIZATION\n"
	"C: PASS {{secret:password}}\nS: +OK\n= TRANSACTION\n"
	"C: STLS\nS: +OK\n~ TLS\nC: LIST\nS: a {{{{b\n";

static char *export_text(const char *format)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_int_eq(export_write(f, &sf, "t.session", format), 0);
	fclose(f);
	return text;
}

START_TEST(handouts_in_markdown_and_html)
{
	parse_ok(handout);
	char *md = export_text("md");
	ck_assert_ptr_nonnull(strstr(md, "# A <small> test\n"));
	ck_assert_ptr_nonnull(strstr(md, "*A POP3 session, TLS: plain."));
	/* a state change stays in the block; a note ends it */
	ck_assert_ptr_nonnull(strstr(md, "```text\nS: +OK ready <{{*}}>\n"
				     "= AUTHORIZATION\n```\n\n"
				     "The greeting & its stamp.\n"));
	ck_assert_ptr_nonnull(strstr(md, "```text\nC: PASS {{secret:password}}\n"
				     "S: +OK\n= TRANSACTION\nC: STLS\nS: +OK\n"
				     "```\n\n*TLS handshake here"));
	ck_assert_ptr_nonnull(strstr(md, "- `= STATE` the protocol state"));
	ck_assert_ptr_nonnull(strstr(md, "TLS handshake here"));
	ck_assert_ptr_nonnull(strstr(md, "S: a {{b\n"));  /* unescaped */
	ck_assert_ptr_nonnull(strstr(md, "- `{{*}}` any text"));
	ck_assert_ptr_nonnull(strstr(md, "- `{{secret:...}}`"));
	ck_assert_ptr_null(strstr(md, "{{n}}"));       /* not used, not explained */
	free(md);
	char *html = export_text("html");
	ck_assert_ptr_nonnull(strstr(html, "<title>A &lt;small&gt; test</title>"));
	ck_assert_ptr_nonnull(strstr(html, "<p>The greeting &amp; its stamp.</p>"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;<span class=\"pat\">{{*}}</span>&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "<span class=\"st\">= TRANSACTION</span>"));
	ck_assert_ptr_nonnull(strstr(html, "</html>\n"));
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_null(strstr(html, "http"));      /* self-contained */
	free(html);
	ck_assert_int_eq(export_write(stdout, &sf, "t", "pdf"), -1);
	sessfile_free(&sf);
}
END_TEST

Suite *sessions_suite(void)
{
	Suite *s = suite_create("sessions");
	TCase *c = tcase_create("Core");
	tcase_add_test(c, comments_in_the_header);
	tcase_add_test(c, trailing_spaces_do_not_count);
	tcase_add_test(c, an_escaped_line_matches_itself);
	tcase_add_test(c, a_long_line_is_cut_to_a_pattern);
	tcase_add_test(c, placeholders_as_the_rfcs_compute_them);
	tcase_add_test(c, placeholders_that_cannot_be_expanded);
	tcase_add_test(c, a_reply_line_by_line);
	tcase_add_test(c, states_before_a_step);
	tcase_add_test(c, literals_lines_and_the_rest_of_the_command);
	tcase_add_test(c, smtp_data_is_not_commands);
	tcase_add_test(c, a_clients_line_as_a_server_reads_it);
	tcase_add_test(c, handouts_in_markdown_and_html);
	suite_add_tcase(s, c);
	return s;
}
