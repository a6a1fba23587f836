/*
 * smtp_runner.c - the queue runner (see smtp_runner.h for what it does).
 *
 * RFC 5321 §4.5.4.1: a sender-SMTP keeps undeliverable mail in a queue and
 * retries it at intervals, with a give-up time after which it returns the
 * message to its sender.  §6.1: once a message is accepted it must not
 * be lost, so every change here is written to the queue before the next
 * step (the envelope is rewritten after each attempt), and a message
 * leaves the queue only after the next hop said 250 for its last
 * recipient, or after the bounce for it was stored.  A crash between
 * "250" from the next hop and the removal sends the message twice,
 * which SMTP accepts as the lesser evil (§6.1 again).
 *
 * Sleeping: SIGUSR1 is blocked and collected with sigtimedwait(), with the
 * time until the next message is due as the limit.  A wake-up sent while
 * a pass runs stays pending and ends the next wait at once, so none is
 * lost.  SIGTERM keeps its default action: the runner may die anywhere,
 * because the queue on disk is always consistent.
 */
#include "smtp_runner.h"

#include "../../common/buf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

/* backoff - the wait after @attempts failed attempts: retry_s, doubled
 * each time, at most SMTP_RETRY_MAX_S (or retry_s if that is larger). */
static time_t backoff(const struct smtp_runner_config *cfg, unsigned attempts)
{
	time_t wait = cfg->retry_s;
	time_t cap = cfg->retry_s > SMTP_RETRY_MAX_S ? cfg->retry_s
						       : SMTP_RETRY_MAX_S;
	for (unsigned i = 0; i < attempts && wait < cap; i++)
		wait *= 2;
	return wait < cap ? wait : cap;
}

/* relay_all - one connection per next hop: recipients whose domains share
 * a route go together.  Fills st[i] for every recipient. */
static void relay_all(const struct smtp_runner_config *cfg,
		      const struct smtp_envelope *env, const char *data,
		      size_t len, struct smtp_relay_status *st)
{
	struct smtp_envelope *sub = malloc(sizeof(*sub));
	struct smtp_route *routes = calloc(env->nrcpt, sizeof(*routes));
	struct smtp_relay_status *sub_st = calloc(env->nrcpt, sizeof(*sub_st));
	size_t *index = calloc(env->nrcpt, sizeof(*index));
	bool *done = calloc(env->nrcpt, sizeof(*done));
	for (size_t i = 0; i < env->nrcpt && sub && routes && sub_st && index &&
			   done; i++) {
		const char *error = "no route";
		if (smtp_routes_lookup(cfg->routes_file,
				       strrchr(env->rcpts[i], '@') + 1,
				       &routes[i], &error) != 1) {
			st[i].code = 550;
			snprintf(st[i].reply, sizeof(st[i].reply), "550 5.1.2 no "
				 "route to this domain (%s)", error);
			done[i] = true;
		}
	}
	for (size_t i = 0; i < env->nrcpt && sub && routes && sub_st &&
			   index && done; i++) {
		if (done[i])
			continue;
		*sub = *env;
		sub->nrcpt = 0;
		for (size_t j = i; j < env->nrcpt; j++) {
			if (done[j] || strcmp(routes[j].host, routes[i].host) != 0 ||
			    strcmp(routes[j].port, routes[i].port) != 0)
				continue;
			index[sub->nrcpt] = j;
			memcpy(sub->rcpts[sub->nrcpt++], env->rcpts[j],
			       sizeof(env->rcpts[j]));
			done[j] = true;
		}
		smtp_relay_send(&routes[i], cfg->hostname, sub, data, len,
				sub_st, &cfg->trace);
		for (size_t k = 0; k < sub->nrcpt; k++)
			st[index[k]] = sub_st[k];
	}
	free(sub);
	free(routes);
	free(sub_st);
	free(index);
	free(done);
}

/* settle - sort the outcomes: delivered recipients leave, failed ones go
 * into the bounce, the rest stay for the next attempt.  Returns how many
 * stay; @env keeps only those. */
