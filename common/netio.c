/*
 * netio.c - line I/O over plain or TLS sockets (see netio.h).
 *
 * Timeouts use SO_RCVTIMEO/SO_SNDTIMEO on the socket rather than poll():
 * they then apply the same way to read() and to the reads OpenSSL makes
 * inside a handshake or a record, so a client that stops half-way through a
 * TLS record is timed out like one that stops between commands.
 *
 * A timeout per read() alone lets a client keep a session forever by
 * sending one octet now and then (slowloris).  So the timeout is a
 * deadline for a whole line (Postfix's smtpd_per_record_deadline), and the
 * session may set an absolute deadline on top (netio_set_deadline(): to
 * log in, to send a message).  Before each read the socket's timeout is
 * cut to what is left; with plain text that is exact, inside TLS a read
 * may run over by the time one record takes to trickle in.
 */
#include "netio.h"

#include "../proto/limits.h"
#include "fdio.h"
#include "linebuf.h"
#include "tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct netio {
	int fd;
	struct tls_conn *tls; /* NULL while the connection is plain */
	struct linebuf in;
	unsigned timeout_s;
	long long deadline_ms; /* CLOCK_MONOTONIC; 0: none */
	bool cut;              /* SO_RCVTIMEO is shorter than timeout_s */
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* until - when a read that starts now must be over: the line's own
 * limit or the session's deadline, whichever comes first. */
static long long until(const struct netio *io)
{
	long long t = now_ms() + (long long)io->timeout_s * 1000;
	return io->deadline_ms != 0 && io->deadline_ms < t ? io->deadline_ms : t;
}

/* arm - let the next read wait no longer than @limit; false if the time
 * is already up.  The socket option is only touched when it must be. */
static bool arm(struct netio *io, long long limit)
{
	long long left = limit - now_ms();
	if (left <= 0)
		return false;
	bool cut = left < (long long)io->timeout_s * 1000;
	if (cut || io->cut) {
		long long ms = cut ? left : (long long)io->timeout_s * 1000;
		struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
				      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
		(void)setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		io->cut = cut;
	}
	return true;
}

struct netio *netio_new(int fd, size_t max_line, unsigned timeout_s)
{
	struct netio *io = calloc(1, sizeof(*io));
	if (io == NULL)
		return NULL;
	if (linebuf_init(&io->in, max_line) < 0) {
		free(io);
		return NULL;
	}
	io->fd = fd;
	netio_set_timeout(io, timeout_s);
	return io;
}

void netio_free(struct netio *io)
{
	if (io == NULL)
		return;
	tls_close(io->tls);
	close(io->fd);
	linebuf_free(&io->in);
	free(io);
}

int netio_set_max_line(struct netio *io, size_t max_line)
{
	return linebuf_set_max(&io->in, max_line);
}

void netio_set_deadline(struct netio *io, unsigned seconds)
{
	io->deadline_ms = seconds == 0 ? 0 : now_ms() + (long long)seconds * 1000;
}

unsigned netio_timeout(const struct netio *io)
{
	return io->timeout_s;
}

bool netio_deadline_set(const struct netio *io)
{
	return io->deadline_ms != 0;
}

