/*
 * log: one JSON object per line on standard error.
 *
 * Only the server logs; modules return errors. A line is built in a struct buf and written with
 * a single write(2), so lines from several threads never interleave. Never log secrets or tokens.
 */
#pragma once

#include <stdint.h>

#include "lib/buf.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/* Starts a line: {"time":...,"level":...,"msg":... */
void log_begin(struct buf *line, enum log_level level, const char *msg);
void log_str(struct buf *line, const char *key, const char *value);
void log_int(struct buf *line, const char *key, int64_t value);
/* Closes the object and writes it; frees the line. */
void log_end(struct buf *line);

/* A one-field shortcut for the common case. */
void log_msg(enum log_level level, const char *msg, const char *key, const char *value);

/* RFC 3339 UTC with milliseconds into out (at least 32 bytes). */
void log_format_time(char *out, size_t size);
