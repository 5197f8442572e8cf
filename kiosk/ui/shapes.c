/*
 * shapes.c - discs, strokes, tick boxes, check rows and faces (shapes.h).
 *
 * Round things are triangle fans through SDL_RenderGeometry: the software
 * renderer draws them in well under a millisecond, and nothing is cached
 * (the kiosk redraws only when something changes).
 */
#include "shapes.h"
#include "layout.h"

#include <math.h>
#include <string.h>

#define DISC_STEPS 32

void disc(SDL_Renderer *ren, float cx, float cy, float r, SDL_Color c)
{
    SDL_Vertex v[DISC_STEPS + 1];
    int idx[DISC_STEPS * 3];

    memset(v, 0, sizeof v);
    v[0].position.x = cx;
    v[0].position.y = cy;
    for (int i = 0; i < DISC_STEPS; i++) {
        double t = 2 * M_PI * i / DISC_STEPS;
        v[1 + i].position.x = cx + (float)(r * cos(t));
        v[1 + i].position.y = cy + (float)(r * sin(t));
        idx[3 * i] = 0;
        idx[3 * i + 1] = 1 + i;
        idx[3 * i + 2] = 1 + (i + 1) % DISC_STEPS;
    }
    for (int i = 0; i <= DISC_STEPS; i++)
        v[i].color = c;
    SDL_RenderGeometry(ren, NULL, v, DISC_STEPS + 1, idx, DISC_STEPS * 3);
}

/* A thick line with round ends. */
static void segment(SDL_Renderer *ren, SDL_FPoint a, SDL_FPoint b, float th, SDL_Color c)
{
    static const int idx[6] = { 0, 1, 2, 0, 2, 3 };
    float dx = b.x - a.x, dy = b.y - a.y, len = sqrtf(dx * dx + dy * dy);
    float nx = len > 0 ? -dy / len * th / 2 : 0, ny = len > 0 ? dx / len * th / 2 : 0;
    SDL_Vertex v[4];

    memset(v, 0, sizeof v);
    v[0].position = (SDL_FPoint){ a.x + nx, a.y + ny };
    v[1].position = (SDL_FPoint){ a.x - nx, a.y - ny };
    v[2].position = (SDL_FPoint){ b.x - nx, b.y - ny };
    v[3].position = (SDL_FPoint){ b.x + nx, b.y + ny };
    for (int i = 0; i < 4; i++)
        v[i].color = c;
    SDL_RenderGeometry(ren, NULL, v, 4, idx, 6);
    disc(ren, a.x, a.y, th / 2, c);
    disc(ren, b.x, b.y, th / 2, c);
}

void polyline(SDL_Renderer *ren, const SDL_FPoint *p, int n, float th, SDL_Color c)
{
    for (int i = 0; i + 1 < n; i++)
        segment(ren, p[i], p[i + 1], th, c);
}

/* ---- the check row ---------------------------------------------------------------- */

/* A square tick box in box: an outline, or filled with a check mark. */
static void tick_box(struct ui *ui, SDL_Rect box, bool on, SDL_Color fg, SDL_Color bg)
{
    int th = imax(2, box.w / 10);
    SDL_Rect inner = { box.x + th, box.y + th, box.w - 2 * th, box.h - 2 * th };
    SDL_FPoint mark[3] = {
        { box.x + box.w * 0.22f, box.y + box.h * 0.52f },
        { box.x + box.w * 0.42f, box.y + box.h * 0.72f },
        { box.x + box.w * 0.78f, box.y + box.h * 0.30f },
    };

    ui_fill(ui, box, fg);
    if (!on) {
        ui_fill(ui, inner, bg);
        return;
    }
    polyline(ui->ren, mark, 3, (float)th * 1.6f, bg);
}

/* A check row's parts: the tick box and the label's box beside it. */
struct check_parts {
    SDL_Rect box;
    int tx, tw;
};

static struct check_parts check_parts(const struct ui *ui, SDL_Rect r)
{
    int box = imin(r.h * 5 / 10, ui_mm(ui, 14)), pad = (r.h - box) / 2;
    struct check_parts p = { { r.x + pad, r.y + pad, box, box }, 0, 0 };

    p.tx = p.box.x + box + pad;
    p.tw = r.x + r.w - pad - p.tx;
    return p;
}

enum ui_font check_font(const struct ui *ui, SDL_Rect r, enum ui_font f, const char *label)
{
    struct check_parts p = check_parts(ui, r);
    return font_for(ui, f, p.tw, r.h - ui_mm(ui, 2), label);
}

void check_row(struct ui *ui, SDL_Rect r, bool on, const char *label, enum ui_font font)
{
    const struct theme *t = ui->theme;
    struct check_parts p = check_parts(ui, r);
    int th = ui_text_height(ui, font, p.tw, label);

    ui_button(ui, r, t->button, t->button_text, font, "");
    tick_box(ui, p.box, on, t->button_text, t->button);
    ui_text(ui, font, p.tx, r.y + (r.h - th) / 2, p.tw, ALIGN_LEFT, t->button_text, label);
}

/* ---- faces ---------------------------------------------------------------------- */

void face(struct ui *ui, float cx, float cy, float r, int feeling, SDL_Color fg, SDL_Color bg)
{
    float th = fmaxf(2.0f, r * 0.11f), k = (3 - feeling) * 0.15f * r;
    SDL_FPoint mouth[9];

    disc(ui->ren, cx, cy, r, fg);
    disc(ui->ren, cx, cy, r - th, bg);
    disc(ui->ren, cx - 0.35f * r, cy - 0.2f * r, 0.11f * r, fg);
    disc(ui->ren, cx + 0.35f * r, cy - 0.2f * r, 0.11f * r, fg);
    for (int i = 0; i < 9; i++) {
        float t = -1.0f + i / 4.0f;
        mouth[i].x = cx + t * 0.45f * r;
        mouth[i].y = cy + 0.32f * r + k * (1 - t * t) - k / 2;
    }
    polyline(ui->ren, mouth, 9, th, fg);
}
