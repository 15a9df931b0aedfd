/*
 * journal.h: the journal that keeps the books of the storage path.
 *
 * Sessions, their chunks and an outbox of work to do (manifest writes to S3,
 * EventBridge events) live in one database.  Every change commits together
 * with the work it causes, in one transaction, so many preforked workers can
 * merge into the same session without lost updates, and a crash between the
 * commit and the S3/EventBridge call loses nothing: the work stays in the
 * outbox until a deliverer marks it done.
 *
 * This header is the whole interface: callers (fcgi/, deliver_events.c,
 * the admin command) use only the journal_* calls below, and no type or
 * call of a database engine shows here.  Two backends implement it
 * (journal_int.h says which file does what): SQLite, a file for one host
 * (the default), and PostgreSQL through libpq, one database shared by
 * several hosts.  What every backend guarantees:
 *  - Transactions: each call is atomic, and a failing call changed nothing.
 *    Writers to one session are serialised (SQLite: BEGIN IMMEDIATE takes
 *    the file's one write lock; PostgreSQL locks only the session's row)
 *    so concurrent merges never lose an update; a change and the outbox
 *    rows for its work commit together; a call that answers several
 *    things (a snapshot, a recording, the outbox stats) reads one state.
 *    ERR_OK means durable (SQLite: synchronous=FULL; PostgreSQL: its
 *    commit, synchronous_commit as the server is set).
 *  - Retries: a repeated complete, finalize or delete answers what the
 *    first one answered (same eventId, same counts), from what the first
 *    one stored, whichever connection (or host) serves it.
 *  - Revisions: one more per committed change to a session; the synced
 *    revision never goes down, so an older manifest is never written
 *    after a newer one was recorded as written.
 *  - Leases: a claim (outbox, deletions) gives each row to one holder
 *    until now_ms + lease_seconds; while that lease lives no other claim
 *    returns the row, and fail/dead by a holder that lost it are ignored.
 *    A holder known dead has its leases ended by journal_release_owner().
 *  - Clocks: every time is epoch milliseconds passed in by the caller,
 *    stored and compared as given, so tests drive backoff and leases
 *    deterministically.  Callers take the real time from
 *    journal_clock_ms(): the host's wall clock with SQLite, the database
 *    server's clock with PostgreSQL (read at each transaction and kept as
 *    an offset from the host's monotonic clock), so hosts sharing one
 *    database compare leases against one clock.
 *
 * Process model: one struct journal is ONE connection.  Open it AFTER
 * fork(), one per worker process, and use it from one thread at a time; never
 * carry a connection across fork() (the journal refuses calls from a process
 * other than the one that opened it).  The schema (sql/NNN_*.sql for
 * SQLite, sql/pg/NNN_*.sql for PostgreSQL, embedded in the binary) is
 * migrated at open, once however many processes or hosts open at once.
 *
 * Errors, common to every call below:
 *   ERR_NOT_FOUND    the session does not exist OR belongs to another owner
 *                    (the API answers both the same way, on purpose);
 *   ERR_CONFLICT     the change contradicts the journal (sealed session,
 *                    different data for a known chunk, duplicate id);
 *   ERR_TOO_LARGE    LIMIT_CHUNKS_PER_SESSION would be exceeded;
 *   ERR_INVAL        a NULL/empty/oversized argument (a caller bug or input
 *                    the API should have checked);
 *   ERR_BUSY         the orphan sweep holds the chunk's seq while it
 *                    deletes an object of it (journal_sweep_claim());
 *                    nothing was changed, retry in a few seconds (503);
 *   ERR_UNAVAILABLE  the journal cannot be read or written right now: busy
 *                    beyond the timeout, disk full, read-only, I/O error.
 *                    Nothing was changed; the caller answers 503;
 *   ERR_NOMEM, ERR_INTERNAL.
 * A failing call never leaves a half-done change: it rolls back.  Every
 * failure is logged once, here; callers just pass the code up.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"

struct journal;

#define JOURNAL_BUSY_TIMEOUT_DEFAULT_MS	5000
#define JOURNAL_CODEC_BYTES		(LIMIT_CODEC_BYTES + 1)
#define JOURNAL_USER_AGENT_BYTES	(LIMIT_USER_AGENT_BYTES + 1) /* cut */
#define JOURNAL_EVENT_ID_BYTES		37	/* UUID v4 text plus NUL */
#define JOURNAL_HASH_BYTES		(LIMIT_CHUNK_HASH_BYTES + 1)
#define JOURNAL_REASON_BYTES		512	/* dead/failure reasons are cut */
#define JOURNAL_DETAIL_TYPE_BYTES	32
#define JOURNAL_LEASE_OWNER_BYTES	64	/* "host:pid" and the like */

/* journal_open() flags. */
#define JOURNAL_READONLY	0x01	/* no writes, no migration (admin) */

#define JOURNAL_CONNECT_TIMEOUT_DEFAULT_S	5

/* ------------------------------------------------------------ connection */

/*
 * The journal's target names its backend: "postgresql://..." or
 * "postgres://..." (a libpq URI) or "postgresql:" and a libpq
 * keyword/value string is PostgreSQL; anything else is an SQLite file's
 * path.
 */
int		journal_is_postgresql(const char *target);
/*
 * Check a target's syntax without connecting (audio-api -n).  ERR_OK, or
 * ERR_CONFIG with why in err (never the password).
 */
enum err	journal_target_check(const char *target, char *err,
		    size_t errsz);
/* The target as logs may show it: a PostgreSQL target without password. */
void		journal_target_describe(const char *target, char *buf,
		    size_t bufsz);

struct journal_options {
	int		 busy_timeout_ms;	/* <= 0: the default */
	int		 connect_timeout_s;	/* PostgreSQL; <= 0: default */
	unsigned	 flags;			/* JOURNAL_READONLY */
};

