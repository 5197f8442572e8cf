/*
 * test_fade.c - the perceptual fade curve: CIE L* and its inverse against
 * published values, fades that move in equal steps of lightness (not of
 * output) and of mireds, ends that land exactly, colours held.
 */
#include "check.h"
#include "fade.h"

#include <math.h>

static const struct light_level bright = { 100, 4000, false, { 0 } };
static const struct light_level dim = { 12, 2200, false, { 0 } };

static void test_lightness_known_values(void)
{
    CHECK_DBL_NEAR(fade_lightness(0), 0, 1e-9);
    CHECK_DBL_NEAR(fade_lightness(100), 100, 1e-9);
    /* Middle grey: 18.42 % reflectance is L* 50. */
    CHECK_DBL_NEAR(fade_lightness(18.42), 50, 0.01);
    /* 1 % is L* 8.99 (the cube-root branch); 0.5 % is on the linear toe (903.3 Y). */
    CHECK_DBL_NEAR(fade_lightness(1), 8.99, 0.01);
    CHECK_DBL_NEAR(fade_lightness(0.5), 4.52, 0.01);
    /* Out of range is clamped, never NaN. */
    CHECK_DBL_NEAR(fade_lightness(-5), 0, 1e-9);
    CHECK_DBL_NEAR(fade_lightness(250), 100, 1e-9);
}

static void test_output_inverts_lightness(void)
{
    for (double pct = 0; pct <= 100; pct += 0.25)
        CHECK_DBL_NEAR(fade_output(fade_lightness(pct)), pct, 1e-9);
    /* Both branches meet at the joint (L* = 8): no jump. */
    CHECK_DBL_NEAR(fade_output(8 - 1e-9), fade_output(8 + 1e-9), 1e-6);
    CHECK_DBL_NEAR(fade_output(-1), 0, 1e-9);
    CHECK_DBL_NEAR(fade_output(101), 100, 1e-9);
}

static void test_ends_are_exact(void)
{
    struct light_level a = fade_at(&bright, &dim, 0), b = fade_at(&bright, &dim, 1);

    CHECK_DBL_NEAR(a.brightness, 100, 1e-9);
    CHECK_INT_EQ(a.kelvin, 4000);
    CHECK_DBL_NEAR(b.brightness, 12, 1e-9);
    CHECK_INT_EQ(b.kelvin, 2200);
    /* Fractions outside 0..1 are the ends. */
    CHECK_DBL_NEAR(fade_at(&bright, &dim, -3).brightness, 100, 1e-9);
    CHECK_DBL_NEAR(fade_at(&bright, &dim, 7).brightness, 12, 1e-9);
}

/* Ten steps down from 100 % to 12 %: each the same change of L*, and not of output. */
static void test_equal_steps_of_lightness(void)
{
    double step_l = (fade_lightness(12) - 100) / 10, prev = 100;
    double first_drop = 0, last_drop = 0;

    for (int k = 1; k <= 10; k++) {
        struct light_level lv = fade_at(&bright, &dim, k / 10.0);
        CHECK_DBL_NEAR(fade_lightness(lv.brightness) - fade_lightness(prev), step_l, 1e-9);
        CHECK(lv.brightness < prev);
        if (k == 1)
            first_drop = prev - lv.brightness;
        last_drop = prev - lv.brightness;
        prev = lv.brightness;
    }
    /* In output terms the fade drops fast at the top and gently at the bottom. */
    CHECK(first_drop > 3 * last_drop);
    /* Half-way in time is half-way in lightness (L* 70.6), about 42 % of output, not 56 %. */
    CHECK_DBL_NEAR(fade_at(&bright, &dim, 0.5).brightness, 42.0, 0.5);
}

static void test_kelvin_moves_in_mireds(void)
{
    struct light_level mid = fade_at(&bright, &dim, 0.5);

    /* 250 and 454.5 mireds: the middle is 352.3 mireds = 2839 K (not 3100 K). */
    CHECK_INT_EQ(mid.kelvin, 2839);
    int prev = 4000;
    for (int k = 1; k <= 20; k++) {
        int kv = fade_at(&bright, &dim, k / 20.0).kelvin;
        CHECK(kv <= prev);
        prev = kv;
    }
}

static void test_fade_up_from_off(void)
{
    struct light_level off = { 0, 2700, false, { 0 } };
    struct light_level on = { 50, 2700, false, { 0 } };
    double prev = 0;

    for (int k = 1; k <= 8; k++) {
        struct light_level lv = fade_at(&off, &on, k / 8.0);
        CHECK(lv.brightness > prev);
        prev = lv.brightness;
    }
    CHECK_DBL_NEAR(prev, 50, 1e-9);
}

static void test_colour(void)
{
    struct light_level red = { 40, 2700, true, { 200, 40, 0 } };
    struct light_level blue = { 40, 2700, true, { 0, 40, 200 } };
    struct light_level mid = fade_at(&red, &blue, 0.5);

    CHECK(mid.has_colour);
    CHECK_INT_EQ(mid.rgb[0], 100);
    CHECK_INT_EQ(mid.rgb[2], 100);
    /* Into a colour: the colour from the start. Out of one: kept until the end. */
    CHECK(fade_at(&dim, &red, 0.1).has_colour);
    CHECK_INT_EQ(fade_at(&dim, &red, 0.1).rgb[0], 200);
    CHECK(fade_at(&red, &dim, 0.9).has_colour);
    CHECK(!fade_at(&red, &dim, 1).has_colour);
}

int main(void)
{
    RUN(test_lightness_known_values);
    RUN(test_output_inverts_lightness);
    RUN(test_ends_are_exact);
    RUN(test_equal_steps_of_lightness);
    RUN(test_kelvin_moves_in_mireds);
    RUN(test_fade_up_from_off);
    RUN(test_colour);
    return CHECK_SUMMARY();
}
