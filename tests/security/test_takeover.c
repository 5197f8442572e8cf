/*
 * test_takeover.c - no login can take over another device's session (issue 12,
 * item 1).  On main, any device login could connect with the controller's
 * client id "haven-room-<id>" and Mosquitto closed the controller's
 * connection: 0 of 10 calls paged while that was held.  With
 * use_username_as_clientid (haven-prod.conf, both listeners) a client's id is
 * its login, so an attacker can only ever take over its own session.
 *
 * The production broker and the real haven-room; two attackers loop
 * connecting with every other device's client id (the controller's, the
 * kiosks', the pager's, the observer's): one on the loopback listener with
 * kiosk-chair-1's and the station's passwords, one on the TLS listener with
 * kiosk-chair-2's certificate.  Meanwhile chairs 3 and 4 raise 10 calls, one
 * after the other (each cleared at the bedside before the next): every one
 * must be paged, and the controller must never lose the broker.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"
#include "sec_kit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sec_env env;

struct attacker {
    pthread_t thread;
    const struct room_fixture *f;
    bool tls;
    atomic_bool stop;
    atomic_int connects;  /* connections the broker accepted */
};

/* The client ids of every other device in this test. */
static void victim_ids(const struct room_fixture *f, char ids[][96], int *n)
{
    static const char *const rest[] = { "pager", "observer", "kiosk-3", "kiosk-4", NULL };
    *n = 0;
    snprintf(ids[(*n)++], 96, "haven-room-ctl-%s", f->prefix);  /* the controller's */
    snprintf(ids[(*n)++], 96, "haven-kiosk-%s-chair-3", f->prefix);
    snprintf(ids[(*n)++], 96, "haven-kiosk-%s-chair-4", f->prefix);
    for (int i = 0; rest[i]; i++)
        snprintf(ids[(*n)++], 96, "%s-%s", f->prefix, rest[i]);  /* the test clients' */
    snprintf(ids[(*n)++], 96, "%s", env.controller);             /* and the logins */
    snprintf(ids[(*n)++], 96, "kiosk-chair-3");
    snprintf(ids[(*n)++], 96, "pager-nurses");
}

static void *attack(void *arg)
{
    struct attacker *a = arg;
    static const char *const plain_users[] = { "kiosk-chair-1", "station" };
    char ids[16][96];
    int n, round = 0;

    victim_ids(a->f, ids, &n);
    while (!atomic_load(&a->stop)) {
        struct hv_client_opts o = a->tls ? sec_user(&env, "kiosk-chair-2", true)
                                         : sec_user(&env, plain_users[round % 2], false);
        if (!a->tls)
            o.port = a->f->port;
        o.client_id = ids[round++ % n];
        o.persistent = true;  /* as the controller's own session */
        hv_client *c = hv_client_new_opts(&o, NULL);
        if (c)
            atomic_fetch_add(&a->connects, 1);
        hv_client_free(c);
    }
    return NULL;
}

/* Lines of the controller's log containing needle. */
static int log_count(const struct room_fixture *f, const char *needle)
{
    char *log = hv_read_file(f->log_path);
    int n = 0;

    for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(log);
    return n;
}

/* Waits (bounded) until attacker a has been let in at least n times. */
static bool wait_connects(struct attacker *a, int n, int timeout_ms)
{
    for (int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000; hv_now_us() < end; hv_sleep_ms(5))
        if (atomic_load(&a->connects) >= n)
            return true;
    return false;
}

/* A client logged in as user on the plain listener (sec_login), or NULL. */
static hv_client *login(const struct room_fixture *f, const char *user, const char *name)
{
    return sec_login(&env, f, user, name);
}

static void test_no_login_takes_over_another_session(void)
{
    struct room_fixture f;
    struct attacker plain = { 0 }, tls = { 0 };
    int paged = 0;

    REQUIRE(sec_start(&f, &env, false, NULL) == 0);
    hv_client *k3 = login(&f, "kiosk-chair-3", "kiosk-3");
    hv_client *k4 = login(&f, "kiosk-chair-4", "kiosk-4");
    hv_client *pager = login(&f, "pager-nurses", "pager");
    REQUIRE(k3 && k4 && pager && hv_client_sub(pager, rf_topic(&f, "page/nurses"), 1) == 0);

    plain.f = tls.f = &f;
    tls.tls = true;
    REQUIRE(pthread_create(&plain.thread, NULL, attack, &plain) == 0);
    REQUIRE(pthread_create(&tls.thread, NULL, attack, &tls) == 0);
    for (int i = 0; i < 10; i++) {
        const char *room = i % 2 ? "chair-4" : "chair-3";
        hv_client *k = i % 2 ? k4 : k3;
        char id[32], topic[64], clear[96];

        /* Each call goes out amid fresh takeover attempts on both listeners. */
        CHECK(wait_connects(&plain, 10 * (i + 1), 10000));
        CHECK(wait_connects(&tls, 2 * (i + 1), 10000));
        snprintf(id, sizeof id, "tk-%d", i);
        CHECK(publish_call(k, &f, room, id) == 0);
        char *page = hv_client_expect(pager, rf_topic(&f, "page/nurses"), 5000);
        if (page && !strcmp(json_str(page, "id") ? json_str(page, "id") : "", id))
            paged++;
        else
            fprintf(stderr, "call %s: no page (got %s)\n", id, page ? page : "nothing");
        free(page);
        /* The bedside clears it; the next call in this room is a new one. */
        snprintf(topic, sizeof topic, "room/%s/kiosk/clear", room);
        snprintf(clear, sizeof clear, "{\"id\":\"%s\",\"by\":\"Sam\"}", id);
        CHECK(hv_client_pub(k, rf_topic(&f, topic), clear, 1, false) == 0);
        snprintf(topic, sizeof topic, "call/%s", room);
        char *upd = NULL;
        for (int n = 0; n < 20; n++) {
            free(upd);
            upd = hv_client_expect(f.obs, rf_topic(&f, topic), 5000);
            if (!upd || !upd[0])
                break;
        }
        CHECK(upd && !upd[0]);
        free(upd);
    }
    atomic_store(&plain.stop, true);
    atomic_store(&tls.stop, true);
    pthread_join(plain.thread, NULL);
    pthread_join(tls.thread, NULL);

    int lost = log_count(&f, "lost the broker");
    fprintf(stderr, "takeover: %d of 10 calls paged while the attackers connected %d times "
            "(loopback) and %d times (TLS) with other devices' client ids; the controller "
            "lost the broker %d times\n", paged, atomic_load(&plain.connects),
            atomic_load(&tls.connects), lost);
    CHECK_INT_EQ(paged, 10);
    CHECK_INT_EQ(lost, 0);
    CHECK(atomic_load(&plain.connects) >= 100 && atomic_load(&tls.connects) >= 20);
    CHECK(hv_client_connected(k3) && hv_client_connected(k4) && hv_client_connected(pager));
    hv_client_free(k3);
    hv_client_free(k4);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    if (sec_env_make(&env, "htk") != 0) {
        fprintf(stderr, "test_takeover: cannot make the credentials and certificates\n");
        return 1;
    }
    RUN(test_no_login_takes_over_another_session);
    sec_env_free(&env);
    return CHECK_SUMMARY();
}
