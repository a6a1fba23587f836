/*
 * smtp_queue.h - the relay queue on disk: mail accepted for other domains
 * waits here until the queue runner has handed it to the next hop.
 *
 * Layout under DATA/queue/ (one message = two files with the same id):
 *
 *   tmp/       files being written; never read by the runner
 *   data/ID    the message as it will be sent: CRLF line ends, not
 *              dot-stuffed, our Received line on top.  Written once.
 *   env/ID     the envelope and the delivery state, as text:
 *                  maillab-queue 1
 *                  from alice@a.test          (empty: the null sender)
 *                  created 1767000000         (epoch seconds)
 *                  attempts 2
 *                  next 1767000240            (next attempt, epoch)
 *                  body 8bitmime              (or 7bit)
 *                  smtputf8 no
 *                  error 421 4.3.2 try later  (last temporary failure)
 *                  rcpt bob@b.test            (one line per recipient
 *                  rcpt carol@b.test           still to be delivered)
 *              Rewritten after every attempt; removed when no recipient
 *              is left.
 *
 * Every file is written the Maildir way: tmp/ -> write -> fsync ->
 * rename -> fsync the directory, so after a crash a message is either
 * queued whole or not at all, and the SMTP "250" that follows an enqueue
 * is a promise kept (RFC 5321 §6.1).  data/ is written before env/, and
 * env/ is removed before data/: a message is live exactly while its
 * env/ file exists.  A data/ file without an env/ file is the leftover
 * of a crash between the two steps, and the runner removes it.
 *
 * Only the queue runner changes or removes queue files; sessions only add.
 */
#ifndef MAILLAB_SMTP_QUEUE_H
#define MAILLAB_SMTP_QUEUE_H

#include "../../proto/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/** Longest queue id, with its NUL ("<secs>.<usecs>.<pid>.<n>"). */
#define SMTP_QUEUE_ID_MAX 64

/** The envelope of one queued message, as kept in DATA/queue. */
struct smtp_envelope {
	char id[SMTP_QUEUE_ID_MAX];            /**< queue id, also the file names */
	char from[SMTP_PATH_MAX + 1];          /**< "" is the null sender */
	char rcpts[SMTP_RCPT_MAX][SMTP_PATH_MAX + 1]; /**< recipients still to deliver */
	size_t nrcpt;                          /**< entries in rcpts */
	bool body_8bit;                        /**< BODY=8BITMIME (RFC 6152) */
	bool smtputf8;                         /**< SMTPUTF8 (RFC 6531) */
	time_t created;                        /**< when it was queued */
	time_t next_try;                       /**< not before this time */
	unsigned attempts;                     /**< tries so far */
	char last_error[SMTP_REPLY_MAX];       /**< last temporary failure */
};

/** Create DATA/queue/{tmp,data,env} if missing. */
int smtp_queue_init(const char *queue_dir, const char **error_r);

/**
 * Queue a message: picks a new id (env->id), sets created/next_try to now,
 * writes data/ and then env/, each durably.  Returns 0 or -1.
 */
int smtp_queue_add(const char *queue_dir, struct smtp_envelope *env,
		   const char *data, size_t len, const char **error_r);

/** Rewrite env/ID after an attempt (atomically). */
int smtp_queue_save(const char *queue_dir, const struct smtp_envelope *env,
		    const char **error_r);

/** Read env/ID. */
int smtp_queue_load(const char *queue_dir, const char *id,
		    struct smtp_envelope *env, const char **error_r);

/** Read data/ID (malloc'ed, NUL-terminated). */
int smtp_queue_read(const char *queue_dir, const char *id, char **data_r,
		    size_t *len_r, const char **error_r);

/** Remove a message: env/ID first, then data/ID. */
int smtp_queue_remove(const char *queue_dir, const char *id,
		      const char **error_r);

/**@{*/
/**
 * The ids of the live messages (env/), at most SMTP_QUEUE_SCAN_MAX;
 * data/ files without an envelope older than an hour are removed on the
 * way.  Free the list with smtp_queue_ids_free().
 */
int smtp_queue_ids(const char *queue_dir, char ***ids_r, size_t *n_r,
		   const char **error_r);
void smtp_queue_ids_free(char **ids, size_t n);
/**@}*/

/**@{*/
/** Format and parse the env/ text (exposed for the unit tests). */
int smtp_envelope_format(const struct smtp_envelope *env, char **text_r);
int smtp_envelope_parse(const char *text, struct smtp_envelope *env,
			const char **error_r);
/**@}*/

#endif
