/*
 * test_jwks.c: JWKS parsing (lib/jwks.c), the cache's fetch rules
 * (lib/jwks_cache.c, with an injected fetch and clock) and the libcurl
 * fetcher (lib/jwks_fetch.c, against file:// and a loopback HTTP server on
 * $JWKS_TEST_PORT, default 18400).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "jwks.h"
#include "jwks_cache.h"
#include "jwks_fetch.h"
#include "mint.h"
#include "unit.h"

static EVP_PKEY *key_a, *key_b, *key_small;
static char *jwks_a;		/* {"keys":[kA]} */
static char *jwks_ab;		/* {"keys":[kA,kB]} */

static int
jwks_suite_init(void)
{
	EVP_PKEY *ab[2];
	const char *kids[2] = { "kA", "kB" };

	key_a = mint_keygen(2048);
	key_b = mint_keygen(2048);
	key_small = mint_keygen(1024);
	if (key_a == NULL || key_b == NULL || key_small == NULL)
		return -1;
	ab[0] = key_a;
	ab[1] = key_b;
	jwks_a = mint_jwks(ab, kids, 1);
	jwks_ab = mint_jwks(ab, kids, 2);
	return jwks_a == NULL || jwks_ab == NULL ? -1 : 0;
}

static int
jwks_suite_clean(void)
{
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	EVP_PKEY_free(key_small);
	free(jwks_a);
	free(jwks_ab);
	return 0;
}

static struct jwks *
parse_ok(const char *doc)
{
	struct jwks *set = NULL;

	CU_ASSERT_EQUAL_FATAL(jwks_parse(doc, strlen(doc), &set), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	return set;
}

static void
test_jwks_parses_keys_into_equal_public_keys(void)
{
	struct jwks *set = parse_ok(jwks_ab);
	const struct jwks_key *a, *b;

	CU_ASSERT_EQUAL(set->nkeys, 2);
	CU_ASSERT_EQUAL(set->nskipped, 0);
	a = jwks_find(set, "kA");
	b = jwks_find(set, "kB");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NULL(jwks_find(set, "kC"));
	CU_ASSERT_PTR_NULL(jwks_find(set, "k"));
	CU_ASSERT_EQUAL(a->bits, 2048);
	/* Same public key as the one that signs. */
	CU_ASSERT_EQUAL(EVP_PKEY_eq(a->pkey, key_a), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(b->pkey, key_b), 1);
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_eq(a->pkey, key_b), 1);
	CU_ASSERT(strncmp(a->pem, "-----BEGIN PUBLIC KEY-----", 26) == 0);
	CU_ASSERT_EQUAL(strlen(a->pem), a->pem_len);
	jwks_free(set);
}

/* A JWKS with one good key and one entry built from fmt around key_b's
 * n and e; returns the parsed set.  fmt comes from the tables below. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static struct jwks *
parse_with_odd_key(const char *fmt)
{
	char *good = mint_jwk(key_a, "good"), *other = mint_jwk(key_b, "x");
	char n[1024], e[32], odd[2048], doc[4096];
	const char *p, *q;
	struct jwks *set;

	/* Pull n and e out of key_b's JWK text. */
	p = strstr(other, "\"n\":\"") + 5;
	q = strchr(p, '"');
	snprintf(n, sizeof(n), "%.*s", (int)(q - p), p);
	p = strstr(other, "\"e\":\"") + 5;
	q = strchr(p, '"');
	snprintf(e, sizeof(e), "%.*s", (int)(q - p), p);
	snprintf(odd, sizeof(odd), fmt, n, e);
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", odd, good);
	set = parse_ok(doc);
	free(good);
	free(other);
	return set;
}
#pragma GCC diagnostic pop

