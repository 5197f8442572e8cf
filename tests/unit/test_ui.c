/*
 * test_ui.c - the kiosk's drawing (kiosk/ui.c, kiosk/strings.c): contrast of
 * every text/background pair of both themes, the help button's place and
 * size, its colour in each call state, and the words table.  Runs under
 * SDL's offscreen video driver (set by CTest), so no display is needed.
 */
#include "app.h"
#include "check.h"
#include "chrome.h"
#include "questionnaire.h"
#include "str.h"
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVEN_TEST_FONT
#define HAVEN_TEST_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#endif

static const SDL_Color black = { 0, 0, 0, 255 }, white = { 255, 255, 255, 255 };

static void test_contrast_known_values(void)
{
    SDL_Color grey = { 0x77, 0x77, 0x77, 255 };

    CHECK_DBL_NEAR(ui_contrast(black, white), 21.0, 1e-9);
    CHECK_DBL_NEAR(ui_contrast(white, black), 21.0, 1e-9);
    CHECK_DBL_NEAR(ui_contrast(white, white), 1.0, 1e-9);
    CHECK_DBL_NEAR(ui_contrast(grey, grey), 1.0, 1e-9);
    CHECK_DBL_NEAR(ui_contrast(grey, white), 4.48, 0.01);  /* #777 on white: just under AA */
}

/* Every (text, background) pair the kiosk draws together, at least 4.5:1 (WCAG AA). */
static void check_theme(const struct theme *t, const char *name)
{
    const struct {
        const char *what;
        SDL_Color fg, bg;
    } pairs[] = {
        { "text/bg", t->text, t->bg },
        { "text_soft/bg", t->text_soft, t->bg },
        { "button_text/button", t->button_text, t->button },
        { "help_text/help", t->help_text, t->help },
        { "called_text/called", t->called_text, t->called },
        { "coming_text/coming", t->coming_text, t->coming },
        { "banner_text/banner", t->banner_text, t->banner },
        { "bg/text (a selected button)", t->bg, t->text },
    };

    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        double c = ui_contrast(pairs[i].fg, pairs[i].bg);
        if (c < 4.5)
            fprintf(stderr, "%s %s: %.2f:1\n", name, pairs[i].what, c);
        CHECK(c >= 4.5);
    }
}

static void test_theme_contrast(void)
{
    check_theme(&ui_theme_day, "day");
    check_theme(&ui_theme_night, "night");
}

/* The help button must stand out from the screen it sits on. */
static void test_help_visible_on_background(void)
{
    CHECK(ui_contrast(ui_theme_day.help, ui_theme_day.bg) >= 3.0);
    CHECK(ui_contrast(ui_theme_night.help, ui_theme_night.bg) >= 3.0);
}

static void check_geometry(int w, int h, int dpi)
{
    struct ui ui;
    SDL_Rect help, corner, x;

    REQUIRE(ui_open(&ui, HAVEN_TEST_FONT, dpi, w, h) == 0);
    CHECK_INT_EQ(ui.w, w);
    CHECK_INT_EQ(ui.h, h);
    help = ui_help_rect(&ui);
    corner = ui_staff_corner(&ui);
    /* lower right, inside the screen, with a margin */
    CHECK(help.x >= w / 2 && help.y >= h / 2);
    CHECK(help.x + help.w < w && help.y + help.h < h);
    CHECK(w - (help.x + help.w) <= ui_mm(&ui, 8) && h - (help.y + help.h) <= ui_mm(&ui, 8));
    /* at least 15 % of the height and 16 mm at the DPI */
    CHECK(help.h * 100 >= h * 15);
    CHECK(help.h * 25.4 / dpi >= 16.0);
    CHECK(help.w * 100 >= w * 28);
    /* the staff corner: upper left, 16 mm, apart from the help button */
    CHECK(corner.x == 0 && corner.y == 0);
    CHECK(corner.w * 25.4 / dpi >= 16.0 && corner.h * 25.4 / dpi >= 16.0);
    CHECK_INT_EQ(ui_mm(&ui, 16), corner.w);
    CHECK(!SDL_IntersectRect(&help, &corner, &x));
    CHECK(ui_hit(help, help.x, help.y) && !ui_hit(help, help.x - 1, help.y));
    ui_close(&ui);
}

