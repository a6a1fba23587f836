/*
 * limits.h - every protocol limit maillab enforces, one per line, each with
 * the place it comes from.
 *
 * The idea is xv6's param.h: a reader who wants to know "how long may a
 * command be?" looks here and nowhere else.  Every buffer in the servers and
 * the shell is created with one of these maxima, and every overflow becomes a
 * protocol reply (-ERR, 500, BAD), never a crash or a silent truncation.
 *
 * Sizes that the RFCs give "including CRLF" are stated the same way here.
 */
#ifndef MAILLAB_LIMITS_H
#define MAILLAB_LIMITS_H

/* ---- POP3 ------------------------------------------------------------ */

/** RFC 2449 §4: "Commands ... MUST NOT exceed 255 octets, including the
 * terminating CRLF." */
#define POP3_COMMAND_MAX        255
/** RFC 1939 §3: each argument "may be up to 40 characters long". */
#define POP3_ARG_MAX            40
/** RFC 5034 §4: SASL continuation lines are not bound by the 255-octet
 * command limit; we accept this much base64 (plenty for PLAIN/LOGIN/CRAM). */
#define POP3_SASL_LINE_MAX      4096
/** RFC 2449 §4: "Responses ... MUST NOT exceed 512 octets, including the
 * terminating CRLF" (applies to the status line, not multi-line data). */
#define POP3_RESPONSE_MAX       512
/** RFC 1939 §3: the inactivity timer "MUST be of at least 10 minutes". */
#define POP3_IDLE_TIMEOUT_S     600
/** Failed logins (USER/PASS, APOP, AUTH) before the session is closed. */
#define POP3_AUTH_FAILURES_MAX  3

/* ---- SMTP ------------------------------------------------------------ */

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets incl. CRLF. */
#define SMTP_COMMAND_MAX        512
/** RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets incl. CRLF. */
#define SMTP_LINE_MAX           1000
/**@{*/
/** RFC 5321 §4.5.3.1.1-3: local-part 64 octets, domain 255, and a whole
 * reverse- or forward-path 256 octets including the angle brackets. */
#define SMTP_LOCAL_PART_MAX     64
#define SMTP_DOMAIN_MAX         255
#define SMTP_PATH_MAX           256
/**@}*/
/** RFC 5321 §4.5.3.1.8: a server MUST accept at least 100 recipients per
 * transaction; the 101st gets "452 4.5.3 Too many recipients"
 * (§4.5.3.1.10), and the client sends the rest in another transaction. */
#define SMTP_RCPT_MAX           100
/** RFC 4954 §4: an AUTH command line (with its initial response) and each
 * SASL response line may be up to 12288 octets; ordinary commands keep
 * SMTP_COMMAND_MAX. */
#define SMTP_SASL_LINE_MAX      12288
/** RFC 1870 §3: the SIZE we advertise and enforce, unless --max-size says
 * otherwise; never more than MAIL_MESSAGE_MAX. */
#define SMTP_SIZE_MAX           (10u * 1024 * 1024)
/** RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for the next
 * command (and §4.5.3.2.5/6 give the client 3 and 10 minutes in DATA). */
#define SMTP_IDLE_TIMEOUT_S     300
/** Failed AUTH attempts before the session is closed (421 4.7.0). */
#define SMTP_AUTH_FAILURES_MAX  3
/**@{*/
/** The relay queue (RFC 5321 §4.5.4.1): "the retry interval SHOULD be at
 * least 30 minutes" and "give-up time generally needs to be at least 4-5
 * days".  Lab defaults are shorter and are flags (--retry, --lifetime);
 * each failed attempt doubles the wait, up to SMTP_RETRY_MAX_S. */
#define SMTP_RETRY_FIRST_S      60
#define SMTP_RETRY_MAX_S        3600
#define SMTP_QUEUE_LIFETIME_S   (5 * 24 * 3600)
/** Sessions one smtpd process serves, one after the other, before it
 * exits (--reuse).  Postfix's max_use is 100; on a virtual machine a fork
 * and an exit cost about 5 ms of CPU, and at 100 they took about 15 % of
 * the CPU of short connections (docs/bench.md, change 29). */
#define SMTP_PROCESS_REUSE      1000
/** Seconds such a process waits for its next client before it exits
 * (--reuse-idle; Postfix's max_idle is 100). */
#define SMTP_PROCESS_IDLE_S     60
/**@}*/
/** Client side of relaying (RFC 5321 §4.5.3.2): one wait for a reply from
 * the next hop.  The RFC's per-command minima are 5 to 10 minutes; a lab
 * queue runner that hangs that long on one peer would look dead, so it
 * waits this long and retries later. */
#define SMTP_CLIENT_TIMEOUT_S   60
/** One reply line from a peer we relay to (RFC 5321 §4.5.3.1.5: 512). */
#define SMTP_REPLY_MAX          512
/** Lines of one multi-line reply we read from a peer (EHLO lists). */
#define SMTP_REPLY_LINES_MAX    64
/**@{*/
/** Routes in DATA/routes, and messages the queue runner looks at per run. */
#define SMTP_ROUTES_MAX         256
#define SMTP_QUEUE_SCAN_MAX     10000
/**@}*/

/* ---- IMAP ------------------------------------------------------------ */

/** RFC 9051 has no fixed line limit; RFC 7162 §4 recommends servers accept
 * at least 8192 octets.  We take that as our cap for one command line. */
