/*
 * s3health.c: the S3 probe behind /healthz, shared by the workers of one
 * host so that a slow S3 cannot take the workers with it.
 *
 * A probe (HEAD on the bucket) can take up to s3_timeout when S3 hangs.
 * /healthz needs no token, so if each worker probed whenever its own
 * result was stale (or, as before, on every call while S3 was failing), a
 * load balancer or anyone else calling /healthz would keep every worker
 * waiting on S3 and starve the routes that never touch it (presign).  So
 * the result lives in a small file of the host (hoststate.c; by default
 * <journal>.s3probe) that every worker reads.  A worker probes only when
 * that result is older than health_cache AND it wins a non-blocking
 * flock() on the file: at most one worker of the host waits on S3 at any
 * time, and the others answer at once with the last result, or, once that
 * probe has run longer than health_cache (at least S3HEALTH_SLOW_MS), with
 * "unavailable": an S3 that does not answer a HEAD in that time is not
 * healthy, and the last "ok" is no longer news.  Failures are kept as
 * long as successes.  Where the file cannot be used (a read-only
 * directory), each worker keeps its result in memory and probes at most
 * once per health_cache.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "journal.h"
#include "log.h"

#define S3HEALTH_SUFFIX	".s3probe"
#define S3HEALTH_MAGIC	UINT64_C(0x61756469336871)
#define S3HEALTH_SLOW_MS	500

/* The file's one record; check guards against a torn read. */
struct s3health_rec {
	uint64_t	magic;
	int64_t		checked_ms;	/* when the last probe ended */
	int64_t		err;		/* and what it found */
	int64_t		probing_ms;	/* when the running probe began; 0 */
	uint64_t	check;
};

static uint64_t
s3health_sum(const struct s3health_rec *r)
{
	return r->magic ^ (uint64_t)r->checked_ms ^
	    ((uint64_t)r->err * UINT64_C(0x9e3779b97f4a7c15)) ^
	    ((uint64_t)r->probing_ms << 1);
}

/* Open the shared file once; on failure fall back to memory for good. */
static void
s3health_open(struct app *app)
{
	char path[HOSTSTATE_PATH_SIZE];

	if (app->health_fd != S3HEALTH_UNOPENED)
		return;
	app->health_fd = hoststate_open(app->conf, S3HEALTH_SUFFIX, path,
	    sizeof(path));
	if (app->health_fd < 0) {
		log_warn("%s: %s; each worker probes S3 for /healthz itself",
		    path, strerror(errno));
		app->health_fd = S3HEALTH_NONE;
	}
}

/* Take the shared result into app if it is newer than ours. */
static void
s3health_read(struct app *app)
{
	struct s3health_rec r;

	if (app->health_fd < 0 ||
	    pread(app->health_fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return;
	if (r.magic != S3HEALTH_MAGIC || r.check != s3health_sum(&r))
		return;
	app->health_probing_ms = r.probing_ms;
	if (r.checked_ms <= app->health_checked_ms)
		return;
	app->health_checked_ms = r.checked_ms;
	app->health_s3 = (enum err)r.err;
}

static void
s3health_write(struct app *app, int64_t probing_ms)
{
	struct s3health_rec r;

	if (app->health_fd < 0)
		return;
	memset(&r, 0, sizeof(r));
	r.magic = S3HEALTH_MAGIC;
	r.checked_ms = app->health_checked_ms;
	r.err = (int64_t)app->health_s3;
	r.probing_ms = probing_ms;
	r.check = s3health_sum(&r);
	if (pwrite(app->health_fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r))
		log_warn("cannot record the S3 probe: %s", strerror(errno));
}

static int
s3health_fresh(const struct app *app, int64_t now)
{
	return app->health_checked_ms != 0 &&
	    now - app->health_checked_ms < app->conf->health_cache;
}

enum err
s3health_check(struct app *app, int64_t now, int64_t *age_ms)
{
	int64_t slow = app->conf->health_cache > S3HEALTH_SLOW_MS ?
	    app->conf->health_cache : S3HEALTH_SLOW_MS;
	int locked = 0, busy = 0;

	s3health_open(app);
	s3health_read(app);
	if (s3health_fresh(app, now))
		goto out;
	if (app->health_fd >= 0) {
		if (hoststate_lock(app->health_fd, 0) != 0) {
			/* Another worker is probing: its probe is the news. */
			busy = app->health_probing_ms != 0 &&
			    now - app->health_probing_ms >= slow;
			goto out;
		}
		locked = 1;
		s3health_read(app);	/* it may have just finished */
		if (s3health_fresh(app, now))
			goto out;
		s3health_write(app, now);
	}
	app->health_s3 = s3_probe(app->s3);
	app->health_checked_ms = clock_wall_ms();
	s3health_write(app, 0);
out:
	if (locked)
		hoststate_unlock(app->health_fd);
	/* A probe made just now ended after `now` was read. */
	*age_ms = app->health_checked_ms == 0 ? -1 :
	    now > app->health_checked_ms ? now - app->health_checked_ms : 0;
	/* No result yet, or S3 is taking too long to give one. */
	if (app->health_checked_ms == 0 || busy)
		return ERR_UNAVAILABLE;
	return app->health_s3;
}

void
s3health_close(struct app *app)
{
	if (app->health_fd >= 0)
		close(app->health_fd);
	app->health_fd = S3HEALTH_UNOPENED;
}