static void
test_jwks_skips_unusable_keys_and_keeps_good_ones(void)
{
	static const char *const odd[] = {
		"{\"kty\":\"EC\",\"kid\":\"o\",\"n\":\"%s\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"o\",\"n\":\"%s\","
		    "\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"alg\":\"RS512\",\"kid\":\"o\",\"n\":\"%s\","
		    "\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"alg\":\"HS256\",\"kid\":\"o\",\"n\":\"%s\","
		    "\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"\",\"n\":\"%s\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"a b\",\"n\":\"%s\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"kid\":7,\"n\":\"%s\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"o\",\"n\":\"%s=\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"o\",\"n\":\"+%s\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"o\",\"n\":\"%s\",\"e\":\"AAAA%.0s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"o\",\"n\":\"%s\",\"e\":\"AQ%.0s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"o\",\"n\":\"%s\",\"e\":\"AAI%.0s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"o\",\"n\":\"%.0s\",\"e\":\"%s\"}",
		"{\"kty\":\"RSA\",\"kid\":\"good\",\"n\":\"%s\",\"e\":\"%s\"}",
		"[\"%s\",\"%s\"]",
	};
	size_t i;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct jwks *set = parse_with_odd_key(odd[i]);

		CU_ASSERT_EQUAL(set->nkeys, 1);
		CU_ASSERT_EQUAL(set->nskipped, 1);
		CU_ASSERT_PTR_NOT_NULL(jwks_find(set, "good"));
		CU_ASSERT_PTR_NULL(jwks_find(set, "o"));
		if (set->nkeys != 1)
			fprintf(stderr, "odd key %zu was accepted\n", i);
		jwks_free(set);
	}
	/* Control: the same template with a sane entry is taken. */
	{
		struct jwks *set = parse_with_odd_key(
		    "{\"kty\":\"RSA\",\"kid\":\"o\",\"n\":\"%s\",\"e\":\"%s\"}");

		CU_ASSERT_EQUAL(set->nkeys, 2);
		CU_ASSERT_PTR_NOT_NULL(jwks_find(set, "o"));
		jwks_free(set);
	}
}

static void
test_jwks_refuses_rsa_keys_under_2048_bits(void)
{
	EVP_PKEY *k[1] = { key_small };
	const char *kid[1] = { "small" };
	char *doc = mint_jwks(k, kid, 1);
	struct jwks *set = parse_ok(doc);

	CU_ASSERT_EQUAL(set->nkeys, 0);
	CU_ASSERT_EQUAL(set->nskipped, 1);
	CU_ASSERT_PTR_NULL(jwks_find(set, "small"));
	jwks_free(set);
	free(doc);
}

static void
test_jwks_refuses_documents_that_are_not_a_jwks(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "{\"keys\":{}}", "{\"keys\":\"x\"}",
		"{\"nokeys\":[]}", "{\"keys\":[]} x", "{\"keys\":[]}{}",
		/* the strict entry point (lib/jsonparse.c) */
		"{\"keys\":[],\"keys\":[]}", "{\"keys\":[NaN]}",
	};
	struct jwks *set = (struct jwks *)1;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(jwks_parse(bad[i], strlen(bad[i]), &set),
		    ERR_JSON);
		CU_ASSERT_PTR_NULL(set);
	}
	/* An embedded NUL is not JSON either. */
	CU_ASSERT_EQUAL(jwks_parse("{\"keys\":[]}\0", 12, &set), ERR_JSON);
	/* Empty but well-formed is a set with nothing in it. */
	CU_ASSERT_EQUAL(jwks_parse("{\"keys\":[]}\n", 12, &set), ERR_OK);
	CU_ASSERT_EQUAL(set->nkeys, 0);
	jwks_free(set);
}

