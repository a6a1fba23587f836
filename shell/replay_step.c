/*
 * replay_step.c - presenter mode (mailsh --replay FILE): a session shown
 * step by step in front of a class, with no server at all.
 *
 * Each step shows what the client sends and what the server answers, the
 * annotations written for the learner, the state before and after the
 * step, and the point where TLS begins.  Then mailsh waits: Enter for the
 * next step, a number for that step, "b" for the one before, "q" to stop.
 * With --pace SECONDS it goes on by itself after that long (or after a
 * step's own "@ SECONDS"), and the same keys still work.  When stdin is
 * not a terminal and no pace is given, the whole session is printed at
 * once, for a pager or a file; input that ends early does the same.
 */
#include "replay.h"

#include "shell.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct present {
	const struct shell_opts *o;
	const char *path;
	struct sessfile sf;
	bool colour;
	bool wait;          /* wait for keys (a terminal, or --pace) */
	bool eof;           /* stdin ended: no more keys */
	bool typed;         /* the last key came with Enter (the terminal
			       has moved to a new line already) */
	char in[64];        /* a command being typed */
	size_t in_len;
};

enum key { KEY_NEXT, KEY_BACK, KEY_JUMP, KEY_QUIT };

static const char *sgr(const struct present *p, const char *code)
{
	return p->colour ? code : "";
}

#define BOLD  "\033[1m"
#define DIM   "\033[2m"
#define CYAN  "\033[36m"
#define YELL  "\033[33m"
#define RESET "\033[0m"

/* show_state - the state before the step and, if it changes, after. */
static void show_state(const struct present *p, size_t i)
{
	const char *before = replay_state_before(&p->sf, i);
	const char *after = p->sf.steps[i].state;
	if (before == NULL && after == NULL)
		return;
	printf("%s   state: ", sgr(p, CYAN));
	if (after != NULL && before != NULL && strcmp(before, after) != 0)
		printf("%s -> %s", before, after);
	else if (after != NULL && before == NULL)
		printf("%s (from here on)", after);
	else
		printf("%s (unchanged)", before ? before : after);
	printf("%s\n", sgr(p, RESET));
}

static void show_step(const struct present *p, size_t i)
{
	const struct sessfile_step *st = &p->sf.steps[i];
	printf("\n%s=== step %zu of %zu", sgr(p, BOLD), i, p->sf.nsteps - 1);
	if (st->client == NULL)
		printf(" (the greeting)");
	else
		printf(" (%s, line %u)", p->path, st->client_line);
	printf(" ===%s\n", sgr(p, RESET));
	if (st->client != NULL)
		printf("%sC: %s%s\n", sgr(p, BOLD), st->client, sgr(p, RESET));
	for (size_t k = 0; k < st->nserver; k++)
		replay_print_line('S', st->server[k]);
	if (st->nnotes > 0)
		printf("\n");
	for (size_t k = 0; k < st->nnotes; k++)
		printf("%s   %s%s\n", sgr(p, YELL), st->notes[k], sgr(p, RESET));
	if (st->nnotes > 0)
		printf("\n");
	show_state(p, i);
	if (st->tls_after)
		printf("%s   ~~~ TLS handshake here: from now on everything on the "
		       "wire is encrypted ~~~%s\n", sgr(p, CYAN), sgr(p, RESET));
}

/* parse_key - a typed command: "", "b", "q" or a step number. */
static enum key parse_key(const char *text, size_t *step_r, bool *bad_r)
{
	char *end;
	*bad_r = false;
	if (text[0] == '\0' || strcmp(text, "n") == 0)
		return KEY_NEXT;
	if (strcmp(text, "b") == 0 || strcmp(text, "p") == 0)
		return KEY_BACK;
	if (strcmp(text, "q") == 0)
		return KEY_QUIT;
	unsigned long n = strtoul(text, &end, 10);
	if (end != text && *end == '\0') {
		*step_r = n;
		return KEY_JUMP;
	}
	*bad_r = true;
	return KEY_NEXT;
}

