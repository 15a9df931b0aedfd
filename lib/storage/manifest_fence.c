/*
 * manifest_fence.c: the fenced manifest write's decisions and what it
 * reads back from S3 (see manifest_fence.h).
 */
#include <string.h>

#include <json-c/json.h>

#include "jsonparse.h"
#include "limit.h"
#include "manifest_fence.h"

int64_t
manifest_fence_revision(const char *buf, size_t len, const char *session_id)
{
	json_object *doc = NULL, *rev;
	const char *sid;
	size_t sidlen;
	int64_t v = -1;

	if (buf == NULL || session_id == NULL ||
	    jsonparse_object(buf, len, MANIFEST_FENCE_READ_MAX, &doc, NULL,
	    0) != ERR_OK)
		goto out;
	sid = jsonparse_str(doc, "sessionId", &sidlen);
	if (sid == NULL || sidlen != strlen(session_id) ||
	    memcmp(sid, session_id, sidlen) != 0)
		goto out;
	if (!json_object_object_get_ex(doc, "revision", &rev) ||
	    !json_object_is_type(rev, json_type_int))
		goto out;
	/* json-c reads integers above INT64_MAX as uint64: not ours. */
	if (json_object_get_int64(rev) >= 0 &&
	    json_object_get_uint64(rev) <= (uint64_t)INT64_MAX)
		v = json_object_get_int64(rev);
out:
	json_object_put(doc);
	return v;
}

int
manifest_fence_etag_ok(const char *etag)
{
	size_t n, i, start;

	if (etag == NULL)
		return 0;
	n = strlen(etag);
	start = strncmp(etag, "W/", 2) == 0 ? 2 : 0;
	if (n > LIMIT_S3_ETAG_BYTES || n < start + 2 || etag[start] != '"' ||
	    etag[n - 1] != '"')
		return 0;
	for (i = start + 1; i < n - 1; i++)
		if ((unsigned char)etag[i] <= 0x20 ||
		    (unsigned char)etag[i] >= 0x7f || etag[i] == '"')
			return 0;
	return 1;
}

enum manifest_fence_step
manifest_fence_next(int found, int64_t s3_revision, int64_t revision)
{
	if (!found)
		return MANIFEST_FENCE_CREATE;
	if (s3_revision >= revision)
		return MANIFEST_FENCE_HELD;
	return MANIFEST_FENCE_REPLACE;
}

int64_t
manifest_fence_synced(int64_t s3_revision, int64_t revision,
    int64_t journal_revision)
{
	int64_t v = s3_revision < journal_revision ? s3_revision :
	    journal_revision;

	return v > revision ? v : revision;
}
