/*
 * smtp_cmds.c - the commands around a transaction: EHLO, HELO, RSET, NOOP,
 * QUIT, VRFY, EXPN and HELP.
 *
 * RFC 5321 §4.1.1 (the commands), §4.1.4 (what resets a transaction),
 * §3.5 and §7.3 (VRFY and EXPN), RFC 1869/5321 §4.1.1.1 (EHLO and the
 * extensions it lists).
 *
 * The EHLO reply is where a client learns what this port offers; each
 * keyword appears only when it is true here and now (STARTTLS not after
 * TLS, AUTH only where it may be used), so a learner can read the policy
 * off the reply.
 */
#include "smtp_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool smtp_starttls_available(const struct smtp_session *s)
{
	return s->cfg->starttls_offered && !s->tls_active;
}

/* greet - what EHLO and HELO share: the client's name is required
 * (RFC 5321 §4.1.1.1), kept for the Received line, and a transaction in
 * progress is dropped (§4.1.4: EHLO acts like RSET). */
static bool greet(struct smtp_session *s, const char *cmd, const char *arg)
{
	size_t n = strcspn(arg, " ");
	if (n == 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: %s domain (your host "
			   "name or an address literal)", cmd);
		return false;
	}
	if (n > SMTP_DOMAIN_MAX) {
		smtp_reply(s, 501, "5.5.4", "%s argument too long", cmd);
		return false;
	}
	snprintf(s->helo, sizeof(s->helo), "%.*s", (int)n, arg);
	for (char *p = s->helo; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			*p = '?'; /* it goes into a header: printable only */
	s->esmtp = strcmp(cmd, "EHLO") == 0;
	return true;
}

enum smtp_action smtp_cmd_ehlo(struct smtp_session *s, const char *arg)
{
	if (smtp_out_of_sync(s, "EHLO"))
		return SMTP_CLOSE;
	if (!greet(s, "EHLO", arg))
		return SMTP_CONTINUE;
	/* RFC 5321 §4.1.1.1: "250-domain greeting", then one extension
	 * keyword per line.  RFC 2034 §4: no enhanced code here. */
	smtp_reply_more(s, 250, NULL, "%s greets %s", s->cfg->hostname,
			s->helo);
	smtp_reply_more(s, 250, NULL, "PIPELINING");           /* RFC 2920 */
	smtp_reply_more(s, 250, NULL, "SIZE %lu", s->cfg->max_size); /* RFC 1870 */
	smtp_reply_more(s, 250, NULL, "8BITMIME");             /* RFC 6152 */
	smtp_reply_more(s, 250, NULL, "CHUNKING");             /* RFC 3030 */
	smtp_reply_more(s, 250, NULL, "ENHANCEDSTATUSCODES");  /* RFC 2034 */
	smtp_reply_more(s, 250, NULL, "SMTPUTF8");             /* RFC 6531 */
	if (smtp_starttls_available(s))
		smtp_reply_more(s, 250, NULL, "STARTTLS");     /* RFC 3207 */
	const char *mechs = smtp_auth_mechanisms(s);
	if (mechs[0] != '\0')
		smtp_reply_more(s, 250, NULL, "AUTH %s", mechs); /* RFC 4954 */
	smtp_reply(s, 250, NULL, "HELP");
	return SMTP_CONTINUE;
}

enum smtp_action smtp_cmd_helo(struct smtp_session *s, const char *arg)
{
	if (smtp_out_of_sync(s, "HELO"))
		return SMTP_CLOSE;
	if (!greet(s, "HELO", arg))
		return SMTP_CONTINUE;
	smtp_reply(s, 250, NULL, "%s", s->cfg->hostname);
	return SMTP_CONTINUE;
}

enum smtp_action smtp_cmd_rset(struct smtp_session *s, const char *arg)
{
	(void)arg;
	/* RFC 5321 §4.1.1.5: RSET drops the transaction but is no greeting;
	 * before EHLO/HELO the session stays where it is. */
	if (s->state == SMTP_INIT)
		s->next = SMTP_SAME;
	smtp_reply(s, 250, "2.0.0", "OK");
	return SMTP_CONTINUE;
}

enum smtp_action smtp_cmd_noop(struct smtp_session *s, const char *arg)
{
	(void)arg; /* RFC 5321 §4.1.1.9: a parameter is allowed and ignored */
	smtp_reply(s, 250, "2.0.0", "OK");
	return SMTP_CONTINUE;
}

enum smtp_action smtp_cmd_quit(struct smtp_session *s, const char *arg)
{
	(void)arg;
	/* RFC 5321 §4.1.1.10: 221, then the server closes */
	smtp_reply(s, 221, "2.0.0", "%s closing connection", s->cfg->hostname);
	return SMTP_CLOSE;
}

enum smtp_action smtp_cmd_vrfy(struct smtp_session *s, const char *arg)
{
	if (arg[0] == '\0') {
		smtp_reply(s, 501, "5.5.4", "Syntax: VRFY user");
		return SMTP_CONTINUE;
	}
	/* RFC 5321 §3.5.3 and §7.3: a server may decline to verify, with
	 * 252.  We always do: answering would tell anyone which mailboxes
	 * exist (the RCPT reply tells the same to a sender, which SMTP
	 * cannot avoid). */
	smtp_reply(s, 252, "2.5.0", "Cannot VRFY user, but will accept "
		   "message and attempt delivery");
	return SMTP_CONTINUE;
}

enum smtp_action smtp_cmd_expn(struct smtp_session *s, const char *arg)
{
	(void)arg;
	/* RFC 5321 §3.5.2 and §7.3: EXPN may be disabled; we have no
	 * mailing lists, and listing members would leak addresses. */
	smtp_reply(s, 502, "5.5.1", "EXPN is not available (no mailing lists "
		   "here, RFC 5321 section 7.3)");
	return SMTP_CONTINUE;
}

/* help_one - "HELP MAIL": the row of smtp.def for that command. */
static void help_one(struct smtp_session *s, const struct smtp_cmd_info *c)
{
	smtp_reply_more(s, 214, "2.0.0", "%s", c->syntax);
	smtp_reply_more(s, 214, "2.0.0", "%s", c->help);
	smtp_reply(s, 214, "2.0.0", "See %s", c->rfc);
}

enum smtp_action smtp_cmd_help(struct smtp_session *s, const char *arg)
{
	/* RFC 5321 §4.1.1.8: 214, from the same table the server dispatches */
	if (arg[0] != '\0') {
		const struct smtp_cmd_info *c =
			smtp_cmd_find(arg, strcspn(arg, " "));
		if (c == NULL)
			smtp_reply(s, 504, "5.5.4", "HELP: no such command");
		else
			help_one(s, c);
		return SMTP_CONTINUE;
	}
	smtp_reply_more(s, 214, "2.0.0", "maillab SMTP; commands (HELP "
			"command for more):");
	for (int i = 0; i < SMTP_CMD_COUNT; i++)
		smtp_reply_more(s, 214, "2.0.0", "  %-8s %s", smtp_cmds[i].name,
				smtp_cmds[i].help);
	smtp_reply(s, 214, "2.0.0", "End of HELP");
	return SMTP_CONTINUE;
}
