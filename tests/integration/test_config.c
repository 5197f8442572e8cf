/*
 * test_config.c - haven-room's configuration and command line, end to end:
 * errors name file:line and exit 2, unknown keys warn, `check` on the shipped
 * config, SIGHUP reloads (open calls kept, new chains and rooms apply, a
 * broken file is refused and the old configuration keeps running), and the
 * `report` command over a call log written by a real run.
 * Real broker, real haven-room.
 */
#include "check.h"
#include "json_util.h"
#include "kit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree (for config/haven.cfg)"
#endif

/* ---- helpers ----------------------------------------------------------------- */

/*
 * A clinic config: chair-1, chair-2 (and chair-5 with with_chair5); assist pages
 * nurses at 0 and charge at assist_charge_s; everything else is slow.  prefix may
 * be "%PREFIX%" for rf_start.  Returns a static buffer.
 */
static const char *clinic(const char *prefix, double assist_charge_s, bool with_chair5)
{
    static char text[2048];

    snprintf(text, sizeof text,
             "prefix = \"%s\";\n"
             "controller = { id = \"ctl-%s\"; };\n"
             "groups = [ \"nurses\", \"charge\" ];\n"
             "priorities = {\n"
             "  routine = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
             "              repeat = 60; ack_timeout = 60; };\n"
             "  assist  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = %g; } );\n"
             "              repeat = 30; ack_timeout = 30; };\n"
             "  urgent  = { chain = ( { group = \"nurses\"; after = 0; }, { group = \"charge\"; after = 60; } );\n"
             "              repeat = 60; ack_timeout = 60; };\n"
             "};\n"
             "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; }, { id = \"chair-2\"; label = \"Chair 2\"; },\n"
             "          { id = \"chair-3\"; label = \"Chair 3\"; }%s );\n",
             prefix, prefix, assist_charge_s,
             with_chair5 ? ", { id = \"chair-5\"; label = \"Chair 5\"; }" : "");
    return text;
}

static bool file_contains(const char *path, const char *needle)
{
    char *text = hv_read_file(path);
    bool found = text && strstr(text, needle);

    if (!found)
        fprintf(stderr, "%s does not contain '%s'; it holds:\n%s\n", path, needle,
                text ? text : "(nothing)");
    free(text);
    return found;
}

/* Expects the next page to be the first page (nurses) of call id in room; returns its arrival (us). */
static int64_t expect_first_page(const struct room_fixture *f, hv_client *pager, const char *room,
                                 const char *label, const char *id)
{
    hv_msg *m = hv_client_expect_msg(pager, rf_topic(f, "page/+"), 3000);
    int64_t at = 0;

    CHECK(m != NULL);
    if (!m)
        return 0;
    CHECK_STR_EQ(m->topic, rf_topic(f, "page/nurses"));
    CHECK_STR_EQ(json_str(m->payload, "id"), id);
    CHECK_STR_EQ(json_str(m->payload, "room"), room);
    CHECK_STR_EQ(json_str(m->payload, "label"), label);
    CHECK_INT_EQ(json_int(m->payload, "escalation"), 0);
    at = m->recv_us;
    hv_msg_free(m);
    return at;
}

/* A scratch dir with haven.cfg holding text; *cfg receives the path. */
static char *scratch_cfg(const char *text, char cfg[512])
{
    char *dir = hv_tmpdir("cfg");

    if (!dir)
        return NULL;
    snprintf(cfg, 512, "%s/haven.cfg", dir);
    if (text && hv_write_file(cfg, text) != 0) {
        hv_rm_rf(dir);
        free(dir);
        return NULL;
    }
    return dir;
}

static void scratch_done(char *dir)
{
    if (dir && !check_current_failed)
        hv_rm_rf(dir);
    free(dir);
}

/* Runs haven-room with args, its output to dir/out.txt (truncated first); returns the status. */
static int run_cli(const char *dir, const char *const args[], char out[512])
{
    snprintf(out, 512, "%s/out.txt", dir);
    hv_write_file(out, "");
    return rf_run_room_cli(args, out);
}

/* ---- errors on the command line and in the file ------------------------------ */

static void test_missing_config_file(void)
{
    char cfg[512], out[512];
    char *dir = scratch_cfg(NULL, cfg);
    REQUIRE(dir != NULL);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.cfg", dir);

    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--config", missing, NULL }, out), 2);
    CHECK(file_contains(out, missing));
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "check", "--config", missing, NULL }, out), 2);
    CHECK(file_contains(out, missing));
    scratch_done(dir);
}

