/*
 * main.c - haven-kiosk: the patient app in the chair.
 *
 *   haven-kiosk --config FILE --room ID [--broker HOST:PORT] [--windowed WxH] [--state DIR]
 *   haven-kiosk hash-pin            (reads a PIN on stdin, prints its hash for the pin file)
 *
 * One SDL thread draws and takes input; it sleeps in SDL_WaitEventTimeout
 * until a touch, a network event (net.c), a timer of the model (app_tick)
 * or of the sound (sound_tick), an event from SDL_mixer's callbacks (sound/mixer.c)
 * or the next minute of the clock, and redraws only when something changed.
 * After each event it tells the sound what changed in the model (the phase,
 * a new visit, a check-in prompt or a nurse on the way: the chime) and
 * publishes the patient's sound theme when it was chosen or the phase moved.
 *
 * For tests, HAVEN_KIOSK_CONTROL=FIFO makes the kiosk read lines from a FIFO:
 * "tap X Y", "hold X Y MS" (real SDL mouse events, so the real input path
 * runs), "shot PATH" (the screen as PNG, written to PATH.tmp then renamed),
 * "checkin" (the next check-in prompt now, during infusion or recovery), "quit",
 * "tapname NAME" (a tap on the current screen's touch target NAME, screen.h)
 * and "targets" (logs "target NAME X Y W H" for each, then "targets on SCREEN: N").
 */
#include "app.h"
#include "clock.h"
#include "err.h"
#include "journal.h"
#include "kcfg.h"
#include "log.h"
#include "mixer.h"
#include "net.h"
#include "outbox.h"
#include "questionnaire.h"
#include "screen.h"
#include "ui.h"

#include <SDL2/SDL.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define CMD_PER_S 20         /* kiosk/cmd messages a second that reach the main loop */

struct options {
    const char *config, *room, *broker, *state;
    int w, h;
};

static uint32_t control_event_type, reload_event_type, pin_event_type;
static int64_t started_ms;

/* ---- command line ----------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out, "usage: haven-kiosk --config FILE --room ID [--broker HOST:PORT]"
                 " [--windowed WxH] [--state DIR]\n"
                 "       haven-kiosk check --config FILE --room ID\n"
                 "       haven-kiosk hash-pin   (PIN on stdin; prints a line for kiosk.pin_file)\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dest = !strcmp(a, "--config") ? &o->config : !strcmp(a, "--room") ? &o->room
                          : !strcmp(a, "--broker") ? &o->broker : !strcmp(a, "--state") ? &o->state
                          : NULL;
        if (!strcmp(a, "--windowed") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &o->w, &o->h) != 2 || o->w < 320 || o->h < 240) {
                fprintf(stderr, "haven-kiosk: --windowed takes WxH, e.g. 1280x800\n");
                return 2;
            }
            continue;
        }
        if (!dest || i + 1 >= argc) {
            fprintf(stderr, "haven-kiosk: %s '%s'\n", dest ? "missing value for" : "unknown option", a);
            usage(stderr);
            return 2;
        }
        *dest = argv[++i];
    }
    if (!o->config || !o->room) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* The questionnaires, one line per phase that has any: "intake: safety-checklist, phq-9". */
static void print_forms(const struct qn_set *set)
{
    if (set->nforms == 0) {
        printf("questionnaires: none (the intake shows its plain checklist)\n");
        return;
    }
    printf("questionnaires from %s:\n", set->dir);
    for (int p = PHASE_INTAKE; p < PHASE_COUNT; p++) {
        if (set->nphase[p] == 0)
            continue;
        printf("  %s:", phase_name((enum phase)p));
        for (int i = 0; i < set->nphase[p]; i++) {
            const struct qn_form *f = &set->forms[set->phase[p][i]];
            printf("%s %s (%d items, %d rules)", i ? "," : "", f->id, f->nitems, f->nrules);
        }
        printf("\n");
    }
}

