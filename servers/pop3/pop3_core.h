/*
 * pop3_core.h - the POP3 server as a pure state machine over lines.
 *
 * The session glue (pop3_session.c) reads one line from the network, gives
 * it to pop3_feed_line(), and sends what the core put in the output buffer.
 * The core never touches a socket or OpenSSL, so the unit tests drive it
 * with plain strings: the RFC 1939 example dialogues are tests here.
 *
 * What the core needs to know about the connection comes in
 * struct pop3_config (policy) and the tls_active flag (fact); what it wants
 * the glue to do comes back as an enum pop3_action.
 */
#ifndef MAILLAB_POP3_CORE_H
#define MAILLAB_POP3_CORE_H

#include "../../common/buf.h"
#include "../../common/trace.h"
#include "../../proto/pop3.h"

#include <stdbool.h>
#include <stddef.h>

/** What the glue tells the core about the server and this port. */
struct pop3_config {
	const char *hostname;      /**< shown in the greeting and signing off */
	const char *data_dir;      /**< mail lives in DATA/mail/USER/Maildir */
	const char *users_file;    /**< DATA/users */
	bool stls_offered;         /**< this port may upgrade with STLS */
	bool cleartext_allowed;    /**< passwords may be sent before TLS */
};

/** What the glue must do after sending the output. */
enum pop3_action {
	POP3_CONTINUE, /**< read the next line */
	POP3_CLOSE,    /**< close the connection */
	POP3_STARTTLS, /**< run the TLS handshake, then pop3_tls_started() */
};

struct pop3_session;

/**
 * Start a session.  @p timestamp is the APOP challenge shown in the greeting
 * ("<pid.time@host>", RFC 1939 §7); @p tls_active is true on implicit-TLS
 * ports.  The config and trace must outlive the session.
 */
struct pop3_session *pop3_session_new(const struct pop3_config *cfg,
				      const struct trace *trace,
				      const char *timestamp, bool tls_active);
/**
 * End the session.  Without a QUIT in TRANSACTION this is a dropped
 * connection: nothing is deleted (RFC 1939 §6), the lock is released.
 */
void pop3_session_free(struct pop3_session *s);

/** Write the greeting ("+OK ... <timestamp>") into @p out. */
void pop3_greeting(struct pop3_session *s, struct buf *out);

/**
 * Handle one line (CRLF removed; @p len counts NUL bytes too).  The reply
 * is appended to @p out.  @p slow_r is set when the reply reports a failed
 * login, so the glue waits before sending it.
 */
enum pop3_action pop3_feed_line(struct pop3_session *s, const char *line,
				size_t len, struct buf *out, bool *slow_r);

/** The reply to a line that passed the limit (the line is skipped). */
void pop3_line_too_long(struct pop3_session *s, struct buf *out);

/** Tell the core the STLS handshake completed: back to a fresh start. */
void pop3_tls_started(struct pop3_session *s);

/** The current state, for the glue and the tests. */
enum pop3_state pop3_session_state(const struct pop3_session *s);

/** The longest line the core accepts next (larger inside AUTH). */
size_t pop3_max_line(const struct pop3_session *s);

#endif