static void
test_jwks_refuses_over_the_limits(void)
{
	size_t n = LIMIT_JWKS_BYTES + 1, i, off;
	char *big = malloc(n), *many;
	struct jwks *set = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', n);
	memcpy(big, "{\"keys\":[]}", 11);
	CU_ASSERT_EQUAL(jwks_parse(big, n, &set), ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(jwks_parse(big, n - 1, &set), ERR_OK);
	jwks_free(set);
	free(big);

	/* LIMIT_JWKS_KEYS + 1 entries. */
	many = malloc(16 * (LIMIT_JWKS_KEYS + 2) + 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(many);
	off = (size_t)sprintf(many, "{\"keys\":[");
	for (i = 0; i <= LIMIT_JWKS_KEYS; i++)
		off += (size_t)sprintf(many + off, "%s{}", i ? "," : "");
	off += (size_t)sprintf(many + off, "]}");
	CU_ASSERT_EQUAL(jwks_parse(many, off, &set), ERR_TOO_LARGE);
	free(many);
}

static void
test_jwks_set_outlives_its_other_references(void)
{
	struct jwks *set = parse_ok(jwks_a), *again = jwks_ref(set);
	const struct jwks_key *k = jwks_find(again, "kA");

	CU_ASSERT_PTR_EQUAL(again, set);
	jwks_free(set);
	/* Still usable through the second reference (ASan would object). */
	CU_ASSERT_PTR_NOT_NULL(k);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(k->pkey, key_a), 1);
	jwks_free(again);
	jwks_free(NULL);
}

/* ------------------------------------------------------------- the cache */

struct fake {
	const char	*doc;		/* served body, or NULL to fail */
	enum err	 fail;
	unsigned	 calls;
	time_t		 now;
};

static enum err
fake_fetch(void *arg, const char *url, long timeout_ms, size_t max,
    char **body, size_t *len)
{
	struct fake *f = arg;

	f->calls++;
	CU_ASSERT_STRING_EQUAL(url, "https://idp.test/.well-known/jwks.json");
	CU_ASSERT_EQUAL(timeout_ms, 2000);
	CU_ASSERT_EQUAL(max, LIMIT_JWKS_BYTES);
	if (f->doc == NULL)
		return f->fail;
	*len = strlen(f->doc);
	*body = strdup(f->doc);
	return *body == NULL ? ERR_NOMEM : ERR_OK;
}

static time_t
fake_clock(void *arg)
{
	return ((struct fake *)arg)->now;
}

static struct jwks_cache *
fake_cache(struct fake *f, long ttl)
{
	struct jwks_cache_conf c = {
		"https://idp.test/.well-known/jwks.json", ttl,
		LIMIT_JWKS_REFETCH_SECONDS, 2000
	};
	struct jwks_cache *cache = NULL;

	CU_ASSERT_EQUAL_FATAL(jwks_cache_new(&c, fake_fetch, f, fake_clock, f,
	    &cache), ERR_OK);
	return cache;
}

/* Look kid up; returns the error and drops the reference. */
static enum err
cache_get(struct jwks_cache *c, const char *kid)
{
	struct jwks *set = NULL;
	const struct jwks_key *key = NULL;
	enum err rc = jwks_cache_get(c, kid, &set, &key);

	CU_ASSERT_EQUAL(rc == ERR_OK, set != NULL && key != NULL);
	if (key != NULL)
		CU_ASSERT_STRING_EQUAL(key->kid, kid);
	jwks_free(set);
	return rc;
}

static void
test_jwks_cache_fetches_once_then_serves_until_ttl(void)
{
	struct fake f = { jwks_a, ERR_OK, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 300);

	CU_ASSERT_EQUAL(f.calls, 0);		/* lazy */
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.now = 1299;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.now = 1300;				/* TTL reached */
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	CU_ASSERT_EQUAL(jwks_cache_fetches(c), 2);
	jwks_cache_free(c);
}

static void
test_jwks_cache_refetches_unknown_kid_at_most_every_10s(void)
{
	struct fake f = { jwks_a, ERR_OK, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 3600);

	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 1);
	/* Unknown kid just after the first fetch: within 10 s, no fetch. */
	f.now = 1005;
	CU_ASSERT_EQUAL(cache_get(c, "kX"), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.now = 1010;
	CU_ASSERT_EQUAL(cache_get(c, "kX"), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.calls, 2);
	/* A flood of made-up kids inside the window: still one fetch. */
	f.now = 1011;
	CU_ASSERT_EQUAL(cache_get(c, "kY"), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(cache_get(c, "kZ"), ERR_NOT_FOUND);
	f.now = 1019;
	CU_ASSERT_EQUAL(cache_get(c, "kX"), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.calls, 2);
	/* Known kids keep working meanwhile, without fetching. */
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	jwks_cache_free(c);
}

static void
test_jwks_cache_picks_up_a_rotated_key(void)
{
	struct fake f = { jwks_a, ERR_OK, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 3600);

	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	/* The pool rotates: kB appears.  Too soon after the first fetch. */
	f.doc = jwks_ab;
	f.now = 1003;
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.now = 1013;
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	/* kA retired: still served until the TTL says to look again. */
	f.doc = jwks_a;
	f.now = 1020;
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	jwks_cache_free(c);
}

static void
test_jwks_cache_keeps_last_good_set_when_fetch_fails(void)
{
	struct fake f = { jwks_a, ERR_OK, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 60);

	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	f.doc = NULL;
	f.fail = ERR_UNAVAILABLE;
	f.now = 1060;				/* expired; fetch fails */
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	/* Failing endpoint is not hammered: next try after 10 s. */
	f.now = 1065;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	f.now = 1070;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 3);
	/* A body that is not a JWKS, or has no usable key, is a failure too. */
	f.doc = "<html>oops</html>";
	f.now = 1080;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 4);
	f.doc = "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\"}]}";
	f.now = 1090;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 5);
	/* Recovery replaces the set. */
	f.doc = jwks_ab;
	f.now = 1100;
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 6);
	jwks_cache_free(c);
}

