/*
 * loadgen.c - main() of the load generator: N clients, a clock, a report.
 *
 *   loadgen --workload pop3 --port 10110 --clients 8 --duration 5 \
 *           --user u --users 256 --password secret
 *
 * Each client is a thread running one session at a time (loadgen.h); the
 * threads share nothing while they run but two atomics, and count into
 * their own struct lg_counts, added up at the end.  The run is over when
 * the time (--duration) or the number of operations (--count) is used
 * up: no client starts an operation after that, and each finishes the
 * one it is in, so slow operations are counted whole rather than cut off.
 * Throughput is operations divided by the time from the first measured
 * start to the last end.
 *
 * The report is one line of JSON on stdout, which make bench reads.
 * "imap-idle" is different: it opens the sessions, prints one JSON line
 * ("ready"), holds them until stdin is closed, then logs them all out;
 * make bench measures the servers' memory in between.
 */
#include "loadgen.h"

#include "../common/tls.h"
#include "lg_text.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The one global: a signal handler has no other way to reach the run.
 * Clients look at it before starting each operation. */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

/* another - may this client start one more operation? */
static bool another(struct lg_client *c)
{
	struct lg_run *run = c->run;
	if (got_signal || atomic_load(&run->stop) || c->cut ||
	    c->failures >= LG_FAILURES_IN_A_ROW)
		return false;
	if (run->conf->count > 0) {
		c->ticket = atomic_fetch_add(&run->claimed, 1);
		return c->ticket < run->conf->count;
	}
	/* every client starts at least one operation, even if the machine
	 * was too busy to run its thread before the time was up: otherwise
	 * "256 clients" could quietly be fewer */
	return c->seq == 0 || lg_now_us() < run->deadline_us;
}

/* failed - count a failure; the session is closed and opened again.  An
 * operation cut by --limit is counted apart: the server was not wrong. */
static void failed(struct lg_client *c)
{
	if (c->cut) {
		c->counts.cut++;
	} else {
		c->counts.errors++;
		c->failures++;
	}
	lg_disconnect(c);
}

/* open_session - the workload's set-up, before the clock starts: logging
 * in and selecting a 10,000-message mailbox is not what is measured. */
static void open_session(struct lg_client *c, const struct lg_workload *wl)
{
	while (wl->setup != NULL && c->io == NULL && !got_signal &&
	       c->failures < LG_FAILURES_IN_A_ROW)
		if (wl->setup(c) < 0)
			failed(c);
}

/* one_op - set up if needed, then one timed operation. */
static void one_op(struct lg_client *c, const struct lg_workload *wl)
{
	if (c->io == NULL && wl->setup != NULL && wl->setup(c) < 0) {
		failed(c);
		return;
	}
	uint64_t bytes = c->counts.bytes, items = c->counts.items;
	uint64_t t0 = lg_now_us();
	int r = wl->op(c);
	uint64_t t1 = lg_now_us();
	c->seq++;
	if (r < 0) {
		failed(c);
		return;
	}
	c->failures = 0;
	c->counts.done++;
	if (t0 >= c->run->warm_end_us) {
		lg_counts_op(&c->counts, t0, t1);
	} else {
		/* a warm-up operation: its octets are not counted either */
		c->counts.bytes = bytes;
		c->counts.items = items;
	}
}

