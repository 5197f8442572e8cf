/*
 * harness.h - helpers for Haven's integration tests and benchmarks.
 *
 * Four groups of helpers, all behind opaque handles with an hv_ prefix:
 *
 *   - hv_broker: a REAL Mosquitto broker (/usr/sbin/mosquitto) run as a child
 *     process on a free 127.0.0.1 port, with its own temp dir holding its
 *     config and log; it can be killed and restarted on the same port.
 *     hv_broker_attach() instead reuses a broker started by the CTest fixture
 *     program haven-test-broker (see broker_fixture.c).
 *   - hv_proc: a child process (the real haven-room binary, a kiosk, ...)
 *     whose stdout and stderr are appended to a log file.
 *   - hv_client: an MQTT client (libmosquitto with its own network thread)
 *     that queues every message it receives so the test thread can wait for
 *     one with hv_client_expect(). It re-subscribes its filters by itself
 *     when it reconnects after a broker restart, as a real kiosk would.
 *   - small file, temp dir and clock helpers.
 *
 * Every function that waits has a bounded wait (5 s unless a timeout is
 * passed), so a broken program under test fails a test instead of hanging it.
 * Children are started with PR_SET_PDEATHSIG, so a test that crashes does not
 * leave brokers or rooms behind (start and free them from one thread, usually
 * the main one: the signal fires when the thread that forked exits).
 * All functions are meant to be called from the test's own threads, never
 * from inside a libmosquitto callback.
 */
#ifndef HAVEN_TEST_HARNESS_H
#define HAVEN_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------------------ */
/* broker: a real mosquitto on a free 127.0.0.1 port                         */
/* ------------------------------------------------------------------------ */

typedef struct hv_broker hv_broker;

/* Starts mosquitto (env HAVEN_MOSQUITTO, else /usr/sbin/mosquitto, else
 * `mosquitto` on PATH) on a free 127.0.0.1 port with a config written to a
 * fresh temp dir (anonymous access, no persistence, log file in the dir), and
 * waits up to 5 s until it accepts TCP connections.
 * Returns the handle, or NULL (with a message and the broker's log on
 * stderr) on failure. */
hv_broker *hv_broker_start(void);

/* Like hv_broker_start(), with extra_conf (may be NULL) appended verbatim to
 * the generated mosquitto.conf, e.g. "max_inflight_messages 1\n".
 * Returns the handle, or NULL on failure. */
hv_broker *hv_broker_start_ex(const char *extra_conf);

/* Returns a handle on the shared test broker: the port in env
 * HAVEN_TEST_BROKER_PORT if set, else the port in the file
 * $HAVEN_TEST_BROKER_DIR/port if that env var is set and the file exists
 * (both checked to accept connections within 5 s); such a handle owns no
 * process, so hv_broker_stop/kill/restart on it return -1. Otherwise starts
 * a broker of its own with hv_broker_start(). NULL on failure. */
hv_broker *hv_broker_attach(void);

/* Returns the broker's TCP port on 127.0.0.1. */
int hv_broker_port(const hv_broker *b);

/* Returns the broker's pid, or -1 if it is not running or not ours. */
pid_t hv_broker_pid(const hv_broker *b);

/* Returns the broker's temp dir (mosquitto.conf, mosquitto.log and
 * mosquitto.out live there), or NULL for an attached broker. */
const char *hv_broker_dir(const hv_broker *b);

/* Stops the broker: SIGTERM, waits up to 5 s, then SIGKILL.
 * Returns 0 on success (also if it was not running), -1 if not ours. */
int hv_broker_stop(hv_broker *b);

/* Kills the broker with SIGKILL and reaps it (simulates a crash).
 * Returns 0 on success (also if it was not running), -1 if not ours. */
int hv_broker_kill(hv_broker *b);

/* Starts the broker again on the SAME port (stopping it first if it is
 * still running), retrying for up to 5 s while the port cannot be bound, and
 * waits until it accepts connections. Returns 0 on success, -1 on failure or
 * if the broker is not ours. */
int hv_broker_restart(hv_broker *b);

/* Stops the broker if it is running and removes its temp dir (kept if env
 * HAVEN_KEEP_TMP is set). Returns nothing; NULL is fine. */
void hv_broker_free(hv_broker *b);

/* ------------------------------------------------------------------------ */
/* child processes (the real haven-room binary, later the kiosk)             */
/* ------------------------------------------------------------------------ */

typedef struct hv_proc hv_proc;

/* Forks and execv()s argv[0] (a path; argv NULL-terminated) with stdin from
 * /dev/null and stdout+stderr appended to log_path (inherited if NULL); no
 * other descriptors are inherited. Returns the handle, or NULL if the fork or
 * the exec failed. */
hv_proc *hv_proc_spawn(char *const argv[], const char *log_path);

