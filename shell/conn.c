/*
 * conn.c - URLs, TCP connections and TLS for mailsh (see conn.h).
 *
 * The connect is non-blocking with poll(), so an address that never
 * answers costs the learner a few seconds, not the kernel's minutes-long
 * default; afterwards the socket is blocking again and netio's timeouts
 * (SO_RCVTIMEO) apply to every read, inside TLS too.
 */
#include "conn.h"

#include "../common/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	const char *scheme;
	enum track_proto proto;
	bool tls;
	const char *port;
} schemes[] = {
	{ "pop3", TRACK_POP3, false, "110" },  /* RFC 1939 §3 */
	{ "pop3s", TRACK_POP3, true, "995" },  /* RFC 8314 §7.3 */
	{ "imap", TRACK_IMAP, false, "143" },  /* RFC 9051 §1.4 */
	{ "imaps", TRACK_IMAP, true, "993" },  /* RFC 8314 §7.3 */
	{ "smtp", TRACK_SMTP, false, "25" },   /* RFC 5321 §4.5.4.2 */
	{ "smtps", TRACK_SMTP, true, "465" },  /* RFC 8314 §7.3 */
};

/* host_port - "host", "host:port", "[v6]" or "[v6]:port", up to '/'. */
static int host_port(const char *p, struct conn_url *url, const char **error_r)
{
	size_t end = strcspn(p, "/");
	const char *host = p, *port = NULL;
	size_t hlen;
	if (*p == '[') {
		const char *close = memchr(p, ']', end);
		if (close == NULL) {
			*error_r = "an IPv6 address must be closed with ]";
			return -1;
		}
		host = p + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else {
		const char *colon = memchr(p, ':', end);
		hlen = colon ? (size_t)(colon - p) : end;
		port = colon ? colon + 1 : NULL;
	}
	if (hlen == 0 || hlen >= sizeof(url->host)) {
		*error_r = "the URL has no host name";
		return -1;
	}
	snprintf(url->host, sizeof(url->host), "%.*s", (int)hlen, host);
	if (port != NULL) {
		size_t plen = (size_t)(p + end - port);
		if (plen == 0 || plen >= sizeof(url->port) ||
		    strspn(port, "0123456789") < plen) {
			*error_r = "the port must be a number";
			return -1;
		}
		snprintf(url->port, sizeof(url->port), "%.*s", (int)plen, port);
	}
	return 0;
}

int conn_parse_url(const char *text, struct conn_url *url, const char **error_r)
{
	const char *sep = strstr(text, "://");
	memset(url, 0, sizeof(*url));
	for (size_t i = 0; sep && i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].scheme);
		if ((size_t)(sep - text) != n ||
		    strncasecmp(text, schemes[i].scheme, n) != 0)
			continue;
		url->proto = schemes[i].proto;
		url->implicit_tls = schemes[i].tls;
		snprintf(url->port, sizeof(url->port), "%s", schemes[i].port);
		if (strchr(sep + 3, '@') != NULL) {
			*error_r = "no user name in the URL: log in by typing "
				   "the commands, that is the point";
			return -1;
		}
		return host_port(sep + 3, url, error_r);
	}
	*error_r = "the URL must start with pop3://, pop3s://, imap://, "
		   "imaps://, smtp:// or smtps://";
	return -1;
}

void conn_url_text(const struct conn_url *url, char *out, size_t size)
{
	bool v6 = strchr(url->host, ':') != NULL;
	snprintf(out, size, "%s%s://%s%s%s:%s", track_proto_name(url->proto),
		 url->implicit_tls ? "s" : "", v6 ? "[" : "", url->host,
		 v6 ? "]" : "", url->port);
}

/* connect_one - one address, non-blocking, at most @timeout_s. */
static int connect_one(const struct addrinfo *ai, unsigned timeout_s)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return -1;
	int flags = fcntl(fd, F_GETFL);
	(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof(err);
		r = poll(&pfd, 1, (int)timeout_s * 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
			    err == 0 ? 0 : -1;
		if (err != 0)
			errno = err;
		else if (r < 0)
			errno = ETIMEDOUT;
	}
	if (r < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	(void)fcntl(fd, F_SETFL, flags);
	return fd;
}

struct conn *conn_open(const struct conn_url *url, unsigned timeout_s,
		       const char **error_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *list;
	int gai = getaddrinfo(url->host, url->port, &hints, &list);
	if (gai != 0) {
		*error_r = gai_strerror(gai);
		return NULL;
	}
	int fd = -1;
	*error_r = "no address to connect to";
	for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next)
		if ((fd = connect_one(ai, timeout_s)) < 0)
			*error_r = strerror(errno);
	freeaddrinfo(list);
	if (fd < 0)
		return NULL;
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->io = netio_new(fd, SHELL_REPLY_LINE_MAX,
					    timeout_s)) == NULL) {
		close(fd);
		free(c);
		*error_r = "out of memory";
		return NULL;
	}
	c->url = *url;
	return c;
}

int conn_start_tls(struct conn *c, struct tls_client *cli, size_t *dropped_r,
		   const char **error_r)
{
	*dropped_r = netio_discard(c->io);
	return netio_tls_connect(c->io, cli, c->url.host, error_r);
}

void conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	netio_free(c->io);
	free(c);
}

int conn_send(struct conn *c, const void *data, size_t len)
{
	if (netio_write(c->io, data, len) < 0)
		return -1;
	if (c->tap.sent != NULL)
		c->tap.sent(c->tap.ctx, data, len);
	return 0;
}

enum netio_status conn_read_line(struct conn *c, char **line_r, size_t *len_r)
{
	unsigned flags;
	enum netio_status st = netio_read_line(c->io, line_r, len_r, &flags);
	if (st == NETIO_OK && c->tap.line != NULL)
		c->tap.line(c->tap.ctx, *line_r, *len_r);
	return st;
}

enum netio_status conn_read_bytes(struct conn *c, size_t want,
				  const char **data_r, size_t *len_r)
{
	enum netio_status st = netio_read_bytes(c->io, want, data_r, len_r);
	if (st == NETIO_OK && c->tap.bytes != NULL)
		c->tap.bytes(c->tap.ctx, *data_r, *len_r);
	return st;
}
