/*
 * imap_session.c - one IMAP connection: read, feed the core, send, until
 * the core or the client ends it.
 *
 * This is the only IMAP file that knows about sockets and TLS.  It does
 * what the pure core cannot:
 *
 *   - reads a line, or, inside a literal, exactly the octets the core
 *     still expects (raw: a literal may hold anything, CRLF included);
 *   - sends the core's output, also in the middle of a large FETCH
 *     (imap_set_flush), and the answers to a pipelined batch of commands
 *     in one write (session_reply());
 *   - delays the answer to a failed login (--auth-delay);
 *   - runs the TLS handshake after STARTTLS, once netio has dropped what
 *     the client pipelined behind it (RFC 9051 §6.2.1, CVE-2011-0411);
 *   - waits during IDLE, in poll() on the client's socket and on the
 *     mailbox's inotify descriptor at once, so an idling client costs no
 *     CPU and new mail is reported the moment it is delivered (RFC 2177);
 *   - lets a quiet session give memory back: freed heap pages after a
 *     second, the mailbox view after --sleep-after seconds (imap_rest()),
 *     between commands and during IDLE alike;
 *   - ends the session on timeout, EOF or a write error, and says which
 *     in the trace.
 */
#include "imap_session.h"

#include "../../common/linebuf.h"
#include "../../common/netio.h"
#include "../core/session.h"
#include "imap_core.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Output is bounded by one message as a literal (its CRLF form is at most
 * twice its stored size) plus the FETCH around it; larger answers leave
 * in pieces through flush(). */
#define IMAP_REPLY_MAX (2 * (size_t)MAIL_MESSAGE_MAX + 64 * 1024)
/* Octets of a literal read per call. */
#define LITERAL_CHUNK (64 * 1024)

/* flush - the core's hook for large answers. */
static int flush(void *arg, struct buf *out)
{
	return session_send(arg, out);
}

/* ended - the connection could not be read: say why, in the trace. */
static bool ended(struct netio *io, struct imap_session *s, struct buf *out,
		  enum netio_status st)
{
	if (st == NETIO_TIMEOUT) {
		imap_timed_out(s, out);
		(void)session_send(io, out); /* the client may be gone */
	} else {
		imap_disconnected(s, st == NETIO_EOF
				  ? "client closed the connection"
				  : "error reading from client");
	}
	return false;
}

/* read_input - a line (with its line end put back, as the parser wants
 * the octets as sent), or the next piece of a literal. */
static enum netio_status read_input(struct netio *io, struct imap_session *s,
				    struct buf *in, bool *too_long, bool *bare_lf)
{
	uint64_t left = imap_literal_left(s);
	const char *data;
	size_t len;
	unsigned flags;
	char *line;
	enum netio_status st;
	buf_reset(in);
	*too_long = *bare_lf = false;
	if (left > 0) {
		st = netio_read_bytes(io, left < LITERAL_CHUNK ? (size_t)left
							       : LITERAL_CHUNK,
				      &data, &len);
		if (st == NETIO_OK)
			buf_append(in, data, len);
		return st;
	}
	st = netio_read_line(io, &line, &len, &flags);
	if (st == NETIO_TOO_LONG) {
		/* the start of the line, for its tag */
		*too_long = true;
		buf_append(in, line, len < IMAP_LINE_MAX ? len : IMAP_LINE_MAX);
		return NETIO_OK;
	}
	if (st == NETIO_OK) {
		*bare_lf = (flags & LINEBUF_BARE_LF) != 0;
		buf_append(in, line, len);
		buf_puts(in, *bare_lf ? "\n" : "\r\n");
	}
	return st;
}

/* idle_wait - RFC 2177: until the client writes (DONE), reporting each
 * change of the mailbox as it happens.  False ends the session. */
static bool idle_wait(struct netio *io, const struct imap_server *srv,
		      struct imap_session *s, struct buf *out)
{
	bool rested = false; /* imap_rest() since the last change */
	while (!netio_input_buffered(io)) {
		struct pollfd fds[2] = {
			{ .fd = netio_fd(io), .events = POLLIN },
			{ .fd = imap_idle_fd(s), .events = POLLIN },
		};
		int timeout_ms = (int)srv->opts->timeout_s * 1000;
		int rest_ms = (int)srv->opts->sleep_after_s * 1000;
		bool resting = !rested && rest_ms > 0 && timeout_ms > rest_ms;
		int n = poll(fds, fds[1].fd >= 0 ? 2 : 1,
			     resting ? rest_ms : rested ? timeout_ms - rest_ms
							: timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && resting) {
			/* quiet for --sleep-after, as between commands
			 * (session_wait_idle()): the view sleeps, the memory
			 * goes back, and the wait goes on */
			imap_rest(s);
			session_trim();
			rested = true;
			continue;
		}
		if (n <= 0)
			return ended(io, s, out, NETIO_TIMEOUT);
		if (fds[1].fd >= 0 && (fds[1].revents & POLLIN)) {
			rested = false;
			imap_idle_wake(s, out);
			if (session_send(io, out) < 0)
				return false;
			if (imap_session_state(s) == IMAP_LOGOUT)
				return false;
		}
		if (fds[0].revents != 0)
			break;
	}
	return true;
}

