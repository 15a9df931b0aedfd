/*
 * test_journal_fence.c: the journal keeps each session's manifest ETag
 * (sql/005), a newer revision's over an older one's, across connections.
 */
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "jfix.h"
#include "unit.h"

#define E1	"\"0cc175b9c0f1b6a831c399e269772661\""
#define E2	"\"92eb5ffee6ae2fec3ad71c777531578f\""
#define E3	"\"4a8a08f09d37b73795649038408b5f33\""

static int
tf_init(void)
{
	return jfix_init("test_journal_fence");
}

static void
a_new_session_has_no_etag(void)
{
	char path[512], etag[JOURNAL_ETAG_BYTES];
	struct journal *j;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	memset(etag, 'x', sizeof(etag));
	CU_ASSERT_EQUAL(journal_manifest_etag(j, "s", etag, sizeof(etag)),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(etag, "");
	CU_ASSERT_EQUAL(journal_manifest_etag(j, "nope", etag, sizeof(etag)),
	    ERR_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(etag, "");
	/* Recording for a session that is not there changes nothing. */
	CU_ASSERT_EQUAL(journal_manifest_etag_set(j, "nope", E1, 1), ERR_OK);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sessions"
	    " WHERE manifest_etag IS NOT NULL"), 0);
	journal_close(j);
}

static void
a_newer_revisions_etag_wins_across_connections(void)
{
	char path[512], etag[JOURNAL_ETAG_BYTES];
	struct journal *a, *b;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = jfix_open(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = jfix_open(path));
	CU_ASSERT_EQUAL(jfix_session(a, "s", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(jfix_session(a, "t", OWNER, T0), ERR_OK);
	CU_ASSERT_EQUAL(journal_manifest_etag_set(a, "s", E1, 1), ERR_OK);
	CU_ASSERT_EQUAL(journal_manifest_etag_set(b, "s", E3, 3), ERR_OK);
	/* The slow writer of revision 2 comes last: it does not win. */
	CU_ASSERT_EQUAL(journal_manifest_etag_set(a, "s", E2, 2), ERR_OK);
	CU_ASSERT_EQUAL(journal_manifest_etag(a, "s", etag, sizeof(etag)),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(etag, E3);
	/* The same revision again (a writer that found it held) does. */
	CU_ASSERT_EQUAL(journal_manifest_etag_set(b, "s", E2, 3), ERR_OK);
	CU_ASSERT_EQUAL(journal_manifest_etag(b, "s", etag, sizeof(etag)),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(etag, E2);
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT manifest_etag_revision"
	    " FROM sessions WHERE id = 's'"), 3);
	/* Per session. */
	CU_ASSERT_EQUAL(journal_manifest_etag(b, "t", etag, sizeof(etag)),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(etag, "");
	journal_close(a);
	journal_close(b);
}

static void
bad_arguments_are_refused(void)
{
	char path[512], etag[JOURNAL_ETAG_BYTES], big[JOURNAL_ETAG_BYTES + 1];
	struct journal *j;

	jfix_path(path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j = jfix_open(path));
	CU_ASSERT_EQUAL(jfix_session(j, "s", OWNER, T0), ERR_OK);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(journal_manifest_etag_set(j, "s", big, 1), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_manifest_etag_set(j, "s", "", 1), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_manifest_etag_set(j, "s", NULL, 1),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(journal_manifest_etag_set(j, "s", E1, -1),
	    ERR_INVAL);
	CU_ASSERT_EQUAL(journal_manifest_etag_set(j, NULL, E1, 1), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_manifest_etag(j, "s", NULL, 8), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_manifest_etag(j, "s", etag, 0), ERR_INVAL);
	CU_ASSERT_EQUAL(journal_manifest_etag(NULL, "s", etag, sizeof(etag)),
	    ERR_INTERNAL);	/* no connection: a caller bug */
	CU_ASSERT_EQUAL(jfix_count(path, "SELECT count(*) FROM sessions"
	    " WHERE manifest_etag IS NOT NULL"), 0);
	journal_close(j);
}

int
test_journal_fence_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("journal_fence", tf_init, jfix_clean)) == NULL)
		return -1;
	if (CU_add_test(s, "a new session has no ETag",
	    a_new_session_has_no_etag) == NULL ||
	    CU_add_test(s, "a newer revision's ETag wins across connections",
	    a_newer_revisions_etag_wins_across_connections) == NULL ||
	    CU_add_test(s, "bad arguments are refused",
	    bad_arguments_are_refused) == NULL)
		return -1;
	return 0;
}