static void test_syntax_error_names_line(void)
{
    static const char text[] =
        "prefix = \"haven\";\n"                        /* 1 */
        "controller = { id = \"c1\"; };\n"             /* 2 */
        "groups = [ \"nurses\", \"charge\" ];\n"       /* 3 */
        "rooms = ( { id = \"chair-1\"; } );\n"         /* 4 */
        "broker = { port = = 1883; };\n";              /* 5: syntax error */
    char cfg[512], out[512];
    char *dir = scratch_cfg(text, cfg);
    REQUIRE(dir != NULL);

    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--config", cfg, NULL }, out), 2);
    CHECK(file_contains(out, "haven.cfg:5:"));
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "check", "--config", cfg, NULL }, out), 2);
    CHECK(file_contains(out, "haven.cfg:5:"));
    scratch_done(dir);
}

static void test_semantic_errors_name_line(void)
{
    static const char duplicate_room[] =
        "prefix = \"haven\";\n"                                   /* 1 */
        "controller = { id = \"c1\"; };\n"                        /* 2 */
        "groups = [ \"nurses\", \"charge\" ];\n"                  /* 3 */
        "rooms = (\n"                                             /* 4 */
        "  { id = \"chair-1\"; label = \"Chair 1\"; },\n"         /* 5 */
        "  { id = \"chair-2\"; label = \"Chair 2\"; },\n"         /* 6 */
        "  { id = \"chair-1\"; label = \"Chair 1 again\"; }\n"    /* 7: duplicate */
        ");\n";
    static const char unknown_group[] =
        "prefix = \"haven\";\n"                                   /* 1 */
        "controller = { id = \"c1\"; };\n"                        /* 2 */
        "groups = [ \"nurses\", \"charge\" ];\n"                  /* 3 */
        "priorities = {\n"                                        /* 4 */
        "  assist = { chain = ( { group = \"nurses\"; after = 0; },\n"   /* 5 */
        "                       { group = \"doctors\"; after = 5; } ); };\n"  /* 6: unknown */
        "};\n"                                                    /* 7 */
        "rooms = ( { id = \"chair-1\"; } );\n";                   /* 8 */
    char cfg[512], out[512];
    char *dir = scratch_cfg(duplicate_room, cfg);
    REQUIRE(dir != NULL);

    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--config", cfg, NULL }, out), 2);
    /* The error names the duplicate entry itself, on line 7. */
    char *text = hv_read_file(out);
    CHECK(text && strstr(text, "haven.cfg:7:"));
    CHECK(text && strstr(text, "chair-1") && strstr(text, "twice"));
    free(text);
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "check", "--config", cfg, NULL }, out), 2);

    CHECK(hv_write_file(cfg, unknown_group) == 0);
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--config", cfg, NULL }, out), 2);
    CHECK(file_contains(out, "haven.cfg:6:"));
    CHECK(file_contains(out, "doctors"));
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "check", "--config", cfg, NULL }, out), 2);
    CHECK(file_contains(out, "haven.cfg:6:"));
    scratch_done(dir);
}

static void test_unknown_key_warns_and_runs(void)
{
    static const char text[] =
        "prefix = \"%PREFIX%\";\n"                                          /* 1 */
        "controller = { id = \"ctl-%PREFIX%\"; };\n"                        /* 2 */
        "groups = [ \"nurses\", \"charge\" ];\n"                            /* 3 */
        "colour = \"blue\";\n"                                              /* 4: unknown */
        "rooms = (\n"                                                       /* 5 */
        "  { id = \"chair-1\"; label = \"Chair 1\"; wibble = 3; }\n"        /* 6: unknown */
        ");\n";
    struct room_fixture f;
    REQUIRE(rf_start(&f, text, false) == 0);
    CHECK(wait_log(&f, "haven.cfg:4: unknown setting 'colour'", 1000));
    CHECK(wait_log(&f, "haven.cfg:6: unknown setting 'wibble'", 100));

    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    CHECK(publish_call(kiosk, &f, "chair-1", "k-u1") == 0);
    expect_first_page(&f, pager, "chair-1", "Chair 1", "k-u1");

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_check_shipped_config(void)
{
    char cfg[512], out[512];
    char *dir = scratch_cfg(NULL, cfg);
    REQUIRE(dir != NULL);

    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "check", "--config",
                                                     HAVEN_SOURCE_DIR "/config/haven.cfg", NULL },
                         out), 0);
    CHECK(file_contains(out, "OK: 4 room(s), 2 group(s)"));
    CHECK(file_contains(out, "nurses@0s -> charge@120s"));
    scratch_done(dir);
}

