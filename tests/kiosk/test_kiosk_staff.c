/*
 * test_kiosk_staff.c - the check-in prompt and the staff menu, end to end:
 * the real kiosk (touched by the names of its targets, "tapname"), the real
 * room controller and a real broker.
 *
 *  - A check-in answered "Very bad", or "I'd like someone to come", sends
 *    the check-in and opens an unwell call, and the controller pages the
 *    nurses for it.
 *  - The staff menu opens only after a long press on the hidden corner and
 *    the right PIN; from it a visit begins (a fresh "V-..." id in the
 *    retained status), changes phase, has its call cleared at the bedside
 *    (kiosk/clear; the controller empties the room's retained call) and ends.
 */
#include "check.h"
#include "json_util.h"
#include "kcfg.h"
#include "kiosk_fixture.h"
#include "kit.h"
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define W 1280
#define H 800
#define PIN "2468"

/* The default test clinic with the staff PIN's hash in its kiosk section. */
static char *config(void)
{
    char extra[800];
    const char *pins = kf_pin_file(PIN, "sam");

    if (!pins)
        return NULL;
    snprintf(extra, sizeof extra, "kiosk = { pin_file = \"%s\"; };\n", pins);
    return rf_default_config("%PREFIX%", extra);
}

/* "<prefix>/room/<room>/kiosk/<what>" */
static const char *kiosk_topic(const struct kiosk_fixture *k, const char *what)
{
    char rest[128];

    snprintf(rest, sizeof rest, "room/%s/kiosk/%s", k->room, what);
    return rf_topic(k->rf, rest);
}

/* Stops the kiosk: a clean exit, and nothing from the sanitizers in its log (ASan builds). */
static void stop_kiosk(struct kiosk_fixture *k)
{
    CHECK_INT_EQ(kf_stop(k), 0);
    char *log = hv_read_file(k->log_path);
    CHECK(log && !strstr(log, "runtime error") && !strstr(log, "Sanitizer"));
    free(log);
    kf_finish(k);
}

static void send_line(struct kiosk_fixture *k, const char *line)
{
    CHECK(kf_send(k, line) == 0);
}

static void station_cmd(hv_client *station, const struct kiosk_fixture *k, const char *json)
{
    CHECK(hv_client_pub(station, kiosk_topic(k, "cmd"), json, 1, false) == 0);
}

/*
 * Waits until the kiosk shows screen: asks for its targets ("targets") and
 * reads the "targets on SCREEN: N" line that ends the answer in its log.
 */
static bool wait_screen(struct kiosk_fixture *k, const char *screen)
{
    char want[64];

    snprintf(want, sizeof want, " targets on %s: ", screen);
    for (int i = 0; i < 50; i++) {
        char *log = hv_read_file(k->log_path);
        size_t from = log ? strlen(log) : 0;
        bool seen = false;
        free(log);
        if (kf_send(k, "targets") != 0)
            return false;
        for (int j = 0; j < 40 && !seen; j++) {
            hv_sleep_ms(25);
            log = hv_read_file(k->log_path);
            const char *end = log && strlen(log) > from ? strstr(log + from, " targets on ") : NULL;
            seen = end != NULL;
            if (seen && strncmp(end, want, strlen(want)) == 0) {
                free(log);
                return true;
            }
            free(log);
        }
    }
    fprintf(stderr, "the kiosk never showed the %s screen\n", screen);
    return false;
}

/* Waits for the kiosk's status with phase (on the observer), then checks the retained one. */
static char *wait_status(struct kiosk_fixture *k, const char *phase)
{
    const char *topic = kiosk_topic(k, "status");
    char *st = NULL;

    for (int i = 0; i < 20; i++) {
        free(st);
        st = hv_client_expect(k->rf->obs, topic, 3000);
        if (!st || (json_str(st, "phase") && strcmp(json_str(st, "phase"), phase) == 0))
            break;
    }
    free(st);
    st = retained_payload(k->rf, topic, 2000);  /* what a nurse station starting now sees */
    if (!st || !json_str(st, "phase") || strcmp(json_str(st, "phase"), phase) != 0)
        fprintf(stderr, "retained status is %s, not phase %s\n", st ? st : "(none)", phase);
    return st;
}

