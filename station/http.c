/*
 * http.c - the station's web server on libmicrohttpd (one internal thread,
 * epoll): the routes of DESIGN-13 "HTTP", cookies, bounded bodies, security
 * headers on every response we make, the embedded web files, SSE streams and
 * the report's long wait as suspended connections.  No MQTT here: the
 * station.h API does the work, under the station's lock.
 *
 * Logins: a password check is argon2id (~0.3-0.7 s), far too long for
 * libmicrohttpd's one thread, which every board's stream and every action
 * go through.  A POST /login is suspended and handed to one login worker
 * thread through a bounded queue (LOGIN_QUEUE_MAX waiting; past that: 503,
 * logged and audited); the worker checks it (station_login) and resumes the
 * connection, whose next call answers it.  The backoff is asked first, on
 * the HTTP thread (cheap), so refused attempts never take a place in it.
 */
#include "http.h"
#include "ids.h"
#include "course.h"
#include "err.h"
#include "log.h"
#include "report.h"
#include "station.h"
#include "web_assets.h"

#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#define BODY_MAX 8192                 /* a POST body; past it: 413 */
#define MEMORY_LIMIT (16 * 1024)      /* request line and headers, per connection */
#define CONN_LIMIT 600
#define PER_IP_LIMIT 400              /* a clinic's station and the tests' 200 streams */
#define CONN_TIMEOUT_S 15
#define STREAM_BLOCK 4096
#define LOGIN_QUEUE_MAX 8             /* logins waiting for the worker (besides the one it checks) */

/*
 * A connection's deadline to have sent its whole request (line, headers,
 * body): libmicrohttpd's timeout restarts with every byte, so a client that
 * trickles a header byte a second (slowloris) would hold its slot for ever.
 * http_sweep shuts down the sockets past their deadline.  The entry goes in
 * the connection's CLOSED notification, before libmicrohttpd closes the
 * descriptor, so a sweep never touches a reused one.
 */
struct tracked {
    struct tracked *prev, *next;
    int fd;
    int64_t deadline_mono;      /* 0: the request is in (or a stream is being served) */
};

/*
 * One POST /login on its way through the login worker.  Owned by its
 * request (struct req) while QUEUED or DONE; the worker has it while RUNNING
 * (and frees it if the request went meanwhile: orphan).
 */
enum login_state { LOGIN_NEW, LOGIN_QUEUED, LOGIN_RUNNING, LOGIN_DONE };

struct login_job {
    struct login_job *next;                 /* the queue */
    struct MHD_Connection *conn;            /* suspended until DONE */
    enum login_state state;
    bool orphan;                            /* its request ended while RUNNING */
    bool cancelled;                         /* the station stops: never checked (503) */
    char user[128], password[300], view[16];
    char addr[64], agent[256];
    bool has_agent;
    enum login_result result;               /* the outcome (DONE) */
    int wait_s;
    char token[SESSION_TOKEN_LEN];
};

struct login_worker {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;                   /* everything below, and every job's state */
    pthread_cond_t cond;
    struct login_job *head, *tail;
    int queued;
    bool stopping;
};

struct http_server {
    struct MHD_Daemon *d;
    station *st;
    bool tls;
    pthread_mutex_t lock;       /* the tracked list */
    struct tracked *conns;
    struct login_worker lw;
};

/* One request's state, in *con_cls from the first call to the completed callback. */
struct req {
    bool post;
    bool too_big;
    size_t len;
    char *body;                 /* BODY_MAX + 1, POST only */
    station_report *report;     /* a /api/report or /report.csv waiting for the controller */
    struct login_job *login;    /* a POST /login waiting for (or back from) the worker */
};

/* The content reader's context of one event stream. */
struct stream_ctx {
    station *st;
    station_stream *s;
};

static struct log_ratelimit http_rl = LOG_RATELIMIT_INIT(20, 1000);

/* ---- responses --------------------------------------------------------------------- */

