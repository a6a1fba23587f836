/*
 * tls.c - OpenSSL 3 wrapped in a handful of calls (see tls.h).
 *
 * Errors from OpenSSL are turned into one short text through last_error(),
 * which the caller writes to the trace; a failed handshake ends only that
 * session.
 */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>

struct tls_server {
	SSL_CTX *ctx;
};

struct tls_conn {
	SSL *ssl;
};

/* last_error - the most recent OpenSSL error as text (static storage). */
static const char *last_error(const char *fallback)
{
	static char text[256];
	unsigned long e = ERR_get_error();
	if (e == 0)
		return fallback;
	ERR_error_string_n(e, text, sizeof(text));
	ERR_clear_error();
	return text;
}

struct tls_server *tls_server_new(const char *cert_file, const char *key_file,
				  const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		*error_r = last_error("SSL_CTX_new failed");
		return NULL;
	}
	/* RFC 8996: TLS 1.0 and 1.1 are deprecated. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		*error_r = last_error("cannot load certificate or key");
		SSL_CTX_free(ctx);
		return NULL;
	}
	struct tls_server *srv = malloc(sizeof(*srv));
	if (srv == NULL) {
		SSL_CTX_free(ctx);
		*error_r = "out of memory";
		return NULL;
	}
	srv->ctx = ctx;
	return srv;
}

void tls_server_free(struct tls_server *srv)
{
	if (srv == NULL)
		return;
	SSL_CTX_free(srv->ctx);
	free(srv);
}

struct tls_conn *tls_accept(struct tls_server *srv, int fd,
			    const char **error_r)
{
	struct tls_conn *c = malloc(sizeof(*c));
	if (c == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	c->ssl = SSL_new(srv->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		*error_r = last_error("SSL_new failed");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	if (SSL_accept(c->ssl) != 1) {
		*error_r = last_error(errno == EAGAIN ? "handshake timed out"
						      : "handshake failed");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	return c;
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t n)
{
	size_t got = 0;
	if (SSL_read_ex(c->ssl, buf, n, &got) == 1)
		return (ssize_t)got;
	int err = SSL_get_error(c->ssl, 0);
	ERR_clear_error();
	return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

int tls_write(struct tls_conn *c, const void *buf, size_t n)
{
	size_t done = 0;
	if (n == 0)
		return 0;
	if (SSL_write_ex(c->ssl, buf, n, &done) == 1 && done == n)
		return 0;
	ERR_clear_error();
	return -1;
}

void tls_close(struct tls_conn *c)
{
	if (c == NULL)
		return;
	/* close_notify is a courtesy; the peer may already be gone. */
	(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	free(c);
}

const char *tls_version(const struct tls_conn *c)
{
	return SSL_get_version(c->ssl);
}

const char *tls_cipher(const struct tls_conn *c)
{
	return SSL_get_cipher_name(c->ssl);
}
