/*
 * test_harness.c - self-test of check.h and harness.h against a real broker.
 *
 * Starts a private mosquitto, then exercises the MQTT test client (QoS 1
 * publish/subscribe, retained flag, clearing a retained message, binary
 * payloads, expect_none, last will), a broker crash and restart on the same
 * port (old clients reconnect and re-subscribe, new ones connect), the child
 * process helpers (exit codes, signals, logs, no leaked descriptors),
 * hv_broker_attach, and, when given the path of haven-test-broker as argv[1],
 * the CTest fixture program end to end.
 *
 * Some tests deliberately provoke failures (a refused connection, failing
 * checks inside the framework test); their stderr messages are announced as
 * expected.
 */
#include "check.h"
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static hv_broker *g_broker;     /* the private broker of this run */
static const char *g_fixture;   /* path of haven-test-broker, or NULL */

/* Returns true if path exists. */
static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_check_framework(void)
{
    /* Call the functions behind the macros directly, then undo the failures
     * they record. */
    fputs("(the next 5 CHECK failures are expected)\n", stderr);
    int before = check_checks_failed;
    CHECK(check_true(true, "x", __FILE__, __LINE__));
    CHECK(!check_true(false, "false", __FILE__, __LINE__));
    CHECK(check_int_eq(42, 42, "a", "b", __FILE__, __LINE__));
    CHECK(!check_int_eq(1, 2, "1", "2", __FILE__, __LINE__));
    CHECK(check_str_eq(NULL, NULL, "a", "b", __FILE__, __LINE__));
    CHECK(check_str_eq("x", "x", "a", "b", __FILE__, __LINE__));
    CHECK(!check_str_eq("x", NULL, "x", "NULL", __FILE__, __LINE__));
    CHECK(!check_str_eq("x", "y", "x", "y", __FILE__, __LINE__));
    CHECK(check_dbl_near(1.0, 1.05, 0.1, "a", "b", __FILE__, __LINE__));
    CHECK(!check_dbl_near(1.0, 1.5, 0.1, "a", "b", __FILE__, __LINE__));
    int provoked = check_checks_failed - before;
    check_checks_failed = before;
    check_current_failed = 0;
    CHECK_INT_EQ(provoked, 5);
    CHECK_STR_EQ("same", "same");
    CHECK_DBL_NEAR(0.1 + 0.2, 0.3, 1e-9);
}

static void test_misc(void)
{
    char *dir = hv_tmpdir("selftest");
    REQUIRE(dir != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/sub", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/sub/f.txt", dir);
    CHECK_INT_EQ(hv_write_file(path, "hello\nworld\n"), 0);
    char *text = hv_read_file(path);
    CHECK_STR_EQ(text, "hello\nworld\n");
    free(text);
    CHECK(hv_read_file("/nonexistent/file") == NULL);

    int64_t t0 = hv_now_us();
    hv_sleep_ms(50);
    int64_t dt = hv_now_us() - t0;
    CHECK(dt >= 45000 && dt < 2000000);

    CHECK_INT_EQ(hv_rm_rf(dir), 0);
    CHECK(!exists(dir));
    free(dir);
}

