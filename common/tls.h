/*
 * tls.h - the only door to OpenSSL.
 *
 * maillab speaks TLS in two ways (RFC 8314 §3): implicit TLS, where the
 * handshake starts as soon as the TCP connection is up (ports 465, 995,
 * 993), and STARTTLS, where a plaintext session asks to upgrade (STLS in
 * POP3, RFC 2595 §4; STARTTLS in SMTP, RFC 3207, and IMAP, RFC 9051 §6.2.1).
 * Either way the same calls are used once the handshake is due.
 *
 * Only TLS 1.2 and later are offered (RFC 8996 deprecates 1.0 and 1.1).
 * Nothing outside this file and tls.c includes <openssl/ssl.h>.
 */
#ifndef MAILLAB_TLS_H
#define MAILLAB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_server; /* a configured server context: certificate and key */
struct tls_conn;   /* one TLS connection over one socket */

/** Load a PEM certificate chain and key; NULL and @p error_r on failure. */
struct tls_server *tls_server_new(const char *cert_file, const char *key_file,
				  const char **error_r);
/** Free a server context. */
void tls_server_free(struct tls_server *srv);

/**
 * Run the server side of the handshake on @p fd (a blocking socket with a
 * receive timeout).  Returns the connection, or NULL with a reason.
 */
struct tls_conn *tls_accept(struct tls_server *srv, int fd,
			    const char **error_r);
/** Read up to @p n bytes: >0 bytes, 0 clean close, -1 error or timeout. */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t n);
/** Write all @p n bytes; 0 or -1. */
int tls_write(struct tls_conn *c, const void *buf, size_t n);
/** Send close_notify (best effort) and free; does not close the socket. */
void tls_close(struct tls_conn *c);
/** Negotiated protocol version, e.g. "TLSv1.3". */
const char *tls_version(const struct tls_conn *c);
/** Negotiated cipher suite name. */
const char *tls_cipher(const struct tls_conn *c);

#endif
