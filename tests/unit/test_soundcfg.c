/* test_soundcfg.c - kiosk { sound { } }: playlists, phases, themes, paths, errors (sound/soundcfg.c). */
#include "check.h"
#include "err.h"
#include "kcfg.h"
#include "unit_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

#define ROOMS "rooms = ( { id = \"chair-1\"; } );\n"

static int load(const char *sound, struct kiosk_config *cfg, struct cfg_error *err,
                const char **path)
{
    static char text[8192];

    snprintf(text, sizeof text, ROOMS "kiosk = {\n%s};\n", sound);
    *path = unit_file("haven.cfg", text);
    err->text[0] = '\0';
    return kcfg_load(*path, "chair-1", cfg, err);
}

static void expect_error(const char *sound, const char *what, int src_line)
{
    static struct kiosk_config cfg;
    char text[8192];
    struct cfg_error err;
    const char *path;
    int rc;

    unit_capture_begin();
    rc = load(sound, &cfg, &err, &path);
    free(unit_capture_end());
    snprintf(text, sizeof text, ROOMS "kiosk = {\n%s};\n", sound);
    unit_expect_config_error(rc, &err, path, text, what, __FILE__, src_line);
}
#define EXPECT_ERROR(text, what) expect_error((text), (what), __LINE__)

#define GOOD \
    "sound = {\n" \
    "  assets = \"audio\";\n" \
    "  volume = 30; volume_max = 60; fade = 2.5; chime = \"/abs/chime.ogg\";\n" \
    "  playlists = {\n" \
    "    calm = { files = [ \"a.ogg\", \"sub/b.ogg\" ]; order = \"shuffle\"; };\n" \
    "    rain = { files = [ \"/elsewhere/r.ogg\" ]; loop = false; };\n" \
    "  };\n" \
    "  phases = { infusion = \"calm\"; recovery = \"rain\"; };\n" \
    "  themes = ( { name = \"ambient\"; playlist = \"calm\"; scene = \"dusk\"; },\n" \
    "             { name = \"silence\"; label = \"Nothing\"; } );\n" \
    "};\n"

static void test_good(void)
{
    static struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;
    char dir[PATH_MAX], want[2 * PATH_MAX + 64];

    REQUIRE(load(GOOD, &cfg, &err, &path) == 0);
    const struct sound_config *s = &cfg.sound;
    CHECK(s->enabled);
    CHECK_INT_EQ(s->volume, 30);
    CHECK_INT_EQ(s->volume_max, 60);
    CHECK_INT_EQ(s->chime_volume, 50);
    CHECK_INT_EQ(s->fade_ms, 2500);
    CHECK_INT_EQ(s->n_lists, 2);
    CHECK_INT_EQ(s->n_tracks, 3);
    CHECK(s->list[0].shuffle && s->list[0].loop);
    CHECK(!s->list[1].shuffle && !s->list[1].loop);
    /* relative names: against assets, itself against the config file's directory */
    REQUIRE(realpath(unit_dir(), dir) != NULL);
    snprintf(want, sizeof want, "%s/audio/a.ogg", dir);
    CHECK_STR_EQ(soundcfg_track(s, 0, 0), want);
    snprintf(want, sizeof want, "%s/audio/sub/b.ogg", dir);
    CHECK_STR_EQ(soundcfg_track(s, 0, 1), want);
    CHECK_STR_EQ(soundcfg_track(s, 1, 0), "/elsewhere/r.ogg");
    CHECK(soundcfg_track(s, 1, 1) == NULL);
    CHECK(soundcfg_track(s, 2, 0) == NULL);
    CHECK_STR_EQ(soundcfg_chime(s), "/abs/chime.ogg");
    CHECK_INT_EQ(s->phase_list[PHASE_INFUSION], 0);
    CHECK_INT_EQ(s->phase_list[PHASE_RECOVERY], 1);
    CHECK_INT_EQ(s->phase_list[PHASE_IDLE], -1);
    CHECK_INT_EQ(s->n_themes, 2);
    CHECK_STR_EQ(s->theme[0].scene, "dusk");
    CHECK_INT_EQ(s->theme[0].list, 0);
    CHECK_INT_EQ(s->theme[1].list, -1);
    CHECK_STR_EQ(s->theme[1].label, "Nothing");
    CHECK_STR_EQ(s->theme[1].scene, "");
    /* none of the files exists: check warns about each, with its line */
    unit_capture_begin();
    CHECK_INT_EQ(soundcfg_check_files(s), 4);
    char *out = unit_capture_end();
    snprintf(want, sizeof want, "%s:%d: sound file %s/audio/a.ogg cannot be read", path,
             unit_line_of(GOOD, "calm = {") + 2, dir);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "chime /abs/chime.ogg cannot be read") != NULL);
    free(out);
}