static void add_security_headers(struct MHD_Response *r, bool tls)
{
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; style-src 'self'; script-src 'self'");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

struct reply {
    unsigned status;
    const char *type;           /* Content-Type, or NULL */
    const void *body;
    size_t len;
    enum MHD_ResponseMemoryMode mode;
    const char *location;       /* a redirect's, or NULL */
    const char *cookie;         /* Set-Cookie, or NULL */
    const char *disposition;    /* Content-Disposition, or NULL */
};

static enum MHD_Result send_reply(struct MHD_Connection *c, const struct http_server *h,
                                  const struct reply *rp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(rp->len, (void *)rp->body, rp->mode);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    add_security_headers(r, h->tls);
    if (rp->type)
        MHD_add_response_header(r, "Content-Type", rp->type);
    if (rp->location)
        MHD_add_response_header(r, "Location", rp->location);
    if (rp->cookie)
        MHD_add_response_header(r, "Set-Cookie", rp->cookie);
    if (rp->disposition)
        MHD_add_response_header(r, "Content-Disposition", rp->disposition);
    ret = MHD_queue_response(c, rp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A JSON reply from a buffer we own only for this call (copied by MHD). */
static enum MHD_Result send_json(struct MHD_Connection *c, const struct http_server *h,
                                 unsigned status, const char *json)
{
    struct reply rp = { status, "application/json", json, strlen(json), MHD_RESPMEM_MUST_COPY,
                        NULL, NULL, NULL };
    return send_reply(c, h, &rp);
}

static enum MHD_Result send_error(struct MHD_Connection *c, const struct http_server *h,
                                  unsigned status, const char *what)
{
    char json[160];

    snprintf(json, sizeof json, "{\"error\":\"%s\"}", what);
    return send_json(c, h, status, json);
}

static enum MHD_Result redirect(struct MHD_Connection *c, const struct http_server *h,
                                const char *location, const char *cookie)
{
    struct reply rp = { MHD_HTTP_SEE_OTHER, "text/plain", "", 0, MHD_RESPMEM_PERSISTENT,
                        location, cookie, NULL };
    return send_reply(c, h, &rp);
}

static const struct web_asset *asset(const char *path)
{
    for (const struct web_asset *a = web_assets; a->path; a++)
        if (!strcmp(a->path, path))
            return a;
    return NULL;
}

static enum MHD_Result send_asset(struct MHD_Connection *c, const struct http_server *h,
                                  const char *path)
{
    const struct web_asset *a = asset(path);
    struct reply rp = { MHD_HTTP_OK, NULL, NULL, 0, MHD_RESPMEM_PERSISTENT, NULL, NULL, NULL };

    if (!a)
        return send_error(c, h, MHD_HTTP_NOT_FOUND, "not found");
    rp.type = a->content_type;
    rp.body = a->data;
    rp.len = a->len;
    return send_reply(c, h, &rp);
}

/* ---- request deadlines (slow clients) ----------------------------------------------- */

static void set_deadline(struct MHD_Connection *c, const struct http_server *h, int64_t when)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct tracked *t = ci ? ci->socket_context : NULL;

    if (!t)
        return;
    pthread_mutex_lock((pthread_mutex_t *)&h->lock);
    t->deadline_mono = when;
    pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server *h = cls;
    struct tracked *t = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        t = calloc(1, sizeof *t);
        if (!t || !ci) {
            free(t);
            return;
        }
        t->fd = ci->connect_fd;
        t->deadline_mono = clock_mono_ms() + CONN_TIMEOUT_S * 1000;
        pthread_mutex_lock(&h->lock);
        t->next = h->conns;
        if (h->conns)
            h->conns->prev = t;
        h->conns = t;
        pthread_mutex_unlock(&h->lock);
        *socket_context = t;
    } else if (t) {
        pthread_mutex_lock(&h->lock);
        if (t->prev)
            t->prev->next = t->next;
        else
            h->conns = t->next;
        if (t->next)
            t->next->prev = t->prev;
        pthread_mutex_unlock(&h->lock);
        free(t);
        *socket_context = NULL;
    }
}

void http_sweep(http_server *h)
{
    int64_t now = clock_mono_ms();
    int dropped = 0;

    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    for (struct tracked *t = h->conns; t; t = t->next) {
        if (t->deadline_mono && now > t->deadline_mono) {
            shutdown(t->fd, SHUT_RDWR);   /* libmicrohttpd sees the end and closes it */
            t->deadline_mono = 0;
            dropped++;
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (dropped)
        log_limited(&http_rl, LOG_WARN, "dropped %d connection(s) that took more than %d s to "
                    "send a request", dropped, CONN_TIMEOUT_S);
}

/* ---- request helpers --------------------------------------------------------------- */

static void client_of(struct MHD_Connection *c, struct http_client *cl, char *addr, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    addr[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, (socklen_t)len);
    cl->addr = addr;
    cl->agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
}

/* The session of the request's cookie, copied into *se.  False when none is live. */
static bool session_of(struct MHD_Connection *c, const struct http_server *h, struct session *se)
{
    const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "haven_session");

    return tok && strlen(tok) == SESSION_TOKEN_LEN - 1 && station_session(h->st, tok, se);
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * The value of key in an application/x-www-form-urlencoded body, decoded into
 * out (at most outlen - 1 bytes).  A small decoder rather than MHD's post
 * processor: the body is already whole and bounded (8 KiB), and three keys are
 * read.  Returns 0, or -1 when key is absent, malformed or too long.
 */
static int form_value(const char *body, size_t len, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key), i = 0;

    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > klen && !memcmp(body + i, key, klen) && body[i + klen] == '=') {
            size_t o = 0;
            for (size_t p = i + klen + 1; p < end; p++) {
                int ch = (unsigned char)body[p];
                if (ch == '+')
                    ch = ' ';
                else if (ch == '%') {
                    int hi = p + 2 < end ? hexval(body[p + 1]) : -1;
                    int lo = hi >= 0 ? hexval(body[p + 2]) : -1;
                    if (lo < 0)
                        return -1;
                    ch = hi * 16 + lo;
                    p += 2;
                }
                if (ch == 0 || o + 1 >= outlen)
                    return -1;
                out[o++] = (char)ch;
            }
            out[o] = '\0';
            return 0;
        }
        i = end + 1;
    }
    return -1;
}

/* ---- the login worker ---------------------------------------------------------------- */

static void login_job_free(struct login_job *j)
{
    if (!j)
        return;
    explicit_bzero(j->password, sizeof j->password);
    explicit_bzero(j->token, sizeof j->token);
    free(j);
}

/* Checks one job (lw->lock not held) with the station, as the HTTP thread once did. */
static void login_check(http_server *h, struct login_job *j)
{
    struct http_client cl = { j->addr, j->has_agent ? j->agent : NULL };

    j->result = station_login(h->st, j->user, j->password, j->view, &cl, j->token, &j->wait_s);
    explicit_bzero(j->password, sizeof j->password);
}

/*
 * The worker: one job at a time, oldest first.  Stopping, the jobs still
 * queued are resumed unchecked (cancelled); the one being checked finishes.
 * Resumes a job's connection only after it is DONE, outside the lock, and
 * never touches the job after that (the HTTP thread may free it at once).
 */
