/*
 * lg_conn.c - one client's connection: connect, TLS, lines in and out,
 * and the record of what went wrong.
 *
 * Everything goes through common/netio, the same buffered line reader
 * mailsh uses, with a generous line limit (LG_LINE_MAX) and the reply
 * timeout as its idle timeout.  TCP_NODELAY is set because every command
 * is written whole and then waited for: there is nothing for Nagle's
 * algorithm to gather, only a delayed ACK to wait for.  For the same
 * reason a message goes out in one write (lg_send_text()).
 *
 * With --tls the handshake runs right after connecting (implicit TLS,
 * RFC 8314 §3.3).  tls_connect() never fails on a bad certificate; the
 * verdict is read afterwards, once per client, and anything but a clean
 * verification against --cafile is an error: a benchmark that talked to
 * the wrong server would be measuring the wrong thing.
 */
#include "loadgen.h"

#include "../common/netio.h"
#include "../common/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t lg_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void lg_session_user(struct lg_client *c, char *out)
{
	const struct lg_conf *conf = c->run->conf;
	unsigned long k = c->sessions++;
	unsigned index = conf->count > 0 && conf->users > 0
			 ? (unsigned)(c->ticket % conf->users)
			 : lg_user_index(conf, c->index, k);
	lg_user_name(conf, index, out);
}

int lg_fail(struct lg_client *c, const char *fmt, ...)
{
	if (c->error[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->error, sizeof(c->error), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* open_socket - a connected TCP socket to host:port, or -1. */
static int open_socket(struct lg_client *c)
{
	const struct lg_conf *conf = c->run->conf;
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, conf->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)conf->port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, conf->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)conf->port);
		len = sizeof(*in6);
	} else {
		return lg_fail(c, "--host %s: not a numeric address", conf->host);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lg_fail(c, "socket: %s", strerror(errno));
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		return lg_fail(c, "connect to %s port %u: %s", conf->host,
			       conf->port, strerror(e));
	}
	return fd;
}

/* verify - the certificate check, once per client. */
static int verify(struct lg_client *c)
{
	struct tls_peer_info info;
	tls_peer_info(netio_tls(c->io), &info);
	if (info.verdict != TLS_VERIFY_OK)
		return lg_fail(c, "server certificate: %s", info.verify_text);
	c->verified = true;
	return 0;
}

int lg_connect(struct lg_client *c)
{
	const struct lg_conf *conf = c->run->conf;
	int fd = open_socket(c);
	if (fd < 0)
		return -1;
	c->io = netio_new(fd, LG_LINE_MAX, conf->timeout_s);
	if (c->io == NULL) {
		close(fd);
		return lg_fail(c, "out of memory");
	}
	if (!conf->tls)
		return 0;
	const char *error;
	if (netio_tls_connect(c->io, c->run->tls, conf->host, &error) < 0) {
		lg_disconnect(c);
		return lg_fail(c, "TLS handshake: %s", error);
	}
	if (!c->verified && verify(c) < 0) {
		lg_disconnect(c);
		return -1;
	}
	return 0;
}

void lg_disconnect(struct lg_client *c)
{
	netio_free(c->io);
	c->io = NULL;
	c->exists = 0;
}

/* past_limit - has the run's --limit passed?  The operation in progress
 * is then given up: counted as cut, not as an error. */
static bool past_limit(struct lg_client *c)
{
	if (c->run->cut_us == 0 || lg_now_us() < c->run->cut_us)
		return false;
	c->cut = true;
	return true;
}

int lg_read_line(struct lg_client *c, char **line_r, size_t *len_r)
{
	unsigned flags;
	if (past_limit(c))
		return -1;
	switch (netio_read_line(c->io, line_r, len_r, &flags)) {
	case NETIO_OK:
		return 0;
	case NETIO_TOO_LONG:
		return lg_fail(c, "reply line longer than %u octets",
			       LG_LINE_MAX);
	case NETIO_EOF:
		return lg_fail(c, "the server closed the connection");
	case NETIO_TIMEOUT:
		return lg_fail(c, "no reply within %u s", c->run->conf->timeout_s);
	case NETIO_ERROR:
		break;
	}
	return lg_fail(c, "read error");
}

int lg_skip_bytes(struct lg_client *c, size_t n)
{
	while (n > 0) {
		const char *data;
		size_t got;
		if (past_limit(c))
			return -1;
		if (netio_read_bytes(c->io, n, &data, &got) != NETIO_OK)
			return lg_fail(c, "connection lost inside a literal");
		n -= got;
	}
	return 0;
}

int lg_send(struct lg_client *c, const void *data, size_t len)
{
	if (netio_write(c->io, data, len) < 0)
		return lg_fail(c, "write error: the server went away");
	return 0;
}

int lg_send_text(struct lg_client *c, const char *header, size_t hlen,
		 const char *end)
{
	size_t body = c->run->body_len, elen = strlen(end);
	if (hlen > LG_HEADER_MAX || elen > LG_TEXT_END_MAX)
		return lg_fail(c, "header or end of a message too long");
	if (c->text == NULL) {
		/* [room for the header][the body][room for the end] */
		c->text = malloc(LG_HEADER_MAX + body + LG_TEXT_END_MAX);
		if (c->text == NULL)
			return lg_fail(c, "out of memory for a %zu-octet "
				       "message", body);
		memcpy(c->text + LG_HEADER_MAX, c->run->body, body);
	}
	char *start = c->text + LG_HEADER_MAX - hlen;
	memcpy(start, header, hlen);
	memcpy(c->text + LG_HEADER_MAX + body, end, elen);
	return lg_send(c, start, hlen + body + elen);
}

int lg_sendf(struct lg_client *c, const char *fmt, ...)
{
	char line[LG_COMMAND_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		return lg_fail(c, "command longer than %d octets", LG_COMMAND_MAX);
	memcpy(line + n, "\r\n", 2);
	return lg_send(c, line, (size_t)n + 2);
}
