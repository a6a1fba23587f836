/*
 * conn.h - mailsh's connection to a server: where it is (a URL), the TCP
 * connection, TLS (implicit or by STARTTLS/STLS), and the one place where
 * bytes are sent and lines are received.
 *
 *   pop3://host[:port]   RFC 1939, port 110      pop3s://  RFC 8314, 995
 *   imap://host[:port]   RFC 9051, port 143      imaps://  RFC 8314, 993
 *   smtp://host[:port]   RFC 5321, port 25       smtps://  RFC 8314, 465
 *
 * IPv6 addresses are written in brackets: imap://[::1]:10143.
 * conn_send() and conn_read_line()/conn_read_bytes() are the only ways
 * bytes cross the connection, so a recorder of sessions can be hooked in
 * at exactly these three functions.
 */
#ifndef MAILSH_CONN_H
#define MAILSH_CONN_H

#include "../common/netio.h"
#include "track.h"

#include <stdbool.h>
#include <stddef.h>

struct tls_client;

/** Where to connect, parsed from a URL (pop3://, imaps://, ...). */
struct conn_url {
	enum track_proto proto; /**< from the scheme */
	bool implicit_tls;   /**< pop3s, imaps, smtps */
	char host[256];      /**< a name, or an address (IPv6 without brackets) */
	char port[8];        /**< the port, or the scheme's default */
};

/**
 * Who watches the bytes as they cross (the session recorder, record.c);
 * every function may be NULL.  Lines come without their CRLF; literal
 * bytes come as they were read.
 */
struct conn_tap {
	void (*sent)(void *ctx, const char *data, size_t len); /**< a line or bytes sent to the server */
	void (*line)(void *ctx, const char *line, size_t len); /**< one line the server sent */
	void (*bytes)(void *ctx, const char *data, size_t len); /**< literal bytes the server sent */
	void *ctx; /**< passed to each function */
};

/** One connection to a server. */
struct conn {
	struct netio *io; /**< the socket, plain or TLS */
	struct conn_url url; /**< where it goes */
	struct conn_tap tap; /**< who watches the bytes (may be all NULL) */
};

/** Parse "pop3s://host:port"; -1 and a reason if it is not one of ours. */
int conn_parse_url(const char *text, struct conn_url *url, const char **error_r);
/** The URL back as text ("imaps://localhost:10993"). */
void conn_url_text(const struct conn_url *url, char *out, size_t size);
/** Connect over TCP (no TLS yet), waiting at most @p timeout_s. */
struct conn *conn_open(const struct conn_url *url, unsigned timeout_s,
		       const char **error_r);
/**
 * Run the TLS handshake now (implicit TLS, or after STARTTLS).  Octets the
 * server sent before the handshake and that are still unread are thrown
 * away first, never read as if they had come over TLS (response
 * injection, the client half of CVE-2011-0411; RFC 3207 §4.2): their
 * number goes to *@p dropped_r, for the caller to warn about.
 */
int conn_start_tls(struct conn *c, struct tls_client *cli, size_t *dropped_r,
		   const char **error_r);
/** Close (TLS close_notify first) and free. */
void conn_close(struct conn *c);

/** Send bytes as they are; 0 or -1. */
int conn_send(struct conn *c, const void *data, size_t len);
/** Receive one line (CRLF removed). */
enum netio_status conn_read_line(struct conn *c, char **line_r, size_t *len_r);
/** Receive up to @p want raw bytes of a literal. */
enum netio_status conn_read_bytes(struct conn *c, size_t want,
				  const char **data_r, size_t *len_r);

#endif
