/*
 * imap_parser.h - the IMAP command parser: bytes in, one command out.
 *
 * An IMAP command is not a line.  RFC 9051 §2.2 and §4.3: a command is a
 * tag, a name and arguments, and any argument may be a literal, "{n}"
 * at the end of a line followed by exactly n octets of any kind (CRLF
 * included), after which the command goes on.  For a synchronising
 * literal {n} the client waits for the server's "+" continuation before
 * it sends the octets; a non-synchronising literal {n+} (RFC 7888) is sent
 * at once.  So a server cannot cut the input at CRLF and parse lines: it
 * must tokenize as the bytes come, know at every moment whether it is
 * inside a literal, and say "need more" until a whole command is there.
 *
 * That is this parser's only job.  It is fed bytes (one at a time in the
 * tests), never reads a socket, and stops to report:
 *
 *   IMAP_PARSE_NEED_MORE  everything was consumed; feed more
 *   IMAP_PARSE_LITERAL    a {n} literal was announced: the caller sends
 *                         "+ ..." and feeds on (RFC 9051 §7.5)
 *   IMAP_PARSE_DONE       a complete command: tag and arguments
 *   IMAP_PARSE_ERROR      a malformed command, skipped through its end
 *                         of line; the tag is given when it was readable
 *
 * The arguments come back as a tree: atoms, strings (quoted or literal,
 * which the grammar treats alike) and parenthesised lists.  One lexical
 * rule is specific to IMAP's FETCH grammar: an atom that contains '[' runs
 * to the matching ']' whatever is inside, so "BODY[HEADER.FIELDS (FROM)]"
 * is one atom, as RFC 9051 §6.4.5 writes it.
 *
 * Limits (proto/limits.h) are checked here, each becoming an error the
 * caller turns into a reply: IMAP_LINE_MAX per line outside literals,
 * IMAP_LITERAL_MAX per literal (checked when announced, before any of it is
 * read), IMAP_COMMAND_MAX in all, IMAP_LIST_DEPTH_MAX nested lists,
 * IMAP_ARGS_MAX arguments.
 */
#ifndef MAILLAB_IMAP_PARSER_H
#define MAILLAB_IMAP_PARSER_H

#include "../../common/buf.h"
#include "../../proto/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The kinds of argument the grammar has (RFC 9051 §4). */
enum imap_arg_type {
	IMAP_ARG_ATOM,   /**< also NIL, numbers, flags, sequence sets */
	IMAP_ARG_STRING, /**< a quoted string or a literal */
	IMAP_ARG_LIST,   /**< ( ... ) */
};

/** One argument of a parsed command. */
struct imap_arg {
	enum imap_arg_type type;  /**< atom, string or list */
	bool literal;             /**< a STRING that came as {n} or {n+} */
	char *str;                /**< ATOM, STRING: NUL-terminated */
	size_t len;               /**< octets (a literal may hold NULs) */
	struct imap_arg *list;    /**< LIST: the elements */
	size_t count;             /**< LIST: how many */
};

/** What imap_parser_feed() says about the bytes so far. */
enum imap_parse_status {
	IMAP_PARSE_NEED_MORE,
	IMAP_PARSE_LITERAL,
	IMAP_PARSE_DONE,
	IMAP_PARSE_ERROR,
};

/** Why a command was refused (with IMAP_PARSE_ERROR). */
enum imap_parse_error {
	IMAP_PERR_NONE,
	IMAP_PERR_SYNTAX,  /**< BAD: malformed */
	IMAP_PERR_TOOBIG,  /**< a literal or the command is over a limit */
	IMAP_PERR_FATAL,   /**< the stream cannot be followed any more (an
			        oversized {n+}): BAD, BYE and close */
};

