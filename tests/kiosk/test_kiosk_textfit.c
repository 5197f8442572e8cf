/*
 * test_kiosk_textfit.c - every form screen's text fits (issue 14, defect 5):
 * the real kiosk at 1024x600, 1280x800 and 1920x1080, in English and in
 * Spanish, walked through every item of the four shipped forms (the safety
 * checklist, PHQ-9 and GAD-7 at intake, the discharge checklist), each with
 * the answer that shows the items that depend on it.
 *
 * On every screen the kiosk reports what it drew ("texts PATH": each text
 * with its box and its ink, from the drawing itself, and the touch targets),
 * and the test checks, against the form files read here:
 *   - the stem, the question and every answer are there, whole (not cut,
 *     not dropped), as are an intro's title, text and attribution;
 *   - every text is inside the window, no line is wider than its box, a
 *     button's label is inside its button, free text lies on no button;
 *   - no two texts overlap;
 *   - the stem, the question and the answers are at least 4.5 mm per em
 *     (about 13 pt at the panel's real DPI), the floor kept for older patients.
 * One kiosk per size and language steps through all the screens, waiting on
 * the report file (inotify), never on a sleep.  Screens that fail, and a few
 * named ones (PHQ-9 item 8 and both difficulty items), are saved as PNG in
 * $HAVEN_SHOTS_DIR ("textfit-*.png"); HAVEN_TEXTFIT_SHOTS=all saves every one.
 */
#include "check.h"
#include "kiosk_fixture.h"
#include "questionnaire.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

#define ROOM "chair-1"
#define FLOOR_MM 4.5              /* the smallest text: 4.5 mm per em (about 13 pt) */
#define REPORT_TEXTS 48
#define REPORT_TARGETS 16
#define WAIT_MS 10000

static const char *const intake[] = { "safety-checklist", "phq-9", "gad-7" };
static const char *const discharge[] = { "discharge-checklist" };

/* ---- the kiosk's report ----------------------------------------------------------------- */

struct text {
    int font, px, lines;
    SDL_Rect ink, box;
    bool button, over;
    char s[700];
};

struct report {
    char screen[32];
    int nt, nx;
    struct { char name[32]; SDL_Rect r; } t[REPORT_TARGETS];
    struct text x[REPORT_TEXTS];
};

/* \n in the report back to a newline. */
static void unescape(char *s)
{
    char *w = s;

    for (const char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            *w++ = '\n';
            p++;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
}

static bool parse_text(const char *line, struct text *t)
{
    char kind[8], fit[8];
    const char *tab = strchr(line, '\t');

    memset(t, 0, sizeof *t);
    if (!tab || sscanf(line, "text %d %d %d %d %d %d box %d %d %d %d %7s lines %d %7s", &t->font,
                       &t->px, &t->ink.x, &t->ink.y, &t->ink.w, &t->ink.h, &t->box.x, &t->box.y,
                       &t->box.w, &t->box.h, kind, &t->lines, fit) != 13)
        return false;
    t->button = strcmp(kind, "button") == 0;
    t->over = strcmp(fit, "over") == 0;
    snprintf(t->s, sizeof t->s, "%s", tab + 1);
    t->s[strcspn(t->s, "\n")] = '\0';
    unescape(t->s);
    return true;
}

static bool parse_report(const char *path, struct report *r)
{
    FILE *in = fopen(path, "r");
    char line[1024];
    bool end = false;

    memset(r, 0, sizeof *r);
    if (!in)
        return false;
    while (fgets(line, sizeof line, in)) {
        if (strncmp(line, "screen ", 7) == 0) {
            sscanf(line, "screen %31s", r->screen);
        } else if (strncmp(line, "target ", 7) == 0 && r->nt < REPORT_TARGETS) {
            SDL_Rect *q = &r->t[r->nt].r;
            if (sscanf(line, "target %31s %d %d %d %d", r->t[r->nt].name, &q->x, &q->y, &q->w,
                       &q->h) == 5)
                r->nt++;
        } else if (strncmp(line, "text ", 5) == 0 && r->nx < REPORT_TEXTS) {
            if (parse_text(line, &r->x[r->nx]))
                r->nx++;
        } else if (strcmp(line, "end\n") == 0) {
            end = true;
        }
    }
    fclose(in);
    return end;
}

static bool has_target(const struct report *r, const char *name)
{
    for (int i = 0; i < r->nt; i++)
        if (strcmp(r->t[i].name, name) == 0)
            return true;
    return false;
}

/* ---- waiting for the kiosk's files ------------------------------------------------------- */

/*
 * Sends line (which makes the kiosk write file in dir, renamed into place)
 * and waits for the file on inotify: true once it is there.
 */
static bool send_and_wait(struct kiosk_fixture *k, const char *dir, const char *file,
                          const char *line)
{
    char path[1200], buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct stat st;
    int fd = inotify_init1(IN_CLOEXEC), got = 0;
    int64_t end = hv_now_us() + (int64_t)WAIT_MS * 1000;

    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
    if (fd < 0 || inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0 ||
        kf_send(k, line) != 0) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    while (!got && stat(path, &st) != 0) {
        int left = (int)((end - hv_now_us()) / 1000);
        struct pollfd p = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t n = read(fd, buf, sizeof buf);
        for (char *e = buf; n > 0 && e < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)e;
            got |= ev->len && strcmp(ev->name, file) == 0;
            e += sizeof *ev + ev->len;
        }
    }
    close(fd);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "  the kiosk wrote no %s\n", path);
        return false;
    }
    return true;
}

