/*
 * transitions.h - the transitions the command tables cannot express.
 *
 * Each row of pop3.def, smtp.def and imap.def says where a command leads
 * when it succeeds.  A few moves of the real protocols depend on more
 * than the command: on the greeting the server chose, on which state the
 * command came in, on a reply that failed, or on no command at all (the
 * "." that ends SMTP DATA, a connection that drops).  transitions.def
 * lists exactly those, each with the RFC section that asks for it, so
 * that every picture of a state machine (tools/statedot, and the shell's
 * :diagram if it wants them) can draw the whole protocol from proto/
 * alone.
 *
 * A row is one of two kinds:
 *
 *   TRANSITION_INSTEAD  the table's edge for this command in this state
 *                       is wrong there; this row replaces it (QUIT in
 *                       POP3 AUTHORIZATION closes without UPDATE)
 *   TRANSITION_ALSO     an edge besides the table's (a failed SELECT
 *                       leaves SELECTED; the end of DATA returns to READY)
 *
 * Three pseudo-states stand for what is not a state of the enums: the
 * moment of connecting, the end of the connection, and "any state".
 */
#ifndef MAILLAB_PROTO_TRANSITIONS_H
#define MAILLAB_PROTO_TRANSITIONS_H

/** Pseudo-state: the TCP (or TLS) connection has just been set up. */
#define TRANSITION_CONNECT (-2)
/** Pseudo-state: the connection is closed; the session is over. */
#define TRANSITION_CLOSED  (-3)
/** Pseudo-state: in a "from" column, every state of the protocol. */
#define TRANSITION_ANY     (-4)

/** How a row relates to the command table. */
enum transition_kind {
	TRANSITION_INSTEAD, /**< replaces the table's edge for @c trigger */
	TRANSITION_ALSO,    /**< an edge the table does not have */
};

/**
 * One row of transitions.def, for one protocol: the states are that
 * protocol's enum values or the pseudo-states above.
 */
struct proto_transition {
	int from;                  /**< state (or pseudo-state) it leaves */
	const char *trigger;       /**< the command or event, as drawn */
	int to;                    /**< state (or pseudo-state) it enters */
	enum transition_kind kind; /**< replaces or adds to the table */
	const char *rfc;           /**< the section that asks for it */
	const char *why;           /**< one line for the reader */
};

#endif
