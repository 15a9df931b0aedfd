/*
 * journal.c: PLACEHOLDER so lib/journal.h compiles and links while the real
 * SQLite journal is written; every operation answers ERR_INTERNAL.
 */
#include <stdlib.h>
#include <time.h>

#include "journal.h"

enum err journal_open(struct journal **jp, const char *path, int busy_timeout_ms, unsigned flags) { if (jp) *jp = NULL; return ERR_INTERNAL; }
void journal_close(struct journal *j) { }
int64_t journal_now_ms(void) { struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts); return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000; }
int journal_schema_version(struct journal *j) { return 0; }
int journal_schema_latest(void) { return 0; }
enum err journal_limit_size(struct journal *j, int64_t max_bytes) { return ERR_INTERNAL; }
enum err journal_ping(struct journal *j) { return ERR_INTERNAL; }
enum err journal_create_session(struct journal *j, const struct journal_session_new *s, int64_t now_ms) { return ERR_INTERNAL; }
enum err journal_get_session(struct journal *j, const char *owner, const char *id, struct journal_session *out) { return ERR_INTERNAL; }
enum err journal_complete_chunk(struct journal *j, const char *owner, const char *id, const struct journal_chunk *c, int64_t now_ms, struct journal_complete_result *out) { return ERR_INTERNAL; }
enum err journal_unknown_seqs(struct journal *j, const char *owner, const char *id, const int64_t *seqs, size_t n, unsigned char *unknown) { return ERR_INTERNAL; }
enum err journal_upsert_manifest(struct journal *j, const char *owner, const char *id, const struct journal_chunk *c, size_t n, int64_t now_ms, struct journal_upsert_result *out) { return ERR_INTERNAL; }
enum err journal_finalize(struct journal *j, const char *owner, const char *id, int64_t d, const char *mk, int64_t now_ms, struct journal_finalize_result *out) { return ERR_INTERNAL; }
enum err journal_read_snapshot(struct journal *j, const char *owner, const char *id, struct journal_snapshot **out) { if (out) *out = NULL; return ERR_INTERNAL; }
const struct manifest *journal_snapshot_manifest(const struct journal_snapshot *s) { return NULL; }
const struct journal_session *journal_snapshot_session(const struct journal_snapshot *s) { return NULL; }
void journal_snapshot_free(struct journal_snapshot *s) { }
enum err journal_outbox_claim(struct journal *j, const struct journal_claim *c, struct journal_outbox_item *items, size_t max, size_t *n) { if (n) *n = 0; return ERR_INTERNAL; }
void journal_outbox_items_free(struct journal_outbox_item *items, size_t n) { }
enum err journal_outbox_done(struct journal *j, const struct journal_outbox_item *it, int64_t now_ms) { return ERR_INTERNAL; }
enum err journal_outbox_fail(struct journal *j, const struct journal_outbox_item *it, const char *o, int64_t next, const char *r) { return ERR_INTERNAL; }
enum err journal_outbox_dead(struct journal *j, const struct journal_outbox_item *it, const char *o, const char *r) { return ERR_INTERNAL; }
enum err journal_outbox_requeue(struct journal *j, int64_t id, int64_t now_ms, int64_t *count) { return ERR_INTERNAL; }
enum err journal_synced_revision(struct journal *j, const char *id, int64_t *rev) { return ERR_INTERNAL; }
enum err journal_outbox_stats(struct journal *j, int64_t now_ms, struct journal_outbox_stats *s) { return ERR_INTERNAL; }
enum err journal_outbox_list(struct journal *j, int dead_only, struct journal_outbox_row *rows, size_t max, size_t *n) { if (n) *n = 0; return ERR_INTERNAL; }
