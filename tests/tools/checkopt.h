/*
 * checkopt.h: the numeric options of the AWS adapters' drivers
 * (awscred_check, eventbridge_check, deliver_events_check).
 */
#ifndef CHECKOPT_H
#define CHECKOPT_H

/*
 * The decimal number s, 0 to 100000000; anything else ends the program
 * with exit status status after "PROG: bad number S" on stderr.
 */
long	checkopt_num(const char *prog, const char *s, int status);

#endif
