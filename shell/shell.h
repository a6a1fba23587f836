/*
 * shell.h - the state of one mailsh run, and what its files share.
 *
 *   main.c       options, the readline loop and the batch loop
 *   exec.c       one typed line: local command, protocol command, or
 *                input for a command in progress; batch verdicts
 *   multiline.c  reading replies completely; SMTP DATA with dot-stuffing;
 *                IMAP literals (typed, or from a file with {@path})
 *   session.c    connect, TLS handshake (implicit or STARTTLS), close
 *   tlsinfo.c    what is printed after a handshake; key log and tshark
 *   meta.c       the ':' commands, one table for dispatch, :help and
 *                completion
 *   sasl_help.c  PLAIN/LOGIN base64, challenges, CRAM-MD5 and APOP
 *   diagram.c    the state diagram and the command list, from proto/
 *   complete.c   completion of commands, mailboxes, message numbers
 *   history.c    readline history, one file per protocol
 *   out.c        printing: server lines, sent lines, notes, colour
 *   track*.c     the client-side state tracker (track.h)
 *   explain.c    one-line and full explanations (explain.h)
 *   conn.c       URLs, sockets, TLS, the one place bytes cross (conn.h)
 *
 * Annotated sessions (docs/session-format.md):
 *
 *   sessfile*.c  the format: parser, matcher, placeholders for secrets
 *   record.c     recording a live session, secrets masked (record.h)
 *   replay.c     what the replay modes share (replay.h)
 *   replay_step.c, replay_live.c, replay_serve.c, export.c
 *                presenter mode, live replay, the fake server, handouts
 */
#ifndef MAILSH_SHELL_H
#define MAILSH_SHELL_H

#include "conn.h"
#include "sessfile.h"
#include "track.h"

#include <stdbool.h>
#include <stdio.h>

struct tls_client;
struct record;

/** What the command line asked for. */
struct shell_opts {
	const char *url;          /**< connect at start (optional) */
	const char *cafile;       /**< trust these CAs instead of the system's */
	const char *keylog;       /**< SSLKEYLOGFILE-format key log */
	const char *batch;        /**< read commands from this file ("-": stdin) */
	const char *history_dir;  /**< where history files go */
	bool insecure;            /**< accept a certificate that fails to verify */
	bool starttls;            /**< upgrade with STARTTLS/STLS after greeting */
	bool no_explain;          /**< --no-explain */
	bool no_warnings;         /**< --no-warnings */
	bool no_history;          /**< --no-history */
	int colour;               /**< -1 auto, 0 never, 1 always */
	unsigned timeout_s;       /**< wait this long for a reply */

	/* annotated sessions: record.c, replay*.c, export.c */
	const char *record;       /**< --record FILE */
	const char *replay;       /**< --replay FILE: presenter mode */
	const char *replay_live;  /**< --replay-live FILE [URL] */
	const char *serve;        /**< --serve FILE: play the server side */
	const char *export_format;/**< --export md|html */
	const char *export_file;  /**< the session file to export (the argument) */
	double pace_s;            /**< --pace SECONDS per step; 0: wait for Enter */
	unsigned step;            /**< --step N: start presenting at step N */
	const char *listen;       /**< --listen [HOST:]PORT for --serve */
	bool serve_tls;           /**< --tls: serve with implicit TLS */
	const char *cert;         /**< --cert, --key: the certificate served */
	const char *key;          /**< its private key */
	const char *secrets[SESSFILE_SECRETS_MAX]; /**< --secret NAME=VALUE */
	int nsecrets;             /**< entries in secrets */
};

/** The shell's whole state: options, the connection, the tracker. */
struct shell {
	struct shell_opts opts;   /**< the command line */
	FILE *out;                /**< where everything is printed */
	bool interactive;         /**< readline on a terminal: prompts, asking */
	bool colour;              /**< colour is on */
	bool explain;             /**< one-line explanation after each reply */
	bool warnings;            /**< wrong state, cleartext, not announced */
	bool quit;                /**< leave the loop */

	struct conn *conn;        /**< NULL while disconnected */
	struct conn_url url;      /**< the last URL, for :reconnect */
	bool have_url;            /**< url holds a URL */
	struct tls_client *tls;   /**< made on first use */
	struct track track;       /**< the protocol state, followed from the client side */

	/* a literal or BDAT chunk being typed */
	size_t literal_size;      /**< bytes the command announced */
	size_t literal_left;      /**< bytes still to send */
	bool literal_line_follows;/**< IMAP: the command goes on after it */
	char *file_data;          /**< {\@path}: the literal read from a file */
	size_t file_len;          /**< its length */

	char *confirm_line;       /**< waiting for "send anyway? [y/N]" */
	int history_proto;        /**< whose history is loaded; -1 none */

	struct record *rec;       /**< the session being recorded, or NULL */
	const char *meta_rest;    /**< a ':' command's text after its name */

	/* batch mode: did the session go as the script expected? */
	bool expect_failure;      /**< this line was marked with '!' */
	unsigned long lineno;     /**< the script line being run */
	int unexpected;           /**< replies that went otherwise than the script said */
};

