/*
 * contract.h - the MQTT contract (docs/protocol.md): topic names and the JSON
 * payloads on them, encoded and decoded with cJSON.
 *
 * Decoders take untrusted bytes off the network.  They check everything the
 * contract promises (a JSON object, UTF-8, at most 64 KiB, required fields
 * present with the right types, ids and names of a safe shape) and return
 * HV_EPARSE / HV_ETOOBIG with a short static reason for the log.  Nothing in a
 * decoded struct points into the payload: strings are copied into fixed
 * buffers, so the payload may be freed at once.
 */
#ifndef HAVEN_CONTRACT_H
#define HAVEN_CONTRACT_H

#include "ids.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_ROOM_MAX   33   /* [a-z0-9-]{1,32} plus NUL */
#define HV_NAME_MAX   64   /* a nurse's name or staff id, a group, a label */
#define HV_DETAIL_MAX 256
#define HV_TOPIC_MAX  256
#define HV_LOGIN_MAX  65   /* a broker login: [A-Za-z0-9._-]{1,64} plus NUL */

/* ---- enumerations ------------------------------------------------------- */

enum call_reason {
    REASON_HELP, REASON_UNWELL, REASON_SAFETY, REASON_READY, REASON_KIOSK_OFFLINE,
    REASON_COUNT
};
enum priority { PRIO_ROUTINE, PRIO_ASSIST, PRIO_URGENT, PRIO_COUNT };
enum call_state { CALL_OPEN, CALL_ACKNOWLEDGED };
enum phase {
    PHASE_IDLE, PHASE_INTAKE, PHASE_INFUSION, PHASE_RECOVERY, PHASE_DISCHARGE,
    PHASE_COUNT
};

const char *reason_name(enum call_reason r);
const char *priority_name(enum priority p);
const char *call_state_name(enum call_state s);
const char *phase_name(enum phase p);
/* Each returns the enum value for name, or -1. */
int reason_from_name(const char *name);
int priority_from_name(const char *name);
int phase_from_name(const char *name);

/* ---- topics --------------------------------------------------------------- */

enum topic_kind {
    TOPIC_UNKNOWN,
    TOPIC_KIOSK_STATUS,    /* P/room/R/kiosk/status */
    TOPIC_KIOSK_CALL,      /* P/room/R/kiosk/call */
    TOPIC_KIOSK_CLEAR,     /* P/room/R/kiosk/clear */
    TOPIC_KIOSK_CHECKIN,   /* P/room/R/kiosk/checkin */
    TOPIC_KIOSK_RESPONSE,  /* P/room/R/kiosk/response */
    TOPIC_KIOSK_CMD,       /* P/room/R/kiosk/cmd */
    TOPIC_KIOSK_THEME,     /* P/room/R/kiosk/theme (Haven's own: the patient's choice) */
    TOPIC_KIOSK_STORED,    /* P/room/R/kiosk/stored (Haven's own: the station kept a message) */
    TOPIC_LIGHTS_SET,      /* P/room/R/lights/set */
    TOPIC_LIGHTS_STATE,    /* P/room/R/lights/state */
    TOPIC_CALL,            /* P/call/R */
    TOPIC_CALL_ACK,        /* P/call/R/ack/<login> */
    TOPIC_CALL_CLEAR,      /* P/call/R/clear/<login> */
    TOPIC_PAGE,            /* P/page/G */
    TOPIC_CONTROLLER,      /* P/controller/C/status */
    TOPIC_STATION_STATUS,  /* P/station/S/status: S is the station's broker login */
    TOPIC_REPORT_REQUEST,  /* P/report/C/request/<login>: a station asks controller C */
    TOPIC_REPORT_REPLY,    /* P/report/C/reply/<login>: C answers that station */
};

/*
 * Splits topic under prefix into its kind and the name in it (room, group or
 * controller id) copied to name (HV_NAME_MAX bytes).  Returns TOPIC_UNKNOWN
 * for anything the contract does not name, or a room id of the wrong shape.
 */
