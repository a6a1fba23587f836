/*
 * multiline.c - everything that spans more than one line: replies read
 * completely, an SMTP message after DATA, IMAP literals in both
 * directions.
 *
 * Replies (RFC 1939 §3, RFC 5321 §4.2, RFC 9051 §2.2): the tracker says
 * after each line whether the reply goes on, so the prompt comes back only
 * when it is complete - or when the server waits for input ("+", 334,
 * 354).  A server line ending in {n} is followed by n raw bytes (RFC 9051
 * §4.3), read by count and shown as they are.
 *
 * DATA (RFC 5321 §4.1.1.4, §4.5.2): every typed line is message text
 * until a line holding only "."; a text line that begins with "." gets
 * one more "." in front (dot-stuffing) and mailsh says so, because that is
 * exactly the rule a learner should see at work.
 *
 * Literals (RFC 9051 §4.3, RFC 7888): after "{n}" and the server's "+"
 * (or at once for "{n+}", and for SMTP's BDAT, RFC 3030 §2) exactly n
 * bytes follow.  Typed lines count with their CRLF; or the line may end in
 * {@path}, and the file is sent (bare LF line ends become CRLF, as RFC 5322
 * §2.3 requires of a message, and mailsh says so).
 */
#include "shell.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* judge - a complete reply: was it what the script line expected? */
static void judge(struct shell *sh)
{
	enum track_outcome o = sh->track.outcome;
	if (o == TRACK_FAILED && !sh->expect_failure)
		shell_unexpected(sh, "the server refused it");
	else if (o != TRACK_FAILED && o != TRACK_NONE && sh->expect_failure)
		shell_unexpected(sh, "a failure was expected (the line starts "
				 "with !), but the server accepted it");
}

/* read_literal - the n raw bytes after a server line ending in {n}. */
static void read_literal(struct shell *sh)
{
	size_t left = sh->track.literal_left;
	bool newline = true;
	while (left > 0 && sh->conn != NULL) {
		const char *data;
		size_t n;
		if (conn_read_bytes(sh->conn, left, &data, &n) != NETIO_OK) {
			out_error(sh, "the connection ended inside a literal");
			shell_disconnect(sh, "lost inside a literal");
			shell_unexpected(sh, "connection lost");
			return;
		}
		fwrite(data, 1, n, sh->out);
		newline = data[n - 1] == '\n';
		left -= n;
	}
	if (!newline)
		fputc('\n', sh->out);
	sh->track.literal_left = 0;
}

/* broken - reading a reply failed; true if the caller should stop. */
static bool broken(struct shell *sh, enum netio_status st)
{
	switch (st) {
	case NETIO_TOO_LONG:
		out_warn(sh, "a reply line longer than %d bytes was skipped",
			 SHELL_REPLY_LINE_MAX);
		return false;
	case NETIO_TIMEOUT:
		out_error(sh, "no complete reply within %u s",
			  sh->opts.timeout_s);
		shell_unexpected(sh, "no reply");
		return true;
	case NETIO_EOF:
		if (!sh->track.closed) {
			out_error(sh, "the server closed the connection");
			shell_unexpected(sh, "connection lost");
		}
		shell_disconnect(sh, "the server closed it");
		return true;
	default:
		out_error(sh, "reading from the server failed");
		shell_disconnect(sh, "read error");
		shell_unexpected(sh, "connection lost");
		return true;
	}
}

/* one_line - read one server line and show it; false when reading stopped. */
static bool one_line(struct shell *sh, enum track_reply *r)
{
	char *line;
	size_t len;
	enum netio_status st = conn_read_line(sh->conn, &line, &len);
	if (st != NETIO_OK)
		return !broken(sh, st);
	*r = track_reply_line(&sh->track, line);
	out_server(sh, line);
	out_notes(sh);
	if (*r == TRACK_LITERAL)
		read_literal(sh);
	return sh->conn != NULL;
}

/* after_reply - what a finished reply asks for: a literal to type, a TLS
 * handshake, a closed session. */
static void after_reply(struct shell *sh, enum track_reply r)
{
	if (r == TRACK_DONE)
		judge(sh);
	if (sh->conn == NULL)
		return;
	if (r == TRACK_GO_ON && sh->track.input == TRACK_INPUT_LITERAL)
		shell_literal_begin(sh);
	else if (sh->track.want_tls)
		shell_handshake(sh);
	else if (sh->track.closed && r == TRACK_DONE)
		shell_disconnect(sh, "the session is over");
}

enum track_reply shell_read_reply(struct shell *sh)
{
	enum track_reply r = TRACK_MORE;
	while (sh->conn != NULL && (r == TRACK_MORE || r == TRACK_LITERAL))
		if (!one_line(sh, &r))
			return TRACK_DONE;
	after_reply(sh, r);
	return r;
}

/* line_ready - is a whole line there, without waiting long?  The socket
 * may be readable with no line at all: TLS 1.3 servers send session
 * tickets after the handshake, and a line may arrive in pieces.  So at
 * most one read, with a short timeout, and only complete lines count. */
static bool line_ready(struct shell *sh)
{
	struct netio *io = sh->conn->io;
	if (netio_line_buffered(io))
		return true;
	struct pollfd pfd = { .fd = netio_fd(io), .events = POLLIN };
	if (!netio_input_buffered(io) && poll(&pfd, 1, 0) != 1)
		return false;
	netio_set_timeout(io, 1);
	enum netio_status st = netio_fill(io);
	netio_set_timeout(io, sh->opts.timeout_s);
	if (st == NETIO_EOF || st == NETIO_ERROR) {
		broken(sh, st);
		return false;
	}
	return netio_line_buffered(io);
}

