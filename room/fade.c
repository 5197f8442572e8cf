/* fade.c - perceptual fades: CIE L* for brightness, mireds for colour temperature. */
#include "fade.h"

#include <math.h>

/* CIE 1976: L* = 116 (Y)^(1/3) - 16 above (6/29)^3, linear below it. */
#define CIE_EPSILON (216.0 / 24389.0)  /* (6/29)^3 */
#define CIE_KAPPA   (24389.0 / 27.0)   /* (29/3)^3 */

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

double fade_lightness(double pct)
{
    double y = clamp(pct, 0, 100) / 100.0;

    return y > CIE_EPSILON ? 116.0 * cbrt(y) - 16.0 : CIE_KAPPA * y;
}

double fade_output(double lstar)
{
    double l = clamp(lstar, 0, 100), y;

    if (l > CIE_KAPPA * CIE_EPSILON) {
        double t = (l + 16.0) / 116.0;
        y = t * t * t;
    } else {
        y = l / CIE_KAPPA;
    }
    return clamp(y * 100.0, 0, 100);
}

static double lerp(double a, double b, double f)
{
    return a + (b - a) * f;
}

struct light_level fade_at(const struct light_level *a, const struct light_level *b, double f)
{
    struct light_level out = *b;
    double mired_a = 1e6 / a->kelvin, mired_b = 1e6 / b->kelvin;

    if (f >= 1)  /* the end exactly, not the round trip through L* */
        return *b;
    f = clamp(f, 0, 1);
    out.brightness = fade_output(lerp(fade_lightness(a->brightness),
                                      fade_lightness(b->brightness), f));
    out.kelvin = (int)lround(1e6 / lerp(mired_a, mired_b, f));
    if (a->has_colour && b->has_colour) {
        for (int i = 0; i < 3; i++)
            out.rgb[i] = (uint8_t)lround(lerp(a->rgb[i], b->rgb[i], f));
    } else if (a->has_colour && f < 1) {  /* leaving a colour: keep it until the end */
        out.has_colour = true;
        for (int i = 0; i < 3; i++)
            out.rgb[i] = a->rgb[i];
    }
    return out;
}