/*
 * Open (creating if needed) the journal at target and bring its schema up
 * to date.  busy_timeout_ms bounds how long a call waits for a lock
 * (<= 0 means JOURNAL_BUSY_TIMEOUT_DEFAULT_MS; PostgreSQL: its statement
 * timeout).  Safe to call from many processes (and hosts) at once: each
 * migration runs in its own write transaction (PostgreSQL: under an
 * advisory lock) and re-checks the schema version inside it, so it runs
 * once.  On ERR_OK *jp is the new connection; free it with
 * journal_close().  ERR_UNAVAILABLE when it cannot be opened, reached or
 * migrated, ERR_CONFIG when it holds a newer schema than this binary
 * knows or the target is malformed.
 */
enum err	journal_open_with(struct journal **jp, const char *target,
		    const struct journal_options *);
/* journal_open_with() with the connect timeout's default. */
enum err	journal_open(struct journal **jp, const char *target,
		    int busy_timeout_ms, unsigned flags);
/* Finalize the cached statements and close.  NULL is a no-op. */
void		journal_close(struct journal *);
/* "sqlite" or "postgresql". */
const char	*journal_driver_name(struct journal *);
/* The epoch milliseconds leases and expiry are compared against (see the
 * head of this file): what callers pass as now_ms. */
int64_t		journal_clock_ms(struct journal *);
/* The schema version of the open journal (SQLite: PRAGMA user_version)
 * and the newest version this binary embeds for its backend; -1 on
 * error.  journal_schema_latest() is SQLite's. */
int		journal_schema_version(struct journal *);
int		journal_schema_current(struct journal *);
int		journal_schema_latest(void);
/* Cap the file at max_bytes (SQLite: rounded down to whole pages): a write
 * that would grow it further fails with ERR_UNAVAILABLE exactly as a full
 * disk does.  0 removes the cap.  For deployments that bound the journal
 * and for the disk-full tests.  Per connection.  SQLite only (ERR_INVAL
 * on PostgreSQL, whose own quotas bound it). */
enum err	journal_limit_size(struct journal *, int64_t max_bytes);
/* Cheap liveness check for /healthz: a read of the schema version.
 * ERR_OK or ERR_UNAVAILABLE. */
enum err	journal_ping(struct journal *);

/* ------------------------------------------------------------- sessions */

struct journal_session_new {
	const char	*id;		/* "session-<ms>-<uuid>", from the API */
	const char	*owner;		/* the token's sub */
	const char	*codec;
	int		 sample_rate;
	int		 chunk_seconds;
	const char	*user_agent;	/* NULL or "" if none; cut to fit */
	/* Per-user limits, checked in the insert's transaction so that
	 * concurrent creates cannot pass them together; 0: no limit. */
	int64_t		 max_open;	/* open sessions active since ... */
	int64_t		 open_since_ms;	/* ... this time (older ones idle) */
	int64_t		 max_per_hour;	/* sessions created in the last hour */
};

/* Which limit journal_create_session() refused, and when to retry. */
struct journal_limit {
	const char	*name;		/* the config key; NULL: none */
	int64_t		 count;		/* what the user has */
	int64_t		 retry_after_ms;
};

struct journal_session {
	char		 id[LIMIT_SESSION_ID_BYTES + 1];
	char		 owner[LIMIT_SUB_BYTES + 1];
	char		 codec[JOURNAL_CODEC_BYTES];
	int		 sample_rate;
	int		 chunk_seconds;
	char		 user_agent[JOURNAL_USER_AGENT_BYTES];
	int64_t		 created_ms;
	int64_t		 updated_ms;
	int		 finalized;
	int64_t		 duration_ms;	/* see journal_complete_chunk() */
	int64_t		 chunk_count;
	int64_t		 total_bytes;
	int64_t		 revision;	/* manifest revision, 0 = no change yet */
	int64_t		 synced_revision; /* newest revision known in S3 */
	int64_t		 deleting_ms;	/* 0, or when its DELETE was accepted */
	int64_t		 finalized_ms;	/* when finalize sealed it; 0: open */
	int64_t		 final_chunk_count;	/* what finalize answered */
	int64_t		 final_total_bytes;
};

/* Store a new session (revision 0, nothing enqueued).  ERR_CONFLICT if the
 * id is already taken (by anyone). */
enum err	journal_create_session(struct journal *,
		    const struct journal_session_new *, int64_t now_ms,
		    struct journal_limit *);

/* Fill *out with the session if it exists, belongs to owner and is not
 * being deleted (a session being deleted takes no more uploads: the write
 * calls below answer ERR_NOT_FOUND for it too). */
enum err	journal_get_session(struct journal *, const char *owner,
		    const char *session_id, struct journal_session *out);

/*
 * Late chunks.  A client may call finalize before its last chunk's
 * presign/PUT/complete (the original recorder page does).  finalize
 * declares the recording's duration, so a chunk that starts inside it
 * (tStartMs < durationMs) is still accepted for grace_ms after finalize:
 * it joins the final manifest (a new revision, still final) and gets its
 * AudioChunkUploaded event.  Per connection; 0 (the default) accepts none.
 */
void		journal_set_finalize_grace(struct journal *, int64_t grace_ms);
/*
 * A client's finalize makes the session's open multipart uploads due for
 * their abort after_ms after it (the end of the late-chunk window and of
 * the part URLs), in the finalize's own transaction, so no crash after the
 * seal leaves them unscheduled.  Per connection; 0 (the default): the
 * finalize schedules nothing.
 */
void		journal_set_finalize_mpu_abort(struct journal *,
		    int64_t after_ms);

enum journal_late {
	JOURNAL_LATE_OK = 0,		/* open, or final and inside the rule */
	JOURNAL_LATE_OUTSIDE,		/* tStartMs >= the declared duration */
	JOURNAL_LATE_EXPIRED,		/* now is past finalize + grace_ms */
};