/* Like hv_proc_spawn, but when netns is neither NULL nor "" the child runs
 * inside the named network namespace (`ip netns exec netns argv...`, which
 * execs argv in the same process, so the pid is argv's).
 * Returns the handle, or NULL on failure. */
hv_proc *hv_proc_spawn_netns(const char *netns, char *const argv[],
                             const char *log_path);

/* Returns iproute2's `ip` binary (/usr/sbin/ip, /sbin/ip, /usr/bin/ip or
 * /bin/ip, the first that is executable), or NULL if there is none. */
const char *hv_ip_path(void);

/* Returns the child's pid. */
pid_t hv_proc_pid(const hv_proc *p);

/* Sends signal sig to the child. Returns 0, or -1 if it was already reaped
 * or kill() failed. */
int hv_proc_signal(hv_proc *p, int sig);

/* Waits up to timeout_ms (negative: forever) for the child to exit.
 * Returns its exit status (0..255), 128+signal if a signal killed it, or -1
 * on timeout (the process is left running). Once reaped, returns the same
 * status again on every call. */
int hv_proc_wait(hv_proc *p, int timeout_ms);

/* Sends SIGTERM, waits up to 5 s, then SIGKILL if needed.
 * Returns like hv_proc_wait (143 = killed by SIGTERM). */
int hv_proc_stop(hv_proc *p);

/* Kills the child with SIGKILL if it still runs, reaps it and frees the
 * handle. Returns nothing; NULL is fine. */
void hv_proc_free(hv_proc *p);

/* Returns the child's resident set size in kB (VmRSS from
 * /proc/<pid>/status), or -1 on error or once it has exited. */
long hv_proc_rss_kb(const hv_proc *p);

/* Returns the CPU time the child has used so far (utime + stime from
 * /proc/<pid>/stat) in ms, or -1 on error or once it has exited. */
long hv_proc_cpu_ms(const hv_proc *p);

/* ------------------------------------------------------------------------ */
/* an MQTT test client (a kiosk, a nurse pager, a board)                     */
/* ------------------------------------------------------------------------ */

typedef struct hv_client hv_client;

/* One received message (see hv_client_expect_msg). */
typedef struct hv_msg {
    char *topic;     /* NUL-terminated */
    char *payload;   /* payloadlen bytes plus a NUL (may hold inner NULs) */
    int payloadlen;
    int qos;
    bool retain;
    int64_t recv_us; /* hv_now_us() when the network thread received it */
} hv_msg;

/* Connects a libmosquitto client (MQTT 3.1.1, clean session, TCP_NODELAY,
 * keepalive 10 s) to 127.0.0.1:port, starts its network thread and waits up
 * to 5 s for a successful CONNACK. client_id may be NULL (broker-chosen).
 * Returns the handle, or NULL on failure. */
hv_client *hv_client_new(const char *client_id, int port);

/* Like hv_client_new, but with a last-will message that the broker publishes
 * if the client vanishes without a DISCONNECT. Returns the handle or NULL. */
hv_client *hv_client_new_will(const char *client_id, int port,
                              const char *will_topic, const char *will_payload,
                              int will_qos, bool will_retain);

/* Everything a test client may be given (zero = unused). */
struct hv_client_opts {
    const char *client_id;   /* NULL: broker-chosen */
    int port;                /* on 127.0.0.1 */
    const char *username, *password;
    const char *cafile;      /* TLS: the broker's certificate checked against this CA */
    const char *certfile, *keyfile;  /* a client certificate */
    const char *will_topic, *will_payload;
    int will_qos;
    bool will_retain;
    bool persistent;         /* clean_session false: the broker queues QoS 1 while we are away */
};

/* Like hv_client_new with credentials, TLS and a will as in o.  *connack (if
 * not NULL) gets the broker's CONNACK code (0 accepted, 5 not authorised, ...)
 * or -1 when none came (refused at TCP or TLS level).  Returns the handle, or
 * NULL if it did not connect. */
hv_client *hv_client_new_opts(const struct hv_client_opts *o, int *connack);

/* Subscribes to filter and waits up to 5 s for the SUBACK. The filter is
 * remembered and re-subscribed after every reconnect.
 * Returns 0 on success, -1 on failure or if the broker refused it. */
int hv_client_sub(hv_client *c, const char *filter, int qos);

/* Unsubscribes from filter, waits up to 5 s for the UNSUBACK and forgets it.
 * Returns 0 on success, -1 on failure. */
int hv_client_unsub(hv_client *c, const char *filter);

/* Publishes a text payload (NULL or "" sends an empty message, which clears a
 * retained one). Waits up to 5 s for completion: the PUBACK/PUBCOMP for
 * qos > 0, the message being written to the socket for qos 0.
 * Returns 0 on success, -1 on failure. */
int hv_client_pub(hv_client *c, const char *topic, const char *payload,
                  int qos, bool retain);

/* Like hv_client_pub with len arbitrary bytes (buf may be NULL if len is 0),
 * e.g. an oversized or invalid UTF-8 payload. Returns 0 or -1. */