void netio_set_timeout(struct netio *io, unsigned timeout_s)
{
	struct timeval tv = { .tv_sec = (time_t)timeout_s, .tv_usec = 0 };
	io->timeout_s = timeout_s;
	/* Failing to set a timeout only makes the session wait longer. */
	(void)setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(io->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* netio_fill - read more bytes from the socket or TLS into the line buffer. */
enum netio_status netio_fill(struct netio *io)
{
	size_t room;
	char *dst = linebuf_space(&io->in, &room);
	ssize_t n;
	do {
		errno = 0;
		n = io->tls ? tls_read(io->tls, dst, room)
			    : read(io->fd, dst, room);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return NETIO_EOF;
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? NETIO_TIMEOUT
								 : NETIO_ERROR;
	linebuf_commit(&io->in, (size_t)n);
	return NETIO_OK;
}

enum netio_status netio_read_line(struct netio *io, char **line_r,
				  size_t *len_r, unsigned *flags_r)
{
	long long limit = until(io);
	for (;;) {
		switch (linebuf_next(&io->in, line_r, len_r, flags_r)) {
		case LINEBUF_LINE:
			return NETIO_OK;
		case LINEBUF_TOO_LONG:
			return NETIO_TOO_LONG;
		case LINEBUF_NEED_MORE:
			break;
		}
		if (!arm(io, limit))
			return NETIO_TIMEOUT;
		enum netio_status st = netio_fill(io);
		if (st != NETIO_OK)
			return st;
	}
}

int netio_write(struct netio *io, const void *data, size_t len)
{
	if (io->tls)
		return tls_write(io->tls, data, len);
	return fd_write_all(io->fd, data, len);
}

int netio_tls_accept(struct netio *io, struct tls_server *srv,
		     size_t *discarded_r, const char **error_r)
{
	if (io->tls != NULL) {
		*error_r = "TLS is already active";
		return -1;
	}
	/* CVE-2011-0411: never let pipelined plaintext reach the TLS session. */
	*discarded_r = linebuf_discard(&io->in);
	/* the handshake as a whole gets at most TLS_HANDSHAKE_TIMEOUT_S (or
	 * the session's shorter timeout, or what its deadline leaves) */
	long long left = until(io) - now_ms();
	long long cap = (long long)TLS_HANDSHAKE_TIMEOUT_S * 1000;
	io->tls = tls_accept_within(srv, io->fd,
				    left < cap ? (left > 0 ? left : 1) : cap, error_r);
	arm(io, now_ms() + (long long)io->timeout_s * 1000);
	return io->tls ? 0 : -1;
}

bool netio_is_tls(const struct netio *io)
{
	return io->tls != NULL;
}

const char *netio_tls_version(const struct netio *io)
{
	return io->tls ? tls_version(io->tls) : "";
}

const char *netio_tls_cipher(const struct netio *io)
{
	return io->tls ? tls_cipher(io->tls) : "";
}

int netio_tls_connect(struct netio *io, struct tls_client *cli,
		      const char *host, const char **error_r)
{
	if (io->tls != NULL) {
		*error_r = "TLS is already active";
		return -1;
	}
	if (linebuf_pending(&io->in) > 0) {
		*error_r = "the server sent data before the TLS handshake";
		return -1;
	}
	io->tls = tls_connect(cli, io->fd, host, error_r);
	return io->tls ? 0 : -1;
}

size_t netio_discard(struct netio *io)
{
	size_t n = linebuf_discard(&io->in);
	if (io->tls != NULL)
		return n;
	char sink[4096];
	ssize_t got;
	while ((got = recv(io->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
		n += (size_t)got;
	return n;
}

const struct tls_conn *netio_tls(const struct netio *io)
{
	return io->tls;
}

int netio_fd(const struct netio *io)
{
	return io->fd;
}

bool netio_input_buffered(const struct netio *io)
{
	return netio_line_buffered(io) ||
	       (io->tls != NULL && tls_pending(io->tls) > 0);
}

size_t netio_buffered(const struct netio *io)
{
	return linebuf_pending(&io->in) + (io->tls ? tls_pending(io->tls) : 0);
}

bool netio_line_buffered(const struct netio *io)
{
	const char *start = io->in.data + io->in.start;
	return memchr(start, '\n', linebuf_pending(&io->in)) != NULL;
}

enum netio_status netio_read_bytes(struct netio *io, size_t want,
				   const char **data_r, size_t *len_r)
{
	if (linebuf_pending(&io->in) == 0) {
		if (!arm(io, until(io)))
			return NETIO_TIMEOUT;
		enum netio_status st = netio_fill(io);
		if (st != NETIO_OK)
			return st;
	}
	*len_r = linebuf_take(&io->in, want, data_r);
	return NETIO_OK;
}
