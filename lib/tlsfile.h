/*
 * tlsfile.h: check TLS files the way the TLS library will load them.
 *
 * A config check (`-n`) that only looks for the files would pass a
 * certificate that is not PEM, a key that is encrypted or belongs to
 * another certificate, and the program would then fail to start, or (a
 * gRPC client) fail on every connection.  These load the files into an
 * OpenSSL context, as libwebsockets and gRPC do, and say why when they
 * do not load.  No network, no prompt for a passphrase.
 */
#ifndef TLSFILE_H
#define TLSFILE_H

#include <stddef.h>

#include "err.h"

/*
 * cert: a PEM certificate chain; key: the PEM private key of its first
 * certificate (unencrypted).  ERR_OK; or ERR_CONFIG with *bad pointing at
 * cert or key (the file at fault) and one line in why ("No such file or
 * directory", "not a PEM certificate: ...", "does not match the
 * certificate"); ERR_NOMEM.
 */
enum err	tlsfile_check_pair(const char *cert, const char *key,
		    const char **bad, char *why, size_t whylen);

/* ca: a PEM file of at least one trusted certificate.  ERR_OK, or
 * ERR_CONFIG with why set; ERR_NOMEM. */
enum err	tlsfile_check_ca(const char *ca, char *why, size_t whylen);

#endif /* TLSFILE_H */
