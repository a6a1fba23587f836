/*
 * smtp_mail.c - MAIL and RCPT: the envelope, and who may send what where.
 *
 * RFC 5321 §4.1.1.2 (MAIL), §4.1.1.3 (RCPT), §4.1.2 (the path syntax),
 * §4.5.3.1 (size limits), RFC 1870 (SIZE=), RFC 6152 (BODY=8BITMIME),
 * RFC 6531 (SMTPUTF8), RFC 4954 §5 (AUTH=), RFC 6409 (submission).
 *
 * The envelope is what SMTP delivers by; the From:/To: headers inside the
 * message are not looked at.  The policy is decided here, per role:
 *
 *   MX          any sender; recipients only in our domains.  Anything else
 *               is "554 5.7.1 Relay access denied": an MX that relays for
 *               anyone is an open relay, the spammer's favourite tool.
 *   submission  MAIL only after AUTH (530 5.7.0); the sender must be the
 *               logged-in user at one of our domains (553 5.7.1), so a
 *               user cannot send as someone else; recipients anywhere:
 *               ours are checked now, others need a route (DATA/routes).
 *
 * A local recipient that does not exist gets 550 5.1.1 now, at RCPT,
 * rather than a bounce later (RFC 5321 §3.3 lets the server refuse).
 */
#include "smtp_internal.h"

#include "../core/users.h"
#include "smtp_routes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One MAIL or RCPT argument, split but not yet judged. */
struct path_arg {
	char addr[SMTP_PATH_MAX + 1]; /* between < and >, source route cut */
	char *params;                  /* what follows "> " (inside the copy) */
	char copy[SMTP_COMMAND_MAX];
};

bool smtp_domain_is_local(const struct smtp_config *cfg, const char *domain)
{
	for (int i = 0; i < cfg->ndomains; i++)
		if (strcasecmp(cfg->domains[i], domain) == 0)
			return true;
	return false;
}

/* split_path - "FROM:<path> params" (RFC 5321 §4.1.1.2).  A space after
 * the colon is tolerated (many clients send one; Postfix accepts it).
 * A source route "@a,@b:user@dom" is cut to "user@dom" (§4.1.1.3: it
 * SHOULD be ignored).  Returns -1 on a syntax error. */
static int split_path(const char *arg, const char *word, struct path_arg *p)
{
	size_t wlen = strlen(word);
	if (strncasecmp(arg, word, wlen) != 0)
		return -1;
	snprintf(p->copy, sizeof(p->copy), "%s", arg + wlen);
	char *open = p->copy + strspn(p->copy, " ");
	char *close = open[0] == '<' ? strchr(open, '>') : NULL;
	if (close == NULL)
		return -1;
	*close = '\0';
	char *addr = open + 1;
	if (addr[0] == '@') {
		char *colon = strchr(addr, ':');
		if (colon == NULL)
			return -1;
		addr = colon + 1;
	}
	if (close - open + 1 > SMTP_PATH_MAX)
		return -1; /* §4.5.3.1.3: 256 octets with the brackets */
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	p->params = close + 1;
	if (p->params[0] != '\0' && p->params[0] != ' ')
		return -1;
	p->params += strspn(p->params, " ");
	return 0;
}

/* atext_ok - RFC 5322 §3.2.3 atext, plus UTF-8 octets with SMTPUTF8
 * (RFC 6531 §3.3). */
static bool atext_ok(unsigned char c, bool utf8)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c)) ||
	       (utf8 && c >= 0x80);
}

/* mailbox_ok - "local-part@domain" (RFC 5321 §4.1.2): a dot-string or a
 * quoted string, then a domain of letters, digits, '-' and '.', or an
 * address literal in brackets. */
static bool mailbox_ok(const char *addr, bool utf8)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0')
		return false;
	size_t llen = (size_t)(at - addr);
	const char *dom = at + 1;
	if (llen > SMTP_LOCAL_PART_MAX || strlen(dom) > SMTP_DOMAIN_MAX)
		return false;
	if (addr[0] == '"') {
		if (llen < 2 || addr[llen - 1] != '"')
			return false;
	} else {
		for (size_t i = 0; i < llen; i++) {
			bool dot = addr[i] == '.';
			if (dot ? (i == 0 || i + 1 == llen || addr[i + 1] == '.')
				: !atext_ok((unsigned char)addr[i], utf8))
				return false;
		}
	}
	if (dom[0] == '[')
		return dom[strlen(dom) - 1] == ']';
	for (const unsigned char *d = (const unsigned char *)dom; *d; d++)
		if (!isalnum(*d) && *d != '-' && *d != '.' && !(utf8 && *d >= 0x80))
			return false;
	return dom[0] != '.' && dom[0] != '-';
}

