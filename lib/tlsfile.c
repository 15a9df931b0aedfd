/*
 * tlsfile.c: load TLS certificate, key and CA files into a throw-away
 * OpenSSL context to prove they will load (see tlsfile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tlsfile.h"

/* Never ask for a passphrase on the terminal: an encrypted key fails. */
static int
tlsfile_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* A readable regular file, else why says what stat/open said. */
static int
tlsfile_readable(const char *path, char *why, size_t whylen)
{
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return 0;
	}
	fclose(fp);
	return 1;
}

/* why = "<path>: <what> (<OpenSSL's reason>)"; clears OpenSSL's queue. */
static enum err
tlsfile_refuse(const char *path, const char *what, char *why, size_t whylen)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(why, whylen, "%s: %s%s%s%s", path, what,
	    reason != NULL ? " (" : "", reason != NULL ? reason : "",
	    reason != NULL ? ")" : "");
	ERR_clear_error();
	return ERR_CONFIG;
}

static SSL_CTX *
tlsfile_ctx(void)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_method())) != NULL)
		SSL_CTX_set_default_passwd_cb(ctx, tlsfile_no_passphrase);
	return ctx;
}

enum err
tlsfile_check_pair(const char *cert, const char *key, const char **bad,
    char *why, size_t whylen)
{
	SSL_CTX *ctx;
	enum err rc = ERR_CONFIG;

	*bad = cert;
	if (!tlsfile_readable(cert, why, whylen))
		return ERR_CONFIG;
	*bad = key;
	if (!tlsfile_readable(key, why, whylen))
		return ERR_CONFIG;
	if ((ctx = tlsfile_ctx()) == NULL)
		return ERR_NOMEM;
	*bad = cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		rc = tlsfile_refuse(cert, "not a PEM certificate chain", why,
		    whylen);
		goto out;
	}
	*bad = key;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		rc = tlsfile_refuse(key, "not an unencrypted PEM private key "
		    "matching the certificate", why, whylen);
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		rc = tlsfile_refuse(key, "does not match the certificate", why,
		    whylen);
		goto out;
	}
	*bad = NULL;
	rc = ERR_OK;
out:
	SSL_CTX_free(ctx);
	return rc;
}

enum err
tlsfile_check_ca(const char *ca, char *why, size_t whylen)
{
	SSL_CTX *ctx;
	enum err rc = ERR_CONFIG;

	if (!tlsfile_readable(ca, why, whylen))
		return ERR_CONFIG;
	if ((ctx = tlsfile_ctx()) == NULL)
		return ERR_NOMEM;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		rc = tlsfile_refuse(ca, "holds no PEM certificate", why,
		    whylen);
	else
		rc = ERR_OK;
	SSL_CTX_free(ctx);
	return rc;
}
