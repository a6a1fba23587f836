/*
 * imap_internal.h - what the files of the IMAP core share, and nothing else
 * includes: the session, the command being run, the reply helpers.
 *
 *   imap_core.c        session life, input, dispatch from imap.def, the
 *                      one state function
 *   imap_reply.c       tagged and untagged responses, updates, flushing
 *   imap_args.c        mailbox names and message sets as arguments
 *   imap_cmds_any.c    CAPABILITY NOOP LOGOUT (any state)
 *   imap_cmds_auth.c   STARTTLS AUTHENTICATE LOGIN (not authenticated)
 *   imap_cmds_mbox.c   SELECT EXAMINE CREATE DELETE RENAME SUBSCRIBE
 *                      UNSUBSCRIBE NAMESPACE ENABLE
 *   imap_list.c        LIST LSUB STATUS
 *   imap_append.c      APPEND
 *   imap_idle.c        IDLE
 *   imap_cmds_msg.c    CHECK CLOSE UNSELECT EXPUNGE UID EXPUNGE STORE
 *   imap_copy.c        COPY MOVE (and UID forms)
 *   imap_fetch.c       FETCH, UID FETCH
 *   imap_search.c      SEARCH, UID SEARCH
 *
 * The pure helpers they use have their own headers: imap_parser.h,
 * imap_mailbox.h, imap_mime.h, imap_seqset.h, imap_mutf7.h, imap_date.h,
 * imap_strings.h.
 */
#ifndef MAILLAB_IMAP_INTERNAL_H
#define MAILLAB_IMAP_INTERNAL_H

#include "../core/sasl.h"
#include "imap_core.h"
#include "imap_mailbox.h"
#include "imap_parser.h"
#include "imap_seqset.h"

/** The command being run. */
struct imap_cmd {
	enum imap_cmd_id id;         /**< its row in imap.def */
	const struct imap_cmd_info *info; /**< the row itself: name, states, next state */
	const char *tag;             /**< the client's tag */
	const struct imap_arg *args; /**< after the name ("UID FETCH": after
					  FETCH) */
	size_t argc;                 /**< entries in args */
	bool uid;                    /**< a UID command: numbers are UIDs */
};

/** One IMAP session: everything the core knows about the connection. */
struct imap_session {
	const struct imap_config *cfg; /**< the server and this port */
	const struct trace *trace;    /**< where state changes are written */
	enum imap_state state;        /**< changed only by imap_enter_state() */
	bool tls_active;              /**< TLS is up (implicit, or after STARTTLS) */
	struct imap_parser parser;    /**< the command being read */

	/* output */
	struct buf *out;              /**< where replies go */
	imap_flush_fn flush;          /**< sends out (IDLE and long FETCHes) */
	void *flush_arg;              /**< passed to flush */
	bool flush_failed;            /**< a flush failed: the session ends */
	bool slow;                    /**< this reply reports a failed login */
	const struct imap_cmd *cmd;   /**< while a command runs */
	const char *tag;              /**< what imap_ok() & co. answer to */
	bool fatal;                   /**< the session must end after this */

	/* NOT AUTHENTICATED */
	unsigned auth_failures;       /**< failed LOGIN/AUTHENTICATE so far */
	bool sasl_active;             /**< AUTHENTICATE is reading lines */
	char *sasl_tag;               /**< AUTHENTICATE's tag */
	struct sasl sasl;             /**< the exchange in progress */

	/* AUTHENTICATED and SELECTED */
	char user[USER_NAME_MAX + 1]; /**< the logged-in user */
	char *root;                   /**< the user's Maildir (INBOX) */
	bool idling;                  /**< IDLE runs: the next line must be DONE */
	char *idle_tag;               /**< IDLE's tag */
	struct imap_mailbox *mbox;    /**< SELECTED */
	unsigned long commands;       /**< run so far, for the trace */
};

/** A command handler, as named in imap.def's handler column. */
typedef enum imap_action (*imap_handler)(struct imap_session *s,
					  const struct imap_cmd *c);

/** The handlers named in imap.def (a name may serve several rows). */
#define IMAP_CMD(id, name, handler, states, next, rfc, syntax, help) \
	enum imap_action handler(struct imap_session *s, const struct imap_cmd *c);
#include "../../proto/imap.def"
#undef IMAP_CMD

