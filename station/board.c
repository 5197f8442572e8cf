/*
 * board.c - what the nurse station shows (see board.h): the tiles, kept from
 * the contract's retained payloads, and the ring of numbered events every
 * board's stream replays.
 *
 * Each tile keeps the JSON it last showed.  A payload is applied to a copy of
 * the tile, the copy is rendered, and only a rendering that differs from the
 * one shown becomes an event: so the kiosk's heartbeat (the same status every
 * beat) costs one render and no event, and "changes nothing shown" is decided
 * by the very text the boards would receive.  The tile and the ring share one
 * reference-counted copy of that text, so pushing an event never allocates.
 */
#include "board.h"
#include "err.h"
#include "log.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_MIN        16
#define MAX_CONTROLLERS 16     /* a clinic runs one controller, a few at most */
#define AUX_PAYLOAD_MAX 4096   /* lights/state: a scene and two numbers */
#define CTRL_PAYLOAD_MAX 65536 /* controller status: lists its rooms (1,000 fit) */

/* A JSON text shared by a tile and the ring entries that carry it. */
struct text {
    int refs;
    char s[];
};

/* The room's call as the station knows it, with the chain's time zero. */
struct call_view {
    struct contract_call w;
    int64_t base_ms;          /* chain time zero: raised, or when the station saw an upgrade */
    int esc_base;             /* the escalation count at base_ms (an upgrade keeps counting) */
};

struct tile {
    char id[HV_ROOM_MAX];
    int kiosk;                /* 1 online, 0 offline, -1 unknown */
    int phase;                /* enum phase, or -1 unknown */
    int64_t phase_since;      /* when the station saw the phase begin (0: unknown) */
    char visit[HV_ID_MAX];    /* "" for none */
    char scene[HV_NAME_MAX];  /* "" for none */
    bool has_call;
    struct call_view call;
    struct text *json;        /* what the boards were last told */
};

struct event {
    int64_t seq;
    const char *name;         /* "room" or "station" (static) */
    struct text *data;
};

struct board {
    const struct room_config *cfg;
    int64_t recovery_ms;
    struct tile *tiles;       /* the config's rooms, in its order (sorted by id) */
    size_t ntiles;
    struct event *ring;
    size_t ring_cap, ring_len, ring_head;  /* ring_head: the oldest held */
    int64_t seq;
    bool broker;
    char controllers[MAX_CONTROLLERS][HV_NAME_MAX];  /* online ones, sorted */
    int ncontrollers;
    int boards, armed;
    struct text *station;     /* the station object last sent */
};

/* ---- shared texts and the ring ---------------------------------------------- */

static struct text *text_new(const char *s)
{
    size_t n = strlen(s) + 1;
    struct text *t = malloc(sizeof *t + n);

    if (!t)
        return NULL;
    t->refs = 1;
    memcpy(t->s, s, n);
    return t;
}

static void text_unref(struct text *t)
{
    if (t && --t->refs == 0)
        free(t);
}

/* Numbers the event and keeps it (taking a reference), dropping the oldest when full. */
static void ring_push(board *b, const char *name, struct text *data)
{
    struct event *e;

    if (b->ring_len == b->ring_cap) {
        text_unref(b->ring[b->ring_head].data);
        b->ring_head = (b->ring_head + 1) % b->ring_cap;
        b->ring_len--;
    }
    e = &b->ring[(b->ring_head + b->ring_len) % b->ring_cap];
    e->seq = ++b->seq;
    e->name = name;
    e->data = data;
    data->refs++;
    b->ring_len++;
}

/* ---- rendering ------------------------------------------------------------------ */

static bool add_ms(cJSON *o, const char *key, int64_t ms)
{
    return ms > 0 ? cJSON_AddNumberToObject(o, key, (double)ms) != NULL
                  : cJSON_AddNullToObject(o, key) != NULL;
}

static bool add_str(cJSON *o, const char *key, const char *s)
{
    return s && s[0] ? cJSON_AddStringToObject(o, key, s) != NULL
                     : cJSON_AddNullToObject(o, key) != NULL;
}

/* Prints o compactly and deletes it; NULL when out of memory (or !ok). */
static char *finish(cJSON *o, bool ok)
{
    char *s = o && ok ? cJSON_PrintUnformatted(o) : NULL;

    cJSON_Delete(o);
    return s;
}

