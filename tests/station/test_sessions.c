/*
 * test_sessions.c - sessions, CSRF and login backoff (station/sessions.c),
 * all on fake time: every call is given its "now", nothing sleeps.
 */
#include "check.h"
#include "sessions.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define T0 1000000LL          /* a monotonic time to count from */
#define SEC 1000LL
#define MIN (60 * SEC)
#define BOARD_MAX (12 * 60 * MIN)
#define PHONE_IDLE (15 * MIN)

/* True when t is 64 lowercase hex digits. */
static bool is_token(const char *t)
{
    size_t i;

    for (i = 0; t[i]; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return false;
    return i == 64;
}

/* ---- sessions ---------------------------------------------------------------------- */

static void test_create_and_find(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    const struct session *a, *b, *f;
    char tok_a[SESSION_TOKEN_LEN], tok_b[SESSION_TOKEN_LEN], upper[SESSION_TOKEN_LEN];

    REQUIRE(s != NULL);
    a = sessions_create(s, "sam", ROLE_NURSE, VIEW_BOARD, T0);
    REQUIRE(a != NULL);
    CHECK(is_token(a->token));
    CHECK(is_token(a->csrf));
    CHECK(strcmp(a->token, a->csrf) != 0);
    CHECK_STR_EQ(a->user, "sam");
    CHECK_INT_EQ(a->role, ROLE_NURSE);
    CHECK_INT_EQ(a->view, VIEW_BOARD);
    CHECK_INT_EQ(a->created_ms, T0);
    snprintf(tok_a, sizeof tok_a, "%s", a->token);
    b = sessions_create(s, "alex", ROLE_CHARGE, VIEW_PHONE, T0);
    REQUIRE(b != NULL);
    snprintf(tok_b, sizeof tok_b, "%s", b->token);
    CHECK(strcmp(tok_a, tok_b) != 0);

    f = sessions_find(s, tok_a, T0 + SEC);
    REQUIRE(f != NULL);
    CHECK_STR_EQ(f->user, "sam");
    f = sessions_find(s, tok_b, T0 + SEC);
    REQUIRE(f != NULL);
    CHECK_STR_EQ(f->user, "alex");
    CHECK_INT_EQ(f->role, ROLE_CHARGE);

    /* Malformed or unknown tokens: no session. */
    CHECK(sessions_find(s, NULL, T0) == NULL);
    CHECK(sessions_find(s, "", T0) == NULL);
    CHECK(sessions_find(s, "abc", T0) == NULL);
    snprintf(upper, sizeof upper, "%.63s", tok_a);                 /* one digit short */
    CHECK(sessions_find(s, upper, T0) == NULL);
    {
        char longer[80];
        snprintf(longer, sizeof longer, "%s0", tok_a);              /* one digit more */
        CHECK(sessions_find(s, longer, T0) == NULL);
    }
    snprintf(upper, sizeof upper, "%s", tok_a);
    upper[0] = upper[0] == '0' ? '1' : '0';                        /* one digit changed */
    CHECK(sessions_find(s, upper, T0) == NULL);
    /* Bad arguments to create. */
    CHECK(sessions_create(s, "bad name", ROLE_NURSE, VIEW_BOARD, T0) == NULL);
    CHECK(sessions_create(s, "", ROLE_NURSE, VIEW_BOARD, T0) == NULL);
    CHECK(sessions_create(s, NULL, ROLE_NURSE, VIEW_BOARD, T0) == NULL);
    CHECK(sessions_new(0, PHONE_IDLE) == NULL);
    sessions_free(s);
}

static void test_csrf(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    const struct session *a, *b;
    char csrf[SESSION_TOKEN_LEN], other[SESSION_TOKEN_LEN], tok[SESSION_TOKEN_LEN];

    REQUIRE(s != NULL);
    a = sessions_create(s, "sam", ROLE_NURSE, VIEW_BOARD, T0);
    REQUIRE(a != NULL);
    snprintf(csrf, sizeof csrf, "%s", a->csrf);
    snprintf(tok, sizeof tok, "%s", a->token);
    b = sessions_create(s, "pat", ROLE_NURSE, VIEW_BOARD, T0);
    REQUIRE(b != NULL);
    snprintf(other, sizeof other, "%s", b->csrf);

    a = sessions_find(s, tok, T0);
    REQUIRE(a != NULL);
    CHECK(sessions_csrf_ok(a, csrf));
    CHECK(!sessions_csrf_ok(a, other));     /* another session's token */
    CHECK(!sessions_csrf_ok(a, tok));       /* the cookie is not the CSRF token */
    CHECK(!sessions_csrf_ok(a, NULL));
    CHECK(!sessions_csrf_ok(a, ""));
    CHECK(!sessions_csrf_ok(NULL, csrf));
    csrf[63] = csrf[63] == 'a' ? 'b' : 'a';
    CHECK(!sessions_csrf_ok(a, csrf));
    csrf[63] = '\0';
    CHECK(!sessions_csrf_ok(a, csrf));      /* 63 digits */
    sessions_free(s);
}

static void test_phone_idle_expiry(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    const struct session *se;
    char tok[SESSION_TOKEN_LEN];

    REQUIRE(s != NULL);
    se = sessions_create(s, "sam", ROLE_NURSE, VIEW_PHONE, T0);
    REQUIRE(se != NULL);
    snprintf(tok, sizeof tok, "%s", se->token);
    /* Finding it (the event stream, a page load) is not a touch. */
    CHECK(sessions_find(s, tok, T0 + PHONE_IDLE - 1) != NULL);
    /* A touch just before the end restarts the idle clock. */
    sessions_touch(s, tok, T0 + PHONE_IDLE - 1);
    CHECK(sessions_find(s, tok, T0 + 2 * PHONE_IDLE - 2) != NULL);
    se = sessions_find(s, tok, T0 + 2 * PHONE_IDLE - 2);
    REQUIRE(se != NULL);
    CHECK_INT_EQ(se->touched_ms, T0 + PHONE_IDLE - 1);
    /* Idle for phone_idle: gone, and gone for good. */
    CHECK(sessions_find(s, tok, T0 + 2 * PHONE_IDLE - 1) == NULL);
    CHECK(sessions_find(s, tok, T0) == NULL);
    sessions_touch(s, tok, T0);   /* harmless */
    CHECK(sessions_find(s, tok, T0) == NULL);
    sessions_free(s);
}

static void test_board_max_expiry(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    const struct session *se;
    char board[SESSION_TOKEN_LEN], phone[SESSION_TOKEN_LEN];

    REQUIRE(s != NULL);
    se = sessions_create(s, "sam", ROLE_NURSE, VIEW_BOARD, T0);
    REQUIRE(se != NULL);
    snprintf(board, sizeof board, "%s", se->token);
    se = sessions_create(s, "pat", ROLE_NURSE, VIEW_PHONE, T0);
    REQUIRE(se != NULL);
    snprintf(phone, sizeof phone, "%s", se->token);
    /* A board session does not idle out: untouched for hours it lives on. */
    CHECK(sessions_find(s, board, T0 + 3 * 60 * MIN) != NULL);
    /* A phone kept busy lives on too, but neither outlives board_max from login. */
    for (int64_t t = T0 + 10 * MIN; t < T0 + BOARD_MAX; t += 10 * MIN)
        sessions_touch(s, phone, t);
    sessions_touch(s, board, T0 + BOARD_MAX - 1);
    CHECK(sessions_find(s, board, T0 + BOARD_MAX - 1) != NULL);
    CHECK(sessions_find(s, phone, T0 + BOARD_MAX - 1) != NULL);
    CHECK(sessions_find(s, board, T0 + BOARD_MAX) == NULL);
    CHECK(sessions_find(s, phone, T0 + BOARD_MAX) == NULL);
    sessions_free(s);
}

static void test_end_and_end_user(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    char t1[SESSION_TOKEN_LEN], t2[SESSION_TOKEN_LEN], t3[SESSION_TOKEN_LEN];
    const struct session *se;

    REQUIRE(s != NULL);
    se = sessions_create(s, "sam", ROLE_NURSE, VIEW_BOARD, T0);
    REQUIRE(se != NULL);
    snprintf(t1, sizeof t1, "%s", se->token);
    se = sessions_create(s, "sam", ROLE_NURSE, VIEW_PHONE, T0);
    REQUIRE(se != NULL);
    snprintf(t2, sizeof t2, "%s", se->token);
    se = sessions_create(s, "pat", ROLE_NURSE, VIEW_PHONE, T0);
    REQUIRE(se != NULL);
    snprintf(t3, sizeof t3, "%s", se->token);

    sessions_end(s, t1);
    CHECK(sessions_find(s, t1, T0) == NULL);
    CHECK(sessions_find(s, t2, T0) != NULL);
    sessions_end(s, t1);          /* twice: harmless */
    sessions_end(s, "garbage");
    sessions_end(s, NULL);
    sessions_create(s, "sam", ROLE_NURSE, VIEW_BOARD, T0);
    CHECK_INT_EQ(sessions_end_user(s, "sam"), 2);
    CHECK(sessions_find(s, t2, T0) == NULL);
    CHECK(sessions_find(s, t3, T0) != NULL);
    CHECK_INT_EQ(sessions_end_user(s, "sam"), 0);
    CHECK_INT_EQ(sessions_end_user(s, NULL), 0);
    sessions_free(s);
}

static void test_eviction_of_the_oldest_idle(void)
{
    static char tok[SESSIONS_MAX + 1][SESSION_TOKEN_LEN];
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    const struct session *se;
    int live = 0;

    REQUIRE(s != NULL);
    /* Fill the table; session i is created at T0 + i s. */
    for (int i = 0; i < SESSIONS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "u%d", i);
        se = sessions_create(s, name, ROLE_NURSE, VIEW_BOARD, T0 + i * SEC);
        REQUIRE(se != NULL);
        snprintf(tok[i], sizeof tok[i], "%s", se->token);
    }
    /* The oldest (u0) is touched now, so u1 is the one idle the longest. */
    sessions_touch(s, tok[0], T0 + SESSIONS_MAX * SEC);
    se = sessions_create(s, "late", ROLE_NURSE, VIEW_BOARD, T0 + (SESSIONS_MAX + 1) * SEC);
    REQUIRE(se != NULL);
    snprintf(tok[SESSIONS_MAX], sizeof tok[SESSIONS_MAX], "%s", se->token);
    CHECK(sessions_find(s, tok[1], T0 + (SESSIONS_MAX + 2) * SEC) == NULL);
    CHECK(sessions_find(s, tok[0], T0 + (SESSIONS_MAX + 2) * SEC) != NULL);
    CHECK(sessions_find(s, tok[SESSIONS_MAX], T0 + (SESSIONS_MAX + 2) * SEC) != NULL);
    for (int i = 0; i <= SESSIONS_MAX; i++)
        live += sessions_find(s, tok[i], T0 + (SESSIONS_MAX + 2) * SEC) != NULL;
    CHECK_INT_EQ(live, SESSIONS_MAX);
    /* Next, u2 goes. */
    se = sessions_create(s, "later", ROLE_NURSE, VIEW_BOARD, T0 + (SESSIONS_MAX + 3) * SEC);
    REQUIRE(se != NULL);
    CHECK(sessions_find(s, tok[2], T0 + (SESSIONS_MAX + 3) * SEC) == NULL);
    CHECK(sessions_find(s, tok[3], T0 + (SESSIONS_MAX + 3) * SEC) != NULL);
    sessions_free(s);
}