/** The ONLY way to change state: records it in the trace. */
void imap_enter_state(struct imap_session *s, enum imap_state next,
		      const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- replies (imap_reply.c) ------------------------------------------- */

/** "* text\r\n" */
void imap_untagged(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/**@{*/
/**
 * The command's completion, "<tag> OK|NO|BAD text\r\n".  In SELECTED, the
 * changes other sessions made are reported first (RFC 9051 §7: untagged
 * updates precede the tagged reply); EXPUNGE only where §7.5.1 allows.
 */
enum imap_action imap_ok(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum imap_action imap_no(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum imap_action imap_bad(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/**@}*/
/** A tagged reply for @p tag outside a command (SASL, IDLE, errors). */
void imap_tagged_raw(struct imap_session *s, const char *tag,
		     const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/** A mailbox name or other astring: an atom when the grammar allows
 * (imap_strings.h writes the other kinds of strings). */
void imap_put_astring(struct imap_session *s, const char *str);
/** Send what is buffered now if it has grown large (FETCH, SEARCH). */
void imap_flush_some(struct imap_session *s);
/** The capability list for the current state, without a prefix. */
void imap_capabilities(const struct imap_session *s, struct buf *out);
/** imap_mailbox_sync() of the selected mailbox, with a trace line
 * ("sync NAME: listed ..." or, for a view that slept, "wake NAME: ...")
 * when the folder was listed again. */
int imap_sync(struct imap_session *s, const char **error_r);
/** Report pending mailbox changes (see imap_ok). */
void imap_announce(struct imap_session *s, bool expunge_ok);
/** Before a command: wake a sleeping view (imap_rest()), or end the
 * session with BYE (s->fatal) if the mailbox cannot be listed. */
void imap_wake(struct imap_session *s);

/* ---- shared helpers ---------------------------------------------------- */

/** The text of an atom or string argument, NULL if it is a list. */
const char *imap_arg_text(const struct imap_arg *a);
/** True if @p a is an atom equal to @p word, ignoring case. */
bool imap_arg_is(const struct imap_arg *a, const char *word);
/**
 * A mailbox argument as it is stored ("INBOX" for any case of it), with
 * its Maildir path; replies NO and returns -1 if the name is not allowed.
 */
int imap_mailbox_arg(struct imap_session *s, const struct imap_arg *a,
		     char *name, size_t size, char **path_r);
/** Messages of the selected mailbox named by a sequence or UID set
 * (c->uid); replies BAD and returns -1 if the set is malformed. */
int imap_message_set(struct imap_session *s, const struct imap_cmd *c,
		     const struct imap_arg *a, struct imap_seqset *set);
/** True if message @p i of the selected mailbox is in @p set. */
bool imap_in_set(const struct imap_session *s, const struct imap_cmd *c,
		 const struct imap_seqset *set, size_t i);
/**
 * The messages the client knows whose number (sequence number, or UID
 * for a UID command) lies between the lowest and the highest of @p set:
 * indexes @p first_r to @p end_r - 1.  A command walks only these (and
 * asks imap_in_set() for each), so FETCH of one message in a 10,000
 * message mailbox looks at one.
 */
void imap_set_window(const struct imap_session *s, const struct imap_cmd *c,
		     const struct imap_seqset *set, size_t *first_r,
		     size_t *end_r);
/**
 * Before messages are added to the folder @p name at @p path (APPEND,
 * COPY, MOVE): mail delivered there that nobody has numbered yet gets its
 * UIDs first, so the added messages come last (RFC 9051 §2.3.1.1).  Lists
 * new/ only (maildir_number_new()), and traces what it numbered.
 */
int imap_number_delivered(struct imap_session *s, const char *name,
			  const char *path, const char **error_r);
/** The user has logged in: open the Maildir, enter AUTHENTICATED. */
enum imap_action imap_login_ok(struct imap_session *s, const char *how);
/** Leave SELECTED (CLOSE, UNSELECT, a new SELECT, LOGOUT). */
void imap_deselect(struct imap_session *s, const char *why);
/** SASL lines while AUTHENTICATE runs (imap_cmds_auth.c). */
enum imap_action imap_sasl_line(struct imap_session *s, const char *line);
/** The client's line while IDLE runs (imap_idle.c). */
enum imap_action imap_idle_line(struct imap_session *s, const char *line);

#endif
