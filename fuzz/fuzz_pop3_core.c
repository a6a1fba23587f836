/*
 * fuzz_pop3_core.c - a POP3 session fed as bytes to the pure core.
 *
 * The input is cut into lines by netio's framing, with the limit the core
 * asks for (255 octets for commands, RFC 2449 §4; more inside AUTH,
 * RFC 5034 §4), and fed to pop3_feed_line() until the core says to close.
 * STLS throws away what was pipelined behind it, as the glue does
 * (RFC 2595 §4).  The maildrop is real: bob ({PLAIN}, so USER/PASS, APOP
 * and CRAM-MD5 all work) has three messages, refilled whenever DELE and
 * QUIT (RFC 1939 §6) took some away.  The first byte chooses a plain or an
 * implicit-TLS connection, which changes what CAPA and AUTH offer.
 */
#include "support.h"

#include "../servers/pop3/pop3_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once by LLVMFuzzerInitialize(): a fuzz target has no context. */
static const char *dir;
static char maildir[512];
static struct pop3_config cfg;
static const struct trace quiet = { "pop3", 1, -1 };

static const char *const messages[] = {
	"From: alice@maillab.test\nSubject: one\n\nfirst\n",
	"Subject: dots\n\n.profile\n.\n..two\n",
	"Subject: three\n\nline 1\nline 2\nline 3\n",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_data_dir("alice:{PLAIN}wonderland\nbob:{PLAIN}builder\n");
	static char users[512];
	fuzz_path(dir, "users", users, sizeof(users));
	fuzz_path(dir, "mail/bob/Maildir", maildir, sizeof(maildir));
	cfg = (struct pop3_config){
		.hostname = "pop.maillab.test", .data_dir = dir,
		.users_file = users, .stls_offered = true,
		.cleartext_allowed = true,
	};
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (fuzz_count_messages(maildir) < 3)
		for (int i = 0; i < 3; i++)
			fuzz_deliver(maildir, messages[i]);
	struct pop3_session *s = pop3_session_new(&cfg, &quiet,
						  "<1.2@pop.maillab.test>",
						  data[0] & 1);
	struct buf out;
	buf_init(&out, 1024 * 1024);
	pop3_greeting(s, &out);
	struct fuzz_lines fl;
	fuzz_lines_init(&fl, data + 1, size - 1, pop3_max_line(s));
	enum pop3_action act = POP3_CONTINUE;
	while (act != POP3_CLOSE) {
		char *line;
		size_t len;
		unsigned flags;
		bool slow;
		enum linebuf_result r = fuzz_lines_next(&fl, &line, &len, &flags);
		if (r == LINEBUF_NEED_MORE)
			break;
		if (r == LINEBUF_TOO_LONG) {
			pop3_line_too_long(s, &out);
			act = POP3_CONTINUE;
		} else {
			act = pop3_feed_line(s, line, len, &out, &slow);
		}
		if (out.overflow)
			fuzz_fail("reply passed the output limit");
		buf_reset(&out);
		if (act == POP3_STARTTLS) {
			linebuf_discard(&fl.lb); /* CVE-2011-0411 */
			pop3_tls_started(s);
		}
		if (linebuf_set_max(&fl.lb, pop3_max_line(s)) < 0)
			abort();
	}
	fuzz_lines_free(&fl);
	pop3_session_free(s);
	buf_free(&out);
	return 0;
}
