/*
** store_change.c — write transactions as change sets, and the history of
** every record.
**
** Every command that writes (import of one file, set, outcome, delete,
** revert, undo) is one SQLite transaction and one change set: a `changeset`
** row says when, who, which command, which input file and its SHA-256. Each
** record the change set touches gets one `history` row holding the record's
** whole previous version (NULL when it did not exist) — the current version
** is the record itself. So version V of a record is the `before` of version
** V+1, or the record as it stands when V is the latest; a record stored
** before history existed starts at version 1 and its first change is V2.
** A record changed several times by one change set (an expert and then its
** evidence lines) keeps one version for it: the state after the change set.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

jb_status jb_write_begin(jb_db *db, const char *input, const char *input_sha, jb_error *err) {
  if (db->readonly) {
    jb_err_set(err, JB_ERR_USAGE, "this command needs a writable database");
    return JB_ERR_USAGE;
  }
  jb_status rc = jb_db_exec(db, "BEGIN IMMEDIATE", err);
  if (rc) return rc;
  rc = jb_db_ensure_fts(db, err);
  if (!rc) rc = jb_fts_begin(db, err);
  if (rc) {
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  db->chg.active = 1;
  db->chg.id = 0;
  db->chg.restoring = 0;
  db->chg.supply = 0;
  db->chg.input = input ? jb_strdup(input) : NULL;
  db->chg.sha = input_sha ? jb_strdup(input_sha) : NULL;
  return JB_OK;
}

sqlite3_int64 jb_change_current(jb_db *db) { return db->chg.active ? db->chg.id : 0; }

void jb_change_rolled_back(jb_db *db) {
  if (!db->chg.id) return;
  sqlite3_stmt *st = NULL;
  int gone = 1;
  if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM changeset WHERE id=?1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, db->chg.id);
    gone = sqlite3_step(st) != SQLITE_ROW;
  }
  sqlite3_finalize(st);
  if (gone) db->chg.id = 0;
}

/* The change set's row, made when its first record changes: a command that
** changes nothing leaves no trace. */
static jb_status change_row(jb_db *db, jb_error *err) {
  if (db->chg.id) return JB_OK;
  sqlite3_stmt *st = jb_db_cached(db,
                                  "INSERT INTO changeset(at, user, command, input, sha256)"
                                  " VALUES(strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?1, ?2, ?3, ?4)",
                                  err);
  if (!st) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, db->user ? db->user : "unknown", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, db->command ? db->command : "", -1, SQLITE_STATIC);
  if (db->chg.input) sqlite3_bind_text(st, 3, db->chg.input, -1, SQLITE_STATIC);
  if (db->chg.sha) sqlite3_bind_text(st, 4, db->chg.sha, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  jb_db_release(st);
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "recording the change");
  db->chg.id = sqlite3_last_insert_rowid(db->db);
  return JB_OK;
}

jb_status jb_history_note(jb_db *db, jb_kind hkind, const char *key, const char *op, const char *before,
                          sqlite3_int64 before_rowid, jb_error *err) {
  if (!db->chg.active) return JB_OK; /* a write outside a change set: tests of the store alone */
  jb_status rc = change_row(db, err);
  if (rc) return rc;
  /* needs have their own part of the match index, rebuilt alone (match_index.c);
  ** outcomes are read when a need is matched, not indexed */
  if (hkind != JB_KIND_NEED && hkind != JB_KIND_OUTCOME) db->chg.supply = 1;
  const char *kind = jb_kind_name(hkind);
  sqlite3_stmt *st = jb_db_cached(db, "SELECT version, change FROM history WHERE kind=?1 AND key=?2"
                                      " ORDER BY version DESC LIMIT 1", err);
  if (!st) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
  sqlite3_int64 version = 0, last_change = 0;
  int src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    version = sqlite3_column_int64(st, 0);
    last_change = sqlite3_column_int64(st, 1);
  }
  jb_db_release(st);
  if (src != SQLITE_ROW && src != SQLITE_DONE) return jb_err_db(err, db->db, src, "reading history");
  if (last_change == db->chg.id && version) {
    /* changed again by the same change set: one version per change set, but
    ** a deletion within it is what the version now says */
    if (strcmp(op, "delete")) return JB_OK;
    st = jb_db_cached(db, "UPDATE history SET op=CASE op WHEN 'insert' THEN 'insert+delete' ELSE 'delete' END,"
                          " before_rowid=?3 WHERE kind=?1 AND key=?2 AND version=?4", err);
    if (!st) return JB_ERR_DB;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, before_rowid);
    sqlite3_bind_int64(st, 4, version);
    src = sqlite3_step(st);
    jb_db_release(st);
    return src == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, src, "recording history");
  }
  /* a record stored before history began was version 1 */
  version = version ? version + 1 : (before ? 2 : 1);
  st = jb_db_cached(db, "INSERT INTO history(change, kind, key, version, op, before, before_rowid)"
                        " VALUES(?1,?2,?3,?4,?5,?6,?7)", err);
  if (!st) return JB_ERR_DB;
  sqlite3_bind_int64(st, 1, db->chg.id);
  sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, version);
  sqlite3_bind_text(st, 5, op, -1, SQLITE_STATIC);
  if (before) sqlite3_bind_text(st, 6, before, -1, SQLITE_STATIC);
  if (before_rowid) sqlite3_bind_int64(st, 7, before_rowid);
  src = sqlite3_step(st);
  jb_db_release(st);
  return src == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, src, "recording history");
}

