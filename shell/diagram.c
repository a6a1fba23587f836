/*
 * diagram.c - the state diagram and the list of valid commands, drawn in
 * the terminal from the protocol tables (the .def files in proto/), so the picture can
 * never disagree with what the tracker and the servers do.
 *
 * The states are drawn top to bottom in the order of their enum.  For
 * each state the table gives three kinds of commands: those that stay
 * (next is "same" or the state itself), those that lead to the state
 * drawn below (the arrow), and those that jump elsewhere (listed after
 * the picture).  Transitions that depend on the reply rather than on the
 * command are not in the tables; they are listed under the diagram with
 * their RFC sections, as the trackers implement them.
 */
#include "shell.h"

#include <string.h>

static const char *const conditional[][4] = {
	[TRACK_POP3] = {
		"PASS is valid only after a USER that got +OK (RFC 1939 §7)",
		"QUIT in AUTHORIZATION closes without UPDATE (RFC 1939 §4)",
		"STLS keeps AUTHORIZATION, forgets CAPA (RFC 2595 §4)",
		NULL,
	},
	[TRACK_SMTP] = {
		"the \".\" that ends DATA returns to READY (RFC 5321 §4.1.1.4)",
		"BDAT ... LAST returns to READY (RFC 3030 §2); RSET only once greeted",
		"STARTTLS returns to INIT (RFC 3207 §4.2); 421 closes from anywhere",
		NULL,
	},
	[TRACK_IMAP] = {
		"greeting OK: NOT AUTHENTICATED, PREAUTH: AUTHENTICATED (RFC 9051 §3)",
		"a failed SELECT/EXAMINE leaves SELECTED (RFC 9051 §6.3.2)",
		"an untagged BYE means LOGOUT from anywhere (RFC 9051 §7.1.5)",
		NULL,
	},
};

/* target - where command @p c leads from state @p s. */
static int target(const struct track_cmd *c, int s)
{
	return c->next < 0 ? s : c->next;
}

/* names - the commands valid in @p s that lead to @p to, space-separated,
 * wrapped with @p indent after about 60 columns. */
static void names(enum track_proto proto, int s, int to, const char *indent,
		  char *out, size_t size)
{
	size_t used = 0, line = 0;
	out[0] = '\0';
	for (int i = 0; i < track_cmd_count(proto); i++) {
		const struct track_cmd *c = track_cmd_at(proto, i);
		if (!(c->states & (1u << s)) || target(c, s) != to)
			continue;
		if (used - line > 60 && used < size) {
			used += (size_t)snprintf(out + used, size - used, "\n%s",
						 indent);
			line = used;
		}
		if (used < size)
			used += (size_t)snprintf(out + used, size - used, "%s%s",
						 used == line ? "" : " ", c->name);
	}
}

static bool leads(enum track_proto proto, int s, int to)
{
	for (int i = 0; i < track_cmd_count(proto); i++) {
		const struct track_cmd *c = track_cmd_at(proto, i);
		if ((c->states & (1u << s)) && target(c, s) == to)
			return true;
	}
	return false;
}

void diagram_draw(struct shell *sh, enum track_proto proto, int current)
{
	int n = track_state_count(proto);
	char list[2048];
	fprintf(sh->out, "%s states (from proto/%s.def)%s\n",
		track_proto_name(proto), track_proto_name(proto),
		current >= 0 ? "; > marks where you are" : "");
	for (int s = 0; s < n; s++) {
		bool here = s == current;
		fprintf(sh->out, "  %s%s[ %s ]%s\n", here ? out_colour(sh, "state") : "",
			here ? "> " : "  ", track_state_name(proto, s),
			here ? out_colour(sh, "reset") : "");
		if (leads(proto, s, s)) {
			names(proto, s, s, "               ", list, sizeof(list));
			fprintf(sh->out, "        stays: %s\n", list);
		}
		if (s + 1 < n && leads(proto, s, s + 1)) {
			names(proto, s, s + 1, "      |  ", list, sizeof(list));
			fprintf(sh->out, "      |  %s\n      v\n", list);
		}
	}
	fprintf(sh->out, "  other transitions:\n");
	for (int s = 0; s < n; s++)
		for (int to = 0; to < n; to++)
			if (to != s && to != s + 1 && leads(proto, s, to)) {
				names(proto, s, to, "        ", list, sizeof(list));
				fprintf(sh->out, "    %s --%s--> %s\n",
					track_state_name(proto, s), list,
					track_state_name(proto, to));
			}
	fprintf(sh->out, "  decided by the reply, not the table:\n");
	for (int i = 0; conditional[proto][i] != NULL; i++)
		fprintf(sh->out, "    %s\n", conditional[proto][i]);
}

void diagram_commands(struct shell *sh)
{
	const struct track *t = &sh->track;
	bool all = sh->conn == NULL;
	if (!sh->have_url) {
		out_info(sh, "not connected: :connect URL first");
		return;
	}
	fprintf(sh->out, "%s commands %s%s:\n", track_proto_name(t->proto),
		all ? "(all states)" : "valid in ",
		all ? "" : track_state_name(t->proto, t->state));
	for (int i = 0; i < track_cmd_count(t->proto); i++) {
		const struct track_cmd *c = track_cmd_at(t->proto, i);
		if (!all && !(c->states & (1u << t->state)))
			continue;
		fprintf(sh->out, "  %s%-34s%s %s (%s)\n", out_colour(sh, "bold"),
			c->syntax, out_colour(sh, "reset"), c->help, c->rfc);
	}
}
