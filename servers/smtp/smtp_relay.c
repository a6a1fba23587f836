/*
 * smtp_relay.c - deliver a queued message to the next hop over SMTP.
 *
 * RFC 5321 §3.3 (the transaction), §4.2 (replies: a multi-line reply is
 * "code-text" lines ended by one "code text" line), §4.5.2 (the client
 * dot-stuffs), §4.5.3.2 (timeouts), RFC 6152 §3 and RFC 6531 (a
 * client must not send 8-bit or UTF-8 mail to a server that did not
 * offer 8BITMIME or SMTPUTF8: such a message cannot be delivered there).
 *
 * Lines from the peer are read through common/netio, like the server
 * reads its clients; a reply that does not parse counts as a temporary
 * failure, like a dropped connection: the queue tries again later.
 */
#include "smtp_relay.h"

#include "../../common/buf.h"
#include "../../common/netio.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* One reply from the peer. */
struct reply {
	int code;                   /* 0: none (connection lost, garbage) */
	char text[SMTP_REPLY_MAX];  /* the last line, for messages */
	bool has_8bitmime;          /* EHLO keywords we care about */
	bool has_smtputf8;
};

/* connect_route - a TCP connection to host:port, with the client timeout
 * on connect (Linux applies SO_SNDTIMEO to it), reads and writes. */
