/* test_signals.c - the daemons' signal flags (common/signals.c). */
#include "check.h"
#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static void test_reload_is_taken_once(void)
{
    CHECK(!signals_take_reload());
    REQUIRE(raise(SIGHUP) == 0);            /* the handler, not the default (which exits) */
    CHECK(signals_take_reload());
    CHECK(!signals_take_reload());          /* taken: a second SIGHUP is a second reload */
    REQUIRE(raise(SIGHUP) == 0);
    REQUIRE(raise(SIGHUP) == 0);
    CHECK(signals_take_reload());           /* two before the loop looked: one reload */
    CHECK(!signals_stop_requested());
}

static void test_sigpipe_is_ignored(void)
{
    struct sigaction sa;

    REQUIRE(sigaction(SIGPIPE, NULL, &sa) == 0);
    CHECK(sa.sa_handler == SIG_IGN);
    REQUIRE(sigaction(SIGHUP, NULL, &sa) == 0);
    CHECK(sa.sa_flags & SA_RESTART);        /* an interrupted socket call is not a lost link */
}

static void test_block_keeps_them_pending(void)
{
    sigset_t pending;

    signals_block(true);
    REQUIRE(raise(SIGHUP) == 0);
    CHECK(!signals_take_reload());          /* blocked: not delivered yet */
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGHUP));
    signals_block(false);                   /* delivered on unblock */
    CHECK(signals_take_reload());
}

static void test_stop_stays(void)
{
    REQUIRE(raise(SIGTERM) == 0);
    CHECK(signals_stop_requested());
    CHECK(signals_stop_requested());
    CHECK(!signals_take_reload());          /* a stop is not a reload */
}

int main(void)
{
    signals_install();
    RUN(test_reload_is_taken_once);
    RUN(test_sigpipe_is_ignored);
    RUN(test_block_keeps_them_pending);
    RUN(test_stop_stays);                   /* last: the stop flag cannot be cleared */
    return CHECK_SUMMARY();
}
