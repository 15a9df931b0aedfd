/*
 * daemon.c: command line and signal set-up shared by the programs (see
 * daemon.h).  Handlers only set a volatile sig_atomic_t flag.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

volatile sig_atomic_t daemon_stop;

static void
daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

static void
daemon_handle(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void
daemon_on_stop(void)
{
	daemon_handle(SIGTERM, daemon_on_signal);
	daemon_handle(SIGINT, daemon_on_signal);
	daemon_handle(SIGPIPE, SIG_IGN);
}

void
daemon_block(void (*handler)(int), const int *sigs, size_t n,
    sigset_t *waitmask)
{
	sigset_t block;
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < n; i++) {
		daemon_handle(sigs[i], handler);
		sigaddset(&block, sigs[i]);
	}
	daemon_handle(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (i = 0; i < n; i++)
		sigdelset(waitmask, sigs[i]);
}

static void
daemon_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-f|--config file] [-n|--check-config]\n"
	    "       %s --print-example\n", prog, prog);
}

int
daemon_args(int argc, char **argv, const char *prog, const char *env,
    const struct conf_key *tab, const char **path, int *check)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "print-example", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	*path = getenv(env);
	*check = 0;
	while ((ch = getopt_long(argc, argv, "f:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			*path = optarg;
			break;
		case 'n':
			*check = 1;
			break;
		case 'E':
			conf_print_example(tab, stdout);
			return 0;
		case 'h':
			daemon_usage(prog);
			return 0;
		default:
			daemon_usage(prog);
			return 2;
		}
	}
	if (optind != argc) {
		daemon_usage(prog);
		return 2;
	}
	if (*path != NULL && **path == '\0')
		*path = NULL;
	return -1;
}
