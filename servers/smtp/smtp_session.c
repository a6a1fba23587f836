/*
 * smtp_session.c - one SMTP connection: read a line, feed the core, send
 * the reply, until the core or the client ends it.
 *
 * This is the only SMTP server file that knows about sockets and TLS.  It
 * does what the pure core cannot:
 *
 *   - finds the port's role (mx or submission) and the cleartext policy,
 *     and builds the core's configuration from them;
 *   - delays the reply to a failed login (--auth-delay);
 *   - runs the TLS handshake when the core answers STARTTLS with 220, after
 *     netio has thrown away anything the client pipelined behind it
 *     (RFC 3207 §4.2, CVE-2011-0411);
 *   - refuses a client that talks before the greeting, and tells the core
 *     when a line had more input pipelined behind it (RFC 2920 §3.1);
 *   - answers a pipelined batch of commands in one write (session_reply(),
 *     RFC 2920 §3.2);
 *   - sets the line limit the core asks for (512 for commands, 1000 in
 *     DATA, more inside AUTH);
 *   - wakes the queue runner when a message was queued for relaying;
 *   - answers an idle client with 421 (RFC 5321 §4.5.3.2.7) and ends.
 */
#include "smtp_session.h"

#include "../../common/linebuf.h"
#include "../../common/netio.h"
#include "../core/session.h"
#include "smtp_core.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Replies are short; HELP is the longest (one line per command). */
#define SMTP_OUT_MAX (64 * 1024)

/* wake_runner - the core queued a message: tell the runner now, rather
 * than let the message wait for the runner's next timer. */
static void wake_runner(void *arg)
{
	const struct smtp_server *srv = arg;
	if (srv->runner > 0)
		kill(srv->runner, SIGUSR1);
}

/* read_chunk - BDAT (RFC 3030): the chunk's octets, exactly as many as the
 * command announced, then the core's reply to it.  False ends the session
 * (the client went away or stalled in the middle of a chunk). */
static bool read_chunk(struct netio *io, const struct conn_info *ci,
		       struct smtp_session *s, struct buf *out)
{
	size_t left;
	while ((left = smtp_chunk_left(s)) > 0) {
		const char *data;
		size_t len;
		if (netio_read_bytes(io, left, &data, &len) != NETIO_OK) {
			trace_event(&ci->trace, "error connection lost inside "
				    "a BDAT chunk (%zu octets missing)", left);
			return false;
		}
		smtp_feed_chunk(s, data, len);
	}
	smtp_chunk_done(s, out);
	if (session_send(io, out) < 0) {
		trace_event(&ci->trace, "error writing to client");
		return false;
	}
	return true;
}

/* phase - where the session is, for the deadlines and the listener: a
 * message arriving (DATA, a BDAT chunk), logged in or inside a
 * transaction, or neither (an MX between transactions counts as not
 * logged in: the next MAIL must come within --login-timeout). */
static enum listener_phase phase(const struct smtp_session *s,
				 enum smtp_action act)
{
	enum smtp_state st = smtp_session_state(s);
	if (st == SMTP_DATA || st == SMTP_BDAT || act == SMTP_READ_CHUNK)
		return LISTENER_MESSAGE;
	if (st == SMTP_MAIL || st == SMTP_RCPT || smtp_session_authenticated(s))
		return LISTENER_IN;
	return LISTENER_LOGIN;
}

