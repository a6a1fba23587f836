/*
 * imap_core.h - the IMAP server as a pure state machine over bytes.
 *
 * The session glue (imap_session.c) reads a line, or the octets of a
 * literal, from the network and gives them to imap_feed(); the core parses
 * (imap_parser.c), dispatches from proto/imap.def, and appends its replies
 * to an output buffer that the glue sends.  The core never touches a
 * socket or OpenSSL, so the unit tests drive it with strings, RFC example
 * dialogues included.
 *
 * Three things need the glue's help, and the core asks for them through
 * its return value (enum imap_action): the TLS handshake after STARTTLS,
 * the end of the connection, and IDLE, where the glue waits for either the
 * client's DONE or a change in the selected mailbox (imap_idle_fd()).
 * Large FETCH answers leave in pieces through an optional flush hook, so a
 * whole mailbox never has to fit in memory at once.
 */
#ifndef MAILLAB_IMAP_CORE_H
#define MAILLAB_IMAP_CORE_H

#include "../../common/buf.h"
#include "../../common/trace.h"
#include "../../proto/imap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What the glue tells the core about the server and this port. */
struct imap_config {
	const char *hostname;      /**< for the trace and BYE texts */
	const char *data_dir;      /**< mail lives in DATA/mail/USER/Maildir */
	const char *users_file;    /**< DATA/users */
	bool starttls_offered;     /**< this port may upgrade with STARTTLS */
	bool cleartext_allowed;    /**< passwords may be sent before TLS */
};

/** What the glue must do after sending the output. */
enum imap_action {
	IMAP_CONTINUE, /**< read on (a line, or imap_literal_left() octets) */
	IMAP_CLOSE,    /**< close the connection */
	IMAP_STARTTLS, /**< run the TLS handshake, then imap_tls_started() */
	IMAP_IDLE,     /**< wait for input or for imap_idle_fd() */
};

/** Sends what is in @p out now (and empties it); 0, or -1 if it failed. */
typedef int (*imap_flush_fn)(void *arg, struct buf *out);

struct imap_session;

/**@{*/
/** Start a session; @p tls_active on implicit-TLS ports. */
struct imap_session *imap_session_new(const struct imap_config *cfg,
				      const struct trace *trace,
				      bool tls_active);
void imap_session_free(struct imap_session *s);
/**@}*/
/** Let large answers go out before the command is complete. */
void imap_set_flush(struct imap_session *s, imap_flush_fn fn, void *arg);

/** Write the greeting: "* OK [CAPABILITY ...] maillab IMAP server ready". */
void imap_greeting(struct imap_session *s, struct buf *out);

/**
 * Handle input: a line with its CRLF (or LF), or literal octets, as it
 * came.  Replies are appended to @p out.  @p slow_r is set when the reply
 * reports a failed login, so the glue delays it.  Input after an action
 * other than IMAP_CONTINUE is not looked at (the glue feeds one line or
 * one piece of a literal at a time, so there is none).
 */
enum imap_action imap_feed(struct imap_session *s, const char *data,
			   size_t len, struct buf *out, bool *slow_r);

/** Octets of a literal the core is waiting for (read them raw). */
uint64_t imap_literal_left(const struct imap_session *s);
/** The reply to a line that passed the limit (the line was skipped). */
void imap_line_too_long(struct imap_session *s, const char *start,
			size_t len, struct buf *out);
/** The connection ended in the middle of a command, or at any time. */
void imap_disconnected(struct imap_session *s, const char *why);
/** The idle timer ran out: "* BYE", and the session ends. */
void imap_timed_out(struct imap_session *s, struct buf *out);
/** The STARTTLS handshake completed: capabilities start over. */
void imap_tls_started(struct imap_session *s);

/** While idling: a descriptor that becomes readable when the selected
 * mailbox changes (inotify), or -1 if there is none to watch. */
int imap_idle_fd(const struct imap_session *s);
/** It became readable: report what changed (untagged responses). */
void imap_idle_wake(struct imap_session *s, struct buf *out);

/** No command for a while: the selected mailbox's view may sleep
 * (imap_mailbox_sleep()); the next command wakes it. */
void imap_rest(struct imap_session *s);

/** The current state, for the glue and the tests. */
enum imap_state imap_session_state(const struct imap_session *s);

#endif