static void
test_jwks_cache_background_never_fetches_inline(void)
{
	struct fake f = { jwks_a, ERR_OK, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 60);

	jwks_cache_set_background(c);
	/* No set yet: retry later, and a fetch is asked for, not made. */
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(f.calls, 0);
	CU_ASSERT_EQUAL(jwks_cache_refresh(c), 1);
	CU_ASSERT_EQUAL(f.calls, 1);
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(jwks_cache_refresh(c), 0);	/* fresh, unasked */
	/* Stale: the old set serves while the refresher fetches. */
	f.now = 1060;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 1);
	CU_ASSERT_EQUAL(jwks_cache_refresh(c), 1);
	CU_ASSERT_EQUAL(f.calls, 2);
	/* A rotation: the new kid is "retry soon" until the fetch is in. */
	f.doc = jwks_ab;
	f.now = 1075;
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(f.calls, 2);
	CU_ASSERT_EQUAL(jwks_cache_refresh(c), 1);
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_OK);
	/* Made-up kids inside the rate limit: refused, nothing fetched. */
	f.now = 1078;
	CU_ASSERT_EQUAL(cache_get(c, "kX"), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(jwks_cache_refresh(c), 0);
	CU_ASSERT_EQUAL(f.calls, 3);
	jwks_cache_free(c);
}

/* A fetch that blocks until released, to show lookups do not wait. */
struct gate {
	struct fake	 f;
	volatile int	 hold;
	volatile int	 entered;
};

static enum err
gate_fetch(void *arg, const char *url, long timeout_ms, size_t max,
    char **body, size_t *len)
{
	struct gate *g = arg;

	(void)url;
	(void)timeout_ms;
	(void)max;
	g->entered = 1;
	while (g->hold)
		usleep(1000);
	*len = strlen(g->f.doc);
	*body = strdup(g->f.doc);
	return *body == NULL ? ERR_NOMEM : ERR_OK;
}