/** The parser's lexical state (what the next byte means). */
enum imap_lex {
	IMAP_LEX_TAG,        /* reading the tag */
	IMAP_LEX_BETWEEN,    /* between arguments: SP, '(' , ')', a token, EOL */
	IMAP_LEX_ATOM,
	IMAP_LEX_BRACKET,    /* inside [...] of an atom */
	IMAP_LEX_QUOTED,
	IMAP_LEX_QUOTED_ESC, /* after a backslash in a quoted string */
	IMAP_LEX_LIT_SIZE,   /* after '{': digits, '+', '}' */
	IMAP_LEX_LIT_EOL,    /* after '}': CR LF must follow */
	IMAP_LEX_LIT_DATA,   /* inside the literal's octets */
	IMAP_LEX_AFTER,      /* after a token: SP, ')' or EOL */
	IMAP_LEX_CR,         /* after CR: LF must follow */
	IMAP_LEX_SKIP,       /* an error was found: skip to the end of the line */
	IMAP_LEX_SKIP_DATA,  /* skipping a {n+} literal in a line being skipped */
};

/** One token while a command is being read; the tree is built at the end. */
struct imap_node {
	enum imap_arg_type type; /**< atom, string or list */
	bool literal;   /**< a string that came as a literal */
	size_t off;     /**< string start in text */
	size_t len;     /**< string length */
	int parent;     /**< index of the enclosing list, or -1 */
};

/** The parser's state between calls: it never reads the socket. */
struct imap_parser {
	enum imap_lex lex;         /**< where the lexer is in the grammar */
	struct buf text;           /**< tag and token strings, NUL-separated */
	struct imap_node *nodes;   /**< tokens so far */
	size_t nnodes;             /**< entries in nodes */
	int stack[IMAP_LIST_DEPTH_MAX]; /**< open lists */
	int depth;                 /**< entries in stack */
	size_t line_len;           /**< octets on this line, outside literals */
	uint64_t lit_size;         /**< the {n} being read */
	bool lit_plus;             /**< it is {n+} */
	bool lit_digits;           /**< at least one digit seen */
	uint64_t lit_left;         /**< octets of the literal still to come */
	bool tag_done;             /**< the tag has been read */
	/* while skipping: a "{n+}" at the end of the skipped line */
	int skip_lit;              /**< 0 none, 1 in '{', 2 after '}' */
	uint64_t skip_size;        /**< its size */
	bool skip_plus;            /**< it is {n+} */
	/* the result */
	bool finished;             /**< DONE or ERROR was reported */
	const char *tag;           /**< NULL if not (yet) readable */
	struct imap_arg *args;     /**< arguments after the tag */
	size_t nargs;              /**< entries in args */
	enum imap_parse_error error; /**< what was wrong, if ERROR */
	const char *error_text;    /**< why, for the BAD/NO reply */
	/* the limits now in force (imap_parser_set_limits) */
	uint64_t literal_max;      /**< largest {n} taken */
	size_t command_max;        /**< largest command, literals included */
};

/** Prepare a parser (no command read yet). */
void imap_parser_init(struct imap_parser *p);
/** Release its memory. */
void imap_parser_free(struct imap_parser *p);
/** Forget any partial command (after STARTTLS, a line too long...). */
void imap_parser_reset(struct imap_parser *p);
/**
 * Change the largest literal and the largest command taken from now on
 * (smaller before login: IMAP_PREAUTH_*).  They start as IMAP_LITERAL_MAX
 * and IMAP_COMMAND_MAX.
 */
void imap_parser_set_limits(struct imap_parser *p, uint64_t literal_max,
			    size_t command_max);

/**
 * Feed @p len bytes.  Returns how many were consumed: the parser stops
 * right after a status other than NEED_MORE, so the caller handles it and
 * feeds the rest.  After DONE or ERROR the result (tag, args, error) stays
 * valid until the next call.
 */
size_t imap_parser_feed(struct imap_parser *p, const void *data, size_t len,
			enum imap_parse_status *status_r);

/** Octets of a literal still expected (0 outside a literal). */
uint64_t imap_parser_literal_left(const struct imap_parser *p);
/** True if part of a command has been read (the tag is known, or more). */
bool imap_parser_busy(const struct imap_parser *p);

#endif