/* Loudly: anyone who has seen the README knows the demo's PIN. */
static void warn_demo_pin(const struct kiosk_config *cfg)
{
    const char *who = kcfg_pin_who(cfg, PIN_DEMO);

    if (!who)
        return;
    fprintf(stderr, "\n"
            "haven-kiosk: WARNING: WARNING: WARNING\n"
            "haven-kiosk: %s: the staff PIN of '%s' is the demo PIN %s, printed in the README.\n"
            "haven-kiosk: Anyone could open the staff menu and clear a patient's call.\n"
            "haven-kiosk: Make a PIN of your own: haven-kiosk hash-pin > a line of the pin file.\n\n",
            cfg->pin_file_at, who, PIN_DEMO);
}

/*
 * The kiosk's part of haven.cfg (path) for room, and the forms its
 * questionnaires { } name, from one parse of the file.  0 and *forms (free
 * with qn_set_free), or HV_ECONFIG with err.
 */
static int load_config(const char *path, const char *room, struct kiosk_config *c,
                       struct qn_set **forms, struct cfg_error *err)
{
    config_t file;
    int rc;

    *forms = NULL;
    if ((rc = cfg_load(&file, path, err)) != 0)
        return rc;
    if ((rc = kcfg_read(&file, path, room, c, err)) == 0)
        rc = qn_set_read(&file, path, forms, err);
    config_destroy(&file);
    return rc;
}

/* --broker HOST:PORT and --state DIR over what the file says.  0, or 2 (told on stderr). */
static int apply_overrides(struct kiosk_config *c, const struct options *o)
{
    if (o->broker && mqtt_parse_hostport(o->broker, c->broker.host, sizeof c->broker.host,
                                         &c->broker.port) != 0) {
        fprintf(stderr, "haven-kiosk: --broker must be HOST:PORT\n");
        return 2;
    }
    if (o->state)
        snprintf(c->state_dir, sizeof c->state_dir, "%s", o->state);
    return 0;
}

/* `haven-kiosk check`: the configuration as this chair's kiosk would load it. */
static int check(const struct options *o)
{
    struct kiosk_config cfg;
    struct cfg_error err;
    struct qn_set *forms;
    FILE *font;

    if (load_config(o->config, o->room, &cfg, &forms, &err) != 0 ||
        (o->state && snprintf(cfg.state_dir, sizeof cfg.state_dir, "%s", o->state) < 0) ||
        kcfg_load_pins(&cfg, &err) != 0) {
        qn_set_free(forms);
        fprintf(stderr, "haven-kiosk: %s\n", err.text);
        return 2;
    }
    print_forms(forms);
    qn_set_free(forms);
    font = fopen(cfg.font, "r");
    if (!font) {
        fprintf(stderr, "haven-kiosk: %s: font %s cannot be opened\n", o->config, cfg.font);
        return 2;
    }
    fclose(font);
    printf("%s: OK for %s (%s): dpi %d, state %s, staff PINs %d%s, check-ins every %lld min,"
           " recovery %lld min\n", o->config, cfg.room, cfg.room_label, cfg.dpi, cfg.state_dir,
           cfg.pins.n, cfg.pins.n ? "" : " (NOT SET: staff menu locked)",
           (long long)(cfg.checkin_ms / 60000), (long long)(cfg.recovery_ms / 60000));
    warn_demo_pin(&cfg);
    if (!cfg.sound.enabled) {
        printf("sound: off (no kiosk.sound section, or enabled = false)\n");
        return 0;
    }
    printf("sound: %d playlists, %d files, %d themes, volume %d%% (ceiling %d%%), fade %.1f s;"
           " %d file(s) missing\n", cfg.sound.n_lists, cfg.sound.n_tracks, cfg.sound.n_themes,
           cfg.sound.volume, cfg.sound.volume_max, cfg.sound.fade_ms / 1000.0,
           soundcfg_check_files(&cfg.sound));
    return 0;
}