static void *login_worker_main(void *arg)
{
    http_server *h = arg;
    struct login_worker *lw = &h->lw;

    pthread_mutex_lock(&lw->lock);
    for (;;) {
        while (!lw->head && !lw->stopping)
            pthread_cond_wait(&lw->cond, &lw->lock);
        struct login_job *j = lw->head;
        if (!j)
            break;      /* stopping, nothing left */
        lw->head = j->next;
        if (!lw->head)
            lw->tail = NULL;
        lw->queued--;
        j->next = NULL;
        if (lw->stopping) {
            j->cancelled = true;
        } else {
            j->state = LOGIN_RUNNING;
            pthread_mutex_unlock(&lw->lock);
            login_check(h, j);
            pthread_mutex_lock(&lw->lock);
            if (j->orphan) {
                login_job_free(j);
                continue;
            }
        }
        struct MHD_Connection *conn = j->conn;
        j->state = LOGIN_DONE;
        pthread_mutex_unlock(&lw->lock);
        MHD_resume_connection(conn);
        pthread_mutex_lock(&lw->lock);
    }
    pthread_mutex_unlock(&lw->lock);
    return NULL;
}

static int login_worker_start(http_server *h)
{
    struct login_worker *lw = &h->lw;

    pthread_mutex_init(&lw->lock, NULL);
    pthread_cond_init(&lw->cond, NULL);
    if (pthread_create(&lw->thread, NULL, login_worker_main, h) != 0) {
        log_error("cannot start the login worker thread");
        pthread_cond_destroy(&lw->cond);
        pthread_mutex_destroy(&lw->lock);
        return -1;
    }
    lw->started = true;
    return 0;
}

/* Ends the worker: queued logins resumed unchecked, the running one finished, thread joined. */
static void login_worker_stop(http_server *h)
{
    struct login_worker *lw = &h->lw;

    if (!lw->started)
        return;
    pthread_mutex_lock(&lw->lock);
    lw->stopping = true;
    pthread_cond_broadcast(&lw->cond);
    pthread_mutex_unlock(&lw->lock);
    pthread_join(lw->thread, NULL);
    pthread_cond_destroy(&lw->cond);
    pthread_mutex_destroy(&lw->lock);
    lw->started = false;
}

/*
 * Queues j and suspends its connection (before the worker can see it, so
 * its resume never comes first).  False when the queue is full or the
 * worker stops; *waiting gets how many were waiting.
 */
static bool login_enqueue(http_server *h, struct login_job *j, int *waiting)
{
    struct login_worker *lw = &h->lw;
    bool ok;

    pthread_mutex_lock(&lw->lock);
    *waiting = lw->queued;
    ok = !lw->stopping && lw->queued < LOGIN_QUEUE_MAX;
    if (ok) {
        j->state = LOGIN_QUEUED;
        MHD_suspend_connection(j->conn);
        if (lw->tail)
            lw->tail->next = j;
        else
            lw->head = j;
        lw->tail = j;
        lw->queued++;
        pthread_cond_signal(&lw->cond);
    }
    pthread_mutex_unlock(&lw->lock);
    return ok;
}

/* The request of j is over: j is freed now, or by the worker when it is checking it. */
static void login_release(http_server *h, struct login_job *j)
{
    struct login_worker *lw = &h->lw;

    pthread_mutex_lock(&lw->lock);
    if (j->state == LOGIN_RUNNING) {
        j->orphan = true;
        j = NULL;
    } else if (j->state == LOGIN_QUEUED) {
        struct login_job **p = &lw->head, *prev = NULL;
        while (*p && *p != j)
            prev = *p, p = &(*p)->next;
        if (*p) {
            *p = j->next;
            if (lw->tail == j)
                lw->tail = prev;
            lw->queued--;
        }
    }
    pthread_mutex_unlock(&lw->lock);
    login_job_free(j);
}

/* ---- routes ------------------------------------------------------------------------- */

/* A login back from the worker: the answer today's contract gives (docs/station.md). */
static enum MHD_Result login_answer(struct MHD_Connection *c, const struct http_server *h,
                                    struct login_job *j)
{
    char cookie[160], where[64];
    static const char busy[] = "The station is stopping. Try again in a moment.\n";

    if (j->cancelled) {
        struct reply rp = { MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", busy,
                            sizeof busy - 1, MHD_RESPMEM_PERSISTENT, NULL, NULL, NULL };
        return send_reply(c, h, &rp);
    }
    switch (j->result) {
    case LOGIN_OK:
        snprintf(cookie, sizeof cookie, "haven_session=%s; Path=/; HttpOnly; SameSite=Strict%s",
                 j->token, h->tls ? "; Secure" : "");
        return redirect(c, h, "/", cookie);
    case LOGIN_WAIT:
        snprintf(where, sizeof where, "/login?e=wait&s=%d", j->wait_s);
        return redirect(c, h, where, NULL);
    case LOGIN_WRONG:
        break;
    }
    return redirect(c, h, "/login?e=1", NULL);
}

/*
 * POST /login.  First call: the form is read, the backoff asked, and the
 * login queued for the worker (the connection suspended).  After the worker
 * resumed it: the answer.
 */
static enum MHD_Result do_login(struct MHD_Connection *c, http_server *h, struct req *rq)
{
    static const char full[] = "The station is busy checking other logins. "
                               "Try again in a few seconds.\n";
    char where[64];
    struct http_client cl;
    struct login_job *j = rq->login;
    int wait_s = 0, waiting = 0;
    bool done;

