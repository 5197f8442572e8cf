/* sec_kit.c - the production broker's settings, credentials and certificates, made for a test. */
#include "sec_kit.h"
#include "check.h"

#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

static char *rotating(void)
{
    static char bufs[32][1024];
    static int next;
    return bufs[next++ % 32];
}

const char *sec_path(const struct sec_env *e, const char *rest)
{
    char *b = rotating();
    snprintf(b, 1024, "%s/%s", e->dir, rest);
    return b;
}

const char *sec_password(const struct sec_env *e, const char *user)
{
    char rest[128], *text, *b = rotating();

    snprintf(rest, sizeof rest, "creds/secrets/%s.pass", user);
    text = hv_read_file(sec_path(e, rest));
    if (!text)
        return NULL;
    text[strcspn(text, "\n")] = '\0';
    snprintf(b, 1024, "%s", text);
    free(text);
    return b;
}

struct hv_client_opts sec_user(const struct sec_env *e, const char *user, bool tls)
{
    struct hv_client_opts o = { .username = user, .password = sec_password(e, user) };
    char rest[128];

    if (tls) {
        o.port = e->tls_port;
        o.cafile = sec_path(e, "tls/ca.crt");
        snprintf(rest, sizeof rest, "tls/%s.crt", user);
        o.certfile = sec_path(e, rest);
        snprintf(rest, sizeof rest, "tls/%s.key", user);
        o.keyfile = sec_path(e, rest);
    }
    return o;
}

/* Runs argv (NULL-terminated) with output to dir/tools.log; 0 if it exited 0. */
static int run(const struct sec_env *e, const char *const *argv)
{
    hv_proc *p = hv_proc_spawn((char *const *)argv, sec_path(e, "tools.log"));
    int status = p ? hv_proc_wait(p, 60000) : -1;

    hv_proc_free(p);
    if (status != 0) {
        char *log = hv_read_file(sec_path(e, "tools.log"));
        fprintf(stderr, "sec_kit: %s exited %d:\n%s\n", argv[0], status, log ? log : "");
        free(log);
    }
    return status == 0 ? 0 : -1;
}

/* Appends text to path. */
static int append(const char *path, const char *text)
{
    FILE *fp = fopen(path, "a");
    int rc = fp && fputs(text, fp) >= 0 ? 0 : -1;

    if (fp && fclose(fp) != 0)
        rc = -1;
    return rc;
}

/* Appends formatted text, of any length, to the growing string *s. */
static void addf(char **s, const char *fmt, ...)
{
    va_list ap;
    size_t n = *s ? strlen(*s) : 0;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *grown = len < 0 ? NULL : realloc(*s, n + (size_t)len + 1);
    if (!grown)
        abort();
    va_start(ap, fmt);
    vsnprintf(grown + n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    *s = grown;
}

/*
 * config/mosquitto/haven-prod.conf for this test: every line kept except
 * that its first listener is the harness's own (already written, on the
 * fixture's port), its TLS listener moves to tls_port on loopback, and every
 * file it names moves into the temp dir; log_dest stays the harness's file.
 */
static char *prod_conf(const struct sec_env *e)
{
    char *text = hv_read_file(HAVEN_SOURCE_DIR "/config/mosquitto/haven-prod.conf");
    char *out = NULL, *save = NULL;
    int listeners = 0;

    if (!text)
        return NULL;
    addf(&out, "# ---- config/mosquitto/haven-prod.conf, paths and ports moved ----\n");
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[64] = "";
        sscanf(line, "%63s", key);
        if (!strcmp(key, "listener")) {
            if (listeners++ > 0)
                addf(&out, "listener %d 127.0.0.1\n", e->tls_port);
        } else if (!strcmp(key, "password_file")) {
            addf(&out, "password_file %s\n", sec_path(e, "creds/passwd"));
        } else if (!strcmp(key, "acl_file")) {
            addf(&out, "acl_file %s\n", sec_path(e, "creds/acl"));
        } else if (!strcmp(key, "persistence_location")) {
            addf(&out, "persistence_location %s/\n", sec_path(e, "mqtt"));
        } else if (!strcmp(key, "cafile") || !strcmp(key, "certfile") || !strcmp(key, "keyfile") ||
                   !strcmp(key, "crlfile")) {
            const char *base = strrchr(line, '/');
            addf(&out, "%s %s/tls%s\n", key, e->dir, base ? base : "/missing");
        } else if (strcmp(key, "log_dest") != 0) {
            addf(&out, "%s\n", line);
        }
    }
    free(text);
    return out;
}

/* True when the tests run as root: the broker then drops to user mosquitto, as in production. */
static bool as_root(void)
{
    return geteuid() == 0;
}