static void test_help_rect(void)
{
    static const int sizes[][2] = { { 1280, 800 }, { 800, 480 } };
    static const int dpis[] = { 96, 160 };

    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 2; j++)
            check_geometry(sizes[i][0], sizes[i][1], dpis[j]);
}

/* The colour of the help button's centre column near its top (inside the rounded corners). */
static SDL_Color help_pixel(struct ui *ui)
{
    SDL_Rect r = ui_help_rect(ui);
    SDL_Rect px = { r.x + r.w / 2, r.y + 2, 1, 1 };
    Uint32 v = 0;
    SDL_Color c;

    SDL_RenderReadPixels(ui->ren, &px, SDL_PIXELFORMAT_ARGB8888, &v, 4);
    c.r = (Uint8)(v >> 16);
    c.g = (Uint8)(v >> 8);
    c.b = (Uint8)v;
    c.a = 255;
    return c;
}

static bool same(SDL_Color a, SDL_Color b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

static void test_help_colours(void)
{
    static struct kiosk_config cfg;
    static struct app a;
    const struct { enum call_ui call; SDL_Color want; } states[] = {
        { CALL_UI_NONE, ui_theme_day.help },
        { CALL_UI_SENDING, ui_theme_day.called },
        { CALL_UI_CALLED, ui_theme_day.called },
        { CALL_UI_COMING, ui_theme_day.coming },
    };
    struct ui ui;

    REQUIRE(ui_open(&ui, HAVEN_TEST_FONT, 96, 800, 480) == 0);
    a.cfg = &cfg;
    a.connected = true;
    strcpy(a.lang, "en");
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        a.call = states[i].call;
        ui_clear(&ui);
        ui_draw_help(&ui, &a);
        CHECK(same(help_pixel(&ui), states[i].want));
    }
    CHECK_INT_EQ(ui_offline_height(&ui, &a), 0);
    a.connected = false;
    CHECK(ui_offline_height(&ui, &a) > 0);
    CHECK(ui_offline_height(&ui, &a) < ui_help_rect(&ui).y);
    ui_close(&ui);
}

static void test_text_wraps(void)
{
    struct ui ui;
    const char *s = "Your call is saved and will be sent as soon as the connection is back.";
    int one, wrapped;

    REQUIRE(ui_open(&ui, HAVEN_TEST_FONT, 96, 800, 480) == 0);
    one = ui_text_height(&ui, FONT_BODY, 0, s);
    wrapped = ui_text_height(&ui, FONT_BODY, 200, s);
    CHECK(one > 0);
    CHECK(wrapped >= 3 * one);
    CHECK_INT_EQ(ui_text_height(&ui, FONT_BODY, 200, ""), 0);
    CHECK_INT_EQ(ui_text_height(&ui, FONT_BODY, 0, "a\nb"), 2 * one);
    ui_close(&ui);
}

static void test_strings(void)
{
    char out[64];

    for (int id = 0; id < STR_COUNT; id++) {
        const char *s = str_english((enum str_id)id);
        const char *es = str_spanish((enum str_id)id);
        CHECK(s != NULL && s[0] != '\0');
        if (!es || !es[0])
            fprintf(stderr, "  string %d has no Spanish\n", id);
        CHECK(es != NULL && es[0] != '\0');  /* all kiosk text in English and Spanish */
        /* The same placeholders, so str_fill fills both alike. */
        CHECK_INT_EQ(s && strstr(s, "{1}") != NULL, es && strstr(es, "{1}") != NULL);
        CHECK_INT_EQ(s && strstr(s, "{2}") != NULL, es && strstr(es, "{2}") != NULL);
    }
    CHECK_STR_EQ(str(NULL, STR_HELP), "Help");
    CHECK_STR_EQ(str_fill(out, sizeof out, "{1} is on the way", "Sam", NULL), "Sam is on the way");
    CHECK_STR_EQ(str_fill(out, sizeof out, "{1} h {2} min", "1", "05"), "1 h 05 min");
    CHECK_STR_EQ(str_fill(out, 6, "{1}", "Calling\u2026", NULL), "Calli");
    CHECK_STR_EQ(str_fill(out, 10, "{1}", "Calling\u2026", NULL), "Calling");  /* never half a character */
}

