/*
 * sessions.c - who is logged in to the station, and who is being kept out
 * (see sessions.h).
 *
 * Two fixed tables, nothing that grows: the sessions (SESSIONS_MAX slots,
 * scanned whole: 512 constant-time compares of 64 bytes cost about a
 * microsecond), and the login failures, one table keyed by name and one by
 * address (BACKOFF_SLOTS each; a full table forgets its stalest entry).
 */
#include "sessions.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define TOKEN_HEX 64                     /* SESSION_TOKEN_LEN - 1 */
#define BACKOFF_SLOTS 1024               /* names (and addresses) remembered */
#define BACKOFF_KEY_MAX 64               /* longer keys are cut (an address fits) */
#define BACKOFF_WINDOW_MS (15 * 60 * 1000)
#define BACKOFF_NAME_FREE 3              /* failures for a name before the first wait */
#define BACKOFF_ADDR_FREE 10             /* failures from an address before the first wait */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000

/* Failed logins for one name or one address. */
struct failures {
    char key[BACKOFF_KEY_MAX];
    int count;              /* failures, each within the window of the one before */
    int64_t last_ms;        /* the latest failure */
};

struct backoff {
    struct failures slot[BACKOFF_SLOTS];
    int free_tries;         /* BACKOFF_NAME_FREE or BACKOFF_ADDR_FREE */
};

struct sessions {
    struct session slot[SESSIONS_MAX];
    bool used[SESSIONS_MAX];
    int64_t board_max_ms, phone_idle_ms;
    struct backoff names, addrs;
};

/* ---- tokens ------------------------------------------------------------------------ */