cJSON *jb_record_diff(const char *before, const char *after) {
  cJSON *a = before ? cJSON_Parse(before) : NULL, *b = after ? cJSON_Parse(after) : NULL;
  cJSON *out = cJSON_CreateArray();
  const cJSON *j;
  /* fields of the old version in its order, then those new in the new one */
  for (int pass = 0; pass < 2 && out; pass++) {
    const cJSON *side = pass ? b : a, *opposite = pass ? a : b;
    cJSON_ArrayForEach(j, side) {
      const cJSON *other = cJSON_GetObjectItemCaseSensitive(opposite, j->string);
      if (pass && other) continue;
      if (other && cJSON_Compare(j, other, 1)) continue;
      if (!strcmp(j->string, "type")) continue;
      cJSON *d = cJSON_CreateObject();
      cJSON_AddStringToObject(d, "field", j->string);
      const cJSON *oldv = pass ? NULL : j, *newv = pass ? j : other;
      if (oldv) cJSON_AddItemToObject(d, "old", cJSON_Duplicate(oldv, 1));
      if (newv) cJSON_AddItemToObject(d, "new", cJSON_Duplicate(newv, 1));
      cJSON_AddItemToArray(out, d);
    }
  }
  cJSON_Delete(a);
  cJSON_Delete(b);
  return out;
}

/* What the change set under way did, record by record: [{"kind","key","op",
** "changes":[...]}], for --dry-run (read inside the transaction, before it
** is rolled back). */
static jb_status change_summary(jb_db *db, sqlite3_int64 change, cJSON *out, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT kind, key, op, before FROM history WHERE change=?1 ORDER BY seq", &st, err))
    return JB_ERR_DB;
  sqlite3_bind_int64(st, 1, change);
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *kind = (const char *)sqlite3_column_text(st, 0), *key = (const char *)sqlite3_column_text(st, 1);
    char *after = jb_record_snapshot(db, jb_kind_parse(kind), key);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "kind", kind);
    cJSON_AddStringToObject(r, "key", key);
    cJSON_AddStringToObject(r, "op", (const char *)sqlite3_column_text(st, 2));
    cJSON_AddItemToObject(r, "changes", jb_record_diff((const char *)sqlite3_column_text(st, 3), after));
    cJSON_AddItemToArray(out, r);
    free(after);
  }
  sqlite3_finalize(st);
  return src == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, src, "reading the changes");
}

/* History older than the retention setting (meta history_days; unset or 0:
** kept for ever) is removed at the end of each write, and the date before
** which versions were removed is kept in meta, so `history` says so. */
static jb_status prune(jb_db *db, jb_error *err) {
  char *days = jb_meta_get(db, "history_days");
  int d = days ? atoi(days) : 0;
  free(days);
  if (d <= 0) return JB_OK;
  char sql[512];
  snprintf(sql, sizeof(sql),
           "DELETE FROM history WHERE change IN (SELECT id FROM changeset WHERE at < strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now','-%d days'));"
           "DELETE FROM changeset WHERE at < strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now','-%d days')"
           " AND id NOT IN (SELECT change FROM history)", d, d);
  jb_status rc = jb_db_exec(db, sql, err);
  if (!rc && sqlite3_changes(db->db) > 0) {
    snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES('history_pruned_before', strftime('%%Y-%%m-%%d','now','-%d days'))"
                               " ON CONFLICT(key) DO UPDATE SET value=excluded.value", d);
    rc = jb_db_exec(db, sql, err);
  }
  return rc;
}

jb_status jb_write_end(jb_db *db, jb_status rc, int dry_run, cJSON *changes, jb_error *err) {
  if (!rc) rc = jb_fts_flush(db, err);
  if (!rc && dry_run && changes && db->chg.id) rc = change_summary(db, db->chg.id, changes, err);
  jb_fts_end(db);
  if (!rc && !dry_run && db->chg.id) rc = db->chg.supply ? jb_db_touch(db, err) : jb_db_touch_needs(db, err);
  if (!rc && !dry_run && db->chg.id) rc = prune(db, err);
  if (!rc && !dry_run) {
    int src = sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
    if (src != SQLITE_OK) rc = jb_err_db(err, db->db, src, "committing");
  }
  if (rc || dry_run) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
  db->chg.active = 0;
  free(db->chg.input);
  free(db->chg.sha);
  db->chg.input = db->chg.sha = NULL;
  return rc;
}

jb_status jb_db_set_actor(jb_db *db, const char *user, const char *command) {
  char *u = jb_strdup(user && *user ? user : db->user ? db->user : "unknown"), *c = jb_strdup(command ? command : "");
  if (!u || !c) {
    free(u);
    free(c);
    return JB_ERR_NOMEM;
  }
  free(db->user);
  free(db->command);
  db->user = u;
  db->command = c;
  return JB_OK;
}