static void test_broker_start(void)
{
    g_broker = hv_broker_start();
    REQUIRE(g_broker != NULL);
    CHECK(hv_broker_port(g_broker) > 0);
    CHECK(hv_broker_pid(g_broker) > 0);
    REQUIRE(hv_broker_dir(g_broker) != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/mosquitto.conf", hv_broker_dir(g_broker));
    char *conf = hv_read_file(path);
    REQUIRE(conf != NULL);
    CHECK(strstr(conf, "127.0.0.1") != NULL);
    CHECK(strstr(conf, "allow_anonymous true") != NULL);
    free(conf);
}

static void test_pubsub_qos1(void)
{
    REQUIRE(g_broker != NULL);
    int port = hv_broker_port(g_broker);
    hv_client *a = hv_client_new("hv-self-a", port);
    hv_client *b = hv_client_new("hv-self-b", port);
    REQUIRE(a != NULL);
    if (!b) {
        hv_client_free(a);
        REQUIRE(b != NULL);
    }
    CHECK(hv_client_connected(a));
    CHECK_INT_EQ(hv_client_sub(b, "t/#", 1), 0);

    CHECK_INT_EQ(hv_client_pub(a, "t/x", "hello", 1, false), 0);
    char *topic = NULL;
    bool retained = true;
    char *p = hv_client_expect_t(b, "t/#", 2000, &topic, &retained);
    CHECK_STR_EQ(p, "hello");
    CHECK_STR_EQ(topic, "t/x");
    CHECK(!retained);
    free(p);
    free(topic);

    /* Order is kept, QoS 0 works, other topics are skipped over. */
    CHECK_INT_EQ(hv_client_pub(a, "t/1", "one", 0, false), 0);
    CHECK_INT_EQ(hv_client_pub(a, "t/2", "two", 1, false), 0);
    CHECK_INT_EQ(hv_client_pub(a, "t/1", "three", 1, false), 0);
    p = hv_client_expect(b, "t/2", 2000);
    CHECK_STR_EQ(p, "two");
    free(p);
    p = hv_client_expect(b, "t/1", 2000);
    CHECK_STR_EQ(p, "one");
    free(p);
    p = hv_client_expect(b, "t/+", 2000);
    CHECK_STR_EQ(p, "three");
    free(p);

    /* Arbitrary bytes: invalid UTF-8 with an inner NUL. */
    const unsigned char raw[] = {0xff, 0x00, 0xfe, 'x'};
    CHECK_INT_EQ(hv_client_pub_raw(a, "t/raw", raw, (int)sizeof raw, 1, false), 0);
    hv_msg *m = hv_client_expect_msg(b, "t/raw", 2000);
    REQUIRE(m != NULL);
    CHECK_INT_EQ(m->payloadlen, (int)sizeof raw);
    CHECK(memcmp(m->payload, raw, sizeof raw) == 0);
    CHECK_INT_EQ(m->qos, 1);
    CHECK(m->recv_us > 0);
    hv_msg_free(m);

    /* count / drain. */
    CHECK_INT_EQ(hv_client_pub(a, "t/a", "A", 1, false), 0);
    CHECK_INT_EQ(hv_client_pub(a, "t/b", "B", 1, false), 0);
    p = hv_client_expect(b, "t/b", 2000); /* t/a was delivered before it */
    CHECK_STR_EQ(p, "B");
    free(p);
    CHECK_INT_EQ(hv_client_count(b, "t/a"), 1);
    CHECK_INT_EQ(hv_client_count(b, "#"), 1);
    CHECK_INT_EQ(hv_client_count(b, "t/b"), 0);
    hv_client_drain(b);
    CHECK_INT_EQ(hv_client_count(b, NULL), 0);

    /* unsubscribe */
    CHECK_INT_EQ(hv_client_unsub(b, "t/#"), 0);
    CHECK_INT_EQ(hv_client_pub(a, "t/x", "unheard", 1, false), 0);
    CHECK(hv_client_expect_none(b, "#", 200));

    hv_client_free(a);
    hv_client_free(b);
}

static void test_retained(void)
{
    REQUIRE(g_broker != NULL);
    int port = hv_broker_port(g_broker);
    hv_client *a = hv_client_new("hv-self-ret-a", port);
    REQUIRE(a != NULL);
    CHECK_INT_EQ(hv_client_pub(a, "r/1", "keep", 1, true), 0);

    hv_client *c = hv_client_new("hv-self-ret-c", port);
    if (!c) {
        hv_client_free(a);
        REQUIRE(c != NULL);
    }
    CHECK_INT_EQ(hv_client_sub(c, "r/#", 1), 0);
    bool retained = false;
    char *p = hv_client_expect_t(c, "r/#", 2000, NULL, &retained);
    CHECK_STR_EQ(p, "keep");
    CHECK(retained);
    free(p);

    /* An empty retained message clears it; live subscribers see it empty. */
    CHECK_INT_EQ(hv_client_pub(a, "r/1", NULL, 1, true), 0);
    p = hv_client_expect(c, "r/1", 2000);
    CHECK_STR_EQ(p, "");
    free(p);

    hv_client *d = hv_client_new(NULL, port); /* broker-assigned id */
    CHECK(d != NULL);
    if (d) {
        CHECK_INT_EQ(hv_client_sub(d, "r/#", 1), 0);
        CHECK(hv_client_expect_none(d, "r/#", 300));
    }
    hv_client_free(d);
    hv_client_free(c);
    hv_client_free(a);
}

static void test_expect_none(void)
{
    REQUIRE(g_broker != NULL);
    int port = hv_broker_port(g_broker);
    hv_client *a = hv_client_new("hv-self-none", port);
    REQUIRE(a != NULL);
    CHECK_INT_EQ(hv_client_sub(a, "n/#", 0), 0);

    int64_t t0 = hv_now_us();
    CHECK(hv_client_expect_none(a, "n/#", 200));
    CHECK(hv_now_us() - t0 >= 190000);
    CHECK(hv_client_expect(a, "n/#", 100) == NULL);

    /* A message already queued, or arriving, ends the wait early. */
    CHECK_INT_EQ(hv_client_pub(a, "n/x", "x", 1, false), 0);
    t0 = hv_now_us();
    CHECK(!hv_client_expect_none(a, "n/#", 3000));
    CHECK(hv_now_us() - t0 < 2000000);
    CHECK(hv_client_expect_none(a, "other/#", 50)); /* filter respected */
    CHECK_INT_EQ(hv_client_count(a, "n/x"), 1);      /* not removed */
    hv_client_free(a);
}

static void test_will(void)
{
    REQUIRE(g_broker != NULL);
    int port = hv_broker_port(g_broker);
    hv_client *obs = hv_client_new("hv-self-obs", port);
    REQUIRE(obs != NULL);
    CHECK_INT_EQ(hv_client_sub(obs, "w/#", 1), 0);

    hv_client *w = hv_client_new_will("hv-self-will", port, "w/hv-self-will",
                                      "gone", 1, false);
    CHECK(w != NULL);
    if (w) {
        /* A clean disconnect does not publish the will... */
        hv_client_free(w);
        CHECK(hv_client_expect_none(obs, "w/#", 300));
    }
    /* ...but vanishing does. */
    w = hv_client_new_will("hv-self-will", port, "w/hv-self-will", "gone", 1,
                           false);
    CHECK(w != NULL);
    if (w) {
        CHECK_INT_EQ(hv_client_drop(w), 0);
        char *p = hv_client_expect(obs, "w/hv-self-will", 3000);
        CHECK_STR_EQ(p, "gone");
        free(p);
        hv_client_free(w);
    }
    hv_client_free(obs);
}

static void test_broker_restart(void)
{
    REQUIRE(g_broker != NULL);
    int port = hv_broker_port(g_broker);
    hv_client *x = hv_client_new("hv-self-x", port);
    REQUIRE(x != NULL);
    CHECK_INT_EQ(hv_client_sub(x, "k/#", 1), 0);

    CHECK_INT_EQ(hv_broker_kill(g_broker), 0);
    CHECK(hv_broker_pid(g_broker) == -1);
    for (int i = 0; i < 200 && hv_client_connected(x); i++)
        hv_sleep_ms(10);
    CHECK(!hv_client_connected(x));
    fputs("(a refused connection message is expected next)\n", stderr);
    hv_client *none = hv_client_new("hv-self-none", port);
    CHECK(none == NULL);
    hv_client_free(none);

    CHECK_INT_EQ(hv_broker_restart(g_broker), 0);
    CHECK_INT_EQ(hv_broker_port(g_broker), port);
    CHECK(hv_broker_pid(g_broker) > 0);

    hv_client *y = hv_client_new("hv-self-y", port);
    CHECK(y != NULL);
    /* The old client reconnects by itself and re-subscribes. */
    CHECK_INT_EQ(hv_client_wait_ready(x, 5000), 0);
    if (y) {
        CHECK_INT_EQ(hv_client_pub(y, "k/1", "back", 1, false), 0);
        char *p = hv_client_expect(x, "k/#", 2000);
        CHECK_STR_EQ(p, "back");
        free(p);
    }

    /* A graceful stop, then a restart, work too. */
    CHECK_INT_EQ(hv_broker_stop(g_broker), 0);
    CHECK_INT_EQ(hv_broker_stop(g_broker), 0); /* not running: still fine */
    CHECK_INT_EQ(hv_broker_restart(g_broker), 0);
    CHECK_INT_EQ(hv_client_wait_ready(x, 5000), 0);
    if (y)
        CHECK_INT_EQ(hv_client_wait_ready(y, 5000), 0);

    hv_client_free(y);
    hv_client_free(x);
}

static void test_client_free_without_broker(void)
{
    /* Freeing a client whose broker is gone must not hang. */
    hv_broker *b = hv_broker_start();
    REQUIRE(b != NULL);
    hv_client *c = hv_client_new("hv-self-orphan", hv_broker_port(b));
    CHECK(c != NULL);
    CHECK_INT_EQ(hv_broker_kill(b), 0);
    hv_sleep_ms(100);
    int64_t t0 = hv_now_us();
    hv_client_free(c);
    CHECK(hv_now_us() - t0 < 3000000);
    hv_broker_free(b);
}

static void test_proc(void)
{
    char *argv_exit[] = {"/bin/sh", "-c", "exit 3", NULL};
    hv_proc *p = hv_proc_spawn(argv_exit, NULL);
    REQUIRE(p != NULL);
    CHECK(hv_proc_pid(p) > 0);
    CHECK_INT_EQ(hv_proc_wait(p, 5000), 3);
    CHECK_INT_EQ(hv_proc_wait(p, 0), 3); /* cached */
    CHECK_INT_EQ(hv_proc_signal(p, SIGTERM), -1);
    CHECK_INT_EQ(hv_proc_rss_kb(p), -1);
    hv_proc_free(p);

    char *argv_sleep[] = {"/bin/sleep", "30", NULL};
    p = hv_proc_spawn(argv_sleep, NULL);
    REQUIRE(p != NULL);
    CHECK(hv_proc_rss_kb(p) > 0);
    CHECK_INT_EQ(hv_proc_wait(p, 100), -1); /* still running */
    CHECK_INT_EQ(hv_proc_stop(p), 128 + SIGTERM);
    hv_proc_free(p);

    p = hv_proc_spawn(argv_sleep, NULL);
    REQUIRE(p != NULL);
    pid_t pid = hv_proc_pid(p);
    CHECK_INT_EQ(hv_proc_signal(p, SIGKILL), 0);
    CHECK_INT_EQ(hv_proc_wait(p, 5000), 128 + SIGKILL);
    hv_proc_free(p);
    p = hv_proc_spawn(argv_sleep, NULL);
    REQUIRE(p != NULL);
    pid = hv_proc_pid(p);
    hv_proc_free(p); /* kills it */
    CHECK(!hv_pid_alive(pid));

    fputs("(a \"cannot start\" message is expected next)\n", stderr);
    char *argv_missing[] = {"/nonexistent/haven-room", NULL};
    CHECK(hv_proc_spawn(argv_missing, NULL) == NULL);
}

static void test_proc_log_and_fds(void)
{
    char *dir = hv_tmpdir("selftest");
    REQUIRE(dir != NULL);
    char log[512];
    snprintf(log, sizeof log, "%s/child.log", dir);

    char *argv_out[] = {"/bin/sh", "-c", "echo out; echo err >&2", NULL};
    hv_proc *p = hv_proc_spawn(argv_out, log);
    CHECK(p != NULL);
    CHECK_INT_EQ(hv_proc_wait(p, 5000), 0);
    hv_proc_free(p);
    char *text = hv_read_file(log);
    CHECK_STR_EQ(text, "out\nerr\n");
    free(text);

    /* Appends; and the child inherits only 0, 1, 2 (ls adds its own 3)
     * even while this process holds a broker connection. */
    hv_client *c = g_broker ? hv_client_new("hv-self-fd", hv_broker_port(g_broker))
                            : NULL;
    CHECK(c != NULL);
    char *argv_ls[] = {"/bin/ls", "/proc/self/fd", NULL};
    p = hv_proc_spawn(argv_ls, log);
    CHECK(p != NULL);
    CHECK_INT_EQ(hv_proc_wait(p, 5000), 0);
    hv_proc_free(p);
    hv_client_free(c);
    text = hv_read_file(log);
    CHECK_STR_EQ(text, "out\nerr\n0\n1\n2\n3\n");
    free(text);

    hv_rm_rf(dir);
    free(dir);
}

static void test_attach_port_env(void)
{
    REQUIRE(g_broker != NULL);
    char num[16];
    snprintf(num, sizeof num, "%d", hv_broker_port(g_broker));
    setenv("HAVEN_TEST_BROKER_PORT", num, 1);
    hv_broker *b = hv_broker_attach();
    unsetenv("HAVEN_TEST_BROKER_PORT");
    REQUIRE(b != NULL);
    CHECK_INT_EQ(hv_broker_port(b), hv_broker_port(g_broker));
    CHECK(hv_broker_pid(b) == -1);
    CHECK(hv_broker_dir(b) == NULL);
    CHECK_INT_EQ(hv_broker_stop(b), -1);
    CHECK_INT_EQ(hv_broker_kill(b), -1);
    CHECK_INT_EQ(hv_broker_restart(b), -1);
    hv_broker_free(b);
    /* Freeing the attached handle left the real broker alone. */
    CHECK_INT_EQ(hv_wait_port(hv_broker_port(g_broker), 100,
                              hv_broker_pid(g_broker)), 0);

    /* With no env at all, attach starts a broker of its own. */
    unsetenv("HAVEN_TEST_BROKER_DIR");
    b = hv_broker_attach();
    REQUIRE(b != NULL);
    CHECK(hv_broker_pid(b) > 0);
    CHECK(hv_broker_port(b) != hv_broker_port(g_broker));
    hv_broker_free(b);
}

static void test_fixture(void)
{
    if (!g_fixture) {
        puts("# skipped: no haven-test-broker path given");
        return;
    }
    char *dir = hv_tmpdir("fixture");
    REQUIRE(dir != NULL);
    char *argv_start[] = {(char *)g_fixture, "start", dir, NULL};
    hv_proc *p = hv_proc_spawn(argv_start, NULL);
    CHECK(p != NULL);
    CHECK_INT_EQ(hv_proc_wait(p, 15000), 0);
    hv_proc_free(p);

    char path[512];
    snprintf(path, sizeof path, "%s/pid", dir);
    char *pid_text = hv_read_file(path);
    CHECK(pid_text != NULL);
    pid_t pid = pid_text ? (pid_t)atoi(pid_text) : -1;
    free(pid_text);
    CHECK(hv_pid_alive(pid)); /* outlived the fixture program */

    setenv("HAVEN_TEST_BROKER_DIR", dir, 1);
    hv_broker *b = hv_broker_attach();
    unsetenv("HAVEN_TEST_BROKER_DIR");
    CHECK(b != NULL);
    if (b) {
        CHECK(hv_broker_pid(b) == -1); /* attached, not ours */
        hv_client *c = hv_client_new("hv-self-fixture", hv_broker_port(b));
        CHECK(c != NULL);
        if (c) {
            CHECK_INT_EQ(hv_client_sub(c, "f/#", 1), 0);
            CHECK_INT_EQ(hv_client_pub(c, "f/1", "fixture", 1, false), 0);
            char *msg = hv_client_expect(c, "f/#", 2000);
            CHECK_STR_EQ(msg, "fixture");
            free(msg);
        }
        hv_client_free(c);
        hv_broker_free(b);
    }

    char *argv_stop[] = {(char *)g_fixture, "stop", dir, NULL};
    p = hv_proc_spawn(argv_stop, NULL);
    CHECK(p != NULL);
    CHECK_INT_EQ(hv_proc_wait(p, 15000), 0);
    hv_proc_free(p);
    CHECK(!hv_pid_alive(pid));
    snprintf(path, sizeof path, "%s/port", dir);
    CHECK(!exists(path));
    snprintf(path, sizeof path, "%s/pid", dir);
    CHECK(!exists(path));

    hv_rm_rf(dir);
    free(dir);
}

static void test_broker_free(void)
{
    REQUIRE(g_broker != NULL);
    char *dir = strdup(hv_broker_dir(g_broker));
    pid_t pid = hv_broker_pid(g_broker);
    hv_broker_free(g_broker);
    g_broker = NULL;
    CHECK(!hv_pid_alive(pid));
    CHECK(dir && !exists(dir));
    free(dir);
}

int main(int argc, char **argv)
{
    g_fixture = argc > 1 ? argv[1] : NULL;
    RUN(test_check_framework);
    RUN(test_misc);
    RUN(test_broker_start);
    RUN(test_pubsub_qos1);
    RUN(test_retained);
    RUN(test_expect_none);
    RUN(test_will);
    RUN(test_broker_restart);
    RUN(test_client_free_without_broker);
    RUN(test_proc);
    RUN(test_proc_log_and_fds);
    RUN(test_attach_port_env);
    RUN(test_fixture);
    RUN(test_broker_free);
    return CHECK_SUMMARY();
}
