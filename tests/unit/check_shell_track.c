/*
 * check_shell_track.c - mailsh's client-side state tracker fed strings.
 *
 * Each test is a dialogue as a client sees it: what the learner typed
 * (prepared and sent), then what the server answered, line by line, and
 * what the tracker made of it: the state, the notes it printed (a
 * transition with its cause, a warning), whether the reply is complete.
 * The server lines are the RFC examples or what Dovecot, Postfix and our
 * own servers really send.
 */
#include "../../proto/imap.h"
#include "../../proto/pop3.h"
#include "../../proto/smtp.h"
#include "../../shell/track.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct track t;
static struct track_send s;

/* type - the learner types a line: checked, then sent. */
static void type(const char *line)
{
	track_prepare(&t, line, &s);
	track_sent(&t, &s);
}

/* server - one server line; checks what the tracker says about it. */
static void server(const char *line, enum track_reply want)
{
	enum track_reply got = track_reply_line(&t, line);
	ck_assert_msg(got == want, "S: %s\ngot reply state %d, wanted %d",
		      line, got, want);
}

/* has_note - some note of @p kind contains @p text. */
static bool has_note(enum track_note_kind kind, const char *text)
{
	for (int i = 0; i < t.nnotes; i++)
		if (t.notes[i].kind == kind && strstr(t.notes[i].text, text))
			return true;
	return false;
}

static void assert_note(enum track_note_kind kind, const char *text)
{
	char all[4096] = "";
	for (int i = 0; i < t.nnotes; i++) {
		strncat(all, t.notes[i].text, sizeof(all) - strlen(all) - 2);
		strcat(all, "\n");
	}
	ck_assert_msg(has_note(kind, text), "no note \"%s\" among:\n%s", text, all);
}

static void prompt_is(const char *want)
{
	char p[SHELL_NOTE_LEN];
	track_prompt(&t, p, sizeof(p));
	ck_assert_str_eq(p, want);
}

/* ---- POP3 ---------------------------------------------------------- */

START_TEST(pop3_rfc1939_session)
{
	track_init(&t, TRACK_POP3, false);
	server("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>", TRACK_DONE);
	ck_assert_str_eq(t.apop_stamp, "<1896.697170952@dbc.mtview.ca.us>");
	prompt_is("pop3 AUTHORIZATION");
	type("USER mrose");
	server("+OK mrose is a real hoopy frood", TRACK_DONE);
	ck_assert(t.user_accepted);
	ck_assert_int_eq(t.state, POP3_AUTHORIZATION);
	type("PASS secret");
	track_clear_notes(&t);
	server("+OK mrose's maildrop has 2 messages (320 octets)", TRACK_DONE);
	assert_note(TRACK_NOTE_STATE, "AUTHORIZATION -> TRANSACTION on +OK to PASS");
	prompt_is("pop3 TRANSACTION");
	type("STAT");
	server("+OK 2 320", TRACK_DONE);
	ck_assert_int_eq(t.messages, 2);
	type("RETR 1");
	server("+OK 120 octets", TRACK_MORE);
	server("Subject: hi", TRACK_MORE);
	server("..a stuffed line", TRACK_MORE);
	ck_assert_int_eq(t.line_kind, TRACK_LINE_DATA);
	server(".", TRACK_DONE);
	type("LIST 1");
	server("+OK 1 120", TRACK_DONE);           /* with an argument: one line */
	type("LIST");
	server("+OK 2 messages", TRACK_MORE);      /* without: multi-line */
	server("1 120", TRACK_MORE);
	server("2 200", TRACK_MORE);
	server(".", TRACK_DONE);
	type("QUIT");
	server("+OK dewey POP3 server signing off", TRACK_DONE);
	assert_note(TRACK_NOTE_STATE, "TRANSACTION -> UPDATE on +OK to QUIT");
	ck_assert(t.closed);
}
END_TEST

