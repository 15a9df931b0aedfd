/*
 * aws.h: audio-api's AWS adapters (I/O), for the storage and delivery code.
 *
 * awscred_chain.c walks the standard credential chain (lib/storage/awscred.h has
 * the pure half) and keeps temporary credentials fresh; eventbridge_send.c
 * signs PutEvents requests built by lib/storage/eventbridge.h and sends them with
 * libcurl.  Both are single-threaded: one object per worker process,
 * created after fork.
 */
#ifndef FCGI_AWS_H
#define FCGI_AWS_H

#include <stddef.h>
#include <stdint.h>

#include "awscred.h"
#include "err.h"
#include "eventbridge.h"

/* ---------------------------------------------------- credential chain */

struct awscred_chain;

struct awscred_chain_config {
	/* Credentials from the program's config; they win over the chain.
	 * NULL or empty: walk the chain.  Copied. */
	const struct awscred	*fixed;
	long		 timeout_ms;	/* each ECS/IMDS call; 0: 1000 */
	int64_t		 margin;	/* refresh margin (s); 0: default */
};

/* A chain that resolves lazily on first use.  NULL on ENOMEM only. */
struct awscred_chain *awscred_chain_new(const struct awscred_chain_config *);
void		awscred_chain_free(struct awscred_chain *);

/*
 * Copy the current credentials to *out, first resolving the chain if none
 * are held or they expire within the margin.  The environment is read at
 * each resolution.  If a refresh fails while the old credentials are still
 * valid, those are returned (logged as a warning).  ERR_UNAVAILABLE if no
 * source has credentials (each source's failure is logged, never a
 * secret).
 */
enum err	awscred_chain_get(struct awscred_chain *, struct awscred *out);

/*
 * As awscred_chain_get(), but lend the credentials instead of copying
 * them: *out points into the chain (never NULL on ERR_OK) and stays valid
 * until the next call on this chain (get, borrow, invalidate, free).  The
 * hot path (a presign, an S3 call) thus neither copies nor wipes a secret;
 * the chain wipes the one it holds when it replaces it and when freed.
 * *gen (may be NULL) changes whenever the credentials held change, so a
 * signer keyed with them knows when to be keyed again without comparing
 * secrets.
 */
enum err	awscred_chain_borrow(struct awscred_chain *,
		    const struct awscred **out, uint64_t *gen);

/* Seconds the held credentials stay valid (INT64_MAX: permanent, 0: none
 * held or expired); cap presigned URL lifetimes with awscred_cap_expires()
 * on the credentials that signed them. */
int64_t		awscred_chain_lifetime(const struct awscred_chain *);

/* Forget the held credentials so the next get resolves again (after an
 * ExpiredToken or signature refusal). */
void		awscred_chain_invalidate(struct awscred_chain *);

/* ---------------------------------------------------- EventBridge sender */

struct eventbridge_send;

struct eventbridge_send_config {
	const char	*region;	/* required, e.g. "eu-west-1" */
	/* Base URL, e.g. "http://127.0.0.1:18301"; NULL or "":
	 * https://events.<region>.amazonaws.com */
	const char	*endpoint;
	long		 connect_timeout_ms;	/* 0: 2000 */
	long		 timeout_ms;		/* whole request; 0: 10000 */
};

/* A sender with one reused libcurl handle.  NULL on a bad config (logged)
 * or ENOMEM. */
struct eventbridge_send *eventbridge_send_new(
		    const struct eventbridge_send_config *);
void		eventbridge_send_free(struct eventbridge_send *);
/* The longest one eventbridge_send() call may take (connect + whole
 * request timeouts, ms): leases must outlast it. */
long		eventbridge_send_timeout_ms(const struct eventbridge_send *);

/*
 * Send one PutEvents request holding the longest prefix of entries[0..n)
 * that fits a batch, signed (SigV4, service "events") with *cred.  *used
 * receives the number of entries sent; res[0..*used) their outcomes: per
 * entry for a 200, the same classified error for every entry otherwise
 * (transport failures and timeouts are RETRY).  Returns ERR_OK whenever
 * outcomes were filled in, ERR_INVAL if n is 0 or entries[0] fails
 * eventbridge_entry_check() (park it), ERR_NOMEM.
 */
enum err	eventbridge_send(struct eventbridge_send *,
		    const struct awscred *cred,
		    const struct eventbridge_entry *entries, size_t n,
		    struct eventbridge_result *res, size_t *used);

/* ------------------------------------------------ outbox events -> AWS */

struct journal;

struct deliver_events_config {
	const char	*source;	/* NULL: EVENTBRIDGE_SOURCE_DEFAULT */
	const char	*bus_name;	/* NULL or "": the default bus */
	const char	*lease_owner;	/* "host:pid", < JOURNAL_LEASE_OWNER_BYTES */
	int		 lease_seconds;	/* > the sender's whole timeout */
	int		 max_attempts;	/* a failing event is dead after these */
	int64_t		 backoff_base_ms;	/* first retry delay (~) */
	int64_t		 backoff_cap_ms;	/* longest retry delay */
	const char	*session_id;	/* NULL: any session; set for the
					   immediate attempt after a commit */
};

struct deliver_events_stats {
	size_t		 claimed;
	size_t		 sent;
	size_t		 retried;	/* failed, due again later */
	size_t		 dead;		/* parked with a reason */
};

/* Events claimed per round. */
#define DELIVER_EVENTS_CLAIM	50

/*
 * One round of event delivery: claim up to DELIVER_EVENTS_CLAIM due events
 * from the journal's outbox (a lease makes this process their only
 * deliverer), send them to EventBridge in PutEvents batches, and record
 * each outcome: sent -> journal_outbox_done(); throttled/5xx/transport/
 * credential errors -> journal_outbox_fail() due again after
 * backoff_delay_ms() (jittered), or dead once max_attempts is reached;
 * refused for good (validation, a Detail EventBridge can never take) ->
 * journal_outbox_dead() with the reason.  Events whose lease would expire
 * before their request could finish are left for the next holder.
 * Counts are added to *st (may be NULL).  Returns ERR_OK (also when nothing
 * was due), ERR_CONFIG if lease_seconds does not outlast
 * eventbridge_send_timeout_ms() (nothing is claimed), or the journal's
 * error (ERR_UNAVAILABLE: journal down; the claimed events come back when
 * their lease expires).
 */
enum err	deliver_events_round(struct journal *, struct eventbridge_send *,
		    struct awscred_chain *, const struct deliver_events_config *,
		    struct deliver_events_stats *st);

#endif /* FCGI_AWS_H */
