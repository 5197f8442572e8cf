/*
 * log.h - one-line log records on stderr (journald adds its own timestamps
 * under systemd; we add ours so demo and test logs read the same).
 *
 *   2026-11-21T14:03:07.412Z room  info  chair-1: call c-7f3a opened (help, assist)
 *
 * Bad input from the network is logged through a rate limiter so that a
 * misbehaving client cannot flood the log or stall the process with I/O.
 */
#ifndef HAVEN_LOG_H
#define HAVEN_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Name shown in every record ("room", "kiosk"); the string must outlive logging. */
void log_set_tag(const char *tag);
/* Records below level are dropped (default LOG_INFO; HAVEN_LOG=debug lowers it). */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/*
 * A token bucket for noisy records: at most `burst` records, refilled at one
 * per `interval_ms`.  Records over the limit are counted, and the count is
 * reported with the next record that gets through.
 */
struct log_ratelimit {
    int burst;
    int64_t interval_ms;
    int tokens;
    int64_t last_ms;
    unsigned long suppressed;
};
#define LOG_RATELIMIT_INIT(burst_, interval_ms_) \
    { (burst_), (interval_ms_), (burst_), 0, 0 }

void log_limited(struct log_ratelimit *rl, enum log_level level,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Reports the records rl has suppressed since the last one that got through,
 * as "<what>: N similar suppressed", once rl has a token again.  Call it now
 * and then (the controller: once a second), so that a flood that stops is
 * still accounted for in the log.
 */
void log_limited_flush(struct log_ratelimit *rl, enum log_level level, const char *what);

#endif
