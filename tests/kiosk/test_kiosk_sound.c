/*
 * test_kiosk_sound.c - the kiosk's ambient sound, measured: the real kiosk
 * plays through SDL's disk audio driver (raw samples written in real time)
 * and the test analyses the file in 50 ms windows.
 *
 * The test tracks are pure tones made with sox (440 Hz, 660 Hz; the chime
 * 1500 Hz), so a Goertzel filter tells each apart inside the mix:
 *
 *  - music is audible once the infusion begins;
 *  - between tracks the level falls over the fade and rises again (no
 *    abrupt cut), and no silence inside the music lasts over a second;
 *  - "louder" pressed past the staff's ceiling stops at it: the level
 *    matches the ceiling relative to full volume, and nothing exceeds it;
 *  - a missing file in the playlist is logged and skipped: the next plays;
 *  - the check-in chime sounds with the music ducked under it, and the
 *    music comes back after it;
 *  - the patient's theme is published (retained) on kiosk/theme with its
 *    scene and the phase, again at each phase change, and cleared when the
 *    visit ends;
 *  - SIGHUP takes a new playlist at the next track, not in the middle of one;
 *  - with no playable file the kiosk is silent and the staff menu says why.
 */
#include "check.h"
#include "json_util.h"
#include "kcfg.h"
#include "kiosk_fixture.h"
#include "kit.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM "chair-1"
#define W 1280
#define H 800
#define PIN "2468"
#define RATE 44100
#define WIN_MS 50
#define WIN (RATE * WIN_MS / 1000)
#define TONE_AMP 0.5              /* the test tracks' peak, of full scale */
#define CEILING 50                /* volume_max in the test config, % */

/* ---- test tracks ---------------------------------------------------------------------- */

static char tracks_dir[512];

/* A tone of freq Hz, secs long, peak TONE_AMP, as OGG Vorbis at dir/name. */
static int make_tone(const char *name, double freq, double secs)
{
    char cmd[1400];

    snprintf(cmd, sizeof cmd, "sox -V1 -n -r %d -c 2 -C 4 '%s/%s' synth %.2f sine %.1f "
             "gain -n %.2f", RATE, tracks_dir, name, secs, freq, 20 * log10(TONE_AMP));
    return system(cmd) == 0 ? 0 : -1;
}

static int make_tracks(void)
{
    char *dir = hv_tmpdir("sound");

    if (!dir)
        return -1;
    snprintf(tracks_dir, sizeof tracks_dir, "%s", dir);
    free(dir);
    return make_tone("a440.ogg", 440, 6) || make_tone("b660.ogg", 660, 6) ||
           make_tone("c880.ogg", 880, 6) || make_tone("chime.ogg", 1500, 0.8) ? -1 : 0;
}

/* The test clinic with the staff PIN and a sound section whose playlists are given. */
static char *config(const char *playlists, const char *phases)
{
    char extra[4096];
    const char *hash = kf_pin_file(PIN, NULL);

    if (!hash)
        return NULL;
    snprintf(extra, sizeof extra,
             "kiosk = { pin_file = \"%s\";\n"
             "  sound = { assets = \"%s\"; volume = 40; volume_max = %d; fade = 1.0;\n"
             "    chime = \"chime.ogg\"; chime_volume = %d;\n"
             "    playlists = { %s };\n"
             "    phases = { %s };\n"
             "    themes = ( { name = \"nature\"; playlist = \"test\"; scene = \"forest\"; },\n"
             "               { name = \"silence\"; } );\n"
             "  };\n"
             "};\n", hash, tracks_dir, CEILING, CEILING, playlists, phases);
    return rf_default_config("%PREFIX%", extra);
}

#define TEST_LIST "test = { files = [ \"a440.ogg\", \"missing.ogg\", \"b660.ogg\" ]; };"

/* True if payload's string member key is want. */
static bool json_str_is(const char *payload, const char *key, const char *want)
{
    const char *v = json_str(payload, key);
    return v && strcmp(v, want) == 0;
}

/* ---- the kiosk -------------------------------------------------------------------------- */

static void send_line(struct kiosk_fixture *k, const char *line)
{
    CHECK(kf_send(k, line) == 0);
}

