/*
 * main.c: entry point of audio-api.
 *
 *   audio-api [-f file] [--listen spec] [--workers N]   serve FastCGI
 *   audio-api [-f file] -n | --check-config             check the config
 *   audio-api [-f file] -n --connect     ... and reach the journal
 *   audio-api --print-example                           example config
 *   audio-api [-f file] --deliver                       delivery loop
 *   audio-api [-f file] --outbox [list|dead|requeue ID|requeue-dead]
 *   audio-api --migrate-journal FROM TO    copy a journal (migrate.c)
 *
 * Where it serves: the socket it was handed on fd 0 (mod_fcgid, lighttpd
 * bin-path and spawn-fcgi all do that) unless --listen (or the `listen`
 * key) names host:port or unix:/path.  With --workers N (or `workers`) a
 * master preforks N workers and only supervises them (master.c); without,
 * this process is the one worker (worker.c), which is what the web
 * servers that spawn and count processes themselves want.
 *
 * The config file is -f, else $AUDIO_API_CONFIG, else none (defaults plus
 * environment).  Secrets never come from argv.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "conf.h"
#include "limit.h"
#include "log.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: audio-api [-f file] [--listen host:port|unix:path] "
	    "[--workers N]\n"
	    "       audio-api [-f file] -n|--check-config [--connect]\n"
	    "       audio-api --print-example\n"
	    "       audio-api [-f file] --deliver\n"
	    "       audio-api [-f file] --outbox "
	    "[list|dead|requeue ID|requeue-dead]\n"
	    "       audio-api --migrate-journal FROM TO\n");
}

/* True if fd is a listening socket (what FastCGI spawners hand over). */
static int
fd_is_listener(int fd)
{
	struct stat st;
	int on = 0;
	socklen_t len = sizeof(on);

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1)
		return 0;
	return on != 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "connect", no_argument, NULL, 'C' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "print-example", no_argument, NULL, 'E' },
		{ "deliver", no_argument, NULL, 'D' },
		{ "outbox", no_argument, NULL, 'O' },
		{ "migrate-journal", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct api_conf conf;
	const char *path, *listen_arg = NULL, *workers_arg = NULL;
	int ch, check = 0, fd = -1, status = 1, deliver = 0, outbox = 0;
	int connect = 0, migrate = 0;
	int64_t workers = -1;

	memset(&conf, 0, sizeof(conf));
	log_init("audio-api", LOGL_INFO, 2);
	path = getenv("AUDIO_API_CONFIG");
	if (path != NULL && *path == '\0')
		path = NULL;
	while ((ch = getopt_long(argc, argv, "f:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'C':
			connect = 1;
			break;
		case 'l':
			listen_arg = optarg;
			break;
		case 'w':
			workers_arg = optarg;
			break;
		case 'D':
			deliver = 1;
			break;
		case 'O':
			outbox = 1;
			break;
		case 'M':
			migrate = 1;
			break;
		case 'E':
			conf_print_example(api_conf_table, stdout);
			return 0;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (migrate) {
		/* Needs no config: two journals, the default timeouts. */
		if (argc - optind != 2 || check || deliver || outbox) {
			usage();
			return 2;
		}
		return migrate_journal(argv[optind], argv[optind + 1]);
	}
	if ((optind != argc && !outbox) || (deliver && outbox) ||
	    (connect && !check)) {
		usage();
		return 2;
	}
	if (workers_arg != NULL && conf_number(workers_arg, 0,
	    256, &workers) == -1) {
		fprintf(stderr, "audio-api: --workers wants 0..256\n");
		return 2;
	}
	if (check)
		return connect ? api_conf_check_connect(path) :
		    api_conf_check(path);

	if (api_conf_load(&conf, path) != ERR_OK)
		goto out;
	log_init("audio-api", (enum log_level)conf.log_level, 2);
	if (listen_arg != NULL) {
		free(conf.listen);
		if ((conf.listen = strdup(listen_arg)) == NULL)
			goto out;
	}
	conf.workers_cli = workers;
	if (workers >= 0)
		conf.workers = workers;
	if (outbox) {
		status = admin_outbox(&conf, argc - optind, argv + optind);
		goto out;
	}
	if (deliver) {
		status = deliver_run(path, &conf);
		goto out;
	}

	if (conf.listen != NULL && conf.listen[0] != '\0') {
		if ((fd = listen_open(conf.listen, (int)conf.listen_backlog)) ==
		    -1)
			goto out;
	} else if (fd_is_listener(0)) {
		fd = 0;
	} else {
		log_error("fd 0 is not a listening socket and no --listen was "
		    "given; run under spawn-fcgi, mod_fcgid or lighttpd, or use "
		    "--listen host:port|unix:/path");
		goto out;
	}
	if (conf.workers > 0)
		status = master_run(fd, path, &conf);
	else
		status = worker_run(fd, path, &conf);
out:
	if (fd > 0)
		close(fd);
	/* The master (or the single process) removes the socket file it
	 * made; workers never get here (they _exit). */
	if (fd > 0 && conf.listen != NULL && strncmp(conf.listen, "unix:", 5) == 0)
		(void)unlink(conf.listen + 5);
	api_conf_free(&conf);
	return status;
}