    if (j) {
        pthread_mutex_lock(&h->lw.lock);
        done = j->state == LOGIN_DONE;
        pthread_mutex_unlock(&h->lw.lock);
        if (!done)
            return MHD_YES;     /* never: only the worker resumes it, once it is done */
        return login_answer(c, h, j);
    }
    j = calloc(1, sizeof *j);
    if (!j)
        return MHD_NO;
    rq->login = j;
    j->conn = c;
    client_of(c, &cl, j->addr, sizeof j->addr);
    if (cl.agent) {
        snprintf(j->agent, sizeof j->agent, "%s", cl.agent);
        j->has_agent = true;
    }
    cl.agent = j->has_agent ? j->agent : NULL;
    if (form_value(rq->body, rq->len, "user", j->user, sizeof j->user) ||
        form_value(rq->body, rq->len, "password", j->password, sizeof j->password)) {
        explicit_bzero(rq->body, rq->len);
        log_limited(&http_rl, LOG_WARN, "login from %s: malformed form", j->addr);
        return redirect(c, h, "/login?e=1", NULL);
    }
    if (form_value(rq->body, rq->len, "view", j->view, sizeof j->view))
        strcpy(j->view, "board");
    explicit_bzero(rq->body, rq->len);      /* the password lives on in j alone */
    if (station_login_refused(h->st, j->user, &cl, &wait_s)) {
        snprintf(where, sizeof where, "/login?e=wait&s=%d", wait_s);
        return redirect(c, h, where, NULL);
    }
    if (!login_enqueue(h, j, &waiting)) {
        struct reply rp = { MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", full,
                            sizeof full - 1, MHD_RESPMEM_PERSISTENT, NULL, NULL, NULL };
        station_login_busy(h->st, j->user, &cl, waiting);
        return send_reply(c, h, &rp);
    }
    return MHD_YES;     /* suspended: the worker resumes it */
}

/* A POST that needs a session and its CSRF token: true when both are good, else replied. */
static bool post_allowed(struct MHD_Connection *c, const struct http_server *h,
                         struct session *se, const char *what, enum MHD_Result *ret)
{
    const char *csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
    struct http_client cl;
    char addr[64];

    if (!session_of(c, h, se)) {
        *ret = send_error(c, h, MHD_HTTP_UNAUTHORIZED, "login");
        return false;
    }
    if (!csrf || !sessions_csrf_ok(se, csrf)) {
        client_of(c, &cl, addr, sizeof addr);
        log_limited(&http_rl, LOG_WARN, "%s %s from %s (%s): %s CSRF token: refused", what,
                    se->user, addr, cl.agent ? cl.agent : "?", csrf ? "wrong" : "no");
        station_audit_refusal(h->st, se, what, &cl);
        *ret = send_error(c, h, MHD_HTTP_FORBIDDEN, "csrf");
        return false;
    }
    return true;
}

static enum MHD_Result do_logout(struct MHD_Connection *c, const struct http_server *h)
{
    struct session se;
    struct http_client cl;
    char addr[64];
    enum MHD_Result ret;

    if (!post_allowed(c, h, &se, "logout", &ret))
        return ret;
    client_of(c, &cl, addr, sizeof addr);
    station_logout(h->st, &se, &cl);
    return redirect(c, h, "/login", "haven_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

static enum MHD_Result do_action(struct MHD_Connection *c, const struct http_server *h,
                                 struct req *rq)
{
    struct session se;
    struct http_client cl;
    char addr[64], reply[256];
    enum MHD_Result ret;
    int status;

    if (!post_allowed(c, h, &se, "action", &ret))
        return ret;
    client_of(c, &cl, addr, sizeof addr);
    status = station_action(h->st, &se, rq->body, rq->len, &cl, reply, sizeof reply);
    return send_json(c, h, (unsigned)status, reply);
}

static enum MHD_Result do_me(struct MHD_Connection *c, const struct http_server *h)
{
    struct session se;
    char json[320], group[USER_GROUP_MAX + 2] = "null", g[USER_GROUP_MAX];

    if (!session_of(c, h, &se))
        return send_error(c, h, MHD_HTTP_UNAUTHORIZED, "login");
    /* The account's group as the users file says now (a name's alphabet: no escaping). */
    if (station_user_group(h->st, se.user, g, sizeof g))
        snprintf(group, sizeof group, "\"%s\"", g);
    snprintf(json, sizeof json, "{\"user\":\"%s\",\"role\":\"%s\",\"view\":\"%s\",\"csrf\":\"%s\","
             "\"group\":%s}", se.user, user_role_name(se.role),
             se.view == VIEW_PHONE ? "phone" : "board", se.csrf, group);
    return send_json(c, h, MHD_HTTP_OK, json);
}

/* The page itself: index.html for a live session, else the login page. */
static enum MHD_Result do_page(struct MHD_Connection *c, const struct http_server *h,
                               const char *page, bool charge_only)
{
    struct session se;

    if (!session_of(c, h, &se))
        return redirect(c, h, "/login", NULL);
    if (charge_only && se.role != ROLE_CHARGE)
        return send_error(c, h, MHD_HTTP_FORBIDDEN, "charge nurses only");
    return send_asset(c, h, page);
}

/* ---- event streams ------------------------------------------------------------------ */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream_ctx *sc = cls;
    ssize_t n = station_stream_read(sc->st, sc->s, buf, max);

    (void)pos;
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_free(void *cls)
{
    struct stream_ctx *sc = cls;

    station_stream_close(sc->st, sc->s);
    free(sc);
}

/* Last-Event-ID (header) or ?last=N: the id to resume after, or -1. */
static int64_t last_event_id(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    char *end;
    long long n;

    if (!v)
        v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "last");
    if (!v || !*v)
        return -1;
    errno = 0;
    n = strtoll(v, &end, 10);
    return *end || errno || n <= 0 ? -1 : (int64_t)n;
}

static enum MHD_Result do_events(struct MHD_Connection *c, const struct http_server *h)
{
    const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "haven_session");
    struct stream_ctx *sc;
    struct MHD_Response *r;
    enum MHD_Result ret;
    int status = MHD_HTTP_UNAUTHORIZED;

