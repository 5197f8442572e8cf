/*
 * err.h - Haven's one list of error codes.
 *
 * Every fallible function in common/, room/ and kiosk/ returns 0 on success or
 * a negative HV_E* code.  The enum and hv_strerror() are generated from one
 * table (the X-macro below), in the manner of libuv's UV_ERRNO_MAP, so the two
 * can never drift apart.
 */
#ifndef HAVEN_ERR_H
#define HAVEN_ERR_H

#define HV_ERRNO_MAP(X)                                                   \
    X(NOMEM,    "out of memory")                                          \
    X(INVAL,    "invalid argument")                                       \
    X(CONFIG,   "configuration error")                                    \
    X(IO,       "input/output error")                                     \
    X(DB,       "database error")                                         \
    X(MQTT,     "MQTT error")                                             \
    X(NOCONN,   "not connected to the broker")                            \
    X(PARSE,    "malformed payload")                                      \
    X(TOOBIG,   "payload too large")                                      \
    X(NOTFOUND, "not found")                                              \
    X(EXISTS,   "already exists")                                         \
    X(STATE,    "not allowed in the current state")

enum hv_err {
    HV_OK = 0,
#define HV_ERR_ENUM(name, msg) HV_E##name,
    HV_ERR_FIRST_ = -100,
    HV_ERRNO_MAP(HV_ERR_ENUM)
#undef HV_ERR_ENUM
};

/* A static, human-readable description of code (0 or a negative HV_E*). */
const char *hv_strerror(int code);

#endif
