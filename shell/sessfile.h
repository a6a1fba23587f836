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
/** Most secrets named in the header. */
#define SESSFILE_SECRETS_MAX 8

/** One step: a client line and the server lines that answer it. */
struct sessfile_step {
	char *client;          /**< NULL for step 0 (the greeting) */
	unsigned client_line;  /**< line number of the C: line in the file */
	char **server;         /**< expected server lines (may hold patterns) */
	size_t nserver;
	char **notes;          /**< annotation lines, in order */
	size_t nnotes;
	char *state;           /**< "= STATE" after this step, or NULL */
	bool tls_after;        /**< "~ TLS": a handshake follows this step */
	double delay_s;        /**< "@ SECONDS" before this step's client line */
};

struct sessfile_secret {
	char *name;
	char *value;
};

struct sessfile {
	char *title;
	char *protocol;        /**< "pop3", "smtp", "imap" */
	char *server;          /**< "host:port" or NULL */
	char *tls;             /**< "plain", "starttls", "tls" */
	struct sessfile_secret secrets[SESSFILE_SECRETS_MAX];
	size_t nsecrets;
	struct sessfile_step *steps;
	size_t nsteps;
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

#endif