/* The start line: every client opens its session, says it is ready, and
 * waits; the clock starts when all are ready, so a slow set-up (1,000
 * logins, a 10,000-message SELECT) never eats into the measured time. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready;
	bool open;
};

static void gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->ready++;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

/* gate_open - wait until @n clients are ready, then let them all go. */
static void gate_open(struct gate *g, unsigned n, struct lg_run *run)
{
	pthread_mutex_lock(&g->lock);
	while (g->ready < n)
		pthread_cond_wait(&g->cond, &g->lock);
	run->start_us = lg_now_us();
	run->warm_end_us = run->start_us + (uint64_t)(run->conf->warmup_s * 1e6);
	run->deadline_us = run->warm_end_us +
			   (uint64_t)(run->conf->duration_s * 1e6);
	if (run->conf->limit_s > 0)
		run->cut_us = run->start_us + (uint64_t)(run->conf->limit_s * 1e6);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

struct thread_arg {
	struct lg_client *clients;
	unsigned first, step, n;
	struct gate *gate;
};

static void *client_thread(void *p)
{
	struct thread_arg *a = p;
	struct lg_client *c = &a->clients[a->first];
	const struct lg_workload *wl = c->run->conf->workload;
	open_session(c, wl);
	gate_pass(a->gate);
	while (another(c))
		one_op(c, wl);
	if (c->io != NULL && wl->finish != NULL)
		(void)wl->finish(c);
	lg_disconnect(c);
	return NULL;
}

/* hold_thread - open every @step-th session from @first (imap-idle). */
static void *hold_thread(void *p)
{
	struct thread_arg *a = p;
	for (unsigned i = a->first; i < a->n; i += a->step) {
		struct lg_client *c = &a->clients[i];
		if (c->run->conf->workload->setup(c) < 0)
			failed(c);
	}
	return NULL;
}

/* start_threads - @n threads running @fn; returns how many started. */
static unsigned start_threads(pthread_t *tids, struct thread_arg *args,
			      unsigned n, void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LG_THREAD_STACK);
	unsigned started = 0;
	for (; started < n; started++)
		if (pthread_create(&tids[started], &attr, fn, &args[started]) != 0)
			break;
	pthread_attr_destroy(&attr);
	return started;
}

/* json_string - @s as a JSON string literal (RFC 8259 §7). */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* first_error - the first error any client recorded, or "". */
static const char *first_error(const struct lg_client *clients, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (clients[i].error[0] != '\0')
			return clients[i].error;
	return "";
}

static void report(const struct lg_conf *conf, const struct lg_counts *t,
		   const char *error)
{
	double secs = t->ops ? (double)(t->last_us - t->first_us) / 1e6 : 0;
	typedef unsigned long long ull;
	printf("{\"workload\": \"%s\", \"clients\": %u, \"tls\": %s, "
	       "\"size\": %zu, \"ops\": %llu, \"done\": %llu, "
	       "\"errors\": %llu, \"cut\": %llu, \"bytes\": %llu, "
	       "\"items\": %llu, "
	       "\"seconds\": %.3f, \"ops_per_s\": %.2f, \"mb_per_s\": %.2f, "
	       "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
	       "\"first_error\": ",
	       conf->workload->name, conf->clients, conf->tls ? "true" : "false",
	       conf->size, (ull)t->ops, (ull)t->done, (ull)t->errors,
	       (ull)t->cut, (ull)t->bytes, (ull)t->items, secs, lg_counts_rate(t),
	       lg_counts_byte_rate(t) / 1e6,
	       (double)lg_hist_percentile(&t->lat, 50) / 1e3,
	       (double)lg_hist_percentile(&t->lat, 99) / 1e3,
	       (double)t->lat.max_us / 1e3);
	json_string(stdout, error);
	printf("}\n");
	fflush(stdout);
}

/* totals - everything the clients counted, added up. */
static void totals(const struct lg_client *clients, unsigned n,
		   struct lg_counts *t)
{
	lg_counts_init(t);
	for (unsigned i = 0; i < n; i++)
		lg_counts_merge(t, &clients[i].counts);
}

/* run_timed - the ordinary run: one thread per client. */
static int run_timed(struct lg_run *run, struct lg_client *clients)
{
	unsigned n = run->conf->clients;
	pthread_t *tids = calloc(n, sizeof(*tids));
	struct thread_arg *args = calloc(n, sizeof(*args));
	struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			     0, false };
	if (tids == NULL || args == NULL) {
		free(tids);
		free(args);
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		args[i] = (struct thread_arg){ clients, i, 1, n, &gate };
	unsigned started = start_threads(tids, args, n, client_thread);
	if (started < n)
		atomic_store(&run->stop, true); /* the started ones end at once */
	gate_open(&gate, started, run);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	free(args);
	if (started < n) {
		fprintf(stderr, "loadgen: could only start %u of %u threads\n",
			started, n);
		return -1;
	}
	struct lg_counts t;
	totals(clients, n, &t);
	/* with operations cut, the run lasted until the cut */
	if (t.cut > 0 && run->cut_us > t.last_us)
		t.last_us = run->cut_us;
	report(run->conf, &t, first_error(clients, n));
	return 0;
}