static bool report(struct kiosk_fixture *k, struct report *r)
{
    char line[700];

    snprintf(line, sizeof line, "texts %s/texts.txt", k->dir);
    if (!send_and_wait(k, k->dir, "texts.txt", line))
        return false;
    snprintf(line, sizeof line, "%s/texts.txt", k->dir);
    return parse_report(line, r);
}

/* The screen as PNG: textfit-<name>.png in $HAVEN_SHOTS_DIR (else the kiosk's dir). */
static void shot(struct kiosk_fixture *k, const char *name)
{
    const char *dir = getenv("HAVEN_SHOTS_DIR");
    char file[200], line[1200];

    if (!dir || !*dir)
        dir = k->dir;
    mkdir(dir, 0755);
    snprintf(file, sizeof file, "textfit-%s.png", name);
    snprintf(line, sizeof line, "shot %s/%s", dir, file);
    CHECK(send_and_wait(k, dir, file, line));
}

/* A tap on the current screen's target name. */
static void tap(struct kiosk_fixture *k, const char *name)
{
    CHECK(kf_tapname(k, name) == 0);
}

/* ---- the checks ---------------------------------------------------------------------------- */

static bool overlap(SDL_Rect a, SDL_Rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static bool inside(SDL_Rect in, SDL_Rect out)
{
    return in.x >= out.x && in.y >= out.y && in.x + in.w <= out.x + out.w &&
           in.y + in.h <= out.y + out.h;
}

/* What a screen must show whole: the strings, and which of them keep the font floor. */
struct expect {
    const char *s[QN_OPTIONS_MAX + 4];
    bool floor[QN_OPTIONS_MAX + 4];
    int n;
};

static void expect_add(struct expect *e, const char *s, bool floor)
{
    if (s && *s) {
        e->s[e->n] = s;
        e->floor[e->n++] = floor;
    }
}

static int failures;

static void fail(const char *what, const char *fmt, const char *s, const struct text *t)
{
    fprintf(stderr, "  %s: %s \"%.60s%s\"", what, fmt, s, strlen(s) > 60 ? "..." : "");
    if (t)
        fprintf(stderr, " (font %d, %d px, ink %d %d %d %d, box %d %d %d %d, %d lines)", t->font,
                t->px, t->ink.x, t->ink.y, t->ink.w, t->ink.h, t->box.x, t->box.y, t->box.w,
                t->box.h, t->lines);
    fputc('\n', stderr);
    failures++;
}

/* The report's checks for one screen (what names it); false if any failed. */
static bool check_screen(const struct kiosk_fixture *k, const struct report *r,
                         const struct expect *e, const char *what)
{
    SDL_Rect win = { 0, 0, k->w, k->h }, help = kf_help_rect(k);
    int before = failures;

    for (int i = 0; i < r->nx; i++) {
        const struct text *t = &r->x[i];
        SDL_Rect column = { t->box.x, t->ink.y, t->box.w, t->ink.h };
        if (!inside(t->ink, win))
            fail(what, "off the window:", t->s, t);
        if (t->over)
            fail(what, "a line wider than its box:", t->s, t);
        if (t->button && !inside(t->ink, t->box))
            fail(what, "cut by its button:", t->s, t);
        if (!t->button && t->box.w > 0 && !inside(t->ink, column))
            fail(what, "out of its column:", t->s, t);
        for (int j = 0; !t->button && j < r->nt; j++)
            if (overlap(t->ink, r->t[j].r))
                fail(what, "on a button:", t->s, t);
        if (!t->button && overlap(t->ink, help))
            fail(what, "on the help button:", t->s, t);
        for (int j = 0; j < i; j++)
            if (overlap(t->ink, r->x[j].ink))
                fail(what, "overlapping another text:", t->s, t);
    }
    for (int i = 0; i < e->n; i++) {
        const struct text *t = NULL;
        for (int j = 0; j < r->nx && !t; j++)
            if (strcmp(r->x[j].s, e->s[i]) == 0)
                t = &r->x[j];
        if (!t)
            fail(what, "missing or cut:", e->s[i], NULL);
        else if (e->floor[i] && t->px < (int)ceil(FLOOR_MM * k->dpi / 25.4 - 1e-9))
            fail(what, "below the floor of 4.5 mm:", e->s[i], t);
    }
    return failures == before;
}

/* ---- walking the forms ------------------------------------------------------------------- */

struct walk {
    struct room_fixture f;
    struct kiosk_fixture k;
    const char *lang;
    char tag[32];             /* "1024x600-es" */
    int screens;
};

static bool wanted_shot(const char *name)
{
    const char *all = getenv("HAVEN_TEXTFIT_SHOTS");
    static const char *const named[] = { "phq-9-8", "phq-9-10", "gad-7-8", "phq-9-intro" };

    if (all && strcmp(all, "all") == 0)
        return true;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(name, named[i]) == 0)
            return true;
    return false;
}

