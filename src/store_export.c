/*
** store_export.c — writing the database back out as JSON Lines that
** re-import to the same state: organizations (parents first), experts with
** their evidence, achievements, needs, then relations.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

static jb_status dump(jb_db *db, FILE *out, const char *sql, int flags, int experts,
                      jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, sql, &st, err)) return JB_ERR_DB;
  int rc;
  jb_status status = JB_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (jb_interrupted()) {
      status = JB_ERR_INTERRUPTED;
      jb_err_set(err, status, "%s", jb_msg(JB_MSG_STATUS_INTERRUPTED));
      break;
    }
    cJSON *o = NULL;
    if (experts) {
      status = jb_db_get(db, "expert", (const char *)sqlite3_column_text(st, 1),
                         flags & JB_EXPORT_WITH_CONTACTS, &o, err);
      if (status) break;
    } else {
      o = jb_record_public((const char *)sqlite3_column_text(st, 0), flags & JB_EXPORT_WITH_CONTACTS);
    }
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!s) {
      status = JB_ERR_NOMEM;
      jb_err_set(err, status, "out of memory exporting");
      break;
    }
    int bad = fputs(s, out) < 0 || fputc('\n', out) == EOF;
    free(s);
    if (bad) {
      status = JB_ERR_IO;
      jb_err_set(err, status, "write error during export");
      break;
    }
  }
  if (!status && rc != SQLITE_DONE) status = jb_err_db(err, db->db, rc, "reading for export");
  sqlite3_finalize(st);
  return status;
}

jb_status jb_export(jb_db *db, FILE *out, int flags, jb_error *err) {
  /* One read transaction: the export is a consistent snapshot even while an
  ** import runs in another process (WAL). */
  jb_status rc = jb_db_exec(db, "BEGIN", err);
  if (rc) return rc;
  if (flags & JB_EXPORT_SHARING) {
    flags &= ~JB_EXPORT_WITH_CONTACTS;
    if (fputs("{\"type\":\"export\",\"contacts\":\"removed\",\"note\":\"a sharing copy without contact "
              "details, not a backup: jiebang import refuses it\"}\n", out) < 0) {
      sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
      jb_err_set(err, JB_ERR_IO, "write error during export");
      return JB_ERR_IO;
    }
  }
  static const struct { const char *sql; int experts; } parts[] = {
      /* parents before children so that an org's parent exists on re-import */
      {"WITH RECURSIVE d(id, depth) AS (SELECT id, 0 FROM org WHERE parent IS NULL"
       " OR parent NOT IN (SELECT id FROM org) UNION ALL SELECT o.id, d.depth + 1 FROM org o"
       " JOIN d ON o.parent = d.id WHERE d.depth < 32)"
       " SELECT org.doc FROM org LEFT JOIN (SELECT id, max(depth) AS depth FROM d GROUP BY id) x"
       " ON x.id = org.id ORDER BY coalesce(x.depth, 1000), org.rowid", 0}, /* cycles last */
      {"SELECT doc, id FROM expert ORDER BY rowid", 1},
      {"SELECT doc FROM achievement ORDER BY rowid", 0},
      {"SELECT doc FROM need ORDER BY rowid", 0},
      {"SELECT doc FROM relation ORDER BY rowid", 0},
      {"SELECT doc FROM outcome ORDER BY rowid", 0},
  };
  for (int i = 0; i < JB_ARRAY_LEN(parts) && !rc; i++)
    rc = dump(db, out, parts[i].sql, flags, parts[i].experts, err);
  if (!rc && (flags & JB_EXPORT_WITH_HISTORY)) rc = jb_history_export(db, out, err);
  sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
  return rc;
}
