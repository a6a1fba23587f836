/*
 * pop3_internal.h - what the files of the POP3 core share, and nothing else
 * includes: the session structure and the reply helpers.
 *
 *   pop3_core.c   session life, dispatch from pop3.def, the state function
 *   pop3_auth.c   AUTHORIZATION: STLS, USER/PASS, APOP, AUTH, the maildrop lock
 *   pop3_cmds.c   TRANSACTION and UPDATE: STAT ... UIDL, CAPA, QUIT
 */
#ifndef MAILLAB_POP3_INTERNAL_H
#define MAILLAB_POP3_INTERNAL_H

#include "../core/maildir.h"
#include "../core/sasl.h"
#include "pop3_core.h"

/** Arguments of one command line, split at spaces. */
struct pop3_args {
	int argc;            /**< words, the keyword included */
	char *argv[4];       /**< argv[0] is the keyword */
	char *rest;          /**< everything after the keyword and one space */
};

/** One POP3 session: everything the core knows about the connection. */
struct pop3_session {
	const struct pop3_config *cfg; /**< the server and this port */
	const struct trace *trace;    /**< where state changes are written */
	enum pop3_state state;        /**< changed only by pop3_enter_state() */
	bool tls_active;              /**< TLS is up (implicit, or after STLS) */
	char timestamp[128];          /**< APOP challenge from the greeting */

	/* AUTHORIZATION */
	bool user_given;              /**< a USER was accepted; PASS may follow */
	char user[USER_NAME_MAX + 1]; /**< the name from USER, APOP or AUTH */
	unsigned auth_failures;       /**< failed logins so far */
	bool sasl_active;             /**< an AUTH exchange is reading lines */
	struct sasl sasl;             /**< the AUTH exchange in progress */

	/* TRANSACTION: the maildrop as it was when it was opened */
	char *maildir;                /**< its path */
	int lock_fd;                  /**< flock()ed while we own the maildrop */
	struct maildir_list list;     /**< message n is list.msgs[n - 1] */
	bool *deleted;                /**< marks set by DELE, cleared by RSET */
	bool *retrieved;              /**< RETR'd: flagged Seen at UPDATE */

	struct buf *out;              /**< where replies go during one line */
	bool slow;                    /**< this reply reports a failed login */
};

/** A command handler, as named in pop3.def's handler column. */
typedef enum pop3_action (*pop3_handler)(struct pop3_session *s,
					  const struct pop3_args *a);

/** The handlers named in pop3.def. */
#define POP3_CMD(name, handler, states, next, min, max, rfc, syntax, help) \
	enum pop3_action handler(struct pop3_session *s, const struct pop3_args *a);
#include "../../proto/pop3.def"
#undef POP3_CMD

/** The ONLY way to change state: records it in the trace. */
void pop3_enter_state(struct pop3_session *s, enum pop3_state next,
		      const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**@{*/
/** Append "+OK text\r\n" or "-ERR text\r\n". */
void pop3_ok(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pop3_err(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/**@}*/
/** Append one line of a multi-line reply, byte-stuffed (RFC 1939 §3). */
void pop3_data_line(struct pop3_session *s, const char *line, size_t len);
/** Append the terminating ".\r\n" of a multi-line reply. */
void pop3_data_end(struct pop3_session *s);

/** Messages not marked deleted, and their total wire size. */
void pop3_maildrop_totals(const struct pop3_session *s, size_t *count_r,
			  unsigned long long *octets_r);
/**@{*/
/** SASL and policy questions the auth code and CAPA both ask. */
bool pop3_stls_available(const struct pop3_session *s);
bool pop3_cleartext_ok(const struct pop3_session *s);
/**@}*/
/** Continue an AUTH exchange with one client line. */
enum pop3_action pop3_sasl_line(struct pop3_session *s, const char *line);

#endif
