/*
 * fuzz_smtp_command.c - one SMTP command line, in each state it can meet.
 *
 * Where fuzz_smtp_session.c has to discover a whole dialogue, this target
 * goes straight to the command parsers: the first byte of the input picks
 * a state the session is first brought into with a correct prefix
 *
 *   0 INIT    nothing said yet
 *   1 READY   after EHLO
 *   2 MAIL    after EHLO and MAIL FROM
 *   3 RCPT    after a recipient too
 *   4 READY   on a submission port, logged in with AUTH PLAIN
 *   5 AUTH    on a submission port, inside an AUTH LOGIN exchange
 *
 * and whether the line ended in a bare LF; the rest of the input is the
 * line itself, NUL bytes and all, as the framing would hand it over
 * (RFC 5321 §4.1.1 commands, §4.1.2 the path syntax, RFC 1870, RFC 6152,
 * RFC 6531 parameters, RFC 4954 AUTH).
 */
#include "support.h"

#include "../proto/limits.h"
#include "../servers/smtp/smtp_core.h"

#include <stdlib.h>
#include <string.h>

/* Set once by LLVMFuzzerInitialize(): a fuzz target has no context. */
static const char *dir;
static struct smtp_config mx, submission;
static const struct trace quiet = { "smtp", 1, -1 };
static unsigned long inputs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_data_dir("alice:{PLAIN}wonderland\nbob:{PLAIN}builder\n");
	static char users[512], routes[512];
	fuzz_path(dir, "users", users, sizeof(users));
	const char *table = "* 127.0.0.1:9\n";
	fuzz_write_file(fuzz_path(dir, "routes", routes, sizeof(routes)),
			table, strlen(table));
	mx = (struct smtp_config){
		.hostname = "mx.maillab.test", .data_dir = dir,
		.users_file = users, .domains = { "maillab.test" },
		.ndomains = 1, .postmaster = "alice", .role = SMTP_ROLE_MX,
		.starttls_offered = true, .cleartext_allowed = true,
		.max_size = 64 * 1024, .peer = "[127.0.0.1]",
	};
	submission = mx;
	submission.role = SMTP_ROLE_SUBMISSION;
	return 0;
}

static const char *const prefixes[][4] = {
	{ NULL },
	{ "EHLO client.test", NULL },
	{ "EHLO client.test", "MAIL FROM:<bob@elsewhere.test>", NULL },
	{ "EHLO client.test", "MAIL FROM:<bob@elsewhere.test>",
	  "RCPT TO:<alice@maillab.test>", NULL },
	/* AUTH PLAIN \0alice\0wonderland */
	{ "EHLO client.test", "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", NULL },
	{ "EHLO client.test", "AUTH LOGIN", NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > SMTP_SASL_LINE_MAX)
		return 0;
	unsigned pick = data[0] % 6;
	bool submit = pick >= 4;
	struct smtp_session *s = smtp_session_new(submit ? &submission : &mx,
						  &quiet, false);
	struct buf out;
	bool slow;
	buf_init(&out, 64 * 1024);
	smtp_greeting(s, &out);
	for (int i = 0; prefixes[pick][i] != NULL; i++)
		smtp_feed_line(s, prefixes[pick][i], strlen(prefixes[pick][i]),
			       0, &out, &slow);
	/* the line as the framing returns it: NUL-terminated, maybe with
	 * NULs inside */
	char *line = malloc(size);
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	smtp_feed_line(s, line, size - 1,
		       data[0] & 0x80 ? SMTP_LINE_BARE_LF : 0, &out, &slow);
	if (out.overflow)
		fuzz_fail("reply passed the output limit");
	free(line);
	smtp_session_free(s);
	buf_free(&out);
	if (++inputs % 1024 == 0) {
		char path[512];
		fuzz_rmtree(fuzz_path(dir, "mail", path, sizeof(path)));
	}
	return 0;
}
