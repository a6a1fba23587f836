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
/**
 * The same, with all of the handshake within @p timeout_ms: a client that
 * sends its hello one octet at a time is cut off then, not per read.
 */
struct tls_conn *tls_accept_within(struct tls_server *srv, int fd,
				   long long timeout_ms, const char **error_r);
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


/* ---- the client side (mailsh) --------------------------------------------
 *
 * A client context decides whom to trust: the CA file given, or the
 * system's trust store.  The handshake itself never fails because of the
 * certificate: the verification result is read afterwards with
 * tls_peer_info(), so the shell can show the learner what was wrong
 * (self-signed, expired, name mismatch, unknown CA) before it decides to
 * close.  The caller must not send anything before it has decided.
 */

struct tls_client; /* a configured client context: trust anchors, keylog */

/**
 * A client context trusting @p ca_file (PEM), or the system's default
 * trust store when it is NULL.  If @p keylog_file is not NULL, the secrets
 * of every handshake are appended to it in the SSLKEYLOGFILE format that
 * Wireshark and tshark read.
 */
struct tls_client *tls_client_new(const char *ca_file, const char *keylog_file,
				  const char **error_r);
/** Free a client context (and close its keylog file). */
void tls_client_free(struct tls_client *cli);
/**
 * Run the client side of the handshake on @p fd.  @p host is sent as SNI
 * (unless it is an IP address, RFC 6066 §3) and is the name the
 * certificate is checked against (RFC 6125 via X509_VERIFY_PARAM).
 */
struct tls_conn *tls_connect(struct tls_client *cli, int fd, const char *host,
			     const char **error_r);
/** Bytes already decrypted and waiting inside the TLS layer. */
size_t tls_pending(const struct tls_conn *c);

/** How the peer's certificate verified, in the words a learner needs. */
enum tls_verdict {
	TLS_VERIFY_OK,
	TLS_VERIFY_SELF_SIGNED,
	TLS_VERIFY_EXPIRED,
	TLS_VERIFY_NOT_YET_VALID,
	TLS_VERIFY_NAME_MISMATCH,
	TLS_VERIFY_UNKNOWN_CA,
	TLS_VERIFY_NO_CERTIFICATE,
	TLS_VERIFY_OTHER,
};

/** What the shell prints after a handshake. */
struct tls_peer_info {
	char version[32];     /**< "TLSv1.3" */
	char cipher[64];      /**< "TLS_AES_256_GCM_SHA384" */
	char subject[256];    /**< one-line distinguished name */
	char issuer[256];     /**< who signed it, one line */
	char sans[512];       /**< "DNS:localhost, IP:127.0.0.1" */
	char not_before[64];  /**< "Nov 23 04:29:00 2026 GMT" */
	char not_after[64];   /**< end of the validity period */
	char sha256[100];     /**< certificate fingerprint, hex with colons */
	enum tls_verdict verdict; /**< the result of verification, in the classes mailsh names */
	char verify_text[128]; /**< OpenSSL's own words for the result */
};

/** Fill @p info for an established client connection. */
void tls_peer_info(const struct tls_conn *c, struct tls_peer_info *info);

#endif