static void test_expired_sessions_make_room_first(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    char keep[SESSION_TOKEN_LEN];
    const struct session *se;

    REQUIRE(s != NULL);
    /* One board session made first (the oldest), then phones that all idle out. */
    se = sessions_create(s, "board", ROLE_NURSE, VIEW_BOARD, T0);
    REQUIRE(se != NULL);
    snprintf(keep, sizeof keep, "%s", se->token);
    for (int i = 1; i < SESSIONS_MAX; i++)
        REQUIRE(sessions_create(s, "phone", ROLE_NURSE, VIEW_PHONE, T0 + SEC) != NULL);
    /* Past the phones' idle time a new login takes an expired slot, not the live board. */
    REQUIRE(sessions_create(s, "new", ROLE_NURSE, VIEW_BOARD, T0 + SEC + PHONE_IDLE) != NULL);
    CHECK(sessions_find(s, keep, T0 + SEC + PHONE_IDLE) != NULL);
    sessions_free(s);
}

/* ---- login backoff ----------------------------------------------------------------- */

static void test_backoff_sequence_per_name(void)
{
    static const int64_t want[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    int64_t t = T0;

    REQUIRE(s != NULL);
    /* Three wrong passwords are free (from three addresses: the name is what counts). */
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.1", t), 0);
    sessions_login_failed(s, "sam", "10.0.0.1", t);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.2", t), 0);
    sessions_login_failed(s, "sam", "10.0.0.2", t);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.3", t), 0);
    sessions_login_failed(s, "sam", "10.0.0.3", t);
    /* Then 1 s, 2, 4, ... 60, 60, each counted from the failure before. */
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int64_t w = sessions_login_wait(s, "sam", "10.0.0.4", t);
        CHECK_INT_EQ(w, want[i] * SEC);
        CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.4", t + w - 1), 1);
        CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.4", t + w), 0);
        /* Another name is not held back. */
        CHECK_INT_EQ(sessions_login_wait(s, "pat", "10.0.0.5", t), 0);
        t += w;
        sessions_login_failed(s, "sam", "10.0.0.4", t);
    }
    /* A right password clears the name's count: three free tries again. */
    sessions_login_ok(s, "sam", "10.0.0.4");
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.4", t), 0);
    sessions_login_failed(s, "sam", "10.0.0.6", t);
    sessions_login_failed(s, "sam", "10.0.0.6", t);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.6", t), 0);
    sessions_login_failed(s, "sam", "10.0.0.6", t);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.6", t), 1 * SEC);
    sessions_free(s);
}

