/*
 * broker_fixture.c - haven-test-broker, a shared Mosquitto for a CTest run.
 *
 *     haven-test-broker start DIR   start mosquitto on a free 127.0.0.1 port,
 *                                   detached from this program, write
 *                                   DIR/port and DIR/pid, wait until it
 *                                   accepts connections, exit 0
 *     haven-test-broker stop DIR    SIGTERM the broker in DIR/pid (SIGKILL
 *                                   after 5 s) and remove DIR/port, DIR/pid
 *                                   and DIR/mosquitto.conf
 *
 * Meant for CTest's FIXTURES_SETUP / FIXTURES_CLEANUP: the tests that use the
 * fixture get HAVEN_TEST_BROKER_DIR=DIR in their environment, and
 * hv_broker_attach() reads the port from DIR/port. The broker runs in its own
 * session with stdio on DIR/mosquitto.out and no other descriptor inherited,
 * so CTest does not wait for it when the setup test ends. Its log
 * (DIR/mosquitto.log, DIR/mosquitto.out) is left in DIR for post-mortems.
 * A "start" on a DIR that still has a running broker (from an aborted run)
 * stops that one first.
 */
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define START_ATTEMPTS 5
#define WAIT_MS 5000

/* Returns a malloc'd "dir/name". */
static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) {
        fputs("haven-test-broker: out of memory\n", stderr);
        exit(1);
    }
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Writes text to dir/name atomically (temp file + rename). Returns 0/-1. */
static int write_atomic(const char *dir, const char *name, const char *text)
{
    char *final = path_in(dir, name);
    size_t n = strlen(final) + 5;
    char *tmp = malloc(n);
    int rc = -1;
    if (tmp) {
        snprintf(tmp, n, "%s.tmp", final);
        rc = hv_write_file(tmp, text);
        if (rc == 0 && rename(tmp, final) != 0)
            rc = -1;
        if (rc != 0)
            fprintf(stderr, "haven-test-broker: cannot write %s: %s\n",
                    final, strerror(errno));
        free(tmp);
    }
    free(final);
    return rc;
}

/* Returns true if pid's command line mentions mosquitto (so a recycled pid
 * of some other program is never killed). */
static bool is_mosquitto(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    char *cmd = hv_read_file(path); /* argv[0] is enough: it ends at a NUL */
    bool yes = cmd && strstr(cmd, "mosquitto") != NULL;
    free(cmd);
    return yes;
}

/* Stops the broker recorded in dir/pid, if any, and removes the fixture's
 * files. Returns 0, or 1 if the broker could not be killed. */
static int stop_broker(const char *dir)
{
    char *pid_path = path_in(dir, "pid");
    char *text = hv_read_file(pid_path);
    int rc = 0;
    if (text) {
        long v = strtol(text, NULL, 10);
        pid_t pid = (pid_t)v;
        if (v > 1 && hv_pid_alive(pid) && is_mosquitto(pid)) {
            kill(pid, SIGTERM);
            int64_t end = hv_now_us() + (int64_t)WAIT_MS * 1000;
            while (hv_pid_alive(pid) && hv_now_us() < end)
                hv_sleep_ms(10);
            if (hv_pid_alive(pid)) {
                fprintf(stderr, "haven-test-broker: pid %d ignored SIGTERM, "
                        "killing\n", (int)pid);
                kill(pid, SIGKILL);
                end = hv_now_us() + (int64_t)WAIT_MS * 1000;
                while (hv_pid_alive(pid) && hv_now_us() < end)
                    hv_sleep_ms(10);
                if (hv_pid_alive(pid))
                    rc = 1;
            }
            printf("haven-test-broker: stopped mosquitto pid %d\n", (int)pid);
        }
        free(text);
    }
    const char *names[] = {"port", "pid", "mosquitto.conf"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *p = path_in(dir, names[i]);
        unlink(p);
        free(p);
    }
    free(pid_path);
    return rc;
}

/* Starts a detached broker for dir. Returns the exit code (0 on success). */
static int start_broker(const char *dir)
{
    const char *bin = hv_mosquitto_path();
    if (!bin) {
        fputs("haven-test-broker: no mosquitto binary "
              "(set HAVEN_MOSQUITTO)\n", stderr);
        return 1;
    }
    stop_broker(dir); /* leftovers of an aborted run */

    char *conf = path_in(dir, "mosquitto.conf");
    char *out = path_in(dir, "mosquitto.out");
    char *log = path_in(dir, "mosquitto.log");
    int rc = 1;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        int port = hv_free_port();
        if (port <= 0 || hv_broker_write_conf(dir, port, NULL) != 0)
            break;
        char *argv[] = {(char *)bin, "-c", conf, NULL};
        pid_t pid = hv_spawn_detached(argv, out);
        if (pid <= 0)
            break;
        if (hv_wait_port(port, WAIT_MS, pid) != 0) {
            if (hv_pid_alive(pid)) { /* alive but not listening: give up */
                kill(pid, SIGKILL);
                fprintf(stderr, "haven-test-broker: mosquitto pid %d not "
                        "listening on port %d\n", (int)pid, port);
                break;
            }
            continue; /* it exited: the port was probably taken; retry */
        }
        char num[32];
        snprintf(num, sizeof num, "%d\n", (int)pid);
        if (write_atomic(dir, "pid", num) != 0) {
            kill(pid, SIGKILL);
            break;
        }
        snprintf(num, sizeof num, "%d\n", port);
        if (write_atomic(dir, "port", num) != 0) {
            stop_broker(dir);
            break;
        }
        printf("haven-test-broker: mosquitto pid %d on 127.0.0.1:%d (%s)\n",
               (int)pid, port, dir);
        rc = 0;
        break;
    }
    if (rc != 0) {
        fprintf(stderr, "haven-test-broker: could not start mosquitto\n");
        char *text = hv_read_file(log);
        if (text)
            fprintf(stderr, "----- %s -----\n%s\n", log, text);
        free(text);
        text = hv_read_file(out);
        if (text)
            fprintf(stderr, "----- %s -----\n%s\n", out, text);
        free(text);
    }
    free(conf);
    free(out);
    free(log);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "start") != 0 &&
                      strcmp(argv[1], "stop") != 0)) {
        fprintf(stderr, "usage: %s start|stop DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[2], 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "haven-test-broker: mkdir %s: %s\n", argv[2],
                strerror(errno));
        return 1;
    }
    /* mosquitto.conf needs an absolute log path. */
    char dir[PATH_MAX];
    if (!realpath(argv[2], dir)) {
        fprintf(stderr, "haven-test-broker: %s: %s\n", argv[2],
                strerror(errno));
        return 1;
    }
    if (strcmp(argv[1], "start") == 0)
        return start_broker(dir);
    return stop_broker(dir);
}
