/*
 * check_imap.c - the IMAP core fed strings, no sockets: states, the
 * RFC 3501 §8 example session, login paths, literals, limits, mailbox
 * names, and two sessions on one mailbox.
 *
 * The state test walks proto/imap.def itself, so a command added to the
 * table is tested in every state without touching this file.
 */
#include "../../common/base64.h"
#include "check_imap.h"

#include <poll.h>
#include <unistd.h>

/* RFC 3501 §8's message 12, shortened: its ENVELOPE is the RFC's. */
static const char rfc_message[] =
	"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
	"From: Terry Gray <gray@cac.washington.edu>\n"
	"Subject: IMAP4rev1 WG mtg summary and minutes\n"
	"To: imap@cac.washington.edu\n"
	"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\n"
	"Message-Id: <B27397-0100000@cac.washington.edu>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
	"\n"
	"Hello Joe, do you think we can meet at 3:30 tomorrow?\n";

/* 17-Jul-1996 02:44:25 -0700, the RFC's INTERNALDATE */
#define RFC_DATE ((time_t)837596665)

#define CAPS "IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS MOVE NAMESPACE " \
	     "UNSELECT ENABLE CHILDREN"

static void setup(void)
{
	imap_setup();
}

static void teardown(void)
{
	imap_teardown();
}

