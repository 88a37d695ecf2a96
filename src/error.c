/*
** error.c — the one message table for jb_status, and error filling helpers.
*/
#include "jb_int.h"
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  const char *text;
} status_table[] = {
  [JB_OK] = {"ok", "success"},
  [JB_ERR_USAGE] = {"usage", "bad arguments or request"},
  [JB_ERR_IO] = {"io", "input/output error"},
  [JB_ERR_PARSE] = {"parse", "malformed input"},
  [JB_ERR_INVALID] = {"invalid", "invalid record"},
  [JB_ERR_NOTFOUND] = {"not_found", "not found"},
  [JB_ERR_DB] = {"db", "database error"},
  [JB_ERR_NOMEM] = {"nomem", "out of memory"},
  [JB_ERR_LIMIT] = {"limit", "limit exceeded"},
  [JB_ERR_BUSY] = {"busy", "database is busy"},
  [JB_ERR_STALE] = {"stale", "index is out of date"},
  [JB_ERR_CORRUPT] = {"corrupt", "integrity check failed"},
  [JB_ERR_INTERNAL] = {"internal", "internal error"},
};

const char *jb_status_str(jb_status rc) {
  if ((int)rc < 0 || (int)rc >= JB_ARRAY_LEN(status_table)) return "unknown error";
  return status_table[rc].text;
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
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  char where[384] = "";
  if (file && line > 0) snprintf(where, sizeof(where), "%s:%ld: ", file, line);
  else if (file && *file) snprintf(where, sizeof(where), "%s: ", file);
  if (field && *field)
    snprintf(err->message, sizeof(err->message), "%s%s: %s", where, field, what);
  else
    snprintf(err->message, sizeof(err->message), "%s%s", where, what);
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