START_TEST(pop3_wrong_state_and_pass_without_user)
{
	track_init(&t, TRACK_POP3, false);
	server("+OK ready", TRACK_DONE);
	track_prepare(&t, "RETR 1", &s);
	assert_note(TRACK_NOTE_WARN, "RETR is not valid in the AUTHORIZATION state");
	ck_assert_str_eq(s.line, "RETR 1");        /* sent anyway, unchanged */
	track_clear_notes(&t);
	track_prepare(&t, "PASS secret", &s);
	assert_note(TRACK_NOTE_WARN, "only right after a USER");
	ck_assert(s.credentials);                 /* no TLS: a password in clear */
	track_clear_notes(&t);
	track_prepare(&t, "XTND XMIT", &s);
	assert_note(TRACK_NOTE_WARN, "not a POP3 command");
	/* a failed PASS forgets the USER (RFC 1939 §7) */
	type("USER alice");
	server("+OK", TRACK_DONE);
	type("PASS wrong");
	server("-ERR [AUTH] invalid password", TRACK_DONE);
	ck_assert(!t.user_accepted);
	ck_assert_int_eq(t.outcome, TRACK_FAILED);
	ck_assert_int_eq(t.state, POP3_AUTHORIZATION);
}
END_TEST

START_TEST(pop3_capa_stls_and_tls)
{
	track_init(&t, TRACK_POP3, false);
	server("+OK ready", TRACK_DONE);
	type("CAPA");
	server("+OK capability list follows", TRACK_MORE);
	server("TOP", TRACK_MORE);
	server("SASL PLAIN CRAM-MD5", TRACK_MORE);
	server("USER", TRACK_MORE);
	server(".", TRACK_DONE);
	ck_assert(t.caps_known);
	ck_assert(track_has_cap(&t, "top"));
	ck_assert(track_has_mech(&t, "CRAM-MD5"));
	ck_assert(!track_has_mech(&t, "LOGIN"));
	track_clear_notes(&t);
	track_prepare(&t, "STLS", &s);
	assert_note(TRACK_NOTE_WARN, "did not announce STLS");
	track_clear_notes(&t);
	track_prepare(&t, "AUTH LOGIN", &s);
	assert_note(TRACK_NOTE_WARN, "did not list LOGIN");
	type("STLS");
	server("+OK begin TLS negotiation", TRACK_DONE);
	ck_assert(t.want_tls);
	track_tls_started(&t);
	ck_assert(t.tls && !t.want_tls && !t.caps_known);
	ck_assert_int_eq(t.state, POP3_AUTHORIZATION);
	prompt_is("pop3+tls AUTHORIZATION");
	track_prepare(&t, "PASS secret", &s);
	ck_assert(!s.credentials);                /* TLS: no warning */
}
END_TEST

START_TEST(pop3_auth_exchange_and_quit_in_authorization)
{
	track_init(&t, TRACK_POP3, false);
	server("+OK ready", TRACK_DONE);
	type("AUTH LOGIN");
	server("+ VXNlcm5hbWU6", TRACK_GO_ON);
	ck_assert_int_eq(t.input, TRACK_INPUT_SASL);
	ck_assert_str_eq(t.challenge, "Username:");
	track_prepare(&t, "YWxpY2U=", &s);
	ck_assert(s.raw && s.credentials);
	track_sent(&t, &s);
	server("+ UGFzc3dvcmQ6", TRACK_GO_ON);
	ck_assert_str_eq(t.challenge, "Password:");
	type("d29uZGVybGFuZA==");
	track_clear_notes(&t);
	server("+OK logged in", TRACK_DONE);
	assert_note(TRACK_NOTE_STATE, "AUTHORIZATION -> TRANSACTION on +OK to AUTH");

	track_init(&t, TRACK_POP3, false);
	server("+OK ready", TRACK_DONE);
	type("QUIT");
	server("+OK bye", TRACK_DONE);
	ck_assert_int_eq(t.state, POP3_AUTHORIZATION); /* RFC 1939 §4: no UPDATE */
	assert_note(TRACK_NOTE_INFO, "without entering UPDATE");
	ck_assert(t.closed);
}
END_TEST

