/*
 * pop3.c - the POP3 tables expanded from pop3.def and pop3_codes.def, and
 * lookups over them (see pop3.h).
 */
#include "pop3.h"

#include <strings.h>

const struct pop3_cmd_info pop3_cmds[POP3_CMD_COUNT] = {
#define POP3_CMD(name, handler, states, next, min, max, rfc, syntax, help) \
	{ #name, states, next, min, max, rfc, syntax, help },
#include "pop3.def"
#undef POP3_CMD
};

const struct pop3_code_info pop3_codes[] = {
#define POP3_CODE(code, rfc, meaning) { code, rfc, meaning },
#include "pop3_codes.def"
#undef POP3_CODE
	{ NULL, NULL, NULL },
};

const struct pop3_cmd_info *pop3_cmd_find(const char *name, size_t len)
{
	for (int i = 0; i < POP3_CMD_COUNT; i++) {
		const char *k = pop3_cmds[i].name;
		if (strncasecmp(k, name, len) == 0 && k[len] == '\0')
			return &pop3_cmds[i];
	}
	return NULL;
}

enum pop3_cmd_id pop3_cmd_id(const struct pop3_cmd_info *cmd)
{
	return (enum pop3_cmd_id)(cmd - pop3_cmds);
}

const char *pop3_state_name(enum pop3_state state)
{
	static const char *const names[POP3_STATE_COUNT] = {
		[POP3_AUTHORIZATION] = "AUTHORIZATION",
		[POP3_TRANSACTION] = "TRANSACTION",
		[POP3_UPDATE] = "UPDATE",
	};
	if ((int)state < 0 || state >= POP3_STATE_COUNT)
		return "?";
	return names[state];
}

const struct pop3_code_info *pop3_code_find(const char *code, size_t len)
{
	for (const struct pop3_code_info *c = pop3_codes; c->code; c++)
		if (strncasecmp(c->code, code, len) == 0 && c->code[len] == '\0')
			return c;
	return NULL;
}