    if (!tok || strlen(tok) != SESSION_TOKEN_LEN - 1)
        return send_error(c, h, MHD_HTTP_UNAUTHORIZED, "login");
    sc = calloc(1, sizeof *sc);
    if (!sc)
        return send_error(c, h, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
    sc->st = h->st;
    sc->s = station_stream_open(h->st, tok, last_event_id(c), c, &status);
    if (!sc->s) {
        free(sc);
        return send_error(c, h, (unsigned)status, status == MHD_HTTP_UNAUTHORIZED ? "login"
                                                                                : "too many streams");
    }
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_reader, sc,
                                          stream_free);
    if (!r) {
        stream_free(sc);
        return MHD_NO;
    }
    add_security_headers(r, h->tls);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the report ---------------------------------------------------------------------- */

static int days_arg(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "days");
    char *end;
    long n;

    if (!v)
        return 7;
    n = strtol(v, &end, 10);
    return *end || end == v || n < 1 || n > 366 ? -1 : (int)n;
}

/* Starts the request (first call) or answers it (after the station resumed us). */
static enum MHD_Result do_report(struct MHD_Connection *c, const struct http_server *h,
                                 struct req *rq, bool csv)
{
    struct session se;
    struct http_client cl;
    char addr[64], *json = NULL;
    int status = 0, days = days_arg(c);

    if (!rq->report) {
        if (!session_of(c, h, &se))
            return send_error(c, h, MHD_HTTP_UNAUTHORIZED, "login");
        if (days < 0)
            return send_error(c, h, MHD_HTTP_BAD_REQUEST, "days must be 1 to 366");
        client_of(c, &cl, addr, sizeof addr);
        rq->report = station_report_start(h->st, &se, days, &cl, c, &status);
        if (!rq->report)
            return send_error(c, h, (unsigned)status, status == MHD_HTTP_FORBIDDEN
                              ? "charge nurses only" : "no controller to ask");
        return MHD_YES;  /* suspended: the reply or the deadline resumes us */
    }
    status = station_report_result(h->st, rq->report, &json);
    if (status == 0)
        return MHD_YES;  /* woken early: suspended again */
    station_report_free(h->st, rq->report);
    rq->report = NULL;
    if (status != MHD_HTTP_OK)
        return send_error(c, h, (unsigned)status, "the controller did not answer in 5 s");
    if (!csv) {
        struct reply rp = { MHD_HTTP_OK, "application/json", json, strlen(json),
                            MHD_RESPMEM_MUST_FREE, NULL, NULL, NULL };
        return send_reply(c, h, &rp);
    }
    char *text = report_reply_csv(json, strlen(json));
    free(json);
    if (!text)
        return send_error(c, h, MHD_HTTP_BAD_GATEWAY, "the controller's reply is malformed");
    struct reply rp = { MHD_HTTP_OK, "text/csv; charset=utf-8", text, strlen(text),
                        MHD_RESPMEM_MUST_FREE, NULL, NULL,
                        "attachment; filename=\"haven-report.csv\"" };
    return send_reply(c, h, &rp);
}

/* ---- the course pages and the FHIR read endpoint (issue 14 part 2) ------------------------ */

#define FHIR_TOKEN_DAYS 30
#define FHIR_TOKEN_HEX 64                 /* 256 random bits */
#define FHIR_TYPE "application/fhir+json"

/* What one course request asks of the store (station_with_record's ctx). */
enum course_what { COURSE_PAGE, COURSE_CSV, COURSE_PATIENTS, COURSE_BUNDLE, COURSE_TOKEN_CHECK,
                   COURSE_TOKEN_ADD, COURSE_TOKEN_REVOKE, COURSE_TOKENS };

struct course_q {
    enum course_what what;
    const char *patient, *base, *hash, *label, *by;
    int64_t now;
    char *text;                  /* the reply (malloc'd) */
};

static int course_in_store(record *r, int dropout_days, void *ctx)
{
    struct course_q *q = ctx;
    struct record_course *c;
    int rc = 0;

    switch (q->what) {
    case COURSE_PATIENTS:
        q->text = course_patients(r, q->now, dropout_days);
        return q->text ? 0 : HV_ENOMEM;
    case COURSE_BUNDLE:
        q->text = course_bundle(r, q->patient, q->base, q->now, &rc);
        return rc;
    case COURSE_TOKEN_CHECK:
        return record_token_check(r, q->hash, q->now);
    case COURSE_TOKEN_ADD:
        return record_token_add(r, q->hash, q->label, q->by, q->now,
                                q->now + (int64_t)FHIR_TOKEN_DAYS * 86400000);
    case COURSE_TOKEN_REVOKE:
        return record_token_revoke(r, q->label, q->now);
    case COURSE_TOKENS:
        q->text = course_tokens(r, q->now);
        return q->text ? 0 : HV_EDB;
    default:
        break;
    }
    if (!(c = malloc(sizeof *c)))
        return HV_ENOMEM;
    rc = record_course(r, q->patient, q->now, dropout_days, c);
    if (rc == 0)
        q->text = q->what == COURSE_CSV ? course_csv(c) : course_json(c, dropout_days);
    free(c);
    return rc == 0 && !q->text ? HV_ENOMEM : rc;
}