static int connect_route(const struct smtp_route *route, const char **error_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	int e = getaddrinfo(route->host, route->port, &hints, &res);
	if (e != 0) {
		*error_r = gai_strerror(e);
		return -1;
	}
	int fd = -1;
	*error_r = "no address";
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		struct timeval tv = { SMTP_CLIENT_TIMEOUT_S, 0 };
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			*error_r = strerror(errno);
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* read_reply - one reply, however many lines (RFC 5321 §4.2.1). */
static void read_reply(struct netio *io, struct reply *r)
{
	r->code = 0;
	snprintf(r->text, sizeof(r->text), "no reply (connection lost)");
	for (int n = 0; n < SMTP_REPLY_LINES_MAX; n++) {
		char *line;
		size_t len;
		unsigned flags;
		if (netio_read_line(io, &line, &len, &flags) != NETIO_OK)
			return;
		if (len < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-')) {
			snprintf(r->text, sizeof(r->text), "malformed reply");
			return;
		}
		const char *kw = len > 4 ? line + 4 : "";
		if (strncasecmp(kw, "8BITMIME", 8) == 0)
			r->has_8bitmime = true;
		if (strncasecmp(kw, "SMTPUTF8", 8) == 0)
			r->has_smtputf8 = true;
		if (len == 3 || line[3] == ' ') {
			r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
				  (line[2] - '0');
			snprintf(r->text, sizeof(r->text), "%s", line);
			return;
		}
	}
	snprintf(r->text, sizeof(r->text), "reply with too many lines");
}

/* command - send one line, read its reply. */
static void command(struct netio *io, struct reply *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void command(struct netio *io, struct reply *r, const char *fmt, ...)
{
	char line[SMTP_COMMAND_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2) {
		r->code = 0;
		snprintf(r->text, sizeof(r->text), "command too long");
		return;
	}
	memcpy(line + n, "\r\n", 3);
	if (netio_write(io, line, (size_t)n + 2) < 0) {
		r->code = 0;
		snprintf(r->text, sizeof(r->text), "connection lost");
		return;
	}
	read_reply(io, r);
}

/* send_text - the message, dot-stuffed (RFC 5321 §4.5.2), and the end.
 * Every line goes out ended by CRLF: a bare CR or LF (BDAT takes octets
 * as they come) is made a line end here, since passing "\r.\r" or
 * "\n.\n" on is how SMTP smuggling reaches a lax next hop
 * (CVE-2023-51764; RFC 5322 §2.3: CR and LF only as CRLF). */
static int send_text(struct netio *io, const char *data, size_t len)
{
	struct buf b;
	buf_init(&b, 3 * len + 8);
	for (size_t pos = 0; pos < len;) {
		size_t llen = 0;
		while (pos + llen < len && data[pos + llen] != '\r' &&
		       data[pos + llen] != '\n')
			llen++;
		if (data[pos] == '.')
			buf_append(&b, ".", 1);
		buf_append(&b, data + pos, llen);
		buf_append(&b, "\r\n", 2);
		pos += llen;
		/* the line end: CRLF, a bare CR or a bare LF, each one end */
		if (pos < len && data[pos] == '\r') {
			pos++;
			if (pos < len && data[pos] == '\n')
				pos++;
		} else if (pos < len && data[pos] == '\n') {
			pos++;
		}
	}
	buf_append(&b, ".\r\n", 3);
	int r = b.overflow ? -1 : netio_write(io, b.data, b.len);
	buf_free(&b);
	return r;
}

/* set_open - give every recipient still open (code 0) this outcome; a
 * lost connection (code 0) counts as a temporary failure, 421. */
static void set_open(struct smtp_relay_status *st, size_t n, int code,
		     const char *text)
{
	for (size_t i = 0; i < n; i++) {
		if (st[i].code != 0)
			continue;
		st[i].code = code != 0 ? code : 421;
		snprintf(st[i].reply, sizeof(st[i].reply), "%s", text);
	}
}

/* transaction - MAIL, RCPTs, DATA on an open, greeted connection.
 * Recipients that RCPT accepted get the final reply. */
static void transaction(struct netio *io, const struct reply *ehlo,
			const struct smtp_envelope *env, const char *data,
			size_t len, struct smtp_relay_status *st)
{
	struct reply r;
	if (env->body_8bit && !ehlo->has_8bitmime) {
		set_open(st, env->nrcpt, 554, "554 5.6.3 next hop does not "
			"offer 8BITMIME (RFC 6152 section 3)");
		return;
	}
	if (env->smtputf8 && !ehlo->has_smtputf8) {
		set_open(st, env->nrcpt, 553, "553 5.6.7 next hop does not "
			"offer SMTPUTF8 (RFC 6531)");
		return;
	}
	command(io, &r, "MAIL FROM:<%s>%s%s", env->from,
		env->body_8bit ? " BODY=8BITMIME" : "",
		env->smtputf8 ? " SMTPUTF8" : "");
	if (r.code != 250) {
		set_open(st, env->nrcpt, r.code, r.text);
		return;
	}
	size_t accepted = 0;
	for (size_t i = 0; i < env->nrcpt; i++) {
		command(io, &r, "RCPT TO:<%s>", env->rcpts[i]);
		if (r.code == 0) {
			set_open(st, env->nrcpt, 0, r.text);
			return;
		}
		if (r.code >= 300) { /* refused: this reply is its outcome */
			st[i].code = r.code;
			snprintf(st[i].reply, sizeof(st[i].reply), "%s", r.text);
		}
		accepted += r.code < 300;
	}
	if (accepted == 0)
		return;
	command(io, &r, "DATA");
	if (r.code != 354) {
		set_open(st, env->nrcpt, r.code, r.text);
		return;
	}
	if (send_text(io, data, len) < 0)
		r.code = 0;
	else
		read_reply(io, &r);
	set_open(st, env->nrcpt, r.code, r.text);
}

void smtp_relay_send(const struct smtp_route *route, const char *helo,
		     const struct smtp_envelope *env, const char *data,
		     size_t len, struct smtp_relay_status *st,
		     const struct trace *trace)
{
	memset(st, 0, env->nrcpt * sizeof(*st));
	const char *error;
	int fd = connect_route(route, &error);
	if (fd < 0) {
		char text[SMTP_REPLY_MAX];
		snprintf(text, sizeof(text), "421 4.4.1 cannot connect to %s:%s: "
			 "%s", route->host, route->port, error);
		trace_event(trace, "relay %s: %s", env->id, text);
		set_open(st, env->nrcpt, 421, text);
		return;
	}
	struct netio *io = netio_new(fd, SMTP_REPLY_MAX, SMTP_CLIENT_TIMEOUT_S);
	if (io == NULL) {
		close(fd);
		set_open(st, env->nrcpt, 451, "451 4.3.0 out of memory");
		return;
	}
	struct reply greet, ehlo, quit;
	memset(&ehlo, 0, sizeof(ehlo));
	read_reply(io, &greet);
	if (greet.code != 220) {
		set_open(st, env->nrcpt, greet.code, greet.text);
	} else {
		command(io, &ehlo, "EHLO %s", helo);
		if (ehlo.code != 250) /* RFC 5321 §3.2: fall back to HELO */
			command(io, &ehlo, "HELO %s", helo);
		if (ehlo.code != 250)
			set_open(st, env->nrcpt, ehlo.code, ehlo.text);
		else
			transaction(io, &ehlo, env, data, len, st);
		command(io, &quit, "QUIT");
	}
	trace_event(trace, "relay %s via %s:%s: %s", env->id, route->host,
		    route->port, st[0].reply);
	netio_free(io);
}
