/*
 * fuzz_smtp_session.c - a whole SMTP session, fed as bytes.
 *
 * The input is what a client sends after connecting, in one stream.  It is
 * cut into lines by the same linebuf framing netio uses, with the limit
 * the core asks for after each line (512 for commands, 1000 inside DATA,
 * RFC 4954's 12288 inside AUTH), and every line goes to smtp_feed_line().
 * BDAT chunks (RFC 3030) are taken raw, STARTTLS throws away what was
 * pipelined behind it (RFC 3207 §4.2) as the glue does, and QUIT or a 421
 * ends the input.  The first byte chooses the port: MX or submission, plain
 * or implicit TLS, so AUTH, relaying and the submission policy are
 * reachable too.
 *
 * Accepted mail is really stored (Maildir and relay queue, under a tmpfs
 * data directory); the directory is emptied now and then so a long run
 * does not fill memory.  What is checked: no crash, no sanitizer report,
 * and that the core never leaves its output buffer past its maximum.
 */
#include "support.h"

#include "../servers/smtp/smtp_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fuzz target has no context argument: what LLVMFuzzerInitialize()
 * prepares lives here, set once before the first input. */
static const char *dir;
static struct smtp_config configs[4];
static const struct trace quiet = { "smtp", 1, -1 };
static unsigned long inputs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_data_dir("alice:{PLAIN}wonderland\nbob:{PLAIN}builder\n");
	char routes[512];
	const char *table = "remote.test 127.0.0.1:9\n* [::1]:9\n";
	fuzz_write_file(fuzz_path(dir, "routes", routes, sizeof(routes)),
			table, strlen(table));
	static char users[512];
	fuzz_path(dir, "users", users, sizeof(users));
	for (int i = 0; i < 4; i++)
		configs[i] = (struct smtp_config){
			.hostname = "mx.maillab.test", .data_dir = dir,
			.users_file = users,
			.domains = { "maillab.test", "localhost" },
			.ndomains = 2, .postmaster = "alice",
			.role = i & 1 ? SMTP_ROLE_SUBMISSION : SMTP_ROLE_MX,
			.starttls_offered = !(i & 2),
			.cleartext_allowed = true, .max_size = 64 * 1024,
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

/* chunk - BDAT's octets, raw, as smtp_session.c's read_chunk() takes them. */
static void chunk(struct smtp_session *s, struct fuzz_lines *fl,
		  struct buf *out)
{
	size_t left;
	while ((left = smtp_chunk_left(s)) > 0) {
		const char *data;
		size_t n = fuzz_lines_take(fl, left, &data);
		if (n == 0)
			return; /* the client went away inside the chunk */
		smtp_feed_chunk(s, data, n);
	}
	smtp_chunk_done(s, out);
}

static void session(const uint8_t *data, size_t size, int port)
{
	struct smtp_session *s = smtp_session_new(&configs[port], &quiet,
						  port & 2);
	struct buf out;
	buf_init(&out, 64 * 1024);
	smtp_greeting(s, &out);
	struct fuzz_lines fl;
	fuzz_lines_init(&fl, data, size, smtp_max_line(s));
	enum smtp_action act = SMTP_CONTINUE;
	while (act != SMTP_CLOSE) {
		char *line;
		size_t len;
		unsigned flags;
		bool slow;
		enum linebuf_result r = fuzz_lines_next(&fl, &line, &len, &flags);
		if (r == LINEBUF_NEED_MORE)
			break;
		if (r == LINEBUF_TOO_LONG) {
			smtp_line_too_long(s, &out);
			act = SMTP_CONTINUE;
		} else {
			act = smtp_feed_line(s, line, len,
					     core_flags(flags),
					     &out, &slow);
		}
		if (out.overflow)
			fuzz_fail("reply passed the output limit");
		buf_reset(&out);
		if (act == SMTP_READ_CHUNK)
			chunk(s, &fl, &out);
		if (act == SMTP_STARTTLS) {
			linebuf_discard(&fl.lb); /* CVE-2011-0411 */
			smtp_tls_started(s);
		}
		if (linebuf_set_max(&fl.lb, smtp_max_line(s)) < 0)
			abort();
	}
	fuzz_lines_free(&fl);
	smtp_session_free(s);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	session(data + 1, size - 1, data[0] & 3);
	if (++inputs % 512 == 0) {
		char path[512];
		fuzz_rmtree(fuzz_path(dir, "mail", path, sizeof(path)));
		fuzz_rmtree(fuzz_path(dir, "queue", path, sizeof(path)));
	}
	return 0;
}