/* A patient key from the query (name): NULL when absent or not an id (bounded: < 64). */
static const char *patient_arg(struct MHD_Connection *c, const char *name, const char *prefix)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    size_t n = strlen(prefix);

    if (!v || strncmp(v, prefix, n) != 0)
        return NULL;
    v += n;
    return ids_valid(v) && strlen(v) < RECORD_KEY_MAX ? v : NULL;
}

static enum MHD_Result send_text(struct MHD_Connection *c, const struct http_server *h,
                                 unsigned status, const char *type, char *text,
                                 const char *disposition)
{
    struct reply rp = { status, type, text, strlen(text), MHD_RESPMEM_MUST_FREE, NULL, NULL,
                        disposition };
    return send_reply(c, h, &rp);
}

/* GET /api/course, /api/course.csv, /api/patients: a session's, audited. */
static enum MHD_Result do_course(struct MHD_Connection *c, const struct http_server *h,
                                 enum course_what what)
{
    static const char *const action[] = { "course_view", "course_export", "patients_list" };
    struct course_q q = { .what = what, .now = clock_now_ms() };
    struct session se;
    struct http_client cl;
    char addr[64], disp[128];
    int rc;

    if (!session_of(c, h, &se))
        return send_error(c, h, MHD_HTTP_UNAUTHORIZED, "login");
    client_of(c, &cl, addr, sizeof addr);
    if (what != COURSE_PATIENTS && !(q.patient = patient_arg(c, "patient", ""))) {
        station_audit_http(h->st, &se, NULL, action[what], "bad patient key", &cl, false);
        return send_error(c, h, MHD_HTTP_BAD_REQUEST, "patient must be a key ([A-Za-z0-9._:-])");
    }
    rc = station_with_record(h->st, course_in_store, &q);
    station_audit_http(h->st, &se, NULL, action[what], q.patient, &cl, rc == 0);
    if (rc == HV_ENOTFOUND)
        return send_error(c, h, MHD_HTTP_NOT_FOUND, "no visit for this patient");
    if (rc != 0 || !q.text) {
        free(q.text);
        return send_error(c, h, MHD_HTTP_INTERNAL_SERVER_ERROR, "the course store failed");
    }
    if (what != COURSE_CSV)
        return send_text(c, h, MHD_HTTP_OK, "application/json", q.text, NULL);
    snprintf(disp, sizeof disp, "attachment; filename=\"haven-course-%s.csv\"", q.patient);
    return send_text(c, h, MHD_HTTP_OK, "text/csv; charset=utf-8", q.text, disp);
}

static void sha256_hex(const char *text, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char d[32];

    gnutls_hash_fast(GNUTLS_DIG_SHA256, text, strlen(text), d);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}

static int random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];

    if (nbytes > sizeof raw || getrandom(raw, nbytes, 0) != (ssize_t)nbytes)
        return -1;
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    explicit_bzero(raw, sizeof raw);
    return 0;
}

/*
 * POST /api/fhir-token (charge, CSRF): a new read token, shown once in the
 * reply; the store keeps only its SHA-256 (256 random bits: no slow hash
 * needed) under a label.  POST /api/fhir-token/revoke with label=...: revoked.
 */
static enum MHD_Result do_fhir_token(struct MHD_Connection *c, const struct http_server *h,
                                     struct req *rq, bool revoke)
{
    struct course_q q = { .what = revoke ? COURSE_TOKEN_REVOKE : COURSE_TOKEN_ADD,
                          .now = clock_now_ms() };
    char token[FHIR_TOKEN_HEX + 1], hash[65], label[RECORD_TOKEN_LABEL_MAX], addr[64];
    char json[320], until[HV_TS_LEN];
    const char *what = revoke ? "fhir_token_revoke" : "fhir_token_issue";
    struct session se;
    struct http_client cl;
    enum MHD_Result ret;
    int rc;

    if (!post_allowed(c, h, &se, what, &ret))
        return ret;
    client_of(c, &cl, addr, sizeof addr);
    if (se.role != ROLE_CHARGE) {
        station_audit_http(h->st, &se, NULL, what, "not charge", &cl, false);
        return send_error(c, h, MHD_HTTP_FORBIDDEN, "charge nurses only");
    }
    if (revoke) {
        if (form_value(rq->body, rq->len, "label", label, sizeof label) != 0 || !ids_valid(label))
            return send_error(c, h, MHD_HTTP_BAD_REQUEST, "label=<token label>");
    } else {
        char id[9];
        if (random_hex(token, FHIR_TOKEN_HEX / 2) != 0 || random_hex(id, 4) != 0)
            return send_error(c, h, MHD_HTTP_SERVICE_UNAVAILABLE, "no randomness");
        snprintf(label, sizeof label, "fhir-%s", id);
        sha256_hex(token, hash);
        q.hash = hash;
        q.by = se.user;
    }
    q.label = label;
    rc = station_with_record(h->st, course_in_store, &q);
    station_audit_http(h->st, &se, NULL, what, label, &cl, rc == 0);
    if (revoke)
        return rc == 0 ? send_json(c, h, MHD_HTTP_OK, "{\"ok\":true}")
                       : send_error(c, h, MHD_HTTP_NOT_FOUND, "no live token with that label");
    if (rc != 0) {
        explicit_bzero(token, sizeof token);
        return send_error(c, h, MHD_HTTP_INTERNAL_SERVER_ERROR, "the course store failed");
    }
    clock_format_rfc3339(q.now + (int64_t)FHIR_TOKEN_DAYS * 86400000, until);
    snprintf(json, sizeof json, "{\"token\":\"%s\",\"label\":\"%s\",\"expires\":\"%s\"}", token,
             label, until);
    explicit_bzero(token, sizeof token);
    ret = send_json(c, h, MHD_HTTP_OK, json);
    explicit_bzero(json, sizeof json);
    return ret;
}

