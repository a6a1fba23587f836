/*
 * imap_cmds_any.c - the commands valid in every state: CAPABILITY, NOOP,
 * LOGOUT (RFC 9051 §6.1).
 *
 * NOOP does nothing itself, and that is its use: like every command, it
 * ends with the updates about the selected mailbox (new mail, flags that
 * other sessions changed, expunged messages), so a client without IDLE
 * polls with NOOP (RFC 9051 §6.1.2).
 */
#include "imap_internal.h"

/* no_arguments - the three commands take none (RFC 9051 §6.1). */
static bool no_arguments(struct imap_session *s, const struct imap_cmd *c)
{
	if (c->argc == 0)
		return true;
	imap_bad(s, "%s takes no arguments", c->info->name);
	return false;
}

enum imap_action imap_cmd_capability(struct imap_session *s,
				     const struct imap_cmd *c)
{
	if (!no_arguments(s, c))
		return IMAP_CONTINUE;
	buf_puts(s->out, "* CAPABILITY ");
	imap_capabilities(s, s->out);
	buf_puts(s->out, "\r\n");
	return imap_ok(s, "CAPABILITY completed");
}

enum imap_action imap_cmd_noop(struct imap_session *s,
			       const struct imap_cmd *c)
{
	if (!no_arguments(s, c))
		return IMAP_CONTINUE;
	return imap_ok(s, "NOOP completed");
}

enum imap_action imap_cmd_logout(struct imap_session *s,
				 const struct imap_cmd *c)
{
	if (!no_arguments(s, c))
		return IMAP_CONTINUE;
	/* RFC 9051 §6.1.3: BYE first, then the tagged OK; LOGOUT does not
	 * expunge (only CLOSE does) */
	imap_untagged(s, "BYE maillab IMAP server logging out");
	if (s->mbox != NULL) {
		imap_mailbox_close(s->mbox);
		s->mbox = NULL;
	}
	imap_enter_state(s, IMAP_LOGOUT, "LOGOUT after %lu commands",
			 s->commands);
	imap_ok(s, "LOGOUT completed");
	return IMAP_CLOSE;
}