/*
 * When the controller pages an unacknowledged call next, and whom: the rule
 * of room/calls.c (plan_next, fire).  Step i of the chain is paged at
 * base + steps[i].after; each page after the first adds one to escalation;
 * past the chain the last group is paged every repeat, counted from the
 * chain's last step.  The controller fires each deadline when it falls due,
 * so the time follows from base and the count alone.  0 when none is due
 * (acknowledged: reminders are not escalation).
 */
static int64_t next_tier(const board *b, const struct call_view *cv, const char **group)
{
    const struct prio_policy *pol = &b->cfg->policy[cv->w.priority];
    int64_t step = (int64_t)cv->w.escalation - cv->esc_base;
    int last = pol->nsteps - 1;

    *group = NULL;
    if (cv->w.state != CALL_OPEN || pol->nsteps <= 0)
        return 0;
    if (step < 0)
        step = 0;
    if (step < last) {
        *group = pol->steps[step + 1].group;
        return cv->base_ms + pol->steps[step + 1].after_ms;
    }
    *group = pol->steps[last].group;
    return cv->base_ms + pol->steps[last].after_ms + (step - last + 1) * pol->repeat_ms;
}

/* The call's concerns (issue 14): every one raised, in order; the board lists them. */
static bool add_concerns(cJSON *o, const struct contract_call *w)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "concerns");
    bool ok = arr != NULL;

    for (int i = 0; ok && i < w->nconcerns && i < HV_CONCERNS_MAX; i++) {
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(arr, e);
        if (!ok) {
            cJSON_Delete(e);
            break;
        }
        ok = cJSON_AddStringToObject(e, "reason", reason_name(w->concerns[i].reason)) &&
             cJSON_AddStringToObject(e, "priority", priority_name(w->concerns[i].priority)) &&
             add_str(e, "detail", w->concerns[i].detail) &&
             add_ms(e, "raised", w->concerns[i].raised_ms);
    }
    return ok && cJSON_AddNumberToObject(o, "concerns_more", w->concerns_more);
}

static cJSON *call_json(const board *b, const struct call_view *cv)
{
    const struct contract_call *w = &cv->w;
    const char *group;
    int64_t next = next_tier(b, cv, &group);
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;

    ok = ok && cJSON_AddStringToObject(o, "id", w->id);
    ok = ok && cJSON_AddStringToObject(o, "priority", priority_name(w->priority));
    ok = ok && cJSON_AddStringToObject(o, "reason", reason_name(w->reason));
    ok = ok && add_str(o, "detail", w->detail);
    ok = ok && cJSON_AddStringToObject(o, "state", call_state_name(w->state));
    ok = ok && add_ms(o, "raised", w->raised_ms);
    ok = ok && add_ms(o, "acknowledged", w->acknowledged_ms);
    ok = ok && add_str(o, "by", w->by);
    ok = ok && cJSON_AddNumberToObject(o, "escalation", w->escalation);
    ok = ok && add_ms(o, "next_tier_at", next);
    ok = ok && add_str(o, "next_group", group);
    ok = ok && add_concerns(o, w);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static const char *const kiosk_words[] = { "unknown", "offline", "online" };

/* The tile's JSON (board.h), malloc'd; NULL when out of memory. */
static char *tile_render(const board *b, const struct tile *t)
{
    const struct room_def *def = roomcfg_room(b->cfg, t->id);
    const char *label = def && def->label[0] ? def->label : t->id;
    int64_t observe = 0;
    cJSON *o = cJSON_CreateObject(), *call = NULL;
    bool ok = o != NULL;

    if (t->phase == PHASE_RECOVERY && b->recovery_ms > 0 && t->phase_since > 0)
        observe = t->phase_since + b->recovery_ms;
    ok = ok && cJSON_AddStringToObject(o, "id", t->id);
    ok = ok && cJSON_AddStringToObject(o, "label", label);
    ok = ok && cJSON_AddStringToObject(o, "kiosk", kiosk_words[t->kiosk + 1]);
    ok = ok && add_str(o, "phase", t->phase >= 0 ? phase_name((enum phase)t->phase) : NULL);
    ok = ok && add_ms(o, "phase_since", t->phase >= 0 ? t->phase_since : 0);
    ok = ok && add_str(o, "visit", t->visit);
    ok = ok && add_ms(o, "observe_until", observe);
    ok = ok && add_str(o, "scene", t->scene);
    if (ok && t->has_call) {
        call = call_json(b, &t->call);
        ok = call && cJSON_AddItemToObject(o, "call", call);
        if (!ok)
            cJSON_Delete(call);
    } else {
        ok = ok && cJSON_AddNullToObject(o, "call");
    }
    return finish(o, ok);
}

static char *station_render(const board *b)
{
    cJSON *o = cJSON_CreateObject(), *list;
    bool ok = o != NULL;

    ok = ok && cJSON_AddBoolToObject(o, "broker", b->broker);
    ok = ok && cJSON_AddBoolToObject(o, "controller", b->ncontrollers > 0);
    list = ok ? cJSON_AddArrayToObject(o, "controllers") : NULL;
    ok = list != NULL;
    for (int i = 0; ok && i < b->ncontrollers; i++) {
        cJSON *s = cJSON_CreateString(b->controllers[i]);
        ok = s && cJSON_AddItemToArray(list, s);
        if (!ok)
            cJSON_Delete(s);
    }
    ok = ok && cJSON_AddNumberToObject(o, "boards", b->boards);
    ok = ok && cJSON_AddNumberToObject(o, "armed", b->armed);
    return finish(o, ok);
}

/*
 * Makes s (malloc'd, taken; NULL: out of memory) the text at *slot if it
 * differs from it, and announces it as event name (NULL: the starting
 * picture, not an event).  Returns 0 or HV_ENOMEM (*slot unchanged).
 */
static int text_swap(board *b, struct text **slot, char *s, const char *name)
{
    struct text *txt;

    if (!s)
        return HV_ENOMEM;
    if (*slot && strcmp((*slot)->s, s) == 0) {
        free(s);
        return 0;
    }
    txt = text_new(s);
    free(s);
    if (!txt)
        return HV_ENOMEM;
    text_unref(*slot);
    *slot = txt;
    if (name)
        ring_push(b, name, txt);
    return 0;
}

/*
 * Makes next (a changed copy of *t) the tile, announcing it if what it shows
 * changed.  What is not shown (a beat, a chain's time zero) is kept either
 * way.  Returns 0, or HV_ENOMEM with the tile unchanged.
 */
static int tile_commit(board *b, struct tile *t, struct tile next)
{
    int rc = text_swap(b, &next.json, tile_render(b, &next), "room");

    if (rc == 0)
        *t = next;
    return rc;
}

static int station_commit(board *b)
{
    return text_swap(b, &b->station, station_render(b), "station");
}

/* ---- tiles --------------------------------------------------------------------- */

static int tile_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct tile *)elem)->id);
}

