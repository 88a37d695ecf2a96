/*
** error.c — the one message table for jb_status, and error filling helpers.
*/
#include "jb_int.h"
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Stable machine names (the protocol's error codes, never translated) and
** the catalogue's text for each status. */
static const struct {
  const char *name;
  jb_msg_id text;
} status_table[] = {
  [JB_OK] = {"ok", JB_MSG_STATUS_OK},
  [JB_ERR_USAGE] = {"usage", JB_MSG_STATUS_USAGE},
  [JB_ERR_IO] = {"io", JB_MSG_STATUS_IO},
  [JB_ERR_PARSE] = {"parse", JB_MSG_STATUS_PARSE},
  [JB_ERR_INVALID] = {"invalid", JB_MSG_STATUS_INVALID},
  [JB_ERR_NOTFOUND] = {"not_found", JB_MSG_STATUS_NOTFOUND},
  [JB_ERR_DB] = {"db", JB_MSG_STATUS_DB},
  [JB_ERR_NOMEM] = {"nomem", JB_MSG_STATUS_NOMEM},
  [JB_ERR_LIMIT] = {"limit", JB_MSG_STATUS_LIMIT},
  [JB_ERR_BUSY] = {"busy", JB_MSG_STATUS_BUSY},
  [JB_ERR_STALE] = {"stale", JB_MSG_STATUS_STALE},
  [JB_ERR_CORRUPT] = {"corrupt", JB_MSG_STATUS_CORRUPT},
  [JB_ERR_INTERNAL] = {"internal", JB_MSG_STATUS_INTERNAL},
  [JB_ERR_INTERRUPTED] = {"interrupted", JB_MSG_STATUS_INTERRUPTED},
};

/* Set from a signal handler, read by every loop that can stop early. */
static volatile sig_atomic_t interrupt_requested;

void jb_interrupt(void) { interrupt_requested = 1; }
int jb_interrupted(void) { return interrupt_requested != 0; }

const char *jb_status_str(jb_status rc) {
  if ((int)rc < 0 || (int)rc >= JB_ARRAY_LEN(status_table)) return jb_msg(JB_MSG_STATUS_INTERNAL);
  return jb_msg(status_table[rc].text);
}

const char *jb_status_name(jb_status rc) {
  if ((int)rc < 0 || (int)rc >= JB_ARRAY_LEN(status_table)) return "unknown";
  return status_table[rc].name;
}

/* Messages quote user input and are cut to fit: whatever was cut or quoted,
** what comes out is valid UTF-8 (invalid or cut sequences are dropped), so a
** JSON response or a terminal never receives broken text. */
static void utf8_clean(char *s) {
  unsigned char *r = (unsigned char *)s, *w = r;
  size_t n = strlen(s);
  while (*r) {
    uint32_t cp;
    int l = jb_utf8_decode(r, n - (size_t)(r - (unsigned char *)s), &cp);
    if (!l) {
      r++;
      continue;
    }
    memmove(w, r, (size_t)l);
    w += l;
    r += l;
  }
  *w = 0;
}

void jb_error_clear(jb_error *err) {
  if (err) memset(err, 0, sizeof(*err));
}

void jb_err_set(jb_error *err, jb_status code, const char *fmt, ...) {
  if (!err) return;
  jb_error_clear(err);
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  utf8_clean(err->message);
}

void jb_err_at(jb_error *err, jb_status code, const char *file, long line,
               const char *field, const char *fmt, ...) {
  if (!err) return;
  jb_error_clear(err);
  err->code = code;
  err->line = line;
  snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
  snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
  char what[sizeof(err->message)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  char where[384] = "";
  if (file && line > 0) snprintf(where, sizeof(where), "%s:%ld: ", file, line);
  else if (file && *file) snprintf(where, sizeof(where), "%s: ", file);
  /* where, then the field, then what: each cut to what room is left */
  size_t cap = sizeof(err->message), k = (size_t)snprintf(err->message, cap, "%s", where);
  if (k < cap && field && *field) k += (size_t)snprintf(err->message + k, cap - k, "%s: ", field);
  if (k < cap) snprintf(err->message + k, cap - k, "%s", what);
  utf8_clean(err->message);
  utf8_clean(err->file);
  utf8_clean(err->field);
}

jb_status jb_err_db(jb_error *err, sqlite3 *db, int rc, const char *doing) {
  jb_status code = JB_ERR_DB;
  int prim = rc & 0xff;
  if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) code = JB_ERR_BUSY;
  else if (prim == SQLITE_NOMEM) code = JB_ERR_NOMEM;
  else if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) code = JB_ERR_CORRUPT;
  else if (prim == SQLITE_CANTOPEN || prim == SQLITE_IOERR || prim == SQLITE_FULL) code = JB_ERR_IO;
  else if (prim == SQLITE_READONLY) code = JB_ERR_IO;
  jb_err_set(err, code, "%s: %s", doing, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return code;
}

int jb_step(sqlite3_stmt *st, const char *what, jb_error *err) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return 1;
  if (rc == SQLITE_DONE) return 0;
  char doing[256];
  snprintf(doing, sizeof(doing), "cannot read %s", what);
  return -(int)jb_err_db(err, sqlite3_db_handle(st), rc, doing);
}