static void station_cmd(hv_client *station, const struct room_fixture *f, const char *json)
{
    CHECK(hv_client_pub(station, rf_topic(f, "room/" ROOM "/kiosk/cmd"), json, 1, false) == 0);
}

/* How many times needle is in the kiosk's log. */
static int log_count(const struct kiosk_fixture *k, const char *needle)
{
    char *log = hv_read_file(k->log_path);
    int n = 0;

    for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(log);
    return n;
}

/* Waits until needle is in the log at least n times. */
static bool wait_count(const struct kiosk_fixture *k, const char *needle, int n, int timeout_ms)
{
    for (int64_t end = hv_now_us() + timeout_ms * 1000LL; hv_now_us() < end; hv_sleep_ms(50))
        if (log_count(k, needle) >= n)
            return true;
    fprintf(stderr, "  waited %d ms for %d x '%s'\n", timeout_ms, n, needle);
    return false;
}

static void stop_kiosk(struct kiosk_fixture *k)
{
    CHECK_INT_EQ(kf_stop(k), 0);
    char *log = hv_read_file(k->log_path);
    CHECK(log && !strstr(log, "runtime error") && !strstr(log, "Sanitizer"));
    free(log);
}

/* ---- the analysis ------------------------------------------------------------------------ */

/* One 50 ms window of the left channel: overall level, and each tone's amplitude. */
struct win {
    double rms, peak;             /* of full scale */
    double music;                 /* the 440, 660 or 880 Hz tone, whichever is strongest */
    double chime;                 /* the 1500 Hz tone */
    int track;                    /* 0: 440, 1: 660, 2: 880, -1: none to speak of */
};

struct take {
    struct win *w;
    int n;
};

