/* kiosk_fixture.c - start, drive, photograph and crash the real haven-kiosk. */
#include "kiosk_fixture.h"
#include "check.h"
#include "kcfg.h"
#include "ui.h"

#include <SDL2/SDL_image.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HAVEN_KIOSK_BIN
#error "HAVEN_KIOSK_BIN must name the haven-kiosk binary"
#endif

/* Waits for the kiosk's retained status to say online. */
static int wait_online(struct kiosk_fixture *k)
{
    char topic[256], *m;
    hv_client *c = rf_client(k->rf, "kf-status");
    int rc = -1;

    snprintf(topic, sizeof topic, "%s/room/%s/kiosk/status", k->rf->prefix, k->room);
    if (!c || hv_client_sub(c, topic, 1) != 0)
        goto out;
    for (int64_t end = hv_now_us() + 10000000; rc != 0 && hv_now_us() < end;) {
        m = hv_client_expect(c, topic, 500);
        if (m && strstr(m, "\"online\":true"))
            rc = 0;
        free(m);
    }
out:
    hv_client_free(c);
    if (rc != 0)
        fprintf(stderr, "kiosk_fixture: kiosk did not come online in 10 s\n");
    return rc;
}

int kf_restart(struct kiosk_fixture *k, bool wait)
{
    char broker[96], size[32];

    if (k->broker[0])
        snprintf(broker, sizeof broker, "%s", k->broker);
    else
        snprintf(broker, sizeof broker, "127.0.0.1:%d",
                 k->rf->room_port ? k->rf->room_port : k->rf->port);
    snprintf(size, sizeof size, "%dx%d", k->w, k->h);
    setenv("SDL_VIDEODRIVER", "dummy", 1);  /* offscreen dlopens EGL, which LeakSanitizer blames on us */
    setenv("SDL_AUDIODRIVER", k->audio_file[0] ? "disk" : "dummy", 1);
    if (k->audio_file[0])
        setenv("SDL_DISKAUDIOFILE", k->audio_file, 1);
    setenv("HAVEN_KIOSK_CONTROL", k->fifo, 1);
    char *const argv[] = { HAVEN_KIOSK_BIN, "--config", (char *)k->rf->cfg_path, "--room", k->room,
                           "--broker", broker, "--windowed", size, "--state", k->state, NULL };
    k->proc = hv_proc_spawn_netns(k->netns, argv, k->log_path);
    unsetenv("HAVEN_KIOSK_CONTROL");
    unsetenv("SDL_DISKAUDIOFILE");
    if (!k->proc)
        return -1;
    /* r+ never blocks on a FIFO, and the kiosk's reader sees no EOF between lines. */
    k->ctl = fopen(k->fifo, "r+");
    if (!k->ctl)
        return -1;
    setvbuf(k->ctl, NULL, _IOLBF, 0);
    return wait ? wait_online(k) : 0;
}

static int prepare(struct kiosk_fixture *k, const struct room_fixture *rf, const char *room,
                   int w, int h)
{
    char *dir = hv_tmpdir("kiosk");

    memset(k, 0, sizeof *k);
    if (!dir)
        return -1;
    k->rf = rf;
    k->w = w;
    k->h = h;
    k->dpi = 96;
    snprintf(k->room, sizeof k->room, "%s", room);
    snprintf(k->dir, sizeof k->dir, "%s", dir);
    free(dir);
    snprintf(k->state, sizeof k->state, "%s/state", k->dir);
    snprintf(k->fifo, sizeof k->fifo, "%s/control", k->dir);
    snprintf(k->log_path, sizeof k->log_path, "%s/kiosk.log", k->dir);
    if (mkfifo(k->fifo, 0600) != 0) {
        fprintf(stderr, "kiosk_fixture: mkfifo %s: %s\n", k->fifo, strerror(errno));
        return -1;
    }
    return 0;
}

int kf_start(struct kiosk_fixture *k, const struct room_fixture *rf, const char *room, int w,
             int h)
{
    return prepare(k, rf, room, w, h) == 0 ? kf_restart(k, true) : -1;
}

int kf_start_netns(struct kiosk_fixture *k, const struct room_fixture *rf, const char *room,
                   int w, int h, const char *netns, const char *broker)
{
    if (prepare(k, rf, room, w, h) != 0)
        return -1;
    snprintf(k->netns, sizeof k->netns, "%s", netns ? netns : "");
    snprintf(k->broker, sizeof k->broker, "%s", broker ? broker : "");
    return kf_restart(k, true);
}

int kf_start_disk_audio(struct kiosk_fixture *k, const struct room_fixture *rf,
                        const char *room, int w, int h)
{
    if (prepare(k, rf, room, w, h) != 0)
        return -1;
    snprintf(k->audio_file, sizeof k->audio_file, "%s/audio.raw", k->dir);
    return kf_restart(k, true);
}

static void close_ctl(struct kiosk_fixture *k)
{
    if (k->ctl)
        fclose(k->ctl);
    k->ctl = NULL;
}

void kf_kill(struct kiosk_fixture *k)
{
    if (k->proc) {
        hv_proc_signal(k->proc, SIGKILL);
        hv_proc_wait(k->proc, 5000);
        hv_proc_free(k->proc);
    }
    k->proc = NULL;
    close_ctl(k);
}

