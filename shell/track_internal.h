/*
 * track_internal.h - what track.c shares with track_pop3.c, track_smtp.c
 * and track_imap.c, and nothing else includes.
 */
#ifndef MAILSH_TRACK_INTERNAL_H
#define MAILSH_TRACK_INTERNAL_H

#include "track.h"

/** The ONLY way to change state: records "OLD -> NEW why" as a note. */
void track_enter_state(struct track *t, int next, const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Add a note (a warning or an information line) for the shell to print. */
void track_note(struct track *t, enum track_note_kind kind, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

/** Forget the capabilities (after STARTTLS, or before a new list). */
void track_caps_reset(struct track *t);
/** Remember one capability word / one SASL mechanism. */
void track_caps_add(struct track *t, const char *word, size_t len);
/**
 * A capability list is complete.  If an earlier list of this connection
 * offered STARTTLS (STLS in POP3) and this one, still without TLS, does
 * not, a note warns: someone in the middle may have stripped it to keep
 * the session in cleartext (STARTTLS stripping).
 */
void track_caps_done(struct track *t);
/** Remember one SASL mechanism. */
void track_mech_add(struct track *t, const char *mech, size_t len);

/**
 * The checks every protocol makes on a known command: warn if it is not
 * valid in the current state (it is sent anyway: the learner must see the
 * server's own answer).
 */
void track_check_state(struct track *t, int cmd);
/** Warn that a command needs a capability the server did not announce. */
void track_check_cap(struct track *t, const char *what, const char *cap,
		     const char *rfc);
/** Decode a base64 SASL challenge into t->challenge (or keep the text). */
void track_keep_challenge(struct track *t, const char *b64);
/** True for the mechanisms whose answers carry the password itself: PLAIN
 *  and LOGIN (base64 is an encoding, not encryption: RFC 4616 §4,
 *  RFC 4954 §4). */
bool track_cleartext_mech(const char *mech);
/** True if @p word (length @p len) equals @p lit, ignoring case. */
bool track_word_is(const char *word, size_t len, const char *lit);
/** The next word of @p p: its start in *word_r and length; NULL at the end. */
const char *track_next_word(const char *p, const char **word_r, size_t *len_r);

/**@{*/
/** POP3's part of track_prepare(), track_sent() and track_reply_line(). */
void track_pop3_prepare(struct track *t, const char *typed,
			struct track_send *out);
void track_pop3_sent(struct track *t, const struct track_send *s);
enum track_reply track_pop3_reply(struct track *t, const char *line);
/**@}*/

/**@{*/
/** SMTP's part of track_prepare(), track_sent() and track_reply_line(). */
void track_smtp_prepare(struct track *t, const char *typed,
			struct track_send *out);
void track_smtp_sent(struct track *t, const struct track_send *s);
enum track_reply track_smtp_reply(struct track *t, const char *line);
/**@}*/

/**@{*/
/** IMAP's part of track_prepare(), track_sent() and track_reply_line(). */
void track_imap_prepare(struct track *t, const char *typed,
			struct track_send *out);
void track_imap_sent(struct track *t, const struct track_send *s);
enum track_reply track_imap_reply(struct track *t, const char *line);
/**@}*/

#endif