/* A tone's amplitude (of full scale) at freq in x[0..n) (Goertzel). */
static double goertzel(const double *x, int n, double freq)
{
    double k = 2 * cos(2 * M_PI * freq / RATE), s1 = 0, s2 = 0;

    for (int i = 0; i < n; i++) {
        double s0 = x[i] + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return 2 * sqrt(fmax(0, s1 * s1 + s2 * s2 - k * s1 * s2)) / n;
}

/* Reads the raw S16 stereo file into windows. */
static int analyse(const char *path, struct take *t)
{
    static const double tones[3] = { 440, 660, 880 };
    FILE *f = fopen(path, "rb");
    int16_t frame[WIN * 2];
    double x[WIN];

    memset(t, 0, sizeof *t);
    if (!f)
        return -1;
    while (fread(frame, sizeof frame, 1, f) == 1) {
        struct win w = { 0, 0, 0, 0, -1 };
        double sum = 0;
        struct win *grown = realloc(t->w, (size_t)(t->n + 1) * sizeof *t->w);
        if (!grown)
            break;
        t->w = grown;
        for (int i = 0; i < WIN; i++) {
            x[i] = frame[2 * i] / 32768.0;
            sum += x[i] * x[i];
            w.peak = fmax(w.peak, fabs(x[i]));
        }
        w.rms = sqrt(sum / WIN);
        for (int i = 0; i < 3; i++) {
            double a = goertzel(x, WIN, tones[i]);
            if (a > w.music) {
                w.music = a;
                w.track = a > 0.01 ? i : -1;
            }
        }
        w.chime = goertzel(x, WIN, 1500);
        t->w[t->n++] = w;
    }
    fclose(f);
    return t->n > 0 ? 0 : -1;
}

/* The music's full level at the ceiling: the tone's amplitude times the ceiling's mixer volume. */
static double ceiling_level(void)
{
    return TONE_AMP * (CEILING * 128 / 100) / 128.0;
}

/* The first window from `from` where the music changes from track a to track b (their boundary). */
static int find_join(const struct take *t, int from, int a, int b, int *last_a, int *first_b)
{
    *last_a = *first_b = -1;
    for (int i = from; i < t->n; i++) {
        if (t->w[i].track == a && t->w[i].music > 0.02)
            *last_a = i;
        if (*last_a >= 0 && t->w[i].track == b && t->w[i].music > 0.02) {
            *first_b = i;
            return 0;
        }
    }
    return -1;
}

/* The level n windows (of 50 ms) from i, or -1 off the end. */
static double music_at(const struct take *t, int i)
{
    return i >= 0 && i < t->n ? t->w[i].music : -1;
}

/*
 * The fade envelope around a join: the last 900 ms of the old track fall
 * (each 300 ms step lower, the middle of the fade neither full nor gone),
 * the first 900 ms of the new one rise the same way.
 */
static void check_fades(const struct take *t, int last_a, int first_b, double L)
{
    int step = 300 / WIN_MS;
    double out[4], in[4];

    for (int s = 0; s < 4; s++) {
        out[s] = music_at(t, last_a - (3 - s) * step);  /* -900, -600, -300, 0 ms */
        in[s] = music_at(t, first_b + s * step);        /* 0, +300, +600, +900 ms */
    }
    fprintf(stderr, "  fade out %.3f %.3f %.3f %.3f | fade in %.3f %.3f %.3f %.3f (full %.3f)\n",
            out[0], out[1], out[2], out[3], in[0], in[1], in[2], in[3], L);
    for (int s = 0; s < 3; s++) {
        CHECK(out[s] > out[s + 1]);
        CHECK(in[s] < in[s + 1]);
    }
    CHECK(out[0] > 0.5 * L);                     /* 900 ms before the join: still loud */
    CHECK(out[2] > 0.1 * L && out[2] < 0.6 * L); /* 300 ms before: well down, not gone */
    CHECK(in[1] > 0.1 * L && in[1] < 0.6 * L);   /* 300 ms after: coming up */
    CHECK(in[3] > 0.6 * L);                      /* 900 ms after: nearly full */
}

/* The longest run of silent windows (below -50 dBFS) between the first and the last audible. */
static int longest_silence_ms(const struct take *t)
{
    int first = -1, last = -1, run = 0, longest = 0;

    for (int i = 0; i < t->n; i++) {
        if (t->w[i].rms > 0.01) {
            if (first < 0)
                first = i;
            last = i;
        }
    }
    for (int i = first; first >= 0 && i <= last; i++) {
        run = t->w[i].rms < 0.00316 ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    return longest * WIN_MS;
}

/* ---- the clinic ---------------------------------------------------------------------------- */

/* The test clinic (broker, controller), the kiosk and a nurse station. */
struct clinic {
    struct room_fixture f;
    struct kiosk_fixture k;
    hv_client *station;
};

/*
 * Starts the clinic with playlists (the infusion plays "test"), the kiosk
 * (its sound to a file when disk, else SDL's dummy output) and a station,
 * which begins visit and moves it to the infusion.  0 or -1.
 */
static int clinic_start(struct clinic *c, const char *playlists, bool disk, const char *visit)
{
    char *cfg = config(playlists, "infusion = \"test\";"), json[128];
    int rc;

    if (!cfg)
        return -1;
    rc = rf_start(&c->f, cfg, false);
    free(cfg);
    if (rc != 0 || (disk ? kf_start_disk_audio(&c->k, &c->f, ROOM, W, H)
                         : kf_start(&c->k, &c->f, ROOM, W, H)) != 0)
        return -1;
    if (!(c->station = rf_client(&c->f, "station")))
        return -1;
    snprintf(json, sizeof json, "{\"cmd\":\"begin_visit\",\"visit\":\"%s\",\"lang\":\"en\"}",
             visit);
    station_cmd(c->station, &c->f, json);
    station_cmd(c->station, &c->f, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}");
    return 0;
}

static void clinic_finish(struct clinic *c)
{
    hv_client_free(c->station);
    kf_finish(&c->k);
    rf_finish(&c->f);
}

/* "playing <tracks>/name", the kiosk's log line as a track starts (rotating buffers). */
static const char *playing(const char *name)
{
    static char buf[4][600];
    static int next;
    char *b = buf[next++ % 4];

    snprintf(b, sizeof buf[0], "playing %s/%s", tracks_dir, name);
    return b;
}

/* ---- the tests ---------------------------------------------------------------------------- */

/*
 * One infusion: a440, (missing), b660, a440 again; "louder" past the ceiling
 * after the first starts; the check-in chime in the middle of b660.
 */
static void test_music_fades_ceiling_skip_chime(void)
{
    struct clinic c;
    struct take t;

    REQUIRE(clinic_start(&c, TEST_LIST, true, "V-SOUND") == 0);
    CHECK(kf_wait_log(&c.k, "sound: disk output at 44100 Hz, 16-bit integer, 2 channels", 5000));

    REQUIRE(wait_count(&c.k, playing("a440.ogg"), 1, 5000));
    for (int i = 0; i < 3; i++)  /* 40 -> 50 (the ceiling) -> 50 -> 50 */
        send_line(&c.k, "tapname sound-louder");
    CHECK(kf_wait_log(&c.k, "sound: volume 50% (ceiling 50%)", 3000));
    REQUIRE(wait_count(&c.k, playing("b660.ogg"), 1, 12000));
    CHECK(log_count(&c.k, "sound: skipping ") == 1);
    CHECK(kf_wait_log(&c.k, "missing.ogg", 10));
    hv_sleep_ms(1500);           /* into b660's steady part */
    send_line(&c.k, "checkin");
    CHECK(kf_wait_log(&c.k, "sound: chime", 3000));
    REQUIRE(wait_count(&c.k, playing("a440.ogg"), 2, 12000));
    hv_sleep_ms(1500);
    stop_kiosk(&c.k);

    REQUIRE(analyse(c.k.audio_file, &t) == 0);
    double L = ceiling_level(), loud = 0, peak = 0;
    int audible = 0, last_a, first_b, chime_at = -1;

    for (int i = 0; i < t.n; i++) {
        audible += t.w[i].rms > 0.05;
        if (t.w[i].chime < 0.01)     /* music alone */
            peak = fmax(peak, t.w[i].peak);
        if (t.w[i].track >= 0)
            loud = fmax(loud, t.w[i].music);
        if (chime_at < 0 && t.w[i].chime > 0.05)
            chime_at = i;
    }
    fprintf(stderr, "  %d windows, %d audible; music at most %.3f, peak %.3f (ceiling %.3f); "
            "longest silence %d ms\n", t.n, audible, loud, peak, L, longest_silence_ms(&t));
    /* audible: several seconds of music */
    CHECK(audible * WIN_MS > 8000);
    /* the ceiling: "louder" reached it, and nothing went past it (Vorbis rounds a little) */
    CHECK(loud > 0.9 * L);
    CHECK(loud < 1.05 * L);
    CHECK(peak < 1.05 * L);
    /* no silent gap over a second once the music has begun */
    CHECK(longest_silence_ms(&t) < 1000);
    /* the fades: a440 into b660 (the missing file between them skipped), and back */
    REQUIRE(find_join(&t, 0, 0, 1, &last_a, &first_b) == 0);
    CHECK((first_b - last_a) * WIN_MS < 1000);
    check_fades(&t, last_a, first_b, L);
    REQUIRE(find_join(&t, first_b, 1, 0, &last_a, &first_b) == 0);
    check_fades(&t, last_a, first_b, L);
    /* the chime, with the music ducked under it and back after */
    REQUIRE(chime_at > 10);
    double before = music_at(&t, chime_at - 8), under = 1, after = music_at(&t, chime_at + 36);
    for (int i = chime_at + 6; i < chime_at + 12; i++)  /* 300..600 ms into the chime */
        under = fmin(under, music_at(&t, i));
    fprintf(stderr, "  chime %.3f; music before %.3f, under it %.3f, after %.3f\n",
            t.w[chime_at + 4].chime, before, under, after);
    CHECK(before > 0.8 * L);
    CHECK(under < 0.5 * before);
    CHECK(under > 0.1 * before);  /* ducked, not stopped */
    CHECK(after > 0.8 * L);       /* 1.8 s later: back */

    free(t.w);
    clinic_finish(&c);
}

/*
 * Pause fades out and stays silent; play fades the same track back in where
 * it was; next fades into the next track.
 */
static void test_pause_resume_next(void)
{
    struct clinic c;
    const char *a440 = playing("a440.ogg"), *b660 = playing("b660.ogg");
    struct take t;

    REQUIRE(clinic_start(&c, "test = { files = [ \"a440.ogg\", \"b660.ogg\" ]; };", true,
                         "V-PAUSE") == 0);
    REQUIRE(wait_count(&c.k, a440, 1, 5000));
    hv_sleep_ms(1500);
    send_line(&c.k, "tapname sound-toggle");
    CHECK(kf_wait_log(&c.k, "sound: paused", 3000));
    hv_sleep_ms(3000);
    send_line(&c.k, "tapname sound-toggle");
    CHECK(kf_wait_log(&c.k, "sound: resumed", 3000));
    hv_sleep_ms(1500);
    CHECK(log_count(&c.k, a440) == 2);   /* the same track, where it was */
    CHECK(log_count(&c.k, b660) == 0);
    send_line(&c.k, "tapname sound-next");
    REQUIRE(wait_count(&c.k, b660, 1, 5000));
    hv_sleep_ms(2000);
    stop_kiosk(&c.k);

    REQUIRE(analyse(c.k.audio_file, &t) == 0);
    double L = TONE_AMP * (40 * 128 / 100) / 128.0;  /* at volume 40 % */
    int start = -1, quiet = -1, back = -1, run = 0, last_a, first_b;
    for (int i = 0; i < t.n && back < 0; i++) {
        if (start < 0 && t.w[i].music > 0.5 * L)
            start = i;
        if (start < 0)
            continue;
        run = t.w[i].rms < 0.00316 ? run + 1 : 0;
        if (quiet < 0 && run * WIN_MS >= 1500)
            quiet = i - run + 1;             /* the pause: silence of 1.5 s or more */
        if (quiet >= 0 && t.w[i].music > 0.02)
            back = i;                         /* the music again */
    }
    REQUIRE(start >= 0 && quiet > 0 && back > quiet);
    fprintf(stderr, "  paused %d ms; before it %.3f %.3f %.3f; after %.3f %.3f %.3f (full %.3f)\n",
            (back - quiet) * WIN_MS, music_at(&t, quiet - 18), music_at(&t, quiet - 12),
            music_at(&t, quiet - 6), music_at(&t, back), music_at(&t, back + 6),
            music_at(&t, back + 18), L);
    CHECK((back - quiet) * WIN_MS > 1500);
    /* into the pause: a fade (level part way down 300 ms before the silence), not a cut */
    CHECK(music_at(&t, quiet - 18) > music_at(&t, quiet - 6));
    CHECK(music_at(&t, quiet - 6) > 0.05 * L && music_at(&t, quiet - 6) < 0.7 * L);
    /* out of it: the same tone (a440 resumed), rising */
    CHECK(t.w[back + 4].track == 0);
    CHECK(music_at(&t, back + 6) < music_at(&t, back + 18));
    CHECK(music_at(&t, back + 18) > 0.6 * L);
    /* next: a440 into b660 with a fade and no gap of a second */
    REQUIRE(find_join(&t, back, 0, 1, &last_a, &first_b) == 0);
    CHECK((first_b - last_a) * WIN_MS < 1000);
    CHECK(music_at(&t, last_a - 6) < music_at(&t, last_a - 18));
    free(t.w);
    clinic_finish(&c);
}

/* A nurse acknowledging the call: the chime (and none for pressing help). */
static void test_chime_on_ack(void)
{
    struct clinic c;
    char *m;

    REQUIRE(clinic_start(&c, TEST_LIST, false, "V-ACK") == 0);
    hv_client *nurse = rf_client(&c.f, "nurse");
    REQUIRE(nurse != NULL);
    REQUIRE(hv_client_sub(nurse, rf_topic(&c.f, "call/" ROOM), 1) == 0);
    CHECK(kf_wait_log(&c.k, "phase infusion", 5000));
    CHECK(kf_tap_help(&c.k) == 0);
    m = NULL;
    for (int i = 0; i < 10 && !(m && json_str(m, "id")); i++) {
        free(m);
        m = hv_client_expect(nurse, rf_topic(&c.f, "call/" ROOM), 1000);
    }
    REQUIRE(m != NULL && json_str(m, "id") != NULL);
    CHECK(log_count(&c.k, "sound: chime") == 0);
    char ack[160];
    snprintf(ack, sizeof ack, "{\"id\":\"%s\",\"by\":\"nurse-7\"}", json_str(m, "id"));
    free(m);
    CHECK(hv_client_pub(nurse, rf_topic(&c.f, "call/" ROOM "/ack/station"), ack, 1, false) == 0);
    CHECK(kf_wait_log(&c.k, "sound: chime", 5000));
    hv_sleep_ms(300);
    CHECK(log_count(&c.k, "sound: chime") == 1);

    stop_kiosk(&c.k);
    hv_client_free(nurse);
    clinic_finish(&c);
}

/*
 * Checks the next message cl gets on topic is the theme payload for theme and
 * phase, retained or not as said; returns it (free it), or NULL.
 */
static char *expect_theme(hv_client *cl, const char *topic, const char *theme,
                          const char *phase, bool retained)
{
    bool got_retained = !retained;
    char *m = hv_client_expect_t(cl, topic, 5000, NULL, &got_retained);

    CHECK(m != NULL);
    if (!m)
        return NULL;
    CHECK(got_retained == retained);
    CHECK(json_str_is(m, "theme", theme));
    CHECK(json_str_is(m, "phase", phase));
    CHECK(strstr(m, "\"ts\":\"") != NULL);
    return m;
}

/*
 * The patient's theme on kiosk/theme: its scene and phase, again at a phase
 * change, cleared at the end of the visit and after a restart.
 */
static void test_theme_published(void)
{
    struct clinic c;
    char *m;
    const char *topic;

    REQUIRE(clinic_start(&c, TEST_LIST, false, "V-THEME") == 0);
    hv_client *board = rf_client(&c.f, "board");
    REQUIRE(board != NULL);
    topic = rf_topic(&c.f, "room/" ROOM "/kiosk/theme");
    REQUIRE(hv_client_sub(board, topic, 1) == 0);

    CHECK(kf_wait_log(&c.k, "phase infusion", 5000));
    m = hv_client_expect(board, topic, 300);  /* no theme until the patient picks (at most the */
    CHECK(m == NULL || m[0] == '\0');         /* empty one the kiosk sent as it connected) */
    free(m);
    send_line(&c.k, "tapname theme-1");
    m = expect_theme(board, topic, "nature", "infusion", false);  /* live: retained below */
    CHECK(m && json_str_is(m, "scene", "forest"));
    free(m);

    station_cmd(c.station, &c.f, "{\"cmd\":\"phase\",\"phase\":\"recovery\"}");
    free(expect_theme(board, topic, "nature", "recovery", false));

    /* a newcomer gets it retained */
    hv_client *late = rf_client(&c.f, "late");
    REQUIRE(late && hv_client_sub(late, topic, 1) == 0);
    free(expect_theme(late, topic, "nature", "recovery", true));
    hv_client_free(late);

    send_line(&c.k, "tapname theme-2");  /* silence: no scene */
    m = expect_theme(board, topic, "silence", "recovery", false);
    CHECK(m && strstr(m, "\"scene\":null") != NULL);
    free(m);

    station_cmd(c.station, &c.f, "{\"cmd\":\"end_visit\"}");
    m = hv_client_expect(board, topic, 5000);
    REQUIRE(m != NULL);
    CHECK_STR_EQ(m, "");  /* the retained theme cleared */
    free(m);

    /* A restart forgets the choice: the kiosk clears the retained theme as it connects. */
    station_cmd(c.station, &c.f, "{\"cmd\":\"begin_visit\",\"visit\":\"V-AGAIN\",\"lang\":\"en\"}");
    station_cmd(c.station, &c.f, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}");
    CHECK(wait_count(&c.k, "phase infusion", 2, 5000));
    send_line(&c.k, "tapname theme-1");
    free(expect_theme(board, topic, "nature", "infusion", false));
    CHECK_INT_EQ(kf_stop(&c.k), 0);
    REQUIRE(kf_restart(&c.k, true) == 0);
    m = hv_client_expect(board, topic, 5000);
    REQUIRE(m != NULL);
    CHECK_STR_EQ(m, "");
    free(m);
    late = rf_client(&c.f, "late-2");
    REQUIRE(late && hv_client_sub(late, topic, 1) == 0);
    CHECK(hv_client_expect_none(late, topic, 500));  /* nothing retained */
    hv_client_free(late);

    stop_kiosk(&c.k);
    hv_client_free(board);
    clinic_finish(&c);
}

/* SIGHUP with a new playlist: the track playing goes on to its end, then the new list plays. */
static void test_reload_at_next_track(void)
{
    struct clinic c;
    char *next_cfg;

    REQUIRE(clinic_start(&c, "test = { files = [ \"a440.ogg\" ]; };", false, "V-RELOAD") == 0);
    REQUIRE(wait_count(&c.k, playing("a440.ogg"), 1, 5000));
    int64_t started = hv_now_us();

    next_cfg = config("test = { files = [ \"c880.ogg\" ]; };", "infusion = \"test\";");
    REQUIRE(next_cfg != NULL);
    char *prefix_at;
    /* the file on disk has the prefix filled in: keep its first line's prefix */
    prefix_at = strstr(next_cfg, "%PREFIX%");
    REQUIRE(prefix_at != NULL);
    {
        char filled[16384];
        snprintf(filled, sizeof filled, "%.*s%s%s", (int)(prefix_at - next_cfg), next_cfg,
                 c.f.prefix, prefix_at + strlen("%PREFIX%"));
        REQUIRE(hv_write_file(c.f.cfg_path, filled) == 0);
    }
    free(next_cfg);
    REQUIRE(hv_proc_signal(c.k.proc, SIGHUP) == 0);
    CHECK(kf_wait_log(&c.k, "configuration reloaded", 3000));
    CHECK(log_count(&c.k, playing("c880.ogg")) == 0);  /* not in the middle of the track */
    REQUIRE(wait_count(&c.k, playing("c880.ogg"), 1, 10000));
    int64_t switched_ms = (hv_now_us() - started) / 1000;
    fprintf(stderr, "  new playlist after %lld ms of a 6000 ms track\n", (long long)switched_ms);
    CHECK(switched_ms > 4500);
    CHECK(log_count(&c.k, playing("a440.ogg")) == 1);

    stop_kiosk(&c.k);
    clinic_finish(&c);
}

/* Every file missing: silent, the reason logged and in the staff menu, and no crash. */
static void test_nothing_playable(void)
{
    struct clinic c;
    struct take t;

    REQUIRE(clinic_start(&c, "test = { files = [ \"gone-1.ogg\", \"gone-2.ogg\" ]; };", true,
                         "V-NONE") == 0);
    CHECK(kf_wait_log(&c.k, "no file of playlist 'test' can be played", 5000));
    CHECK(log_count(&c.k, "sound: skipping") == 2);
    SDL_Surface *s = kf_shot(&c.k, "sound-infusion-nothing-playable");
    CHECK(s != NULL);
    SDL_FreeSurface(s);
    /* the staff menu: the PIN pad after a long press on the corner, then the reason */
    send_line(&c.k, "hold 30 30 2500");
    /* The control thread reads "targets" once the hold is over: the PIN pad is up. */
    send_line(&c.k, "targets");
    CHECK(kf_wait_log(&c.k, " targets on pin: ", 8000));
    for (const char *d = PIN; *d; d++) {
        char line[32];
        snprintf(line, sizeof line, "tapname pin-%c", *d);
        send_line(&c.k, line);
    }
    send_line(&c.k, "tapname pin-ok");
    CHECK(kf_wait_log(&c.k, "staff menu opened", 5000));  /* the PIN is checked off the UI thread */
    send_line(&c.k, "targets");
    CHECK(kf_wait_log(&c.k, "targets on staff", 5000));
    s = kf_shot(&c.k, "sound-staff-nothing-playable");
    CHECK(s != NULL);
    SDL_FreeSurface(s);
    hv_sleep_ms(500);
    stop_kiosk(&c.k);

    REQUIRE(analyse(c.k.audio_file, &t) == 0);
    double loudest = 0;
    for (int i = 0; i < t.n; i++)
        loudest = fmax(loudest, t.w[i].peak);
    CHECK(t.n * WIN_MS > 1000);
    CHECK(loudest < 0.001);
    free(t.w);
    clinic_finish(&c);
}

int main(void)
{
    if (make_tracks() != 0) {
        fprintf(stderr, "test_kiosk_sound: cannot make the test tracks with sox (scripts/deps)\n");
        return 1;
    }
    RUN(test_music_fades_ceiling_skip_chime);
    RUN(test_pause_resume_next);
    RUN(test_chime_on_ack);
    RUN(test_theme_published);
    RUN(test_reload_at_next_track);
    RUN(test_nothing_playable);
    if (check_tests_failed == 0)
        hv_rm_rf(tracks_dir);
    return CHECK_SUMMARY();
}
