/*
 * fade.h - the curve a light follows from one level to another.
 *
 * Eyes judge light on a roughly cube-root scale: going from 100 % to 50 % of
 * a lamp's output looks like a small step, from 10 % to 5 % like a plunge.
 * A fade that moved the output at an even rate would crawl at the top and
 * drop off a cliff at the bottom, which is exactly what a drowsy patient
 * would notice.  So a fade moves at an even rate in CIE 1976 lightness (L*),
 * the standard measure of perceived lightness, and converts back to output
 * for the light.  Colour temperature moves evenly in mireds (1e6 / kelvin),
 * the scale on which equal steps look equal; an RGB colour, if both ends
 * have one, moves evenly per channel.
 *
 * Pure functions; no state, no I/O.
 */
#ifndef HAVEN_FADE_H
#define HAVEN_FADE_H

#include <stdbool.h>
#include <stdint.h>

/* What a light is told: output 0..100 %, colour temperature, optional colour. */
struct light_level {
    double brightness;   /* % of the light's output, 0 = off */
    int kelvin;          /* 2000..6500 */
    bool has_colour;     /* if set, rgb replaces kelvin */
    uint8_t rgb[3];
};

/* Perceived lightness L* (0..100) of output pct (0..100 %). */
double fade_lightness(double pct);
/* The output (0..100 %) whose lightness is lstar (0..100); the inverse of fade_lightness. */
double fade_output(double lstar);

/*
 * The level at fraction f (clamped to 0..1) of the way from a to b: equal
 * steps of f are equal steps of perceived lightness and of mireds.  A colour
 * at only one end is shown throughout: a fade into a colour has it from the
 * start, a fade out of one keeps it until the end (the fade is of brightness).
 */
struct light_level fade_at(const struct light_level *a, const struct light_level *b, double f);

#endif
