/*
 * recent.h - which session sees a message first: IMAP's \Recent.
 *
 * RFC 3501 §2.3.2: \Recent means "this session is the first session to
 * have been notified about this message"; the next session to open the
 * mailbox does not see the flag.  (IMAP4rev2, RFC 9051, dropped \Recent;
 * rev1 clients still show it.)  Each folder keeps one number in
 * "maillab-recent": the highest UID already given to a session as recent,
 * with the UIDVALIDITY it belongs to:
 *
 *     <uidvalidity> <uid>
 *
 * A session that SELECTs the folder, or that learns of new mail while it
 * has it selected, claims every message above that mark and moves the
 * mark up, in one step under an exclusive flock() on "maillab-recent.lock";
 * so of two sessions that look at once, exactly one gets each message as
 * recent.  EXAMINE and STATUS only read the mark: RFC 3501 §6.3.2 says a
 * read-only open must not take \Recent away from anyone.
 */
#ifndef MAILLAB_RECENT_H
#define MAILLAB_RECENT_H

#include <stdint.h>

/** The mark for @p uidvalidity: 0 if none was kept for it. */
int recent_peek(const char *dir, uint32_t uidvalidity, uint32_t *mark_r,
		const char **error_r);
/**
 * Claim the messages above the mark up to @p last_uid: *old_mark_r gets
 * the mark before (messages with a UID above it are this session's recent
 * ones), and the mark becomes @p last_uid if that is higher.
 */
int recent_claim(const char *dir, uint32_t uidvalidity, uint32_t last_uid,
		 uint32_t *old_mark_r, const char **error_r);

#endif
