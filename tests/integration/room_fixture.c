/* room_fixture.c - start, stop and crash the real haven-room against a real broker. */
#include "room_fixture.h"
#include "check.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree (for tests/valgrind.supp)"
#endif
#ifndef HAVEN_ROOM_BIN
#error "HAVEN_ROOM_BIN must name the haven-room binary"
#endif

const char *rf_room_bin(void)
{
    return HAVEN_ROOM_BIN;
}

char *rf_default_config(const char *prefix, const char *extra)
{
    static const char fmt[] =
        "prefix = \"%s\";\n"
        /* realert_min 0: the tests of re-alerts press again within a second */
        "controller = { id = \"ctl-%s\"; realert_min = 0; };\n"
        "groups = [ \"nurses\", \"charge\" ];\n"
        "priorities = {\n"
        "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 4; } );\n"
        "              repeat = 4; ack_timeout = 4; };\n"
        "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 2; } );\n"
        "              repeat = 2; ack_timeout = 3; };\n"
        "  urgent  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 1; } );\n"
        "              repeat = 1; ack_timeout = 2; };\n"
        "};\n"
        "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; },\n"
        "          { id = \"chair-3\"; label = \"Chair 3\"; }, { id = \"chair-4\"; label = \"Chair 4\"; } );\n"
        "%s\n";
    size_t n = sizeof fmt + 2 * strlen(prefix) + (extra ? strlen(extra) : 0);
    char *text = malloc(n);

    if (text)
        snprintf(text, n, fmt, prefix, prefix, extra ? extra : "");
    return text;
}

