/*
 * exec.c - what happens to one line the learner types (or a batch file
 * holds).
 *
 *   ":..."   a local command (meta.c), never sent
 *   "#..."   a comment, never sent (handy in batch files)
 *   "!..."   batch mode: this command is expected to fail (see below)
 *   else     depending on what the session waits for: message text after
 *            DATA's 354 (multiline.c), literal bytes (multiline.c), or a
 *            protocol line - a command, a SASL answer, DONE, the rest of
 *            an IMAP command after a literal - which the tracker checks
 *            (warnings are printed, the line is sent anyway) and sends.
 *
 * A line that carries a password in the clear (no TLS) is held back
 * after a warning until the learner confirms, unless warnings are off or
 * nobody can be asked (batch mode, where it is sent after the warning).
 *
 * Batch verdicts: a session "went as expected" when every reply to a
 * script line was a success (+OK; 2xx or 3xx; a tagged OK; a continuation
 * request), except on lines marked with a leading "!", whose final reply
 * must be a failure (-ERR; 4xx or 5xx; NO or BAD), and when nothing else
 * went wrong: no failed connect or TLS handshake, no reply that timed
 * out, no connection lost before QUIT/LOGOUT, no local command that
 * failed.  Each exception is counted by shell_unexpected().
 */
#include "shell.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void shell_unexpected(struct shell *sh, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sh->unexpected++;
	if (!sh->interactive)
		fprintf(sh->out, "-- not as expected (line %lu): %s\n",
			sh->lineno, why);
}

void shell_prompt(const struct shell *sh, char *out, size_t size)
{
	char state[SHELL_NOTE_LEN];
	const struct track *t = &sh->track;
	if (sh->confirm_line != NULL) {
		snprintf(out, size, "send it anyway? [y/N] ");
		return;
	}
	if (sh->conn == NULL) {
		if (sh->have_url)
			snprintf(out, size, "%s (disconnected)> ",
				 track_proto_name(t->proto));
		else
			snprintf(out, size, "mailsh> ");
		return;
	}
	track_prompt(t, state, sizeof(state));
	switch (t->input) {
	case TRACK_INPUT_DATA:
		snprintf(out, size, "%s message (end with \".\")> ", state);
		break;
	case TRACK_INPUT_LITERAL:
		snprintf(out, size, "%s literal (%zu bytes left)> ", state,
			 sh->literal_left);
		break;
	case TRACK_INPUT_REST:
		snprintf(out, size, "%s rest of the command> ", state);
		break;
	case TRACK_INPUT_SASL:
		snprintf(out, size, "%s SASL answer (base64)> ", state);
		break;
	case TRACK_INPUT_IDLE:
		snprintf(out, size, "%s IDLE (type DONE)> ", state);
		break;
	default:
		snprintf(out, size, "%s> ", state);
		break;
	}
}

/* is_secret - a line whose text must not go into the history file:
 * passwords (PASS, LOGIN, APOP digests, AUTH initial responses) and SASL
 * answers, with TLS or without.  The command is the first word, or the
 * second after an IMAP tag. */
