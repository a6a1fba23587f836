/*
 * record.h - recording a live mailsh session as an annotated session file
 * (docs/session-format.md).
 *
 * The recorder watches the connection at the one place bytes cross
 * (conn.h's tap): every line sent becomes a "C:" line, every line
 * received an "S:" line, a STARTTLS/STLS handshake a "~ TLS" line, a
 * change of the tracked state a "= STATE" line, and ":note TEXT" a
 * "> TEXT" annotation.  Secrets are masked before anything is written,
 * and the few values that change with every connection by definition
 * become patterns, so that a recording replays live as it is.
 *
 * A recording covers one connection: it starts with --record FILE or
 * ":record FILE", and the file is written when the connection ends or on
 * ":stop".
 */
#ifndef MAILSH_RECORD_H
#define MAILSH_RECORD_H

#include "track.h"

#include <stddef.h>

struct shell;
struct record;

/** Start a recording into @p path (created now, written at the end). */
struct record *record_new(const char *path, const char **error_r);
/** The shell opened a connection: recording starts on it. */
void record_connected(struct shell *sh);
/** A STARTTLS/STLS handshake completed. */
void record_tls(struct shell *sh);
/** End the recording (connection closed, :stop, mailsh ends): write it. */
void record_finish(struct shell *sh);

/* the ':' commands (meta.c's table) */
/** :record FILE: start recording this session into FILE. */
void record_cmd_start(struct shell *sh, int argc, char **argv);
/** :note TEXT: add an annotation after the last step. */
void record_cmd_note(struct shell *sh, int argc, char **argv);
/** :stop: end the recording and write the file. */
void record_cmd_stop(struct shell *sh, int argc, char **argv);

/**
 * The text a client line is written with, given the tracker as it was
 * before the line was sent: passwords, APOP digests and SASL answers
 * replaced by their placeholders, "{{" escaped.  Returns true if
 * something was masked.  Pure, for the unit tests.
 */
bool record_client_text(const struct track *t, const char *line, char *out,
			size_t size);
/**
 * The text a server line is written with, given the tracker as it was
 * before the line arrived: "{{" escaped, and the values that differ in
 * every connection made patterns (the APOP timestamp of a POP3 greeting,
 * a CRAM-MD5 challenge, an SMTP queue id).  Returns true if the line had
 * to be cut.  Pure, for the unit tests.
 */
bool record_server_text(const struct track *t, const char *line, size_t len,
			char *out, size_t size);

#endif