static void
test_jwks_cache_refresher_thread_does_not_block_lookups(void)
{
	struct jwks_cache_conf cc = {
		"https://idp.test/.well-known/jwks.json", 60,
		LIMIT_JWKS_REFETCH_SECONDS, 2000
	};
	struct gate g = { { jwks_a, ERR_OK, 0, 1000 }, 0, 0 };
	struct jwks_cache *c = NULL;
	int i;

	CU_ASSERT_EQUAL_FATAL(jwks_cache_new(&cc, gate_fetch, &g, fake_clock,
	    &g.f, &c), ERR_OK);
	CU_ASSERT_EQUAL(jwks_cache_warm(c), ERR_OK);
	/* The set goes stale and the network hangs. */
	g.f.now = 1060;
	g.hold = 1;
	g.entered = 0;
	CU_ASSERT_EQUAL_FATAL(jwks_cache_start_refresher(c), ERR_OK);
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);	/* asks, no wait */
	for (i = 0; i < 3000 && !g.entered; i++)
		usleep(1000);
	CU_ASSERT_FATAL(g.entered);
	/* While the refresher waits on the network, lookups answer. */
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(cache_get(c, "kX"), ERR_NOT_FOUND);
	g.f.doc = jwks_ab;
	g.hold = 0;
	for (i = 0; i < 3000 && cache_get(c, "kB") != ERR_OK; i++)
		usleep(1000);
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_OK);
	CU_ASSERT_EQUAL(jwks_cache_fetches(c), 2);
	jwks_cache_free(c);		/* stops and joins the thread */
}

static void
test_jwks_cache_without_any_good_set_is_unavailable(void)
{
	struct fake f = { NULL, ERR_UPSTREAM, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 60);

	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.now = 1009;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.doc = jwks_a;
	f.now = 1010;
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	jwks_cache_free(c);
}