static bool is_secret(const struct shell *sh, const char *line)
{
	static const char *const words[] = {
		"PASS", "LOGIN", "APOP", "AUTH", "AUTHENTICATE", NULL,
	};
	if (sh->track.input == TRACK_INPUT_SASL)
		return true;
	const char *p = line;
	for (int n = 0; n < 2; n++) {
		size_t len = strcspn(p, " ");
		for (int i = 0; words[i] != NULL; i++)
			if (strncasecmp(p, words[i], len) == 0 && words[i][len] == '\0')
				return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* send_prepared - send a checked line, then read what it asks for. */
static void send_prepared(struct shell *sh, const struct track_send *s)
{
	char wire[sizeof(s->line) + 2];
	int n = snprintf(wire, sizeof(wire), "%s\r\n", s->line);
	if (conn_send(sh->conn, wire, (size_t)n) < 0) {
		out_error(sh, "cannot send: the connection is broken");
		shell_disconnect(sh, "write failed");
		shell_unexpected(sh, "connection lost");
		return;
	}
	out_sent(sh, s->line, s->tag_added);
	track_sent(&sh->track, s);
	out_notes(sh);
	if (s->literal > 0) {
		sh->literal_size = s->literal;
		sh->literal_line_follows = s->line_follows;
		if (!s->literal_sync) {
			shell_literal_begin(sh); /* {n+} and BDAT: no waiting */
			return;
		}
	}
	shell_read_reply(sh);
}

/* run_command - check a protocol line, ask about cleartext passwords,
 * send it. */
static void run_command(struct shell *sh, char *line)
{
	char buf[SHELL_INPUT_MAX];
	snprintf(buf, sizeof(buf), "%s", line);
	if (sh->track.proto == TRACK_IMAP && shell_file_literal(sh, buf,
								sizeof(buf)) < 0)
		return;
	struct track_send *s = malloc(sizeof(*s));
	if (s == NULL)
		return;
	track_prepare(&sh->track, buf, s);
	out_notes(sh);
	history_add(sh, line, is_secret(sh, line));
	if (s->credentials && sh->warnings) {
		out_warn(sh, "no TLS: this line carries a password that anyone "
			 "on the path can read (base64 is an encoding, not "
			 "encryption)");
		if (sh->interactive) {
			sh->confirm_line = strdup(buf);
			free(s);
			return;
		}
		out_info(sh, "sent anyway: nobody to ask in batch mode");
	}
	send_prepared(sh, s);
	free(s);
}

/* confirm - the answer to "send it anyway?". */
static void confirm(struct shell *sh, const char *answer)
{
	char *line = sh->confirm_line;
	sh->confirm_line = NULL;
	if (sh->conn != NULL && (strcasecmp(answer, "y") == 0 ||
				 strcasecmp(answer, "yes") == 0)) {
		struct track_send *s = malloc(sizeof(*s));
		if (s != NULL) {
			track_prepare(&sh->track, line, s);
			track_clear_notes(&sh->track); /* already shown */
			send_prepared(sh, s);
			free(s);
		}
	} else {
		out_info(sh, "not sent (use :starttls first, or :warnings off)");
	}
	free(line);
}

void shell_command(struct shell *sh, const char *line)
{
	char buf[SHELL_INPUT_MAX];
	snprintf(buf, sizeof(buf), "%s", line);
	sh->expect_failure = false;
	run_command(sh, buf);
}

void shell_line(struct shell *sh, char *line)
{
	size_t len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (sh->confirm_line != NULL) {
		confirm(sh, line);
		return;
	}
	enum track_input input = sh->conn ? sh->track.input : TRACK_INPUT_COMMAND;
	if (input == TRACK_INPUT_DATA) {
		shell_data_line(sh, line);
		return;
	}
	if (input == TRACK_INPUT_LITERAL) {
		shell_literal_line(sh, line);
		return;
	}
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#' || (*p == '\0' && input == TRACK_INPUT_COMMAND))
		return;
	if (*p == ':') {
		/* the helpers take passwords as arguments: not for the file */
		bool secret = strncmp(p, ":plain", 6) == 0 ||
			      strncmp(p, ":login", 6) == 0 ||
			      strncmp(p, ":cram", 5) == 0 ||
			      strncmp(p, ":apop", 5) == 0 ||
			      strncmp(p, ":b64", 4) == 0;
		history_add(sh, p, secret);
		meta_run(sh, p);
		return;
	}
	/* "!" marks a command, and the exchange it starts (SASL answers,
	 * literals), as expected to fail */
	if (input == TRACK_INPUT_COMMAND) {
		sh->expect_failure = *p == '!';
		if (*p == '!')
			for (p++; *p == ' '; p++)
				;
	}
	if (sh->conn == NULL) {
		out_error(sh, "not connected: use :connect URL (see :help)");
		shell_unexpected(sh, "not connected");
		return;
	}
	/* a SASL answer or the rest of a command is sent as typed, even empty */
	run_command(sh, input == TRACK_INPUT_COMMAND ? p : line);
}
