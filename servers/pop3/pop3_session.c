/*
 * pop3_session.c - one POP3 connection: read a line, feed the core, send
 * the reply, until the core or the client ends it.
 *
 * This is the only POP3 file that knows about sockets and TLS.  It does
 * five things the pure core cannot:
 *
 *   - delays the reply to a failed login (AUTH_FAIL_DELAY_MS, --auth-delay);
 *   - runs the TLS handshake when the core answers STLS, after netio has
 *     thrown away anything the client pipelined behind it (RFC 2595 §4,
 *     CVE-2011-0411);
 *   - adjusts the line limit when an AUTH exchange needs longer lines;
 *   - answers a pipelined batch of commands in one write (session_reply());
 *   - ends the session on timeout, on EOF, or on a write error, and says
 *     which in the trace.
 */
#include "pop3_session.h"

#include "../../common/linebuf.h"
#include "../../common/netio.h"
#include "../core/session.h"
#include "pop3_core.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Replies are bounded by the largest message plus its CRLF expansion and
 * byte-stuffing, which can at most double it. */
#define POP3_REPLY_MAX (2 * (size_t)MAIL_MESSAGE_MAX + 1024)

/* one_line - read and handle one line; false when the session is over. */
static bool one_line(struct netio *io, const struct conn_info *ci,
		     const struct pop3_server *srv, struct pop3_session *s,
		     struct buf *out)
{
	char *line;
	size_t len;
	unsigned flags;
	switch (netio_read_line(io, &line, &len, &flags)) {
	case NETIO_OK:
		break;
	case NETIO_TOO_LONG:
		pop3_line_too_long(s, out);
		return session_send(io, out) == 0;
	case NETIO_TIMEOUT:
		trace_event(&ci->trace, "idle timeout");
		buf_puts(out, "-ERR idle for too long, closing\r\n");
		(void)session_send(io, out); /* the client may be gone */
		return false;
	case NETIO_EOF:
		trace_event(&ci->trace, "client closed the connection");
		return false;
	case NETIO_ERROR:
		trace_event(&ci->trace, "error reading from client");
		return false;
	}
	if (flags & LINEBUF_BARE_LF)
		trace_event(&ci->trace, "note line ended in bare LF, not CRLF");
	bool slow = false;
	enum pop3_action act = pop3_feed_line(s, line, len, out, &slow);
	if (slow)
		session_login_failed(ci, srv->opts->auth_delay_ms);
	/* logged in: no more login deadline, and not to be closed for room */
	session_set_phase(io, ci, pop3_session_state(s) == POP3_AUTHORIZATION
			  ? LISTENER_LOGIN : LISTENER_IN);
	/* a pipelined batch is answered in one write (RFC 2449 §6.6) */
	if (session_reply(io, out, act == POP3_CONTINUE) < 0) {
		trace_event(&ci->trace, "error writing to client");
		return false;
	}
	if (act == POP3_CLOSE)
		return false;
	if (act == POP3_STARTTLS) {
		if (!session_start_tls(io, ci))
			return false;
		pop3_tls_started(s);
	}
	return netio_set_max_line(io, pop3_max_line(s)) == 0;
}

void pop3_serve(struct netio *io, const struct conn_info *ci, void *arg)
{
	const struct pop3_server *srv = arg;
	const struct server_options *o = srv->opts;
	bool tls = netio_is_tls(io);
	struct pop3_config cfg = {
		.hostname = o->hostname,
		.data_dir = o->data_dir,
		.users_file = srv->users_file,
		.stls_offered = ci->mode == LISTEN_STARTTLS && ci->tls != NULL,
		/* the policy for before TLS; after TLS the core allows it */
		.cleartext_allowed = server_cleartext_allowed(o, ci, false),
	};
	/* RFC 1939 §7: the timestamp must differ for every greeting */
	char stamp[128];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(stamp, sizeof(stamp), "<%ld.%ld.%lu@%.64s>", (long)getpid(),
		 (long)now.tv_sec, ci->trace.session, o->hostname);

	struct pop3_session *s = pop3_session_new(&cfg, &ci->trace, stamp, tls);
	if (s == NULL)
		return;
	struct buf out;
	buf_init(&out, POP3_REPLY_MAX);
	pop3_greeting(s, &out);
	if (session_send(io, &out) == 0)
		while (one_line(io, ci, srv, s, &out))
			;
	pop3_session_free(s);
	buf_free(&out);
}

void pop3_refuse(struct netio *io, const struct conn_info *ci, void *arg)
{
	(void)ci;
	(void)arg;
	/* RFC 3206 §4: SYS/TEMP, a temporary condition on the server */
	static const char msg[] =
		"-ERR [SYS/TEMP] too many connections, try again later\r\n";
	(void)netio_write(io, msg, sizeof(msg) - 1);
}
