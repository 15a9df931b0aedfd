/*
 * orphan.c: the orphan sweep's judgement of one listed object (see
 * orphan.h for the rules).
 */
#include <string.h>

#include "orphan.h"

void
orphan_where(const char *key, struct orphan_where *w)
{
	struct s3key_parts p;
	enum s3key_kind kind;

	memset(w, 0, sizeof(*w));
	if (key == NULL || s3key_parse(key, strlen(key), &p, &kind) !=
	    ERR_OK || p.sub_len >= sizeof(w->sub) ||
	    p.session_len >= sizeof(w->session))
		return;
	w->ours = 1;
	w->kind = kind;
	memcpy(w->sub, p.sub, p.sub_len);
	memcpy(w->session, p.session, p.session_len);
	w->seq = kind == S3KEY_CHUNK ? p.seq : 0;
}

/* An orphan: deleted once old enough. */
static enum orphan_verdict
orphan_aged(const struct orphan_object *o, const struct orphan_rules *r)
{
	if (o->modified_ms < 0 || r->now_ms - o->modified_ms < r->min_age_ms)
		return ORPHAN_YOUNG;
	return ORPHAN_DELETE;
}

enum orphan_verdict
orphan_judge(const struct orphan_object *o, const struct orphan_where *w,
    const struct journal_sweep_facts *f, const struct orphan_rules *r,
    const char **why)
{
	if (!w->ours) {
		*why = "not a key this API writes";
		return orphan_aged(o, r);
	}
	if (!f->session) {
		if (f->deletion) {
			*why = "its session's deletion is under way";
			return ORPHAN_KEEP;
		}
		*why = "no session of that id";
		return orphan_aged(o, r);
	}
	if (strcmp(f->owner, w->sub) != 0) {
		*why = "under another user than its session's";
		return orphan_aged(o, r);
	}
	if (f->deleting || f->deletion) {
		*why = "its session's deletion is under way";
		return ORPHAN_KEEP;
	}
	if (w->kind == S3KEY_MANIFEST) {
		*why = "the session's manifest";
		return ORPHAN_KNOWN;
	}
	if (f->chunk && strcmp(f->chunk_key, o->key) == 0) {
		if (o->size >= 0 && o->size != f->chunk_bytes) {
			*why = "a completed chunk whose size changed";
			return ORPHAN_MISMATCH;
		}
		/* Both as S3 writes them, quotes included. */
		if (o->etag != NULL && o->etag[0] != '\0' &&
		    f->chunk_etag[0] != '\0' &&
		    strcmp(o->etag, f->chunk_etag) != 0) {
			*why = "a completed chunk whose ETag changed";
			return ORPHAN_MISMATCH;
		}
		*why = "a completed chunk";
		return ORPHAN_KNOWN;
	}
	if (f->seq_expires_ms > 0 && r->now_ms < f->seq_expires_ms +
	    r->slack_ms + r->grace_ms) {
		*why = "its upload URL (and sweep_grace) has not run out";
		return ORPHAN_KEEP;
	}
	*why = f->chunk ? "not the completed chunk of its seq" :
	    "a chunk never completed";
	return orphan_aged(o, r);
}