/* Whether the late-chunk rule lets a chunk starting at t_start_ms into
 * session s at now_ms, with grace_ms of grace (no I/O). */
enum journal_late journal_late_rule(const struct journal_session *s,
		    int64_t t_start_ms, int64_t grace_ms, int64_t now_ms);

/* --------------------------------------------------------------- chunks */

/* A chunk as the API hands it in.  Strings are borrowed; md5/sha256/etag
 * may be NULL.  key is the S3 object key the API built and verified; etag
 * the ETag its verifying HEAD answered (not part of a retry's identity). */
struct journal_chunk {
	int64_t		 seq;		/* >= 1 */
	const char	*key;
	int64_t		 t_start_ms;	/* >= 0 */
	int64_t		 t_end_ms;	/* > t_start_ms */
	int64_t		 bytes;		/* >= 1 */
	const char	*md5;
	const char	*sha256;
	const char	*etag;
};

struct journal_complete_result {
	int64_t		 chunk_count;
	int64_t		 total_bytes;
	int64_t		 duration_ms;
	int64_t		 revision;
	char		 event_id[JOURNAL_EVENT_ID_BYTES];
	int		 replayed;	/* 1: this was a retry, nothing changed */
};

/*
 * Merge a completed (HEAD-verified) chunk, in one transaction: insert the
 * chunk (or adopt it if a client manifest brought it in first), bump the
 * manifest revision, enqueue the AudioChunkUploaded event (Detail rendered
 * now, with an eventId generated once per (session, seq)) and the
 * session's manifest_write.  Answers the session's chunkCount, totalBytes
 * and durationMs (max tEndMs - min tStartMs over its chunks) as of that
 * commit.
 * A retry of the same complete (same key, bytes, times; md5/sha256 equal
 * where both sides have them) changes nothing, enqueues nothing and answers
 * exactly what the first one answered, with replayed = 1 -- even after the
 * session was finalized, and after the grace.  A finalized session takes a
 * new chunk only under the late-chunk rule (journal_late_rule() with this
 * connection's grace): the final manifest gets a new revision and stays
 * final.  ERR_CONFLICT: a chunk with this seq exists with different data,
 * or the session is finalized and this complete is neither a retry nor a
 * late chunk the rule lets in.
 */
enum err	journal_complete_chunk(struct journal *, const char *owner,
		    const char *session_id, const struct journal_chunk *,
		    int64_t now_ms, struct journal_complete_result *out);

/*
 * Is this complete a retry of one already merged?  Read only (no write
 * lock, no event): when the session (of owner) holds a completed chunk with
 * c's seq that journal_complete_chunk() would call the same, *out is what
 * the first complete answered, with replayed = 1; otherwise replayed = 0
 * and the caller goes on to verify and merge.  ERR_NOT_FOUND: no such
 * session for this owner.  The API answers a retried complete from here
 * without asking S3 again: the object was HEAD-verified when the chunk was
 * first merged.
 */
enum err	journal_replay_chunk(struct journal *, const char *owner,
		    const char *session_id, const struct journal_chunk *,
		    struct journal_complete_result *out);

/* For each of n seqs set unknown[i] = 1 if the session has no chunk with
 * that seq yet (the API HEAD-verifies those before an upsert), else 0. */
enum err	journal_unknown_seqs(struct journal *, const char *owner,
		    const char *session_id, const int64_t *seqs, size_t n,
		    unsigned char *unknown);

struct journal_upsert_result {
	size_t		 added;		/* chunks new to the journal */
	int64_t		 revision;	/* after the upsert */
	int64_t		 chunk_count;
	int64_t		 total_bytes;
};

/*
 * A client's manifest upsert, in one transaction.  Chunks with a seq the
 * journal knows must match it exactly (key, bytes, times; hashes where both
 * sides have them), else ERR_CONFLICT and nothing changes; known chunks the
 * client left out stay.  Unknown chunks are added as verified (the caller
 * HEAD-verified them) without an event.  If anything was added the revision
 * goes up by one and a manifest_write is enqueued.  Duplicate seqs in the
 * list: ERR_INVAL.  Finalized session: ERR_CONFLICT, unless the list adds
 * nothing (a harmless replay).
 */
enum err	journal_upsert_manifest(struct journal *, const char *owner,
		    const char *session_id, const struct journal_chunk *chunks,
		    size_t n, int64_t now_ms, struct journal_upsert_result *out);

struct journal_finalize_result {
	int64_t		 chunk_count;
	int64_t		 total_bytes;
	int64_t		 duration_ms;
	int64_t		 revision;	/* the final manifest's revision */
	char		 event_id[JOURNAL_EVENT_ID_BYTES];
	int		 replayed;	/* 1: already finalized before */
};

/*
 * Seal the session, in one transaction: set final and the client's
 * duration_ms (> 0), bump the revision, enqueue the RecordingFinalized event
 * (manifest_key is the S3 key of its manifest.json, built by the caller) and
 * the final manifest_write.  Finalizing again changes nothing and answers
 * what the first finalize answered (replayed = 1; chunk_count and
 * total_bytes as then, even if late chunks came since), whatever duration
 * the retry carries; revision is then the session's newest, the one S3
 * must hold.  A session with no chunks may be finalized.  The session's
 * open multipart uploads are due for their abort journal_set_finalize_
 * mpu_abort() after now_ms, in the same transaction (first finalize only).
 */
enum err	journal_finalize(struct journal *, const char *owner,
		    const char *session_id, int64_t duration_ms,
		    const char *manifest_key, int64_t now_ms,
		    struct journal_finalize_result *out);

/* --------------------------------------------------------------- manifest */

struct manifest;

/* Everything needed to render one session's manifest, read in one read
 * transaction, so the revision and the chunk list agree. */
