/*
 * manifest_fence.h: the rules of the fenced manifest write.
 *
 * Several hosts (or a host whose write was held up in the network) may
 * write one session's manifest.json.  The journal's revision says which
 * manifest is newer, but S3 alone sees the order the writes land in, so
 * each manifest PUT is made conditional: If-Match the ETag this journal
 * last wrote, or If-None-Match: * when it never wrote one.  A PUT S3
 * refuses (412 PreconditionFailed, or 409 ConditionalRequestConflict
 * when two conditional writes race) changed nothing; the writer then
 * reads the object back (its ETag and its revision) and converges:
 *
 *   S3 holds this revision or a newer one   record that; write nothing
 *   S3 holds an older or a foreign manifest write again, If-Match the
 *                                           ETag just read
 *   the object is gone                      write again, If-None-Match: *
 *
 * with a bound on the rounds (fcgi/deliver_manifest.c does the I/O).
 * These functions are that decision and the reading of what S3 answered:
 * no I/O, untrusted input bounded, fuzzed (tests/fuzz/fuzz_manifest_fence.c).
 */
#ifndef MANIFEST_FENCE_H
#define MANIFEST_FENCE_H

#include <stddef.h>
#include <stdint.h>

/* The largest manifest read back: LIMIT_CHUNKS_PER_SESSION chunks of
 * about 400 bytes each fit; a larger object is not one we wrote. */
#define MANIFEST_FENCE_READ_MAX	(64 * 1024 * 1024)

/*
 * The revision of the manifest in buf[0..len): its top-level "revision",
 * a non-negative integer, if its "sessionId" is session_id.  -1 for
 * anything else (not JSON, another session's, no revision, over
 * MANIFEST_FENCE_READ_MAX): a manifest that is not ours is older than any
 * of ours.
 */
int64_t		manifest_fence_revision(const char *buf, size_t len,
		    const char *session_id);

/* 1 if etag can go back in If-Match: "..." or W/"..." of printable ASCII
 * without another quote, at most LIMIT_S3_ETAG_BYTES; else 0 (s3meta
 * stores "?" for a value it would not keep). */
int		manifest_fence_etag_ok(const char *etag);

enum manifest_fence_step {
	MANIFEST_FENCE_HELD = 0,	/* S3 holds revision or newer */
	MANIFEST_FENCE_REPLACE,		/* write again, If-Match its ETag */
	MANIFEST_FENCE_CREATE,		/* gone: write again, If-None-Match */
};

/* What to do after a refused write of revision, given what the read back
 * found: found 0 (404), or s3_revision (manifest_fence_revision()). */
enum manifest_fence_step manifest_fence_next(int found, int64_t s3_revision,
		    int64_t revision);

/*
 * HELD: the revision to record as synced.  S3 holds s3_revision >=
 * revision; the journal is at journal_revision.  What S3 holds covers the
 * journal up to the smaller of the two (a journal behind S3 -- it lost
 * commits -- is covered up to its newest), never less than revision.
 */
int64_t		manifest_fence_synced(int64_t s3_revision, int64_t revision,
		    int64_t journal_revision);

#endif /* MANIFEST_FENCE_H */
