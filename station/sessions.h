/*
 * sessions.h - who is logged in to the station, and who is being kept out.
 *
 * A session is a 256-bit random token (getrandom), sent to the browser as
 * the cookie haven_session (HttpOnly, SameSite=Strict, Secure under TLS),
 * with a second random token for CSRF that the page sends in the
 * X-CSRF-Token header of every POST.  Tokens are compared in constant time.
 * Sessions live in memory: a restarted station asks everyone to log in again.
 *
 * Lifetimes: a board session (the station's screen) lasts board_max_ms
 * (default 12 h) from login; a phone session ends after phone_idle_ms
 * (default 15 min) without a touch (sessions_touch: any action the nurse
 * takes, or the page's own touch report).  At most SESSIONS_MAX sessions; a
 * new login past that evicts the oldest idle one.
 *
 * Backoff: after 3 wrong passwords for one name, or 10 from one address,
 * within 15 min, the next attempt for that name (or from that address) must
 * wait 1 s, then 2, 4, ... up to 60 s; an attempt inside the wait is refused
 * without checking the password.  A right password clears the name's count.
 * Every wrong password and every refusal is the caller's to log.
 *
 * MQTT- and HTTP-free; times are passed in (fake time in the tests).  Not
 * thread-safe: the station holds its lock.
 */
#ifndef HAVEN_STATION_SESSIONS_H
#define HAVEN_STATION_SESSIONS_H

#include "users.h"

#include <stdbool.h>
#include <stdint.h>

#define SESSIONS_MAX 512
#define SESSION_TOKEN_LEN 65     /* 64 hex digits and the NUL */

enum session_view { VIEW_BOARD, VIEW_PHONE };

struct session {
    char token[SESSION_TOKEN_LEN];
    char csrf[SESSION_TOKEN_LEN];
    char user[USER_NAME_MAX];
    enum user_role role;
    enum session_view view;
    int64_t created_ms, touched_ms;   /* monotonic */
};

typedef struct sessions sessions;

sessions *sessions_new(int64_t board_max_ms, int64_t phone_idle_ms);
void sessions_free(sessions *s);

/* A new session for user; returns it (owned by s, valid until the next call), or NULL. */
const struct session *sessions_create(sessions *s, const char *user, enum user_role role,
                                      enum session_view view, int64_t now_ms);

/* The live session for a cookie's token (NULL: none, expired, or malformed). */
const struct session *sessions_find(sessions *s, const char *token, int64_t now_ms);

/* True when csrf is the session's CSRF token (constant time). */
bool sessions_csrf_ok(const struct session *se, const char *csrf);

/* The nurse did something: a phone session's idle clock restarts. */
void sessions_touch(sessions *s, const char *token, int64_t now_ms);

/* Logout. */
void sessions_end(sessions *s, const char *token);

/* Every session of user ends (the account was reset). Returns how many. */
int sessions_end_user(sessions *s, const char *user);

/*
 * Login backoff.  sessions_login_wait: ms the attempt must still wait (0: go
 * ahead) for name from addr (a textual IP).  sessions_login_failed /
 * sessions_login_ok record the outcome.
 */
int64_t sessions_login_wait(sessions *s, const char *name, const char *addr, int64_t now_ms);
void sessions_login_failed(sessions *s, const char *name, const char *addr, int64_t now_ms);
void sessions_login_ok(sessions *s, const char *name, const char *addr);

#endif
