/* test_tokcache.c: the verified-token cache of lib/storage/tokcache.c. */
#include <stdio.h>
#include <string.h>

#include "tokcache.h"
#include "unit.h"

static struct cognito_identity
ident(const char *sub, long long exp)
{
	struct cognito_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.sub, sizeof(id.sub), "%s", sub);
	id.token_use = COGNITO_USE_ID;
	id.exp = exp;
	return id;
}

static void
test_tokcache_hit_returns_the_stored_identity(void)
{
	struct tokcache *c = NULL;
	struct cognito_identity in = ident("alice", 2000), out;
	const char tok[] = "aaa.bbb.ccc";

	CU_ASSERT_EQUAL_FATAL(tokcache_new(8, 60, &c), ERR_OK);
	CU_ASSERT_EQUAL(tokcache_get(c, tok, strlen(tok), 1000, &out), 0);
	CU_ASSERT_EQUAL(tokcache_put(c, tok, strlen(tok), 1000, &in), ERR_OK);
	memset(&out, 0, sizeof(out));
	CU_ASSERT_EQUAL(tokcache_get(c, tok, strlen(tok), 1001, &out), 1);
	CU_ASSERT_STRING_EQUAL(out.sub, "alice");
	tokcache_free(c);
}

static void
test_tokcache_needs_the_exact_token(void)
{
	struct tokcache *c = NULL;
	struct cognito_identity in = ident("alice", 2000), out;
	const char tok[] = "aaa.bbb.ccc";

	CU_ASSERT_EQUAL_FATAL(tokcache_new(1, 60, &c), ERR_OK);
	tokcache_put(c, tok, strlen(tok), 1000, &in);
	/* one slot: every token lands on the stored one */
	CU_ASSERT_EQUAL(tokcache_get(c, "aaa.bbb.ccd", 11, 1001, &out), 0);
	CU_ASSERT_EQUAL(tokcache_get(c, "aaa.bbb.cc", 10, 1001, &out), 0);
	CU_ASSERT_EQUAL(tokcache_get(c, "aaa.bbb.ccc ", 12, 1001, &out), 0);
	CU_ASSERT_EQUAL(tokcache_get(c, tok, strlen(tok), 1001, &out), 1);
	tokcache_free(c);
}

static void
test_tokcache_expired_token_misses(void)
{
	struct tokcache *c = NULL;
	struct cognito_identity in = ident("alice", 1010), out;
	const char tok[] = "t";

	CU_ASSERT_EQUAL_FATAL(tokcache_new(4, 60, &c), ERR_OK);
	tokcache_put(c, tok, 1, 1000, &in);
	CU_ASSERT_EQUAL(tokcache_get(c, tok, 1, 1009, &out), 1);
	CU_ASSERT_EQUAL(tokcache_get(c, tok, 1, 1010, &out), 0);
	/* and the entry is gone, not just skipped */
	CU_ASSERT_EQUAL(tokcache_get(c, tok, 1, 1009, &out), 0);
	tokcache_free(c);
}

static void
test_tokcache_entry_older_than_ttl_misses(void)
{
	struct tokcache *c = NULL;
	struct cognito_identity in = ident("alice", 99999), out;

	CU_ASSERT_EQUAL_FATAL(tokcache_new(4, 60, &c), ERR_OK);
	tokcache_put(c, "t", 1, 1000, &in);
	CU_ASSERT_EQUAL(tokcache_get(c, "t", 1, 1059, &out), 1);
	CU_ASSERT_EQUAL(tokcache_get(c, "t", 1, 1060, &out), 0);
	tokcache_put(c, "t", 1, 2000, &in);
	/* a clock that went backwards does not extend an entry */
	CU_ASSERT_EQUAL(tokcache_get(c, "t", 1, 1999, &out), 0);
	tokcache_free(c);
}

static void
test_tokcache_collision_evicts(void)
{
	struct tokcache *c = NULL;
	struct cognito_identity a = ident("alice", 9999), b = ident("bob", 9999);
	struct cognito_identity out;

	CU_ASSERT_EQUAL_FATAL(tokcache_new(1, 60, &c), ERR_OK);
	tokcache_put(c, "tokA", 4, 1000, &a);
	tokcache_put(c, "tokB", 4, 1000, &b);
	CU_ASSERT_EQUAL(tokcache_get(c, "tokA", 4, 1001, &out), 0);
	CU_ASSERT_EQUAL(tokcache_get(c, "tokB", 4, 1001, &out), 1);
	CU_ASSERT_STRING_EQUAL(out.sub, "bob");
	tokcache_free(c);
}

static void
test_tokcache_refuses_bad_sizes(void)
{
	struct tokcache *c = NULL;

	CU_ASSERT_EQUAL(tokcache_new(0, 60, &c), ERR_INVAL);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(tokcache_new(TOKCACHE_SLOTS_MAX + 1, 60, &c), ERR_INVAL);
	CU_ASSERT_EQUAL(tokcache_new(4, 0, &c), ERR_INVAL);
	tokcache_free(NULL);
	CU_ASSERT_EQUAL(tokcache_get(NULL, "t", 1, 1, NULL), 0);
}

int
test_tokcache_suite(void)
{
	CU_pSuite s = CU_add_suite("tokcache", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "hit returns the stored identity",
	    test_tokcache_hit_returns_the_stored_identity) ||
	    !CU_add_test(s, "needs the exact token",
	    test_tokcache_needs_the_exact_token) ||
	    !CU_add_test(s, "expired token misses",
	    test_tokcache_expired_token_misses) ||
	    !CU_add_test(s, "entry older than ttl misses",
	    test_tokcache_entry_older_than_ttl_misses) ||
	    !CU_add_test(s, "collision evicts", test_tokcache_collision_evicts) ||
	    !CU_add_test(s, "refuses bad sizes", test_tokcache_refuses_bad_sizes))
		return -1;
	return 0;
}