/* GET /api/fhir-tokens (charge): the tokens' labels and states, never the tokens. */
static enum MHD_Result do_fhir_tokens(struct MHD_Connection *c, const struct http_server *h)
{
    struct course_q q = { .what = COURSE_TOKENS, .now = clock_now_ms() };
    struct session se;

    if (!session_of(c, h, &se))
        return send_error(c, h, MHD_HTTP_UNAUTHORIZED, "login");
    if (se.role != ROLE_CHARGE)
        return send_error(c, h, MHD_HTTP_FORBIDDEN, "charge nurses only");
    if (station_with_record(h->st, course_in_store, &q) != 0 || !q.text) {
        free(q.text);
        return send_error(c, h, MHD_HTTP_INTERNAL_SERVER_ERROR, "the course store failed");
    }
    return send_text(c, h, MHD_HTTP_OK, "application/json", q.text, NULL);
}

static enum MHD_Result send_outcome(struct MHD_Connection *c, const struct http_server *h,
                                    unsigned status, const char *code, const char *why)
{
    char *text = course_outcome(code, why);
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!text)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    add_security_headers(r, h->tls);
    MHD_add_response_header(r, "Content-Type", FHIR_TYPE);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"haven-fhir\"");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* True when the request has "Authorization: Bearer <a live token>". */
static bool fhir_authorized(struct MHD_Connection *c, const struct http_server *h)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    struct course_q q = { .what = COURSE_TOKEN_CHECK, .now = clock_now_ms() };
    char hash[65];

    if (!v || strncmp(v, "Bearer ", 7) != 0 || strlen(v + 7) != FHIR_TOKEN_HEX)
        return false;
    for (const char *p = v + 7; *p; p++)
        if (hexval(*p) < 0)
            return false;
    sha256_hex(v + 7, hash);
    q.hash = hash;
    return station_with_record(h->st, course_in_store, &q) == 0;
}

