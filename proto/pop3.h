/*
 * pop3.h - what POP3 is: its states, its commands, its response codes.
 *
 * RFC 1939 §3 gives a POP3 session three states:
 *
 *   AUTHORIZATION  after the greeting: the client identifies itself
 *                  (USER/PASS, APOP, or AUTH), may ask CAPA or STLS
 *   TRANSACTION    the maildrop is locked; STAT, LIST, RETR, DELE, ...
 *   UPDATE         entered by QUIT: the server removes the messages marked
 *                  with DELE, releases the maildrop and closes
 *
 * A connection that ends any other way never reaches UPDATE, so nothing is
 * deleted.  The commands come from pop3.def; this header turns that table
 * into an enum and a lookup that the server and mailsh share.
 */
#ifndef MAILLAB_PROTO_POP3_H
#define MAILLAB_PROTO_POP3_H

#include <stddef.h>

/** The three states of RFC 1939 §3. */
enum pop3_state {
	POP3_AUTHORIZATION,
	POP3_TRANSACTION,
	POP3_UPDATE,
	POP3_STATE_COUNT,
	POP3_SAME = -1, /**< in pop3.def: the command does not change state */
};

/**@{*/
/** State sets for the "states" column of pop3.def. */
#define POP3_IN_AUTH  (1u << POP3_AUTHORIZATION)
#define POP3_IN_TRANS (1u << POP3_TRANSACTION)
/**@}*/

/** max_args value: the rest of the line is one argument. */
#define POP3_ARGS_REST (-1)

/** Commands by index in pop3_cmds, one per row of pop3.def (POP3_CMD_USER, ...). */
enum pop3_cmd_id {
/** Expands one row of pop3.def into its enum name. */
#define POP3_CMD(name, handler, states, next, min, max, rfc, syntax, help) \
	POP3_CMD_##name,
#include "pop3.def"
#undef POP3_CMD
	POP3_CMD_COUNT
};

/** One row of pop3.def, without the handler. */
struct pop3_cmd_info {
	const char *name; /**< the keyword, "USER" */
	unsigned states; /**< POP3_IN_* bits: where it is valid */
	int next;        /**< an enum pop3_state or POP3_SAME */
	int min_args;    /**< fewest arguments */
	int max_args;    /**< or POP3_ARGS_REST */
	const char *rfc; /**< the section that defines it */
	const char *syntax; /**< how to type it */
	const char *help; /**< one line for mailsh's :help and the docs */
};

/** One row of pop3_codes.def. */
struct pop3_code_info {
	const char *code; /**< "IN-USE" */
	const char *rfc; /**< the section that defines it */
	const char *meaning; /**< what it tells the client */
};

/** The command table, indexed by enum pop3_cmd_id. */
extern const struct pop3_cmd_info pop3_cmds[POP3_CMD_COUNT];
/** The response codes, terminated by an entry with code NULL. */
extern const struct pop3_code_info pop3_codes[];

/** Find a command by keyword, case-insensitively; NULL if unknown. */
const struct pop3_cmd_info *pop3_cmd_find(const char *name, size_t len);
/** The command's id (its index in pop3_cmds). */
enum pop3_cmd_id pop3_cmd_id(const struct pop3_cmd_info *cmd);
/** "AUTHORIZATION", "TRANSACTION", "UPDATE". */
const char *pop3_state_name(enum pop3_state state);
/** Find a response code ("IN-USE") case-insensitively; NULL if unknown. */
const struct pop3_code_info *pop3_code_find(const char *code, size_t len);

#endif
