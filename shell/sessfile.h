/*
 * sessfile.h - annotated session files: parse one, and match server lines
 * against its patterns.  The format is documented in
 * docs/session-format.md.
 *
 * The parser is a pure function of the text: no files, no sockets, no
 * printing, so the tests and the fuzzer call it with strings.  Errors come
 * back as "NAME:LINE: what was expected".
 */
#ifndef MAILSH_SESSFILE_H
#define MAILSH_SESSFILE_H

#include <stdbool.h>
#include <stddef.h>

/** The version this parser reads and the recorder writes. */
#define SESSFILE_VERSION 1
/** Longest line in a session file (a 1000-octet SMTP line plus marker). */
#define SESSFILE_LINE_MAX 2048
/** Most steps, server lines per step and annotations we accept. */
#define SESSFILE_STEPS_MAX 100000
/** Longest text after a marker ("S: "), as the recorder writes it. */
#define SESSFILE_TEXT_MAX (SESSFILE_LINE_MAX - 3)
/** Largest session file read: a recording with a few large messages. */
#define SESSFILE_FILE_MAX (64u * 1024 * 1024)
/** Most secrets named in the header. */
#define SESSFILE_SECRETS_MAX 8

/** One step: a client line and the server lines that answer it. */
struct sessfile_step {
	char *client;          /**< NULL for step 0 (the greeting) */
	unsigned client_line;  /**< line number of the C: line in the file */
	char **server;         /**< expected server lines (may hold patterns) */
	size_t nserver;        /**< entries in server */
	char **notes;          /**< annotation lines, in order */
	size_t nnotes;         /**< entries in notes */
	char *state;           /**< "= STATE" after this step, or NULL */
	bool tls_after;        /**< "~ TLS": a handshake follows this step */
	double delay_s;        /**< "@ SECONDS" before this step's client line */
};

/** A "secret NAME: value" header line. */
struct sessfile_secret {
	char *name; /**< "password", "sasl" */
	char *value; /**< the public value */
};

/** A parsed session file (docs/session-format.md). */
struct sessfile {
	char *title;           /**< the title header, or NULL */
	char *protocol;        /**< "pop3", "smtp", "imap" */
	char *server;          /**< "host:port" or NULL */
	char *tls;             /**< "plain", "starttls", "tls" */
	struct sessfile_secret secrets[SESSFILE_SECRETS_MAX]; /**< the secret header lines */
	size_t nsecrets;       /**< entries in secrets */
	struct sessfile_step *steps; /**< the dialogue, step 0 first */
	size_t nsteps;         /**< entries in steps */
};

/**
 * Parse @p text (@p len bytes) named @p name (for messages).  On error,
 * returns -1 and writes "name:line: reason" into @p err; @p out is then
 * empty and need not be freed.
 */
int sessfile_parse(const char *text, size_t len, const char *name,
		   struct sessfile *out, char *err, size_t err_size);
/** Free a parsed session. */
void sessfile_free(struct sessfile *sf);

/** True if the server line @p actual matches the expected @p pattern. */
bool sessfile_match(const char *pattern, const char *actual);
/** True if @p pattern is the multi-line wildcard "{{...}}". */
bool sessfile_is_any_lines(const char *pattern);

/** The value of a header secret, or NULL. */
const char *sessfile_secret(const struct sessfile *sf, const char *name);

/**
 * Write @p text (@p len bytes) into @p out as the text of a C: or S: line
 * that matches exactly that text: every "{{" doubled.  A line that does not
 * fit in SESSFILE_TEXT_MAX (or @p size) characters, or that holds a NUL
 * byte, is cut and ends in "{{*}}", so it still matches the whole line;
 * true is returned then.
 */
bool sessfile_escape(const char *text, size_t len, char *out, size_t size);

/* ---- client lines (sessfile_client.c) -------------------------------- */

/** What a client line is expanded for. */
enum sessfile_expand_mode {
	SESSFILE_TO_SEND,    /**< the text to send; every secret must be known */
	SESSFILE_TO_PATTERN, /**< a pattern for sessfile_match(); an unknown
				  secret matches any text */
};

/** What the server said in this connection that a placeholder needs. */
struct sessfile_ctx {
	const char *apop_stamp; /**< "<...>" of the POP3 greeting, or NULL */
	const char *challenge;  /**< the last SASL challenge, decoded, or NULL */
};

/**
 * Expand the placeholders of the client line @p line: {{secret:NAME}},
 * {{base64:NAME}}, {{plain:USER:NAME}}, {{cram:USER:NAME}},
 * {{apop:NAME}} and "{{{{".  Returns 0, or -1 with a reason.
 */
int sessfile_expand(const struct sessfile *sf, const char *line,
		    const struct sessfile_ctx *ctx,
		    enum sessfile_expand_mode mode, char *out, size_t size,
		    const char **error_r);
/** Give a secret a value (from --secret NAME=VALUE); replaces the header's. */
int sessfile_set_secret(struct sessfile *sf, const char *name,
			const char *value, const char **error_r);
/**
 * The name of the first secret the client lines use that has no value,
 * copied into @p name; NULL if every one has a value.
 */
const char *sessfile_missing_secret(const struct sessfile *sf, char *name,
				    size_t size);

#endif