/* Reports the screen now, checks it against e, photographs it if it failed or is wanted. */
static bool look(struct walk *w, const struct expect *e, const char *name, struct report *r)
{
    char what[96];

    snprintf(what, sizeof what, "%s %s", w->tag, name);
    if (!report(&w->k, r)) {
        fail(what, "no report", "", NULL);
        return false;
    }
    w->screens++;
    bool ok = check_screen(&w->k, r, e, what);
    if (!ok || wanted_shot(name)) {
        snprintf(what, sizeof what, "%s-%s", w->tag, name);
        shot(&w->k, what);
    }
    return ok;
}

/*
 * One form from its intro to its review, sent: each item answered with its
 * last answer (the one that shows the items that depend on it: "not sure",
 * "nearly every day"); a safety message on the way is checked and continued.
 */
static void walk_form(struct walk *w, const char *name)
{
    char path[600], label[64];
    struct qn_form form;
    struct cfg_error err;
    struct qn_answers ans;
    struct expect e = { 0 };
    struct report *r = calloc(1, sizeof *r);
    enum qn_lang lang = qn_lang_of(w->lang);

    snprintf(path, sizeof path, "%s/config/questionnaires/%s.cfg", HAVEN_SOURCE_DIR, name);
    REQUIRE(r && qn_form_load(path, &form, &err) == 0);
    qn_answers_clear(&ans);
    expect_add(&e, qn_text(&form.title, lang), false);
    expect_add(&e, qn_text(&form.intro, lang), false);
    expect_add(&e, qn_text(&form.attribution, lang), false);
    snprintf(label, sizeof label, "%s-intro", name);
    look(w, &e, label, r);
    CHECK(strcmp(r->screen, "form") == 0 && has_target(r, "start"));
    tap(&w->k, "start");
    for (int i = qn_next_visible(&form, &ans, -1); i < form.nitems;
         i = qn_next_visible(&form, &ans, i)) {
        const struct qn_item *it = &form.items[i];
        char opt[16];
        memset(&e, 0, sizeof e);
        if (!it->own_options)  /* the stem heads the questions on the form's answers */
            expect_add(&e, qn_text(&form.stem, lang), true);
        expect_add(&e, qn_text(&it->text, lang), true);
        for (int o = 0; o < it->nopts; o++)
            expect_add(&e, qn_text(&it->opts[o].text, lang), true);
        snprintf(label, sizeof label, "%s-%d", name, i + 1);
        look(w, &e, label, r);
        CHECK(has_target(r, "option-1"));
        snprintf(opt, sizeof opt, "option-%d", it->nopts);
        tap(&w->k, opt);
        if (it->multiple) {  /* a check box: chosen, then Next confirms it */
            ans.sel[i] = (uint16_t)(1u << (it->nopts - 1));
            tap(&w->k, "next");
        } else {
            ans.opt[i] = (int8_t)(it->nopts - 1);
        }
        memset(&e, 0, sizeof e);
        if (report(&w->k, r) && has_target(r, "continue")) {  /* a safety message */
            snprintf(label, sizeof label, "%s-%d-message", name, i + 1);
            look(w, &e, label, r);
            tap(&w->k, "continue");
        }
    }
    memset(&e, 0, sizeof e);
    snprintf(label, sizeof label, "%s-review", name);
    look(w, &e, label, r);
    CHECK(has_target(r, "send"));
    tap(&w->k, "send");
    qn_form_free(&form);
    free(r);
}

