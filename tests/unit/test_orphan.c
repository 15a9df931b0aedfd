/*
 * test_orphan.c: the orphan sweep's judgement (lib/storage/orphan.c): the
 * journal's objects are never deleted, orphans only once old enough.
 */
#include <stdio.h>
#include <string.h>

#include "orphan.h"
#include "unit.h"

#define NOW	1796383998000LL
#define HOUR	3600000LL
#define KEY1	"users/u1/audio/sessions/s1/chunks/00001-000000-005000.webm"
#define KEY1B	"users/u1/audio/sessions/s1/chunks/00001-000000-004000.webm"
#define KEY2	"users/u1/audio/sessions/s1/chunks/00002-005000-010000.webm"
#define MAN1	"users/u1/audio/sessions/s1/manifest.json"

static const struct orphan_rules rules = {
	.now_ms = NOW, .min_age_ms = 24 * HOUR, .grace_ms = HOUR,
	.slack_ms = 30000,
};

/* Judge key, modified age_ms ago with size bytes, against f. */
static enum orphan_verdict
judge(const char *key, int64_t size, int64_t age_ms,
    const struct journal_sweep_facts *f)
{
	struct orphan_object o = { key, size, age_ms < 0 ? -1 : NOW - age_ms,
	    "\"5d41402abc4b2a76b9719d911017c592\"" };
	struct orphan_where w;
	const char *why = NULL;
	enum orphan_verdict v;

	orphan_where(key, &w);
	v = orphan_judge(&o, &w, f, &rules, &why);
	CU_ASSERT_PTR_NOT_NULL(why);
	return v;
}

/* A live session of u1 whose seq 1 is completed as KEY1 (10 bytes). */
static struct journal_sweep_facts
live(void)
{
	struct journal_sweep_facts f;

	memset(&f, 0, sizeof(f));
	f.session = 1;
	snprintf(f.owner, sizeof(f.owner), "u1");
	f.chunk = 1;
	snprintf(f.chunk_key, sizeof(f.chunk_key), "%s", KEY1);
	f.chunk_bytes = 10;
	return f;
}

static void
where_splits_our_keys_only(void)
{
	struct orphan_where w;

	orphan_where(KEY2, &w);
	CU_ASSERT(w.ours);
	CU_ASSERT_EQUAL(w.kind, S3KEY_CHUNK);
	CU_ASSERT_STRING_EQUAL(w.sub, "u1");
	CU_ASSERT_STRING_EQUAL(w.session, "s1");
	CU_ASSERT_EQUAL(w.seq, 2);
	orphan_where(MAN1, &w);
	CU_ASSERT(w.ours && w.kind == S3KEY_MANIFEST && w.seq == 0);
	orphan_where("users/u1/notes.txt", &w);
	CU_ASSERT(!w.ours);
	orphan_where("users/u1/audio/sessions/s1/chunks/1-0-5000.webm", &w);
	CU_ASSERT(!w.ours);
}

static void
known_objects_are_never_deleted(void)
{
	struct journal_sweep_facts f = live();

	/* However old. */
	CU_ASSERT_EQUAL(judge(KEY1, 10, 1000 * HOUR, &f), ORPHAN_KNOWN);
	CU_ASSERT_EQUAL(judge(MAN1, 400, 1000 * HOUR, &f), ORPHAN_KNOWN);
	/* A changed size or ETag is reported, not deleted. */
	CU_ASSERT_EQUAL(judge(KEY1, 11, 1000 * HOUR, &f), ORPHAN_MISMATCH);
	snprintf(f.chunk_etag, sizeof(f.chunk_etag),
	    "\"5d41402abc4b2a76b9719d911017c592\"");
	CU_ASSERT_EQUAL(judge(KEY1, 10, 1000 * HOUR, &f), ORPHAN_KNOWN);
	snprintf(f.chunk_etag, sizeof(f.chunk_etag), "\"other\"");
	CU_ASSERT_EQUAL(judge(KEY1, 10, 1000 * HOUR, &f), ORPHAN_MISMATCH);
	f.chunk_etag[0] = '\0';	/* verified before sql/007: size only */
	CU_ASSERT_EQUAL(judge(KEY1, 10, 1000 * HOUR, &f), ORPHAN_KNOWN);
	/* A session being deleted: its deletion empties the prefix. */
	f.deleting = 1;
	CU_ASSERT_EQUAL(judge(KEY2, 10, 1000 * HOUR, &f), ORPHAN_KEEP);
	memset(&f, 0, sizeof(f));
	f.deletion = 1;		/* purged, tombstone left */
	CU_ASSERT_EQUAL(judge(KEY2, 10, 1000 * HOUR, &f), ORPHAN_KEEP);
}

static void
a_chunk_with_a_live_upload_url_is_kept(void)
{
	struct journal_sweep_facts f = live();

	f.chunk = 0;
	/* URL expired 30 min ago: within the hour's grace. */
	f.seq_expires_ms = NOW - HOUR / 2;
	CU_ASSERT_EQUAL(judge(KEY1, 10, 1000 * HOUR, &f), ORPHAN_KEEP);
	/* Expired two hours ago: a chunk never completed. */
	f.seq_expires_ms = NOW - 2 * HOUR;
	CU_ASSERT_EQUAL(judge(KEY1, 10, 1000 * HOUR, &f), ORPHAN_DELETE);
	/* Never presigned at all. */
	f.seq_expires_ms = 0;
	CU_ASSERT_EQUAL(judge(KEY1, 10, 1000 * HOUR, &f), ORPHAN_DELETE);
}

static void
orphans_are_deleted_only_when_old_enough(void)
{
	struct journal_sweep_facts none, f = live();

	memset(&none, 0, sizeof(none));
	/* No session (a PUT after the delete and its tombstone). */
	CU_ASSERT_EQUAL(judge(KEY2, 5, 25 * HOUR, &none), ORPHAN_DELETE);
	CU_ASSERT_EQUAL(judge(KEY2, 5, 23 * HOUR, &none), ORPHAN_YOUNG);
	/* Without a LastModified: never. */
	CU_ASSERT_EQUAL(judge(KEY2, 5, -1, &none), ORPHAN_YOUNG);
	/* Not a key the API writes. */
	CU_ASSERT_EQUAL(judge("users/u1/x", 5, 25 * HOUR, &none),
	    ORPHAN_DELETE);
	/* Another key for a completed seq (other times). */
	CU_ASSERT_EQUAL(judge(KEY1B, 10, 25 * HOUR, &f), ORPHAN_DELETE);
	/* Under another user than the session's owner. */
	snprintf(f.owner, sizeof(f.owner), "u2");
	CU_ASSERT_EQUAL(judge(KEY1, 10, 25 * HOUR, &f), ORPHAN_DELETE);
}

int
test_orphan_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("orphan", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "where splits our keys only",
	    where_splits_our_keys_only) == NULL ||
	    CU_add_test(s, "known objects are never deleted",
	    known_objects_are_never_deleted) == NULL ||
	    CU_add_test(s, "a chunk with a live upload URL is kept",
	    a_chunk_with_a_live_upload_url_is_kept) == NULL ||
	    CU_add_test(s, "orphans are deleted only when old enough",
	    orphans_are_deleted_only_when_old_enough) == NULL)
		return -1;
	return 0;
}
