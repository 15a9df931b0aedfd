/*
 * admin.c: `audio-api --outbox`, the operator's view of the outbox.
 *
 *   audio-api [-f file] --outbox [list]        counts, then every row
 *   audio-api [-f file] --outbox dead          counts, then dead rows
 *   audio-api [-f file] --outbox requeue ID    requeue one dead item
 *   audio-api [-f file] --outbox requeue-dead  requeue every dead item
 *
 * The first line is always the counts (pending, leased, dead, age of the
 * oldest pending item), one `key=value` each so scripts can read them;
 * then one line per row: id, kind, session, event id, attempts, state,
 * next attempt (relative), age and the last failure's reason.  Listing
 * opens the journal read-only; requeueing makes the items due now with
 * their attempts reset, so the running delivery loop picks them up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "clock.h"
#include "journal.h"
#include "log.h"

#define ADMIN_LIST_MAX	10000

static const char *
admin_kind(enum journal_outbox_kind k)
{
	return k == JOURNAL_OUTBOX_MANIFEST_WRITE ? "manifest" :
	    k == JOURNAL_OUTBOX_EVENT ? "event" : "?";
}

static int
admin_list(struct journal *j, int dead_only)
{
	struct journal_outbox_stats st;
	struct journal_outbox_row *rows = NULL;
	size_t n = 0, i;
	int64_t now = journal_clock_ms(j);
	int status = 1;

	if (journal_outbox_stats(j, now, &st) != ERR_OK)
		goto out;
	printf("pending=%lld leased=%lld dead=%lld oldest_pending_age_ms=%lld\n",
	    (long long)st.pending, (long long)st.leased, (long long)st.dead,
	    (long long)st.oldest_pending_age_ms);
	if ((rows = calloc(ADMIN_LIST_MAX, sizeof(*rows))) == NULL) {
		log_error("out of memory");
		goto out;
	}
	if (journal_outbox_list(j, dead_only, rows, ADMIN_LIST_MAX, &n) !=
	    ERR_OK)
		goto out;
	for (i = 0; i < n; i++) {
		const struct journal_outbox_row *r = &rows[i];

		printf("id=%lld kind=%s session=%s type=%s event=%s "
		    "attempts=%d state=%s next_in_ms=%lld age_ms=%lld "
		    "reason=%s\n", (long long)r->id, admin_kind(r->kind),
		    r->session_id, r->detail_type[0] ? r->detail_type : "-",
		    r->event_id[0] ? r->event_id : "-", r->attempts,
		    r->dead ? "dead" : "pending",
		    (long long)(r->dead ? 0 : r->next_attempt_ms > now ?
		    r->next_attempt_ms - now : 0),
		    (long long)(now - r->created_ms),
		    r->reason[0] ? r->reason : "-");
	}
	if (n == ADMIN_LIST_MAX)
		printf("(first %d rows only)\n", ADMIN_LIST_MAX);
	status = 0;
out:
	free(rows);
	return status;
}

int
admin_outbox(struct api_conf *conf, int argc, char **argv)
{
	struct journal *j = NULL;
	const char *verb = argc > 0 ? argv[0] : "list";
	int64_t id = 0, count = 0;
	int status = 1, ro;

	if (strcmp(verb, "list") == 0 || strcmp(verb, "dead") == 0) {
		if (argc > 1)
			goto usage;
		ro = 1;
	} else if (strcmp(verb, "requeue") == 0) {
		if (argc != 2 || conf_number(argv[1], 1, INT64_MAX,
		    &id) == -1)
			goto usage;
		ro = 0;
	} else if (strcmp(verb, "requeue-dead") == 0) {
		if (argc != 1)
			goto usage;
		ro = 0;
	} else
		goto usage;

	if (app_journal_open(conf, &j,
	    ro ? JOURNAL_READONLY : 0) != ERR_OK)
		goto out;
	if (ro) {
		status = admin_list(j, strcmp(verb, "dead") == 0);
		goto out;
	}
	if (journal_outbox_requeue(j, id, journal_clock_ms(j), &count) !=
	    ERR_OK)
		goto out;
	printf("requeued=%lld\n", (long long)count);
	status = id > 0 && count == 0 ? 1 : 0;
	if (status != 0)
		fprintf(stderr, "audio-api: no dead outbox item %lld\n",
		    (long long)id);
	goto out;
usage:
	fprintf(stderr, "usage: audio-api [-f file] --outbox "
	    "[list | dead | requeue ID | requeue-dead]\n");
	status = 2;
out:
	journal_close(j);
	return status;
}
