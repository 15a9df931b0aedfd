/*
 * app.c: the per-worker state of audio-api (journal connection, S3 client,
 * token verifier), opened after fork() and closed before exit or reload.
 *
 * A journal that cannot be opened (disk gone, permissions) does not stop
 * the worker: requests that need it answer 503 and the open is retried, at
 * most once a second, until it works.  A config the S3 client or the token
 * verifier refuses does stop it: that will not fix itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "cognito.h"
#include "journal.h"
#include "log.h"
#include "pid.h"
#include "tokcache.h"

void
app_cognito_conf(const struct api_conf *conf, struct cognito_conf *cc)
{
	cognito_conf_defaults(cc);
	cc->issuer = conf->jwt_issuer;
	cc->jwks_url = conf->jwt_jwks_url;
	cc->client_ids = conf->jwt_client_ids;
	cc->token_use = conf->jwt_token_use;
	cc->leeway = (long)(conf->jwt_leeway / 1000);
	cc->jwks_ttl = (long)(conf->jwks_ttl / 1000);
	cc->jwks_timeout_ms = (long)conf->jwks_timeout;
}

void
app_s3_conf(const struct api_conf *conf, struct s3_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->endpoint = conf->s3_endpoint;
	sc->bucket = conf->s3_bucket;
	sc->region = conf->s3_region;
	sc->path_style = conf->s3_addressing == API_S3_PATH;
	sc->timeout_ms = (long)conf->s3_timeout;
	sc->connect_timeout_ms = (long)conf->s3_connect_timeout;
	sc->access_key_id = conf->s3_access_key_id;
	sc->secret_access_key = conf->s3_secret_access_key;
	sc->session_token = conf->s3_session_token;
}

enum err
app_open(struct app *app, struct api_conf *conf)
{
	struct cognito_conf cc;
	struct s3_conf sc;
	char host[64];
	enum err rc;

	memset(app, 0, sizeof(*app));
	app->conf = conf;
	app->health_fd = S3HEALTH_UNOPENED;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(app->lease_owner, sizeof(app->lease_owner), "%s:%ld", host,
	    (long)getpid());

	app_cognito_conf(conf, &cc);
	cc.jwks_fetch = jwksshare_fetch;
	cc.jwks_fetch_arg = app;
	if ((rc = cognito_new(&cc, &app->auth)) != ERR_OK)
		goto fail;
	/* Keys now, before the first request (a failure is logged and the
	 * refresher retries), then only ever on the refresher's thread: a
	 * slow key server must not hold requests (jwksshare.c). */
	(void)cognito_prefetch(app->auth);
	if ((rc = cognito_refresh_in_background(app->auth)) != ERR_OK)
		goto fail;
	if (conf->jwt_cache_ttl >= 1000 && (rc = tokcache_new(
	    (size_t)conf->jwt_cache_entries, (long)(conf->jwt_cache_ttl / 1000),
	    &app->tokens)) != ERR_OK)
		goto fail;

	app_s3_conf(conf, &sc);
	if ((rc = s3_open(&app->s3, &sc)) != ERR_OK)
		goto fail;

	(void)app_journal(app);
	return ERR_OK;
fail:
	app_close(app);
	return rc;
}

enum err
app_journal_open(const struct api_conf *c, struct journal **j,
    unsigned flags)
{
	struct journal_options o;

	memset(&o, 0, sizeof(o));
	o.busy_timeout_ms = (int)c->journal_busy_timeout;
	o.connect_timeout_s = (int)((c->journal_connect_timeout + 999) / 1000);
	o.flags = flags;
	return journal_open_with(j, c->journal, &o);
}

struct journal *
app_journal(struct app *app)
{
	int64_t now;

	if (app->journal != NULL)
		return app->journal;
	now = clock_wall_ms();
	if (app->journal_retry_ms != 0 && now < app->journal_retry_ms)
		return NULL;
	if (app_journal_open(app->conf, &app->journal, 0) != ERR_OK) {
		app->journal = NULL;
		app->journal_retry_ms = now + 1000;
		return NULL;
	}
	app->journal_retry_ms = 0;
	journal_set_finalize_grace(app->journal, app->conf->finalize_grace);
	/* An open multipart upload can be completed as the late last chunk
	 * until the grace and its part URLs have run out. */
	journal_set_finalize_mpu_abort(app->journal,
	    app->conf->finalize_grace + app->conf->presign_expires +
	    app->conf->s3_timeout);
	return app->journal;
}

int
app_owner_gone(const struct app *app, const char *owner)
{
	const char *mine = strrchr(app->lease_owner, ':');
	const char *colon = strrchr(owner, ':');
	char *end;
	long long pid;

	if (mine == NULL || colon == NULL ||
	    (size_t)(colon - owner) != (size_t)(mine - app->lease_owner) ||
	    strncmp(owner, app->lease_owner, (size_t)(colon - owner)) != 0)
		return 0;	/* another host: only its lease can tell */
	errno = 0;
	pid = strtoll(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || pid <= 1 ||
	    pid > INT32_MAX || pid == (long long)pid_self())
		return 0;
	/* EPERM: alive under another user.  A reused pid only means the
	 * lease runs out as it would have. */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void
app_close(struct app *app)
{
	journal_close(app->journal);
	app->journal = NULL;
	s3health_close(app);
	presignrate_close(app);
	s3_close(app->s3);
	app->s3 = NULL;
	cognito_free(app->auth);
	app->auth = NULL;
	tokcache_free(app->tokens);
	app->tokens = NULL;
	buf_free(&app->out);
}