/* Replaces every "%PREFIX%" in text by prefix; malloc'd. */
static char *subst_prefix(const char *text, const char *prefix)
{
    size_t cap = strlen(text) * 2 + 64, o = 0;
    char *out = malloc(cap);

    for (const char *p = text; out && *p;) {
        if (o + strlen(prefix) + 2 >= cap) {
            char *grown = realloc(out, cap *= 2);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        if (strncmp(p, "%PREFIX%", 8) == 0) {
            o += (size_t)sprintf(out + o, "%s", prefix);
            p += 8;
        } else {
            out[o++] = *p++;
        }
    }
    if (out)
        out[o] = '\0';
    return out;
}

const char *rf_topic(const struct room_fixture *f, const char *rest)
{
    static char bufs[8][256];
    static int next;
    char *b = bufs[next++ % 8];

    snprintf(b, sizeof bufs[0], "%s/%s", f->prefix, rest);
    return b;
}

hv_client *rf_client(const struct room_fixture *f, const char *name)
{
    char id[64];

    struct hv_client_opts o = f->client;

    snprintf(id, sizeof id, "%s-%s", f->prefix, name);
    o.client_id = id;
    if (!o.port)
        o.port = f->port;
    return hv_client_new_opts(&o, NULL);
}

/*
 * Waits for the controller's retained status to say online (consuming observer messages),
 * or for the controller to exit.  The bound is generous because it only decides when to
 * give up: under valgrind on a busy 2-core machine haven-room took over 10 s to start.
 */
#define ONLINE_WAIT_MS 60000

static int wait_online(struct room_fixture *f)
{
    int64_t end = hv_now_us() + (int64_t)ONLINE_WAIT_MS * 1000;

    while (hv_now_us() < end) {
        char *m = hv_client_expect(f->obs, rf_topic(f, "controller/+/status"), 500);
        bool online = m && strstr(m, "\"online\":true") != NULL;
        free(m);
        if (online)
            return 0;
        if (!m && f->room && hv_proc_wait(f->room, 0) != -1) {
            fprintf(stderr, "room_fixture: the controller exited before coming online\n");
            return -1;
        }
    }
    fprintf(stderr, "room_fixture: controller did not come online in %d s\n",
            ONLINE_WAIT_MS / 1000);
    return -1;
}

bool rf_valgrind(void)
{
    const char *v = getenv("HAVEN_VALGRIND");

    return v && *v && strcmp(v, "0") != 0;
}

#define VALGRIND_ERROR_EXIT 99

int rf_start_room(struct room_fixture *f)
{
    char broker[96];

    if (f->room_broker[0])
        snprintf(broker, sizeof broker, "%s", f->room_broker);
    else
        snprintf(broker, sizeof broker, "127.0.0.1:%d", f->room_port ? f->room_port : f->port);
    char *const plain[] = { (char *)rf_room_bin(), "--config", f->cfg_path, "--broker", broker,
                            "--db", f->db_path, NULL };
    char *const memcheck[] = { "/usr/bin/valgrind", "--tool=memcheck", "--quiet",
                               "--error-exitcode=99", "--leak-check=full",
                               "--errors-for-leak-kinds=definite,indirect",
                               "--show-leak-kinds=definite,indirect", "--track-fds=no",
                               "--suppressions=" HAVEN_SOURCE_DIR "/tests/valgrind.supp",
                               (char *)rf_room_bin(), "--config", f->cfg_path, "--broker",
                               broker, "--db", f->db_path, NULL };
    f->room = hv_proc_spawn_netns(f->room_netns, rf_valgrind() ? memcheck : plain, f->log_path);
    if (!f->room) {
        fprintf(stderr, "room_fixture: cannot start %s\n", rf_room_bin());
        return -1;
    }
    return wait_online(f);
}

int rf_start(struct room_fixture *f, const char *cfg_text, bool private_broker)
{
    struct rf_opts o = { .cfg_text = cfg_text, .private_broker = private_broker };

    return rf_start_opts(f, &o);
}

int rf_start_opts(struct room_fixture *f, const struct rf_opts *o)
{
    const char *cfg_text = o->cfg_text;
    uint32_t rnd = 0;
    char *text, id[64];
    struct hv_client_opts obs = o->obs;

    memset(f, 0, sizeof *f);
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (uint32_t)getpid();
    snprintf(f->prefix, sizeof f->prefix, "t%08x", rnd);
    if (o->prefix)
        snprintf(f->prefix, sizeof f->prefix, "%s", o->prefix);
    f->broker = o->private_broker || o->broker_conf ? hv_broker_start_ex(o->broker_conf)
                                                    : hv_broker_attach();
    f->room_port = o->room_port;
    snprintf(f->room_netns, sizeof f->room_netns, "%s", o->room_netns ? o->room_netns : "");
    snprintf(f->room_broker, sizeof f->room_broker, "%s", o->room_broker ? o->room_broker : "");
    f->dir = hv_tmpdir("room");
    if (!f->broker || !f->dir)
        return -1;
    f->port = hv_broker_port(f->broker);
    snprintf(f->cfg_path, sizeof f->cfg_path, "%s/haven.cfg", f->dir);
    snprintf(f->db_path, sizeof f->db_path, "%s/calls.db", f->dir);
    snprintf(f->log_path, sizeof f->log_path, "%s/room.log", f->dir);
    text = cfg_text ? subst_prefix(cfg_text, f->prefix) : rf_default_config(f->prefix, NULL);
    if (!text || hv_write_file(f->cfg_path, text) != 0) {
        free(text);
        return -1;
    }
    free(text);
    f->client = o->obs;
    snprintf(id, sizeof id, "%s-observer", f->prefix);
    obs.client_id = id;
    if (!obs.port)
        obs.port = f->port;
    f->obs = hv_client_new_opts(&obs, NULL);
    if (!f->obs || hv_client_sub(f->obs, rf_topic(f, "#"), 1) != 0)
        return -1;
    return o->room_later ? 0 : rf_start_room(f);
}

int rf_stop_room(struct room_fixture *f)
{
    int status = f->room ? hv_proc_stop(f->room) : -1;

    if (f->room && rf_valgrind())
        check_true(status != VALGRIND_ERROR_EXIT, "valgrind memcheck: no errors in haven-room "
                   "(its log has the report)", __FILE__, __LINE__);

    hv_proc_free(f->room);
    f->room = NULL;
    return status;
}

void rf_kill_room(struct room_fixture *f)
{
    if (!f->room)
        return;
    hv_proc_signal(f->room, SIGKILL);
    hv_proc_wait(f->room, 5000);
    hv_proc_free(f->room);
    f->room = NULL;
}

void rf_finish(struct room_fixture *f)
{
    bool failed = check_current_failed != 0;

    rf_stop_room(f);
    hv_client_free(f->obs);
    if (failed && f->dir) {
        char *log = hv_read_file(f->log_path);
        fprintf(stderr, "---- haven-room log (%s) ----\n%s---- end ----\n", f->log_path,
                log ? log : "(none)\n");
        free(log);
    } else if (f->dir) {
        hv_rm_rf(f->dir);
    }
    hv_broker_free(f->broker);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

int rf_run_room_cli(const char *const args[], const char *out_path)
{
    char *argv[32];
    int n = 0;

    argv[n++] = (char *)rf_room_bin();
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    hv_proc *p = hv_proc_spawn(argv, out_path);
    int status = p ? hv_proc_wait(p, 30000) : -1;
    hv_proc_free(p);
    return status;
}
