/*
 * statedot.c - the state diagrams of POP3, SMTP and IMAP, drawn from the
 * protocol tables, and the command rows of docs/rfc-map.md.
 *
 *   statedot pop3|smtp|imap        Graphviz (dot) for one state machine
 *   statedot table PROTO [STATE]   its command table, in Markdown
 *   statedot rfc-map FILE.c...     Markdown rows "RFC section | command |
 *                                  file: handler()" for every command
 *
 * The pictures in the slides and the Doxygen pages must never disagree
 * with the servers, so nothing here knows a command: the rows come from
 * proto/pop3.def, smtp.def and imap.def (the tables the servers dispatch
 * from and mailsh tracks with), and the few moves those tables cannot
 * express (QUIT before login, the "." that ends DATA, a failed SELECT,
 * the greetings) from proto/transitions.def, each with its RFC section.
 *
 * Each table row "command, states, next" becomes one edge per state the
 * command is valid in: from that state to "next" (or back to itself when
 * the command does not change state).  Edges between the same two states
 * are merged, their commands listed on one label.  A command valid in
 * every state that reads commands, with the same effect in each (QUIT in
 * SMTP, CAPABILITY and LOGOUT in IMAP), is drawn once, from an "any state"
 * node, so the picture stays readable.  Rows of
 * transitions.def are drawn dashed, labelled with their RFC section.
 *
 * The .def files are included by name through macros (STATEDOT_POP3_DEF
 * and friends) so that a test can compile this file against a modified
 * copy of a table and see the picture change.
 */
#include "../proto/imap.h"
#include "../proto/pop3.h"
#include "../proto/smtp.h"
#include "../proto/transitions.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STATEDOT_POP3_DEF
#define STATEDOT_POP3_DEF "../proto/pop3.def"
#endif
#ifndef STATEDOT_SMTP_DEF
#define STATEDOT_SMTP_DEF "../proto/smtp.def"
#endif
#ifndef STATEDOT_IMAP_DEF
#define STATEDOT_IMAP_DEF "../proto/imap.def"
#endif
#ifndef STATEDOT_TRANSITIONS_DEF
#define STATEDOT_TRANSITIONS_DEF "../proto/transitions.def"
#endif

/* Longest label line before a command list wraps, in characters. */
#define LABEL_WIDTH 30
/* Largest label we build (IMAP's SELECTED self-loop is the longest). */
#define LABEL_MAX 1024
/* Longest source line rfc-map looks at for a handler's definition. */
#define SOURCE_LINE_MAX 4096

/* One command-table row, whatever the protocol. */
struct row {
	const char *name;
	unsigned states;
	int next;
	const char *rfc;
	const char *handler;
	const char *syntax;
	const char *help;
};