static void
test_jwks_cache_warm_fetches_only_when_empty(void)
{
	struct fake f = { NULL, ERR_UNAVAILABLE, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 60);

	CU_ASSERT_EQUAL(jwks_cache_warm(c), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.doc = jwks_a;
	f.now = 1005;			/* rate limited */
	CU_ASSERT_EQUAL(jwks_cache_warm(c), ERR_UNAVAILABLE);
	CU_ASSERT_EQUAL(f.calls, 1);
	f.now = 1010;
	CU_ASSERT_EQUAL(jwks_cache_warm(c), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	/* Holding a set, warming does nothing; lookups use it. */
	f.now = 1030;
	CU_ASSERT_EQUAL(jwks_cache_warm(c), ERR_OK);
	CU_ASSERT_EQUAL(cache_get(c, "kA"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	jwks_cache_free(c);
}

static void
test_jwks_cache_set_in_use_survives_replacement(void)
{
	struct fake f = { jwks_a, ERR_OK, 0, 1000 };
	struct jwks_cache *c = fake_cache(&f, 60);
	struct jwks *held = NULL;
	const struct jwks_key *key = NULL;

	CU_ASSERT_EQUAL_FATAL(jwks_cache_get(c, "kA", &held, &key), ERR_OK);
	f.doc = jwks_ab;
	f.now = 2000;
	CU_ASSERT_EQUAL(cache_get(c, "kB"), ERR_OK);
	CU_ASSERT_EQUAL(f.calls, 2);
	/* The old set is gone from the cache but still ours. */
	CU_ASSERT_EQUAL(EVP_PKEY_eq(key->pkey, key_a), 1);
	jwks_free(held);
	jwks_cache_free(c);
}

static void
test_jwks_cache_refuses_bad_config(void)
{
	struct jwks_cache_conf ok = { "file:///x", 60, 10, 1000 }, c;
	struct jwks_cache *cache = NULL;

	c = ok;
	c.url = "";
	CU_ASSERT_EQUAL(jwks_cache_new(&c, NULL, NULL, NULL, NULL, &cache),
	    ERR_INVAL);
	c = ok;
	c.ttl = 0;
	CU_ASSERT_EQUAL(jwks_cache_new(&c, NULL, NULL, NULL, NULL, &cache),
	    ERR_INVAL);
	c = ok;
	c.timeout_ms = LIMIT_JWKS_TIMEOUT_MS_MAX + 1;
	CU_ASSERT_EQUAL(jwks_cache_new(&c, NULL, NULL, NULL, NULL, &cache),
	    ERR_INVAL);
	CU_ASSERT_PTR_NULL(cache);
	CU_ASSERT_EQUAL(jwks_cache_new(&ok, NULL, NULL, NULL, NULL, &cache),
	    ERR_OK);
	jwks_cache_free(cache);
}

/* ----------------------------------------------------------- the fetcher */

static char *
write_tmp(const char *body, size_t len, char *path, size_t pathsz)
{
	int fd;

	snprintf(path, pathsz, "/tmp/test_jwks.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return NULL;
	if (write(fd, body, len) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	close(fd);
	return path;
}

static void
test_jwks_fetch_reads_file_urls(void)
{
	char path[64], url[96], *body = NULL;
	size_t len = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(write_tmp(jwks_ab, strlen(jwks_ab), path,
	    sizeof(path)));
	snprintf(url, sizeof(url), "file://%s", path);
	CU_ASSERT_EQUAL(jwks_fetch_url(NULL, url, 1000, LIMIT_JWKS_BYTES,
	    &body, &len), ERR_OK);
	CU_ASSERT_EQUAL(len, strlen(jwks_ab));
	CU_ASSERT(body != NULL && strcmp(body, jwks_ab) == 0);
	free(body);
	body = NULL;
	/* Over the size cap. */
	CU_ASSERT_EQUAL(jwks_fetch_url(NULL, url, 1000, 100, &body, &len),
	    ERR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(body);
	unlink(path);
	/* Gone. */
	CU_ASSERT_EQUAL(jwks_fetch_url(NULL, url, 1000, LIMIT_JWKS_BYTES,
	    &body, &len), ERR_UNAVAILABLE);
	CU_ASSERT_PTR_NULL(body);
}

static void
test_jwks_fetch_refuses_other_schemes(void)
{
	static const char *const urls[] = {
		"ftp://127.0.0.1/jwks.json", "gopher://127.0.0.1/",
		"dict://127.0.0.1/", "/etc/passwd", "",
	};
	char *body = NULL;
	size_t len, i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		CU_ASSERT_EQUAL(jwks_fetch_url(NULL, urls[i], 1000, 1000,
		    &body, &len), ERR_INVAL);
		CU_ASSERT_PTR_NULL(body);
	}
}

/* A one-connection loopback HTTP server answering with a canned reply,
 * or saying nothing at all when reply is NULL (to test the timeout). */
struct httpd {
	int		 fd;
	int		 port;
	const char	*reply;
	pthread_t	 thread;
};

static void *
httpd_main(void *arg)
{
	struct httpd *h = arg;
	char buf[4096];
	int c;

	if ((c = accept(h->fd, NULL, NULL)) < 0)
		return NULL;
	(void)read(c, buf, sizeof(buf));
	if (h->reply != NULL)
		(void)write(c, h->reply, strlen(h->reply));
	else
		(void)read(c, buf, sizeof(buf));	/* until client quits */
	close(c);
	return NULL;
}

static int
httpd_start(struct httpd *h, const char *reply)
{
	struct sockaddr_in sin;
	const char *env = getenv("JWKS_TEST_PORT");
	int one = 1;

	h->port = env != NULL ? (int)strtol(env, NULL, 10) : 18400;
	h->reply = reply;
	if ((h->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)h->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(h->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(h->fd, 1) != 0) {
		close(h->fd);
		return -1;
	}
	return pthread_create(&h->thread, NULL, httpd_main, h);
}

static void
httpd_stop(struct httpd *h)
{
	pthread_join(h->thread, NULL);
	close(h->fd);
}

static enum err
http_fetch(const char *reply, long timeout_ms, char **body, size_t *len)
{
	struct httpd h;
	char url[64];
	enum err rc;

	*body = NULL;
	if (httpd_start(&h, reply) != 0) {
		CU_FAIL("cannot listen on the JWKS test port");
		return ERR_INTERNAL;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/.well-known/jwks.json",
	    h.port);
	rc = jwks_fetch_url(NULL, url, timeout_ms, LIMIT_JWKS_BYTES, body,
	    len);
	httpd_stop(&h);
	return rc;
}

static void
test_jwks_fetch_over_http_checks_status_and_times_out(void)
{
	char *body = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(http_fetch("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n"
	    "Connection: close\r\n\r\n{\"keys\":[]}", 2000, &body, &len),
	    ERR_OK);
	CU_ASSERT(body != NULL && len == 11 &&
	    strcmp(body, "{\"keys\":[]}") == 0);
	free(body);
	CU_ASSERT_EQUAL(http_fetch("HTTP/1.1 503 Busy\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\nno", 2000, &body, &len), ERR_UPSTREAM);
	CU_ASSERT_PTR_NULL(body);
	CU_ASSERT_EQUAL(http_fetch("HTTP/1.1 302 Found\r\nLocation: "
	    "file:///etc/passwd\r\nContent-Length: 0\r\nConnection: close\r\n"
	    "\r\n", 2000, &body, &len), ERR_UPSTREAM);
	CU_ASSERT_PTR_NULL(body);
	/* A server that never answers: the fetch gives up on time. */
	CU_ASSERT_EQUAL(http_fetch(NULL, 300, &body, &len), ERR_UNAVAILABLE);
	CU_ASSERT_PTR_NULL(body);
}

int
test_jwks_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("jwks", jwks_suite_init, jwks_suite_clean)) ==
	    NULL)
		return -1;
	if (CU_add_test(s, "parses keys into equal public keys",
	    test_jwks_parses_keys_into_equal_public_keys) == NULL ||
	    CU_add_test(s, "skips unusable keys and keeps good ones",
	    test_jwks_skips_unusable_keys_and_keeps_good_ones) == NULL ||
	    CU_add_test(s, "refuses RSA keys under 2048 bits",
	    test_jwks_refuses_rsa_keys_under_2048_bits) == NULL ||
	    CU_add_test(s, "refuses documents that are not a JWKS",
	    test_jwks_refuses_documents_that_are_not_a_jwks) == NULL ||
	    CU_add_test(s, "refuses over the limits",
	    test_jwks_refuses_over_the_limits) == NULL ||
	    CU_add_test(s, "set outlives its other references",
	    test_jwks_set_outlives_its_other_references) == NULL ||
	    CU_add_test(s, "cache fetches once then serves until TTL",
	    test_jwks_cache_fetches_once_then_serves_until_ttl) == NULL ||
	    CU_add_test(s, "cache refetches unknown kid at most every 10 s",
	    test_jwks_cache_refetches_unknown_kid_at_most_every_10s) == NULL ||
	    CU_add_test(s, "cache picks up a rotated key",
	    test_jwks_cache_picks_up_a_rotated_key) == NULL ||
	    CU_add_test(s, "cache keeps last good set when fetch fails",
	    test_jwks_cache_keeps_last_good_set_when_fetch_fails) == NULL ||
	    CU_add_test(s, "cache in background mode never fetches inline",
	    test_jwks_cache_background_never_fetches_inline) == NULL ||
	    CU_add_test(s, "cache refresher thread does not block lookups",
	    test_jwks_cache_refresher_thread_does_not_block_lookups) == NULL ||
	    CU_add_test(s, "cache without any good set is unavailable",
	    test_jwks_cache_without_any_good_set_is_unavailable) == NULL ||
	    CU_add_test(s, "cache warm fetches only when empty",
	    test_jwks_cache_warm_fetches_only_when_empty) == NULL ||
	    CU_add_test(s, "cache: set in use survives replacement",
	    test_jwks_cache_set_in_use_survives_replacement) == NULL ||
	    CU_add_test(s, "cache refuses bad config",
	    test_jwks_cache_refuses_bad_config) == NULL ||
	    CU_add_test(s, "fetch reads file:// URLs",
	    test_jwks_fetch_reads_file_urls) == NULL ||
	    CU_add_test(s, "fetch refuses other schemes",
	    test_jwks_fetch_refuses_other_schemes) == NULL ||
	    CU_add_test(s, "fetch over HTTP checks status and times out",
	    test_jwks_fetch_over_http_checks_status_and_times_out) == NULL)
		return -1;
	return 0;
}