struct journal_snapshot;

/*
 * Read the session and all its chunks (sorted by seq) at its current
 * revision.  owner may be NULL (the deliverer, which has no user) to skip
 * the owner check.  On ERR_OK *out holds the snapshot; free it with
 * journal_snapshot_free().
 */
enum err	journal_read_snapshot(struct journal *, const char *owner,
		    const char *session_id, struct journal_snapshot **out);
/* The snapshot as the plain struct manifest_render() takes; valid until
 * journal_snapshot_free(). */
const struct manifest *journal_snapshot_manifest(const struct journal_snapshot *);
/* The session row of the snapshot. */
const struct journal_session *journal_snapshot_session(
		    const struct journal_snapshot *);
void		journal_snapshot_free(struct journal_snapshot *);

/* ---------------------------------------------------------------- outbox */

enum journal_outbox_kind {
	JOURNAL_OUTBOX_ANY = 0,		/* claim filter only */
	JOURNAL_OUTBOX_MANIFEST_WRITE = 1,
	JOURNAL_OUTBOX_EVENT = 2,
};

/*
 * A claimed outbox item.  payload is malloc'd and owned by the item (free
 * with journal_outbox_items_free()):
 *   MANIFEST_WRITE: manifest.json rendered at claim time at the session's
 *     NEWEST revision (revision says which); write it to S3 under the
 *     session's manifest key (built from user_id and session_id).
 *   EVENT: the Detail JSON rendered when the change committed; detail_type
 *     is "AudioChunkUploaded" or "RecordingFinalized"; event_id is also
 *     inside the Detail and is the same on every retry.
 */
struct journal_outbox_item {
	int64_t			 id;
	enum journal_outbox_kind kind;
	char			 session_id[LIMIT_SESSION_ID_BYTES + 1];
	char			 user_id[LIMIT_SUB_BYTES + 1];
	char			 detail_type[JOURNAL_DETAIL_TYPE_BYTES];
	char			 event_id[JOURNAL_EVENT_ID_BYTES];
	int64_t			 revision;	/* manifest writes */
	int			 attempts;	/* including this claim */
	int64_t			 created_ms;
	int64_t			 lease_expires_ms;
	char			*payload;
	size_t			 payload_len;
	char			 lease_owner[JOURNAL_LEASE_OWNER_BYTES];
};

struct journal_claim {
	const char		*lease_owner;	/* e.g. "host:pid"; required,
						   < JOURNAL_LEASE_OWNER_BYTES */
	int			 lease_seconds;	/* >= 1; longer than any S3 or
						   EventBridge call timeout */
	int64_t			 now_ms;
	const char		*session_id;	/* NULL: any session */
	enum journal_outbox_kind kind;		/* ANY or one kind */
};

/*
 * Claim up to max due items (not dead, next attempt <= now, no live lease),
 * oldest first, in one transaction: each gets lease_owner until now +
 * lease_seconds and attempts + 1.  Only one holder of a live lease exists
 * per item, so only one process delivers an item at a time.  There is at
 * most one manifest_write row per session (repeated changes collapse into
 * it); a manifest_write whose session is already synced at its newest
 * revision is dropped instead of returned.  *n is the number filled (0 is
 * not an error).
 */
enum err	journal_outbox_claim(struct journal *,
		    const struct journal_claim *, struct journal_outbox_item *items,
		    size_t max, size_t *n);
/* Free the payloads of n claimed items (not the array). */
void		journal_outbox_items_free(struct journal_outbox_item *, size_t n);

/*
 * The item was delivered.  Events: the row is removed.  Manifest writes:
 * the session's synced revision advances to item->revision (never goes
 * back), and the row is removed unless the session changed since the claim
 * (or a newer revision had already been synced, meaning this late write may
 * have overwritten it), in which case it is released due now so the newest
 * revision gets written.  Unknown id (already done by another holder): OK.
 * A holder must not start (or keep) a write once its lease has expired
 * (item->lease_expires_ms): keep lease_seconds above the S3 timeout.  If a
 * write still finishes after a newer revision was synced, done() makes a
 * new revision so the newest state is written again.
 */
enum err	journal_outbox_done(struct journal *,
		    const struct journal_outbox_item *, int64_t now_ms);
/*
 * The attempt failed: release the lease, retry at next_attempt_ms, keep
 * reason (cut to fit) for the admin view.  Ignored (ERR_OK) if the item no
 * longer exists or another owner holds its lease now.
 */
enum err	journal_outbox_fail(struct journal *,
		    const struct journal_outbox_item *, const char *lease_owner,
		    int64_t next_attempt_ms, const char *reason);
/* Park the item as dead with reason: kept and visible, never claimed until
 * requeued.  Same ownership rule as journal_outbox_fail(). */
enum err	journal_outbox_dead(struct journal *,
		    const struct journal_outbox_item *, const char *lease_owner,
		    const char *reason);
/* Requeue dead items (id > 0: that one; id == 0: all): due at now_ms with
 * attempts reset to 0.  *count (may be NULL) says how many. */
enum err	journal_outbox_requeue(struct journal *, int64_t id,
		    int64_t now_ms, int64_t *count);
/* The holder of a live lease on the session's pending item of this kind
 * into owner ("" when there is none). */
enum err	journal_outbox_lease_owner(struct journal *,
		    const char *session_id, enum journal_outbox_kind kind,
		    int64_t now_ms, char *owner, size_t cap);
/* A lease holder is known to be gone (its process died): its live leases,
 * outbox and deletions, end now, so those items are due again at once
 * instead of after the lease.  *count (may be NULL): leases ended. */
enum err	journal_release_owner(struct journal *, const char *owner,
		    int64_t now_ms, int64_t *count);
/* Newest revision known to be in S3 for the session (no owner check).
 * Note: a new change re-enqueues the session's manifest_write even if that
 * row was parked dead. */