/* chown path to user:group (names; user NULL: root) and chmod it to mode.  0 or -1. */
static int own(const char *path, const char *user, const char *group, mode_t mode)
{
    struct passwd *pw = user ? getpwnam(user) : NULL;
    struct group *gr = getgrnam(group);

    if ((user && !pw) || !gr || chown(path, pw ? pw->pw_uid : 0, gr->gr_gid) != 0 ||
        chmod(path, mode) != 0) {
        fprintf(stderr, "sec_kit: cannot give %s to %s:%s\n", path, user ? user : "root", group);
        return -1;
    }
    return 0;
}

int sec_make_credentials(const struct sec_env *e, const char *extra)
{
    /* As docs/deployment.md: the broker's group may read passwd and acl (as root only). */
    const char *argv[20] = { HAVEN_SOURCE_DIR "/scripts/make-credentials", "--config",
                             sec_path(e, "clinic.cfg"), "--out", sec_path(e, "creds"),
                             "--room-bin", rf_room_bin(), "--pager", "pager-7",
                             "--pager", "observer", "--pager", "observer-2",
                             "--station", "desk-2" };
    int n = 15;
    char acl[200];

    if (as_root()) {
        argv[n++] = "--broker-group";
        argv[n++] = "mosquitto";
    }
    argv[n++] = extra;  /* may be NULL: the end */

    if (run(e, argv))
        return -1;
    /* The test's observers (pager logins): also read everything, the light bridges' too. */
    snprintf(acl, sizeof acl, "\nuser observer\ntopic read #\n\nuser observer-2\ntopic read #\n");
    return append(sec_path(e, "creds/acl"), acl);
}

int sec_run_tool(const struct sec_env *e, const char *const *argv)
{
    return run(e, argv);
}

/*
 * The test clinic (rf_default_config) with lighting: the five phase scenes
 * and a zigbee2mqtt lamp in chair-1 on "<prefix>-z2m/chair-1-lamp", so that
 * make-credentials grants the controller exactly that lamp.  Malloc'd.
 */
static char *sec_clinic_config(const char *prefix, const char *extra)
{
    static const char room[] = "{ id = \"chair-1\"; label = \"Chair 1\"; }";
    char *scenes = NULL, *base, *out = NULL;
    const char *at;

    addf(&scenes, "scenes = { idle = { brightness = 70; }; intake = { brightness = 60; };\n"
         "  infusion = { brightness = 12; kelvin = 2200; }; recovery = { brightness = 30; };\n"
         "  discharge = { brightness = 65; }; care = { brightness = 100; kelvin = 4000; }; };\n"
         "%s", extra ? extra : "");
    base = scenes ? rf_default_config(prefix, scenes) : NULL;
    free(scenes);
    if (!base || !(at = strstr(base, room))) {
        free(base);
        return NULL;
    }
    addf(&out, "%.*s{ id = \"chair-1\"; label = \"Chair 1\";\n    lights = ( { driver = "
         "\"zigbee2mqtt\"; topic = \"%s-z2m/chair-1-lamp\"; } ); }%s",
         (int)(at - base), base, prefix, at + strlen(room));
    /* chair-2: a Tasmota dome, a light bridge of its own ("lights-<prefix>-dome-2"). */
    static const char room2[] = "{ id = \"chair-2\"; label = \"Chair 2\"; }";
    char *two = out ? strstr(out, room2) : NULL, *with_dome = NULL;
    if (two) {
        addf(&with_dome, "%.*s{ id = \"chair-2\"; label = \"Chair 2\";\n    dome = { driver = "
             "\"tasmota\"; topic = \"%s-dome-2\"; }; }%s", (int)(two - out), out, prefix,
             two + strlen(room2));
        free(out);
        out = with_dome;
    }
    free(base);
    return out;
}

