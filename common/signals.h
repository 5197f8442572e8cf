/*
 * signals.h - SIGTERM/SIGINT (stop) and SIGHUP (reload) for a daemon's main loop.
 *
 * The controller and the station handle signals the same way: a handler only sets a flag,
 * the loop takes it.  SA_RESTART keeps an interrupted socket call from looking like a lost
 * broker (under valgrind a SIGHUP reload once made libmosquitto drop the connection and the
 * controller re-send a page); a blocking select/poll is never restarted (signal(7)), so a
 * signal still wakes the loop at once.  SIGPIPE is ignored: a peer that went away is an
 * error return, not a dead process.
 */
#ifndef HAVEN_SIGNALS_H
#define HAVEN_SIGNALS_H

#include <stdbool.h>

/* Installs the handlers for SIGTERM, SIGINT and SIGHUP, and ignores SIGPIPE. */
void signals_install(void);

/* True once SIGTERM or SIGINT has arrived (it stays true). */
bool signals_stop_requested(void);

/* True if SIGHUP arrived since the last call; clears it. */
bool signals_take_reload(void);

/* Blocks (true) or unblocks (false) the three in the calling thread: block around creating
 * a library's threads so that signals go to the main loop only. */
void signals_block(bool block);

#endif
