/*
 * smtp_internal.h - what the files of the SMTP core share, and nothing else
 * includes: the session and transaction structures and the reply helpers.
 *
 *   smtp_core.c     session life, dispatch from smtp.def, the state function,
 *                   replies with enhanced status codes
 *   smtp_cmds.c     EHLO HELO RSET NOOP QUIT VRFY EXPN HELP
 *   smtp_auth.c     STARTTLS and AUTH: the policy of the submission role
 *   smtp_mail.c     MAIL and RCPT: paths, parameters, local domains, relaying
 *   smtp_data.c     DATA: the message lines, dot-unstuffing, the end of data
 *   smtp_bdat.c     BDAT: the message in counted chunks (RFC 3030)
 *   smtp_deliver.c  what happens to an accepted message: Maildir or queue
 */
#ifndef MAILLAB_SMTP_INTERNAL_H
#define MAILLAB_SMTP_INTERNAL_H

#include "../../proto/limits.h"
#include "../core/sasl.h"
#include "smtp_core.h"

/** One accepted recipient. */
struct smtp_rcpt {
	char addr[SMTP_PATH_MAX + 1]; /**< the forward-path without < > */
	char user[USER_NAME_MAX + 1]; /**< local user, or "" to relay */
};

/**
 * The mail transaction (RFC 5321 §3.3): it exists exactly while the
 * session is in MAIL, RCPT or DATA, and smtp_enter_state() clears it on
 * the way back to READY or INIT.
 */
struct smtp_tx {
	char from[SMTP_PATH_MAX + 1];    /**< reverse-path; "" is the null path */
	struct smtp_rcpt rcpts[SMTP_RCPT_MAX]; /**< the recipients accepted so far */
	size_t nrcpt;                    /**< entries in rcpts */
	bool body_8bit;                  /**< BODY=8BITMIME (RFC 6152) */
	bool smtputf8;                   /**< SMTPUTF8 (RFC 6531) */
	struct buf data;                 /**< the message: CRLF, unstuffed */
	/* what went wrong while reading the message; the reply waits for the
	 * end of data, since the client is not listening before that */
	bool too_big;                    /**< passed max_size (RFC 1870) */
	bool bare_line_end;              /**< a bare CR or LF (smuggling) */
	bool prev_bare_lf;               /**< the line before ended in LF only */
	bool nul_byte;                   /**< a NUL: not text (RFC 5322 §2.3) */
	bool long_line;                  /**< over SMTP_LINE_MAX */
};

/** One SMTP session: everything the core knows about the connection. */
struct smtp_session {
	const struct smtp_config *cfg;   /**< the server and this port */
	const struct trace *trace;       /**< where state changes are written */
	enum smtp_state state;           /**< changed only by smtp_enter_state() */
	bool tls_active;                 /**< TLS is up (implicit, or after STARTTLS) */

	/* the greeting (EHLO/HELO), forgotten on STARTTLS (RFC 3207 §4.2) */
	bool esmtp;                      /**< greeted with EHLO */
	char helo[SMTP_DOMAIN_MAX + 1];  /**< the name the client gave */

	/* AUTH (RFC 4954) */
	bool authenticated;              /**< AUTH succeeded */
	char user[USER_NAME_MAX + 1];    /**< the logged-in user */
	unsigned auth_failures;          /**< failed AUTH attempts so far */
	bool sasl_active;                /**< an AUTH exchange reads lines */
	struct sasl sasl;                /**< the exchange in progress */
	char nonce[128];                 /**< CRAM-MD5 challenge */

	struct smtp_tx tx;               /**< the mail transaction, while there is one */

	/* BDAT (RFC 3030): the chunk being read after a BDAT command */
	size_t chunk_left;               /**< octets still to come */
	bool chunk_last;                 /**< BDAT ... LAST */
	bool chunk_discard;              /**< refused: read and throw away */

	/* per command: where replies go, and what the dispatcher does next */
	struct buf *out;                 /**< where replies go */
	int reply_code;                  /**< the last reply's code */
	int next;                        /**< state to enter on success */
	unsigned line_flags;             /**< SMTP_LINE_* of this line */
	bool slow;                       /**< this reply reports a failed login */
	unsigned long counter;           /**< messages accepted, for ids */
};

/** A command handler, as named in smtp.def's handler column. */
typedef enum smtp_action (*smtp_handler)(struct smtp_session *s,
					  const char *arg);

/** The handlers named in smtp.def; @arg is what follows the keyword and
 * one space ("" if nothing). */
#define SMTP_CMD(name, handler, states, next, rfc, syntax, help) \
	enum smtp_action handler(struct smtp_session *s, const char *arg);
#include "../../proto/smtp.def"
#undef SMTP_CMD

/** The ONLY way to change state: records it in the trace, and drops the
 * transaction when the session returns to READY or INIT. */
void smtp_enter_state(struct smtp_session *s, enum smtp_state next,
		      const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**@{*/
/**
 * Append one reply line: "code enh text" (RFC 5321 §4.2, RFC 2034 §4).
 * @p enh is the enhanced status code (RFC 3463) or NULL where RFC 2034
 * leaves it out (the greeting, the EHLO/HELO reply).  smtp_reply() ends a
 * reply; smtp_reply_more() writes a "code-" line that more lines follow.
 */
void smtp_reply(struct smtp_session *s, int code, const char *enh,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void smtp_reply_more(struct smtp_session *s, int code, const char *enh,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/**@}*/

/**
 * RFC 2920 §3.1: EHLO, HELO and DATA must end a pipelined group, since the
 * client cannot know what follows until it has their reply.  If this line
 * had more input behind it, reply 554, close, and return true.
 */
bool smtp_out_of_sync(struct smtp_session *s, const char *cmd);

/** Continue an AUTH exchange with one client line (smtp_auth.c). */
enum smtp_action smtp_sasl_line(struct smtp_session *s, const char *line);
/** Cancel an AUTH exchange (line too long, NUL byte). */
void smtp_sasl_abort(struct smtp_session *s);
/** Which SASL mechanisms EHLO lists now ("" for none; smtp_auth.c). */
const char *smtp_auth_mechanisms(const struct smtp_session *s);
/** True if STARTTLS may be offered now. */
bool smtp_starttls_available(const struct smtp_session *s);

/** One line of the message after 354 (smtp_data.c). */
enum smtp_action smtp_data_line(struct smtp_session *s, const char *line,
				size_t len, unsigned flags);

/** The message is complete (end of DATA, or BDAT LAST): refuse it, or
 * store it and answer 250 (smtp_data.c). */
enum smtp_action smtp_data_finish(struct smtp_session *s);
/** BDAT refused by the state check: reply, then swallow its chunk
 * (smtp_bdat.c). */
enum smtp_action smtp_bdat_refused(struct smtp_session *s, const char *arg);

/** True if @p domain is one of ours (case-insensitive, RFC 5321 §2.4). */
bool smtp_domain_is_local(const struct smtp_config *cfg, const char *domain);

/**
 * Store an accepted message (smtp_deliver.c): into each local recipient's
 * Maildir and, for the others, into the relay queue; everything fsync'ed
 * before this returns 0.  On -1 nothing may be acknowledged.
 */
int smtp_deliver(struct smtp_session *s, char *summary, size_t size,
		 const char **error_r);

#endif
