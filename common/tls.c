/*
 * tls.c - OpenSSL 3 wrapped in a handful of calls (see tls.h).
 *
 * Errors from OpenSSL are turned into one short text through last_error(),
 * which the caller writes to the trace; a failed handshake ends only that
 * session.  The server side comes first, then the client side mailsh uses
 * (handshake, certificate details, verification result, key log).
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* init - OpenSSL without its exit handler.  A server forks a process per
 * session; with the handler, every one of them would, on its way out,
 * walk and free OpenSSL's tables - memory it shares copy-on-write with
 * its parent, so each page freed is first copied - only for the kernel
 * to throw it all away a moment later.  The tables stay reachable to the
 * end, so leak checkers do not count them either. */
static void init(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, NULL);
}

struct tls_server *tls_server_new(const char *cert_file, const char *key_file,
				  const char **error_r)
{
	init();
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

/* handshake - SSL_accept on a non-blocking socket, waiting in poll() for
 * what OpenSSL wants until the deadline: one limit for the whole
 * handshake, however the client spreads its octets.  1, or 0 (with
 * errno ETIMEDOUT when the time ran out). */
static int handshake(SSL *ssl, int fd, long long timeout_ms)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return SSL_accept(ssl) == 1;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int ok = 0;
	for (;;) {
		if (SSL_accept(ssl) == 1) {
			ok = 1;
			break;
		}
		int err = SSL_get_error(ssl, 0);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000LL +
					       (now.tv_nsec - start.tv_nsec) / 1000000);
		struct pollfd p = { .fd = fd, .events = err == SSL_ERROR_WANT_READ
						       ? POLLIN : POLLOUT };
		int n = left > 0 ? poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) : 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			break;
		}
		if (n < 0 && errno != EINTR)
			break;
	}
	int saved = errno;
	(void)fcntl(fd, F_SETFL, flags);
	errno = saved;
	return ok;
}

/* accept_conn - the two ways in: blocking (timeout_ms < 0) or with a
 * limit. */
static struct tls_conn *accept_conn(struct tls_server *srv, int fd,
				    long long timeout_ms, const char **error_r)
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
	errno = 0;
	int ok = timeout_ms < 0 ? SSL_accept(c->ssl) == 1
				: handshake(c->ssl, fd, timeout_ms);
	if (!ok) {
		*error_r = last_error(errno == EAGAIN || errno == ETIMEDOUT
				      ? "handshake timed out" : "handshake failed");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	return c;
}

struct tls_conn *tls_accept(struct tls_server *srv, int fd,
			    const char **error_r)
{
	return accept_conn(srv, fd, -1, error_r);
}