/* Starts a visit in the infusion from the nurse station, and brings a check-in prompt up. */
static void checkin_prompt(struct kiosk_fixture *k, hv_client *station, const char *visit)
{
    char body[128];

    snprintf(body, sizeof body, "{\"cmd\":\"begin_visit\",\"visit\":\"%s\",\"lang\":\"en\"}",
             visit);
    station_cmd(station, k, body);
    station_cmd(station, k, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}");
    char *st = wait_status(k, "infusion");
    CHECK_STR_EQ(json_str(st, "phase"), "infusion");
    free(st);
    send_line(k, "checkin");
    CHECK(wait_screen(k, "checkin"));
}

/*
 * The unwell call the kiosk sent (its id into id), and the nurses' page the
 * controller made of it.
 */
static void expect_unwell_page(struct kiosk_fixture *k, hv_client *pager, char *id, size_t idlen)
{
    char *call = hv_client_expect(k->rf->obs, kiosk_topic(k, "call"), 5000);

    id[0] = '\0';
    REQUIRE(call != NULL);
    CHECK_STR_EQ(json_str(call, "reason"), "unwell");
    if (json_str(call, "id"))
        snprintf(id, idlen, "%s", json_str(call, "id"));
    free(call);
    char *page = hv_client_expect(pager, rf_topic(k->rf, "page/nurses"), 5000);
    REQUIRE(page != NULL);
    CHECK_STR_EQ(json_str(page, "id"), id);
    CHECK_STR_EQ(json_str(page, "room"), k->room);
    CHECK_STR_EQ(json_str(page, "reason"), "unwell");
    free(page);
}