static bool has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* mail_param - one MAIL parameter; replies and returns false if bad. */
static bool mail_param(struct smtp_session *s, char *kv)
{
	char *val = strchr(kv, '=');
	if (val != NULL)
		*val++ = '\0';
	if (strcasecmp(kv, "SIZE") == 0 && val != NULL) {
		/* RFC 1870 §6: a size over our limit is refused now, before
		 * the client sends a single octet of the message */
		char *end;
		unsigned long long n = strtoull(val, &end, 10);
		if (!isdigit((unsigned char)val[0]) || *end != '\0') {
			smtp_reply(s, 501, "5.5.4", "SIZE wants a number");
			return false;
		}
		if (n > s->cfg->max_size) {
			smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed "
				   "maximum message size (%lu octets)",
				   s->cfg->max_size);
			return false;
		}
		return true;
	}
	if (strcasecmp(kv, "BODY") == 0 && val != NULL &&
	    (strcasecmp(val, "7BIT") == 0 || strcasecmp(val, "8BITMIME") == 0)) {
		s->tx.body_8bit = strcasecmp(val, "8BITMIME") == 0; /* RFC 6152 */
		return true;
	}
	if (strcasecmp(kv, "SMTPUTF8") == 0 && val == NULL) {
		s->tx.smtputf8 = true; /* RFC 6531 §3.4 */
		return true;
	}
	if (strcasecmp(kv, "AUTH") == 0 && val != NULL)
		return true; /* RFC 4954 §5: informational; we relay without it */
	/* RFC 5321 §4.1.1.11 and §4.2.3 */
	smtp_reply(s, 555, "5.5.4", "MAIL FROM parameter %.32s not recognized",
		   kv);
	return false;
}

/* mail_params - all of them, space-separated "KEY[=VALUE]". */
static bool mail_params(struct smtp_session *s, char *params)
{
	for (char *save = NULL, *kv = strtok_r(params, " ", &save); kv;
	     kv = strtok_r(NULL, " ", &save))
		if (!mail_param(s, kv))
			return false;
	return true;
}

/* sender_owned - on submission, the envelope sender must be the user
 * at one of our domains (RFC 6409 §4.3 lets the MSA enforce this). */
static bool sender_owned(const struct smtp_session *s, const char *from)
{
	const char *at = strrchr(from, '@');
	return at != NULL && (size_t)(at - from) == strlen(s->user) &&
	       strncasecmp(from, s->user, strlen(s->user)) == 0 &&
	       smtp_domain_is_local(s->cfg, at + 1);
}

/* mail_policy - the role's rules for the sender; true if replied. */
static bool mail_refused(struct smtp_session *s, const char *from)
{
	if (s->cfg->role != SMTP_ROLE_SUBMISSION)
		return false;
	if (!s->authenticated) {
		/* RFC 4954 §6 */
		smtp_reply(s, 530, "5.7.0", "Authentication required");
		return true;
	}
	if (!sender_owned(s, from)) {
		trace_event(s->trace, "refused sender <%s> for user %s", from,
			    s->user);
		smtp_reply(s, 553, "5.7.1", "Sender address rejected: <%s> not "
			   "owned by user %s", from, s->user);
		return true;
	}
	return false;
}

enum smtp_action smtp_cmd_mail(struct smtp_session *s, const char *arg)
{
	struct path_arg p;
	if (split_path(arg, "FROM:", &p) < 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address> "
			   "[parameters]");
		return SMTP_CONTINUE;
	}
	s->tx.body_8bit = s->tx.smtputf8 = false;
	if (!mail_params(s, p.params))
		return SMTP_CONTINUE;
	if (p.addr[0] != '\0' && !mailbox_ok(p.addr, s->tx.smtputf8)) {
		if (has_8bit(p.addr) && !s->tx.smtputf8)
			/* RFC 6531: a UTF-8 address needs SMTPUTF8 on MAIL;
			 * X.6.7 is the status code it registers for this */
			smtp_reply(s, 553, "5.6.7", "Non-ASCII address needs "
				   "the SMTPUTF8 parameter");
		else
			smtp_reply(s, 501, "5.1.7", "Bad sender address syntax");
		return SMTP_CONTINUE;
	}
	if (mail_refused(s, p.addr))
		return SMTP_CONTINUE;
	snprintf(s->tx.from, sizeof(s->tx.from), "%s", p.addr);
	smtp_reply(s, 250, "2.1.0", "Sender <%s> OK", p.addr);
	return SMTP_CONTINUE;
}