/* one_line - read and handle one line; false when the session is over. */
static bool one_line(struct netio *io, const struct conn_info *ci,
		     const struct smtp_server *srv, struct smtp_session *s,
		     struct buf *out)
{
	char *line;
	size_t len;
	unsigned flags;
	switch (netio_read_line(io, &line, &len, &flags)) {
	case NETIO_OK:
		break;
	case NETIO_TOO_LONG:
		smtp_line_too_long(s, out);
		return session_send(io, out) == 0;
	case NETIO_TIMEOUT:
		smtp_timeout(s, out);
		(void)session_send(io, out); /* the client may be gone */
		return false;
	case NETIO_EOF:
		trace_event(&ci->trace, "client closed the connection");
		return false;
	case NETIO_ERROR:
		trace_event(&ci->trace, "error reading from client");
		return false;
	}
	bool bare_lf = (flags & LINEBUF_BARE_LF) != 0;
	bool slow = false;
	unsigned core_flags = (bare_lf ? SMTP_LINE_BARE_LF : 0) |
			      (flags & LINEBUF_AFTER_LONG_BARE_LF
					       ? SMTP_LINE_AFTER_BARE_LF : 0) |
			      (netio_buffered(io) > 0 ? SMTP_LINE_PIPELINED : 0);
	enum smtp_action act = smtp_feed_line(s, line, len, core_flags, out,
					      &slow);
	if (slow)
		session_login_failed(ci, srv->opts->auth_delay_ms);
	/* a pipelined batch is answered in one write (RFC 2920 §3.2) */
	if (session_reply(io, out, act == SMTP_CONTINUE) < 0) {
		trace_event(&ci->trace, "error writing to client");
		return false;
	}
	session_set_phase(io, ci, phase(s, act));
	if (act == SMTP_READ_CHUNK && !read_chunk(io, ci, s, out))
		return false;
	if (act == SMTP_CLOSE)
		return false;
	if (act == SMTP_STARTTLS) {
		if (!session_start_tls(io, ci))
			return false;
		smtp_tls_started(s);
	}
	return netio_set_max_line(io, smtp_max_line(s)) == 0;
}

/* peer_literal - "127.0.0.1:5555" -> "[127.0.0.1]", "[::1]:5555" ->
 * "[IPv6:::1]": the address-literal form of RFC 5321 §4.1.3 that the
 * Received line uses. */
static void peer_literal(const char *peer, char *out, size_t size)
{
	const char *colon = strrchr(peer, ':');
	int n = colon ? (int)(colon - peer) : (int)strlen(peer);
	if (peer[0] == '[')
		snprintf(out, size, "[IPv6:%.*s]", n - 2, peer + 1);
	else
		snprintf(out, size, "[%.*s]", n, peer);
}

/* port_role - the role of the port this client connected to. */
static enum smtp_role port_role(const struct smtp_server *srv,
				const struct conn_info *ci)
{
	struct listen_port p = { ci->local_port, ci->mode };
	return smtp_options_role(srv->smtp, &p);
}

void smtp_serve(struct netio *io, const struct conn_info *ci, void *arg)
{
	struct smtp_server *srv = arg;
	const struct server_options *o = srv->opts;
	char peer[80];
	peer_literal(ci->peer, peer, sizeof(peer));
	struct smtp_config cfg = {
		.hostname = o->hostname,
		.data_dir = o->data_dir,
		.users_file = srv->users_file,
		.ndomains = srv->smtp->ndomains,
		.postmaster = srv->smtp->postmaster,
		.role = port_role(srv, ci),
		.starttls_offered = ci->mode == LISTEN_STARTTLS && ci->tls != NULL,
		/* the policy for before TLS; after TLS the core allows it */
		.cleartext_allowed = server_cleartext_allowed(o, ci, false),
		.advertise_cram = srv->smtp->advertise_cram,
		.max_size = srv->smtp->max_size,
		.peer = peer,
		.queued = wake_runner,
		.queued_arg = srv,
	};
	memcpy(cfg.domains, srv->smtp->domains, sizeof(cfg.domains));
	struct smtp_session *s = smtp_session_new(&cfg, &ci->trace,
						  netio_is_tls(io));
	if (s == NULL)
		return;
	struct buf out;
	buf_init(&out, SMTP_OUT_MAX);
	if (session_input_waiting(io)) {
		/* an early talker is refused, not greeted (smtp_core.c) */
		smtp_early_talker(s, &out);
		(void)session_send(io, &out);
	} else {
		smtp_greeting(s, &out);
		if (session_send(io, &out) == 0 &&
		    netio_set_max_line(io, smtp_max_line(s)) == 0)
			while (one_line(io, ci, srv, s, &out))
				;
	}
	smtp_session_free(s);
	buf_free(&out);
}

void smtp_refuse(struct netio *io, const struct conn_info *ci, void *arg)
{
	(void)ci;
	const struct smtp_server *srv = arg;
	struct buf out;
	buf_init(&out, 512);
	smtp_refusal(srv->opts->hostname, &out);
	(void)netio_write(io, out.data, out.len);
	buf_free(&out);
}
