/*
 * replay.h - the ways mailsh plays an annotated session back
 * (docs/session-format.md; docs/mailsh.md, "Annotated sessions"):
 *
 *   replay_step.c   presenter mode: step by step, no server needed
 *   replay_live.c   against a real server, checking every reply
 *   replay_serve.c  as a fake server that a learner's own client talks to
 *   export.c        as Markdown or HTML, for handouts and slides
 *
 * and what they share (replay.c): loading a file with the --secret
 * values, following the dialogue with the client-side tracker (so that
 * the end of a reply, a literal, DATA and SASL exchanges are recognised
 * exactly as mailsh recognises them), and matching the lines of a reply.
 *
 * Each mode returns the exit status of mailsh: 0 when everything went as
 * the session says, 1 when it did not, 2 for a usage error or a file that
 * cannot be read or parsed.
 */
#ifndef MAILSH_REPLAY_H
#define MAILSH_REPLAY_H

#include "sessfile.h"
#include "track.h"

#include <stdio.h>

struct shell_opts;

/** Exit status: as recorded, diverged, could not even start. */
enum { REPLAY_OK = 0, REPLAY_DIVERGED = 1, REPLAY_USAGE = 2 };

/** --replay: show a session step by step (presenter mode); an exit status above. */
int replay_present(const struct shell_opts *o);
/** --replay-live: send the client lines to a server and check every reply. */
int replay_live(const struct shell_opts *o);
/** --serve: play the server side for a client under test. */
int replay_serve(const struct shell_opts *o);
/** --export: write a session as a Markdown or HTML handout. */
int export_session(const struct shell_opts *o);

/** Write @p sf as a handout in @p format ("md" or "html"); -1 if unknown. */
int export_write(FILE *f, const struct sessfile *sf, const char *name,
		 const char *format);

/** Read and parse @p path and apply the --secret values; prints why not. */
int replay_load(const struct shell_opts *o, const char *path,
		struct sessfile *sf);

/** The dialogue followed from the client side, as mailsh follows it. */
struct replay_track {
	struct track t;       /**< the tracker, as in a live session */
	size_t literal;       /**< bytes the last command line announced */
	size_t literal_left;  /**< bytes of it the client has still to send */
};

/** Start following a dialogue of @p proto (already in TLS if @p tls). */
void replay_track_init(struct replay_track *rt, enum track_proto proto,
		       bool tls);
/** A line the client sent (without CRLF): a command, an answer, text. */
void replay_track_client(struct replay_track *rt, const char *line);
/** True if @p line is the end of a literal whose last octet is no line
 * end: the line is sent without its CRLF. */
bool replay_literal_ends(const struct replay_track *rt, const char *line);
/** A line the server sent; whether its reply goes on (track.h). */
enum track_reply replay_track_server(struct replay_track *rt, const char *line);
/** What the placeholders {{apop}} and {{cram}} need from the server. */
struct sessfile_ctx replay_ctx(const struct replay_track *rt);

/** The expected server lines of one step, matched one by one. */
struct replay_match {
	char *const *expected; /**< the step's server lines, patterns included */
	size_t n; /**< how many */
	size_t pos; /**< the next one to match */
};

/** Start matching the server lines of step @p st. */
void replay_match_init(struct replay_match *m, const struct sessfile_step *st);
/** One actual line: false if it is not what the step expects here. */
bool replay_match_line(struct replay_match *m, const char *actual);
/** True if every expected line has been seen (a trailing {{...}} may be). */
bool replay_match_complete(struct replay_match *m);
/** The line expected next, for a report; NULL if only the end is. */
const char *replay_match_next(const struct replay_match *m);

/** "C: text" or "S: text" on stdout; "C:" alone for an empty line. */
void replay_print_line(char marker, const char *text);

/** The state a session is in before step @p i (NULL: none named yet). */
const char *replay_state_before(const struct sessfile *sf, size_t i);

/**
 * Serve mode: does @p actual, a line from the learner's client, fit the
 * recorded client line, given as a pattern (sessfile_expand(), mode
 * SESSFILE_TO_PATTERN)?  Commands are compared the way servers read them
 * (RFC 1939 §3, RFC 5321 §2.4, RFC 9051 §9): the command name case-
 * insensitively, SMTP's FROM:/TO: too, the EHLO/HELO name not at all (it
 * is the client's own), IMAP quoted strings like atoms.  An IMAP command
 * has its tag removed by the caller first.
 */
bool replay_client_fits(enum track_proto proto, enum track_input input,
			const char *pattern, const char *actual);

#endif