/* Reads one line from stdin; on a terminal, asks for it and does not echo it. */
static char *read_pin(char *pin, int len)
{
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    char *got;

    if (tty) {
        fprintf(stderr, "Staff PIN (4 to 8 digits): ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    got = fgets(pin, len, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fputc('\n', stderr);
    }
    return got;
}

static int hash_pin(void)
{
    char pin[64], hash[256];

    if (!read_pin(pin, sizeof pin)) {
        fprintf(stderr, "haven-kiosk: type the PIN (4 to 8 digits) on standard input\n");
        return 2;
    }
    pin[strcspn(pin, "\r\n")] = '\0';
    if (kcfg_hash_pin(pin, hash, sizeof hash) != 0) {
        fprintf(stderr, "haven-kiosk: a PIN is 4 to 8 digits\n");
        return 2;
    }
    printf("%s\n", hash);
    return 0;
}

/* ---- helper threads: SIGHUP and the test-control FIFO --------------------------------- */

static void push_user(uint32_t type, void *data)
{
    SDL_Event e;

    memset(&e, 0, sizeof e);
    e.type = type;
    e.user.data1 = data;
    if (SDL_PushEvent(&e) != 1)
        free(data);
}

static void *sighup_main(void *arg)
{
    sigset_t *set = arg;
    int sig;

    while (sigwait(set, &sig) == 0)
        push_user(reload_event_type, NULL);
    return NULL;
}

static SDL_Event mouse_event(uint32_t type, int x, int y, Uint32 window)
{
    SDL_Event e;

    memset(&e, 0, sizeof e);
    e.type = type;
    e.button.windowID = window;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
    e.button.clicks = 1;
    e.button.x = x;
    e.button.y = y;
    return e;
}

static void push_mouse(uint32_t type, int x, int y, Uint32 window)
{
    SDL_Event e = mouse_event(type, x, y, window);
    SDL_PushEvent(&e);
}

/* Reads control lines; taps become real mouse events, the rest goes to the main loop. */
static void *control_main(void *arg)
{
    const char *path = getenv("HAVEN_KIOSK_CONTROL");
    Uint32 window = (Uint32)(uintptr_t)arg;
    FILE *in = fopen(path, "r+");  /* r+ on a FIFO: no EOF when a writer closes */
    char line[1100];

    if (!in) {
        log_error("control %s: %s", path, strerror(errno));
        return NULL;
    }
    while (fgets(line, sizeof line, in)) {
        int x, y, ms;
        line[strcspn(line, "\r\n")] = '\0';
        if (sscanf(line, "tap %d %d", &x, &y) == 2) {
            push_mouse(SDL_MOUSEBUTTONDOWN, x, y, window);
            push_mouse(SDL_MOUSEBUTTONUP, x, y, window);
        } else if (sscanf(line, "hold %d %d %d", &x, &y, &ms) == 3) {
            push_mouse(SDL_MOUSEBUTTONDOWN, x, y, window);
            SDL_Delay((Uint32)ms);
            push_mouse(SDL_MOUSEBUTTONUP, x, y, window);
        } else {
            push_user(control_event_type, strdup(line));
        }
    }
    fclose(in);
    return NULL;
}

/* ---- input ------------------------------------------------------------------------------ */

struct kiosk {
    struct kiosk_config cfg;
    const struct options *opts;  /* the command line's overrides, applied again on reload */
    struct ui ui;
    struct app app;
    struct outbox *outbox;
    struct journal *journal;    /* the questionnaires' tap journal */
    struct net *net;
    struct app_link link;
    struct sound *sound;         /* NULL: no sound configured */
    const struct screen *shown;  /* the screen drawn last */
    /* what the sound was last told of the model (sync_audio) */
    enum phase seen_phase;
    char seen_visit[HV_ID_MAX];
    enum checkin_ui seen_checkin;
    enum call_ui seen_call;
    int down_x, down_y;
    bool pin_busy;               /* a PIN check thread runs (check_pin) */
    bool quit;
};

static void publish_theme(struct kiosk *k, const struct sound_theme *t, int64_t now);
static void sync_audio(struct kiosk *k, int64_t now);

static void on_down(struct kiosk *k, int x, int y, int64_t now)
{
    k->down_x = x;
    k->down_y = y;
    staff_press_down(&k->app.staff, ui_hit(ui_staff_corner(&k->ui), x, y), now);
}

static void on_up(struct kiosk *k, int x, int y, int64_t now)
{
    struct app *a = &k->app;
    SDL_Rect help = ui_help_rect(&k->ui);

    if (staff_press_up(&a->staff, ui_hit(ui_staff_corner(&k->ui), x, y), now)) {
        a->dirty = true;
        return;
    }
    if (ui_hit(help, x, y) && ui_hit(help, k->down_x, k->down_y)) {
        app_help_pressed(a, now);  /* before any screen or overlay: help always works */
        return;
    }
    staff_touched(&a->staff, now);
    screen_current(a)->tap(a, &k->ui, x, y, now);
}

/* ---- drawing ------------------------------------------------------------------------------ */

/* Logs what the help button says when that changes: the tests (and a support call) read it. */
static void log_help_text(struct kiosk *k)
{
    static char last[HV_NAME_MAX + 64];
    char text[sizeof last];

    ui_help_text(&k->app, text, sizeof text);
    if (strcmp(text, last) == 0)
        return;
    snprintf(last, sizeof last, "%s", text);
    log_info("help button: %s", text);
}

static void draw(struct kiosk *k, int64_t now)
{
    const struct screen *s = screen_current(&k->app);

    if (s != k->shown && s->enter)  /* a screen newly shown starts afresh */
        s->enter(&k->app, now);
    k->shown = s;
    ui_clear(&k->ui);  /* the screen sets its theme (night during the infusion) */
    s->draw(&k->app, &k->ui, now);
    ui_draw_offline(&k->ui, &k->app);
    ui_draw_help(&k->ui, &k->app);
    log_help_text(k);
    k->app.dirty = false;
}

static void redraw(struct kiosk *k, int64_t now)
{
    static bool first = true;

    draw(k, now);
    ui_present(&k->ui);
    if (first) {
        first = false;
        log_info("first frame after %lld ms", (long long)(clock_mono_ms() - started_ms));
    }
}

static void shot(struct kiosk *k, const char *path, int64_t now)
{
    char tmp[1100];

    draw(k, now);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (ui_screenshot(&k->ui, tmp) == 0 && rename(tmp, path) == 0)
        log_info("screenshot %s", path);
    else
        log_error("screenshot %s failed", path);
    ui_present(&k->ui);
}

/* ---- test control: touch targets by name ------------------------------------------------- */

static void handle(struct kiosk *k, const SDL_Event *e, int64_t now);

/*
 * A tap on the current screen's target name, at its centre.  The mouse
 * events are handled at once rather than queued, so that the next control
 * line (another tapname, a shot) sees the screen this tap leads to.
 */
static void tap_name(struct kiosk *k, const char *name, int64_t now)
{
    const struct screen *s = screen_current(&k->app);
    Uint32 window = SDL_GetWindowID(k->ui.win);
    struct screen_target t;
    SDL_Event e;
    int x, y;

    if (!screen_find_target(s, &k->app, &k->ui, name, &t)) {
        log_error("tapname %s: no such target on the %s screen", name, s->name);
        return;
    }
    x = t.rect.x + t.rect.w / 2;
    y = t.rect.y + t.rect.h / 2;
    log_info("tapname %s on %s at %d %d", name, s->name, x, y);
    e = mouse_event(SDL_MOUSEBUTTONDOWN, x, y, window);
    handle(k, &e, now);
    e = mouse_event(SDL_MOUSEBUTTONUP, x, y, window);
    handle(k, &e, now);
}

/* Logs the current screen's touch targets, then how many (the end of the list). */
static void log_targets(struct kiosk *k)
{
    const struct screen *s = screen_current(&k->app);
    struct screen_target t[SCREEN_TARGETS_MAX];
    int n = screen_targets(s, &k->app, &k->ui, t, SCREEN_TARGETS_MAX);

    for (int i = 0; i < n; i++)
        log_info("target %s %d %d %d %d", t[i].name, t[i].rect.x, t[i].rect.y, t[i].rect.w,
                 t[i].rect.h);
    log_info("targets on %s: %d", s->name, n);
}

static void control(struct kiosk *k, const char *line, int64_t now)
{
    if (strncmp(line, "shot ", 5) == 0)
        shot(k, line + 5, now);
    else if (strcmp(line, "quit") == 0)
        k->quit = true;
    else if (strcmp(line, "checkin") == 0)  /* bring the next check-in prompt forward */
        k->app.next_checkin_ms = now;
    else if (strncmp(line, "tapname ", 8) == 0)
        tap_name(k, line + 8, now);
    else if (strcmp(line, "targets") == 0)
        log_targets(k);
    else
        log_error("control: unknown command '%s'", line);
}

/* ---- configuration reload --------------------------------------------------------------- */

static void reload(struct kiosk *k, int64_t now)
{
    struct kiosk_config next;
    struct cfg_error err;
    struct qn_set *forms;

    if (load_config(k->cfg.path, k->cfg.room, &next, &forms, &err) != 0) {
        log_error("reload refused, keeping the running configuration: %s", err.text);
        return;
    }
    /* The link, the room and the state directory stay as they are until a restart (each
     * change the file made to them is logged); the PINs are read from that directory. */
    apply_overrides(&next, k->opts);  /* checked at start */
    kcfg_keep_restart(&next, &k->cfg);
    if (kcfg_load_pins(&next, &err) != 0) {
        qn_set_free(forms);
        log_error("reload refused, keeping the running configuration: %s", err.text);
        return;
    }
    app_forms_reload(&k->app, forms);
    k->cfg = next;
    sound_reload(k->sound, &k->cfg.sound, now);
    k->app.dirty = true;
    log_info("configuration reloaded");
}

/* ---- sound ---------------------------------------------------------------------------------- */

/*
 * The patient's theme on P/room/R/kiosk/theme (retained), for the controller
 * to set its light scene while the room is in this phase; t NULL: an empty
 * retained payload (no theme: the visit ended, or the kiosk restarted and the
 * patient has not chosen again).  Not a call: straight to the broker, not
 * through the outbox.
 */
static void publish_theme(struct kiosk *k, const struct sound_theme *t, int64_t now)
{
    char topic[HV_TOPIC_MAX];
    char *json;
    int mid;

    if (topic_build(topic, sizeof topic, k->cfg.prefix, TOPIC_KIOSK_THEME, k->cfg.room) != 0)
        return;
    json = t ? contract_encode_kiosk_theme(t->name, t->scene, k->app.phase, now) : strdup("");
    if (!json)
        return;
    if (k->link.publish(k->link.ctx, topic, json, true, &mid) != 0)
        log_warn("sound: theme not published (broker unreachable); again on reconnect");
    free(json);
}

/* Tells the sound what changed in the model since the last call, and publishes the theme. */
static void sync_audio(struct kiosk *k, int64_t now)
{
    struct app *a = &k->app;
    const struct sound_theme *t;
    bool new_visit = strcmp(a->visit, k->seen_visit) != 0, had_theme;

    if (!k->sound)
        return;
    had_theme = sound_theme_chosen(k->sound) >= 0;
    if (new_visit) {
        snprintf(k->seen_visit, sizeof k->seen_visit, "%s", a->visit);
        sound_on_visit(k->sound, now);
        if (had_theme)
            publish_theme(k, NULL, now);
    }
    if (a->phase != k->seen_phase) {
        k->seen_phase = a->phase;
        sound_on_phase(k->sound, a->phase, now);
        if (!new_visit && had_theme)
            publish_theme(k, sound_theme_at(k->sound, sound_theme_chosen(k->sound)), now);
    }
    if (a->checkin == CHECKIN_PROMPT && k->seen_checkin != CHECKIN_PROMPT)
        sound_cue(k->sound, SOUND_CUE_CHECKIN, now);
    if (a->call == CALL_UI_COMING && k->seen_call != CALL_UI_COMING)
        sound_cue(k->sound, SOUND_CUE_NURSE_COMING, now);
    k->seen_checkin = a->checkin;
    k->seen_call = a->call;
    if (sound_take_theme(k->sound, &t)) {
        publish_theme(k, t, now);
        a->dirty = true;
    }
}

/* ---- the staff PIN, checked off the main thread ---------------------------------------------- */

/* What a check thread is given (a copy: a reload may replace the config meanwhile). */
struct pin_job {
    struct pin_set pins;
    char pin[9];
};

/* Some 0.2 s of yescrypt per PIN in the file: never on the thread that takes the help tap. */
static void *pin_main(void *arg)
{
    struct pin_job *job = arg;
    const char *who = pin_set_check(&job->pins, job->pin);
    char *name = who ? strdup(who) : NULL;
    SDL_Event e;

    explicit_bzero(job, sizeof *job);
    free(job);
    memset(&e, 0, sizeof e);
    e.type = pin_event_type;
    e.user.code = who ? 1 : 0;
    e.user.data1 = name;
    if (SDL_PushEvent(&e) != 1)
        free(name);
    return NULL;
}

/* Starts checking the PIN the pad took (app_pin_begin), unless a check runs already. */
static void check_pin(struct kiosk *k)
{
    const char *pin = staff_pin_to_check(&k->app.staff);
    struct pin_job *job;
    pthread_t t;

    if (!pin || k->pin_busy)
        return;
    job = malloc(sizeof *job);
    if (job) {
        job->pins = k->cfg.pins;
        snprintf(job->pin, sizeof job->pin, "%s", pin);
    }
    if (job && pthread_create(&t, NULL, pin_main, job) == 0) {
        pthread_detach(t);
        k->pin_busy = true;
        return;
    }
    free(job);
    log_error("cannot start the PIN check; the PIN counts as wrong");
    app_pin_checked(&k->app, NULL, clock_now_ms());
}

static void on_pin_checked(struct kiosk *k, const SDL_Event *e, int64_t now)
{
    char *who = e->user.data1;

    k->pin_busy = false;
    /* strdup failing is the only way to a right PIN without a name: "staff" then */
    app_pin_checked(&k->app, e->user.code ? (who ? who : "staff") : NULL, now);
    free(who);
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void handle(struct kiosk *k, const SDL_Event *e, int64_t now)
{
    if (e->type == SDL_QUIT) {
        k->quit = true;
    } else if (e->type == net_event_type) {
        struct mqtt_event *ev = e->user.data1;
        if (ev->kind == MQTT_EV_CONNECTED || ev->kind == MQTT_EV_DISCONNECTED) {
            app_on_connected(&k->app, ev->kind == MQTT_EV_CONNECTED, now);
            /* The retained theme says what this kiosk plays now: after a restart, none. */
            if (ev->kind == MQTT_EV_CONNECTED && k->sound)
                publish_theme(k, sound_theme_at(k->sound, sound_theme_chosen(k->sound)), now);
        }
        else if (ev->kind == MQTT_EV_PUBLISHED)
            app_on_published(&k->app, ev->mid);
        else
            app_on_message(&k->app, ev->topic, ev->payload, ev->len, ev->retained, now);
        net_event_free(ev);
    } else if (e->type == reload_event_type) {
        reload(k, now);
    } else if (e->type == pin_event_type) {
        on_pin_checked(k, e, now);
    } else if (sound_mixer_event_type && e->type == sound_mixer_event_type) {
        sound_mixer_on_event(k->sound, e, now);
    } else if (e->type == control_event_type) {
        control(k, e->user.data1, now);
        free(e->user.data1);
    } else if (e->type == SDL_MOUSEBUTTONDOWN && e->button.button == SDL_BUTTON_LEFT) {
        on_down(k, e->button.x, e->button.y, now);
    } else if (e->type == SDL_MOUSEBUTTONUP && e->button.button == SDL_BUTTON_LEFT) {
        on_up(k, e->button.x, e->button.y, now);
    } else if (e->type == SDL_WINDOWEVENT) {
        k->app.dirty = true;
    }
    sync_audio(k, now);  /* before the next event: the screens read the sound's state */
    check_pin(k);        /* a PIN the pad just took */
}

/* Milliseconds to wait: the model's or the sound's next timer, or the next minute of the clock. */
static int wait_ms(struct kiosk *k, int64_t now)
{
    int64_t next = app_tick(&k->app, now);
    int64_t minute = (now / 60000 + 1) * 60000;
    int64_t sound;

    sync_audio(k, now);  /* a timer may have raised a check-in prompt */
    sound = sound_tick(k->sound, now);
    if (sound < next)
        next = sound;
    if (k->app.dirty)  /* a timer changed the screen (a check-in prompt): draw it now */
        return 0;
    if (minute < next)
        next = minute;
    if (next <= now)
        return 0;
    return next - now > 60000 ? 60000 : (int)(next - now);
}

/* A touch, a mouse or a key event: the patient's, handled before anything queued. */
static bool take_input(SDL_Event *e)
{
    return SDL_PeepEvents(e, 1, SDL_GETEVENT, SDL_KEYDOWN, SDL_MOUSEWHEEL) == 1 ||
           SDL_PeepEvents(e, 1, SDL_GETEVENT, SDL_FINGERDOWN, SDL_FINGERMOTION) == 1;
}

/*
 * The next event to handle: the patient's input first, then the rest in order
 * (network events, timers, control lines), so a help tap never waits behind a
 * queue of inbound messages.
 */
static bool next_event(SDL_Event *e)
{
    SDL_PumpEvents();
    return take_input(e) || SDL_PeepEvents(e, 1, SDL_GETEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT) == 1;
}

static void loop(struct kiosk *k)
{
    int64_t last_minute = clock_now_ms() / 60000;

    while (!k->quit) {
        int64_t now = clock_now_ms();
        SDL_Event e;

        if (now / 60000 != last_minute) {  /* the clock and the countdowns move */
            last_minute = now / 60000;
            k->app.dirty = true;
        }
        if (k->app.dirty)
            redraw(k, now);
        if (SDL_WaitEventTimeout(NULL, wait_ms(k, now)))  /* NULL: left in the queue */
            while (!k->quit && next_event(&e))
                handle(k, &e, clock_now_ms());
    }
}

/* ---- set-up --------------------------------------------------------------------------------- */

/*
 * The state directory 0700 and its databases 0600, whatever the umask it was started
 * with: they hold the visit, the patient's answers and the PIN lockout.  An existing
 * directory or file is narrowed too (made by an older kiosk, or by hand).
 */
static int make_private(const char *path, mode_t mode)
{
    if (chmod(path, mode) == 0 || errno == ENOENT)
        return 0;
    log_error("%s: cannot make it private (chmod %o): %s", path, (unsigned)mode, strerror(errno));
    return HV_EIO;
}

static int open_outbox(struct kiosk *k, const char *state_override)
{
    static const char *const dbs[] = { "kiosk.db", "kiosk.db-wal", "kiosk.db-shm",
                                       "journal.db", "journal.db-wal", "journal.db-shm" };
    char path[PATH_MAX + 16];

    if (state_override)
        snprintf(k->cfg.state_dir, sizeof k->cfg.state_dir, "%s", state_override);
    if (mkdir(k->cfg.state_dir, 0700) != 0 && errno != EEXIST) {
        log_error("state directory %s: %s", k->cfg.state_dir, strerror(errno));
        return HV_EIO;
    }
    if (make_private(k->cfg.state_dir, 0700) != 0)
        return HV_EIO;
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", k->cfg.state_dir, dbs[i]);
        if (make_private(path, 0600) != 0)
            return HV_EIO;
    }
    /* One database (issue 15): the outbox, the state and the tap journal, so an intent
     * is one commit.  A journal.db an older kiosk left is copied in, then removed. */
    snprintf(path, sizeof path, "%s/kiosk.db", k->cfg.state_dir);
    k->outbox = outbox_open(path);
    if (!k->outbox)
        return HV_EDB;
    snprintf(path, sizeof path, "%s/journal.db", k->cfg.state_dir);
    if (outbox_import_journal(k->outbox, path) < 0)
        log_warn("%s: kept; the form on screen before this start may not come back", path);
    k->journal = journal_on(outbox_db(k->outbox));
    return k->journal ? 0 : HV_EDB;
}

static int start_net(struct kiosk *k)
{
    char client_id[HV_NAME_MAX + 96], cmd[HV_TOPIC_MAX], call[HV_TOPIC_MAX], status[HV_TOPIC_MAX];
    char controllers[HV_TOPIC_MAX];
    /* In this order: the broker sends the retained call before the controllers' status,
     * so a call the controller already has is confirmed before any re-send. */
    const char *subs[] = { cmd, call, controllers };
    struct mqtt_opts o = mqtt_opts_from_broker(&k->cfg.broker);

    o.client_id = client_id;
    o.persistent = true;
    o.will_topic = status;
    o.will_payload = "{\"online\":false}";

    /* Unique per installation and room: the session is persistent, and two kiosks with one
     * client id would take it from each other.  '/' in a prefix becomes '-'. */
    snprintf(client_id, sizeof client_id, "haven-kiosk-%s-%s", k->cfg.prefix, k->cfg.room);
    for (char *c = client_id; *c; c++)
        if (*c == '/')
            *c = '-';
    topic_build(cmd, sizeof cmd, k->cfg.prefix, TOPIC_KIOSK_CMD, k->cfg.room);
    topic_build(call, sizeof call, k->cfg.prefix, TOPIC_CALL, k->cfg.room);
    topic_build(status, sizeof status, k->cfg.prefix, TOPIC_KIOSK_STATUS, k->cfg.room);
    topic_build(controllers, sizeof controllers, k->cfg.prefix, TOPIC_CONTROLLER, "+");
    /* The station sends a few commands a visit; a flood must not queue before a touch. */
    struct net_limit limit = { cmd, CMD_PER_S };
    k->net = net_start(&o, subs, 3, &limit);
    return k->net ? 0 : HV_EMQTT;
}

static int link_publish(void *ctx, const char *topic, const char *payload, bool retain, int *mid)
{
    return net_publish(ctx, topic, payload, retain, mid);
}

static void start_threads(struct kiosk *k, sigset_t *hup)
{
    pthread_t t;

    if (pthread_create(&t, NULL, sighup_main, hup) == 0)
        pthread_detach(t);
    if (getenv("HAVEN_KIOSK_CONTROL") &&
        pthread_create(&t, NULL, control_main,
                       (void *)(uintptr_t)SDL_GetWindowID(k->ui.win)) == 0)
        pthread_detach(t);
}

static int run(const struct options *o)
{
    static struct kiosk k;
    static sigset_t hup;
    struct cfg_error err;
    struct qn_set *forms = NULL;
    int status = 1;

    if (load_config(o->config, o->room, &k.cfg, &forms, &err) != 0) {
        qn_set_free(forms);
        fprintf(stderr, "haven-kiosk: %s\n", err.text);
        return 2;
    }
    k.opts = o;
    if (apply_overrides(&k.cfg, o) != 0) {
        qn_set_free(forms);
        return 2;
    }
    /* SIGHUP is waited for by its own thread: block it before any thread starts. */
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, NULL);
    /* Whatever the kiosk creates is its own (databases, -wal and -shm files, which SQLite
     * makes later): a umask of 022 outside systemd must not make them world-readable. */
    umask(077);
    if (open_outbox(&k, o->state) != 0)
        goto out_outbox;
    if (kcfg_load_pins(&k.cfg, &err) != 0) {  /* relative to the state directory */
        fprintf(stderr, "haven-kiosk: %s\n", err.text);
        status = 2;
        goto out_outbox;
    }
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        log_error("SDL: %s", SDL_GetError());
        goto out_outbox;
    }
    control_event_type = SDL_RegisterEvents(3);
    reload_event_type = control_event_type + 1;
    pin_event_type = control_event_type + 2;
    if (ui_open(&k.ui, k.cfg.font, k.cfg.dpi, o->w, o->h) != 0)
        goto out_sdl;
    SDL_ShowCursor(SDL_DISABLE);
    if (start_net(&k) != 0)
        goto out_ui;
    k.link.publish = link_publish;
    k.link.ctx = k.net;
    app_init(&k.app, &k.cfg, k.outbox, &k.link, clock_now_ms());
    app_forms_attach(&k.app, forms, k.journal, clock_now_ms());
    forms = NULL;  /* the app's now */
    k.sound = k.app.sound = sound_mixer_open(&k.cfg.sound, clock_now_ms());
    k.seen_checkin = k.app.checkin;
    k.seen_call = k.app.call;
    start_threads(&k, &hup);
    log_info("kiosk for %s (%s) via %s:%d", k.cfg.room, k.cfg.room_label, k.cfg.broker.host,
             k.cfg.broker.port);
    loop(&k);
    log_info("stopping");
    status = 0;
    sound_close(k.sound);
    net_stop(k.net, k.app.topic_status, "{\"online\":false}");
out_ui:
    ui_close(&k.ui);
out_sdl:
    SDL_Quit();
out_outbox:
    qn_set_free(forms);
    app_forms_free(&k.app);
    journal_close(k.journal);
    outbox_close(k.outbox);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc;

    started_ms = clock_mono_ms();
    log_set_tag("kiosk");
    if (argc >= 2 && !strcmp(argv[1], "hash-pin"))
        return hash_pin();
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "check")) {
        if ((rc = parse_args(argc - 1, argv + 1, &o)) != 0)
            return rc;
        return check(&o);
    }
    if ((rc = parse_args(argc, argv, &o)) != 0)
        return rc;
    return run(&o);
}