int sec_env_make(struct sec_env *e, const char *prefix)
{
    char *dir = hv_tmpdir("security"), *cfg;

    memset(e, 0, sizeof *e);
    if (!dir)
        return -1;
    snprintf(e->dir, sizeof e->dir, "%s", dir);
    free(dir);
    snprintf(e->prefix, sizeof e->prefix, "%s", prefix);
    snprintf(e->controller, sizeof e->controller, "controller-ctl-%s", prefix);
    e->tls_port = hv_free_port();
    cfg = sec_clinic_config(prefix, NULL);
    if (!cfg || hv_write_file(sec_path(e, "clinic.cfg"), cfg) != 0) {
        free(cfg);
        return -1;
    }
    free(cfg);

    const char *ca[] = { HAVEN_SOURCE_DIR "/scripts/make-certs", "--out", sec_path(e, "tls"),
                         "ca", NULL };
    const char *broker[] = { HAVEN_SOURCE_DIR "/scripts/make-certs", "--out",
                             sec_path(e, "tls"), "broker", "haven-broker", NULL };
    const char *devices[] = { HAVEN_SOURCE_DIR "/scripts/make-certs", "--out",
                              sec_path(e, "tls"), "device", e->controller, "kiosk-chair-1",
                              "kiosk-chair-2", "kiosk-chair-3", "pager-nurses", "observer", "observer-2",
                              "station", NULL };
    const char *rogue_ca[] = { HAVEN_SOURCE_DIR "/scripts/make-certs", "--out",
                               sec_path(e, "rogue"), "ca", NULL };
    const char *rogue[] = { HAVEN_SOURCE_DIR "/scripts/make-certs", "--out",
                            sec_path(e, "rogue"), "device", "kiosk-chair-1", NULL };
    if (sec_make_credentials(e, NULL) || run(e, ca) || run(e, broker) || run(e, devices) ||
        run(e, rogue_ca) || run(e, rogue))
        return -1;
    /* Files owned as docs/deployment.md says, for a broker running as user mosquitto. */
    if (as_root() && (own(e->dir, NULL, "mosquitto", 0750) ||
                      own(sec_path(e, "tls"), NULL, "mosquitto", 0750) ||
                      own(sec_path(e, "tls/broker.key"), NULL, "mosquitto", 0640)))
        return -1;
    if (mkdir(sec_path(e, "mqtt"), 0700) != 0 ||
        (as_root() && own(sec_path(e, "mqtt"), "mosquitto", "mosquitto", 0700)))
        return -1;
    e->broker_conf = prod_conf(e);
    return e->broker_conf ? 0 : -1;
}

void sec_env_free(struct sec_env *e)
{
    if (e->dir[0] && !check_current_failed)
        hv_rm_rf(e->dir);
    free(e->broker_conf);
    memset(e, 0, sizeof *e);
}

hv_client *sec_login(const struct sec_env *e, const struct room_fixture *f, const char *user,
                     const char *name)
{
    struct hv_client_opts o = sec_user(e, user, false);
    char id[96];

    snprintf(id, sizeof id, "%s-%s", f->prefix, name);
    o.client_id = id;
    o.port = f->port;
    return hv_client_new_opts(&o, NULL);
}

char *sec_room_config(const struct sec_env *e, bool tls, const char *extra)
{
    char *base = sec_clinic_config(e->prefix, extra), *out = NULL;
    char ctl[128], user_pass[128];
    const char *at, *end;

    if (!base)
        return NULL;
    /* The fixture's controller section ("controller = { id = ...; <settings> };"):
     * its settings are kept, the broker login is added. */
    snprintf(ctl, sizeof ctl, "controller = { id = \"ctl-%s\";", e->prefix);
    at = strstr(base, ctl);
    end = at ? strstr(at + strlen(ctl), "};") : NULL;
    if (!end) {
        free(base);
        return NULL;
    }
    snprintf(user_pass, sizeof user_pass, "creds/secrets/%s.pass", e->controller);
    addf(&out, "%.*s", (int)(at - base), base);
    addf(&out, "controller = {\n  id = \"ctl-%s\";%.*s\n  broker = {\n    username = \"%s\";\n"
         "    password_file = \"%s\";\n", e->prefix, (int)(end - (at + strlen(ctl))),
         at + strlen(ctl), e->controller, sec_path(e, user_pass));
    if (tls) {
        char crt[128], key[128];
        snprintf(crt, sizeof crt, "tls/%s.crt", e->controller);
        snprintf(key, sizeof key, "tls/%s.key", e->controller);
        addf(&out, "    cafile = \"%s\";\n    certfile = \"%s\";\n    keyfile = \"%s\";\n",
             sec_path(e, "tls/ca.crt"), sec_path(e, crt), sec_path(e, key));
    }
    addf(&out, "  };\n};\n%s", end + 2);
    free(base);
    return out;
}

int sec_start(struct room_fixture *f, struct sec_env *e, bool tls, const char *extra_cfg)
{
    char *cfg = sec_room_config(e, tls, extra_cfg);
    struct rf_opts o = {
        .cfg_text = cfg, .private_broker = true, .broker_conf = e->broker_conf,
        .obs = sec_user(e, "observer", tls), .room_port = tls ? e->tls_port : 0,
        .prefix = e->prefix,
    };
    int rc;

    if (!cfg)
        return -1;
    rc = rf_start_opts(f, &o);
    free(cfg);
    /* rf_client (a late subscriber) logs in as observer-2: with the client id being the
     * login (use_username_as_clientid), a second "observer" would take f->obs's session. */
    f->client = sec_user(e, "observer-2", tls);
    /* The controller re-publishes the 4 rooms' (empty) calls as it starts: let them pass. */
    for (int i = 0; rc == 0 && i < 4; i++) {
        char *m = hv_client_expect(f->obs, rf_topic(f, "call/+"), 5000);
        if (!m) {
            fprintf(stderr, "sec_start: the controller did not publish the 4 rooms' calls\n");
            rc = -1;
        }
        free(m);
    }
    return rc;
}