/* exec.c */
/** Run one line typed (or read from the batch file). */
void shell_line(struct shell *sh, char *line);
/** The prompt for the current state ("pop3 TRANSACTION> "). */
void shell_prompt(const struct shell *sh, char *out, size_t size);
/** Send a protocol command as if typed (used by :starttls). */
void shell_command(struct shell *sh, const char *line);
/** Record that something did not go as expected (batch verdict). */
void shell_unexpected(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* multiline.c */
/** Read until the reply is complete (or the server waits for input). */
enum track_reply shell_read_reply(struct shell *sh);
/** Read and show what the server sent unasked (IDLE, BYE, timeouts). */
void shell_read_unsolicited(struct shell *sh);
/** One line of an SMTP message after 354. */
void shell_data_line(struct shell *sh, const char *line);
/** One line of a literal or BDAT chunk being typed. */
void shell_literal_line(struct shell *sh, const char *line);
/** Start sending a literal (after "+", or at once for {n+} and BDAT). */
void shell_literal_begin(struct shell *sh);
/** Replace a trailing {\@path} by {size}; -1 (and a message) on error. */
int shell_file_literal(struct shell *sh, char *line, size_t size);

/* session.c */
/** Connect to @p url (after closing any connection); -1 with a message. */
int shell_connect(struct shell *sh, const struct conn_url *url);
/** Close the connection without QUIT/LOGOUT, saying @p why. */
void shell_disconnect(struct shell *sh, const char *why);
/** Handshake on the open connection; false if it was closed. */
bool shell_handshake(struct shell *sh);
/** Ask for STARTTLS/STLS the protocol's way, then handshake. */
void shell_starttls(struct shell *sh);

/* tlsinfo.c */
/** Print what the handshake gave; 0 to go on, -1 if untrusted. */
int tlsinfo_show(struct shell *sh);
/** Print how to decrypt a capture of this connection with tshark. */
void tlsinfo_tshark_hint(struct shell *sh);

/* meta.c */
/** One ':' command. */
struct meta_cmd {
	const char *name; /**< ":connect" */
	void (*fn)(struct shell *sh, int argc, char **argv); /**< runs it, with the words after the name */
	const char *args; /**< its arguments, for :help */
	const char *help; /**< one line for :help */
};
/** The ':' commands, ending with a NULL name. */
extern const struct meta_cmd meta_cmds[];
/** Run a line that starts with ':'. */
void meta_run(struct shell *sh, char *line);

/* sasl_help.c: the helpers behind :plain :login :b64 :unb64 :cram :apop */
/** :plain user pass [authzid]: the AUTH PLAIN answer (RFC 4616). */
void sasl_help_plain(struct shell *sh, int argc, char **argv);
/** :login user pass: the two AUTH LOGIN answers. */
void sasl_help_login(struct shell *sh, int argc, char **argv);
/** :b64 text: encode. */
void sasl_help_b64(struct shell *sh, int argc, char **argv);
/** :unb64 base64: decode. */
void sasl_help_unb64(struct shell *sh, int argc, char **argv);
/** :cram user secret [challenge]: the CRAM-MD5 answer (RFC 2195). */
void sasl_help_cram(struct shell *sh, int argc, char **argv);
/** :apop user secret [timestamp]: the APOP command (RFC 1939 §7). */
void sasl_help_apop(struct shell *sh, int argc, char **argv);
/** Pure builders, for the unit tests: results go to @p out. */
int sasl_plain_b64(const char *authzid, const char *user, const char *pass,
		   char *out, size_t size);
/** The base64 CRAM-MD5 answer to @p challenge; 0, or -1 if it does not fit. */
int sasl_cram_answer(const char *user, const char *secret,
		     const char *challenge, char *out, size_t size);
/** The APOP digest MD5(timestamp + secret) in hex; 0, or -1 if it does not fit. */
int sasl_apop_digest(const char *timestamp, const char *secret, char *out,
		     size_t size);

/* diagram.c */
/** Draw @p proto's state diagram, marking state @p current (-1: none). */
void diagram_draw(struct shell *sh, enum track_proto proto, int current);
/** List the commands valid now (all of them when disconnected). */
void diagram_commands(struct shell *sh);

/* complete.c */
/**
 * The completions of the word @p text that starts at @p start of the line
 * @p buffer; a NULL-terminated, malloc'ed array (readline's convention),
 * or NULL if there are none.
 */
char **complete_words(const struct shell *sh, const char *buffer, int start,
		      const char *text);

/* history.c */
/** Load the history of the current protocol. */
void history_open(struct shell *sh);
/** Save it. */
void history_close(struct shell *sh);
/** Remember a typed line; a @p secret one is kept masked. */
void history_add(struct shell *sh, const char *line, bool secret);

/* out.c */
/** Print a server line (and its explanation). */
void out_server(struct shell *sh, const char *line);
/** Print a line as sent; @p changed if mailsh added to it (a tag, stuffing). */
void out_sent(struct shell *sh, const char *line, bool changed);
/** Print the tracker's notes (transitions, warnings) and forget them. */
void out_notes(struct shell *sh);
/** Print a line of information. */
void out_info(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Print a warning. */
void out_warn(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Print an error. */
void out_error(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Colour escape for a role ("ok", "err", "dim", "warn", "state", "bold",
 * "reset"), or "" without colour. */
const char *out_colour(const struct shell *sh, const char *role);

#endif