static void test_absent_or_off(void)
{
    static struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;

    REQUIRE(load("", &cfg, &err, &path) == 0);
    CHECK(!cfg.sound.enabled);
    REQUIRE(load("sound = { enabled = false; };\n", &cfg, &err, &path) == 0);
    CHECK(!cfg.sound.enabled);
    REQUIRE(load("sound = { };\n", &cfg, &err, &path) == 0);
    CHECK(cfg.sound.enabled);
    CHECK_INT_EQ(cfg.sound.volume, 40);
    CHECK_INT_EQ(cfg.sound.volume_max, 70);
    CHECK_INT_EQ(cfg.sound.fade_ms, 3000);
    CHECK_INT_EQ(cfg.sound.chime, -1);
    /* the chime is held under the ceiling */
    REQUIRE(load("sound = { volume = 10; volume_max = 20; chime_volume = 90; };\n", &cfg, &err,
                 &path) == 0);
    CHECK_INT_EQ(cfg.sound.chime_volume, 20);
}

/* Every default of docs/configuration.md comes out of an empty sound group (the row table). */
static void test_defaults(void)
{
    static struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;
    char dir[PATH_MAX], want[PATH_MAX + 32];

    REQUIRE(load("sound = { };\n", &cfg, &err, &path) == 0);
    const struct sound_config *s = &cfg.sound;
    CHECK(s->enabled);
    CHECK_INT_EQ(s->volume, 40);
    CHECK_INT_EQ(s->volume_max, 70);
    CHECK_INT_EQ(s->chime_volume, 50);
    CHECK_INT_EQ(s->fade_ms, 3000);
    CHECK(soundcfg_chime(s) == NULL);
    CHECK_INT_EQ(s->n_lists, 0);
    CHECK_INT_EQ(s->n_themes, 0);
    for (int p = 0; p < PHASE_COUNT; p++)
        CHECK_INT_EQ(s->phase_list[p], -1);
    /* assets: the config file's directory (a chime named alone is found there) */
    REQUIRE(load("sound = { chime = \"c.ogg\"; };\n", &cfg, &err, &path) == 0);
    REQUIRE(realpath(unit_dir(), dir) != NULL);
    snprintf(want, sizeof want, "%s/c.ogg", dir);
    CHECK_STR_EQ(soundcfg_chime(&cfg.sound), want);
    /* each default is the one of the table, not left over from a previous read */
    REQUIRE(load("sound = { volume = 5; volume_max = 10; chime_volume = 1; fade = 0; "
                 "enabled = false; };\n", &cfg, &err, &path) == 0);
    REQUIRE(load("sound = { };\n", &cfg, &err, &path) == 0);
    CHECK(cfg.sound.enabled);
    CHECK_INT_EQ(cfg.sound.volume, 40);
    CHECK_INT_EQ(cfg.sound.volume_max, 70);
    CHECK_INT_EQ(cfg.sound.chime_volume, 50);
    CHECK_INT_EQ(cfg.sound.fade_ms, 3000);
}