static const struct row pop3_rows[] = {
#define POP3_CMD(name, handler, states, next, min, max, rfc, syntax, help) \
	{ #name, states, next, rfc, #handler, syntax, help },
#include STATEDOT_POP3_DEF
#undef POP3_CMD
};

static const struct row smtp_rows[] = {
#define SMTP_CMD(name, handler, states, next, rfc, syntax, help) \
	{ #name, states, next, rfc, #handler, syntax, help },
#include STATEDOT_SMTP_DEF
#undef SMTP_CMD
};

static const struct row imap_rows[] = {
#define IMAP_CMD(id, name, handler, states, next, rfc, syntax, help) \
	{ name, states, next, rfc, #handler, syntax, help },
#include STATEDOT_IMAP_DEF
#undef IMAP_CMD
};

/* transitions.def, one array per protocol. */
#define ROW(from, trigger, to, kind, rfc, why) \
	{ from, trigger, to, kind, rfc, why },
#define NONE(from, trigger, to, kind, rfc, why)

static const struct proto_transition pop3_extra[] = {
#define POP3_TRANSITION ROW
#define SMTP_TRANSITION NONE
#define IMAP_TRANSITION NONE
#include STATEDOT_TRANSITIONS_DEF
#undef POP3_TRANSITION
#undef SMTP_TRANSITION
#undef IMAP_TRANSITION
};

static const struct proto_transition smtp_extra[] = {
#define POP3_TRANSITION NONE
#define SMTP_TRANSITION ROW
#define IMAP_TRANSITION NONE
#include STATEDOT_TRANSITIONS_DEF
#undef POP3_TRANSITION
#undef SMTP_TRANSITION
#undef IMAP_TRANSITION
};

static const struct proto_transition imap_extra[] = {
#define POP3_TRANSITION NONE
#define SMTP_TRANSITION NONE
#define IMAP_TRANSITION ROW
#include STATEDOT_TRANSITIONS_DEF
#undef POP3_TRANSITION
#undef SMTP_TRANSITION
#undef IMAP_TRANSITION
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* What the drawing needs to know about one protocol. */
struct machine {
	const char *id;                 /* "pop3": the graph's name */
	const char *title;              /* drawn above the graph */
	const struct row *rows;
	int nrows;
	const struct proto_transition *extra;
	int nextra;
	int nstates;
	const char *(*state_name)(int state);
	unsigned cluster;               /* states drawn in a box, or 0 */
	const char *cluster_label;
};

static const char *pop3_name(int s) { return pop3_state_name((enum pop3_state)s); }
static const char *smtp_name(int s) { return smtp_state_name((enum smtp_state)s); }
static const char *imap_name(int s) { return imap_state_name((enum imap_state)s); }

static const struct machine machines[] = {
	{ "pop3", "POP3 (RFC 1939): proto/pop3.def", pop3_rows,
	  COUNT(pop3_rows), pop3_extra, COUNT(pop3_extra), POP3_STATE_COUNT,
	  pop3_name, 0, NULL },
	/* RFC 5321 §3.3: a session holds mail transactions (MAIL, RCPT...,
	 * DATA); the box shows which states belong to one. */
	{ "smtp", "SMTP session (RFC 5321): proto/smtp.def", smtp_rows,
	  COUNT(smtp_rows), smtp_extra, COUNT(smtp_extra), SMTP_STATE_COUNT,
	  smtp_name, SMTP_IN_TRANS | (1u << SMTP_DATA) | SMTP_IN_BDAT,
	  "mail transaction (RFC 5321 §3.3)" },
	{ "imap", "IMAP (RFC 9051): proto/imap.def", imap_rows,
	  COUNT(imap_rows), imap_extra, COUNT(imap_extra), IMAP_STATE_COUNT,
	  imap_name, 0, NULL },
};

/* node_id - the dot name of a state or pseudo-state. */
static void node_id(int state, char *out, size_t size)
{
	if (state == TRANSITION_CONNECT)
		snprintf(out, size, "connect");
	else if (state == TRANSITION_CLOSED)
		snprintf(out, size, "closed");
	else if (state == TRANSITION_ANY)
		snprintf(out, size, "any");
	else
		snprintf(out, size, "s%d", state);
}

/* replaced - true if transitions.def says the table's edge for @p name in
 * state @p s does not exist (a TRANSITION_INSTEAD row). */
static bool replaced(const struct machine *m, int s, const char *name)
{
	for (int i = 0; i < m->nextra; i++) {
		const struct proto_transition *t = &m->extra[i];
		if (t->kind == TRANSITION_INSTEAD && t->from == s &&
		    strcmp(t->trigger, name) == 0)
			return true;
	}
	return false;
}

/* append_word - add @p word to a label, starting a new line ("\n" in dot)
 * when the current one would pass LABEL_WIDTH. */
static void append_word(char *label, size_t *line, const char *word)
{
	size_t used = strlen(label);
	if (used + strlen(word) + 3 >= LABEL_MAX)
		return;
	if (used > 0 && *line + strlen(word) + 1 > LABEL_WIDTH) {
		strcat(label, "\\n");
		*line = 0;
	} else if (used > 0) {
		strcat(label, " ");
		(*line)++;
	}
	strcat(label, word);
	*line += strlen(word);
}

/* everywhere - true if row @p r is valid in every state that reads
 * commands and does the same in each (QUIT in SMTP, CAPABILITY in IMAP):
 * it is drawn once, from "any state", instead of once per state. */
static bool everywhere(const struct machine *m, const struct row *r)
{
	unsigned all = 0;
	for (int i = 0; i < m->nrows; i++)
		all |= m->rows[i].states;
	if (r->states != all)
		return false;
	for (int s = 0; s < m->nstates; s++)
		if ((all & (1u << s)) && replaced(m, s, r->name))
			return false;
	return true;
}

/* table_edge - the commands of the table that lead from @p from to @p to,
 * as a label and a tooltip with their RFC sections; false if none. */
static bool table_edge(const struct machine *m, int from, int to,
		       char *label, char *tip)
{
	size_t line = 0;
	label[0] = tip[0] = '\0';
	for (int i = 0; i < m->nrows; i++) {
		const struct row *r = &m->rows[i];
		int target = r->next < 0 ? from : r->next;
		if (!(r->states & (1u << from)) || target != to ||
		    replaced(m, from, r->name) || everywhere(m, r))
			continue;
		append_word(label, &line, r->name);
		size_t used = strlen(tip);
		snprintf(tip + used, LABEL_MAX - used, "%s%s (%s)",
			 used ? ", " : "", r->name, r->rfc);
	}
	return label[0] != '\0';
}

/* uses - true if a row of transitions.def starts or ends at @p pseudo. */
static bool uses(const struct machine *m, int pseudo)
{
	for (int i = 0; i < m->nextra; i++)
		if (m->extra[i].from == pseudo || m->extra[i].to == pseudo)
			return true;
	return false;
}

/* any_label - the label of the "any state" node: the commands valid
 * everywhere that change nothing; false if there are no rows drawn from
 * it at all. */
static bool any_label(const struct machine *m, char *label)
{
	size_t line = 0;
	bool found = false;
	snprintf(label, LABEL_MAX, "any state");
	for (int i = 0; i < m->nrows; i++) {
		const struct row *r = &m->rows[i];
		if (!everywhere(m, r))
			continue;
		found = true;
		if (r->next >= 0)
			continue;
		if (line == 0) {
			strcat(label, "\\nstays:");
			line = 7;
		}
		append_word(label, &line, r->name);
	}
	return found;
}

/* print_nodes - the states, the pseudo-states in use, and the SMTP
 * transaction box. */
static void print_nodes(const struct machine *m)
{
	char label[LABEL_MAX];
	if (uses(m, TRANSITION_CONNECT))
		printf("  connect [shape=point, width=0.15, "
		       "tooltip=\"connect\"];\n");
	if (uses(m, TRANSITION_CLOSED))
		printf("  closed [shape=doublecircle, label=\"\", "
		       "width=0.15, tooltip=\"connection closed\"];\n");
	bool any = any_label(m, label);
	if (any || uses(m, TRANSITION_ANY))
		printf("  any [shape=plaintext, style=\"\", "
		       "label=\"%s\", fontcolor=gray30];\n", label);
	if (m->cluster != 0)
		printf("  subgraph cluster_transaction {\n    label=\"%s\";\n"
		       "    style=rounded; color=gray50; fontcolor=gray30;\n",
		       m->cluster_label);
	for (int s = 0; s < m->nstates; s++)
		if (m->cluster & (1u << s))
			printf("    s%d [label=\"%s\"];\n", s, m->state_name(s));
	if (m->cluster != 0)
		printf("  }\n");
	for (int s = 0; s < m->nstates; s++)
		if (!(m->cluster & (1u << s)))
			printf("  s%d [label=\"%s\"];\n", s, m->state_name(s));
}

/* Edges back to an earlier state (READY after a transaction, INIT after
 * STARTTLS) must not pull that state down: the states are then drawn in
 * the order of their enum, the order of a session. */
#define BACK_EDGE ", constraint=false"

/* print_table_edges - one edge per pair of states the table connects. */
static void print_table_edges(const struct machine *m)
{
	char label[LABEL_MAX], tip[LABEL_MAX];
	for (int from = 0; from < m->nstates; from++)
		for (int to = 0; to < m->nstates; to++)
			if (table_edge(m, from, to, label, tip))
				printf("  s%d -> s%d [label=\"%s\", "
				       "tooltip=\"%s\"%s];\n", from, to, label,
				       tip, to < from ? BACK_EDGE : "");
}

/* print_any_edges - the commands valid everywhere that lead to one state,
 * drawn once from "any state". */
static void print_any_edges(const struct machine *m)
{
	for (int to = 0; to < m->nstates; to++) {
		char label[LABEL_MAX] = "", tip[LABEL_MAX] = "";
		size_t line = 0;
		for (int i = 0; i < m->nrows; i++) {
			const struct row *r = &m->rows[i];
			if (!everywhere(m, r) || r->next != to)
				continue;
			append_word(label, &line, r->name);
			size_t used = strlen(tip);
			snprintf(tip + used, LABEL_MAX - used, "%s%s (%s)",
				 used ? ", " : "", r->name, r->rfc);
		}
		if (label[0] != '\0')
			printf("  any -> s%d [label=\"%s\", tooltip=\"%s\"];\n",
			       to, label, tip);
	}
}

/* print_extra_edges - the rows of transitions.def, dashed, each with its
 * RFC section under the trigger. */
static void print_extra_edges(const struct machine *m)
{
	for (int i = 0; i < m->nextra; i++) {
		const struct proto_transition *t = &m->extra[i];
		char from[16], to[16];
		node_id(t->from, from, sizeof(from));
		node_id(t->to, to, sizeof(to));
		bool back = t->from >= 0 && t->to >= 0 && t->to < t->from;
		printf("  %s -> %s [style=dashed, color=gray30, "
		       "fontcolor=gray30, label=\"%s\\n(%s)\", "
		       "tooltip=\"%s (%s)\"%s];\n", from, to, t->trigger,
		       t->rfc, t->why, t->rfc, back ? BACK_EDGE : "");
	}
}

static void print_dot(const struct machine *m)
{
	printf("// generated by tools/statedot from proto/%s.def and "
	       "proto/transitions.def\n", m->id);
	printf("digraph %s {\n", m->id);
	printf("  label=\"%s\\nsolid: the command table; dashed: "
	       "proto/transitions.def\";\n  labelloc=t; fontsize=16;\n",
	       m->title);
	printf("  fontname=\"Helvetica\"; rankdir=TB; nodesep=0.6;\n");
	printf("  node [shape=box, style=\"rounded,filled\", "
	       "fillcolor=\"#eef3fb\", fontname=\"Helvetica\", "
	       "fontsize=14];\n");
	printf("  edge [fontname=\"Helvetica\", fontsize=11];\n");
	print_nodes(m);
	print_table_edges(m);
	print_any_edges(m);
	print_extra_edges(m);
	printf("}\n");
}

/* ---- tables ----------------------------------------------------------- */

/* md_escape - print @p text for a Markdown table cell: "|" would end the
 * cell, and "\\" and "*" would be read as markup. */
static void md_escape(const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '|' || *p == '\\' || *p == '*' || *p == '_' ||
		    *p == '<' || *p == '[')
			putchar('\\');
		putchar(*p);
	}
}

/* first_state - the earliest state (in enum order) a row is valid in. */
static int first_state(const struct machine *m, const struct row *r)
{
	for (int s = 0; s < m->nstates; s++)
		if (r->states & (1u << s))
			return s;
	return -1;
}

/* print_table - the command table of one protocol in Markdown: syntax,
 * the states it is valid in, the state it leads to, and its RFC.  With
 * @p only >= 0, just the commands that first become valid in that state
 * (a slide holds one state's worth). */
static void print_table(const struct machine *m, int only)
{
	printf("| command | valid in | leads to | RFC | what it does |\n");
	printf("|---|---|---|---|---|\n");
	for (int i = 0; i < m->nrows; i++) {
		const struct row *r = &m->rows[i];
		if (only >= 0 && first_state(m, r) != only)
			continue;
		printf("| ");
		md_escape(r->syntax);
		printf(" | ");
		for (int s = 0, n = 0; s < m->nstates; s++)
			if (r->states & (1u << s))
				printf("%s%s", n++ ? ", " : "", m->state_name(s));
		printf(" | %s | %s | ", r->next < 0 ? "(same)" :
		       m->state_name(r->next), r->rfc);
		md_escape(r->help);
		printf(" |\n");
	}
}

/* table - "statedot table PROTO [STATE]". */
static int table(int argc, char **argv)
{
	for (int m = 0; m < COUNT(machines); m++) {
		const struct machine *mc = &machines[m];
		if (strcmp(argv[2], mc->id) != 0)
			continue;
		if (argc == 3) {
			print_table(mc, -1);
			return 0;
		}
		for (int s = 0; s < mc->nstates; s++)
			if (strcmp(argv[3], mc->state_name(s)) == 0) {
				print_table(mc, s);
				return 0;
			}
		fprintf(stderr, "statedot: %s has no state %s\n", mc->id,
			argv[3]);
		return 2;
	}
	fprintf(stderr, "statedot: no protocol %s\n", argv[2]);
	return 2;
}

/* ---- rfc-map ---------------------------------------------------------- */

/* defines - true if @p line is the start of the definition of function
 * @p name: the project's style puts the return type and the name on one
 * line at column 0, and a prototype would end in ';'. */
static bool defines(const char *line, const char *name)
{
	if (line[0] == ' ' || line[0] == '\t' || line[0] == '#' ||
	    line[0] == '/' || line[0] == '*' || line[0] == '{' ||
	    line[0] == '}' || strchr(line, ';') != NULL)
		return false;
	size_t n = strlen(name);
	for (const char *p = strstr(line, name); p; p = strstr(p + 1, name))
		if ((p == line || p[-1] == ' ' || p[-1] == '*') && p[n] == '(')
			return true;
	return false;
}

/* find_handler - the file among @p files that defines @p name, or NULL. */
static const char *find_handler(char **files, int nfiles, const char *name)
{
	char line[SOURCE_LINE_MAX];
	for (int i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "r");
		if (f == NULL) {
			perror(files[i]);
			exit(1);
		}
		bool found = false;
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = defines(line, name);
		fclose(f);
		if (found)
			return files[i];
	}
	return NULL;
}

/* rfc_map - one Markdown row per command; fails if a handler named in a
 * table is defined in none of @p files. */
static int rfc_map(char **files, int nfiles)
{
	int missing = 0;
	printf("| RFC section | protocol | command | implemented in |\n");
	printf("|---|---|---|---|\n");
	for (int m = 0; m < COUNT(machines); m++)
		for (int i = 0; i < machines[m].nrows; i++) {
			const struct row *r = &machines[m].rows[i];
			const char *file = find_handler(files, nfiles,
							r->handler);
			if (file == NULL) {
				fprintf(stderr, "statedot: %s (%s) is defined "
					"in none of the files given\n",
					r->handler, r->name);
				missing++;
			}
			printf("| %s | %s | `%s` | `%s`: `%s()` |\n", r->rfc,
			       machines[m].id, r->name, file ? file : "?",
			       r->handler);
		}
	return missing == 0 ? 0 : 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: statedot pop3|smtp|imap\n"
		"       statedot table pop3|smtp|imap [STATE]\n"
		"       statedot rfc-map FILE.c...\n\n"
		"Prints the state machine of a protocol as Graphviz dot, drawn\n"
		"from proto/<protocol>.def and proto/transitions.def; its\n"
		"command table in Markdown (with STATE: only the commands that\n"
		"first become valid there); or the Markdown table of RFC\n"
		"sections and the functions that implement each command\n"
		"(searched for in the files given).\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "rfc-map") == 0)
		return rfc_map(argv + 2, argc - 2);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "table") == 0)
		return table(argc, argv);
	for (int m = 0; argc == 2 && m < COUNT(machines); m++)
		if (strcmp(argv[1], machines[m].id) == 0) {
			print_dot(&machines[m]);
			return 0;
		}
	usage(stderr);
	return 2;
}