/* `haven-room list`: what scripts (make-credentials) read instead of parsing libconfig. */
static void test_list_shipped_config(void)
{
    char cfg[512], out[512];
    char *dir = scratch_cfg(NULL, cfg);
    REQUIRE(dir != NULL);

    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "list", "--config",
                                                     HAVEN_SOURCE_DIR "/config/haven.cfg", NULL },
                         out), 0);
    char *text = hv_read_file(out);
    CHECK_STR_EQ(text, "prefix haven\ncontroller room-1\ngroup nurses\ngroup charge\n"
                       "room chair-1\nroom chair-2\nroom chair-3\nroom chair-4\n"
                       "light zigbee2mqtt/chair-1-lamp/set\nlight zigbee2mqtt/chair-1-dome/set\n"
                       "light zigbee2mqtt/chair-2-lamp/set\nlight zigbee2mqtt/chair-2-dome/set\n"
                       "light zigbee2mqtt/chair-3-lamp/set\nlight zigbee2mqtt/chair-3-dome/set\n"
                       "light zigbee2mqtt/chair-4-lamp/set\nlight zigbee2mqtt/chair-4-dome/set\n"
                       /* one login per light bridge: the clinic's one zigbee2mqtt */
                       "bridge lights-zigbee2mqtt zigbee2mqtt/chair-1-lamp/set "
                       "zigbee2mqtt/chair-1-dome/set zigbee2mqtt/chair-2-lamp/set "
                       "zigbee2mqtt/chair-2-dome/set zigbee2mqtt/chair-3-lamp/set "
                       "zigbee2mqtt/chair-3-dome/set zigbee2mqtt/chair-4-lamp/set "
                       "zigbee2mqtt/chair-4-dome/set\n");
    free(text);
    /* A config that cannot be read: nothing listed, exit 2. */
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "list", "--config", cfg, NULL }, out), 2);
    scratch_done(dir);
}

static void test_bad_command_line(void)
{
    const char *shipped = HAVEN_SOURCE_DIR "/config/haven.cfg";
    char cfg[512], out[512];
    char *dir = scratch_cfg(NULL, cfg);
    REQUIRE(dir != NULL);

    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--config", shipped, "--broker",
                                                     "nonsense:99999", NULL }, out), 2);
    CHECK(file_contains(out, "nonsense:99999"));
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--config", shipped, "--broker", NULL }, out),
                 2);
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--config", shipped, "--frobnicate", "1",
                                                     NULL }, out), 2);
    CHECK(file_contains(out, "--frobnicate"));
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "run", NULL }, out), 2);
    CHECK(file_contains(out, "--config"));
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "launch", "--config", shipped, NULL }, out),
                 2);
    CHECK(file_contains(out, "launch"));
    CHECK_INT_EQ(run_cli(dir, (const char *const[]){ "--help", NULL }, out), 0);
    CHECK(file_contains(out, "usage: haven-room"));
    scratch_done(dir);
}

/* ---- SIGHUP ------------------------------------------------------------------ */