/* The tile of room (the config keeps rooms sorted by id), or NULL. */
static struct tile *tile_find(struct tile *tiles, size_t n, const char *room)
{
    if (!room || !tiles)
        return NULL;
    return bsearch(room, tiles, n, sizeof *tiles, tile_cmp);
}

/* A fresh tile array for cfg's rooms, all unknown and not yet rendered; NULL when out of memory. */
static struct tile *tiles_new(const struct room_config *cfg)
{
    struct tile *tiles = calloc(cfg->nrooms ? cfg->nrooms : 1, sizeof *tiles);

    for (size_t i = 0; tiles && i < cfg->nrooms; i++) {
        snprintf(tiles[i].id, sizeof tiles[i].id, "%s", cfg->rooms[i].id);
        tiles[i].kiosk = tiles[i].phase = -1;
    }
    return tiles;
}

static void tiles_free(struct tile *tiles, size_t n)
{
    for (size_t i = 0; tiles && i < n; i++)
        text_unref(tiles[i].json);
    free(tiles);
}

/* ---- life cycle --------------------------------------------------------------------- */

board *board_new(const struct room_config *cfg, int64_t recovery_ms, size_t ring)
{
    board *b;

    if (!cfg)
        return NULL;
    b = calloc(1, sizeof *b);
    if (!b)
        goto fail_board;
    b->cfg = cfg;
    b->recovery_ms = recovery_ms > 0 ? recovery_ms : 0;
    b->ring_cap = ring < RING_MIN ? RING_MIN : ring;
    b->ring = calloc(b->ring_cap, sizeof *b->ring);
    if (!b->ring)
        goto fail_ring;
    b->tiles = tiles_new(cfg);
    if (!b->tiles)
        goto fail_tiles;
    b->ntiles = cfg->nrooms;
    /* The first renderings are the starting picture, not events: seq stays 0. */
    for (size_t i = 0; i < b->ntiles; i++)
        if (text_swap(b, &b->tiles[i].json, tile_render(b, &b->tiles[i]), NULL) != 0)
            goto fail_render;
    if (text_swap(b, &b->station, station_render(b), NULL) != 0)
        goto fail_render;
    return b;

fail_render:
    tiles_free(b->tiles, b->ntiles);
fail_tiles:
    free(b->ring);
fail_ring:
    free(b);
fail_board:
    return NULL;
}

