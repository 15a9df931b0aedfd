/*
 * main.c: audio-recognizer, a Riva-compatible speech recognizer for
 * development and small deployments (CMU PocketSphinx, CPU only).
 *
 *   audio-recognizer [-f FILE]          run (config FILE, else
 *                                       $ASR_CONFIG, else defaults and
 *                                       environment)
 *   audio-recognizer -n|--check-config [-f FILE]
 *   audio-recognizer --print-example    the commented config file
 *
 * audio-bridge talks to it exactly as to NVIDIA Riva (riva_target).
 * Before it listens it loads preload_decoders decoders (at least one), so
 * a model that does not load stops it at once with the reason instead of
 * failing the first stream.
 * SIGTERM/SIGINT only set a flag; the gRPC loop then cancels every call
 * and the process exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "asr.h"
#include "limit.h"
#include "log.h"

static volatile sig_atomic_t main_stop;

static void
main_on_signal(int sig)
{
	(void)sig;
	main_stop = 1;
}

static void
main_usage(void)
{
	fprintf(stderr, "usage: audio-recognizer [-f config] "
	    "[-n|--check-config] [--print-example]\n");
}

int
main(int argc, char **argv)
{
	const char *path = getenv("ASR_CONFIG");
	struct asr_conf conf;
	struct sigaction sa;
	struct decoder *d[LIMIT_ASR_STREAMS];
	char errbuf[512];
	int check = 0, i, n, status = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 ||
		    strcmp(argv[i], "--check-config") == 0)
			check = 1;
		else if ((strcmp(argv[i], "-f") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--print-example") == 0) {
			conf_print_example(asr_conf_table, stdout);
			return 0;
		} else {
			main_usage();
			return 2;
		}
	}
	if (path != NULL && *path == '\0')
		path = NULL;
	log_init("audio-recognizer", LOGL_INFO, 2);
	if (asr_conf_load(&conf, path, errbuf, sizeof(errbuf)) != ERR_OK) {
		fprintf(stderr, "audio-recognizer: %s\n", errbuf);
		return 1;
	}
	if (check) {
		printf("audio-recognizer: %s: config ok\n",
		    path != NULL ? path : "(defaults and environment)");
		asr_conf_free(&conf);
		return 0;
	}
	log_init("audio-recognizer", (enum log_level)conf.log_level, 2);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	decoder_pool_init(&conf);
	for (i = 0; i < (int)conf.preload_decoders; i++) {
		if ((d[i] = decoder_pool_get()) == NULL)
			break;
	}
	n = i;
	for (i = 0; i < n; i++)
		decoder_pool_put(d[i]);
	if (n < (int)conf.preload_decoders)
		goto out;
	grpc_init();
	status = server_run(&conf, &main_stop);
	grpc_shutdown_blocking();
	log_info("stopped");
out:
	decoder_pool_free();
	asr_conf_free(&conf);
	return status;
}
