/*
 * bench.c: micro-benchmarks, run by `make bench` (never by `make check`).
 *
 * Each benchmark is one row of bench_table: a name, the unit of its rate,
 * and setup/op/teardown functions.  The runner calls op() in batches until
 * about BENCH_SECONDS have passed on the monotonic clock and prints
 *   <name>: <rate> <unit> (<ops> ops in <seconds> s, <rate> per CPU-second)
 * The second rate divides by the process's CPU time, so it is the one to
 * trust on a loaded machine.
 * To add a benchmark, write its three functions and add a row.
 *
 *   tests/bench/bench            run every benchmark
 *   tests/bench/bench NAME...    run only the named ones
 *
 * BENCH_OPS=N in the environment runs exactly N operations (rounded up to
 * a batch) instead of BENCH_SECONDS: for counting instructions, which on
 * the shared, loaded development VM are steadier than any clock, e.g.
 *   BENCH_OPS=1024 valgrind --tool=callgrind tests/bench/bench presign
 * and again with 6144; the difference / 5120 is one operation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cognito.h"
#include "jwks_cache.h"
#include "limit.h"
#include "mint.h"
#include "route.h"
#include "sigv4.h"

#define BENCH_SECONDS	1.5
#define BENCH_BATCH	64

struct bench {
	const char	*name;
	const char	*unit;
	/* Prepare *ctx; non-zero on failure. */
	int		(*setup)(void **ctx);
	/* One operation; i counts from 0.  Non-zero on failure. */
	int		(*op)(void *ctx, unsigned long i);
	void		(*teardown)(void *ctx);
};

/* ------------------------------------------------------------- presign */

/*
 * What the API does for every audio chunk: build the chunk key and presign
 * a PUT that signs its content type and server-side encryption and carries
 * the three x-amz-meta-* in its signed query (the AWS SDK presigner's
 * shape), for virtual-hosted S3, with the signing key cached (one signer
 * per worker).
 */
struct bench_presign {
	struct sigv4_signer	*sg;
	time_t			 now;
};

