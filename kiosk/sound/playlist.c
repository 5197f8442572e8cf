/*
 * playlist.c - track order, skipping and volume limits (playlist.h).
 */
#include "playlist.h"

#include <string.h>

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* A fresh order for the next time round: listed, or a Fisher-Yates shuffle. */
static void deal(struct playlist *p)
{
    for (int i = 0; i < p->n; i++)
        p->order[i] = i;
    if (p->shuffle) {
        for (int i = p->n - 1; i > 0; i--) {
            int j = (int)(xorshift(&p->rng) % (uint32_t)(i + 1)), t = p->order[i];
            p->order[i] = p->order[j];
            p->order[j] = t;
        }
        /* The turn of the list must not play the last track again. */
        if (p->n > 1 && p->order[0] == p->last) {
            p->order[0] = p->order[p->n - 1];
            p->order[p->n - 1] = p->last;
        }
    }
    p->pos = 0;
}

void playlist_start(struct playlist *p, int n, bool shuffle, bool loop, uint32_t seed)
{
    memset(p, 0, sizeof *p);
    p->n = n < 0 ? 0 : n > SOUND_TRACKS_MAX ? SOUND_TRACKS_MAX : n;
    p->shuffle = shuffle;
    p->loop = loop;
    p->last = -1;
    p->rng = seed ? seed : 1;
    deal(p);
}

bool playlist_playable(const struct playlist *p)
{
    for (int i = 0; i < p->n; i++)
        if (!p->bad[i])
            return true;
    return false;
}

int playlist_next(struct playlist *p)
{
    if (!playlist_playable(p))
        return -1;
    for (;;) {
        if (p->pos >= p->n) {
            if (!p->loop)
                return -1;
            deal(p);
        }
        int t = p->order[p->pos++];
        if (!p->bad[t])
            return p->last = t;
    }
}

void playlist_mark_bad(struct playlist *p, int i)
{
    if (i >= 0 && i < p->n)
        p->bad[i] = true;
}

int sound_volume_clamp(int v, int ceiling)
{
    if (ceiling < 0)
        ceiling = 0;
    if (ceiling > 100)
        ceiling = 100;
    return v < 0 ? 0 : v > ceiling ? ceiling : v;
}

int sound_volume_step(int v, int dir, int ceiling)
{
    int next = dir > 0 ? (v / SOUND_VOLUME_STEP + 1) * SOUND_VOLUME_STEP
                       : ((v + SOUND_VOLUME_STEP - 1) / SOUND_VOLUME_STEP - 1) * SOUND_VOLUME_STEP;

    return sound_volume_clamp(next, ceiling);
}

int sound_mix_volume(int percent)
{
    return sound_volume_clamp(percent, 100) * 128 / 100;
}