static void test_reload_keeps_call_and_applies_new_chain(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, clinic("%PREFIX%", 4, false), false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    int64_t t0 = hv_now_us();
    CHECK(publish_call(kiosk, &f, "chair-1", "k-h1") == 0);
    expect_first_page(&f, pager, "chair-1", "Chair 1", "k-h1");

    /* charge after 1.5 s instead of 4 s, and a fifth chair. */
    sleep_until(t0, 300);
    REQUIRE(hv_write_file(f.cfg_path, clinic(f.prefix, 1.5, true)) == 0);
    REQUIRE(hv_proc_signal(f.room, SIGHUP) == 0);
    CHECK(wait_log(&f, "configuration reloaded: 4 room(s), 2 group(s); 1 open call(s) kept", 1000));
    /* The status lists the new room. */
    char *st = hv_client_expect(f.obs, rf_topic(&f, "controller/+/status"), 2000);
    CHECK(st && strstr(st, "\"chair-5\"") && strstr(st, "\"online\":true"));
    free(st);

    /* The open call escalates on the new chain, measured from when it was raised. */
    hv_msg *m = hv_client_expect_msg(pager, rf_topic(&f, "page/+"), 3000);
    REQUIRE(m != NULL);
    int64_t at = (m->recv_us - t0) / 1000;
    CHECK_STR_EQ(m->topic, rf_topic(&f, "page/charge"));
    CHECK_STR_EQ(json_str(m->payload, "id"), "k-h1");
    CHECK_INT_EQ(json_int(m->payload, "escalation"), 1);
    hv_msg_free(m);
    fprintf(stderr, "escalation 1 at %lld ms after the call\n", (long long)at);
    CHECK(at >= 1200 && at <= 2300);

    /* The new room takes calls. */
    CHECK(publish_call(kiosk, &f, "chair-5", "k-h5") == 0);
    expect_first_page(&f, pager, "chair-5", "Chair 5", "k-h5");
    CHECK(hv_client_pub(kiosk, rf_topic(&f, "call/chair-5/clear/station"),
                        "{\"id\":\"k-h5\",\"by\":\"Sam\"}", 1, false) == 0);
    CHECK(wait_log(&f, "call k-h5 cleared (nurse by Sam)", 2000));

    /* And the old schedule is gone: nothing at 4 s (the repeat is 30 s away). */
    int64_t quiet = (t0 + 4600 * 1000 - hv_now_us()) / 1000;
    CHECK(hv_client_expect_none(pager, rf_topic(&f, "page/+"), quiet > 0 ? (int)quiet : 0));
    hv_client *board = rf_client(&f, "board");
    REQUIRE(board && hv_client_sub(board, rf_topic(&f, "call/chair-1"), 1) == 0);
    char *call = hv_client_expect(board, rf_topic(&f, "call/chair-1"), 3000);
    CHECK_STR_EQ(json_str(call, "id"), "k-h1");
    CHECK_INT_EQ(json_int(call, "escalation"), 1);
    free(call);
    CHECK(!wait_log(&f, "lost the broker", 0));
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);

    hv_client_free(board);
    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

