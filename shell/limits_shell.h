/*
 * limits_shell.h - the limits of mailsh, each with its reason.
 *
 * The protocol limits (command lengths and the like) are in
 * proto/limits.h; these are the client's own bounds on what it keeps
 * about a session.  Every one of them is reported when hit, never
 * silently cut: a reply line that is too long is shown as skipped, a
 * capability list that is too long says so.
 */
#ifndef MAILSH_LIMITS_H
#define MAILSH_LIMITS_H

/** One line the learner types.  The longest command any of the three
 * protocols accepts is IMAP's (IMAP_LINE_MAX, 8192); SASL answers and
 * message lines are shorter (POP3_SASL_LINE_MAX, SMTP_LINE_MAX). */
#define SHELL_INPUT_MAX        8192
/** One line from a server.  RFC 9051 sets no limit on response lines and
 * a FETCH of many ENVELOPEs can be long; 64 KiB is far beyond what
 * Dovecot or Postfix send, and a longer line is shown as "skipped". */
#define SHELL_REPLY_LINE_MAX   65536
/**@{*/
/** Capability words remembered (EHLO keywords, CAPA lines, CAPABILITY
 * atoms).  Dovecot announces about 40 after login. */
#define SHELL_CAPS_MAX         96
#define SHELL_CAP_LEN          64
/**@}*/
/** SASL mechanisms remembered from the capabilities. */
#define SHELL_MECHS_MAX        16
/** Mailbox names remembered from the last LIST, for completion. */
#define SHELL_MAILBOXES_MAX    128
/** Longest mailbox name remembered (RFC 9051 sets none; 255 is what
 * common file systems allow for one name). */
#define SHELL_MAILBOX_LEN      256
/**@{*/
/** An IMAP tag or the text of a SASL challenge kept for :cram. */
#define SHELL_TAG_LEN          32
#define SHELL_CHALLENGE_LEN    512
/**@}*/
/**@{*/
/** Notes (transitions, warnings) produced while handling one line. */
#define SHELL_NOTES_MAX        8
#define SHELL_NOTE_LEN         320
/**@}*/
/** Largest literal or BDAT chunk read from a file with {\@path}: the
 * largest message the servers take (MAIL_MESSAGE_MAX). */
#define SHELL_FILE_LITERAL_MAX (32u * 1024 * 1024)
/** Seconds to wait for a reply before giving the prompt back. */
#define SHELL_REPLY_TIMEOUT_S  30

#endif