/* "Very bad": a check-in with feeling 5, an unwell call, a page to the nurses. */
static void test_checkin_worst_answer_pages_nurses(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    char *cfg = config(), id[64];

    REQUIRE(cfg != NULL);
    REQUIRE(rf_start(&f, cfg, false) == 0);
    free(cfg);
    hv_client *pager = rf_client(&f, "pager"), *station = rf_client(&f, "station");
    REQUIRE(pager && station && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    REQUIRE(kf_start(&k, &f, "chair-1", W, H) == 0);

    checkin_prompt(&k, station, "V-CHECKIN5");
    send_line(&k, "tapname feeling-5");
    char *ci = hv_client_expect(f.obs, kiosk_topic(&k, "checkin"), 5000);
    REQUIRE(ci != NULL);
    CHECK_INT_EQ(json_int(ci, "feeling"), 5);
    CHECK(!json_has(ci, "wants_someone"));
    CHECK(!json_has(ci, "unanswered"));
    free(ci);
    expect_unwell_page(&k, pager, id, sizeof id);
    char *room_call = retained_payload(&f, rf_topic(&f, "call/chair-1"), 2000);
    CHECK_STR_EQ(json_str(room_call, "id"), id);
    CHECK_STR_EQ(json_str(room_call, "reason"), "unwell");
    free(room_call);

    stop_kiosk(&k);
    hv_client_free(station);
    hv_client_free(pager);
    rf_finish(&f);
}

/* "I'd like someone to come": wants_someone, no face, an unwell call, a page. */
static void test_checkin_someone_pages_nurses(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    char *cfg = config(), id[64];

    REQUIRE(cfg != NULL);
    REQUIRE(rf_start(&f, cfg, false) == 0);
    free(cfg);
    hv_client *pager = rf_client(&f, "pager"), *station = rf_client(&f, "station");
    REQUIRE(pager && station && hv_client_sub(pager, rf_topic(&f, "page/+"), 1) == 0);
    REQUIRE(kf_start(&k, &f, "chair-2", W, H) == 0);

    checkin_prompt(&k, station, "V-SOMEONE");
    send_line(&k, "tapname someone");
    char *ci = hv_client_expect(f.obs, kiosk_topic(&k, "checkin"), 5000);
    REQUIRE(ci != NULL);
    CHECK(json_is_true(ci, "wants_someone"));
    CHECK(json_is_null(ci, "feeling"));
    free(ci);
    expect_unwell_page(&k, pager, id, sizeof id);
    CHECK(id[0] != '\0');

    stop_kiosk(&k);
    hv_client_free(station);
    hv_client_free(pager);
    rf_finish(&f);
}

/* Pixels of the theme's text colour right of the PIN keys: the title, and "Wrong PIN". */
static int pin_side_text(struct kiosk_fixture *k, const char *shot)
{
    SDL_Rect help = kf_help_rect(k), side = { help.x, 0, W - help.x, help.y };
    SDL_Surface *s = kf_shot(k, shot);
    int n = s ? kf_count_colour(s, side, ui_theme_day.text, 6) : -1;

    SDL_FreeSurface(s);
    return n;
}

/* Waits until the room's retained call is gone (the controller cleared it). */
static bool room_call_cleared(struct room_fixture *f, const char *room)
{
    char rest[64];

    /* A board starting now finds no call for the room, within 5 s.  (Reading the observer
     * up to the first empty call/R is not enough: the controller's start-up publishes
     * every room's empty call, which may still be queued there.) */
    snprintf(rest, sizeof rest, "call/%s", room);
    for (int i = 0; i < 10; i++) {
        hv_client *board = rf_client(f, "board");
        bool none = board && hv_client_sub(board, rf_topic(f, rest), 1) == 0 &&
                    hv_client_expect_none(board, rf_topic(f, rest), 500);
        hv_client_free(board);
        if (none)
            return true;
    }
    return false;
}

/*
 * The staff menu: a long press and a wrong PIN keep it shut; the right PIN
 * opens it; from it a visit begins, moves to the infusion, has its call
 * cleared at the bedside and ends.
 */
static void test_staff_menu_runs_the_visit(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    struct ui ui = { .w = W, .h = H, .dpi = 96 };
    SDL_Rect corner = ui_staff_corner(&ui);
    char *cfg = config(), line[64];

    REQUIRE(cfg != NULL);
    REQUIRE(rf_start(&f, cfg, false) == 0);
    free(cfg);
    REQUIRE(kf_start(&k, &f, "chair-3", W, H) == 0);

    /* A tap on the corner is not enough; a long press opens the PIN pad. */
    CHECK(kf_tap(&k, corner.x + corner.w / 2, corner.y + corner.h / 2) == 0);
    CHECK(wait_screen(&k, "idle"));
    snprintf(line, sizeof line, "hold %d %d 2500", corner.x + corner.w / 2,
             corner.y + corner.h / 2);
    send_line(&k, line);
    REQUIRE(wait_screen(&k, "pin"));
    int before = pin_side_text(&k, "staff-pin");

    /* A wrong PIN: still the PIN pad, now saying so. */
    for (int i = 0; i < 4; i++)
        send_line(&k, "tapname pin-1");
    send_line(&k, "tapname pin-ok");
    CHECK(kf_wait_log(&k, "staff PIN: wrong (1 in a row)", 5000));  /* checked off the UI thread */
    CHECK(wait_screen(&k, "pin"));
    int after = pin_side_text(&k, "staff-pin-wrong");
    if (!(after > before * 3 / 2))
        fprintf(stderr, "text beside the PIN keys: %d pixels before, %d after a wrong PIN\n",
                before, after);
    CHECK(before > 0 && after > before * 3 / 2);

    /* The right PIN: the staff menu. */
    for (const char *d = PIN; *d; d++) {
        snprintf(line, sizeof line, "tapname pin-%c", *d);
        send_line(&k, line);
    }
    send_line(&k, "tapname pin-ok");
    REQUIRE(wait_screen(&k, "staff"));
    SDL_FreeSurface(kf_shot(&k, "staff-menu"));

    /* Begin visit: a fresh visit id, in the intake. */
    send_line(&k, "tapname begin-visit");
    char *st = wait_status(&k, "intake");
    CHECK_STR_EQ(json_str(st, "phase"), "intake");
    CHECK(json_is_true(st, "online"));
    const char *visit = json_str(st, "visit");
    CHECK(visit && strncmp(visit, "V-", 2) == 0 && strlen(visit) > 2);
    free(st);

    send_line(&k, "tapname phase-infusion");
    st = wait_status(&k, "infusion");
    CHECK_STR_EQ(json_str(st, "phase"), "infusion");
    free(st);

    /* A call open (the help button works over the staff menu too), cleared at the bedside. */
    CHECK(kf_tap_help(&k) == 0);
    char *call = hv_client_expect(f.obs, kiosk_topic(&k, "call"), 5000);
    REQUIRE(call != NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", json_str(call, "id") ? json_str(call, "id") : "");
    free(call);
    char *room_call = NULL;
    for (int i = 0; i < 20 && !room_call; i++) {  /* the controller has it */
        room_call = retained_payload(&f, rf_topic(&f, "call/chair-3"), 500);
        if (room_call && !json_str(room_call, "id")) {
            free(room_call);
            room_call = NULL;
        }
    }
    REQUIRE(room_call != NULL);
    CHECK_STR_EQ(json_str(room_call, "id"), id);
    free(room_call);
    CHECK(wait_screen(&k, "staff"));
    SDL_FreeSurface(kf_shot(&k, "staff-menu-call"));
    send_line(&k, "tapname clear-call");
    char *clear = hv_client_expect(f.obs, kiosk_topic(&k, "clear"), 5000);
    REQUIRE(clear != NULL);
    CHECK_STR_EQ(json_str(clear, "id"), id);
    CHECK_STR_EQ(json_str(clear, "by"), "sam");   /* whose PIN opened the menu */
    free(clear);
    CHECK(room_call_cleared(&f, "chair-3"));

    /* End visit: idle, no visit. */
    send_line(&k, "tapname end-visit");
    st = wait_status(&k, "idle");
    CHECK_STR_EQ(json_str(st, "phase"), "idle");
    CHECK(json_is_null(st, "visit"));
    free(st);
    send_line(&k, "tapname close");
    CHECK(wait_screen(&k, "idle"));

    stop_kiosk(&k);
    rf_finish(&f);
}

/* Types pin on the pad and OK. */
static void type_pin(struct kiosk_fixture *k, const char *pin)
{
    char line[64];

    for (const char *d = pin; *d; d++) {
        snprintf(line, sizeof line, "tapname pin-%c", *d);
        send_line(k, line);
    }
    send_line(k, "tapname pin-ok");
}

/*
 * Three wrong PINs lock the pad for 30 s: the kiosk logs it and sends a pin_locked
 * event the nurse station can see; even the right PIN does not open the menu then,
 * nor after a restart.
 */
static void test_wrong_pins_lock_the_pad_and_tell_the_station(void)
{
    struct room_fixture f;
    struct kiosk_fixture k;
    struct ui ui = { .w = W, .h = H, .dpi = 96 };
    SDL_Rect corner = ui_staff_corner(&ui);
    char *cfg = config(), line[64];

    REQUIRE(cfg != NULL);
    REQUIRE(rf_start(&f, cfg, false) == 0);
    free(cfg);
    REQUIRE(kf_start(&k, &f, "chair-4", W, H) == 0);
    hv_client *station = rf_client(&f, "station");
    REQUIRE(station && hv_client_sub(station, kiosk_topic(&k, "event"), 1) == 0);

    snprintf(line, sizeof line, "hold %d %d 2500", corner.x + corner.w / 2,
             corner.y + corner.h / 2);
    send_line(&k, line);
    REQUIRE(wait_screen(&k, "pin"));
    type_pin(&k, "1111");
    type_pin(&k, "2222");
    CHECK(kf_wait_log(&k, "staff PIN: wrong (2 in a row)", 5000));
    CHECK(hv_client_expect_none(station, kiosk_topic(&k, "event"), 0));
    type_pin(&k, "3333");
    char *ev = hv_client_expect(station, kiosk_topic(&k, "event"), 5000);
    REQUIRE(ev != NULL);
    CHECK_STR_EQ(json_str(ev, "event"), "pin_locked");
    CHECK_INT_EQ(json_int(ev, "failures"), 3);
    CHECK(json_str(ev, "until") && json_str(ev, "ts") && json_str(ev, "id"));
    free(ev);
    CHECK(kf_wait_log(&k, "the PIN pad is locked for 30 s", 5000));

    type_pin(&k, PIN);                             /* right, but locked: not even checked */
    CHECK(wait_screen(&k, "pin"));
    SDL_FreeSurface(kf_shot(&k, "staff-pin-locked"));
    CHECK_INT_EQ(kf_stop(&k), 0);
    REQUIRE(kf_restart(&k, true) == 0);
    send_line(&k, line);
    REQUIRE(wait_screen(&k, "pin"));
    type_pin(&k, PIN);
    CHECK(wait_screen(&k, "pin"));
    char *log = hv_read_file(k.log_path);
    CHECK(log && !strstr(log, "staff menu opened"));
    free(log);

    hv_client_free(station);
    stop_kiosk(&k);
    rf_finish(&f);
}

/* `haven-kiosk check` for chair-1 on cfg_path; its output into out (a file). The exit status. */
static int kiosk_check(const char *cfg_path, const char *out)
{
    char *const argv[] = { HAVEN_KIOSK_BIN, "check", "--config", (char *)cfg_path, "--room",
                           "chair-1", NULL };
    hv_proc *p = hv_proc_spawn(argv, out);
    int status = p ? hv_proc_wait(p, 20000) : -1;

    hv_proc_free(p);
    return status;
}

/*
 * `haven-kiosk check` warns loudly about the demo PIN, and refuses a pin file others
 * may read with the haven.cfg line that names it; the kiosk itself refuses to start.
 */
static void test_check_demo_pin_and_pin_file_mode(void)
{
    char *dir = hv_tmpdir("kiosk-check");
    char cfg_path[600], out[600], want[700], pins[600];
    REQUIRE(dir != NULL);
    snprintf(cfg_path, sizeof cfg_path, "%s/haven.cfg", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    char *cfg = config();                  /* the demo PIN, in a fresh 0600 pin file */
    REQUIRE(cfg != NULL);
    for (char *p; (p = strstr(cfg, "%PREFIX%")) != NULL;)
        memcpy(p, "haven/tt", 8);
    REQUIRE(hv_write_file(cfg_path, cfg) == 0);
    const char *at = strstr(cfg, "pin_file = \"");
    REQUIRE(at != NULL);
    sscanf(at + strlen("pin_file = \""), "%599[^\"]", pins);
    free(cfg);

    CHECK_INT_EQ(kiosk_check(cfg_path, out), 0);
    char *said = hv_read_file(out);
    CHECK(said && strstr(said, "WARNING") && strstr(said, "the demo PIN 2468"));
    free(said);

    REQUIRE(chmod(pins, 0644) == 0);       /* someone made it readable for all */
    unlink(out);
    CHECK_INT_EQ(kiosk_check(cfg_path, out), 2);
    said = hv_read_file(out);
    snprintf(want, sizeof want, "%s:", cfg_path);
    if (!(said && strstr(said, want) && strstr(said, "readable by others (mode 644)")))
        fprintf(stderr, "check said: %s\n", said ? said : "(nothing)");
    CHECK(said && strstr(said, want) && strstr(said, "readable by others (mode 644)"));
    free(said);
    hv_rm_rf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_checkin_worst_answer_pages_nurses);
    RUN(test_checkin_someone_pages_nurses);
    RUN(test_staff_menu_runs_the_visit);
    RUN(test_wrong_pins_lock_the_pad_and_tell_the_station);
    RUN(test_check_demo_pin_and_pin_file_mode);
    return CHECK_SUMMARY();
}