/* The next code point of the UTF-8 at *p (advanced), or 0 at the end. */
static Uint32 next_cp(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    Uint32 c = s[0];
    int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;

    if (!c)
        return 0;
    c &= n == 0 ? 0x7F : n == 1 ? 0x1F : n == 2 ? 0x0F : 0x07;
    for (int i = 1; i <= n && s[i]; i++)
        c = (c << 6) | (s[i] & 0x3F);
    *p += 1 + n;
    return c;
}

/* Counts the characters of text the font has no glyph for (each reported). */
static int missing_glyphs(TTF_Font *font, const char *text)
{
    int missing = 0;
    Uint32 c;

    for (const char *p = text; p && (c = next_cp(&p)) != 0;)
        if (!TTF_GlyphIsProvided32(font, c)) {
            fprintf(stderr, "  no glyph for U+%04X in \"%s\"\n", (unsigned)c, text);
            missing++;
        }
    return missing;
}

static int text_missing(TTF_Font *font, const struct qn_text *t)
{
    int n = 0;
    for (int l = 0; l < QN_LANGS; l++)
        n += t->s[l] ? missing_glyphs(font, t->s[l]) : 0;
    return n;
}

/*
 * DejaVu Sans has every character the kiosk shows: each string in both
 * languages (á é í ó ú ñ ü ¿ ¡ …) and every text of the shipped forms.
 */
static void test_glyphs(void)
{
    struct qn_set *set = NULL;
    struct cfg_error err;
    TTF_Font *font;
    int missing = 0;

    REQUIRE(TTF_Init() == 0);
    font = TTF_OpenFont(HAVEN_TEST_FONT, 24);
    REQUIRE(font != NULL);
    CHECK_INT_EQ(missing_glyphs(font, "áéíóúñüÁÉÍÓÚÑ¿¡\u2026\u2013\u2014"), 0);
    for (int id = 0; id < STR_COUNT; id++)
        missing += missing_glyphs(font, str_english((enum str_id)id)) +
                   missing_glyphs(font, str_spanish((enum str_id)id));
    REQUIRE(qn_set_load(HAVEN_SOURCE_DIR "/config/haven.cfg", &set, &err) == 0);
    for (int f = 0; f < set->nforms; f++) {
        const struct qn_form *q = &set->forms[f];
        missing += text_missing(font, &q->title) + text_missing(font, &q->stem) +
                   text_missing(font, &q->intro) + text_missing(font, &q->attribution);
        for (int i = 0; i < q->nitems; i++) {
            missing += text_missing(font, &q->items[i].text);
            for (int o = 0; o < q->items[i].nopts; o++)
                missing += text_missing(font, &q->items[i].opts[o].text);
        }
    }
    missing += text_missing(font, &set->crisis);
    CHECK_INT_EQ(missing, 0);
    CHECK_INT_EQ(missing_glyphs(font, "\u4E2D"), 1);  /* the check can fail: no CJK in DejaVu Sans */
    qn_set_free(set);
    TTF_CloseFont(font);
    TTF_Quit();
}

int main(void)
{
    if (!getenv("SDL_VIDEODRIVER"))
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
    RUN(test_contrast_known_values);
    RUN(test_theme_contrast);
    RUN(test_help_visible_on_background);
    RUN(test_help_rect);
    RUN(test_help_colours);
    RUN(test_text_wraps);
    RUN(test_strings);
    RUN(test_glyphs);
    return CHECK_SUMMARY();
}
