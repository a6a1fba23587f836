/*
 * track.h - the client-side state tracker: which state the session is in,
 * worked out only from what the client sent and what the server answered.
 *
 * mailsh must work against any server (Dovecot, Postfix, a provider's), so
 * it cannot ask the server for its state: it follows the dialogue the way
 * a careful reader of the RFCs would.  The rules come from the same tables
 * the servers dispatch from (proto/pop3.def, smtp.def, imap.def): a
 * command's "next" column says where a success leads; the few conditional
 * transitions are written out in track_pop3.c, track_smtp.c and
 * track_imap.c with their RFC sections.
 *
 * The tracker is pure: no I/O, no printing.  The shell feeds it
 *
 *   track_prepare()     a line the learner typed: it is checked (valid in
 *                       this state? advertised? a password in the clear?)
 *                       and completed (an IMAP tag), nothing is changed;
 *   track_sent()        the same line, once it has really been sent;
 *   track_reply_line()  each line the server sent; the answer says whether
 *                       the reply goes on, is complete, or waits for input;
 *
 * and reads back the notes (state changes with their cause, warnings) to
 * print.  The unit tests drive it with strings, as the servers' tests do.
 */
#ifndef MAILSH_TRACK_H
#define MAILSH_TRACK_H

#include "limits_shell.h"

#include <stdbool.h>
#include <stddef.h>

/** The three protocols mailsh follows. */
enum track_proto { TRACK_POP3, TRACK_SMTP, TRACK_IMAP };

/** What the shell must do after a server line. */
enum track_reply {
	TRACK_MORE,     /**< the reply goes on: read another line */
	TRACK_LITERAL,  /**< read literal_left raw bytes, then a line */
	TRACK_DONE,     /**< the reply is complete */
	TRACK_GO_ON,    /**< the server waits for client input (+, 334, 354) */
};

/** What the next line the learner types is (track.input). */
enum track_input {
	TRACK_INPUT_COMMAND,
	TRACK_INPUT_SASL,    /**< an answer to a SASL challenge */
	TRACK_INPUT_DATA,    /**< SMTP message text after 354 */
	TRACK_INPUT_LITERAL, /**< IMAP literal or BDAT chunk bytes */
	TRACK_INPUT_IDLE,    /**< IMAP IDLE runs until DONE */
	TRACK_INPUT_REST,    /**< IMAP: the rest of a command after a literal */
};

/** How the last complete reply went (for batch mode and colours). */
enum track_outcome { TRACK_NONE, TRACK_OK, TRACK_FAILED, TRACK_INTERMEDIATE };

/** What kind of line the server just sent, for the explanations. */
enum track_line {
	TRACK_LINE_STATUS,   /**< +OK/-ERR, a final SMTP line, tagged IMAP */
	TRACK_LINE_UNTAGGED, /**< IMAP "*" line */
	TRACK_LINE_CONT,     /**< continuation: "+ ...", 334, 354 */
	TRACK_LINE_DATA,     /**< body of a multi-line reply: nothing to explain */
};

/** What a note is about. */
enum track_note_kind { TRACK_NOTE_STATE, TRACK_NOTE_WARN, TRACK_NOTE_INFO };

/** One thing to tell the learner after a line: a transition, a warning. */
struct track_note {
	enum track_note_kind kind; /**< a transition, a warning, information */
	char text[SHELL_NOTE_LEN]; /**< the text, ready to print */
};

/** What track_prepare() made of a typed line. */
struct track_send {
	char line[SHELL_INPUT_MAX + SHELL_TAG_LEN]; /**< what to send, no CRLF */
	bool tag_added;      /**< IMAP: mailsh put a tag in front */
	bool credentials;    /**< carries a password anyone can read without TLS */
	size_t literal;      /**< announces this many literal/chunk bytes */
	bool literal_sync;   /**< IMAP {n}: wait for "+" before sending them */
	bool line_follows;   /**< IMAP: the command goes on after the literal */
	bool raw;            /**< a SASL answer, DATA text or DONE: no command */
};

/** One row of a protocol's command table, the same shape for all three. */
struct track_cmd {
	const char *name;  /**< "RETR", "UID FETCH" */
	unsigned states;   /**< bit (1 << state) for each state it is valid in */
	int next;          /**< state after success, or -1 for "same" */
	const char *rfc;   /**< the section that defines it */
	const char *syntax; /**< how to type it */
	const char *help;  /**< one line of help */
};

/** The dialogue as seen from the client side: state, capabilities, what is pending. */
struct track {
	enum track_proto proto;  /**< which protocol */
	int state;               /**< an enum pop3_state, smtp_state or imap_state */
	bool tls;                /**< TLS is up */
	bool closed;             /**< the server said it is closing */
	bool want_tls;           /**< the server accepted STARTTLS/STLS: handshake now */
	enum track_input input;  /**< what the next typed line is */
	enum track_outcome outcome; /**< how the last reply went */
	enum track_line line_kind; /**< what the last server line was */