enum err	journal_synced_revision(struct journal *, const char *session_id,
		    int64_t *revision);

/*
 * The manifest fence (fcgi/deliver_manifest.c).  The ETag S3 answered for
 * the session's manifest.json when it was last written from this journal
 * (or found holding a revision at least as new), kept in the journal so
 * that every writer sharing it sends the same If-Match.
 * journal_manifest_etag(): etag[0..cap) as kept, "" when none was ever
 * kept (the write is then If-None-Match: *), cut to fit (cap
 * JOURNAL_ETAG_BYTES holds any); ERR_NOT_FOUND when there is no such
 * session (no owner check).
 * journal_manifest_etag_set(): keep etag as revision's, unless an ETag
 * was already kept for a newer revision (a slow writer leaves a newer
 * writer's ETag alone); no such session is not an error.
 */
#define JOURNAL_ETAG_BYTES		(LIMIT_S3_ETAG_BYTES + 1)
enum err	journal_manifest_etag(struct journal *, const char *session_id,
		    char *etag, size_t cap);
enum err	journal_manifest_etag_set(struct journal *,
		    const char *session_id, const char *etag,
		    int64_t revision);

struct journal_outbox_stats {
	int64_t		 pending;	/* not dead (due, waiting or leased) */
	int64_t		 leased;	/* pending with a live lease */
	int64_t		 dead;
	int64_t		 oldest_pending_age_ms;	/* 0 if none pending */
};

/* Counts for /healthz and the admin command, in one read transaction. */
enum err	journal_outbox_stats(struct journal *, int64_t now_ms,
		    struct journal_outbox_stats *);

/* One outbox row for the admin listing (no payload). */
struct journal_outbox_row {
	int64_t			 id;
	enum journal_outbox_kind kind;
	char			 session_id[LIMIT_SESSION_ID_BYTES + 1];
	char			 detail_type[JOURNAL_DETAIL_TYPE_BYTES];
	char			 event_id[JOURNAL_EVENT_ID_BYTES];
	int			 attempts;
	int			 dead;
	int64_t			 created_ms;
	int64_t			 next_attempt_ms;
	char			 reason[JOURNAL_REASON_BYTES];
};

/* List up to max outbox rows, oldest first (dead_only: only dead ones);
 * *n is the number filled. */
enum err	journal_outbox_list(struct journal *, int dead_only,
		    struct journal_outbox_row *rows, size_t max, size_t *n);

/* ------------------------------------------------------------ recordings */

/*
 * journal_get_session() plus, in the same read, the recorded expiry of the
 * presign of seq (*presign_expires_ms, -1 if none): what presign needs
 * before it signs, in one statement.
 */
enum err	journal_get_session_presign(struct journal *, const char *owner,
		    const char *session_id, int64_t seq,
		    struct journal_session *out, int64_t *presign_expires_ms);

/*
 * Record that a PUT URL for seq was issued, expiring at expires_ms, so GET
 * can list it as missing until it is completed and a deletion knows how
 * long a late PUT can arrive.  slack_ms: how far the recorded expiry may
 * lag the newest URL's (a presign of a recorded seq writes only when its
 * URL outlives the record by more, so repeated presigns stay reads); the
 * deletion adds the same slack.  stored_ms: the recorded expiry as
 * journal_get_session_presign() read it (then a repeat within the slack
 * costs nothing here), or -1 to read it here.  ERR_NOT_FOUND: no such
 * session of owner, or it is being deleted (the caller must not hand out
 * the URL); ERR_TOO_LARGE: LIMIT_CHUNKS_PER_SESSION distinct seqs already
 * recorded.
 */
enum err	journal_note_presign(struct journal *, const char *owner,
		    const char *session_id, int64_t seq, int64_t expires_ms,
		    int64_t slack_ms, int64_t stored_ms, int64_t now_ms);

/* A place in a user's session list: after the session created at
 * created_ms with this id, in the list's order (newest first, ties by
 * id descending). */
struct journal_list_pos {
	int64_t		 created_ms;
	char		 id[LIMIT_SESSION_ID_BYTES + 1];
};

/*
 * Up to max of owner's sessions (deleting ones included, state in
 * deleting_ms), newest first, strictly after *after (NULL: from the
 * newest).  Keyset pagination: a page depends only on the position, so
 * sessions created or deleted meanwhile neither shift nor repeat the
 * others.  *n is the number filled.
 */
enum err	journal_list_sessions(struct journal *, const char *owner,
		    const struct journal_list_pos *after,
		    struct journal_session *out, size_t max, size_t *n);

/*
 * The session (deleting ones included, unlike journal_get_session()), its
 * snapshot (chunks by seq) and the seqs presigned but never completed, in
 * one read transaction.  *missing is malloc'd (NULL when *nmissing is 0),
 * at most LIMIT_CHUNKS_PER_SESSION entries, ascending.
 */
enum err	journal_read_recording(struct journal *, const char *owner,
		    const char *session_id, struct journal_snapshot **snap,
		    int64_t **missing, size_t *nmissing);

struct journal_delete_result {
	int64_t		 requested_ms;
	int64_t		 recheck_ms;
	char		 event_id[JOURNAL_EVENT_ID_BYTES];
	int		 replayed;	/* 1: already being deleted */
};

/*
 * Accept the deletion of owner's session, in one transaction: mark it
 * deleting, drop its pending manifest write (no manifest is written any
 * more) and add its deletions row (phase objects, due now).  The
 * tombstone's recheck time is the latest expiry of a URL issued for it
 * (newest recorded presign + slack_ms, see journal_note_presign(), and at
 * least now + url_lifetime_ms, the configured URL lifetime) + margin_ms.
 * Deleting again answers the first deletion (replayed = 1).  The
 * session's open multipart uploads are due for their abort from now_ms on
 * (journal_mpu_abort_session()), in the same transaction.
 * ERR_NOT_FOUND: no such session of owner (or already purged).
 */