void board_free(board *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->ring_len; i++)
        text_unref(b->ring[(b->ring_head + i) % b->ring_cap].data);
    free(b->ring);
    tiles_free(b->tiles, b->ntiles);
    text_unref(b->station);
    free(b);
}

void board_set_config(board *b, const struct room_config *cfg, int64_t recovery_ms)
{
    struct tile *tiles;

    if (!b || !cfg)
        return;
    tiles = tiles_new(cfg);
    b->cfg = cfg;
    b->recovery_ms = recovery_ms > 0 ? recovery_ms : 0;
    if (!tiles) {
        /* Tiles look up their label and chain by id, so the old ones still render
         * under the new config; new rooms wait for the next reload. */
        log_error("board: out of memory: the new config's rooms are not shown");
        for (size_t i = 0; i < b->ntiles; i++)
            tile_commit(b, &b->tiles[i], b->tiles[i]);
        return;
    }
    for (size_t i = 0; i < cfg->nrooms; i++) {
        struct tile *old = tile_find(b->tiles, b->ntiles, tiles[i].id);
        if (old) {
            tiles[i] = *old;
            old->json = NULL;  /* moved */
        }
        if (tile_commit(b, &tiles[i], tiles[i]) != 0 && !tiles[i].json)
            log_error("board: out of memory: room %s is not shown", tiles[i].id);
    }
    tiles_free(b->tiles, b->ntiles);
    b->tiles = tiles;
    b->ntiles = cfg->nrooms;
}

/* ---- the retained payloads ------------------------------------------------------- */

/*
 * Parses a payload the contract's decoders do not cover (lights/state,
 * controller status) into a JSON object, with the same bounds: at most max
 * bytes, UTF-8, no NUL (raw or escaped: it would cut a string short), one
 * object and nothing after it.  NULL when refused.
 */
static cJSON *parse_bounded(const char *payload, size_t len, size_t max)
{
    const char *end = NULL;
    cJSON *root;

    if (!payload || len == 0 || len > max || !utf8_valid(payload, len) ||
        memchr(payload, '\0', len))
        return NULL;
    for (size_t i = 0; i + 5 < len; i++)
        if (payload[i] == '\\' && memcmp(payload + i + 1, "u0000", 5) == 0)
            return NULL;
    root = cJSON_ParseWithLengthOpts(payload, len, &end, 0);
    while (root && end < payload + len && strchr(" \t\r\n", *end))
        end++;
    if (!root || end != payload + len || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* Applies the room's call c (decoded off P/call/R, seen at now) to the tile copy n. */
static void apply_call(struct tile *n, const struct contract_call *c, int64_t now)
{
    bool same = n->has_call && strcmp(n->call.w.id, c->id) == 0;
    struct call_view old = n->call;

    n->call.w = *c;
    if (!same) {
        /* A call without "raised" (not the controller's) ages from when we saw it. */
        if (n->call.w.raised_ms <= 0)
            n->call.w.raised_ms = now;
        n->call.base_ms = n->call.w.raised_ms;
        n->call.esc_base = 0;
    } else {
        if (n->call.w.raised_ms <= 0)
            n->call.w.raised_ms = old.w.raised_ms;
        /* calls.c merge(): an upgrade restarts the chain, paged now, and keeps counting. */
        if (c->priority > old.w.priority) {
            n->call.base_ms = now;
            n->call.esc_base = c->escalation;
        }
    }
    n->has_call = true;
}

int board_on_call(board *b, const char *room, const char *payload, size_t len, int64_t now_ms)
{
    struct tile *t = b ? tile_find(b->tiles, b->ntiles, room) : NULL;
    struct contract_call c;
    const char *why = NULL;
    struct tile next;

    if (!t)
        return HV_EINVAL;
    next = *t;
    if (len == 0) {
        next.has_call = false;
        memset(&next.call, 0, sizeof next.call);
        return tile_commit(b, t, next);
    }
    if (contract_decode_call_state(payload, len, &c, &why) != 0 ||
        (c.room[0] && strcmp(c.room, room) != 0))
        return HV_EINVAL;
    apply_call(&next, &c, now_ms);
    return tile_commit(b, t, next);
}

/* Applies a kiosk status (seen at now) to the tile copy n. */
static void apply_status(struct tile *n, const struct msg_status *st, int64_t now)
{
    int phase;

    if (!st->online && !st->has_phase) {
        n->kiosk = 0;  /* the will: the kiosk is gone, its visit is not */
        return;
    }
    n->kiosk = st->online ? 1 : 0;
    phase = st->has_phase ? (int)st->phase : -1;
    if (phase != n->phase)
        n->phase_since = phase >= 0 ? now : 0;
    n->phase = phase;
    snprintf(n->visit, sizeof n->visit, "%s", st->visit);
}

int board_on_kiosk_status(board *b, const char *room, const char *payload, size_t len,
                          int64_t now_ms)
{
    struct tile *t = b ? tile_find(b->tiles, b->ntiles, room) : NULL;
    struct msg_status st;
    const char *why = NULL;
    struct tile next;

    if (!t)
        return HV_EINVAL;
    next = *t;
    if (len == 0) {
        next.kiosk = -1;
        next.phase = -1;
        next.phase_since = 0;
        next.visit[0] = '\0';
        return tile_commit(b, t, next);
    }
    if (contract_decode_status(payload, len, &st, &why) != 0)
        return HV_EINVAL;
    apply_status(&next, &st, now_ms);
    return tile_commit(b, t, next);
}

/* Scene names as the config spells them: [a-z0-9_-], shorter than HV_NAME_MAX. */
static bool scene_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= HV_NAME_MAX)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool opt_number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return !v || cJSON_IsNumber(v);
}