static void test_backoff_forgets_after_15_min(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    int64_t t = T0;

    REQUIRE(s != NULL);
    for (int i = 0; i < 5; i++)
        sessions_login_failed(s, "sam", "10.0.0.1", t);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.1", t), 4 * SEC);
    /* 15 min after the last failure the count is gone. */
    CHECK(sessions_login_wait(s, "sam", "10.0.0.1", t + 15 * MIN - 1) == 0);
    sessions_login_failed(s, "sam", "10.0.0.1", t + 15 * MIN);
    sessions_login_failed(s, "sam", "10.0.0.1", t + 15 * MIN);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.1", t + 15 * MIN), 0);
    sessions_login_failed(s, "sam", "10.0.0.1", t + 15 * MIN);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.0.0.1", t + 15 * MIN), 1 * SEC);
    sessions_free(s);
}

static void test_backoff_per_address(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    char name[16];
    int64_t t = T0;

    REQUIRE(s != NULL);
    /* Ten wrong passwords from one address, each for a different name: free. */
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "n%d", i);
        CHECK_INT_EQ(sessions_login_wait(s, name, "192.168.1.9", t), 0);
        sessions_login_failed(s, name, "192.168.1.9", t);
    }
    /* The eleventh attempt from there waits, whatever the name (a real one too)... */
    CHECK_INT_EQ(sessions_login_wait(s, "fresh", "192.168.1.9", t), 1 * SEC);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "192.168.1.9", t), 1 * SEC);
    /* ...the same names from another address do not. */
    CHECK_INT_EQ(sessions_login_wait(s, "fresh", "192.168.1.10", t), 0);
    CHECK_INT_EQ(sessions_login_wait(s, "n3", "192.168.1.10", t), 0);
    /* It doubles as for a name. */
    t += SEC;
    sessions_login_failed(s, "x", "192.168.1.9", t);
    CHECK_INT_EQ(sessions_login_wait(s, "y", "192.168.1.9", t), 2 * SEC);
    /* A right password clears the name's count, not the address's. */
    sessions_login_ok(s, "x", "192.168.1.9");
    CHECK_INT_EQ(sessions_login_wait(s, "x", "192.168.1.9", t), 2 * SEC);
    /* No address (NULL or ""): only the name counts. */
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "m%d", i);
        sessions_login_failed(s, name, "", t);
    }
    CHECK_INT_EQ(sessions_login_wait(s, "m99", NULL, t), 0);
    sessions_free(s);
}