enum topic_kind topic_parse(const char *prefix, const char *topic, char name[HV_NAME_MAX]);

/*
 * Like topic_parse, and for the topics with a login level (TOPIC_CALL_ACK,
 * TOPIC_CALL_CLEAR: the sender's broker username, which the production ACL
 * pins to that user) copies it to login; "" for the others.  A login level
 * that is not login_valid makes the topic TOPIC_UNKNOWN.
 */
enum topic_kind topic_parse_login(const char *prefix, const char *topic, char name[HV_NAME_MAX],
                                  char login[HV_LOGIN_MAX]);

/* True for a broker login as the contract allows it: 1..64 of [A-Za-z0-9._-]. */
bool login_valid(const char *login);

/* A station login ("station" or "station-..."): it authenticates its nurse, so its
 * payload's "by" names the person (DESIGN P2); any other login is the person. */
bool login_is_station(const char *login);

/* Writes the topic of kind for name into out; a login level, if the kind has one, is "+"
 * (a filter).  Returns 0 or HV_EINVAL (too long). */
int topic_build(char *out, size_t outlen, const char *prefix, enum topic_kind kind,
                const char *name);
/* The same with the login level given. */
int topic_build_login(char *out, size_t outlen, const char *prefix, enum topic_kind kind,
                      const char *name, const char *login);

/*
 * True for a topic prefix Haven can build topics under: 1..63 bytes of UTF-8,
 * levels separated by single '/', no leading or trailing '/', and no '+', '#',
 * spaces or control characters.
 */
bool topic_prefix_valid(const char *prefix);

/* True for a room id of the contract's shape [a-z0-9-]{1,32}. */
bool room_id_valid(const char *id);

/* ---- payloads -------------------------------------------------------------- */

/* P/room/R/kiosk/call */
struct msg_call {
    char id[HV_ID_MAX];
    enum call_reason reason;
    char detail[HV_DETAIL_MAX];  /* "" when absent */
    bool has_priority;           /* an optional "priority" was given (a questionnaire rule's) */
    enum priority priority;
};

/* P/room/R/kiosk/clear, P/call/R/ack/<login>, P/call/R/clear/<login> */
struct msg_ack {
    char id[HV_ID_MAX];
    char by[HV_NAME_MAX];        /* "" when absent or null; see contract_ack_sender */
    char via[HV_LOGIN_MAX];      /* the login it came through; "" (the decoder's) for the kiosk */
};

/*
 * Who acknowledged or cleared, from the login the message came through
 * (DESIGN P2): from a station login, m->by (the nurse the station
 * authenticated), or the login when by is empty; from any other login the
 * payload's by is ignored and by is the login.  m->via becomes the login.
 */
void contract_ack_sender(struct msg_ack *m, const char *login);

/* P/room/R/kiosk/status */
struct msg_status {
    bool online;
    bool has_phase;              /* the will carries no phase */
    enum phase phase;
    char visit[HV_ID_MAX];       /* "" when null or absent */
    int beat_ms;                 /* the kiosk's heartbeat, 1000..60000; 0 when absent (a will) */
};

/*
 * One concern raised on a call (issue 14): the call that opened it, or a later
 * call id the controller joined to it (a second checklist answer, item 9, an
 * unwell check-in).  The nurse sees every one, not only the first.
 */
#define HV_CONCERNS_MAX 8
struct contract_concern {
    enum call_reason reason;
    enum priority priority;      /* the priority this concern asked for */
    int64_t raised_ms;
    char detail[HV_DETAIL_MAX];  /* "" when the kiosk sent none */
};

/*
 * The room's call, as on P/call/R and P/page/G.  Times are ms since the
 * epoch; acknowledged_ms is 0 while the call is open.
 */