/* local_user - the user a local address delivers to, lower-cased
 * (RFC 5321 §2.4 lets a server treat local parts case-insensitively;
 * ours are user names, which are lower case).  "postmaster" goes to the
 * configured user (RFC 5321 §4.5.1: every domain MUST accept it). */
static void local_user(const struct smtp_session *s, const char *addr,
		       char *user, size_t size)
{
	size_t n = strcspn(addr, "@");
	snprintf(user, size, "%.*s", (int)n, addr);
	for (char *c = user; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strcmp(user, "postmaster") == 0)
		snprintf(user, size, "%s", s->cfg->postmaster);
}

/* rcpt_local - one of our domains: the user must exist. */
static void rcpt_local(struct smtp_session *s, const char *addr)
{
	struct smtp_rcpt *r = &s->tx.rcpts[s->tx.nrcpt];
	local_user(s, addr, r->user, sizeof(r->user));
	if (!users_name_valid(r->user) ||
	    !users_exists(s->cfg->users_file, r->user)) {
		smtp_reply(s, 550, "5.1.1", "<%s>: Recipient address rejected: "
			   "no such user here", addr);
		return;
	}
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
	s->tx.nrcpt++;
	smtp_reply(s, 250, "2.1.5", "Recipient <%s> OK", addr);
}

/* rcpt_remote - another domain: relaying, for submission only. */
static void rcpt_remote(struct smtp_session *s, const char *addr,
			const char *domain)
{
	if (s->cfg->role != SMTP_ROLE_SUBMISSION || !s->authenticated) {
		trace_event(s->trace, "refused relaying to <%s>", addr);
		smtp_reply(s, 554, "5.7.1", "<%s>: Relay access denied", addr);
		return;
	}
	char routes[4096];
	struct smtp_route route;
	const char *error = "";
	snprintf(routes, sizeof(routes), "%s/routes", s->cfg->data_dir);
	int r = smtp_routes_lookup(routes, domain, &route, &error);
	if (r < 0) {
		trace_event(s->trace, "error routes: %s", error);
		smtp_reply(s, 451, "4.3.0", "Cannot read the route table now");
		return;
	}
	if (r == 0) {
		smtp_reply(s, 550, "5.1.2", "<%s>: no route to domain %s (this "
			   "lab has no DNS: see DATA/routes)", addr, domain);
		return;
	}
	struct smtp_rcpt *rc = &s->tx.rcpts[s->tx.nrcpt++];
	snprintf(rc->addr, sizeof(rc->addr), "%s", addr);
	rc->user[0] = '\0';
	smtp_reply(s, 250, "2.1.5", "Recipient <%s> OK, will relay via %s:%s",
		   addr, route.host, route.port);
}

enum smtp_action smtp_cmd_rcpt(struct smtp_session *s, const char *arg)
{
	struct path_arg p;
	if (split_path(arg, "TO:", &p) < 0 || p.addr[0] == '\0') {
		smtp_reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return SMTP_CONTINUE;
	}
	if (p.params[0] != '\0') {
		smtp_reply(s, 555, "5.5.4", "RCPT TO parameters not recognized");
		return SMTP_CONTINUE;
	}
	if (s->tx.nrcpt == SMTP_RCPT_MAX) {
		/* RFC 5321 §4.5.3.1.10: the client sends the rest later */
		smtp_reply(s, 452, "4.5.3", "Too many recipients (limit %d per "
			   "message)", SMTP_RCPT_MAX);
		return SMTP_CONTINUE;
	}
	/* RFC 5321 §4.1.1.3: "<Postmaster>" without a domain is ours */
	if (strcasecmp(p.addr, "postmaster") == 0)
		snprintf(p.addr, sizeof(p.addr), "postmaster@%s",
			 s->cfg->domains[0]);
	if (!mailbox_ok(p.addr, s->tx.smtputf8)) {
		if (has_8bit(p.addr) && !s->tx.smtputf8)
			smtp_reply(s, 553, "5.6.7", "Non-ASCII address needs "
				   "the SMTPUTF8 parameter on MAIL");
		else
			smtp_reply(s, 501, "5.1.3", "Bad recipient address "
				   "syntax");
		return SMTP_CONTINUE;
	}
	const char *domain = strrchr(p.addr, '@') + 1;
	if (smtp_domain_is_local(s->cfg, domain))
		rcpt_local(s, p.addr);
	else
		rcpt_remote(s, p.addr, domain);
	return SMTP_CONTINUE;
}
