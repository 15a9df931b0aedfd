/*
 * orphan.h: the orphan sweep's judgement of one listed object.
 *
 * The sweep (fcgi/deliver_sweep.c) lists the bucket's users/ prefix a page
 * at a time; for each object it asks the journal what it knows of the
 * object's session and seq (journal_sweep_lookup()) and this module says
 * what to do.  Pure: no I/O, no clock (now comes in the rules), so the
 * rules are unit-tested case by case.
 *
 * The rule that matters most: an object the journal knows is never
 * deleted.  Known are a session's manifest.json and every completed
 * chunk's key; kept as well are the objects of a session being deleted
 * (its deletion lists and empties the prefix itself) and a chunk whose
 * upload URL, plus sweep_grace, has not run out (its client may still
 * complete it).  A completed chunk whose object no longer has the
 * journal's size or ETag is a mismatch: reported, kept.  Everything else
 * under users/ is an orphan: an object of
 * an unknown session (a PUT after the session was deleted and its
 * tombstone was gone), a chunk uploaded but never completed, a key the API
 * never writes.  An orphan is deleted only once S3's LastModified is
 * min_age old; an object without a LastModified is never deleted.
 */
#ifndef ORPHAN_H
#define ORPHAN_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "limit.h"
#include "s3key.h"

/* Where a listed key points: its user, session and seq. */
struct orphan_where {
	int		 ours;		/* a key the API writes */
	enum s3key_kind	 kind;		/* chunk or manifest */
	char		 sub[LIMIT_SUB_BYTES + 1];
	char		 session[LIMIT_SESSION_ID_BYTES + 1];
	int64_t		 seq;		/* chunks; 0 for a manifest */
};

/* One listed object. */
struct orphan_object {
	const char	*key;
	int64_t		 size;		/* -1: S3 did not say */
	int64_t		 modified_ms;	/* -1: S3 did not say */
	const char	*etag;		/* NULL or "": S3 did not say */
};

struct orphan_rules {
	int64_t		 now_ms;
	int64_t		 min_age_ms;	/* sweep_min_age */
	int64_t		 grace_ms;	/* sweep_grace, after a URL's expiry */
	int64_t		 slack_ms;	/* how far a recorded expiry may lag */
};

enum orphan_verdict {
	ORPHAN_KNOWN = 0,	/* the journal's: a chunk or a manifest */
	ORPHAN_MISMATCH,	/* a known chunk whose object has changed */
	ORPHAN_KEEP,		/* not the journal's, but not to delete yet */
	ORPHAN_YOUNG,		/* an orphan younger than min_age */
	ORPHAN_DELETE,		/* an orphan old enough: delete it */
};

/* Split key (NUL-terminated) into *w; w->ours 0 when it is not a key the
 * API writes (then nothing else in *w is set). */
void		orphan_where(const char *key, struct orphan_where *w);

/*
 * Judge object o at w, with f what the journal knows of w's session and
 * seq (unused when !w->ours).  *why (never NULL on return) is a short
 * reason for the log: the kind of orphan, or why it is kept.
 */
enum orphan_verdict orphan_judge(const struct orphan_object *o,
		    const struct orphan_where *w,
		    const struct journal_sweep_facts *f,
		    const struct orphan_rules *r, const char **why);

#endif /* ORPHAN_H */