static void test_reload_refuses_broken_config(void)
{
    static const char broken_syntax[] =
        "prefix = \"x\";\n"
        "groups = [ \"nurses\", \"charge\" ];\n"
        "rooms = ( { id = \"chair-1\"; } ;\n";            /* line 3: unbalanced */
    static const char broken_meaning[] =
        "prefix = \"x\";\n"
        "groups = [ \"nurses\" ];\n"
        "priorities = { urgent = { chain = ( { group = \"nurses\"; after = 0; },\n"
        "                                    { group = \"charge\"; after = 1; } ); }; };\n"  /* 4 */
        "rooms = ( { id = \"chair-1\"; } );\n";
    struct room_fixture f;
    REQUIRE(rf_start(&f, clinic("%PREFIX%", 30, true), false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk");
    REQUIRE(pager && kiosk && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);

    REQUIRE(hv_write_file(f.cfg_path, broken_syntax) == 0);
    REQUIRE(hv_proc_signal(f.room, SIGHUP) == 0);
    CHECK(wait_log(&f, "reload refused, keeping the running configuration", 2000));
    CHECK(wait_log(&f, "haven.cfg:3:", 100));
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);
    CHECK(publish_call(kiosk, &f, "chair-1", "k-x1") == 0);
    expect_first_page(&f, pager, "chair-1", "Chair 1", "k-x1");

    REQUIRE(hv_write_file(f.cfg_path, broken_meaning) == 0);
    REQUIRE(hv_proc_signal(f.room, SIGHUP) == 0);
    CHECK(wait_log(&f, "haven.cfg:4: chain step 2: group 'charge' is not in 'groups'", 2000));
    CHECK_INT_EQ(hv_proc_wait(f.room, 0), -1);
    /* Still the old configuration: its prefix, and chair-5 that only it has. */
    CHECK(publish_call(kiosk, &f, "chair-5", "k-x5") == 0);
    expect_first_page(&f, pager, "chair-5", "Chair 5", "k-x5");
    CHECK(!wait_log(&f, "configuration reloaded", 0));

    /* Fixed: the next SIGHUP takes it.  chair-5 is gone: its open call, which
     * nobody could clear at the bedside any more, is closed with a last page to
     * the group paged last saying why (issue 12 item 9), and its retained call emptied. */
    hv_client_drain(f.obs);
    REQUIRE(hv_write_file(f.cfg_path, clinic(f.prefix, 30, false)) == 0);
    REQUIRE(hv_proc_signal(f.room, SIGHUP) == 0);
    CHECK(wait_log(&f, "configuration reloaded: 3 room(s)", 2000));
    CHECK(wait_log(&f, "chair-5: room removed from the configuration: closing its call k-x5", 100));
    {
        char *topic = NULL;
        char *page = hv_client_expect_t(pager, rf_topic(&f, "page/+"), 2000, &topic, NULL);
        REQUIRE(page != NULL);
        CHECK_STR_EQ(topic, rf_topic(&f, "page/nurses"));
        CHECK_STR_EQ(json_str(page, "id"), "k-x5");
        CHECK_STR_EQ(json_str(page, "detail"), "room removed from the configuration: call closed");
        free(page);
        free(topic);
        hv_msg *m = hv_client_expect_msg(f.obs, rf_topic(&f, "call/chair-5"), 2000);
        CHECK(m != NULL && m->payloadlen == 0);
        hv_msg_free(m);
    }
    CHECK(publish_call(kiosk, &f, "chair-2", "k-x2") == 0);
    expect_first_page(&f, pager, "chair-2", "Chair 2", "k-x2");

    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

/* ---- report ------------------------------------------------------------------ */

struct row {
    bool found;
    int calls, urgent, acked;
    double p50, p90, max;  /* -1 for "-" */
};

/* Finds room's row in the report text at path: the last six fields are the numbers. */
static struct row report_row(const char *path, const char *room)
{
    struct row r = { 0 };
    char *text = hv_read_file(path);
    char *save = NULL;

    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *tok[16], *s2 = NULL;
        int n = 0;
        if (strncmp(line, room, strlen(room)) != 0 || line[strlen(room)] != ' ')
            continue;
        for (char *t = strtok_r(line, " ", &s2); t && n < 16; t = strtok_r(NULL, " ", &s2))
            tok[n++] = t;
        if (n < 8)
            break;
        double *v[3] = { &r.p50, &r.p90, &r.max };
        r.calls = atoi(tok[n - 6]);
        r.urgent = atoi(tok[n - 5]);
        r.acked = atoi(tok[n - 4]);
        for (int i = 0; i < 3; i++)
            *v[i] = strcmp(tok[n - 3 + i], "-") == 0 ? -1 : strtod(tok[n - 3 + i], NULL);
        r.found = true;
        break;
    }
    if (!r.found)
        fprintf(stderr, "no row for %s in the report:\n%s\n", room, text ? text : "(none)");
    free(text);
    return r;
}

/* Raises call id in room, acknowledges it ack_ms after it was paged (never if < 0), clears it. */
static void call_and_ack(const struct room_fixture *f, hv_client *kiosk, hv_client *nurse,
                         hv_client *pager, const char *room, const char *label, const char *id,
                         int ack_ms)
{
    char topic[128], body[128];

    CHECK(publish_call(kiosk, f, room, id) == 0);
    int64_t paged = expect_first_page(f, pager, room, label, id);
    if (ack_ms >= 0) {
        sleep_until(paged, ack_ms);
        snprintf(topic, sizeof topic, "call/%s/ack/station", room);
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"nurse-3\"}", id);
        CHECK(hv_client_pub(nurse, rf_topic(f, topic), body, 1, false) == 0);
        char *told = expect_call_state(kiosk, f, room, "acknowledged", 3000);
        CHECK(told && strstr(told, id));
        free(told);
    }
    snprintf(topic, sizeof topic, "room/%s/kiosk/clear", room);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"by\":\"nurse-3\"}", id);
    CHECK(hv_client_pub(kiosk, rf_topic(f, topic), body, 1, false) == 0);
    char *told = expect_call_state(kiosk, f, room, NULL, 3000);  /* the call went empty */
    CHECK(told != NULL);
    free(told);
}

static void check_rows(const char *out)
{
    struct row r1 = report_row(out, "chair-1"), r2 = report_row(out, "chair-2"),
               r3 = report_row(out, "chair-3");

    CHECK(r1.found && r2.found && r3.found);
    CHECK_INT_EQ(r1.calls, 3);
    CHECK_INT_EQ(r1.urgent, 0);
    CHECK_INT_EQ(r1.acked, 3);
    CHECK_DBL_NEAR(r1.p50, 0.6, 0.3);   /* nearest rank of 0.2, 0.6, 1.0 */
    CHECK_DBL_NEAR(r1.p90, 1.0, 0.3);
    CHECK_DBL_NEAR(r1.max, 1.0, 0.3);
    CHECK_INT_EQ(r2.calls, 2);
    CHECK_INT_EQ(r2.acked, 1);
    CHECK_DBL_NEAR(r2.p50, 0.4, 0.3);
    CHECK_DBL_NEAR(r2.p90, 0.4, 0.3);
    CHECK_DBL_NEAR(r2.max, 0.4, 0.3);
    CHECK_INT_EQ(r3.calls, 0);
    CHECK_INT_EQ(r3.acked, 0);
    CHECK(r3.p50 < 0 && r3.p90 < 0 && r3.max < 0);
}

