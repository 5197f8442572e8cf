/*
 * room_fixture.h - the real haven-room binary under test, with a real broker.
 *
 * Each test gets its own topic prefix ("t<random>"), so tests can share the
 * CTest fixture broker without seeing each other's retained messages; tests
 * that stop or kill the broker ask for a private one.  The controller runs
 * from a temp dir holding its config, call log and log file; the log is
 * printed when a test fails, so a red CI run shows what the controller said.
 */
#ifndef HAVEN_ROOM_FIXTURE_H
#define HAVEN_ROOM_FIXTURE_H

#include "harness.h"

#include <stdbool.h>

struct room_fixture {
    hv_broker *broker;
    int port;
    char prefix[32];
    char *dir;               /* temp dir: haven.cfg, calls.db, room.log */
    char cfg_path[512];
    char db_path[512];
    char log_path[512];
    hv_proc *room;           /* the controller, or NULL while stopped */
    hv_client *obs;          /* subscribed to "<prefix>/#" since before the controller started */
    int room_port;           /* the port the controller and kiosk are told (--broker); 0: port */
    struct hv_client_opts client;  /* credentials / TLS for rf_client (from rf_opts.obs) */
    char room_netns[64];     /* "": the controller runs in the test's network namespace */
    char room_broker[80];    /* "": --broker 127.0.0.1:<room_port or port>; else this */
};

/* For rf_start_opts: a broker that wants credentials or TLS (tests/security, tests/drills). */
struct rf_opts {
    const char *cfg_text;        /* as for rf_start; NULL: rf_default_config */
    bool private_broker;
    const char *broker_conf;     /* appended to the private broker's mosquitto.conf */
    struct hv_client_opts obs;   /* the observer's credentials / TLS; port and id filled in */
    int room_port;               /* 0: the broker's port; or e.g. its TLS listener's */
    const char *prefix;          /* NULL: "t<random>"; a broker ACL needs it known in advance */
    const char *room_netns;      /* NULL: as usual; else the controller runs in this named
                                  * network namespace (`ip netns exec`, tests/drills) */
    const char *room_broker;     /* NULL: as usual; else its --broker ("host:port") */
    bool room_later;             /* set up broker, config and observer only: the test
                                  * subscribes its own clients, then calls rf_start_room, so
                                  * they hear everything the controller sends as it connects */
};

/*
 * The default test clinic: controller id "ctl-<prefix>" (its MQTT session is
 * persistent, so two controllers with one id would take it from each other
 * when tests run in parallel), rooms chair-1..chair-4, groups nurses and charge,
 * short timers (assist: nurses@0, charge@2s, repeat 2s, ack_timeout 3s;
 * urgent: nurses@0, charge@1s, repeat 1s, ack_timeout 2s; routine: nurses@0,
 * charge@4s, repeat 4s, ack_timeout 4s).  extra is appended (may be NULL).
 * Returns a malloc'd config text.
 */
char *rf_default_config(const char *prefix, const char *extra);

/*
 * Starts a broker (private_broker: a new one this test may stop and kill;
 * otherwise the shared CTest fixture broker when there is one), writes
 * cfg_text (NULL: rf_default_config) with "%PREFIX%" replaced by the test's
 * prefix, connects the observer and starts the controller, waiting until its
 * retained status says online.  Returns 0, or -1 (and prints why).
 */
int rf_start(struct room_fixture *f, const char *cfg_text, bool private_broker);

/* Like rf_start, with the options above. 0 or -1. */
int rf_start_opts(struct room_fixture *f, const struct rf_opts *o);

/*
 * With env HAVEN_VALGRIND set (non-empty), every haven-room the fixture
 * starts runs under valgrind memcheck (--error-exitcode=99, leaks counted as
 * errors); rf_stop_room then fails the running test if memcheck reported
 * anything.  Use it with the normal (not the ASan) build.
 */
bool rf_valgrind(void);

/* Starts the controller again (after rf_stop_room/rf_kill_room); waits for online. 0 or -1. */
int rf_start_room(struct room_fixture *f);
/* SIGTERM and wait; returns the exit status. */
int rf_stop_room(struct room_fixture *f);
/* SIGKILL (a crash). */
void rf_kill_room(struct room_fixture *f);

/* Stops everything and removes the temp dir (kept, with the log printed, if the test failed). */
void rf_finish(struct room_fixture *f);

/* "<prefix>/<rest>" in a static rotating buffer (valid for the next 7 calls). */
const char *rf_topic(const struct room_fixture *f, const char *rest);

/* A new client on the fixture's broker (with rf_opts.obs's credentials and TLS, if any). */
hv_client *rf_client(const struct room_fixture *f, const char *name);

/* The path of the haven-room binary under test. */
const char *rf_room_bin(void);

/* Runs haven-room with args (NULL-terminated, after argv[0]), output to out_path; returns exit status. */
int rf_run_room_cli(const char *const args[], const char *out_path);

#endif