/* run_hold - open every session, say so, wait for stdin to close. */
static int run_hold(struct lg_run *run, struct lg_client *clients)
{
	unsigned n = run->conf->clients;
	unsigned nthreads = n < LG_HOLD_THREADS ? n : LG_HOLD_THREADS;
	pthread_t tids[LG_HOLD_THREADS];
	struct thread_arg args[LG_HOLD_THREADS];
	for (unsigned i = 0; i < nthreads; i++)
		args[i] = (struct thread_arg){ clients, i, nthreads, n, NULL };
	unsigned started = start_threads(tids, args, nthreads, hold_thread);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (started < nthreads)
		return -1;
	struct lg_counts t;
	totals(clients, n, &t);
	printf("{\"ready\": %llu, \"errors\": %llu, \"first_error\": ",
	       (unsigned long long)(n - t.errors), (unsigned long long)t.errors);
	json_string(stdout, first_error(clients, n));
	printf("}\n");
	fflush(stdout);
	char drain[256];
	while (!got_signal && fread(drain, 1, sizeof(drain), stdin) > 0)
		;
	for (unsigned i = 0; i < n; i++) {
		if (clients[i].io != NULL)
			(void)run->conf->workload->finish(&clients[i]);
		lg_disconnect(&clients[i]);
	}
	return 0;
}

/* prepare - what the run shares: TLS context, message body, limits. */
static int prepare(struct lg_run *run, char **body_r)
{
	const struct lg_conf *conf = run->conf;
	/* every session is a socket: take all the descriptors we may */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (conf->tls) {
		const char *error;
		run->tls = tls_client_new(conf->cafile, NULL, &error);
		if (run->tls == NULL) {
			fprintf(stderr, "loadgen: TLS: %s\n", error);
			return -1;
		}
	}
	/* the header is about 250 octets; the body makes up the rest */
	size_t body = conf->size > 300 ? conf->size - 250 : 2;
	*body_r = lg_text_body(body);
	if (*body_r == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		return -1;
	}
	run->body = *body_r;
	run->body_len = body;
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a server that closes on us must cost one failed write, not the run */
	signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *f)
{
	fputs(lg_args_usage(), f);
	for (const struct lg_workload *w = lg_workloads; w->name != NULL; w++)
		fprintf(f, "  %-18s %s\n", w->name, w->help);
}

int main(int argc, char **argv)
{
	struct lg_conf conf;
	char err[256];
	int r = lg_args_parse(argc, argv, &conf, err, sizeof(err));
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "loadgen: %s\n", err);
		usage(r < 0 ? stderr : stdout);
		return r < 0 ? 2 : 0;
	}
	install_signals();
	struct lg_run run = { .conf = &conf };
	char *body = NULL;
	struct lg_client *clients = calloc(conf.clients, sizeof(*clients));
	if (clients == NULL || prepare(&run, &body) < 0) {
		free(clients);
		free(body);
		tls_client_free(run.tls);
		return 1;
	}
	for (unsigned i = 0; i < conf.clients; i++) {
		clients[i].run = &run;
		clients[i].index = i;
		lg_counts_init(&clients[i].counts);
	}
	r = conf.workload->op == NULL ? run_hold(&run, clients)
				      : run_timed(&run, clients);
	for (unsigned i = 0; i < conf.clients; i++)
		free(clients[i].text);
	free(clients);
	free(body);
	tls_client_free(run.tls);
	return r < 0 ? 1 : 0;
}