static void test_report_response_times(void)
{
    struct room_fixture f;
    REQUIRE(rf_start(&f, clinic("%PREFIX%", 60, false), false) == 0);
    hv_client *pager = rf_client(&f, "pager");
    hv_client *kiosk = rf_client(&f, "kiosk");
    hv_client *nurse = rf_client(&f, "nurse");
    REQUIRE(pager && kiosk && nurse && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    REQUIRE(hv_client_sub(kiosk, rf_topic(&f, "call/+"), 1) == 0);  /* what a kiosk reads */

    call_and_ack(&f, kiosk, nurse, pager, "chair-1", "Chair 1", "k-p1", 200);
    call_and_ack(&f, kiosk, nurse, pager, "chair-2", "Chair 2", "k-p2", 400);
    call_and_ack(&f, kiosk, nurse, pager, "chair-1", "Chair 1", "k-p3", 1000);
    call_and_ack(&f, kiosk, nurse, pager, "chair-2", "Chair 2", "k-p4", -1);
    call_and_ack(&f, kiosk, nurse, pager, "chair-1", "Chair 1", "k-p5", 600);

    char out[600];
    snprintf(out, sizeof out, "%s/report.txt", f.dir);
    /* While the controller runs (a concurrent reader of the WAL database). */
    CHECK_INT_EQ(rf_run_room_cli((const char *const[]){ "report", "--config", f.cfg_path, "--db",
                                                        f.db_path, NULL }, out), 0);
    CHECK(file_contains(out, "Nurse-call response times"));
    check_rows(out);

    /* After it stopped, the same; a past --since changes nothing. */
    CHECK_INT_EQ(rf_stop_room(&f), 0);
    hv_write_file(out, "");
    CHECK_INT_EQ(rf_run_room_cli((const char *const[]){ "report", "--config", f.cfg_path, "--db",
                                                        f.db_path, "--since", "2000-01-01", NULL },
                                 out), 0);
    check_rows(out);

    /* --since in the future: no calls in any row. */
    hv_write_file(out, "");
    CHECK_INT_EQ(rf_run_room_cli((const char *const[]){ "report", "--config", f.cfg_path, "--db",
                                                        f.db_path, "--since", "2099-01-01", NULL },
                                 out), 0);
    struct row r1 = report_row(out, "chair-1"), r2 = report_row(out, "chair-2");
    CHECK(r1.found && r2.found);
    CHECK_INT_EQ(r1.calls, 0);
    CHECK_INT_EQ(r2.calls, 0);
    CHECK(r1.p50 < 0 && r1.max < 0);

    /* A --since that is not a date: usage error. */
    hv_write_file(out, "");
    CHECK_INT_EQ(rf_run_room_cli((const char *const[]){ "report", "--config", f.cfg_path, "--db",
                                                        f.db_path, "--since", "yesterday", NULL },
                                 out), 2);
    CHECK(file_contains(out, "yesterday"));
    CHECK_INT_EQ(rf_run_room_cli((const char *const[]){ "report", "--config", f.cfg_path, "--db",
                                                        f.db_path, "--since", "2026-13-01", NULL },
                                 out), 2);

    hv_client_free(nurse);
    hv_client_free(kiosk);
    hv_client_free(pager);
    rf_finish(&f);
}

int main(void)
{
    RUN(test_missing_config_file);
    RUN(test_syntax_error_names_line);
    RUN(test_semantic_errors_name_line);
    RUN(test_unknown_key_warns_and_runs);
    RUN(test_check_shipped_config);
    RUN(test_list_shipped_config);
    RUN(test_bad_command_line);
    RUN(test_reload_keeps_call_and_applies_new_chain);
    RUN(test_reload_refuses_broken_config);
    RUN(test_report_response_times);
    return CHECK_SUMMARY();
}