/* quiet - session_wait_idle()'s hook: the client has said nothing for a
 * while, so the selected mailbox's view may sleep (imap_rest()). */
static void quiet(void *arg)
{
	imap_rest(arg);
}

/* one_input - read and handle one piece of input; false when the session
 * is over. */
static bool one_input(struct netio *io, const struct conn_info *ci,
		      const struct imap_server *srv, struct imap_session *s,
		      struct buf *in, struct buf *out)
{
	bool too_long, bare_lf, slow = false;
	if (imap_literal_left(s) == 0)
		session_wait_idle(io, srv->opts->sleep_after_s * 1000u,
				  srv->opts->sleep_after_s > 0 ? quiet : NULL, s);
	enum netio_status st = read_input(io, s, in, &too_long, &bare_lf);
	if (st != NETIO_OK)
		return ended(io, s, out, st);
	enum imap_action act = IMAP_CONTINUE;
	if (too_long) {
		imap_line_too_long(s, in->data, in->len, out);
	} else {
		if (bare_lf)
			trace_event(&ci->trace, "note line ended in bare LF, "
				    "not CRLF");
		act = imap_feed(s, in->data, in->len, out, &slow);
	}
	if (slow)
		session_login_failed(ci, srv->opts->auth_delay_ms);
	/* the deadlines: to log in, then for each APPEND's literal */
	session_set_phase(io, ci, imap_session_state(s) == IMAP_NOT_AUTHENTICATED
			  ? LISTENER_LOGIN : imap_literal_left(s) > 0
			  ? LISTENER_MESSAGE : LISTENER_IN);
	/* a pipelined batch is answered in one write (RFC 9051 §5.5); a
	 * literal's continuation request must go out at once */
	if (session_reply(io, out, act == IMAP_CONTINUE &&
				       imap_literal_left(s) == 0) < 0) {
		trace_event(&ci->trace, "error writing to client");
		return false;
	}
	switch (act) {
	case IMAP_CONTINUE:
		return true;
	case IMAP_CLOSE:
		return false;
	case IMAP_STARTTLS:
		if (!session_start_tls(io, ci))
			return false;
		imap_tls_started(s);
		return true;
	case IMAP_IDLE:
		return idle_wait(io, srv, s, out);
	}
	return false;
}

void imap_serve(struct netio *io, const struct conn_info *ci, void *arg)
{
	const struct imap_server *srv = arg;
	const struct server_options *o = srv->opts;
	struct imap_config cfg = {
		.hostname = o->hostname,
		.data_dir = o->data_dir,
		.users_file = srv->users_file,
		.starttls_offered = ci->mode == LISTEN_STARTTLS && ci->tls != NULL,
		/* the policy for before TLS; after TLS the core allows it */
		.cleartext_allowed = server_cleartext_allowed(o, ci, false),
	};
	struct imap_session *s = imap_session_new(&cfg, &ci->trace,
						  netio_is_tls(io));
	if (s == NULL)
		return;
	struct buf out, in;
	buf_init(&out, IMAP_REPLY_MAX);
	buf_init(&in, LITERAL_CHUNK + IMAP_LINE_MAX + 2);
	imap_set_flush(s, flush, io);
	imap_greeting(s, &out);
	if (session_send(io, &out) == 0)
		while (one_input(io, ci, srv, s, &in, &out))
			;
	imap_session_free(s);
	buf_free(&out);
	buf_free(&in);
}

void imap_refuse(struct netio *io, const struct conn_info *ci, void *arg)
{
	(void)ci;
	(void)arg;
	/* RFC 9051 §7.1.5: BYE as the greeting refuses the connection;
	 * RFC 5530 §3: UNAVAILABLE, a temporary condition */
	static const char msg[] =
		"* BYE [UNAVAILABLE] too many connections, try again later\r\n";
	(void)netio_write(io, msg, sizeof(msg) - 1);
}