enum err	journal_delete_session(struct journal *, const char *owner,
		    const char *session_id, int64_t url_lifetime_ms,
		    int64_t slack_ms, int64_t margin_ms, int64_t now_ms,
		    struct journal_delete_result *out);

enum journal_deletion_phase {
	JOURNAL_DELETION_OBJECTS = 0,
	JOURNAL_DELETION_PURGE = 1,
	JOURNAL_DELETION_RECHECK = 2,
};

/* A claimed deletion. */
struct journal_deletion {
	char			 session_id[LIMIT_SESSION_ID_BYTES + 1];
	char			 owner[LIMIT_SUB_BYTES + 1];
	char			 event_id[JOURNAL_EVENT_ID_BYTES];
	enum journal_deletion_phase phase;
	int64_t			 requested_ms;
	int64_t			 recheck_ms;
	int64_t			 objects_deleted;
	int			 attempts;	/* including this claim */
	int64_t			 lease_expires_ms;
};

/* Claim up to max due deletions (next attempt <= now, no live lease) with
 * a lease, as journal_outbox_claim() does for the outbox. */
enum err	journal_deletion_claim(struct journal *, const char *lease_owner,
		    int lease_seconds, int64_t now_ms,
		    struct journal_deletion *out, size_t max, size_t *n);

/*
 * Phase objects is done: every object under the session's prefix is gone
 * (deleted more were removed by this attempt).  Enqueues RecordingDeleted
 * and moves to phase purge, due now.
 */
enum err	journal_deletion_objects_done(struct journal *,
		    const struct journal_deletion *, int64_t deleted,
		    int64_t now_ms);

/*
 * Phase purge: when the session has no outbox rows left (its events were
 * delivered), remove its presigns, chunks and session row and move to
 * phase recheck, due at recheck_ms (*waiting = 0).  Otherwise leave it
 * due at retry_ms (*waiting = 1).
 */
enum err	journal_deletion_purge(struct journal *,
		    const struct journal_deletion *, int64_t retry_ms,
		    int *waiting);

/* Phase recheck is done: the tombstone goes. */
enum err	journal_deletion_done(struct journal *,
		    const struct journal_deletion *, int64_t deleted);

/* The attempt failed: release the lease, retry at next_attempt_ms, keep
 * the reason.  Ignored if another owner holds the lease now. */
enum err	journal_deletion_fail(struct journal *,
		    const struct journal_deletion *, const char *lease_owner,
		    int64_t next_attempt_ms, const char *reason);

/* Deletions not yet finished (all phases), for /healthz and tests. */
enum err	journal_deletion_count(struct journal *, int64_t *pending);

/* ------------------------------------------------------------ lifecycle */

/* A session the server finalized as abandoned (journal_abandon_idle()). */
struct journal_abandoned {
	char		 session_id[LIMIT_SESSION_ID_BYTES + 1];
	char		 owner[LIMIT_SUB_BYTES + 1];
	char		 event_id[JOURNAL_EVENT_ID_BYTES];	/* its event */
	int64_t		 chunk_count;
	int64_t		 mpu_aborts;	/* open multipart uploads made due */
};

/*
 * Finalize as abandoned, in one write transaction, up to max open sessions
 * (not being deleted) with no change since idle_before_ms and no upload
 * URL issued since then (a URL's recorded expiry less url_lifetime_ms),
 * oldest first: each is sealed like finalize (final, a new revision, the
 * final manifest_write) with final_reason "abandoned", durationMs its
 * chunks' largest tEndMs (0 with none), and a RecordingFinalized event
 * carrying reason "abandoned"; its open multipart uploads are due for
 * their abort from now_ms on (journal_mpu_abort_session()), in the same
 * transaction.  PostgreSQL skips sessions another
 * transaction holds (FOR UPDATE SKIP LOCKED), so deliverers on several
 * hosts share the work and a session is sealed once.  *n (<= max) of out
 * are filled.
 */
enum err	journal_abandon_idle(struct journal *, int64_t idle_before_ms,
		    int64_t url_lifetime_ms, int64_t now_ms,
		    struct journal_abandoned *out, size_t max, size_t *n);

/* A session past retention (journal_retention_due()). */
struct journal_session_ref {
	char		 session_id[LIMIT_SESSION_ID_BYTES + 1];
	char		 owner[LIMIT_SUB_BYTES + 1];
};

/* Up to max sessions created at or before created_before_ms and not being
 * deleted, oldest first, into out; *n filled.  Read only: the caller
 * deletes each with journal_delete_session(). */
enum err	journal_retention_due(struct journal *,
		    int64_t created_before_ms, struct journal_session_ref *out,
		    size_t max, size_t *n);

/* The orphan sweep's shared state (one row; sql/008, sql/pg/005). */
struct journal_sweep_stats {
	int64_t		 passes;		/* completed passes */
	int64_t		 deleted;		/* objects deleted, all passes */
	int64_t		 listed;		/* the pass under way: */
	int64_t		 orphans;		/*  orphans found */
	int64_t		 mismatched;		/*  known chunks that differ */
	int64_t		 last_listed;		/* the last completed pass */
	int64_t		 last_orphans;
	int64_t		 last_mismatched;
	int64_t		 last_pass_ms;		/* when it ended; 0: none */
	int64_t		 pass_started_ms;
	char		 start_after[LIMIT_S3_KEY_BYTES + 1];
};

/*
 * Lease the sweep's next round to lease_owner until now + lease_seconds if
 * it is due (next round time reached, no live lease): *got 1 and
 * start_after (size LIMIT_S3_KEY_BYTES + 1) is where the listing resumes
 * ("" : a new pass).  *got 0: not due, or another deliverer holds it.
 */