static size_t settle(const struct smtp_runner_config *cfg,
		     struct smtp_envelope *env, const char *data, size_t len,
		     struct smtp_relay_status *st, time_t now)
{
	struct smtp_failure *fail = calloc(env->nrcpt, sizeof(*fail));
	char (*left)[SMTP_PATH_MAX + 1] = calloc(env->nrcpt, sizeof(*left));
	size_t nfail = 0, nleft = 0;
	bool expired = now - env->created >= (time_t)cfg->lifetime_s;
	for (size_t i = 0; fail && left && i < env->nrcpt; i++) {
		if (st[i].code >= 200 && st[i].code < 300)
			continue;
		if (st[i].code >= 500 || expired) {
			fail[nfail].rcpt = env->rcpts[i];
			fail[nfail++].status = &st[i];
			continue;
		}
		if (nleft == 0)
			snprintf(env->last_error, sizeof(env->last_error), "%s",
				 st[i].reply);
		memcpy(left[nleft++], env->rcpts[i], sizeof(left[0]));
	}
	if (nfail > 0)
		smtp_bounce(cfg, env, data, len, fail, nfail);
	for (size_t i = 0; left && i < nleft; i++)
		memcpy(env->rcpts[i], left[i], sizeof(left[0]));
	if (fail != NULL && left != NULL)
		env->nrcpt = nleft;
	free(fail);
	free(left);
	return env->nrcpt;
}

/* attempt - try one due message, then remove it or schedule the next
 * try.  Returns when it is next due (0: it left the queue). */
static time_t attempt(const struct smtp_runner_config *cfg,
		      struct smtp_envelope *env, time_t now)
{
	const char *error = "";
	char *data = NULL;
	size_t len = 0;
	if (smtp_queue_read(cfg->queue_dir, env->id, &data, &len, &error) < 0) {
		trace_event(&cfg->trace, "error %s: %s (left in the queue)",
			    env->id, error);
		return 0;
	}
	struct smtp_relay_status *st = calloc(env->nrcpt, sizeof(*st));
	time_t due = 0;
	if (st != NULL) {
		relay_all(cfg, env, data, len, st);
		if (settle(cfg, env, data, len, st, now) == 0) {
			trace_event(&cfg->trace, "done %s: leaves the queue",
				    env->id);
			(void)smtp_queue_remove(cfg->queue_dir, env->id, &error);
		} else {
			env->next_try = now + backoff(cfg, env->attempts++);
			due = env->next_try;
			trace_event(&cfg->trace, "deferred %s: %zu recipient(s), "
				    "next attempt in %lld s (%s)", env->id,
				    env->nrcpt, (long long)(due - now),
				    env->last_error);
			if (smtp_queue_save(cfg->queue_dir, env, &error) < 0)
				trace_event(&cfg->trace, "error %s: %s",
					    env->id, error);
		}
	}
	free(st);
	free(data);
	return due;
}

void smtp_runner_pass(const struct smtp_runner_config *cfg, time_t now,
		      time_t *next_r)
{
	*next_r = 0;
	char **ids;
	size_t n;
	const char *error;
	if (smtp_queue_ids(cfg->queue_dir, &ids, &n, &error) < 0) {
		trace_event(&cfg->trace, "error reading the queue: %s", error);
		return;
	}
	struct smtp_envelope *env = malloc(sizeof(*env));
	for (size_t i = 0; env != NULL && i < n; i++) {
		if (smtp_queue_load(cfg->queue_dir, ids[i], env, &error) < 0) {
			trace_event(&cfg->trace, "error %s: %s (skipped)", ids[i],
				    error);
			continue;
		}
		time_t due = env->next_try;
		if (due <= now)
			due = attempt(cfg, env, now);
		if (due != 0 && (*next_r == 0 || due < *next_r))
			*next_r = due;
	}
	free(env);
	smtp_queue_ids_free(ids, n);
}

void smtp_runner_main(const struct smtp_runner_config *cfg)
{
	/* end with smtpd, even if it is killed without a chance to stop us */
	pid_t parent = getppid();
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	sigset_t wake;
	sigemptyset(&wake);
	sigaddset(&wake, SIGUSR1);
	sigprocmask(SIG_BLOCK, &wake, NULL);
	signal(SIGPIPE, SIG_IGN);
	trace_event(&cfg->trace, "queue runner started (pid %ld)",
		    (long)getpid());
	for (;;) {
		time_t next;
		smtp_runner_pass(cfg, time(NULL), &next);
		if (next == 0) {
			(void)sigwaitinfo(&wake, NULL);
			continue;
		}
		time_t wait = next - time(NULL);
		struct timespec ts = { wait > 0 ? wait : 0, 0 };
		(void)sigtimedwait(&wake, NULL, &ts);
	}
}
