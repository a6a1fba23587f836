/*
 * fuzz_smtp_dot.c - the message after DATA: dot-unstuffing, and where the
 * message ends.
 *
 * The session is brought to the point right after "354" (EHLO, MAIL,
 * RCPT, DATA, each ended by CRLF), and the input is the client's next
 * bytes.  This target does not only look for crashes: it knows the rules
 * and checks the core against them, with a second, simple reading of the
 * same bytes:
 *
 *   - the message ends at the first <CRLF>.<CRLF> (RFC 5321 §4.1.1.4,
 *     counting the CRLF of the DATA line), and nowhere else: not at
 *     "\n.\n", "\r.\r", "\n.\r\n", "\r\n.\r" (SMTP smuggling,
 *     CVE-2023-51764), and not at a dot after a line that was too long;
 *   - text with a bare CR or LF, a NUL, or a line over 1000 octets with
 *     its CRLF is refused with 5xx (RFC 5322 §2.3, RFC 5321 §4.5.3.1.6)
 *     and nothing is stored;
 *   - any other text is stored exactly, with the first dot of every line
 *     that starts with one taken off (§4.5.2) and CRLF stored as LF.
 */
#include "support.h"

#include "../proto/limits.h"
#include "../servers/core/maildir.h"
#include "../servers/core/users.h"
#include "../servers/smtp/smtp_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once by LLVMFuzzerInitialize(): a fuzz target has no context. */
static const char *dir;
static char maildir[512];
static struct smtp_config cfg;
static const struct trace quiet = { "smtp", 1, -1 };

#define MAX_SIZE (1024 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_data_dir("alice:{PLAIN}wonderland\n");
	static char users[512];
	fuzz_path(dir, "users", users, sizeof(users));
	fuzz_path(dir, "mail/alice/Maildir", maildir, sizeof(maildir));
	cfg = (struct smtp_config){
		.hostname = "mx.maillab.test", .data_dir = dir,
		.users_file = users, .domains = { "maillab.test" },
		.ndomains = 1, .postmaster = "alice", .role = SMTP_ROLE_MX,
		.cleartext_allowed = true, .max_size = MAX_SIZE,
		.peer = "[127.0.0.1]",
	};
	return 0;
}

/* core_flags - the framing's flags as smtp_session.c hands them on. */
static unsigned core_flags(unsigned flags)
{
	return (flags & LINEBUF_BARE_LF ? SMTP_LINE_BARE_LF : 0) |
	       (flags & LINEBUF_AFTER_LONG_BARE_LF ? SMTP_LINE_AFTER_BARE_LF
						   : 0);
}

/* The second reading: where the text ends, and what should be stored. */
struct expect {
	size_t end;        /* input octets up to and including ".\r\n" */
	bool ended;
	bool acceptable;   /* no bare CR/LF, NUL, long line; fits */
	char *stored;      /* the text unstuffed, LF line ends */
	size_t stored_len;
};

static void read_rules(const uint8_t *d, size_t n, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	/* the DATA line's CRLF comes before the input */
	if (n >= 3 && memcmp(d, ".\r\n", 3) == 0) {
		e->end = 3;
		e->ended = true;
	}
	for (size_t i = 0; !e->ended && i + 5 <= n; i++)
		if (memcmp(d + i, "\r\n.\r\n", 5) == 0) {
			e->end = i + 5;
			e->ended = true;
		}
	size_t text = e->ended ? e->end - 3 : 0; /* without ".\r\n" */
	e->stored = malloc(text + 1);
	e->acceptable = e->ended;
	size_t line_start = 0, crlf_size = 0;
	for (size_t i = 0; i < text && e->acceptable; i++) {
		bool crlf = d[i] == '\r' && i + 1 < text && d[i + 1] == '\n';
		if (d[i] == '\0' || (d[i] == '\r' && !crlf) || d[i] == '\n')
			e->acceptable = false;
		if (!crlf)
			continue;
		size_t len = i - line_start;
		if (len + 2 > SMTP_LINE_MAX)
			e->acceptable = false;
		size_t skip = len > 0 && d[line_start] == '.';
		memcpy(e->stored + e->stored_len, d + line_start + skip,
		       len - skip);
		e->stored_len += len - skip;
		e->stored[e->stored_len++] = '\n';
		crlf_size += len - skip + 2;
		line_start = i + 2;
		i++;
	}
	if (crlf_size > MAX_SIZE)
		e->acceptable = false;
}

/* check_stored - the one message in alice's Maildir ends with the text. */
static void check_stored(const struct expect *e)
{
	struct maildir_list list;
	const char *error;
	if (maildir_scan(maildir, &list, &error) < 0 || list.count != 1)
		fuzz_fail("250 was said but alice has no message");
	char *data;
	size_t len;
	if (maildir_read(maildir, &list.msgs[0], &data, &len, &error) < 0)
		fuzz_fail("cannot read the message: %s", error);
	if (len < e->stored_len ||
	    memcmp(data + len - e->stored_len, e->stored, e->stored_len) != 0 ||
	    strncmp(data, "Return-Path: <bob@elsewhere.test>\nReceived: ", 44))
		fuzz_fail("stored text differs from the unstuffed input");
	free(data);
	maildir_list_free(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char mail[512];
	fuzz_rmtree(fuzz_path(dir, "mail", mail, sizeof(mail)));
	struct smtp_session *s = smtp_session_new(&cfg, &quiet, false);
	struct buf out;
	bool slow;
	buf_init(&out, 64 * 1024);
	smtp_greeting(s, &out);
	static const char *const prefix[] = {
		"EHLO client.test", "MAIL FROM:<bob@elsewhere.test>",
		"RCPT TO:<alice@maillab.test>", "DATA",
	};
	for (int i = 0; i < 4; i++)
		smtp_feed_line(s, prefix[i], strlen(prefix[i]), 0, &out, &slow);
	if (smtp_session_state(s) != SMTP_DATA)
		fuzz_fail("the prefix did not reach DATA");
	buf_reset(&out);

	struct fuzz_lines fl;
	fuzz_lines_init(&fl, data, size, smtp_max_line(s));
	size_t end = 0;
	while (smtp_session_state(s) == SMTP_DATA) {
		char *line;
		size_t len;
		unsigned flags;
		enum linebuf_result r = fuzz_lines_next(&fl, &line, &len, &flags);
		if (r == LINEBUF_NEED_MORE)
			break;
		if (r == LINEBUF_TOO_LONG)
			smtp_line_too_long(s, &out);
		else
			smtp_feed_line(s, line, len, core_flags(flags), &out, &slow);
		end = size - fl.left - linebuf_pending(&fl.lb);
	}
	struct expect e;
	read_rules(data, size, &e);
	bool ended = smtp_session_state(s) != SMTP_DATA;
	if (ended != e.ended || (ended && end != e.end))
		fuzz_fail("the message ended %s%zu, the rules say %s%zu",
			  ended ? "at " : "not (", ended ? end : size,
			  e.ended ? "at " : "not (", e.ended ? e.end : size);
	if (ended && e.acceptable) {
		if (strncmp(out.data, "250 ", 4) != 0)
			fuzz_fail("good text refused: %s", out.data);
		check_stored(&e);
	} else if (ended) {
		if (out.data[0] != '5')
			fuzz_fail("bad text not refused: %s", out.data);
		if (fuzz_count_messages(maildir) != 0)
			fuzz_fail("refused text was stored");
	}
	free(e.stored);
	fuzz_lines_free(&fl);
	smtp_session_free(s);
	buf_free(&out);
	return 0;
}