enum err	journal_sweep_lease(struct journal *, const char *lease_owner,
		    int lease_seconds, int64_t now_ms, char *start_after,
		    int *got);

/* What one round found, added to the pass's counts. */
struct journal_sweep_round {
	const char	*start_after;	/* the last key listed */
	int64_t		 listed;
	int64_t		 orphans;	/* found (dry run: would delete) */
	int64_t		 deleted;
	int64_t		 mismatched;
	int		 pass_done;	/* the listing ended */
	int64_t		 next_round_ms;
};

/* Record a round and release the lease (ignored if lease_owner no longer
 * holds it: the round is then done again, which only repeats a listing). */
enum err	journal_sweep_save(struct journal *, const char *lease_owner,
		    const struct journal_sweep_round *, int64_t now_ms);

/* The sweep's counts; all zero before the first sweep. */
enum err	journal_sweep_stats(struct journal *,
		    struct journal_sweep_stats *);

/* What the journal knows of one listed object's session and seq. */
struct journal_sweep_facts {
	int		 session;	/* the session row exists */
	char		 owner[LIMIT_SUB_BYTES + 1];
	int		 deleting;	/* its DELETE is under way */
	int		 deletion;	/* a deletions row (tombstone too) */
	int		 chunk;		/* a completed chunk with this seq */
	char		 chunk_key[LIMIT_S3_KEY_BYTES + 1];
	int64_t		 chunk_bytes;
	int64_t		 seq_expires_ms;	/* this seq's URL; 0: none */
	int64_t		 url_expires_ms;	/* the session's newest; 0 */
	char		 chunk_etag[128];	/* as S3 gave it; "": none */
};

/* Fill *f for session_id and seq (0: no chunk asked) in one statement. */
enum err	journal_sweep_lookup(struct journal *, const char *session_id,
		    int64_t seq, struct journal_sweep_facts *f);

/* A chunk the sweep judged an orphan from judged (journal_sweep_lookup())
 * and means to delete. */
struct journal_sweep_pick {
	const char	*session_id;
	int64_t		 seq;		/* >= 1 */
	struct journal_sweep_facts judged;
	int		 claimed;	/* out: 1 if claimed */
};

/*
 * Claim the n picks for lease_owner until until_ms (the sweep round's
 * lease), in one write transaction: each is looked up again under its
 * session's lock and claimed only if the journal still says what it said
 * when judged (claimed 0: something changed, judge it again next pass).
 * While a claim lives, journal_complete_chunk(), journal_upsert_manifest()
 * (adding that seq) and journal_note_presign() (recording a new URL for
 * it) answer ERR_BUSY, so no chunk the sweep is deleting becomes known;
 * delete only claimed objects, and start the delete early enough for it
 * to end before until_ms.
 */
enum err	journal_sweep_claim(struct journal *, const char *lease_owner,
		    int64_t until_ms, struct journal_sweep_pick *p, size_t n);
/* Drop lease_owner's claims (its delete was answered) and every claim
 * expired at now_ms. */
enum err	journal_sweep_unclaim(struct journal *, const char *lease_owner,
		    int64_t now_ms);

/* ----------------------------------------------------------------- copy */

/*
 * Copy every row of src (sessions, chunks, presigns, outbox, deletions,
 * multipart uploads, the sweep's state and the cursor key) into dst,
 * which must be empty (else ERR_CONFLICT), in one read transaction of src
 * and one write transaction of dst; the counts are compared before dst
 * commits.  Backends may differ (SQLite into
 * PostgreSQL).  Stop the API first: changes after src's read began are not
 * copied.  *rows (may be NULL): the rows copied.
 */
enum err	journal_copy(struct journal *src, struct journal *dst,
		    int64_t *rows);
/* A PostgreSQL target that carries a password (password=, or user:pw@ in
 * a URI): fine in a config file, refused on a command line. */
int		journal_target_has_password(const char *target);

/* The journal's random 32-byte key for list cursors (sql/003). */
#define JOURNAL_CURSOR_KEY_BYTES	32
enum err	journal_cursor_key(struct journal *,
		    unsigned char key[JOURNAL_CURSOR_KEY_BYTES]);

/*
 * Multipart uploads of chunks over the single-PUT limit (journal_mpu.c,
 * sql/006, sql/pg/003; fcgi/multipart.c uses them).  A row per
 * CreateMultipartUpload; see the SQL for the states.
 */
#define JOURNAL_UPLOAD_ID_BYTES		1025	/* S3XML_UPLOAD_ID_MAX + 1 */
#define JOURNAL_MPU_SHA256_BYTES	51	/* S3SUM_COMPOSITE_MAX + 1 */
enum journal_mpu_state {
	JOURNAL_MPU_OPEN,
	JOURNAL_MPU_COMPLETED,
	JOURNAL_MPU_ABORTING,
	JOURNAL_MPU_ABORTED,
	JOURNAL_MPU_FAILED,
};
struct journal_mpu {
	char			 upload_id[JOURNAL_UPLOAD_ID_BYTES];
	char			 session_id[LIMIT_SESSION_ID_BYTES + 1];
	int64_t			 seq;
	char			 key[LIMIT_S3_KEY_BYTES + 1];
	int64_t			 size_bytes;
	int64_t			 part_bytes;
	enum journal_mpu_state	 state;
	int64_t			 created_ms;
	int64_t			 abort_at_ms;	/* -1: none */
	int			 attempts;
	char			 reason[JOURNAL_REASON_BYTES];
	/* S3's composite SHA-256 of the presigned part checksums
	 * ("BASE64-N", lib/storage/s3sum.h), or "" for an upload without
	 * them (sql/010). */
	char			 sha256[JOURNAL_MPU_SHA256_BYTES];
	int			 write_once;	/* complete If-None-Match: * */
};
const char	*journal_mpu_state_name(enum journal_mpu_state);
/* The newest upload of (session_id, seq), whatever its state, into *out;
 * ERR_NOT_FOUND when there is none. */