/* GET /fhir/...: a bearer token's, read-only, audited (user "fhir"). */
static enum MHD_Result do_fhir(struct MHD_Connection *c, const struct http_server *h,
                               const char *url)
{
    struct course_q q = { .what = COURSE_BUNDLE, .now = clock_now_ms() };
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    struct http_client cl;
    char addr[64], base[COURSE_BASE_MAX];
    int rc;

    client_of(c, &cl, addr, sizeof addr);
    if (!fhir_authorized(c, h)) {
        log_limited(&http_rl, LOG_WARN, "FHIR %s from %s without a valid token: 401", url, addr);
        station_audit_http(h->st, NULL, "fhir", "fhir_read", "no valid token", &cl, false);
        return send_outcome(c, h, MHD_HTTP_UNAUTHORIZED, "login",
                            "Authorization: Bearer <a token the charge nurse issued> is needed");
    }
    if (!strncmp(url, "/fhir/Questionnaire/", 20)) {  /* the forms each response names */
        char *json = ids_valid(url + 20) ? station_questionnaire(h->st, url + 20) : NULL;
        station_audit_http(h->st, NULL, "fhir", "fhir_read", url + 20, &cl, json != NULL);
        if (!json)
            return send_outcome(c, h, MHD_HTTP_NOT_FOUND, "not-found",
                                "no such Questionnaire: the clinic's haven.cfg names no such form");
        return send_text(c, h, MHD_HTTP_OK, FHIR_TYPE, json, NULL);
    }
    if (strcmp(url, "/fhir/QuestionnaireResponse") != 0)
        return send_outcome(c, h, MHD_HTTP_NOT_FOUND, "not-supported", "unknown resource");
    if (!(q.patient = patient_arg(c, "subject", "Patient/")))
        return send_outcome(c, h, MHD_HTTP_BAD_REQUEST, "invalid",
                            "subject=Patient/<key> is needed (a key: [A-Za-z0-9._:-], < 64)");
    snprintf(base, sizeof base, "http%s://%.100s", h->tls ? "s" : "", host ? host : "localhost");
    q.base = base;
    rc = station_with_record(h->st, course_in_store, &q);
    station_audit_http(h->st, NULL, "fhir", "fhir_read", q.patient, &cl, rc == 0);
    if (rc == HV_EINVAL)
        return send_outcome(c, h, MHD_HTTP_BAD_REQUEST, "invalid", "a bad Host header");
    if (rc != 0 || !q.text)
        return send_outcome(c, h, MHD_HTTP_INTERNAL_SERVER_ERROR, "exception", "store failed");
    return send_text(c, h, MHD_HTTP_OK, FHIR_TYPE, q.text, NULL);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static enum MHD_Result route_get(struct MHD_Connection *c, const struct http_server *h,
                                 const char *url, struct req *rq)
{
    if (!strcmp(url, "/"))
        return do_page(c, h, "/index.html", false);
    if (!strcmp(url, "/login"))
        return send_asset(c, h, "/login.html");
    if (!strcmp(url, "/report"))
        return do_page(c, h, "/report.html", true);
    if (!strcmp(url, "/course"))
        return do_page(c, h, "/course.html", false);
    if (!strcmp(url, "/app.js") || !strcmp(url, "/app.css") || !strcmp(url, "/report.js") ||
        !strcmp(url, "/course.js") || !strcmp(url, "/svg.js"))
        return send_asset(c, h, url);
    if (!strcmp(url, "/api/me"))
        return do_me(c, h);
    if (!strcmp(url, "/events"))
        return do_events(c, h);
    if (!strcmp(url, "/api/report"))
        return do_report(c, h, rq, false);
    if (!strcmp(url, "/report.csv"))
        return do_report(c, h, rq, true);
    if (!strcmp(url, "/api/course") || !strcmp(url, "/api/course.csv") ||
        !strcmp(url, "/api/patients"))
        return do_course(c, h, url[5] == 'p' ? COURSE_PATIENTS
                               : strchr(url, '.') ? COURSE_CSV : COURSE_PAGE);
    if (!strncmp(url, "/fhir/", 6))
        return do_fhir(c, h, url);
    if (!strcmp(url, "/api/fhir-tokens"))
        return do_fhir_tokens(c, h);
    return send_error(c, h, MHD_HTTP_NOT_FOUND, "not found");
}

static enum MHD_Result route_post(struct MHD_Connection *c, http_server *h,
                                  const char *url, struct req *rq)
{
    if (rq->too_big)
        return send_error(c, h, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 8 KiB");
    rq->body[rq->len] = '\0';
    if (!strcmp(url, "/login"))
        return do_login(c, h, rq);
    if (!strcmp(url, "/logout"))
        return do_logout(c, h);
    if (!strcmp(url, "/api/action"))
        return do_action(c, h, rq);
    if (!strcmp(url, "/api/fhir-token") || !strcmp(url, "/api/fhir-token/revoke"))
        return do_fhir_token(c, h, rq, url[15] == '/');
    return send_error(c, h, MHD_HTTP_NOT_FOUND, "not found");
}

/* First call of a POST: its state, or a reply at once for a declared body over the limit. */
static enum MHD_Result begin_post(struct MHD_Connection *c, const struct http_server *h,
                                  struct req *rq)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    char addr[64];
    struct http_client who;

    rq->post = true;
    if (cl && strtoull(cl, NULL, 10) > BODY_MAX) {
        client_of(c, &who, addr, sizeof addr);
        log_limited(&http_rl, LOG_WARN, "refused a %s-byte body from %s (at most %d)", cl, addr,
                    BODY_MAX);
        return send_error(c, h, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 8 KiB");
    }
    rq->body = malloc(BODY_MAX + 1);
    return rq->body ? MHD_YES : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    http_server *h = cls;
    struct req *rq = *con_cls;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

    (void)version;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        if (!strcmp(method, "POST"))
            return begin_post(c, h, rq);
        set_deadline(c, h, 0);
        if (!get)
            return send_error(c, h, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
        return route_get(c, h, url, rq);
    }
    if (!rq->post)
        return route_get(c, h, url, rq);  /* resumed (the report) */
    if (*upload_size) {
        if (rq->len + *upload_size > BODY_MAX)
            rq->too_big = true;
        else
            memcpy(rq->body + rq->len, upload, *upload_size);
        if (!rq->too_big)
            rq->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    set_deadline(c, h, 0);
    return route_post(c, h, url, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    const struct http_server *h = cls;
    struct req *rq = *con_cls;

    (void)why;
    set_deadline(c, h, clock_mono_ms() + CONN_TIMEOUT_S * 1000);   /* the next request's */
    if (!rq)
        return;
    if (rq->report)
        station_report_free(h->st, rq->report);
    if (rq->login)
        login_release((http_server *)h, rq->login);
    if (rq->body)
        explicit_bzero(rq->body, rq->len);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages, as printf formats of its own. */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_limited(&http_rl, LOG_WARN, "http: %s", line);
}

/* ---- the station's waker: MHD suspend/resume ------------------------------------------ */

static void waker_suspend(void *conn)
{
    MHD_suspend_connection(conn);
}

static void waker_resume(void *conn)
{
    MHD_resume_connection(conn);
}

static const struct station_waker mhd_waker = { waker_suspend, waker_resume };

/* ---- start and stop ------------------------------------------------------------------- */

http_server *http_start(const struct http_opts *o, station *st)
{
    struct addrinfo hints = { .ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_STREAM }, *ai;
    char port[16];
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    http_server *h;
    int rc;

    snprintf(port, sizeof port, "%d", o->port);
    if ((rc = getaddrinfo(o->host, port, &hints, &ai)) != 0) {
        log_error("cannot listen on %s:%d: %s", o->host, o->port, gai_strerror(rc));
        return NULL;
    }
    if (!o->tls_cert_pem && !stationcfg_host_is_loopback(o->host)) {
        log_error("refusing to serve plain HTTP on %s: set tls_cert and tls_key", o->host);
        freeaddrinfo(ai);
        return NULL;
    }
    if (o->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        log_error("this libmicrohttpd has no TLS support");
        freeaddrinfo(ai);
        return NULL;
    }
    h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        return NULL;
    }
    h->st = st;
    h->tls = o->tls_cert_pem != NULL;
    pthread_mutex_init(&h->lock, NULL);
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (h->tls)
        flags |= MHD_USE_TLS;
    station_set_waker(st, &mhd_waker);
    if (login_worker_start(h) != 0) {
        freeaddrinfo(ai);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,   /* first: it applies to what follows */
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        h->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o->tls_cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, o->tls_key_pem,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->d) {
        log_error("cannot listen on %s:%d (in use, or not an address of this machine%s)",
                  o->host, o->port, h->tls ? ", or GnuTLS refused tls_cert and tls_key: a "
                  "damaged file, or a key that is not the certificate's" : "");
        login_worker_stop(h);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    log_info("serving http%s://%s:%d/", h->tls ? "s" : "", o->host, http_port(h));
    return h;
}

int http_port(const http_server *h)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);

    return di ? di->port : 0;
}

void http_stop(http_server *h)
{
    if (!h)
        return;
    login_worker_stop(h);   /* before the daemon: it stops only with no login suspended */
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