/* ---- SMTP ---------------------------------------------------------- */

static void smtp_ehlo(void)
{
	track_init(&t, TRACK_SMTP, false);
	server("220-mx.example.test ESMTP", TRACK_MORE);
	server("220 welcome", TRACK_DONE);
	prompt_is("smtp INIT");
	type("EHLO client.example.test");
	server("250-mx.example.test greets client.example.test", TRACK_MORE);
	server("250-SIZE 35882577", TRACK_MORE);
	server("250-AUTH PLAIN LOGIN", TRACK_MORE);
	server("250-STARTTLS", TRACK_MORE);
	server("250 8BITMIME", TRACK_DONE);
}

START_TEST(smtp_transaction_with_two_recipients)
{
	smtp_ehlo();
	ck_assert_int_eq(t.state, SMTP_READY);
	ck_assert(track_has_cap(&t, "STARTTLS") && track_has_cap(&t, "SIZE"));
	ck_assert(track_has_mech(&t, "PLAIN") && track_has_mech(&t, "LOGIN"));
	type("MAIL FROM:<alice@example.test>");
	server("250 2.1.0 Ok", TRACK_DONE);
	ck_assert_int_eq(t.state, SMTP_MAIL);
	type("RCPT TO:<bob@example.test>");
	server("250 2.1.5 Ok", TRACK_DONE);
	type("RCPT TO:<nobody@example.test>");
	server("550 5.1.1 <nobody@example.test>: Recipient address rejected", TRACK_DONE);
	ck_assert_int_eq(t.outcome, TRACK_FAILED);
	type("RCPT TO:<carol@example.test>");
	track_clear_notes(&t);
	server("250 2.1.5 Ok", TRACK_DONE);
	prompt_is("smtp RCPT (2 rcpts)");
	type("DATA");
	server("354 End data with <CR><LF>.<CR><LF>", TRACK_GO_ON);
	ck_assert_int_eq(t.input, TRACK_INPUT_DATA);
	assert_note(TRACK_NOTE_STATE, "RCPT -> DATA on 354 to DATA");
	track_clear_notes(&t);
	type(".");                                 /* the end of the message */
	server("250 2.0.0 Ok: queued as 1234", TRACK_DONE);
	assert_note(TRACK_NOTE_STATE, "DATA -> READY on 250 to the end of the message");
	prompt_is("smtp READY");
	type("QUIT");
	server("221 2.0.0 Bye", TRACK_DONE);
	ck_assert_int_eq(t.state, SMTP_CLOSED);
	ck_assert(t.closed);
}
END_TEST