int kf_stop(struct kiosk_fixture *k)
{
    int status = k->proc ? hv_proc_stop(k->proc) : -1;

    hv_proc_free(k->proc);
    k->proc = NULL;
    close_ctl(k);
    return status;
}

void kf_finish(struct kiosk_fixture *k)
{
    kf_stop(k);
    if (check_current_failed) {
        char *log = hv_read_file(k->log_path);
        fprintf(stderr, "---- haven-kiosk log (%s) ----\n%s---- end ----\n", k->log_path,
                log ? log : "(none)\n");
        free(log);
    } else {
        hv_rm_rf(k->dir);
    }
}

int kf_send(struct kiosk_fixture *k, const char *line)
{
    if (!k->ctl || fprintf(k->ctl, "%s\n", line) < 0)
        return -1;
    return fflush(k->ctl) == 0 ? 0 : -1;
}

int kf_tapname(struct kiosk_fixture *k, const char *name)
{
    char line[96];
    snprintf(line, sizeof line, "tapname %s", name);
    return kf_send(k, line);
}

int kf_tap(struct kiosk_fixture *k, int x, int y)
{
    char line[64];
    snprintf(line, sizeof line, "tap %d %d", x, y);
    return kf_send(k, line);
}

SDL_Rect kf_help_rect(const struct kiosk_fixture *k)
{
    struct ui ui;

    memset(&ui, 0, sizeof ui);
    ui.w = k->w;
    ui.h = k->h;
    ui.dpi = k->dpi;
    return ui_help_rect(&ui);
}

int kf_tap_help(struct kiosk_fixture *k)
{
    SDL_Rect r = kf_help_rect(k);
    return kf_tap(k, r.x + r.w / 2, r.y + r.h / 2);
}

/* Copies the shot to $HAVEN_SHOTS_DIR, where a person (or CI) can look at it. */
static void keep_shot(const char *path, const char *name)
{
    const char *dir = getenv("HAVEN_SHOTS_DIR");
    char dest[700], *data;
    FILE *in, *out;
    size_t n;

    if (!dir || !*dir)
        return;
    mkdir(dir, 0755);
    snprintf(dest, sizeof dest, "%s/%s.png", dir, name);
    in = fopen(path, "rb");
    out = fopen(dest, "wb");
    data = malloc(65536);
    while (in && out && data && (n = fread(data, 1, 65536, in)) > 0)
        fwrite(data, 1, n, out);
    free(data);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
}

SDL_Surface *kf_shot(struct kiosk_fixture *k, const char *name)
{
    char path[700], line[720];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s.png", k->dir, name);
    unlink(path);
    snprintf(line, sizeof line, "shot %s", path);
    if (kf_send(k, line) != 0)
        return NULL;
    for (int i = 0; i < 100 && stat(path, &st) != 0; i++)
        hv_sleep_ms(50);
    SDL_Surface *raw = IMG_Load(path);
    if (!raw) {
        fprintf(stderr, "kiosk_fixture: no screenshot %s: %s\n", path, IMG_GetError());
        return NULL;
    }
    keep_shot(path, name);
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(raw);
    return s;
}

SDL_Color kf_pixel(SDL_Surface *s, int x, int y)
{
    const Uint8 *p = (const Uint8 *)s->pixels + y * s->pitch + x * 4;
    SDL_Color c = { p[0], p[1], p[2], p[3] };
    return c;
}

static bool near(SDL_Color a, SDL_Color b, int tol)
{
    return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

int kf_count_colour(SDL_Surface *s, SDL_Rect r, SDL_Color c, int tol)
{
    int n = 0;

    for (int y = r.y; y < r.y + r.h && y < s->h; y++)
        for (int x = r.x; x < r.x + r.w && x < s->w; x++)
            n += near(kf_pixel(s, x, y), c, tol);
    return n;
}

bool kf_help_is(struct kiosk_fixture *k, const char *name, SDL_Color c)
{
    SDL_Rect r = kf_help_rect(k);

    for (int i = 0; i < 50; i++) {
        SDL_Surface *s = kf_shot(k, name);
        double share = s ? (double)kf_count_colour(s, r, c, 6) / (r.w * r.h) : 0;
        SDL_FreeSurface(s);
        if (share > 0.5)
            return true;
        hv_sleep_ms(100);
    }
    fprintf(stderr, "help button of %s never took the expected colour\n", name);
    return false;
}

bool kf_wait_log(const struct kiosk_fixture *k, const char *needle, int timeout_ms)
{
    for (int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000; hv_now_us() < end;) {
        char *log = hv_read_file(k->log_path);
        bool found = log && strstr(log, needle);
        free(log);
        if (found)
            return true;
        hv_sleep_ms(50);
    }
    return false;
}

const char *kf_pin_file(const char *pin, const char *name)
{
    static char path[600];
    char hash[256], line[400], *dir = hv_tmpdir("kiosk-pins");

    if (!dir || kcfg_hash_pin(pin, hash, sizeof hash) != 0) {
        free(dir);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/staff-pins", dir);
    free(dir);
    snprintf(line, sizeof line, "%s%s%s\n", name ? name : "", name ? ":" : "", hash);
    if (hv_write_file(path, line) != 0 || chmod(path, 0600) != 0)
        return NULL;
    return path;
}
