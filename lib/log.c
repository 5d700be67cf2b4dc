/* log: JSON lines on stderr; see log.h. Thread-safe: each line is one write(2). */
#include "lib/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 8192

static atomic_int min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    atomic_store(&min_level, level);
}

int log_enabled(enum log_level level)
{
    return (int)level >= atomic_load(&min_level);
}

void log_format_time(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void log_begin(struct buf *line, enum log_level level, const char *msg)
{
    char now[40];
    log_format_time(now, sizeof(now));
    buf_init(line, LOG_LINE_MAX);
    buf_addf(line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", now, level_names[level]);
    buf_add_json_string(line, msg);
}

void log_str(struct buf *line, const char *key, const char *value)
{
    buf_adds(line, ",");
    buf_add_json_string(line, key);
    buf_adds(line, ":");
    if (value)
        buf_add_json_string(line, value);
    else
        buf_adds(line, "null");
}

void log_int(struct buf *line, const char *key, int64_t value)
{
    buf_adds(line, ",");
    buf_add_json_string(line, key);
    buf_addf(line, ":%lld", (long long)value);
}

void log_end(struct buf *line)
{
    buf_adds(line, "}\n");
    if (buf_error(line) == 0) {
        const char *p = buf_str(line);
        size_t n = line->n;
        while (n > 0) {
            ssize_t w = write(STDERR_FILENO, p, n);
            if (w <= 0) break;
            p += w;
            n -= (size_t)w;
        }
    } else {
        static const char lost[] = "{\"level\":\"error\",\"msg\":\"log line too long\"}\n";
        ssize_t w = write(STDERR_FILENO, lost, sizeof(lost) - 1);
        (void)w;
    }
    buf_reset(line);
}

void log_msg(enum log_level level, const char *msg, const char *key, const char *value)
{
    if (!log_enabled(level)) return;
    struct buf line;
    log_begin(&line, level, msg);
    if (key) log_str(&line, key, value);
    log_end(&line);
}