static char *config(int dpi)
{
    char extra[1024];

    snprintf(extra, sizeof extra,
             "kiosk = { dpi = %d; questionnaires = {\n"
             "  dir = \"%s/config/questionnaires\";\n"
             "  intake = [ \"%s\", \"%s\", \"%s\" ];\n"
             "  discharge = [ \"%s\" ];\n"
             "  crisis_line = { en = \"Call or text 988, any time.\";"
             " es = \"Llame o envíe un mensaje al 988, a cualquier hora.\"; };\n"
             "}; };\n", dpi, HAVEN_SOURCE_DIR, intake[0], intake[1], intake[2], discharge[0]);
    return rf_default_config("%PREFIX%", extra);
}

/*
 * Sends the station's command json to the kiosk and waits for its retained
 * status to say phase (the screen for it is then what the next report shows).
 */
static bool station_cmd(const struct room_fixture *f, const char *json, const char *phase)
{
    hv_client *station = rf_client(f, "station");
    char want[48], *msg = NULL;
    bool ok = station && hv_client_sub(station, rf_topic(f, "room/" ROOM "/kiosk/status"), 1) == 0 &&
              hv_client_pub(station, rf_topic(f, "room/" ROOM "/kiosk/cmd"), json, 1, false) == 0;
    int64_t end = hv_now_us() + (int64_t)WAIT_MS * 1000;

    snprintf(want, sizeof want, "\"phase\":\"%s\"", phase);
    while (ok && !(msg && strstr(msg, want)) && hv_now_us() < end) {
        free(msg);
        msg = hv_client_expect(station, rf_topic(f, "room/" ROOM "/kiosk/status"),
                               (int)((end - hv_now_us()) / 1000) + 1);
        ok = msg != NULL;
    }
    ok = ok && msg && strstr(msg, want);
    free(msg);
    hv_client_free(station);
    if (!ok)
        fprintf(stderr, "  the kiosk's status never said %s\n", want);
    return ok;
}

/* Every form screen of a visit at w x h in lang. */
static void walk(int width, int height, int dpi, const char *lang)
{
    struct walk *w = calloc(1, sizeof *w);
    char *cfg = config(dpi), cmd[128];
    int64_t t0 = hv_now_us();

    REQUIRE(w && cfg);
    w->lang = lang;
    snprintf(w->tag, sizeof w->tag, "%dx%d-%ddpi-%s", width, height, dpi, lang);
    REQUIRE(rf_start(&w->f, cfg, false) == 0);
    free(cfg);
    REQUIRE(kf_start(&w->k, &w->f, ROOM, width, height) == 0);
    w->k.dpi = dpi;
    snprintf(cmd, sizeof cmd, "{\"cmd\":\"begin_visit\",\"visit\":\"V-FIT\",\"lang\":\"%s\"}", lang);
    REQUIRE(station_cmd(&w->f, cmd, "intake"));
    for (size_t i = 0; i < sizeof intake / sizeof intake[0]; i++)
        walk_form(w, intake[i]);
    REQUIRE(station_cmd(&w->f, "{\"cmd\":\"phase\",\"phase\":\"discharge\"}", "discharge"));
    walk_form(w, discharge[0]);
    fprintf(stderr, "%s: %d screens checked in %lld ms\n", w->tag, w->screens,
            (long long)((hv_now_us() - t0) / 1000));
    kf_finish(&w->k);
    rf_finish(&w->f);
    free(w);
}

/* The sizes, each at a DPI of a real panel of that size (docs/deploy-kiosk.md). */
static const struct { int w, h, dpi; } sizes[] = {
    { 1024, 600, 170 },       /* 7": the densest, where issue 14 saw the stem dropped */
    { 1280, 800, 149 },       /* 10.1" */
    { 1920, 1080, 166 },      /* 13.3" */
};

static void test_text_fits(void)
{
    const char *dpi = getenv("HAVEN_TEXTFIT_DPI");  /* to try another */

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int d = dpi ? atoi(dpi) : sizes[i].dpi;
        walk(sizes[i].w, sizes[i].h, d, "en");
        walk(sizes[i].w, sizes[i].h, d, "es");
    }
    CHECK_INT_EQ(failures, 0);
}

int main(void)
{
    RUN(test_text_fits);
    return CHECK_SUMMARY();
}
