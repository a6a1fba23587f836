/*
 * imap.c - the IMAP command table expanded from imap.def, and lookups.
 */
#include "imap.h"

#include <strings.h>

const struct imap_cmd_info imap_cmds[IMAP_CMD_COUNT] = {
#define IMAP_CMD(id, name, handler, states, next, rfc, syntax, help) \
	{ name, states, next, rfc, syntax, help },
#include "imap.def"
#undef IMAP_CMD
};

const struct imap_cmd_info *imap_cmd_find(const char *name, size_t len)
{
	for (int i = 0; i < IMAP_CMD_COUNT; i++) {
		const char *k = imap_cmds[i].name;
		if (strncasecmp(k, name, len) == 0 && k[len] == '\0')
			return &imap_cmds[i];
	}
	return NULL;
}

enum imap_cmd_id imap_cmd_id(const struct imap_cmd_info *cmd)
{
	return (enum imap_cmd_id)(cmd - imap_cmds);
}

const char *imap_state_name(enum imap_state state)
{
	static const char *const names[IMAP_STATE_COUNT] = {
		[IMAP_NOT_AUTHENTICATED] = "NOT AUTHENTICATED",
		[IMAP_AUTHENTICATED] = "AUTHENTICATED",
		[IMAP_SELECTED] = "SELECTED",
		[IMAP_LOGOUT] = "LOGOUT",
	};
	if ((int)state < 0 || state >= IMAP_STATE_COUNT)
		return "?";
	return names[state];
}
