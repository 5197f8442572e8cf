/* log.c - stderr logging with a per-call-site rate limiter. */
#include "log.h"
#include "clock.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_tag = "haven";
static enum log_level log_min = LOG_INFO;
static int log_env_checked;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_tag(const char *tag) { log_tag = tag; }
void log_set_level(enum log_level level) { log_min = level; log_env_checked = 1; }

static void log_check_env(void)
{
    const char *env = getenv("HAVEN_LOG");
    log_env_checked = 1;
    if (env && strcmp(env, "debug") == 0)
        log_min = LOG_DEBUG;
}

__attribute__((format(printf, 3, 0)))
static void log_vwrite(enum log_level level, const char *suffix,
                       const char *fmt, va_list ap)
{
    char ts[HV_TS_LEN];
    char line[1024];

    clock_format_rfc3339(clock_now_ms(), ts);
    vsnprintf(line, sizeof line, fmt, ap);
    /* One fprintf per record keeps records whole when two processes share a log. */
    fprintf(stderr, "%s %-5s %-5s %s%s\n", ts, log_tag, level_names[level], line,
            suffix ? suffix : "");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    if (!log_env_checked)
        log_check_env();
    if (level < log_min)
        return;
    va_start(ap, fmt);
    log_vwrite(level, NULL, fmt, ap);
    va_end(ap);
}

/* Refills rl for the time gone by and takes one token. False when none is left. */
static bool take_token(struct log_ratelimit *rl)
{
    int64_t now = clock_mono_ms();

    if (rl->last_ms == 0)
        rl->last_ms = now;
    if (rl->interval_ms > 0 && now - rl->last_ms >= rl->interval_ms) {
        int64_t refill = (now - rl->last_ms) / rl->interval_ms;
        rl->tokens = refill >= rl->burst ? rl->burst : rl->tokens + (int)refill;
        if (rl->tokens > rl->burst)
            rl->tokens = rl->burst;
        rl->last_ms += refill * rl->interval_ms;
    }
    if (rl->tokens <= 0)
        return false;
    rl->tokens--;
    return true;
}

void log_limited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
    char suffix[64] = "";
    va_list ap;

    if (!log_env_checked)
        log_check_env();
    if (level < log_min)
        return;  /* filtered records spend no tokens */
    if (!take_token(rl)) {
        rl->suppressed++;
        return;
    }
    if (rl->suppressed) {
        snprintf(suffix, sizeof suffix, " (%lu similar suppressed)", rl->suppressed);
        rl->suppressed = 0;
    }
    va_start(ap, fmt);
    log_vwrite(level, suffix, fmt, ap);
    va_end(ap);
}

void log_limited_flush(struct log_ratelimit *rl, enum log_level level, const char *what)
{
    if (rl->suppressed == 0 || !take_token(rl))
        return;
    log_msg(level, "%s: %lu similar suppressed", what, rl->suppressed);
    rl->suppressed = 0;
}