static int
bench_presign_setup(void **ctx)
{
	struct bench_presign *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	if (sigv4_signer_new(&b->sg, "AKIAIOSFODNN7EXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL) != ERR_OK) {
		free(b);
		return -1;
	}
	b->now = time(NULL);
	*ctx = b;
	return 0;
}

/* hoisted 0: the shape before 2026-12-04, for comparison: the metadata
 * signed as headers too. */
static int
bench_presign_run(void *ctx, unsigned long i, int hoisted)
{
	struct bench_presign *b = ctx;
	struct sigv4_header h[] = { { "Content-Type", "audio/webm" },
		{ "x-amz-server-side-encryption", "AES256" },
		{ "x-amz-meta-user-id", "3f1c9a2e-7b4d-4e8a-9c61-0d2b5e8f7a13" },
		{ "x-amz-meta-session-id", "b7e2d4c1-58a9-4f3e-a1d6-92c0e4b7f815" },
		{ "x-amz-meta-seq", NULL } };
	struct sigv4_header *meta = &h[2];
	char key[LIMIT_S3_KEY_BYTES + 1], *url = NULL;
	struct sigv4_url_req r;
	unsigned long seq = i % 100000;
	char seqs[24];
	int n;

	n = snprintf(key, sizeof(key), "users/"
	    "3f1c9a2e-7b4d-4e8a-9c61-0d2b5e8f7a13/audio/sessions/"
	    "b7e2d4c1-58a9-4f3e-a1d6-92c0e4b7f815/chunks/"
	    "%05lu-%06lu-%06lu.webm", seq, seq * 3000, seq * 3000 + 3000);
	if (n < 0 || (size_t)n >= sizeof(key))
		return -1;
	snprintf(seqs, sizeof(seqs), "%lu", seq);
	meta[2].value = seqs;
	memset(&r, 0, sizeof(r));
	r.endpoint = "https://s3.eu-west-1.amazonaws.com";
	r.bucket = "audio-capture-chunks";
	r.key = key;
	r.addressing = S3LOC_VIRTUAL_HOSTED;
	r.method = "PUT";
	r.region = "eu-west-1";
	r.headers = h;
	r.nheaders = hoisted ? 2 : 5;
	r.hoist = hoisted ? meta : NULL;
	r.nhoist = hoisted ? 3 : 0;
	r.now = b->now;
	r.expires = LIMIT_PRESIGN_EXPIRES_DEFAULT;
	if (sigv4_presign_url(b->sg, &r, &url) != ERR_OK)
		return -1;
	free(url);
	return 0;
}

static int
bench_presign_op(void *ctx, unsigned long i)
{
	return bench_presign_run(ctx, i, 1);
}

static int
bench_presign_headers_op(void *ctx, unsigned long i)
{
	return bench_presign_run(ctx, i, 0);
}

static void
bench_presign_teardown(void *ctx)
{
	struct bench_presign *b = ctx;

	if (b == NULL)
		return;
	sigv4_signer_free(b->sg);
	free(b);
}

/* ---------------------------------------------------------- jwt verify */

/*
 * What both programs do for every request / upgrade: verify a Cognito ID
 * token (RS256, 2048-bit key) with the key set already cached, including
 * the header and claims checks.  The JWKS comes from an in-memory fetch, so
 * only the first lookup "fetches".
 */
struct bench_jwt {
	EVP_PKEY		*key;
	char			*jwks;
	char			*token;
	size_t			 token_len;
	struct cognito		*cg;
	time_t			 now;
};

static enum err
bench_jwt_fetch(void *arg, const char *url, long timeout_ms, size_t max,
    char **body, size_t *len)
{
	struct bench_jwt *b = arg;

	(void)url;
	(void)timeout_ms;
	(void)max;
	*len = strlen(b->jwks);
	*body = strdup(b->jwks);
	return *body == NULL ? ERR_NOMEM : ERR_OK;
}

static int
bench_jwt_setup(void **ctx)
{
	static const char *iss =
	    "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Bench";
	struct jwks_cache_conf kc = { "https://bench/jwks.json",
	    LIMIT_JWKS_TTL_DEFAULT, LIMIT_JWKS_REFETCH_SECONDS, 1000 };
	struct cognito_conf conf;
	struct jwks_cache *keys = NULL;
	struct bench_jwt *b;
	const char *kid = "bench-kid";

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	*ctx = b;
	b->now = time(NULL);
	if ((b->key = mint_keygen(2048)) == NULL ||
	    (b->jwks = mint_jwks(&b->key, &kid, 1)) == NULL ||
	    (b->token = mint_token(b->key, kid, iss, "bench-client",
	    "3f1c9a2e-7b4d-4e8a-9c61-0d2b5e8f7a13", "id", b->now, 3600,
	    "bench@example.com")) == NULL)
		return -1;
	b->token_len = strlen(b->token);
	cognito_conf_defaults(&conf);
	conf.issuer = iss;
	conf.client_ids = "bench-client";
	if (jwks_cache_new(&kc, bench_jwt_fetch, b, NULL, NULL, &keys) !=
	    ERR_OK || cognito_new_with_keys(&conf, keys, &b->cg) != ERR_OK)
		return -1;
	return 0;
}

static int
bench_jwt_op(void *ctx, unsigned long i)
{
	struct bench_jwt *b = ctx;
	struct cognito_identity id;
	const char *why;

	(void)i;
	return cognito_verify(b->cg, b->token, b->token_len, b->now, &id,
	    &why) == ERR_OK ? 0 : -1;
}

static void
bench_jwt_teardown(void *ctx)
{
	struct bench_jwt *b = ctx;

	if (b == NULL)
		return;
	cognito_free(b->cg);
	free(b->token);
	free(b->jwks);
	EVP_PKEY_free(b->key);
	free(b);
}

/* --------------------------------------------------------------- route */

/*
 * What every request does first: match its method and REQUEST_URI to a
 * route (lib/storage/route.c).  The mix is the API's traffic: mostly
 * presign and complete, some of the rest, one 404 and one 405.
 */
#define BENCH_SID	"session-1764093600123-0b6e8a34-5c1d-4e2f-8a9b-0c1d2e3f4a5b"

static const struct {
	const char	*method, *uri;
	enum err	 want;
} bench_route_reqs[] = {
	{ "POST", ROUTE_PREFIX "/sessions/" BENCH_SID "/chunks/presign",
	    ERR_OK },
	{ "POST", ROUTE_PREFIX "/sessions/" BENCH_SID "/chunks/complete",
	    ERR_OK },
	{ "POST", ROUTE_PREFIX "/sessions/" BENCH_SID "/chunks/presign",
	    ERR_OK },
	{ "POST", ROUTE_PREFIX "/sessions/" BENCH_SID "/chunks/complete",
	    ERR_OK },
	{ "PUT", ROUTE_PREFIX "/sessions/" BENCH_SID "/manifest", ERR_OK },
	{ "GET", ROUTE_PREFIX "/sessions?limit=20&cursor=abc", ERR_OK },
	{ "GET", ROUTE_PREFIX "/healthz", ERR_OK },
	{ "GET", ROUTE_PREFIX "/nowhere", ERR_NOT_FOUND },
	{ "GET", ROUTE_PREFIX "/sessions/" BENCH_SID "/finalize", ERR_METHOD },
};

static int
bench_route_setup(void **ctx)
{
	*ctx = (void *)bench_route_reqs;
	return 0;
}

static int
bench_route_op(void *ctx, unsigned long i)
{
	size_t k = i % (sizeof(bench_route_reqs) / sizeof(bench_route_reqs[0]));
	struct route_match m;

	(void)ctx;
	return route_match(bench_route_reqs[k].method, bench_route_reqs[k].uri,
	    &m) == bench_route_reqs[k].want ? 0 : -1;
}

static void
bench_route_teardown(void *ctx)
{
	(void)ctx;
}

/* ---------------------------------------------------------------- runner */

static const struct bench bench_table[] = {
	{ "presign", "URLs/s", bench_presign_setup, bench_presign_op,
	    bench_presign_teardown },
	{ "presign-metadata-as-headers", "URLs/s", bench_presign_setup,
	    bench_presign_headers_op, bench_presign_teardown },
	{ "jwt-verify", "tokens/s (keys cached)", bench_jwt_setup,
	    bench_jwt_op, bench_jwt_teardown },
	{ "route", "requests/s", bench_route_setup, bench_route_op,
	    bench_route_teardown },
};

static double
bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench_run(const struct bench *b, unsigned long fixed_ops)
{
	void *ctx = NULL;
	unsigned long ops = 0, k;
	double start, cpu_start, elapsed = 0, cpu;
	int rc = -1;

	if (b->setup(&ctx) != 0) {
		fprintf(stderr, "bench: %s: setup failed\n", b->name);
		goto out;
	}
	start = bench_clock(CLOCK_MONOTONIC);
	cpu_start = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (k = 0; k < BENCH_BATCH; k++, ops++)
			if (b->op(ctx, ops) != 0) {
				fprintf(stderr, "bench: %s: operation %lu "
				    "failed\n", b->name, ops);
				goto out;
			}
		elapsed = bench_clock(CLOCK_MONOTONIC) - start;
	} while (fixed_ops > 0 ? ops < fixed_ops : elapsed < BENCH_SECONDS);
	cpu = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
	printf("%s: %.0f %s (%lu ops in %.2f s, %.0f per CPU-second)\n",
	    b->name, (double)ops / elapsed, b->unit, ops, elapsed,
	    cpu > 0 ? (double)ops / cpu : 0.0);
	rc = 0;
out:
	if (ctx != NULL)
		b->teardown(ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t i;
	int j, want, failed = 0, ran = 0;
	unsigned long fixed_ops = 0;
	const char *env;
	char *end = NULL;

	if ((env = getenv("BENCH_OPS")) != NULL && *env != '\0') {
		errno = 0;
		fixed_ops = strtoul(env, &end, 10);
		if (errno != 0 || *end != '\0' || fixed_ops == 0 ||
		    fixed_ops > 1000000000UL) {
			fprintf(stderr, "bench: BENCH_OPS must be 1..1e9\n");
			return 2;
		}
	}
	for (i = 0; i < sizeof(bench_table) / sizeof(bench_table[0]); i++) {
		want = argc < 2;
		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], bench_table[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		ran++;
		if (bench_run(&bench_table[i], fixed_ops) != 0)
			failed++;
	}
	if (ran == 0) {
		fprintf(stderr, "bench: no benchmark named so\n");
		return 2;
	}
	return failed == 0 ? 0 : 1;
}