struct tls_conn *tls_accept_within(struct tls_server *srv, int fd,
				   long long timeout_ms, const char **error_r)
{
	return accept_conn(srv, fd, timeout_ms, error_r);
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

/* ---- the client side (mailsh) ------------------------------------------- */

struct tls_client {
	SSL_CTX *ctx;
	FILE *keylog; /* NULL unless key logging was asked for */
};

/* keylog_line - OpenSSL hands over one SSLKEYLOGFILE line per secret.  The
 * context carries its tls_client as app data, so no global is needed. */
static void keylog_line(const SSL *ssl, const char *line)
{
	struct tls_client *cli = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (cli == NULL || cli->keylog == NULL)
		return;
	fprintf(cli->keylog, "%s\n", line);
	/* flushed at once: a capture may be decrypted while we still run */
	fflush(cli->keylog);
}

struct tls_client *tls_client_new(const char *ca_file, const char *keylog_file,
				  const char **error_r)
{
	struct tls_client *cli = calloc(1, sizeof(*cli));
	if (cli == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	init();
	cli->ctx = SSL_CTX_new(TLS_client_method());
	if (cli->ctx == NULL) {
		*error_r = last_error("SSL_CTX_new failed");
		free(cli);
		return NULL;
	}
	/* RFC 8996: TLS 1.0 and 1.1 are deprecated. */
	SSL_CTX_set_min_proto_version(cli->ctx, TLS1_2_VERSION);
	/* Verification runs, but never aborts the handshake: the result is
	 * read afterwards so that it can be explained (see tls.h). */
	SSL_CTX_set_verify(cli->ctx, SSL_VERIFY_NONE, NULL);
	int ok = ca_file ? SSL_CTX_load_verify_locations(cli->ctx, ca_file, NULL)
			 : SSL_CTX_set_default_verify_paths(cli->ctx);
	if (ok != 1) {
		*error_r = last_error("cannot load the CA certificates");
		tls_client_free(cli);
		return NULL;
	}
	if (keylog_file != NULL) {
		cli->keylog = fopen(keylog_file, "a");
		if (cli->keylog == NULL) {
			*error_r = "cannot open the key log file";
			tls_client_free(cli);
			return NULL;
		}
		SSL_CTX_set_app_data(cli->ctx, cli);
		SSL_CTX_set_keylog_callback(cli->ctx, keylog_line);
	}
	return cli;
}

void tls_client_free(struct tls_client *cli)
{
	if (cli == NULL)
		return;
	SSL_CTX_free(cli->ctx);
	if (cli->keylog != NULL)
		fclose(cli->keylog);
	free(cli);
}

/* expect_name - SNI and the name to verify.  RFC 6066 §3: SNI carries host
 * names only, never an IP address; an address is checked against the
 * certificate's IP SANs instead. */
static int expect_name(SSL *ssl, const char *host)
{
	unsigned char addr[16];
	if (inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	return SSL_set_tlsext_host_name(ssl, host) == 1 &&
	       SSL_set1_host(ssl, host) == 1;
}

struct tls_conn *tls_connect(struct tls_client *cli, int fd, const char *host,
			     const char **error_r)
{
	struct tls_conn *c = malloc(sizeof(*c));
	if (c == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	c->ssl = SSL_new(cli->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1 ||
	    !expect_name(c->ssl, host)) {
		*error_r = last_error("SSL_new failed");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	if (SSL_connect(c->ssl) != 1) {
		*error_r = last_error(errno == EAGAIN ? "handshake timed out"
						      : "handshake failed");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	return c;
}

size_t tls_pending(const struct tls_conn *c)
{
	int n = SSL_pending(c->ssl);
	return n > 0 ? (size_t)n : 0;
}

/* verdict - OpenSSL's verification result in the few words a learner
 * needs (the full text is kept next to it). */
static enum tls_verdict verdict(long result)
{
	switch (result) {
	case X509_V_OK:
		return TLS_VERIFY_OK;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return TLS_VERIFY_SELF_SIGNED;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return TLS_VERIFY_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_VERIFY_NOT_YET_VALID;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return TLS_VERIFY_NAME_MISMATCH;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return TLS_VERIFY_UNKNOWN_CA;
	default:
		return TLS_VERIFY_OTHER;
	}
}

/* bio_text - move what was printed into a memory BIO to @out. */
static void bio_text(BIO *bio, char *out, size_t size)
{
	int n = BIO_read(bio, out, (int)size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

static void name_text(const X509_NAME *name, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	out[0] = '\0';
	if (bio == NULL)
		return;
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	bio_text(bio, out, size);
}

static void time_text(const ASN1_TIME *t, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	out[0] = '\0';
	if (bio == NULL)
		return;
	ASN1_TIME_print(bio, t);
	bio_text(bio, out, size);
}

/* sans_text - the DNS names and IP addresses of subjectAltName. */
static void sans_text(X509 *cert, char *out, size_t size)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name,
						NULL, NULL);
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char one[128] = "";
		if (g->type == GEN_DNS)
			snprintf(one, sizeof(one), "DNS:%.100s",
				 (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD) {
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
			int len = ASN1_STRING_length(g->d.iPAddress);
			char ip[INET6_ADDRSTRLEN] = "?";
			inet_ntop(len == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
			snprintf(one, sizeof(one), "IP:%s", ip);
		}
		if (one[0] != '\0' && used + strlen(one) + 3 < size)
			used += (size_t)snprintf(out + used, size - used, "%s%s",
						 used ? ", " : "", one);
	}
	GENERAL_NAMES_free(names);
}

static void fingerprint(X509 *cert, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	out[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &n) != 1)
		return;
	for (unsigned i = 0; i < n && 3 * i + 3 <= size; i++)
		snprintf(out + 3 * i, size - 3 * i, "%02X%s", md[i],
			 i + 1 < n ? ":" : "");
}

void tls_peer_info(const struct tls_conn *c, struct tls_peer_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->version, sizeof(info->version), "%s",
		 SSL_get_version(c->ssl));
	snprintf(info->cipher, sizeof(info->cipher), "%s",
		 SSL_get_cipher_name(c->ssl));
	X509 *cert = SSL_get1_peer_certificate(c->ssl);
	if (cert == NULL) {
		info->verdict = TLS_VERIFY_NO_CERTIFICATE;
		snprintf(info->verify_text, sizeof(info->verify_text),
			 "the server sent no certificate");
		return;
	}
	name_text(X509_get_subject_name(cert), info->subject,
		  sizeof(info->subject));
	name_text(X509_get_issuer_name(cert), info->issuer, sizeof(info->issuer));
	sans_text(cert, info->sans, sizeof(info->sans));
	time_text(X509_get0_notBefore(cert), info->not_before,
		  sizeof(info->not_before));
	time_text(X509_get0_notAfter(cert), info->not_after,
		  sizeof(info->not_after));
	fingerprint(cert, info->sha256, sizeof(info->sha256));
	X509_free(cert);
	long result = SSL_get_verify_result(c->ssl);
	info->verdict = verdict(result);
	snprintf(info->verify_text, sizeof(info->verify_text), "%s",
		 X509_verify_cert_error_string(result));
}
