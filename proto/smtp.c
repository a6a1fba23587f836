/*
 * smtp.c - the SMTP command table expanded from smtp.def, and lookups.
 */
#include "smtp.h"

#include <strings.h>

const struct smtp_cmd_info smtp_cmds[SMTP_CMD_COUNT] = {
#define SMTP_CMD(name, handler, states, next, rfc, syntax, help) \
	{ #name, states, next, rfc, syntax, help },
#include "smtp.def"
#undef SMTP_CMD
};

const struct smtp_cmd_info *smtp_cmd_find(const char *name, size_t len)
{
	for (int i = 0; i < SMTP_CMD_COUNT; i++) {
		const char *k = smtp_cmds[i].name;
		if (strncasecmp(k, name, len) == 0 && k[len] == '\0')
			return &smtp_cmds[i];
	}
	return NULL;
}

enum smtp_cmd_id smtp_cmd_id(const struct smtp_cmd_info *cmd)
{
	return (enum smtp_cmd_id)(cmd - smtp_cmds);
}

const char *smtp_state_name(enum smtp_state state)
{
	static const char *const names[SMTP_STATE_COUNT] = {
		[SMTP_INIT] = "INIT",   [SMTP_READY] = "READY",
		[SMTP_MAIL] = "MAIL",   [SMTP_RCPT] = "RCPT",
		[SMTP_DATA] = "DATA",   [SMTP_BDAT] = "BDAT",
		[SMTP_CLOSED] = "CLOSED",
	};
	if ((int)state < 0 || state >= SMTP_STATE_COUNT)
		return "?";
	return names[state];
}