/* 256 random bits as 64 lowercase hex digits into out. 0, or -1 (logged). */
static int token_new(char out[SESSION_TOKEN_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[TOKEN_HEX / 2];
    size_t got = 0;

    while (got < sizeof rnd) {
        ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
        if (n < 0 && errno != EINTR) {
            log_error("sessions: getrandom: %s", strerror(errno));
            return -1;
        }
        if (n > 0)
            got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof rnd; i++) {
        out[2 * i] = hex[rnd[i] >> 4];
        out[2 * i + 1] = hex[rnd[i] & 15];
    }
    out[TOKEN_HEX] = '\0';
    explicit_bzero(rnd, sizeof rnd);
    return 0;
}

/* True when t is exactly 64 hex digits (what a cookie or header must hold). */
static bool token_wellformed(const char *t)
{
    size_t i;

    if (!t)
        return false;
    for (i = 0; i < TOKEN_HEX; i++) {
        char c = t[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return t[i] == '\0';
}

/* Compares two 64-byte tokens without an early exit. */
static bool token_eq(const char *a, const char *b)
{
    unsigned diff = 0;

    for (size_t i = 0; i < TOKEN_HEX; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
    return diff == 0;
}

/* ---- the table --------------------------------------------------------------------- */

sessions *sessions_new(int64_t board_max_ms, int64_t phone_idle_ms)
{
    sessions *s;

    if (board_max_ms <= 0 || phone_idle_ms <= 0)
        return NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->board_max_ms = board_max_ms;
    s->phone_idle_ms = phone_idle_ms;
    s->names.free_tries = BACKOFF_NAME_FREE;
    s->addrs.free_tries = BACKOFF_ADDR_FREE;
    return s;
}

void sessions_free(sessions *s)
{
    if (!s)
        return;
    explicit_bzero(s->slot, sizeof s->slot);
    free(s);
}

static void slot_clear(sessions *s, int i)
{
    explicit_bzero(&s->slot[i], sizeof s->slot[i]);
    s->used[i] = false;
}

/*
 * True when the session in slot i is over at now: every session ends
 * board_max after login, and a phone one also phone_idle after its last touch.
 */
static bool slot_expired(const sessions *s, int i, int64_t now_ms)
{
    const struct session *se = &s->slot[i];

    if (now_ms - se->created_ms >= s->board_max_ms)
        return true;
    return se->view == VIEW_PHONE && now_ms - se->touched_ms >= s->phone_idle_ms;
}

/* The slot holding token (every used slot is compared), or -1. */
static int slot_of(const sessions *s, const char *token)
{
    int found = -1;

    if (!token_wellformed(token))
        return -1;
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (s->used[i] && token_eq(s->slot[i].token, token))
            found = i;
    return found;
}

/* A slot for a new session: a free one, an expired one, or the one idle the longest. */
static int slot_for_new(sessions *s, int64_t now_ms)
{
    int free_slot = -1, oldest = -1;

    for (int i = 0; i < SESSIONS_MAX; i++) {
        if (s->used[i] && slot_expired(s, i, now_ms))
            slot_clear(s, i);
        if (!s->used[i]) {
            if (free_slot < 0)
                free_slot = i;
        } else if (oldest < 0 || s->slot[i].touched_ms < s->slot[oldest].touched_ms)
            oldest = i;
    }
    if (free_slot >= 0)
        return free_slot;
    log_warn("sessions: %d sessions open: ending %s's (%s view, idle %lld s) to make room",
             SESSIONS_MAX, s->slot[oldest].user,
             s->slot[oldest].view == VIEW_PHONE ? "phone" : "board",
             (long long)((now_ms - s->slot[oldest].touched_ms) / 1000));
    slot_clear(s, oldest);
    return oldest;
}

const struct session *sessions_create(sessions *s, const char *user, enum user_role role,
                                      enum session_view view, int64_t now_ms)
{
    struct session *se;
    int i;

    if (!s || !user_name_valid(user) || (view != VIEW_BOARD && view != VIEW_PHONE) ||
        (role != ROLE_NURSE && role != ROLE_CHARGE))
        return NULL;
    i = slot_for_new(s, now_ms);
    se = &s->slot[i];
    if (token_new(se->token) != 0 || token_new(se->csrf) != 0) {
        slot_clear(s, i);
        return NULL;
    }
    snprintf(se->user, sizeof se->user, "%s", user);
    se->role = role;
    se->view = view;
    se->created_ms = se->touched_ms = now_ms;
    s->used[i] = true;
    return se;
}

const struct session *sessions_find(sessions *s, const char *token, int64_t now_ms)
{
    int i;

    if (!s)
        return NULL;
    i = slot_of(s, token);
    if (i < 0)
        return NULL;
    if (slot_expired(s, i, now_ms)) {
        log_info("sessions: %s's %s session ended (%s)", s->slot[i].user,
                 s->slot[i].view == VIEW_PHONE ? "phone" : "board",
                 now_ms - s->slot[i].created_ms >= s->board_max_ms ? "too old" : "idle");
        slot_clear(s, i);
        return NULL;
    }
    return &s->slot[i];
}

bool sessions_csrf_ok(const struct session *se, const char *csrf)
{
    if (!se || !token_wellformed(csrf))
        return false;
    return token_eq(se->csrf, csrf);
}

void sessions_touch(sessions *s, const char *token, int64_t now_ms)
{
    const struct session *se = sessions_find(s, token, now_ms);

    if (se)
        s->slot[se - s->slot].touched_ms = now_ms;
}

void sessions_end(sessions *s, const char *token)
{
    int i;

    if (!s)
        return;
    i = slot_of(s, token);
    if (i >= 0)
        slot_clear(s, i);
}

int sessions_end_user(sessions *s, const char *user)
{
    int n = 0;

    if (!s || !user)
        return 0;
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (s->used[i] && strcmp(s->slot[i].user, user) == 0) {
            slot_clear(s, i);
            n++;
        }
    return n;
}

/* ---- login backoff ----------------------------------------------------------------- */

/* The entry for key (cut to BACKOFF_KEY_MAX - 1 bytes), or NULL. Stale entries are dropped. */
static struct failures *backoff_find(struct backoff *b, const char *key, int64_t now_ms)
{
    for (int i = 0; i < BACKOFF_SLOTS; i++) {
        struct failures *f = &b->slot[i];
        if (f->count == 0)
            continue;
        if (now_ms - f->last_ms >= BACKOFF_WINDOW_MS) {
            memset(f, 0, sizeof *f);
            continue;
        }
        if (strncmp(f->key, key, BACKOFF_KEY_MAX - 1) == 0)
            return f;
    }
    return NULL;
}

/* A slot for a new key: an empty one, else the one whose last failure is oldest. */
static struct failures *backoff_slot(struct backoff *b)
{
    struct failures *oldest = &b->slot[0];

    for (int i = 0; i < BACKOFF_SLOTS; i++) {
        if (b->slot[i].count == 0)
            return &b->slot[i];
        if (b->slot[i].last_ms < oldest->last_ms)
            oldest = &b->slot[i];
    }
    return oldest;
}

/* ms still to wait after f's failures at now (0: go ahead). */
static int64_t backoff_wait(const struct backoff *b, const struct failures *f, int64_t now_ms)
{
    int64_t wait = BACKOFF_FIRST_MS;
    int over;

    if (!f || f->count < b->free_tries)
        return 0;
    over = f->count - b->free_tries;   /* 0: the first wait (1 s), 1: 2 s, ... */
    while (over-- > 0 && wait < BACKOFF_MAX_MS)
        wait *= 2;
    if (wait > BACKOFF_MAX_MS)
        wait = BACKOFF_MAX_MS;
    return f->last_ms + wait > now_ms ? f->last_ms + wait - now_ms : 0;
}

static void backoff_fail(struct backoff *b, const char *key, int64_t now_ms)
{
    struct failures *f = backoff_find(b, key, now_ms);

    if (!f) {
        f = backoff_slot(b);
        memset(f, 0, sizeof *f);
        snprintf(f->key, sizeof f->key, "%s", key);
    }
    if (f->count < 1000)
        f->count++;
    f->last_ms = now_ms;
}

int64_t sessions_login_wait(sessions *s, const char *name, const char *addr, int64_t now_ms)
{
    int64_t by_name = 0, by_addr = 0;

    if (!s)
        return 0;
    if (name)
        by_name = backoff_wait(&s->names, backoff_find(&s->names, name, now_ms), now_ms);
    if (addr && *addr)
        by_addr = backoff_wait(&s->addrs, backoff_find(&s->addrs, addr, now_ms), now_ms);
    return by_name > by_addr ? by_name : by_addr;
}

void sessions_login_failed(sessions *s, const char *name, const char *addr, int64_t now_ms)
{
    if (!s)
        return;
    if (name)
        backoff_fail(&s->names, name, now_ms);
    if (addr && *addr)
        backoff_fail(&s->addrs, addr, now_ms);
}

void sessions_login_ok(sessions *s, const char *name, const char *addr)
{
    if (!s || !name)
        return;
    for (int i = 0; i < BACKOFF_SLOTS; i++) {
        struct failures *f = &s->names.slot[i];
        if (f->count > 0 && strncmp(f->key, name, BACKOFF_KEY_MAX - 1) == 0)
            memset(f, 0, sizeof *f);
    }
}