START_TEST(smtp_warnings_auth_and_421)
{
	smtp_ehlo();
	track_clear_notes(&t);
	track_prepare(&t, "RCPT TO:<bob@example.test>", &s);
	assert_note(TRACK_NOTE_WARN, "RCPT is not valid in the READY state");
	track_clear_notes(&t);
	track_prepare(&t, "AUTH CRAM-MD5", &s);
	assert_note(TRACK_NOTE_WARN, "not among the mechanisms");
	track_prepare(&t, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", &s);
	ck_assert(s.credentials);
	track_clear_notes(&t);
	track_prepare(&t, "BDAT 10 LAST", &s);
	assert_note(TRACK_NOTE_WARN, "did not announce CHUNKING");
	ck_assert_int_eq(s.literal, 10);
	type("AUTH LOGIN");
	server("334 VXNlcm5hbWU6", TRACK_GO_ON);
	ck_assert_str_eq(t.challenge, "Username:");
	type("YWxpY2U=");
	server("334 UGFzc3dvcmQ6", TRACK_GO_ON);
	type("d29uZGVybGFuZA==");
	server("235 2.7.0 Authentication successful", TRACK_DONE);
	ck_assert(t.authenticated);
	ck_assert_int_eq(t.state, SMTP_READY);
	type("NOOP");
	server("421 4.3.2 shutting down", TRACK_DONE);
	ck_assert(t.closed);
	ck_assert_int_eq(t.state, SMTP_CLOSED);
}
END_TEST

START_TEST(smtp_starttls_returns_to_init)
{
	smtp_ehlo();
	type("STARTTLS");
	server("220 2.0.0 Ready to start TLS", TRACK_DONE);
	ck_assert(t.want_tls);
	track_clear_notes(&t);
	track_tls_started(&t);
	assert_note(TRACK_NOTE_STATE, "READY -> INIT");
	ck_assert(!t.caps_known);
	track_prepare(&t, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", &s);
	ck_assert(!s.credentials);
}
END_TEST

/* ---- IMAP ---------------------------------------------------------- */

static void imap_login(void)
{
	track_init(&t, TRACK_IMAP, false);
	server("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN] ready", TRACK_DONE);
	ck_assert(track_has_cap(&t, "LITERAL+") && track_has_mech(&t, "PLAIN"));
	track_prepare(&t, "LOGIN alice wonderland", &s);
	ck_assert_str_eq(s.line, "a001 LOGIN alice wonderland");
	ck_assert(s.tag_added && s.credentials);
	track_sent(&t, &s);
	track_clear_notes(&t);
	server("a001 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in", TRACK_DONE);
	assert_note(TRACK_NOTE_STATE, "NOT AUTHENTICATED -> AUTHENTICATED on OK to LOGIN");
	ck_assert(track_has_cap(&t, "MOVE") && !track_has_cap(&t, "LITERAL+"));
}

START_TEST(imap_tags_list_select)
{
	imap_login();
	type("LIST \"\" *");
	ck_assert_str_eq(t.pending_tag, "a002");
	server("* LIST (\\HasNoChildren) \"/\" INBOX", TRACK_MORE);
	server("* LIST (\\HasNoChildren) \"/\" \"Sent Items\"", TRACK_MORE);
	server("a002 OK List completed", TRACK_DONE);
	ck_assert_int_eq(t.nmailboxes, 2);
	ck_assert_str_eq(t.mailboxes[1], "Sent Items");
	track_prepare(&t, "t1 NOOP", &s);           /* the learner's own tag */
	ck_assert(!s.tag_added);
	ck_assert_str_eq(s.line, "t1 NOOP");
	type("SELECT INBOX");
	server("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", TRACK_MORE);
	server("* 3 EXISTS", TRACK_MORE);
	server("* OK [UIDVALIDITY 1700000000] UIDs valid", TRACK_MORE);
	server("a003 OK [READ-WRITE] Select completed", TRACK_DONE);
	prompt_is("imap SELECTED INBOX");
	ck_assert_int_eq(t.messages, 3);
	server("* 2 EXPUNGE", TRACK_DONE);          /* unsolicited */
	ck_assert_int_eq(t.messages, 2);
	type("SELECT nosuch");
	track_clear_notes(&t);
	server("a004 NO [NONEXISTENT] Mailbox doesn't exist", TRACK_DONE);
	assert_note(TRACK_NOTE_STATE, "SELECTED -> AUTHENTICATED on NO to SELECT");
	prompt_is("imap AUTHENTICATED");
}
END_TEST

START_TEST(imap_literals_both_ways)
{
	imap_login();
	track_prepare(&t, "APPEND INBOX {11}", &s);
	ck_assert_int_eq(s.literal, 11);
	ck_assert(s.literal_sync && s.line_follows);
	track_sent(&t, &s);
	server("+ Ready for literal data", TRACK_GO_ON);
	ck_assert_int_eq(t.input, TRACK_INPUT_LITERAL);
	track_literal_sent(&t);
	ck_assert_int_eq(t.input, TRACK_INPUT_REST);
	type("");                                   /* the CRLF that ends APPEND */
	ck_assert_int_eq(t.input, TRACK_INPUT_COMMAND);
	server("a002 OK [APPENDUID 1 4] Append completed", TRACK_DONE);
	track_clear_notes(&t);
	track_prepare(&t, "APPEND INBOX {5+}", &s);
	ck_assert(!s.literal_sync);
	assert_note(TRACK_NOTE_WARN, "did not announce LITERAL+");
	type("SELECT INBOX");
	server("a003 OK [READ-WRITE] done", TRACK_DONE);
	type("FETCH 1 BODY[]");
	server("* 1 FETCH (BODY[] {5}", TRACK_LITERAL);
	ck_assert_int_eq(t.literal_left, 5);
	server(" FLAGS (\\Seen))", TRACK_MORE);      /* the rest of that line */
	server("a004 OK Fetch completed", TRACK_DONE);
}
END_TEST

START_TEST(imap_greetings_bye_and_idle)
{
	track_init(&t, TRACK_IMAP, false);
	server("* PREAUTH [CAPABILITY IMAP4rev2] logged in as alice", TRACK_DONE);
	ck_assert_int_eq(t.state, IMAP_AUTHENTICATED);
	track_clear_notes(&t);
	track_prepare(&t, "IDLE", &s);
	ck_assert_int_eq(t.nnotes, 0);               /* IMAP4rev2 includes IDLE */
	track_prepare(&t, "FETCH 1 FLAGS", &s);
	assert_note(TRACK_NOTE_WARN, "FETCH is not valid in the AUTHENTICATED state");
	type("IDLE");
	server("+ idling", TRACK_GO_ON);
	ck_assert_int_eq(t.input, TRACK_INPUT_IDLE);
	track_prepare(&t, "DONE", &s);
	ck_assert(s.raw && !s.tag_added);
	track_sent(&t, &s);
	server("a001 OK Idle completed", TRACK_DONE);
	type("NOOP");
	server("* BYE server shutting down", TRACK_MORE);
	ck_assert_int_eq(t.state, IMAP_LOGOUT);
	ck_assert(t.closed);
	track_init(&t, TRACK_IMAP, false);
	server("* BYE too many connections", TRACK_DONE);
	ck_assert_int_eq(t.outcome, TRACK_FAILED);
}
END_TEST

START_TEST(tables_match_the_protocol_headers)
{
	/* the uniform rows come from the same .def files as the servers' */
	ck_assert_int_eq(track_cmd_count(TRACK_POP3), POP3_CMD_COUNT);
	ck_assert_int_eq(track_cmd_count(TRACK_SMTP), SMTP_CMD_COUNT);
	ck_assert_int_eq(track_cmd_count(TRACK_IMAP), IMAP_CMD_COUNT);
	int i = track_cmd_find(TRACK_IMAP, "uid fetch", 9);
	ck_assert_int_eq(i, IMAP_CMD_UID_FETCH);
	ck_assert_str_eq(track_cmd_at(TRACK_POP3, POP3_CMD_PASS)->rfc,
			 pop3_cmds[POP3_CMD_PASS].rfc);
	ck_assert_str_eq(track_state_name(TRACK_SMTP, SMTP_RCPT), "RCPT");
}
END_TEST

Suite *shell_track_suite(void)
{
	Suite *su = suite_create("shell_track");
	TCase *pop3 = tcase_create("POP3");
	tcase_add_test(pop3, pop3_rfc1939_session);
	tcase_add_test(pop3, pop3_wrong_state_and_pass_without_user);
	tcase_add_test(pop3, pop3_capa_stls_and_tls);
	tcase_add_test(pop3, pop3_auth_exchange_and_quit_in_authorization);
	suite_add_tcase(su, pop3);
	TCase *smtp = tcase_create("SMTP");
	tcase_add_test(smtp, smtp_transaction_with_two_recipients);
	tcase_add_test(smtp, smtp_warnings_auth_and_421);
	tcase_add_test(smtp, smtp_starttls_returns_to_init);
	suite_add_tcase(su, smtp);
	TCase *imap = tcase_create("IMAP");
	tcase_add_test(imap, imap_tags_list_select);
	tcase_add_test(imap, imap_literals_both_ways);
	tcase_add_test(imap, imap_greetings_bye_and_idle);
	tcase_add_test(imap, tables_match_the_protocol_headers);
	suite_add_tcase(su, imap);
	return su;
}