struct contract_call {
    char id[HV_ID_MAX];
    char room[HV_ROOM_MAX];
    char label[HV_NAME_MAX];
    enum priority priority;
    enum call_reason reason;
    enum call_state state;
    int64_t raised_ms;
    int64_t acknowledged_ms;
    char by[HV_NAME_MAX];
    char via[HV_LOGIN_MAX];      /* the login that acknowledged ("" while open, or a bedside ack) */
    int escalation;
    char detail[HV_DETAIL_MAX];
    /* Every concern raised on the call, in the order raised (the first opened it);
     * concerns_more counts those that came after the list was full. */
    int nconcerns;
    int concerns_more;
    struct contract_concern concerns[HV_CONCERNS_MAX];
};

/*
 * Decoders: payload need not be NUL-terminated.  Return 0, HV_EPARSE or
 * HV_ETOOBIG; *why gets a static reason on failure.
 */
int contract_decode_call(const char *payload, size_t len, struct msg_call *out,
                         const char **why);
int contract_decode_ack(const char *payload, size_t len, struct msg_ack *out,
                        const char **why);
int contract_decode_status(const char *payload, size_t len, struct msg_status *out,
                           const char **why);
int contract_decode_call_state(const char *payload, size_t len, struct contract_call *out,
                               const char **why);

/*
 * P/room/R/lights/set: a staff override.  Either a scene, or brightness and/or
 * kelvin (with an optional transition), or {"release":true} to end an
 * override.  The decoder rejects out-of-range values (brightness 0..100,
 * kelvin 2000..6500, transition 0..3600 s); whether the scene exists is the
 * controller's to check.
 */
struct msg_lights_set {
    bool release;
    char scene[HV_NAME_MAX];     /* "" when absent */
    bool has_brightness, has_kelvin, has_transition;
    double brightness;           /* % */
    int kelvin;
    int64_t transition_ms;
};

/* P/room/R/kiosk/theme: the theme the patient chose, and the light scene it asks for. */
struct msg_kiosk_theme {
    char theme[HV_NAME_MAX];
    char scene[HV_NAME_MAX];     /* "" for none (null) */
    enum phase phase;            /* the phase it was chosen in: it holds only there */
};

int contract_decode_lights_set(const char *payload, size_t len, struct msg_lights_set *out,
                               const char **why);
int contract_decode_kiosk_theme(const char *payload, size_t len, struct msg_kiosk_theme *out,
                                const char **why);

/*
 * P/station/S/status (retained, issue 13): a nurse station's boards.
 * {"online":true,"boards":N,"armed":M,"ts":..} while connected, its will
 * {"online":false} when not.  0 <= armed <= boards <= STATION_BOARDS_MAX.
 */
#define STATION_BOARDS_MAX 100000
struct msg_station_status {
    bool online;
    int boards;                  /* browsers showing the board (0 for the will) */
    int armed;                   /* of those, with sound on */
};

int contract_decode_station_status(const char *payload, size_t len,
                                   struct msg_station_status *out, const char **why);

/*
 * P/report/C/request/<login> (issue 13, station/report.h has both shapes):
 * {"id":"r-..","since":<RFC 3339>,"until":<RFC 3339>,"day_starts":"HH:MM",
 *  "night_starts":"HH:MM","target_s":{"urgent":s,"assist":s,"routine":s}}.
 * All fields required; since < until, a range of at most REPORT_RANGE_MAX_MS;
 * day_starts != night_starts; targets 1..REPORT_TARGET_MAX_S.
 */
#define REPORT_RANGE_MAX_MS (366LL * 86400 * 1000)
#define REPORT_TARGET_MAX_S 86400
struct msg_report_request {
    char id[HV_ID_MAX];
    int64_t since_ms, until_ms;
    int day_starts_min, night_starts_min;   /* minutes after local midnight, 0..1439 */
    int target_s[PRIO_COUNT];               /* by enum priority */
};

int contract_decode_report_request(const char *payload, size_t len,
                                   struct msg_report_request *out, const char **why);

/* Encoders return a malloc'd JSON string (caller frees), or NULL when out of memory. */
char *contract_encode_call(const struct contract_call *call);
char *contract_encode_controller_status(bool online, const char *const *rooms,
                                        size_t nrooms, int64_t ts_ms);