int board_on_lights_state(board *b, const char *room, const char *payload, size_t len,
                          int64_t now_ms)
{
    struct tile *t = b ? tile_find(b->tiles, b->ntiles, room) : NULL;
    struct tile next;
    cJSON *root;
    const cJSON *scene;
    bool ok;

    (void)now_ms;
    if (!t)
        return HV_EINVAL;
    next = *t;
    if (len == 0) {
        next.scene[0] = '\0';
        return tile_commit(b, t, next);
    }
    root = parse_bounded(payload, len, AUX_PAYLOAD_MAX);
    scene = cJSON_GetObjectItemCaseSensitive(root, "scene");
    ok = root && (cJSON_IsNull(scene) || (cJSON_IsString(scene) &&
                                          scene_valid(scene->valuestring))) &&
         opt_number(root, "brightness") && opt_number(root, "kelvin");
    if (ok)
        snprintf(next.scene, sizeof next.scene, "%s",
                 cJSON_IsString(scene) ? scene->valuestring : "");
    cJSON_Delete(root);
    return ok ? tile_commit(b, t, next) : HV_EINVAL;
}

/* ---- the station's own line ----------------------------------------------------------- */

/* A controller id as topics carry it: 1..63 of [A-Za-z0-9._-]. */
static bool controller_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    return n > 0 && n < HV_NAME_MAX &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Marks controller id online or not, keeping the list sorted.  HV_EINVAL when it is full. */
static int controller_mark(board *b, const char *id, bool online)
{
    int i = 0, n = b->ncontrollers;
    char (*at)[HV_NAME_MAX];

    while (i < n && strcmp(b->controllers[i], id) < 0)
        i++;
    at = &b->controllers[i];
    if (online == (i < n && strcmp(*at, id) == 0))
        return 0;
    if (online && n == MAX_CONTROLLERS)
        return HV_EINVAL;
    if (online)
        memmove(at + 1, at, (size_t)(n - i) * sizeof *at);
    else
        memmove(at, at + 1, (size_t)(n - i - 1) * sizeof *at);
    if (online)
        snprintf(*at, sizeof *at, "%s", id);
    b->ncontrollers += online ? 1 : -1;
    return 0;
}

int board_on_controller_status(board *b, const char *controller, const char *payload,
                               size_t len, int64_t now_ms)
{
    cJSON *root;
    const cJSON *online, *rooms;
    bool ok, up = false;
    int rc;

    (void)now_ms;
    if (!b || !controller_id_valid(controller))
        return HV_EINVAL;
    if (len > 0) {
        root = parse_bounded(payload, len, CTRL_PAYLOAD_MAX);
        online = cJSON_GetObjectItemCaseSensitive(root, "online");
        rooms = cJSON_GetObjectItemCaseSensitive(root, "rooms");
        ok = root && cJSON_IsBool(online) && (!rooms || cJSON_IsArray(rooms));
        up = ok && cJSON_IsTrue(online);
        cJSON_Delete(root);
        if (!ok)
            return HV_EINVAL;
    }
    rc = controller_mark(b, controller, up);
    return rc ? rc : station_commit(b);
}