void shell_read_unsolicited(struct shell *sh)
{
	enum track_reply r = TRACK_DONE;
	while (sh->conn != NULL && line_ready(sh)) {
		if (!one_line(sh, &r))
			return;
		while (sh->conn != NULL && r == TRACK_LITERAL)
			if (!one_line(sh, &r))
				return;
	}
	if (sh->conn != NULL && sh->track.closed && r == TRACK_DONE)
		shell_disconnect(sh, "the server ended the session");
}

/* send_raw - bytes that are not a command line (message text, literal). */
static bool send_raw(struct shell *sh, const char *data, size_t len)
{
	if (conn_send(sh->conn, data, len) == 0)
		return true;
	out_error(sh, "cannot send: the connection is broken");
	shell_disconnect(sh, "write failed");
	shell_unexpected(sh, "connection lost");
	return false;
}

void shell_data_line(struct shell *sh, const char *line)
{
	char buf[SHELL_INPUT_MAX + 4];
	if (strcmp(line, ".") == 0) {
		struct track_send end = { .raw = true, .line = "." };
		if (!send_raw(sh, ".\r\n", 3))
			return;
		out_sent(sh, ".", false);
		track_sent(&sh->track, &end);
		shell_read_reply(sh);
		return;
	}
	bool stuffed = line[0] == '.';
	int n = snprintf(buf, sizeof(buf), "%s%s\r\n", stuffed ? "." : "", line);
	if (!send_raw(sh, buf, (size_t)n))
		return;
	buf[n - 2] = '\0';
	out_sent(sh, buf, stuffed);
	if (stuffed)
		out_info(sh, "dot-stuffed: a line that starts with \".\" is sent "
			 "with one more, so it cannot end the message "
			 "(RFC 5321 §4.5.2); the server removes it");
}

/* literal_done - all literal bytes are out: the command goes on (IMAP) or
 * its reply comes (BDAT). */
static void literal_done(struct shell *sh)
{
	track_literal_sent(&sh->track);
	if (sh->track.input == TRACK_INPUT_REST)
		out_info(sh, "literal complete: now type the rest of the command "
			 "(often nothing: just Enter)");
	else
		shell_read_reply(sh);
}

void shell_literal_begin(struct shell *sh)
{
	sh->literal_left = sh->literal_size;
	if (sh->file_data == NULL) {
		out_info(sh, "type the %zu bytes: each line counts with its CRLF",
			 sh->literal_size);
		if (sh->literal_size == 0)
			literal_done(sh);
		return;
	}
	bool ok = send_raw(sh, sh->file_data, sh->file_len);
	if (ok)
		out_info(sh, "sent the %zu bytes of the file", sh->file_len);
	free(sh->file_data);
	sh->file_data = NULL;
	sh->literal_left = 0;
	if (ok)
		literal_done(sh);
}

void shell_literal_line(struct shell *sh, const char *line)
{
	char buf[SHELL_INPUT_MAX + 2];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);
	size_t len = (size_t)n;
	if (len > sh->literal_left) {
		if (strlen(line) > sh->literal_left)
			out_warn(sh, "the literal has only %zu bytes left: the "
				 "rest of this line is not sent", sh->literal_left);
		len = sh->literal_left;
	}
	if (!send_raw(sh, buf, len))
		return;
	buf[len < strlen(line) ? len : strlen(line)] = '\0';
	out_sent(sh, buf, false);
	sh->literal_left -= len;
	if (sh->literal_left == 0)
		literal_done(sh);
}

/* to_crlf - a file's bytes with every bare LF made CRLF; counts them. */
static char *to_crlf(const char *data, size_t len, size_t *len_r,
		     size_t *fixed_r)
{
	char *out = malloc(2 * len + 1);
	size_t o = 0;
	*fixed_r = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
			out[o++] = '\r';
			(*fixed_r)++;
		}
		out[o++] = data[i];
	}
	*len_r = o;
	return out;
}

/* read_file - a whole file, at most SHELL_FILE_LITERAL_MAX bytes. */
static char *read_file(const char *path, size_t *len_r, const char **error_r)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*error_r = strerror(errno);
		return NULL;
	}
	char *data = malloc(SHELL_FILE_LITERAL_MAX + 1);
	size_t n = data ? fread(data, 1, SHELL_FILE_LITERAL_MAX + 1, f) : 0;
	fclose(f);
	if (data == NULL || n > SHELL_FILE_LITERAL_MAX) {
		free(data);
		*error_r = "the file is larger than a message may be";
		return NULL;
	}
	*len_r = n;
	return data;
}

int shell_file_literal(struct shell *sh, char *line, size_t size)
{
	size_t len = strlen(line);
	char *open = strrchr(line, '{');
	if (open == NULL || open[1] != '@' || len < 4 || line[len - 1] != '}')
		return 0;
	bool plus = line[len - 2] == '+';
	char path[SHELL_INPUT_MAX];
	snprintf(path, sizeof(path), "%.*s",
		 (int)(line + len - 1 - plus - (open + 2)), open + 2);
	const char *error;
	size_t raw_len, fixed;
	char *raw = read_file(path, &raw_len, &error);
	if (raw == NULL) {
		out_error(sh, "%s: %s", path, error);
		shell_unexpected(sh, "cannot read %s", path);
		return -1;
	}
	free(sh->file_data);
	sh->file_data = to_crlf(raw, raw_len, &sh->file_len, &fixed);
	free(raw);
	if (sh->file_data == NULL)
		return -1;
	if (fixed > 0)
		out_info(sh, "%s: %zu bare LF line ends sent as CRLF "
			 "(RFC 5322 §2.3)", path, fixed);
	snprintf(open, size - (size_t)(open - line), "{%zu%s}", sh->file_len,
		 plus ? "+" : "");
	return 0;
}