/*
 * The page on P/page/G when no nurse-station board has sound on (issue 13):
 * the call object's shape, id "noboard-<raised_ms>", room "station", label
 * "Nurse station", priority assist, reason "no_board", state open.  Its reason
 * is not an enum call_reason: it is no room's call (never on P/call/R, never
 * in the call log, nothing to acknowledge), so it is named only here.
 */
#define REASON_NAME_NO_BOARD "no_board"
char *contract_encode_no_board_page(int64_t raised_ms);
/* P/room/R/lights/state: brightness rounded to whole %. */
char *contract_encode_lights_state(const char *scene, double brightness, int kelvin,
                                   int64_t ts_ms);

/* ---- the kiosk's side ---- */

/* P/room/R/kiosk/cmd: from the controller and the nurse station. */
enum kiosk_cmd {
    CMD_CALL_ACKNOWLEDGED,   /* id, by */
    CMD_CALL_CLEARED,        /* id */
    CMD_BEGIN_VISIT,         /* visit, lang, infusion */
    CMD_PHASE,               /* phase */
    CMD_END_VISIT,
};

struct msg_kiosk_cmd {
    enum kiosk_cmd cmd;
    char id[HV_ID_MAX];
    char by[HV_NAME_MAX];
    char visit[HV_ID_MAX];
    char lang[8];
    int infusion;            /* begin_visit: which infusion of the course (1 = first), 0 absent */
    char patient[HV_ID_MAX];  /* begin_visit's pseudonymous patient key ("" : none given) */
    enum phase phase;
};
#define HV_INFUSION_MAX 100  /* begin_visit "infusion": 1..100 */

int contract_decode_kiosk_cmd(const char *payload, size_t len, struct msg_kiosk_cmd *out,
                              const char **why);

/* visit may be "" (null on the wire). */
char *contract_encode_kiosk_status(enum phase phase, const char *visit, int64_t ts_ms);
/* The same with "beat" (ms, STATUS_BEAT_MIN..STATUS_BEAT_MAX; 0 leaves it out): the
 * interval at which the kiosk re-publishes its status while connected. */
char *contract_encode_kiosk_status_beat(enum phase phase, const char *visit, int beat_ms,
                                        int64_t ts_ms);
#define STATUS_BEAT_MIN 1000
#define STATUS_BEAT_MAX 60000
char *contract_encode_kiosk_call(const char *id, enum call_reason reason, const char *detail,
                                 int64_t ts_ms);
/* The same with the optional "priority" (an enum priority; -1 leaves it out): a
 * questionnaire rule's own priority, e.g. a routine call for "no escort home". */
char *contract_encode_kiosk_call_priority(const char *id, enum call_reason reason,
                                          const char *detail, int priority, int64_t ts_ms);
char *contract_encode_kiosk_clear(const char *id, const char *by, int64_t ts_ms);
/* feeling 1..5, or 0 for none: a prompt nobody answered ("feeling":null,"unanswered":true),
 * or only "I'd like someone to come" (want_someone, "feeling":null). */
char *contract_encode_checkin(const char *id, int feeling, bool want_someone, int64_t ts_ms);
/* The same with the visit it belongs to ("visit", issue 14; NULL or "": left out). */
char *contract_encode_checkin_visit(const char *id, int feeling, bool want_someone,
                                    const char *visit, int64_t ts_ms);

/*
 * P/room/R/kiosk/theme (retained): the sound theme the patient chose, the
 * light scene it names (scene NULL or "": null) and the phase it was chosen
 * for, {"theme":..,"scene":..|null,"phase":..,"ts":..}.
 */
char *contract_encode_kiosk_theme(const char *theme, const char *scene, enum phase phase,
                                  int64_t ts_ms);

/* True if the len bytes at s are well-formed UTF-8. */
bool utf8_valid(const char *s, size_t len);

#endif
