/*
 * imap.h - what IMAP is: its states and its commands.
 *
 * RFC 9051 §3 gives an IMAP connection four states:
 *
 *   NOT AUTHENTICATED  after an "* OK" greeting: log in (or STARTTLS)
 *   AUTHENTICATED      after LOGIN/AUTHENTICATE, or an "* PREAUTH" greeting:
 *                      work with mailboxes, choose one with SELECT/EXAMINE
 *   SELECTED           a mailbox is open: FETCH, STORE, SEARCH, ...
 *   LOGOUT             after LOGOUT, an "* BYE" greeting, or a fatal error
 *
 * Commands carry a client-chosen tag and are answered by a tagged
 * OK/NO/BAD, possibly after untagged "*" responses.  The commands come
 * from imap.def; imapd and mailsh share these lookups.
 */
#ifndef MAILLAB_PROTO_IMAP_H
#define MAILLAB_PROTO_IMAP_H

#include <stddef.h>

/** The four states of RFC 9051 §3. */
enum imap_state {
	IMAP_NOT_AUTHENTICATED,
	IMAP_AUTHENTICATED,
	IMAP_SELECTED,
	IMAP_LOGOUT,
	IMAP_STATE_COUNT,
	IMAP_SAME = -1, /**< in imap.def: the command does not change state */
};

#define IMAP_IN_NOTAUTH  (1u << IMAP_NOT_AUTHENTICATED) /**< valid in NOT AUTHENTICATED */
#define IMAP_IN_AUTH     (1u << IMAP_AUTHENTICATED) /**< valid in AUTHENTICATED */
#define IMAP_IN_SELECTED (1u << IMAP_SELECTED) /**< valid in SELECTED */
/**@{*/
/** RFC 9051 §6.3: Authenticated-state commands also work in Selected. */
#define IMAP_IN_AUTH_OR_SEL (IMAP_IN_AUTH | IMAP_IN_SELECTED)
#define IMAP_IN_ANY      (IMAP_IN_NOTAUTH | IMAP_IN_AUTH | IMAP_IN_SELECTED)
/**@}*/

/** Commands by index in imap_cmds, one per row of imap.def (IMAP_CMD_FETCH, ...). */
enum imap_cmd_id {
/** Expands one row of imap.def into its enum name. */
#define IMAP_CMD(id, name, handler, states, next, rfc, syntax, help) \
	IMAP_CMD_##id,
#include "imap.def"
#undef IMAP_CMD
	IMAP_CMD_COUNT
};

/** One row of imap.def, without the handler. */
struct imap_cmd_info {
	const char *name;   /**< "FETCH", "UID FETCH" */
	unsigned states;    /**< IMAP_IN_* bits: where it is valid */
	int next;           /**< an enum imap_state or IMAP_SAME */
	const char *rfc;    /**< the section that defines it */
	const char *syntax; /**< how to type it */
	const char *help;   /**< one line for mailsh's :help and the docs */
};

/** The command table, indexed by enum imap_cmd_id. */
extern const struct imap_cmd_info imap_cmds[IMAP_CMD_COUNT];

/**
 * Find a command by name, case-insensitively.  For "UID", pass the
 * sub-command too ("UID FETCH"); @p len covers the whole name.
 */
const struct imap_cmd_info *imap_cmd_find(const char *name, size_t len);
/** The command's id (its index in imap_cmds). */
enum imap_cmd_id imap_cmd_id(const struct imap_cmd_info *cmd);
/** "NOT AUTHENTICATED", "AUTHENTICATED", "SELECTED", "LOGOUT". */
const char *imap_state_name(enum imap_state state);

#endif
