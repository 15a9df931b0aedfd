/*
 * manifest.h: render a session's manifest.json and the two event Detail
 * payloads (AudioChunkUploaded, RecordingFinalized) as JSON.
 *
 * Pure functions: they take plain structs (filled by the journal from one
 * read transaction) and return a malloc'd NUL-terminated JSON string.  No
 * I/O, no clock: every timestamp comes in as epoch milliseconds and leaves as
 * ISO 8601 UTC ("2026-11-25T17:50:01.123Z").  The field names are the ones
 * the system we replace used, so its consumers work unchanged; "revision" is
 * new and grows by one with every change the journal commits.  Output is
 * always valid JSON: strings are escaped and bytes that are not UTF-8
 * become U+FFFD.
 *
 * The journal renders the event payloads at commit time and stores them in
 * the outbox, so a retried delivery sends byte-identical Detail (same
 * eventId, same timestamp).  The manifest itself is rendered when an outbox
 * manifest_write item is claimed, always at the session's newest revision.
 */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* One chunk of the manifest.  Strings are borrowed; md5 and sha256 are
 * NULL (or "") when neither the client nor the presign gave them, etag
 * when the chunk was verified before ETags were kept (or never by the
 * API); each is then omitted. */
struct manifest_chunk {
	int64_t		 seq;
	const char	*key;
	int64_t		 t_start_ms;
	int64_t		 t_end_ms;
	int64_t		 bytes;
	int64_t		 uploaded_ms;
	const char	*md5;
	const char	*sha256;
	const char	*etag;		/* as S3 answered it, quotes kept */
};

/* A whole manifest.  chunks[] may come in any order; the output is sorted
 * by seq.  Strings are borrowed. */
struct manifest {
	const char		*session_id;
	const char		*user_id;
	const char		*codec;
	int			 sample_rate;
	int			 final;
	/* Why it is final: NULL for the client's finalize, "abandoned" when
	 * the server finalized an idle session (then "finalReason"). */
	const char		*final_reason;
	int64_t			 created_ms;
	int64_t			 updated_ms;
	int64_t			 total_bytes;
	int64_t			 duration_ms;
	int64_t			 revision;
	const struct manifest_chunk *chunks;
	size_t			 nchunks;
};

/* AudioChunkUploaded Detail. */
struct manifest_chunk_event {
	const char	*user_id;
	const char	*session_id;
	int64_t		 chunk_seq;
	const char	*chunk_key;
	int64_t		 bytes;
	int64_t		 timestamp_ms;
	const char	*event_id;
};

/* RecordingFinalized Detail. */
struct manifest_final_event {
	const char	*user_id;
	const char	*session_id;
	const char	*manifest_key;
	int64_t		 chunk_count;
	int64_t		 total_bytes;
	int64_t		 duration_ms;
	int64_t		 timestamp_ms;
	const char	*event_id;
	const char	*reason;	/* NULL, or "abandoned" (server) */
};

/* RecordingDeleted Detail. */
struct manifest_deleted_event {
	const char	*user_id;
	const char	*session_id;
	int64_t		 chunk_count;
	int64_t		 total_bytes;
	int64_t		 objects_deleted;	/* S3 objects removed */
	int64_t		 requested_ms;		/* when DELETE was accepted */
	int64_t		 timestamp_ms;
	const char	*event_id;
};

/*
 * Render manifest.json:
 *   {"sessionId","userId","codec","sampleRate","chunks":[{"seq","key",
 *    "tStartMs","tEndMs","bytes","uploadedAt","md5"?,"sha256"?,"etag"?}
 *    ...],
 *    "final","finalReason"?,"createdAt","updatedAt","totalBytes",
 *    "durationMs","revision"}
 * ("finalReason" only when final with a reason: "abandoned").
 * On ERR_OK *out is a malloc'd NUL-terminated string the caller frees and
 * *outlen (if not NULL) its length.  ERR_INVAL when a required string is
 * NULL or two chunks share a seq; ERR_NOMEM.  *out is NULL on error.
 */
enum err	manifest_render(const struct manifest *, char **out,
		    size_t *outlen);

/* Render the AudioChunkUploaded Detail object:
 *   {"userId","sessionId","chunkSeq","chunkKey","bytes","timestamp","eventId"}
 * Same ownership and errors as manifest_render(). */
enum err	manifest_render_chunk_event(const struct manifest_chunk_event *,
		    char **out, size_t *outlen);

/* Render the RecordingFinalized Detail object:
 *   {"userId","sessionId","manifestKey","chunkCount","totalBytes",
 *    "durationMs","timestamp","eventId","reason"?}
 * ("reason" only when set: "abandoned" when the server finalized it).
 * Same ownership and errors as manifest_render(). */
enum err	manifest_render_final_event(const struct manifest_final_event *,
		    char **out, size_t *outlen);

/* Render the RecordingDeleted Detail object:
 *   {"userId","sessionId","chunkCount","totalBytes","objectsDeleted",
 *    "requestedAt","timestamp","eventId"}
 * Same ownership and errors as manifest_render(). */
enum err	manifest_render_deleted_event(
		    const struct manifest_deleted_event *, char **out,
		    size_t *outlen);

#endif /* MANIFEST_H */