START_TEST(rfc3501_example_session)
{
	struct chat c;
	imap_append_at("mrc", "INBOX", "Subject: one\n\nfirst\n", "S", RFC_DATE);
	imap_append_at("mrc", "INBOX", rfc_message, "", RFC_DATE);
	chat_open(&c, false);
	ck_assert_str_eq(c.out.data, "* OK [CAPABILITY " CAPS " STARTTLS "
			 "AUTH=PLAIN AUTH=LOGIN] maillab IMAP server ready\r\n");
	expect(&c, "a001 login mrc secret",
	       "a001 OK [CAPABILITY " CAPS "] LOGIN completed, logged in as "
	       "mrc\r\n");
	const char *r = say(&c, "a002 select inbox");
	ck_assert_msg(strncmp(r,
		"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
		"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
		"\\Draft \\*)] Flags permitted\r\n"
		"* 2 EXISTS\r\n* 2 RECENT\r\n"
		"* OK [UNSEEN 2] first unseen message\r\n"
		"* OK [UIDVALIDITY ", 200) == 0, "SELECT answered:\n%s", r);
	ck_assert_ptr_nonnull(strstr(r, "* OK [UIDNEXT 3] predicted next UID\r\n"
					"a002 OK [READ-WRITE] SELECT completed\r\n"));
	ck_assert_int_eq(imap_session_state(c.s), IMAP_SELECTED);
	expect(&c, "a003 fetch 2 full",
	       "* 2 FETCH (FLAGS (\\Recent) INTERNALDATE "
	       "\"17-Jul-1996 09:44:25 +0000\" RFC822.SIZE 397 ENVELOPE "
	       "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	       "\"IMAP4rev1 WG mtg summary and minutes\" "
	       "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	       "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	       "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	       "((NIL NIL \"imap\" \"cac.washington.edu\")) "
	       "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
	       "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
	       "\"<B27397-0100000@cac.washington.edu>\") "
	       "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	       "\"7bit\" 55 1))\r\n"
	       "a003 OK FETCH completed\r\n");
	r = say(&c, "a004 fetch 2 body[header]");
	ck_assert_msg(strncmp(r, "* 2 FETCH (BODY[HEADER] {342}\r\nDate: Wed, "
			      "17 Jul 1996", 45) == 0, "%s", r);
	/* a body fetch without PEEK set \Seen, and says so */
	ck_assert_ptr_nonnull(strstr(r, "1.0\r\nContent-Type: TEXT/PLAIN; "
				     "CHARSET=US-ASCII\r\n\r\n FLAGS (\\Seen "
				     "\\Recent))\r\na004 OK FETCH completed\r\n"));
	expect(&c, "a005 store 2 +flags \\deleted",
	       "* 2 FETCH (FLAGS (\\Deleted \\Seen \\Recent))\r\n"
	       "a005 OK STORE completed\r\n");
	expect(&c, "a006 logout",
	       "* BYE maillab IMAP server logging out\r\n"
	       "a006 OK LOGOUT completed\r\n");
	ck_assert_int_eq(c.act, IMAP_CLOSE);
	ck_assert_int_eq(imap_session_state(c.s), IMAP_LOGOUT);
	chat_close(&c);
}
END_TEST

/* enter - a fresh session in @state (NOT AUTHENTICATED, AUTHENTICATED,
 * SELECTED). */
static void enter(struct chat *c, enum imap_state state)
{
	chat_open(c, false);
	if (state != IMAP_NOT_AUTHENTICATED)
		chat_login(c, "mrc", "secret",
			   state == IMAP_SELECTED ? "INBOX" : NULL);
	ck_assert_int_eq(imap_session_state(c->s), state);
}

START_TEST(every_command_in_every_state)
{
	imap_deliver("mrc", "INBOX", "Subject: x\n\ny\n");
	for (int id = 0; id < IMAP_CMD_COUNT; id++) {
		const struct imap_cmd_info *cmd = &imap_cmds[id];
		for (int st = IMAP_NOT_AUTHENTICATED; st <= IMAP_SELECTED; st++) {
			struct chat c;
			char line[64], refusal[160];
			enter(&c, (enum imap_state)st);
			snprintf(line, sizeof(line), "t %s", cmd->name);
			snprintf(refusal, sizeof(refusal),
				 "t BAD %s is not valid in the %s state", cmd->name,
				 imap_state_name((enum imap_state)st));
			const char *r = say(&c, line);
			bool valid = cmd->states & (1u << st);
			ck_assert_msg(valid == (strstr(r, refusal) == NULL),
				      "%s in %s answered: %s", cmd->name,
				      imap_state_name((enum imap_state)st), r);
			chat_close(&c);
		}
	}
}
END_TEST

START_TEST(unknown_and_malformed)
{
	struct chat c;
	chat_open(&c, false);
	expect(&c, "a FROB", "a BAD unknown command \"FROB\"\r\n");
	expect(&c, "a UID FROB", "a BAD unknown command \"UID FROB\"\r\n");
	expect(&c, "a (NOOP)", "a BAD the command name must be an atom\r\n");
	expect(&c, "a CAPABILITY now", "a BAD CAPABILITY takes no arguments\r\n");
	expect(&c, "", "* BAD empty command line\r\n");
	expect(&c, "a NOOP", "a OK NOOP completed\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(literals_and_continuation)
{
	struct chat c;
	chat_open(&c, false);
	/* RFC 9051 §7.5: "+" before each synchronising literal */
	expect(&c, "a LOGIN {3}", "+ Ready for literal data\r\n");
	expect(&c, "mrc {6}", "+ Ready for literal data\r\n");
	const char *r = say(&c, "secret");
	ck_assert_msg(strncmp(r, "a OK [CAPABILITY", 16) == 0, "%s", r);
	chat_close(&c);
	/* RFC 7888: {n+} needs no continuation, all in one piece */
	chat_open(&c, false);
	const char in[] = "b LOGIN {3+}\r\nmrc {6+}\r\nsecret\r\n";
	r = chat_raw(&c, in, sizeof(in) - 1);
	ck_assert_msg(strncmp(r, "b OK [CAPABILITY", 16) == 0, "%s", r);
	chat_close(&c);
}
END_TEST

START_TEST(literal_too_large)
{
	struct chat c;
	char line[128];
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", NULL);
	/* refused before a single octet of it is read */
	snprintf(line, sizeof(line), "a APPEND INBOX {%u}",
		 (unsigned)IMAP_LITERAL_MAX + 1);
	expect_end(&c, line, "a NO [TOOBIG] literal too large");
	ck_assert_int_eq(c.act, IMAP_CONTINUE);
	expect(&c, "b NOOP", "b OK NOOP completed\r\n");
	/* {n+}: the octets are on their way; the connection must end */
	snprintf(line, sizeof(line), "c APPEND INBOX {%u+}",
		 (unsigned)IMAP_LITERAL_MAX + 1);
	const char *r = say(&c, line);
	ck_assert_ptr_nonnull(strstr(r, "c BAD [TOOBIG]"));
	ck_assert_ptr_nonnull(strstr(r, "* BYE"));
	ck_assert_int_eq(c.act, IMAP_CLOSE);
	chat_close(&c);
}
END_TEST

START_TEST(authenticate_plain_and_login)
{
	struct chat c;
	char b64[128], line[160];
	const char plain[] = "\0mrc\0secret";
	base64_encode(plain, sizeof(plain) - 1, b64);
	/* with a continuation: an empty challenge first (RFC 4616) */
	chat_open(&c, false);
	expect(&c, "a AUTHENTICATE PLAIN", "+ \r\n");
	expect_end(&c, b64, "a OK [CAPABILITY " CAPS "] PLAIN completed");
	ck_assert_int_eq(imap_session_state(c.s), IMAP_AUTHENTICATED);
	chat_close(&c);
	/* SASL-IR (RFC 4959): the response on the command line */
	chat_open(&c, false);
	snprintf(line, sizeof(line), "b AUTHENTICATE PLAIN %s", b64);
	expect_end(&c, line, "b OK [CAPABILITY");
	chat_close(&c);
	/* LOGIN, then "*" cancels with BAD (RFC 9051 §6.2.2) */
	chat_open(&c, false);
	expect(&c, "c AUTHENTICATE LOGIN", "+ VXNlcm5hbWU6\r\n");
	expect(&c, "*", "c BAD AUTHENTICATE cancelled by the client\r\n");
	expect(&c, "d NOOP", "d OK NOOP completed\r\n");
	expect(&c, "e AUTHENTICATE X-UNKNOWN",
	       "e NO unsupported authentication mechanism (PLAIN and LOGIN "
	       "are offered)\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(failed_logins_close)
{
	struct chat c;
	chat_open(&c, false);
	expect(&c, "a LOGIN mrc wrong",
	       "a NO [AUTHENTICATIONFAILED] invalid user name or password\r\n");
	ck_assert(c.slow);
	/* an unknown user gets the very same answer */
	expect(&c, "b LOGIN nobody wrong",
	       "b NO [AUTHENTICATIONFAILED] invalid user name or password\r\n");
	expect(&c, "c LOGIN alice nope",
	       "* BYE too many failed logins\r\n"
	       "c NO [AUTHENTICATIONFAILED] invalid user name or password\r\n");
	ck_assert_int_eq(c.act, IMAP_CLOSE);
	chat_close(&c);
}
END_TEST

START_TEST(logindisabled_until_starttls)
{
	struct chat c;
	imap_cfg.cleartext_allowed = false;
	chat_open(&c, false);
	ck_assert_str_eq(c.out.data, "* OK [CAPABILITY " CAPS " STARTTLS "
			 "LOGINDISABLED] maillab IMAP server ready\r\n");
	expect(&c, "a LOGIN alice wonderland",
	       "a NO [PRIVACYREQUIRED] passwords are refused on an unencrypted "
	       "connection: use STARTTLS first\r\n");
	expect_end(&c, "b AUTHENTICATE PLAIN", "b NO [PRIVACYREQUIRED]");
	expect(&c, "c STARTTLS", "c OK Begin TLS negotiation now\r\n");
	ck_assert_int_eq(c.act, IMAP_STARTTLS);
	imap_tls_started(c.s);
	expect(&c, "d CAPABILITY", "* CAPABILITY " CAPS " AUTH=PLAIN "
	       "AUTH=LOGIN\r\nd OK CAPABILITY completed\r\n");
	expect(&c, "e STARTTLS", "e BAD TLS is already active\r\n");
	expect_end(&c, "f LOGIN alice wonderland", "f OK [CAPABILITY");
	chat_close(&c);
}
END_TEST

START_TEST(failed_select_leaves_selected)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	expect(&c, "a SELECT nosuch", "a NO [NONEXISTENT] no mailbox "
	       "\"nosuch\"\r\n");
	/* RFC 9051 §6.3.2: no mailbox is selected any more */
	ck_assert_int_eq(imap_session_state(c.s), IMAP_AUTHENTICATED);
	expect(&c, "b FETCH 1 UID", "b BAD FETCH is not valid in the "
	       "AUTHENTICATED state: select a mailbox first\r\n");
	expect_end(&c, "c EXAMINE INBOX", "c OK [READ-ONLY] EXAMINE completed");
	expect(&c, "d STORE 1 +FLAGS \\Seen",
	       "d NO [READ-ONLY] the mailbox was opened with EXAMINE\r\n");
	expect(&c, "e CLOSE", "e OK CLOSE completed\r\n");
	ck_assert_int_eq(imap_session_state(c.s), IMAP_AUTHENTICATED);
	chat_close(&c);
}
END_TEST

START_TEST(mailbox_names_that_escape)
{
	static const char *const bad[] = {
		"../evil", "a/../../b", "/etc", "a//b", ".hidden",
		"\"with\x01control\"", "wild*", "wild%", "\"\"",
	};
	struct chat c;
	char line[128];
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "a CREATE %s", bad[i]);
		const char *r = say(&c, line);
		ck_assert_msg(strncmp(r, "a NO ", 5) == 0 || strncmp(r, "a BAD ", 6) == 0,
			      "CREATE %s answered %s", bad[i], r);
		snprintf(line, sizeof(line), "b SELECT %s", bad[i]);
		r = say(&c, line);
		ck_assert_msg(strncmp(r, "b NO ", 5) == 0 || strncmp(r, "b BAD ", 6) == 0,
			      "SELECT %s answered %s", bad[i], r);
	}
	/* nothing was made next to the Maildir */
	char evil[4200];
	snprintf(evil, sizeof(evil), "%s/mail/evil", imap_data);
	ck_assert_int_ne(access(evil, F_OK), 0);
	/* modified UTF-7 that is not canonical is refused too */
	expect_end(&c, "c CREATE &AGE-", "c NO [CANNOT] mailbox name is not "
		   "valid modified UTF-7");
	expect(&c, "d CREATE Entw&APw-rfe", "d OK CREATE completed\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(mailbox_management)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", NULL);
	expect(&c, "a CREATE Archive/2026", "a OK CREATE completed\r\n");
	expect(&c, "b CREATE Archive/2026", "b NO [ALREADYEXISTS] "
	       "\"Archive/2026\" already exists\r\n");
	expect(&c, "c LIST \"\" *",
	       "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
	       "* LIST (\\HasChildren) \"/\" Archive\r\n"
	       "* LIST (\\HasNoChildren) \"/\" Archive/2026\r\n"
	       "c OK LIST completed\r\n");
	expect(&c, "d LIST \"\" %",
	       "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
	       "* LIST (\\HasChildren) \"/\" Archive\r\n"
	       "d OK LIST completed\r\n");
	expect(&c, "e LIST \"\" \"\"", "* LIST (\\Noselect) \"/\" \"\"\r\n"
	       "e OK LIST completed\r\n");
	expect(&c, "f RENAME Archive Old", "f OK RENAME completed\r\n");
	expect(&c, "g LIST \"\" Old/*",
	       "* LIST (\\HasNoChildren) \"/\" Old/2026\r\n"
	       "g OK LIST completed\r\n");
	expect(&c, "h DELETE Old", "h OK DELETE completed\r\n");
	/* the child stays; its parent is now only implied */
	expect(&c, "i LIST \"\" Old*",
	       "* LIST (\\Noselect \\HasChildren) \"/\" Old\r\n"
	       "* LIST (\\HasNoChildren) \"/\" Old/2026\r\n"
	       "i OK LIST completed\r\n");
	expect(&c, "j DELETE INBOX", "j NO [CANNOT] INBOX cannot be deleted "
	       "(RFC 9051 section 6.3.5)\r\n");
	expect(&c, "k SUBSCRIBE Old/2026", "k OK SUBSCRIBE completed\r\n");
	expect(&c, "l LSUB \"\" *", "* LSUB () \"/\" Old/2026\r\n"
	       "l OK LSUB completed\r\n");
	/* RFC 3501 §6.3.9: '%' shows the unsubscribed parent */
	expect(&c, "l2 LSUB \"\" %", "* LSUB (\\Noselect) \"/\" Old\r\n"
	       "l2 OK LSUB completed\r\n");
	expect(&c, "m UNSUBSCRIBE Old/2026", "m OK UNSUBSCRIBE completed\r\n");
	expect(&c, "n LSUB \"\" *", "n OK LSUB completed\r\n");
	expect(&c, "o NAMESPACE", "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
	       "o OK NAMESPACE completed\r\n");
	expect(&c, "p STATUS Old/2026 (MESSAGES UNSEEN UIDNEXT)",
	       "* STATUS Old/2026 (MESSAGES 0 UNSEEN 0 UIDNEXT 1)\r\n"
	       "p OK STATUS completed\r\n");
	expect(&c, "q STATUS nosuch (MESSAGES)", "q NO [NONEXISTENT] no mailbox "
	       "\"nosuch\"\r\n");
	expect(&c, "r ENABLE CONDSTORE", "* ENABLED\r\nr OK ENABLE completed\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(store_copy_move_expunge)
{
	struct chat c;
	for (int i = 0; i < 4; i++)
		imap_append_at("mrc", "INBOX", "Subject: m\n\nbody\n", "", RFC_DATE);
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	/* a new keyword changes the mailbox's FLAGS (RFC 9051 §7.2.6) */
	expect(&c, "a STORE 1:2 +FLAGS.SILENT (\\Deleted $Work)",
	       "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
	       "$Work)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged "
	       "\\Deleted \\Seen \\Draft $Work \\*)] Flags permitted\r\n"
	       "a OK STORE completed\r\n");
	expect(&c, "b FETCH 1 FLAGS",
	       "* 1 FETCH (FLAGS (\\Deleted \\Recent $Work))\r\n"
	       "b OK FETCH completed\r\n");
	expect(&c, "c UID STORE 2 -FLAGS (\\Deleted)",
	       "* 2 FETCH (FLAGS (\\Recent $Work) UID 2)\r\n"
	       "c OK UID STORE completed\r\n");
	expect(&c, "d COPY 1:2 nosuch", "d NO [TRYCREATE] no mailbox "
	       "\"nosuch\"\r\n");
	expect(&c, "e CREATE Keep", "e OK CREATE completed\r\n");
	const char *r = say(&c, "f COPY 1:2 Keep");
	ck_assert_msg(strstr(r, " 1:2 1:2] COPY completed\r\n") != NULL &&
		      strncmp(r, "f OK [COPYUID ", 14) == 0, "%s", r);
	r = say(&c, "g UID MOVE 3 Keep");
	ck_assert_msg(strncmp(r, "* OK [COPYUID ", 14) == 0 &&
		      strstr(r, " 3 3] moved\r\n* 3 EXPUNGE\r\n"
			     "g OK UID MOVE completed\r\n") != NULL, "%s", r);
	/* RFC 4315: UID EXPUNGE takes only \Deleted messages of its set */
	expect(&c, "h STORE 1:3 +FLAGS.SILENT \\Deleted", "h OK STORE completed\r\n");
	expect(&c, "i UID EXPUNGE 4", "* 3 EXPUNGE\r\ni OK UID EXPUNGE completed\r\n");
	expect(&c, "j EXPUNGE", "* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"
	       "j OK EXPUNGE completed\r\n");
	expect(&c, "k STATUS Keep (MESSAGES)", "* STATUS Keep (MESSAGES 3)\r\n"
	       "k OK STATUS completed\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(append_with_flags_and_date)
{
	struct chat c;
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	const char cmd[] = "a APPEND INBOX (\\Seen $Label1) "
			   "\"17-Jul-1996 02:44:25 -0700\" {12}\r\n";
	ck_assert_str_eq(chat_raw(&c, cmd, sizeof(cmd) - 1),
			 "+ Ready for literal data\r\n");
	const char *r = say(&c, "Subject: x\r\n");
	ck_assert_msg(strstr(r, "* 1 EXISTS\r\n") != NULL &&
		      strstr(r, " 1] APPEND completed\r\n") != NULL, "%s", r);
	expect(&c, "b FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)",
	       "* 1 FETCH (FLAGS (\\Seen \\Recent $Label1) INTERNALDATE "
	       "\"17-Jul-1996 09:44:25 +0000\" RFC822.SIZE 12)\r\n"
	       "b OK FETCH completed\r\n");
	expect(&c, "c APPEND nosuch {1+}\r\nx", "c NO [TRYCREATE] no mailbox "
	       "\"nosuch\"\r\n");
	expect(&c, "d APPEND INBOX (\\Recent) {1+}\r\nx", "d BAD \\Recent and "
	       "unknown system flags cannot be set\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(keywords_stored_as_dovecot_does)
{
	struct chat c;
	char path[4200], *text;
	size_t len;
	imap_deliver("mrc", "INBOX", "Subject: k\n\nk\n");
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	expect_end(&c, "a STORE 1 +FLAGS.SILENT ($Work $Junk)",
		   "a OK STORE completed");
	/* dovecot-keywords: "<letter index> <name>" */
	snprintf(path, sizeof(path), "%s/mail/mrc/Maildir/dovecot-keywords",
		 imap_data);
	text = fixture_read_file(path, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "0 $Work\n1 $Junk\n");
	free(text);
	/* a flag change made by another program (pop3d marking a message
	 * read) keeps the keyword letters in the file name */
	char *root = users_maildir(imap_data, "mrc");
	struct maildir_list list;
	const char *error;
	ck_assert_int_eq(maildir_scan(root, &list, &error), 0);
	ck_assert_ptr_nonnull(strstr(list.msgs[0].name, ":2,ab"));
	ck_assert_int_eq(maildir_set_flags(root, &list.msgs[0], "S", &error), 0);
	ck_assert_ptr_nonnull(strstr(list.msgs[0].name, ":2,Sab"));
	maildir_list_free(&list);
	free(root);
	/* and this session is told of the change */
	expect(&c, "b NOOP", "* 1 FETCH (FLAGS (\\Seen \\Recent $Work "
	       "$Junk))\r\nb OK NOOP completed\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(two_sessions_one_mailbox)
{
	struct chat a, b;
	imap_deliver("mrc", "INBOX", "Subject: 1\n\none\n");
	imap_deliver("mrc", "INBOX", "Subject: 2\n\ntwo\n");
	chat_open(&a, false);
	chat_login(&a, "mrc", "secret", "INBOX");
	chat_open(&b, false);
	chat_login(&b, "mrc", "secret", "INBOX");
	/* new mail: EXISTS in both; \Recent for only one of them */
	imap_deliver("mrc", "INBOX", "Subject: 3\n\nthree\n");
	expect(&a, "a1 NOOP", "* 3 EXISTS\r\n* 3 RECENT\r\na1 OK NOOP completed\r\n");
	expect(&b, "b1 NOOP", "* 3 EXISTS\r\n* 0 RECENT\r\nb1 OK NOOP completed\r\n");
	/* a flag change by A is a FETCH for B */
	expect(&a, "a2 STORE 2 +FLAGS.SILENT \\Flagged", "a2 OK STORE completed\r\n");
	expect(&b, "b2 NOOP", "* 2 FETCH (FLAGS (\\Flagged))\r\nb2 OK NOOP completed\r\n");
	/* A expunges message 1; B's numbers stay valid until it is told */
	expect(&a, "a3 STORE 1 +FLAGS.SILENT \\Deleted", "a3 OK STORE completed\r\n");
	expect(&a, "a4 EXPUNGE", "* 1 EXPUNGE\r\na4 OK EXPUNGE completed\r\n");
	expect(&b, "b3 FETCH 3 (UID)", "* 3 FETCH (UID 3)\r\nb3 OK FETCH completed\r\n");
	expect(&b, "b4 SEARCH ALL", "* SEARCH 1 2 3\r\nb4 OK SEARCH completed\r\n");
	expect(&b, "b5 FETCH 1 BODY.PEEK[]", "b5 NO [EXPUNGEISSUED] some of the "
	       "messages no longer exist\r\n");
	expect(&b, "b6 NOOP", "* 1 EXPUNGE\r\nb6 OK NOOP completed\r\n");
	expect(&b, "b7 FETCH 2 (UID)", "* 2 FETCH (UID 3)\r\nb7 OK FETCH completed\r\n");
	chat_close(&a);
	chat_close(&b);
}
END_TEST

/* unseen - the n of SELECT's [UNSEEN n], 0 if it sent none. */
static size_t unseen(struct chat *c, const char *tag)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "%s SELECT INBOX", tag);
	const char *r = say(c, cmd);
	ck_assert_msg(strstr(r, " OK [READ-WRITE] SELECT completed") != NULL,
		      "%s", r);
	const char *u = strstr(r, "* OK [UNSEEN ");
	return u != NULL ? strtoul(u + 13, NULL, 10) : 0;
}

/* [UNSEEN n] is looked for from where the last SELECT left off (all
 * before it \Seen), so every way a message can lose \Seen or move down
 * must move that place back: a STORE, an EXPUNGE before it, and a change
 * another session made. */
START_TEST(unseen_follows_every_change)
{
	struct chat a, b;
	for (int i = 0; i < 4; i++)
		imap_append_at("mrc", "INBOX", "Subject: s\n\nseen\n", "S", RFC_DATE);
	chat_open(&a, false);
	chat_login(&a, "mrc", "secret", "INBOX");
	ck_assert_uint_eq(unseen(&a, "a1"), 0);
	expect(&a, "a2 STORE 3 -FLAGS.SILENT (\\Seen)", "a2 OK STORE completed\r\n");
	ck_assert_uint_eq(unseen(&a, "a3"), 3);
	/* message 1 leaves: the unseen one is 2 now */
	expect(&a, "a4 STORE 1 +FLAGS.SILENT (\\Deleted)", "a4 OK STORE completed\r\n");
	expect(&a, "a5 EXPUNGE", "* 1 EXPUNGE\r\na5 OK EXPUNGE completed\r\n");
	ck_assert_uint_eq(unseen(&a, "a6"), 2);
	/* another session takes \Seen off message 1; a NOOP brings the
	 * change into this view, and the SELECT after it keeps the view */
	chat_open(&b, false);
	chat_login(&b, "mrc", "secret", "INBOX");
	expect(&b, "b1 STORE 1 -FLAGS.SILENT (\\Seen)", "b1 OK STORE completed\r\n");
	expect(&a, "a7 NOOP", "* 1 FETCH (FLAGS ())\r\na7 OK NOOP completed\r\n");
	ck_assert_uint_eq(unseen(&a, "a8"), 1);
	/* and puts it back: the first unseen one is 2 again */
	expect(&b, "b2 STORE 1 +FLAGS.SILENT (\\Seen)", "b2 OK STORE completed\r\n");
	expect(&a, "a9 NOOP", "* 1 FETCH (FLAGS (\\Seen))\r\na9 OK NOOP completed\r\n");
	ck_assert_uint_eq(unseen(&a, "a10"), 2);
	chat_close(&a);
	chat_close(&b);
}
END_TEST

START_TEST(uid_commands_may_expunge)
{
	struct chat a, b;
	imap_deliver("mrc", "INBOX", "Subject: 1\n\none\n");
	imap_deliver("mrc", "INBOX", "Subject: 2\n\ntwo\n");
	chat_open(&a, false);
	chat_login(&a, "mrc", "secret", "INBOX");
	chat_open(&b, false);
	chat_login(&b, "mrc", "secret", "INBOX");
	expect(&a, "a1 STORE 1 +FLAGS.SILENT \\Deleted", "a1 OK STORE completed\r\n");
	expect(&a, "a2 EXPUNGE", "* 1 EXPUNGE\r\na2 OK EXPUNGE completed\r\n");
	/* RFC 9051 §7.5.1 does not hold for UID commands */
	expect(&b, "b1 UID SEARCH ALL", "* 1 EXPUNGE\r\n* SEARCH 2\r\n"
	       "b1 OK UID SEARCH completed\r\n");
	chat_close(&a);
	chat_close(&b);
}
END_TEST

START_TEST(idle_wakes_on_new_mail)
{
	struct chat c;
	imap_deliver("mrc", "INBOX", "Subject: 1\n\none\n");
	chat_open(&c, false);
	chat_login(&c, "mrc", "secret", "INBOX");
	expect(&c, "i IDLE", "+ idling\r\n");
	ck_assert_int_eq(c.act, IMAP_IDLE);
	int fd = imap_idle_fd(c.s);
	ck_assert_int_ge(fd, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 0), 0); /* nothing yet */
	imap_deliver("mrc", "INBOX", "Subject: 2\n\ntwo\n");
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	buf_reset(&c.out);
	imap_idle_wake(c.s, &c.out);
	ck_assert_str_eq(c.out.data, "* 2 EXISTS\r\n* 2 RECENT\r\n");
	expect(&c, "DONE", "i OK IDLE terminated\r\n");
	expect(&c, "j NOOP", "j OK NOOP completed\r\n");
	expect(&c, "k IDLE", "+ idling\r\n");
	expect(&c, "HELLO", "k BAD expected DONE to end IDLE\r\n");
	chat_close(&c);
}
END_TEST

START_TEST(pipelined_commands)
{
	/* 10,000 commands in one piece: each answered, in order */
	struct chat c;
	struct buf in;
	buf_init(&in, 1u << 20);
	chat_open(&c, false);
	for (int i = 0; i < 10000; i++)
		buf_printf(&in, "n%d NOOP\r\n", i);
	const char *r = chat_raw(&c, in.data, in.len);
	ck_assert_ptr_nonnull(strstr(r, "n0 OK NOOP completed\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "n9999 OK NOOP completed\r\n"));
	size_t lines = 0;
	for (const char *p = r; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ck_assert_uint_eq(lines, 10000);
	buf_free(&in);
	chat_close(&c);
}
END_TEST

Suite *imap_suite(void)
{
	Suite *s = suite_create("imap");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rfc3501_example_session);
	tcase_add_test(tc, every_command_in_every_state);
	tcase_add_test(tc, unknown_and_malformed);
	tcase_add_test(tc, literals_and_continuation);
	tcase_add_test(tc, literal_too_large);
	tcase_add_test(tc, authenticate_plain_and_login);
	tcase_add_test(tc, failed_logins_close);
	tcase_add_test(tc, logindisabled_until_starttls);
	tcase_add_test(tc, failed_select_leaves_selected);
	tcase_add_test(tc, mailbox_names_that_escape);
	tcase_add_test(tc, mailbox_management);
	tcase_add_test(tc, store_copy_move_expunge);
	tcase_add_test(tc, append_with_flags_and_date);
	tcase_add_test(tc, keywords_stored_as_dovecot_does);
	tcase_add_test(tc, two_sessions_one_mailbox);
	tcase_add_test(tc, uid_commands_may_expunge);
	tcase_add_test(tc, unseen_follows_every_change);
	tcase_add_test(tc, idle_wakes_on_new_mail);
	tcase_add_test(tc, pipelined_commands);
	suite_add_tcase(s, tc);
	return s;
}
