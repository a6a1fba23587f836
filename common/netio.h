/*
 * netio.h - a connection: buffered line input and output over a socket,
 * plain or TLS, with an idle timeout.
 *
 * netio owns the socket.  The protocol cores never see it: the session glue
 * reads one line with netio_read_line(), hands it to the core, and writes
 * the core's reply with netio_write().  Upgrading with STARTTLS swaps the
 * transport under the same calls.
 *
 * STARTTLS and pipelining (CVE-2011-0411): a client may send
 * "STLS\r\nUSER alice\r\n" in one packet.  Everything buffered before the
 * handshake is plaintext an attacker in the middle could have injected, so
 * netio_tls_accept() throws it away and reports how much it dropped.
 */
#ifndef MAILLAB_NETIO_H
#define MAILLAB_NETIO_H

#include <stdbool.h>
#include <stddef.h>

struct tls_client;
struct tls_conn;
struct tls_server;
struct netio;

/** What a read from the connection gave. */
enum netio_status {
	NETIO_OK,       /**< a line (or bytes) returned */
	NETIO_TOO_LONG, /**< a line passed the maximum; it is being skipped */
	NETIO_EOF,      /**< the peer closed the connection */
	NETIO_TIMEOUT,  /**< nothing arrived within the idle timeout */
	NETIO_ERROR,    /**< read or TLS error */
};

/** Wrap a connected socket; lines are at most @p max_line bytes with CRLF. */
struct netio *netio_new(int fd, size_t max_line, unsigned timeout_s);
/** Close TLS (close_notify) and the socket, and free. */
void netio_free(struct netio *io);
/** Change the longest accepted line (e.g. while a SASL exchange runs). */
int netio_set_max_line(struct netio *io, size_t max_line);
/**
 * Change the idle timeout in seconds: the longest a line (or one piece of
 * raw data) may take to arrive, counted from when its reading began.
 */
void netio_set_timeout(struct netio *io, unsigned timeout_s);
/** The idle timeout in seconds (netio_set_timeout()). */
unsigned netio_timeout(const struct netio *io);
/**
 * An absolute limit on top, @p seconds from now (0: none): every read
 * after it ends with NETIO_TIMEOUT.  Sessions use it for the time to log
 * in and the time to send one message, so a client cannot stretch either
 * forever one octet at a time.
 */
void netio_set_deadline(struct netio *io, unsigned seconds);
/** True while a deadline is set. */
bool netio_deadline_set(const struct netio *io);
/**
 * Read the next line (CRLF removed, NUL-terminated, valid until the next
 * read).  @p flags_r receives LINEBUF_* flags (LINEBUF_BARE_LF).  With
 * NETIO_TOO_LONG, @p line_r and @p len_r give the line's first octets
 * (see linebuf_next()).
 */
enum netio_status netio_read_line(struct netio *io, char **line_r,
				  size_t *len_r, unsigned *flags_r);
/** Write all of @p data; 0 or -1 (the connection is then unusable). */
int netio_write(struct netio *io, const void *data, size_t len);
/**
 * Run the server side of a TLS handshake (implicit TLS or after STARTTLS).
 * Buffered plaintext is discarded first; its size goes to @p discarded_r.
 */
int netio_tls_accept(struct netio *io, struct tls_server *srv,
		     size_t *discarded_r, const char **error_r);
/** True once TLS is active. */
bool netio_is_tls(const struct netio *io);
/**@{*/
/** Negotiated TLS version and cipher, or "" without TLS. */
const char *netio_tls_version(const struct netio *io);
const char *netio_tls_cipher(const struct netio *io);
/**@}*/


/* ---- for clients (mailsh) --------------------------------------------- */

/**
 * Run the client side of a TLS handshake (implicit TLS, or after the server
 * accepted STARTTLS/STLS).  Unlike netio_tls_accept() nothing is thrown
 * away: a correct server sends nothing between its "go ahead" reply and
 * the handshake, so anything buffered here would be a broken server's
 * bytes, and it is an error instead of being silently dropped or, worse,
 * read as if it had come over TLS.
 */
int netio_tls_connect(struct netio *io, struct tls_client *cli,
		      const char *host, const char **error_r);
/**
 * Throw away everything the peer has sent that was not read yet: what is
 * buffered, and (before TLS) what waits on the socket.  A client calls it
 * between the server's "go ahead" to STARTTLS and its own handshake: the
 * server has no business sending anything there, and what it did send
 * could be an attacker's (response injection, the client half of
 * CVE-2011-0411).  Returns how many octets were dropped.
 */
size_t netio_discard(struct netio *io);
/** The TLS connection (for certificate details), or NULL without TLS. */
const struct tls_conn *netio_tls(const struct netio *io);
/** The socket, for poll(). */
int netio_fd(const struct netio *io);
/**
 * True if input is waiting where poll() on the socket cannot see it: a
 * complete line in the buffer, or bytes already decrypted inside TLS.
 */
bool netio_input_buffered(const struct netio *io);
/** Octets received and not yet returned (in the line buffer or inside
 * TLS): input the peer sent ahead of what has been read. */
size_t netio_buffered(const struct netio *io);
/** True if a complete line is buffered: netio_read_line() will not block. */
bool netio_line_buffered(const struct netio *io);
/** Read once from the socket into the buffer (blocks up to the timeout). */
enum netio_status netio_fill(struct netio *io);
/**
 * Take up to @p want raw bytes (an IMAP literal), reading if none are
 * buffered.  On NETIO_OK @p data_r / @p len_r give 1..want bytes, valid
 * until the next read.
 */
enum netio_status netio_read_bytes(struct netio *io, size_t want,
				   const char **data_r, size_t *len_r);

#endif
