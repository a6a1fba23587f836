/*
 * smtp.h - what SMTP is: its states and its commands.
 *
 * RFC 5321 describes a session (greeting, EHLO, ... QUIT) that contains
 * mail transactions (MAIL, RCPT..., DATA).  maillab names each point of
 * that as an explicit state:
 *
 *   INIT    connected (or just after STARTTLS): the client must EHLO/HELO
 *   READY   greeted; no transaction open (RFC 5321 §4.1.4)
 *   MAIL    MAIL FROM accepted: the transaction has a sender
 *   RCPT    at least one RCPT TO accepted
 *   DATA    reading the message after 354, until <CRLF>.<CRLF>
 *   BDAT    between BDAT chunks (RFC 3030), until BDAT ... LAST
 *   CLOSED  after QUIT (221) or a 421
 *
 * The commands come from smtp.def; servers and mailsh share these lookups.
 */
#ifndef MAILLAB_PROTO_SMTP_H
#define MAILLAB_PROTO_SMTP_H

#include <stddef.h>

/** The states of an SMTP session and of its mail transaction (see above). */
enum smtp_state {
	SMTP_INIT,
	SMTP_READY,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_BDAT,
	SMTP_CLOSED,
	SMTP_STATE_COUNT,
	SMTP_SAME = -1, /**< in smtp.def: the command does not change state */
};

#define SMTP_IN_INIT  (1u << SMTP_INIT) /**< valid before the greeting (EHLO/HELO) */
#define SMTP_IN_READY (1u << SMTP_READY) /**< valid once greeted */
#define SMTP_IN_MAIL  (1u << SMTP_MAIL) /**< valid after MAIL FROM */
#define SMTP_IN_RCPT  (1u << SMTP_RCPT) /**< valid after a RCPT TO */
#define SMTP_IN_BDAT  (1u << SMTP_BDAT) /**< valid between BDAT chunks */
/** Inside a transaction: sender given, recipients possibly. */
#define SMTP_IN_TRANS (SMTP_IN_MAIL | SMTP_IN_RCPT)
/** Every state in which a command line is read. */
#define SMTP_IN_ANY   (SMTP_IN_INIT | SMTP_IN_READY | SMTP_IN_TRANS | SMTP_IN_BDAT)

/** Commands by index in smtp_cmds, one per row of smtp.def (SMTP_CMD_EHLO, ...). */
enum smtp_cmd_id {
/** Expands one row of smtp.def into its enum name. */
#define SMTP_CMD(name, handler, states, next, rfc, syntax, help) \
	SMTP_CMD_##name,
#include "smtp.def"
#undef SMTP_CMD
	SMTP_CMD_COUNT
};

/** One row of smtp.def, without the handler. */
struct smtp_cmd_info {
	const char *name;  /**< the keyword, "EHLO" */
	unsigned states;   /**< SMTP_IN_* bits: where it is valid */
	int next;          /**< an enum smtp_state or SMTP_SAME */
	const char *rfc;   /**< the section that defines it */
	const char *syntax; /**< how to type it */
	const char *help;  /**< one line for mailsh's :help and the docs */
};

/** The command table, indexed by enum smtp_cmd_id. */
extern const struct smtp_cmd_info smtp_cmds[SMTP_CMD_COUNT];

/** Find a command by keyword, case-insensitively; NULL if unknown. */
const struct smtp_cmd_info *smtp_cmd_find(const char *name, size_t len);
/** The command's id (its index in smtp_cmds). */
enum smtp_cmd_id smtp_cmd_id(const struct smtp_cmd_info *cmd);
/** "INIT", "READY", "MAIL", "RCPT", "DATA", "BDAT", "CLOSED". */
const char *smtp_state_name(enum smtp_state state);

#endif