static void test_backoff_tables_are_bounded(void)
{
    sessions *s = sessions_new(BOARD_MAX, PHONE_IDLE);
    char name[32], addr[32];
    int64_t t = T0;

    REQUIRE(s != NULL);
    /* sam earns a wait first... */
    for (int i = 0; i < 3; i++)
        sessions_login_failed(s, "sam", "10.1.0.1", t);
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.9.9.9", t), 1 * SEC);
    /* ...then 5,000 names from 5,000 addresses, one failure each, a ms apart: the tables
     * keep their size (they forget the stalest), and what is recent is still held. */
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "spray%d", i);
        snprintf(addr, sizeof addr, "10.2.%d.%d", i / 256, i % 256);
        sessions_login_failed(s, name, addr, t + 1 + i);
    }
    t += 1 + 5000;
    CHECK_INT_EQ(sessions_login_wait(s, "sam", "10.9.9.9", t), 0);   /* forgotten, bounded */
    for (int i = 0; i < 3; i++)
        sessions_login_failed(s, "recent", "10.3.0.1", t);
    CHECK(sessions_login_wait(s, "recent", "10.9.9.9", t) == 1 * SEC);
    /* A name far longer than any real one is cut, not refused, and still counted. */
    {
        char longname[300];
        memset(longname, 'z', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        for (int i = 0; i < 3; i++)
            sessions_login_failed(s, longname, "10.4.0.1", t);
        CHECK_INT_EQ(sessions_login_wait(s, longname, "10.9.9.9", t), 1 * SEC);
    }
    sessions_free(s);
}

int main(void)
{
    RUN(test_create_and_find);
    RUN(test_csrf);
    RUN(test_phone_idle_expiry);
    RUN(test_board_max_expiry);
    RUN(test_end_and_end_user);
    RUN(test_eviction_of_the_oldest_idle);
    RUN(test_expired_sessions_make_room_first);
    RUN(test_backoff_sequence_per_name);
    RUN(test_backoff_forgets_after_15_min);
    RUN(test_backoff_per_address);
    RUN(test_backoff_tables_are_bounded);
    return CHECK_SUMMARY();
}
