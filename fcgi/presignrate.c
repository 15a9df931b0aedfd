/*
 * presignrate.c: session_presigns_per_minute, the limit on presigns per
 * session and minute, counted across the workers of one host.
 *
 * A recorder presigns once per chunk (12 a minute at 5-second chunks),
 * plus retries; a client presigning far faster is broken or abusive, and
 * each presign costs a worker.  The requests of one session land on any
 * worker, so the count is shared: every worker maps the same small file
 * of the host (hoststate.c; by default <journal>.presigns) and counts in
 * it with atomic operations (lib/storage/ratewin.c).  Presign is the hot
 * path, so the check costs no system call and no journal write: the file
 * is mapped once per worker, and the clock is the vDSO's.  The counts need
 * not survive a restart of the host (they last a minute), and a worker
 * restart loses nothing since the file stays.
 *
 * Where the file cannot be mapped (a read-only directory), the worker
 * counts in its own memory and says so once: the limit then holds per
 * worker, looser but still a bound.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "ident.h"
#include "journal.h"
#include "log.h"
#include "ratewin.h"
#include "uuid.h"

#define PRESIGNRATE_SUFFIX	".presigns"
#define PRESIGNRATE_WINDOW_MS	60000

/* The host's shared table, or NULL (logged) if the file cannot be used;
 * its name in path. */
static void *
presignrate_map_file(const struct api_conf *conf, char *path, size_t pathsz)
{
	struct stat st;
	void *m = NULL;
	int fd;

	if ((fd = hoststate_open(conf, PRESIGNRATE_SUFFIX, path, pathsz)) ==
	    -1 || fstat(fd, &st) == -1 ||
	    /* every worker may size it: the same size, zero-filled */
	    (st.st_size < (off_t)RATEWIN_SIZE &&
	    ftruncate(fd, (off_t)RATEWIN_SIZE) == -1) ||
	    (m = mmap(NULL, RATEWIN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0)) == MAP_FAILED) {
		log_warn("%s: %s; session_presigns_per_minute is counted per "
		    "worker", path, strerror(errno));
		m = NULL;
	}
	if (fd != -1)
		close(fd);
	return m;
}

static void
presignrate_open(struct app *app)
{
	char path[HOSTSTATE_PATH_SIZE];
	uint64_t seed = 0;
	void *m;

	app->presign_rate_tried = 1;
	if ((m = presignrate_map_file(app->conf, path, sizeof(path))) ==
	    NULL &&
	    (m = mmap(NULL, RATEWIN_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		log_warn("session_presigns_per_minute: %s; not counted",
		    strerror(errno));
		return;
	}
	(void)uuid_random(&seed, sizeof(seed));
	if ((app->presign_rate = ratewin_init(m, RATEWIN_SIZE, seed)) ==
	    NULL) {
		log_warn("%s: not a presign counter file of this version; "
		    "remove it", path);
		munmap(m, RATEWIN_SIZE);
		return;
	}
	app->presign_rate_map = m;
}

int
presignrate_check(struct req *r)
{
	struct app *app = r->app;
	int64_t limit = app->conf->session_presigns_per_minute, retry_ms;
	uint32_t n;
	char msg[200];

	if (limit <= 0)
		return 0;
	if (!app->presign_rate_tried)
		presignrate_open(app);
	if (app->presign_rate == NULL)
		return 0;
	n = ratewin_hit(app->presign_rate, r->session_id,
	    strlen(r->session_id), clock_wall_ms(), PRESIGNRATE_WINDOW_MS,
	    &retry_ms);
	if (n == RATEWIN_FULL) {
		/* once a window per worker is enough to be seen */
		if (app->presign_rate_full_ms / PRESIGNRATE_WINDOW_MS !=
		    clock_wall_ms() / PRESIGNRATE_WINDOW_MS) {
			app->presign_rate_full_ms = clock_wall_ms();
			log_warn("session_presigns_per_minute: over %d "
			    "sessions busy this minute on this host; not "
			    "counted", RATEWIN_SLOTS);
		}
		return 0;
	}
	if (n <= (uint64_t)limit)
		return 0;
	snprintf(msg, sizeof(msg), "session_presigns_per_minute: this "
	    "session asked for %u presigned URLs this minute, the limit is "
	    "%lld; retry later", n, (long long)limit);
	req_limited(r, "session_presigns_per_minute", retry_ms, msg);
	return -1;
}

void
presignrate_close(struct app *app)
{
	if (app->presign_rate_map != NULL)
		munmap(app->presign_rate_map, RATEWIN_SIZE);
	app->presign_rate_map = NULL;
	app->presign_rate = NULL;
	app->presign_rate_tried = 0;
}