enum err	journal_mpu_get(struct journal *, const char *session_id,
		    int64_t seq, struct journal_mpu *out);
/*
 * Record a new open upload (m's upload_id, session_id, seq, key,
 * size_bytes, part_bytes, sha256, write_once, and abort_at_ms when it is
 * > 0) made at now_ms and drop the intent intent_id (NULL: none) of its
 * Create, in one transaction; part_sha256 is the parts' base64 SHA-256
 * values one after the other, given exactly when m->sha256 is (their
 * composite).  ERR_CONFLICT when (session, seq) already has an open one
 * (a presign raced this one); ERR_NOT_FOUND when the intent is gone (the
 * delivery loop took this Create for a crashed one: the upload is not
 * recorded, and is or will be aborted).
 */
enum err	journal_mpu_add(struct journal *, const struct journal_mpu *m,
		    const char *part_sha256, const char *intent_id,
		    int64_t now_ms);
/* The part checksums upload_id was recorded with, malloc'd into *out;
 * ERR_NOT_FOUND for an unknown upload or one without them. */
enum err	journal_mpu_part_sha256(struct journal *, const char *upload_id,
		    char **out);

/*
 * Intents: a CreateMultipartUpload about to be made.  journal_mpu_intent()
 * records one for key (of session_id, seq) at now_ms, due for recovery at
 * resolve_at_ms (past the Create's and the journal's time bounds), its id
 * (a UUID) into id (cap >= JOURNAL_EVENT_ID_BYTES).  Dropped by
 * journal_mpu_add() with the upload's row, or by journal_mpu_intent_drop()
 * (S3 refused the Create, or the upload made was aborted).
 */
struct journal_mpu_intent {
	char		 id[JOURNAL_EVENT_ID_BYTES];
	char		 session_id[LIMIT_SESSION_ID_BYTES + 1];
	int64_t		 seq;
	char		 key[LIMIT_S3_KEY_BYTES + 1];
	int64_t		 created_ms;
	int		 attempts;
};
enum err	journal_mpu_intent(struct journal *, const char *session_id,
		    int64_t seq, const char *key, int64_t now_ms,
		    int64_t resolve_at_ms, char *id, size_t cap);
enum err	journal_mpu_intent_drop(struct journal *, const char *id);
/* Claim up to max intents due at now_ms into out[0..*n), each pushed
 * lease_ms on (as journal_mpu_due()). */
enum err	journal_mpu_intents_due(struct journal *, int64_t now_ms,
		    int64_t lease_ms, struct journal_mpu_intent *out,
		    size_t max, size_t *n);
/* What the journal says of upload_id, an upload S3 lists for in's key. */
enum journal_mpu_known {
	JOURNAL_MPU_UNKNOWN,	/* no one knows it: abort it */
	JOURNAL_MPU_RECORDED,	/* it has its row */
	JOURNAL_MPU_PENDING,	/* another intent of in's chunk, no older
				   than in: its presign may still be
				   recording it; look again later */
};
enum err	journal_mpu_known(struct journal *,
		    const struct journal_mpu_intent *in, const char *upload_id,
		    enum journal_mpu_known *known);
/* Resolving the intent failed: due again at retry_ms, one attempt more,
 * reason (may be NULL) kept, cut to fit. */
enum err	journal_mpu_intent_retry(struct journal *, const char *id,
		    int64_t retry_ms, const char *reason);
/* An open upload was replaced (another key or size for its seq): it is
 * aborted from now_ms on.  A row not open is left alone. */
enum err	journal_mpu_replace(struct journal *, const char *upload_id,
		    int64_t now_ms);
/* CompleteMultipartUpload of upload_id succeeded at now_ms: completed,
 * never aborted. */
enum err	journal_mpu_completed(struct journal *, const char *upload_id,
		    int64_t now_ms);
/*
 * The session's open uploads are aborted at at_ms (sooner if they were
 * already due sooner): called when the session is finalized (at the end
 * of its late-chunk window), abandoned or deleted (now).  *n (may be
 * NULL): the uploads this moved.
 */
enum err	journal_mpu_abort_session(struct journal *,
		    const char *session_id, int64_t at_ms, int64_t *n);
/*
 * Claim up to max uploads due for an abort at now_ms (open or aborting,
 * abort_at_ms <= now_ms) into out[0..*n): each is pushed lease_ms on, so
 * another process's delivery loop does not take it meanwhile.
 */
enum err	journal_mpu_due(struct journal *, int64_t now_ms,
		    int64_t lease_ms, struct journal_mpu *out, size_t max,
		    size_t *n);
/*
 * The outcome of an abort attempt of upload_id: state (JOURNAL_MPU_ABORTED
 * when S3 took it or no longer knew it, JOURNAL_MPU_FAILED when the
 * attempts are given up), or JOURNAL_MPU_OPEN/ABORTING to try again at
 * retry_ms; reason (may be NULL) is kept, cut to fit; now_ms is when
 * a final state was reached.  Each call counts an attempt.  A row
 * completed meanwhile is left alone.
 */
enum err	journal_mpu_abort_result(struct journal *, const char *upload_id,
		    enum journal_mpu_state state, int64_t retry_ms,
		    const char *reason, int64_t now_ms);
/*
 * Delete up to max rows of uploads that reached a final state (completed,
 * aborted, failed) at or before finished_before_ms, oldest first; open and
 * aborting ones stay whatever their age.  *n (may be NULL): rows deleted
 * (max of them: call again for more).
 */
enum err	journal_mpu_purge(struct journal *, int64_t finished_before_ms,
		    size_t max, int64_t *n);

#endif /* JOURNAL_H */
