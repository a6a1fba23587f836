/*
 * smtp_core.h - the SMTP server as a pure state machine over lines.
 *
 * The session glue (smtp_session.c) reads one line from the network and
 * gives it to smtp_feed_line(); the core answers into an output buffer and
 * says what the glue must do next.  Command lines and the lines of a
 * message after DATA go through the same call: the core knows which state
 * it is in (proto/smtp.h) and treats the line accordingly.  The core never
 * touches a socket or OpenSSL; it does write to disk, because accepting a
 * message means storing it (RFC 5321 §6.1: "250" is a promise).
 *
 * What the core needs to know about the connection comes in struct
 * smtp_config (policy, built per connection by the glue) and the
 * tls_active flag (fact); the unit tests fill both in by hand.
 */
#ifndef MAILLAB_SMTP_CORE_H
#define MAILLAB_SMTP_CORE_H

#include "../../common/buf.h"
#include "../../common/trace.h"
#include "../../proto/smtp.h"

#include <stdbool.h>
#include <stddef.h>

/** The roles a port can have (RFC 6409 §1, RFC 8314 §3.3). */
enum smtp_role {
	SMTP_ROLE_MX,         /**< port 25: mail for our domains, no AUTH */
	SMTP_ROLE_SUBMISSION, /**< ports 587 and 465: AUTH, then any domain */
};

/** Most local domains one server answers for (--domain). */
#define SMTP_DOMAINS_MAX 16

/** What the glue tells the core about the server and this port. */
struct smtp_config {
	const char *hostname;     /**< our name: greeting, Received, EHLO */
	const char *data_dir;     /**< DATA: users, mail/, queue/, routes */
	const char *users_file;   /**< DATA/users */
	const char *domains[SMTP_DOMAINS_MAX]; /**< local domains */
	int ndomains;             /**< entries in domains */
	const char *postmaster;   /**< user who gets postmaster@ (RFC 5321 §4.5.1) */
	enum smtp_role role;      /**< MX or submission (this port) */
	bool starttls_offered;    /**< this port may upgrade with STARTTLS */
	bool cleartext_allowed;   /**< passwords may be sent before TLS */
	bool advertise_cram;      /**< list CRAM-MD5 in EHLO (see smtp_auth.c) */
	unsigned long max_size;   /**< SIZE (RFC 1870), in octets */
	const char *peer;         /**< the client's address, for Received */
	/** Called after mail was queued for relaying (may be NULL). */
	void (*queued)(void *arg);
	void *queued_arg;         /**< passed to queued */
};

/** What the glue must do after sending the output. */
enum smtp_action {
	SMTP_CONTINUE, /**< read the next line */
	SMTP_CLOSE,    /**< close the connection */
	SMTP_STARTTLS, /**< run the TLS handshake, then smtp_tls_started() */
	SMTP_READ_CHUNK, /**< BDAT: send the reply so far, then read
			      smtp_chunk_left() raw octets into
			      smtp_feed_chunk() and call smtp_chunk_done() */
};

struct smtp_session;

/** Start a session; @p tls_active is true on implicit-TLS ports.  The
 * config and trace must outlive the session. */
struct smtp_session *smtp_session_new(const struct smtp_config *cfg,
				      const struct trace *trace,
				      bool tls_active);
/** End the session; an open transaction is dropped (nothing delivered). */
void smtp_session_free(struct smtp_session *s);

/** Write the greeting ("220 host ESMTP ...") into @p out. */
void smtp_greeting(struct smtp_session *s, struct buf *out);

/** Flag for smtp_feed_line(): the line ended in a bare LF, not CRLF. */
#define SMTP_LINE_BARE_LF 0x1
/** Flag for smtp_feed_line(): the line before it was too long (reported
 * with smtp_line_too_long()) and ended in a bare LF. */
#define SMTP_LINE_AFTER_BARE_LF 0x2
/** Flag for smtp_feed_line(): more input was already waiting behind this
 * line when it was read (the client pipelined; RFC 2920 §3.1 says which
 * commands must not be followed that way). */
#define SMTP_LINE_PIPELINED 0x4

/**
 * Handle one line (line end removed; @p len counts NUL bytes too;
 * @p flags has SMTP_LINE_BARE_LF when it ended in LF alone).  Replies are
 * appended to @p out, which stays empty while a message is being read.
 * @p slow_r is set when the reply reports a failed login.
 */
enum smtp_action smtp_feed_line(struct smtp_session *s, const char *line,
				size_t len, unsigned flags, struct buf *out,
				bool *slow_r);

/** A line passed smtp_max_line() and is being skipped by the framing. */
void smtp_line_too_long(struct smtp_session *s, struct buf *out);

/** BDAT (RFC 3030): octets of the current chunk still to be read. */
size_t smtp_chunk_left(const struct smtp_session *s);
/** BDAT: some octets of the chunk, as they arrive. */
void smtp_feed_chunk(struct smtp_session *s, const char *data, size_t len);
/** BDAT: the whole chunk has arrived; write the reply into @p out. */
enum smtp_action smtp_chunk_done(struct smtp_session *s, struct buf *out);

/** The idle timeout expired: the 421 reply (RFC 5321 §4.5.3.2.7). */
void smtp_timeout(struct smtp_session *s, struct buf *out);

/** Tell the core the STARTTLS handshake completed. */
void smtp_tls_started(struct smtp_session *s);

/** The current state, for the glue and the tests. */
enum smtp_state smtp_session_state(const struct smtp_session *s);
/** True once AUTH succeeded (forgotten again after STARTTLS). */
bool smtp_session_authenticated(const struct smtp_session *s);

/** The longest line the core accepts next, CRLF included. */
size_t smtp_max_line(const struct smtp_session *s);

/** The client talked before the greeting: the 554 that ends it. */
void smtp_early_talker(struct smtp_session *s, struct buf *out);

/** The reply to a client over the session limit (RFC 5321 §3.1). */
void smtp_refusal(const char *hostname, struct buf *out);

#endif
