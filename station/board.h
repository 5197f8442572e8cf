/*
 * board.h - what the nurse station shows: one tile per chair and the
 * station's own link, kept from the contract's retained topics, and the
 * numbered stream of changes every board's event stream replays.
 *
 * The module knows nothing of MQTT or HTTP (the house model, like
 * room/calls.h): the station feeds it the payloads it receives and the
 * times it received them, and reads back JSON.  Not thread-safe: the station
 * holds its lock around every call.
 *
 * The stream.  Every change that a board shows is an event with a sequence
 * number, 1, 2, 3 ... for the life of the process, kept in a ring of the last
 * `ring` events.  A board that reconnects with Last-Event-ID n gets every
 * event after n if the ring still holds them all, else a fresh snapshot
 * (board_events_since returns -1), so no change is ever lost to a
 * reconnect.  An event's data is one JSON object (below).
 *
 *   event "room":    a whole tile (it replaces the board's copy), for any
 *                    change of the room's call, kiosk, phase, visit or scene
 *   event "station": {"broker":true,"controller":true,"controllers":["room-1"],
 *                     "boards":2,"armed":1}
 *
 * A tile:
 *   {"id":"chair-1","label":"Chair 1",
 *    "kiosk":"online|offline|unknown",
 *    "phase":"idle|intake|infusion|recovery|discharge"|null,
 *    "phase_since":<ms since the epoch, when the station saw the phase begin>|null,
 *    "visit":"V-1042"|null,
 *    "observe_until":<ms>|null,      recovery began + kiosk.recovery_minutes
 *    "scene":"infusion"|null,        the room's retained lights/state
 *    "call":null | {"id":..,"priority":"urgent|assist|routine","reason":..,
 *                   "detail":..|null,"state":"open|acknowledged",
 *                   "raised":<ms>,"acknowledged":<ms>|null,"by":..|null,
 *                   "escalation":0,
 *                   "next_tier_at":<ms>|null,  when the controller pages again if
 *                                              nobody acknowledges (null once acknowledged)
 *                   "next_group":"charge"|null}}
 *
 * Times are numbers (ms since the epoch, UTC) so the page's timers need no
 * parsing.  Rooms are the config's, in its order; a call for a room not in
 * the config is dropped (logged).
 */
#ifndef HAVEN_STATION_BOARD_H
#define HAVEN_STATION_BOARD_H

#include "roomcfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct board board;

/*
 * A board of cfg's rooms (cfg must outlive it; board_set_config swaps it),
 * keeping the last ring events (at least 16).  recovery_ms is
 * kiosk.recovery_minutes (0: no observation countdown).  NULL on no memory.
 */
board *board_new(const struct room_config *cfg, int64_t recovery_ms, size_t ring);
void board_free(board *b);

/* A reloaded config: rooms kept keep their state; new rooms start unknown;
 * removed rooms go (one "room" event each for new and changed tiles). */
void board_set_config(board *b, const struct room_config *cfg, int64_t recovery_ms);

/*
 * The retained payloads of the contract, as received at now_ms (wall clock).
 * An empty payload (len 0) clears (no call; status unknown).  Each returns 0,
 * or HV_EINVAL for a payload the contract's decoders refuse or an unknown
 * room (nothing changes; the caller logs it, rate-limited).  A payload equal
 * in effect to what the tile shows makes no event (the kiosk's heartbeat
 * re-publishes its status every beat).
 */
int board_on_call(board *b, const char *room, const char *payload, size_t len, int64_t now_ms);
int board_on_kiosk_status(board *b, const char *room, const char *payload, size_t len,
                          int64_t now_ms);
int board_on_lights_state(board *b, const char *room, const char *payload, size_t len,
                          int64_t now_ms);
int board_on_controller_status(board *b, const char *controller, const char *payload,
                               size_t len, int64_t now_ms);

/* The station's own broker link went up or down ("station" event). */
void board_on_link(board *b, bool up);
/* How many event streams are open and how many have sound armed ("station" event on change). */
void board_set_boards(board *b, int boards, int armed);

/* The last event's sequence number (0 before any). */
int64_t board_seq(const board *b);

/*
 * The whole picture, malloc'd:
 *   {"seq":<board_seq>,"now":<now_ms>,"station":{..as the event..},"rooms":[tile,..]}
 * NULL on no memory.
 */
char *board_snapshot_json(const board *b, int64_t now_ms);

/* One tile (malloc'd JSON), or NULL for an unknown room. */
char *board_tile_json(const board *b, const char *room);

typedef void (*board_event_fn)(void *ctx, int64_t seq, const char *event, const char *data);

/*
 * Calls fn for every event after seq, oldest first; returns how many, or -1
 * when the ring no longer holds them all (seq too old, or from before a
 * restart: seq > board_seq), and then the caller sends a snapshot instead.
 */
int board_events_since(const board *b, int64_t seq, board_event_fn fn, void *ctx);

/*
 * The calls to show in a list: open calls sorted by priority (urgent first),
 * then age (oldest first).  Fills rooms[] with up to max room ids' indexes
 * into the config and returns how many calls there are in all.  (The page
 * does the same sort from the tiles; this one is for tests and the pager
 * summary.)
 */
size_t board_call_order(const board *b, const char **rooms, size_t max);

#endif