	/* the command waiting for its reply */
	int pending;             /**< index into the command table, or a TRACK_P_* */
	char pending_arg[SHELL_MAILBOX_LEN]; /**< its argument (a mailbox, a user) */
	char pending_tag[SHELL_TAG_LEN]; /**< IMAP: its tag */
	char pending_mech[SHELL_CAP_LEN]; /**< AUTH: the mechanism */
	bool multiline;          /**< POP3: +OK is followed by lines up to "." */
	bool in_body;            /**< POP3: reading those lines now */

	/* capabilities, as last announced */
	bool caps_known;         /**< a capability list was seen */
	bool starttls_offered;   /**< a list in this connection had STARTTLS/STLS */
	char caps[SHELL_CAPS_MAX][SHELL_CAP_LEN]; /**< the capability words */
	int ncaps;               /**< entries in caps */
	char mechs[SHELL_MECHS_MAX][SHELL_CAP_LEN]; /**< the SASL mechanisms */
	int nmechs;              /**< entries in mechs */

	long messages;           /**< POP3 STAT count, IMAP EXISTS; -1 unknown */
	bool user_accepted;      /**< POP3: USER got +OK, PASS may follow */
	char apop_stamp[SHELL_CHALLENGE_LEN]; /**< POP3: the greeting's APOP timestamp */
	int rcpts;               /**< SMTP recipients accepted in this transaction */
	bool authenticated;      /**< SMTP AUTH succeeded (no state of its own) */
	unsigned next_tag;       /**< IMAP: a001, a002, ... */
	char mailbox[SHELL_MAILBOX_LEN]; /**< IMAP: the selected mailbox */
	char mailboxes[SHELL_MAILBOXES_MAX][SHELL_MAILBOX_LEN]; /**< IMAP: names from the last LIST, for completion */
	int nmailboxes;          /**< entries in mailboxes */
	size_t literal_left;     /**< IMAP: literal bytes the server announced */
	bool after_literal;      /**< the next line continues a response */
	char challenge[SHELL_CHALLENGE_LEN]; /**< last SASL challenge, decoded */

	struct track_note notes[SHELL_NOTES_MAX]; /**< what to tell the learner about the last line */
	int nnotes;              /**< entries in notes */
	bool notes_lost;         /**< more notes than fit */
};

/* Pseudo-commands in track.pending. */
#define TRACK_P_NONE      (-1) /**< nothing is waiting */
#define TRACK_P_GREETING  (-2) /**< waiting for the server's greeting */
#define TRACK_P_UNKNOWN   (-3) /**< a command mailsh does not know */
#define TRACK_P_DATA_END  (-4) /**< SMTP: the "." that ends DATA was sent */
#define TRACK_P_SASL      (-5) /**< a SASL answer was sent */
#define TRACK_P_DONE      (-6) /**< IMAP: DONE ended IDLE */

/** Start tracking a new connection; it waits for the greeting. */
void track_init(struct track *t, enum track_proto proto, bool tls);
/** Check and complete a typed line; the tracker does not change. */
void track_prepare(struct track *t, const char *typed, struct track_send *out);
/** The line from track_prepare() was sent. */
void track_sent(struct track *t, const struct track_send *s);
/** One line from the server (CRLF removed). */
enum track_reply track_reply_line(struct track *t, const char *line);
/** The TLS handshake asked for by STARTTLS/STLS completed. */
void track_tls_started(struct track *t);
/** The connection is gone (EOF or disconnect). */
void track_closed(struct track *t, const char *why);
/** The literal/chunk bytes of the last command were all sent. */
void track_literal_sent(struct track *t);

/** The prompt text: "pop3 TRANSACTION", "imap SELECTED INBOX". */
void track_prompt(const struct track *t, char *out, size_t size);
/** "pop3", "smtp", "imap". */
const char *track_proto_name(enum track_proto proto);
/** Name of a state of @p proto. */
const char *track_state_name(enum track_proto proto, int state);
/** How many states @p proto has. */
int track_state_count(enum track_proto proto);
/** The command table of @p proto, as uniform rows. */
int track_cmd_count(enum track_proto proto);
/** Row @p i of the table (0 to track_cmd_count() - 1). */
const struct track_cmd *track_cmd_at(enum track_proto proto, int i);
/** Find a command ("UID FETCH" for IMAP) case-insensitively; -1 if none. */
int track_cmd_find(enum track_proto proto, const char *name, size_t len);
/** True if the capability (or SASL mechanism, with @p sasl) was announced. */
bool track_has_cap(const struct track *t, const char *cap);
/** True if the SASL mechanism @p mech was announced. */
bool track_has_mech(const struct track *t, const char *mech);

/** Forget the notes once printed. */
void track_clear_notes(struct track *t);

#endif