static void test_unknown_keys_warned(void)
{
    static struct kiosk_config cfg;
    struct cfg_error err;
    const char *path;

    unit_capture_begin();
    int rc = load("sound = { volum = 3;\n playlists = { a = { files = [ \"x\" ]; shufle = 1; }; }; };\n",
                  &cfg, &err, &path);
    char *out = unit_capture_end();
    CHECK_INT_EQ(rc, 0);
    CHECK(strstr(out, ":3: unknown setting 'volum'") != NULL);
    CHECK(strstr(out, ":4: unknown setting 'shufle'") != NULL);
    free(out);
}

static void test_errors(void)
{
    EXPECT_ERROR("sound = 3; #!\n", "'sound' must be a group");
    EXPECT_ERROR("sound = {\n volume_max = 150; #!\n};\n", "volume_max");
    EXPECT_ERROR("sound = {\n volume = 80; #!\n volume_max = 50; };\n",
                 "must not be above volume_max");
    EXPECT_ERROR("sound = {\n fade = 99; #!\n};\n", "fade");
    EXPECT_ERROR("sound = { playlists = {\n calm = { order = \"shuffle\"; }; #!\n}; };\n",
                 "needs files");
    EXPECT_ERROR("sound = { playlists = {\n calm = { files = [ \"a\" ];\n order = \"random\"; #!\n}; }; };\n",
                 "order must be");
    EXPECT_ERROR("sound = { playlists = {\n calm = { files = [ \"a\" ];\n loop = 3; #!\n}; }; };\n",
                 "loop must be true or false");
    EXPECT_ERROR("sound = { playlists = { calm = { files = [ \"a\" ]; }; };\n"
                 " phases = {\n infusion = \"loud\"; #!\n}; };\n", "no playlist loud");
    EXPECT_ERROR("sound = { playlists = { calm = { files = [ \"a\" ]; }; };\n"
                 " phases = {\n dinner = \"calm\"; #!\n}; };\n", "not a phase");
    EXPECT_ERROR("sound = { themes = (\n { playlist = \"x\"; } #!\n); };\n", "needs a name");
    EXPECT_ERROR("sound = { themes = (\n { name = \"a\"; playlist = \"none\"; } #!\n); };\n",
                 "no playlist none");
    EXPECT_ERROR("sound = { themes = ( { name = \"a\"; },\n { name = \"a\"; } #!\n); };\n",
                 "named twice");
    EXPECT_ERROR("sound = { themes = ( { name = \"a\"; }, { name = \"b\"; }, { name = \"c\"; },\n"
                 " { name = \"d\"; },\n { name = \"e\"; } #!\n); };\n", "too many themes");
    EXPECT_ERROR("sound = {\n themes = { }; #!\n};\n", "must be a list");
}

/* The shipped demo: every track and the chime are in assets/audio, found from any directory. */
static void test_shipped_config(void)
{
    static struct kiosk_config cfg;
    struct cfg_error err = { "" };
    char cwd[PATH_MAX];

    REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
    REQUIRE(chdir("/") == 0);
    int rc = kcfg_load(HAVEN_SOURCE_DIR "/config/haven.cfg", "chair-1", &cfg, &err);
    REQUIRE(chdir(cwd) == 0);
    if (rc)
        fprintf(stderr, "  %s\n", err.text);
    REQUIRE(rc == 0);
    CHECK(cfg.sound.enabled);
    CHECK(cfg.sound.n_tracks >= 2);
    CHECK(cfg.sound.n_themes >= 2);
    CHECK(cfg.sound.phase_list[PHASE_INFUSION] >= 0);
    CHECK_INT_EQ(soundcfg_check_files(&cfg.sound), 0);
}

int main(void)
{
    RUN(test_good);
    RUN(test_absent_or_off);
    RUN(test_defaults);
    RUN(test_unknown_keys_warned);
    RUN(test_errors);
    RUN(test_shipped_config);
    unit_cleanup();
    return CHECK_SUMMARY();
}