#define IMAP_LINE_MAX           8192
/** RFC 9051 §4.3 lets a literal be any size; the largest we take is one
 * message (APPEND), and a larger {n} is refused before it is read:
 * NO [TOOBIG] for {n} (RFC 9051 §7.1's code, RFC 7888 §4), BAD and close
 * for {n+}, whose octets are already on their way. */
#define IMAP_LITERAL_MAX        MAIL_MESSAGE_MAX
/** One whole command, its lines and literals together: one message (an
 * APPEND) and some room for the rest of the line around it. */
#define IMAP_COMMAND_MAX        (MAIL_MESSAGE_MAX + 2 * IMAP_LINE_MAX)
/**@{*/
/** Before login the only strings a command carries are a user name and a
 * password (LOGIN, RFC 9051 §6.2.3); so literals, and whole commands,
 * from a client nobody knows yet are kept this small (Dovecot caps
 * pre-login input the same way), instead of IMAP_LITERAL_MAX. */
#define IMAP_PREAUTH_LITERAL_MAX 1024
#define IMAP_PREAUTH_COMMAND_MAX (2 * IMAP_LINE_MAX)
/**@}*/
/** Nested parentheses in one command.  The grammar nests only in SEARCH
 * (RFC 9051 §6.4.4); deeper nesting is refused so that no recursion over
 * client data can run out of stack. */
#define IMAP_LIST_DEPTH_MAX     32
/** Words, strings and lists in one command: a SEARCH of 1000 keys fits. */
#define IMAP_ARGS_MAX           4096
/** RFC 9051 §5.4: the inactivity timer "MUST be at least 30 minutes". */
#define IMAP_IDLE_TIMEOUT_S     1800
/** Seconds without a command before a session's view of its mailbox
 *  sleeps (imapd --sleep-after; imap_mailbox.h).  Waking lists the folder
 *  again, so a client that is merely slow - a busy machine, a large
 *  FETCH still being read - should not pay for it. */
#define IMAP_SLEEP_AFTER_S      10
/** Failed LOGIN/AUTHENTICATE before the session is closed with BYE. */
#define IMAP_AUTH_FAILURES_MAX  3
/** MIME nesting we parse (multipart in multipart, message/rfc822 inside):
 * RFC 2046 sets no limit; deeper parts are shown as opaque bodies. */
#define IMAP_MIME_DEPTH_MAX     16
/** Parts of one message we index (BODYSTRUCTURE, BODY[1.2.3]). */
#define IMAP_MIME_PARTS_MAX     1000
/** Keywords one mailbox may have: Dovecot's Maildir names them with the
 * letters a-z after ":2," (its dovecot-keywords file), so 26. */
#define IMAP_KEYWORDS_MAX       26
/** Longest mailbox name on the wire, in octets (modified UTF-7): one
 * Maildir++ directory name must hold it (NAME_MAX 255, less the '.'). */
#define IMAP_MAILBOX_MAX        200
/** Sequence-set ranges in one command ("1,3,5:9,..."); mbsync sends long
 * UID lists in one FETCH. */
#define IMAP_SEQSET_RANGES_MAX  4096

/* ---- Shared ---------------------------------------------------------- */

/** Largest message we store or serve (SMTP SIZE, IMAP APPEND, POP3 RETR
 * builds the reply in memory).  A teaching server need not take more. */
#define MAIL_MESSAGE_MAX        (32u * 1024 * 1024)
/** Longest user name in the users file (letters, digits, . _ -). */
#define USER_NAME_MAX           64
/** Longest password we hash or compare. */
#define USER_PASSWORD_MAX       256
/** Concurrent sessions per server before new clients are refused. */
#define SERVER_SESSIONS_MAX     256
/** Listening ports per server (plain, STARTTLS, implicit TLS, ...). */
#define SERVER_PORTS_MAX        8
/** Bind addresses per server (IPv4 and IPv6 loopback by default). */
#define SERVER_BINDS_MAX        4
/** Seconds a client has to finish a TLS handshake. */
#define TLS_HANDSHAKE_TIMEOUT_S 30
/** One trace line, including the timestamp prefix. */
#define TRACE_LINE_MAX          1024
/** Milliseconds to wait before answering a failed login: slows guessing to
 * one try per 2 s per connection, without holding up other sessions. */
#define AUTH_FAIL_DELAY_MS      2000
/** The wait doubles with each failure one client address makes in a row,
 * over all its sessions, up to this (so 2, 4, 8, 16, 30 s). */
#define AUTH_FAIL_DELAY_MAX_MS  30000
/** Seconds after which an address's failed logins are forgotten. */
#define AUTH_FAIL_FORGET_S      900
/** Seconds from the connect to a successful login (POP3, IMAP, SMTP
 * AUTH; for an SMTP MX, to the next MAIL): a client that never logs in
 * cannot hold a session by sending a command now and then (--login-timeout).
 * Dovecot's login processes wait about as long. */
#define SESSION_LOGIN_TIMEOUT_S 120
/** Seconds for one whole message to arrive (SMTP DATA or BDAT, IMAP
 * APPEND), however slowly its octets come (--data-timeout).  RFC 5321
 * §4.5.3.2.6 lets a client wait 10 minutes for the end of data; the
 * server gives the message itself as long. */
#define SESSION_DATA_TIMEOUT_S  600

#endif