void board_on_link(board *b, bool up)
{
    if (!b)
        return;
    b->broker = up;
    if (station_commit(b) != 0)
        log_error("board: out of memory: the boards were not told the broker link is %s",
                  up ? "up" : "down");
}

void board_set_boards(board *b, int boards, int armed)
{
    if (!b)
        return;
    b->boards = boards > 0 ? boards : 0;
    b->armed = armed > 0 ? armed : 0;
    if (station_commit(b) != 0)
        log_error("board: out of memory: the boards' count was not sent");
}

/* ---- reading ----------------------------------------------------------------------- */

int64_t board_seq(const board *b)
{
    return b ? b->seq : 0;
}

char *board_tile_json(const board *b, const char *room)
{
    struct tile *t = b ? tile_find(b->tiles, b->ntiles, room) : NULL;

    return t && t->json ? strdup(t->json->s) : NULL;
}

/*
 * Joined from the texts the boards were sent rather than rebuilt with cJSON:
 * a snapshot of 1,000 rooms is one copy, and it cannot differ from the events.
 */
char *board_snapshot_json(const board *b, int64_t now_ms)
{
    char head[96], *out, *at;
    size_t len;

    if (!b)
        return NULL;
    snprintf(head, sizeof head, "{\"seq\":%lld,\"now\":%lld,\"station\":", (long long)b->seq,
             (long long)now_ms);
    len = strlen(head) + strlen(b->station->s) + sizeof ",\"rooms\":[]}";
    for (size_t i = 0; i < b->ntiles; i++)
        len += b->tiles[i].json ? strlen(b->tiles[i].json->s) + 1 : 0;
    out = malloc(len);
    if (!out)
        return NULL;
    at = out + sprintf(out, "%s%s,\"rooms\":[", head, b->station->s);
    for (size_t i = 0; i < b->ntiles; i++) {
        if (!b->tiles[i].json)
            continue;  /* out of memory at a reload: shown once it changes */
        if (at[-1] != '[')
            *at++ = ',';
        at = stpcpy(at, b->tiles[i].json->s);
    }
    strcpy(at, "]}");
    return out;
}

int board_events_since(const board *b, int64_t seq, board_event_fn fn, void *ctx)
{
    int64_t oldest;
    int n = 0;

    if (!b || seq < 0 || seq > b->seq)
        return -1;
    if (seq == b->seq)
        return 0;
    oldest = b->seq - (int64_t)b->ring_len + 1;
    if (b->ring_len == 0 || seq + 1 < oldest)
        return -1;
    for (size_t i = (size_t)(seq + 1 - oldest); i < b->ring_len; i++) {
        const struct event *e = &b->ring[(b->ring_head + i) % b->ring_cap];
        if (fn)
            fn(ctx, e->seq, e->name, e->data->s);
        n++;
    }
    return n;
}

/* Urgent first, then the oldest; equal ones in the config's order. */
static int order_cmp(const void *pa, const void *pb)
{
    const struct tile *a = *(const struct tile *const *)pa;
    const struct tile *b = *(const struct tile *const *)pb;

    if (a->call.w.priority != b->call.w.priority)
        return a->call.w.priority > b->call.w.priority ? -1 : 1;
    if (a->call.w.raised_ms != b->call.w.raised_ms)
        return a->call.w.raised_ms < b->call.w.raised_ms ? -1 : 1;
    return a < b ? -1 : a > b;
}

size_t board_call_order(const board *b, const char **rooms, size_t max)
{
    const struct tile **calls;
    size_t n = 0;

    if (!b)
        return 0;
    calls = malloc((b->ntiles ? b->ntiles : 1) * sizeof *calls);
    for (size_t i = 0; i < b->ntiles; i++)
        if (b->tiles[i].has_call) {
            if (calls)
                calls[n] = &b->tiles[i];
            n++;
        }
    if (!calls)
        return n;  /* out of memory: the count, no order */
    qsort(calls, n, sizeof *calls, order_cmp);
    for (size_t i = 0; rooms && i < n && i < max; i++)
        rooms[i] = calls[i]->id;
    free(calls);
    return n;
}