static void wait_s(double seconds)
{
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* read_key - wait for a command, at most @pause seconds if pacing. */
static enum key read_key(struct present *p, double pause, size_t *step_r)
{
	p->typed = false;
	if (p->eof) {
		if (pause > 0)
			wait_s(pause);
		return KEY_NEXT;
	}
	for (;;) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int ms = pause > 0 ? (int)(pause * 1000) : -1;
		int r = poll(&pfd, 1, ms);
		if (r == 0)
			return KEY_NEXT;  /* the pace: on to the next step */
		if (r < 0 && errno == EINTR)
			continue;
		char c;
		if (r < 0 || read(STDIN_FILENO, &c, 1) != 1) {
			p->eof = true;
			return KEY_NEXT;
		}
		if (c != '\n' && c != '\r') {
			if (p->in_len + 1 < sizeof(p->in))
				p->in[p->in_len++] = c;
			continue;
		}
		p->in[p->in_len] = '\0';
		p->in_len = 0;
		p->typed = true;
		bool bad;
		enum key k = parse_key(p->in, step_r, &bad);
		if (!bad)
			return k;
		printf("   Enter: next step   N: step N   b: back   q: quit\n");
	}
}

/* pause_after - how long --pace waits after step @i. */
static double pause_after(const struct present *p, size_t i)
{
	if (p->o->pace_s <= 0)
		return 0;
	if (i + 1 < p->sf.nsteps && p->sf.steps[i + 1].delay_s > 0)
		return p->sf.steps[i + 1].delay_s;
	return p->o->pace_s;
}

static void show_header(const struct present *p)
{
	const struct sessfile *sf = &p->sf;
	printf("%s%s%s\n", sgr(p, BOLD), sf->title ? sf->title : p->path,
	       sgr(p, RESET));
	printf("%s session", sf->protocol);
	if (sf->server != NULL)
		printf(" with %s", sf->server);
	printf(", TLS: %s; %zu steps.  C: is the client, S: the server.\n",
	       sf->tls ? sf->tls : "plain", sf->nsteps);
	if (p->wait)
		printf("Enter: next step   N Enter: go to step N   b: back   "
		       "q: quit\n");
}

static int present(struct present *p)
{
	size_t i = p->o->step, jump = 0;
	if (i >= p->sf.nsteps) {
		fprintf(stderr, "mailsh: %s has steps 0 to %zu\n", p->path,
			p->sf.nsteps - 1);
		return REPLAY_USAGE;
	}
	show_header(p);
	while (i < p->sf.nsteps) {
		show_step(p, i);
		if (!p->wait) {
			i++;
			continue;
		}
		bool last = i + 1 == p->sf.nsteps;
		printf("%s[step %zu of %zu%s]%s ", sgr(p, DIM), i,
		       p->sf.nsteps - 1, last ? ", the last" : "", sgr(p, RESET));
		fflush(stdout);
		enum key k = read_key(p, pause_after(p, i), &jump);
		if (!p->typed)
			printf("\n");
		if (k == KEY_QUIT)
			return REPLAY_OK;
		if (k == KEY_BACK)
			i = i > 0 ? i - 1 : 0;
		else if (k == KEY_JUMP && jump < p->sf.nsteps)
			i = jump;
		else if (k == KEY_JUMP)
			printf("   there is no step %zu: steps go from 0 to %zu\n",
			       jump, p->sf.nsteps - 1);
		else
			i++;
	}
	printf("\n-- the end of %s\n", p->path);
	return REPLAY_OK;
}

int replay_present(const struct shell_opts *o)
{
	struct present p = { .o = o, .path = o->replay };
	const char *no_color = getenv("NO_COLOR");
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	p.colour = o->colour == 1 || (o->colour == -1 && tty &&
				       (no_color == NULL || no_color[0] == '\0'));
	p.wait = isatty(STDIN_FILENO) || o->pace_s > 0;
	if (replay_load(o, p.path, &p.sf) < 0)
		return REPLAY_USAGE;
	int status = present(&p);
	sessfile_free(&p.sf);
	return status;
}