int hv_client_pub_raw(hv_client *c, const char *topic, const void *buf,
                      int len, int qos, bool retain);

/* Removes the OLDEST queued message whose topic matches the MQTT filter
 * (NULL matches everything), waiting up to timeout_ms for one to arrive.
 * Returns it (free with hv_msg_free), or NULL on timeout. */
hv_msg *hv_client_expect_msg(hv_client *c, const char *filter, int timeout_ms);

/* Frees a message returned by hv_client_expect_msg. NULL is fine. */
void hv_msg_free(hv_msg *m);

/* Like hv_client_expect_msg, but returns just the payload (malloc'd,
 * NUL-terminated; free() it), or NULL on timeout. */
char *hv_client_expect(hv_client *c, const char *filter, int timeout_ms);

/* Like hv_client_expect; also stores the message's topic (malloc'd) in
 * *out_topic and its retain flag in *out_retained when those are non-NULL
 * (on timeout they are set to NULL / false). Returns the payload or NULL. */
char *hv_client_expect_t(hv_client *c, const char *filter, int timeout_ms,
                         char **out_topic, bool *out_retained);

/* Returns how many queued messages match filter (NULL: all), without
 * removing any. */
int hv_client_count(hv_client *c, const char *filter);

/* Waits wait_ms. Returns true if no message matching filter is queued and
 * none arrived meanwhile (returns false as soon as one does). */
bool hv_client_expect_none(hv_client *c, const char *filter, int wait_ms);

/* Drops every queued message. */
void hv_client_drain(hv_client *c);

/* Returns true while the client is connected to the broker. */
bool hv_client_connected(hv_client *c);

/* Waits up to timeout_ms until the client is connected and every remembered
 * subscription has been re-acknowledged (after a broker restart the network
 * thread reconnects by itself about once a second).
 * Returns 0 when ready, -1 on timeout. */
int hv_client_wait_ready(hv_client *c, int timeout_ms);

/* Simulates a crash or a lost network: shuts the client's TCP connection
 * down without sending DISCONNECT, so the broker publishes its will. The
 * network thread notices and reconnects about a second later (and
 * re-subscribes); free the client to prevent that. Returns 0, or -1 if it was
 * not connected. */
int hv_client_drop(hv_client *c);

/* Disconnects cleanly if connected, stops the network thread and frees the
 * client with its queue. Returns nothing; NULL is fine. */
void hv_client_free(hv_client *c);

/* ------------------------------------------------------------------------ */
/* misc                                                                      */
/* ------------------------------------------------------------------------ */

/* Creates a directory $TMPDIR/haven-<tag>-XXXXXX (or under /tmp).
 * Returns its malloc'd path, or NULL on failure. */
char *hv_tmpdir(const char *tag);

/* Removes path and, if it is a directory, everything below it.
 * Returns 0 on success, -1 if something could not be removed. */
int hv_rm_rf(const char *path);

/* Writes text to path (created or truncated). Returns 0 or -1. */
int hv_write_file(const char *path, const char *text);

/* Returns the whole file as a malloc'd NUL-terminated string, or NULL. */
char *hv_read_file(const char *path);

/* Returns CLOCK_MONOTONIC time in microseconds. */
int64_t hv_now_us(void);

/* Sleeps ms milliseconds (restarting after signals). Returns nothing. */
void hv_sleep_ms(int ms);

/* ------------------------------------------------------------------------ */
/* building blocks, shared with the haven-test-broker fixture program        */
/* ------------------------------------------------------------------------ */

/* Returns the mosquitto binary to run: env HAVEN_MOSQUITTO, else
 * /usr/sbin/mosquitto if executable, else "mosquitto" if found on PATH
 * (static or environment storage), or NULL if none was found. */
const char *hv_mosquitto_path(void);

/* Returns a currently free TCP port on 127.0.0.1 (bind to port 0, read it
 * back, close), or -1 on error. */
int hv_free_port(void);

/* Writes dir/mosquitto.conf for a broker listening on 127.0.0.1:port and
 * logging to dir/mosquitto.log, with extra_conf (may be NULL) appended.
 * Returns 0 or -1. */
int hv_broker_write_conf(const char *dir, int port, const char *extra_conf);

/* Waits up to timeout_ms until a TCP connect to 127.0.0.1:port succeeds,
 * giving up early if pid > 0 and that process has died.
 * Returns 0 once accepting, -1 otherwise. */
int hv_wait_port(int port, int timeout_ms, pid_t pid);

/* Starts argv like hv_proc_spawn but fully detached (setsid + double fork,
 * no parent-death signal), so it survives this process.
 * Returns the pid of the detached process, or -1 on failure. */
pid_t hv_spawn_detached(char *const argv[], const char *log_path);

/* Returns true if pid exists and is not a zombie. */
bool hv_pid_alive(pid_t pid);

#endif /* HAVEN_TEST_HARNESS_H */
