/*
 * users.c: what each user (a token's sub) holds on the bridge, for the
 * per-user limits max_connections_per_user and max_recognitions_per_user.
 *
 * Without them one user could hold all max_connections.  The counts live
 * in a small hash table touched only from the service thread (no locks);
 * an entry exists while its user has a connection.  The upgrade check
 * knows the sub (it verified the token) but libwebsockets allocates the
 * connection only after it: the check leaves the entry it counted against
 * in the wsi's opaque user data, and the connection takes it over at
 * ESTABLISHED.  With auth = off there is no sub and no per-user limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "log.h"

#define USERS_BUCKETS	1024

struct user {
	struct user	*next;
	uint32_t	 conns;		/* established or being upgraded */
	uint32_t	 recognitions;
	char		 sub[LIMIT_SUB_BYTES + 1];
};

static struct user *users_table[USERS_BUCKETS];

static uint32_t
users_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % USERS_BUCKETS;
}

struct user *
users_take_connection(const char *sub, int64_t max, uint32_t *held)
{
	struct user **pp = &users_table[users_hash(sub)], *u;

	for (u = *pp; u != NULL; u = u->next)
		if (strcmp(u->sub, sub) == 0)
			break;
	if (u != NULL && max > 0 && u->conns >= (uint64_t)max) {
		*held = u->conns;
		return NULL;
	}
	if (u == NULL) {
		if (strlen(sub) > LIMIT_SUB_BYTES ||
		    (u = calloc(1, sizeof(*u))) == NULL)
			return NULL;
		memcpy(u->sub, sub, strlen(sub) + 1);
		u->next = *pp;
		*pp = u;
	}
	u->conns++;
	*held = u->conns;
	return u;
}

void
users_drop_connection(struct user *u)
{
	struct user **pp;

	if (u == NULL || u->conns == 0)
		return;
	if (--u->conns > 0 || u->recognitions > 0)
		return;
	for (pp = &users_table[users_hash(u->sub)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			free(u);
			return;
		}
}

int
users_may_recognize(const struct user *u, int64_t max)
{
	return u == NULL || max <= 0 || u->recognitions < (uint64_t)max;
}

void
users_take_recognition(struct user *u)
{
	if (u != NULL)
		u->recognitions++;
}

void
users_drop_recognition(struct user *u)
{
	if (u != NULL && u->recognitions > 0)
		u->recognitions--;
}

const char *
users_sub(const struct user *u)
{
	return u != NULL ? u->sub : "";
}
