/*
** store_rows.c — where each kind of record lives: its key, its stored
** version, its row (for export order) and its deletion.
**
** History, revert, undo and delete work on whole records named by a kind
** and a key; this file is the one place that knows which table and which
** columns a key names. A relation's key is "expert\torg", an outcome's
** "need\tTYPE\tcandidate" (TYPE: expert, achievement or org), every other
** record's its id. Evidence is part of its expert: changing it is a change
** of the expert.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

typedef struct ktable {
  const char *table;
  const char *doc_sql;    /* cached: SELECT doc ... by the key parts */
  const char *where;      /* the key's condition, ?1..?3 */
  int nparts;
} ktable;

static const char doc_org[] = "SELECT doc FROM org WHERE id=?1";
static const char doc_expert[] = "SELECT doc FROM expert WHERE id=?1";
static const char doc_ach[] = "SELECT doc FROM achievement WHERE id=?1";
static const char doc_need[] = "SELECT doc FROM need WHERE id=?1";
static const char doc_conflict[] = "SELECT doc FROM relation WHERE kind='conflict' AND expert=?1 AND org=?2";
static const char doc_collab[] = "SELECT doc FROM relation WHERE kind='collaboration' AND expert=?1 AND org=?2";
static const char doc_outcome[] = "SELECT doc FROM outcome WHERE need=?1 AND ctype=?2 AND cand=?3";

static const ktable *ktable_of(jb_kind k) {
  static const ktable t[JB_KIND_COUNT] = {
      [JB_KIND_ORG] = {"org", doc_org, "id=?1", 1},
      [JB_KIND_EXPERT] = {"expert", doc_expert, "id=?1", 1},
      [JB_KIND_ACHIEVEMENT] = {"achievement", doc_ach, "id=?1", 1},
      [JB_KIND_NEED] = {"need", doc_need, "id=?1", 1},
      [JB_KIND_CONFLICT] = {"relation", doc_conflict, "kind='conflict' AND expert=?1 AND org=?2", 2},
      [JB_KIND_COLLABORATION] = {"relation", doc_collab, "kind='collaboration' AND expert=?1 AND org=?2", 2},
      [JB_KIND_OUTCOME] = {"outcome", doc_outcome, "need=?1 AND ctype=?2 AND cand=?3", 3},
  };
  return (k >= 0 && k < JB_KIND_COUNT && t[k].table) ? &t[k] : NULL;
}

static const char *str_of(const cJSON *o, const char *k, char *buf, size_t n) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  if (cJSON_IsString(j)) return j->valuestring;
  if (cJSON_IsNumber(j)) {
    snprintf(buf, n, "%.0f", j->valuedouble);
    return buf;
  }
  return NULL;
}

int jb_record_hkey(jb_kind k, const cJSON *rec, jb_kind *hkind, jb_buf *out) {
  char b1[64], b2[64];
  jb_buf_reset(out);
  *hkind = k;
  const char *a = NULL, *b = NULL;
  switch (k) {
  case JB_KIND_EVIDENCE:
    *hkind = JB_KIND_EXPERT;
    a = str_of(rec, "expert", b1, sizeof(b1));
    break;
  case JB_KIND_CONFLICT:
  case JB_KIND_COLLABORATION:
    a = str_of(rec, "expert", b1, sizeof(b1));
    b = str_of(rec, "org", b2, sizeof(b2));
    if (!b) return -1;
    break;
  case JB_KIND_OUTCOME: {
    a = str_of(rec, "need", b1, sizeof(b1));
    static const char *const ct[] = {"expert", "achievement", "org"};
    for (int i = 0; i < 3 && !b; i++)
      if ((b = str_of(rec, ct[i], b2, sizeof(b2)))) {
        if (!a) return -1;
        jb_buf_printf(out, "%s\t%s\t%s", a, ct[i], b);
        return out->oom ? -1 : 0;
      }
    return -1;
  }
  default:
    a = str_of(rec, "id", b1, sizeof(b1));
  }
  if (!a) return -1;
  jb_buf_adds(out, a);
  if (b) jb_buf_printf(out, "\t%s", b);
  jb_buf_str(out);
  return out->oom ? -1 : 0;
}

/* Splits a key into its parts (at most 3) in a copy the caller frees. */
static char *split_key(const char *key, const char *parts[3], int *n) {
  char *copy = jb_strdup(key);
  *n = 0;
  if (!copy) return NULL;
  char *p = copy;
  while (*n < 3) {
    parts[(*n)++] = p;
    char *tab = strchr(p, '\t');
    if (!tab) break;
    *tab = 0;
    p = tab + 1;
  }
  return copy;
}

static int bind_key(sqlite3_stmt *st, const ktable *t, const char *key, char **copy) {
  const char *parts[3];
  int n = 0;
  *copy = split_key(key, parts, &n);
  if (!*copy || n != t->nparts) return -1;
  for (int i = 0; i < n; i++) sqlite3_bind_text(st, i + 1, parts[i], -1, SQLITE_STATIC);
  return 0;
}

char *jb_record_stored_doc(jb_db *db, jb_kind k, const char *key) {
  const ktable *t = ktable_of(k);
  if (!t) return NULL;
  sqlite3_stmt *st = jb_db_cached(db, t->doc_sql, NULL);
  if (!st) return NULL;
  char *copy = NULL, *doc = NULL;
  if (!bind_key(st, t, key, &copy) && sqlite3_step(st) == SQLITE_ROW)
    doc = jb_strdup((const char *)sqlite3_column_text(st, 0));
  jb_db_release(st);
  free(copy);
  return doc;
}

char *jb_record_snapshot(jb_db *db, jb_kind k, const char *key) {
  if (k != JB_KIND_EXPERT) return jb_record_stored_doc(db, k, key);
  cJSON *o = NULL;
  if (jb_db_get(db, "expert", key, 1, &o, NULL)) return NULL;
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

/* Runs "SQL-HEAD <table> WHERE <key>" with the key bound; the first column
** of the first row as an integer, 0 when none, -1 on failure. */
static sqlite3_int64 key_query(jb_db *db, const ktable *t, const char *head, const char *tail,
                               const char *key, sqlite3_int64 extra, jb_error *err) {
  jb_buf sql = {0};
  jb_buf_printf(&sql, "%s %s WHERE %s%s", head, t->table, t->where, tail ? tail : "");
  sqlite3_stmt *st = NULL;
  char *copy = NULL;
  sqlite3_int64 v = -1;
  if (jb_db_prepare(db, jb_buf_str(&sql), &st, err) == SQLITE_OK && !bind_key(st, t, key, &copy)) {
    if (extra) sqlite3_bind_int64(st, 4, extra);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE) v = 0;
    else jb_err_db(err, db->db, rc, "reading a record's row");
  }
  sqlite3_finalize(st);
  free(copy);
  jb_buf_free(&sql);
  return v;
}

sqlite3_int64 jb_record_rowid(jb_db *db, jb_kind k, const char *key) {
  const ktable *t = ktable_of(k);
  if (!t) return 0;
  sqlite3_int64 r = key_query(db, t, "SELECT rowid FROM", NULL, key, 0, NULL);
  return r > 0 ? r : 0;
}

jb_status jb_record_set_rowid(jb_db *db, jb_kind k, const char *key, sqlite3_int64 rowid, jb_error *err) {
  const ktable *t = ktable_of(k);
  if (!t || rowid <= 0) return JB_OK;
  jb_buf sql = {0};
  jb_buf_printf(&sql, "UPDATE %s SET rowid=?4 WHERE %s AND NOT EXISTS (SELECT 1 FROM %s WHERE rowid=?4)",
                t->table, t->where, t->table);
  sqlite3_stmt *st = NULL;
  char *copy = NULL;
  jb_status rc = JB_OK;
  if (jb_db_prepare(db, jb_buf_str(&sql), &st, err)) rc = JB_ERR_DB;
  else if (bind_key(st, t, key, &copy)) rc = JB_ERR_INTERNAL;
  else {
    sqlite3_bind_int64(st, 4, rowid);
    int src = sqlite3_step(st);
    if (src != SQLITE_DONE) rc = jb_err_db(err, db->db, src, "restoring a record's place");
  }
  sqlite3_finalize(st);
  free(copy);
  jb_buf_free(&sql);
  return rc;
}

/* Records that refer to the one being deleted: "3 needs, 1 outcome" into
** out (empty when none). */
static jb_status referrers(jb_db *db, jb_kind k, const char *id, jb_buf *out, jb_error *err) {
  static const struct { jb_kind k; const char *what, *sql; } refs[] = {
      {JB_KIND_ORG, "experts", "SELECT count(*) FROM expert WHERE org=?1"},
      {JB_KIND_ORG, "needs", "SELECT count(*) FROM need WHERE org=?1"},
      {JB_KIND_ORG, "achievements", "SELECT count(*) FROM achievement WHERE org=?1"},
      {JB_KIND_ORG, "organizations (parent)", "SELECT count(*) FROM org WHERE parent=?1"},
      {JB_KIND_ORG, "conflicts/collaborations", "SELECT count(*) FROM relation WHERE org=?1"},
      {JB_KIND_ORG, "outcomes", "SELECT count(*) FROM outcome WHERE ctype='org' AND cand=?1"},
      {JB_KIND_EXPERT, "achievements", "SELECT count(*) FROM achievement WHERE expert=?1"},
      {JB_KIND_EXPERT, "conflicts/collaborations", "SELECT count(*) FROM relation WHERE expert=?1"},
      {JB_KIND_EXPERT, "outcomes", "SELECT count(*) FROM outcome WHERE ctype='expert' AND cand=?1"},
      {JB_KIND_ACHIEVEMENT, "outcomes", "SELECT count(*) FROM outcome WHERE ctype='achievement' AND cand=?1"},
      {JB_KIND_NEED, "outcomes", "SELECT count(*) FROM outcome WHERE need=?1"},
  };
  for (int i = 0; i < JB_ARRAY_LEN(refs); i++) {
    if (refs[i].k != k) continue;
    sqlite3_stmt *st = NULL;
    if (jb_db_prepare(db, refs[i].sql, &st, err)) return JB_ERR_DB;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    long n = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (n) jb_buf_printf(out, "%s%ld %s", out->n ? ", " : "", n, refs[i].what);
  }
  return JB_OK;
}

static jb_status exec_bound(jb_db *db, const char *sql, const char *a, const char *b, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, sql, &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, rc, "deleting a record");
}

jb_status jb_record_delete(jb_db *db, jb_kind k, const char *key, jb_error *err) {
  const ktable *t = ktable_of(k);
  if (!t) {
    jb_err_set(err, JB_ERR_USAGE, "cannot delete a record of type %s", jb_kind_name(k));
    return JB_ERR_USAGE;
  }
  char *before = jb_record_snapshot(db, k, key);
  if (!before) {
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_DELETE_NONE), jb_kind_name(k), key);
    return JB_ERR_NOTFOUND;
  }
  jb_buf refs = {0};
  jb_status rc = t->nparts == 1 ? referrers(db, k, key, &refs, err) : JB_OK;
  if (!rc && refs.n) {
    jb_err_set(err, JB_ERR_INVALID, jb_msg(JB_MSG_DELETE_REFERRED), jb_kind_name(k), key, jb_buf_str(&refs));
    rc = JB_ERR_INVALID;
  }
  sqlite3_int64 rowid = rc ? 0 : jb_record_rowid(db, k, key);
  if (!rc) rc = jb_history_note(db, k, key, "delete", before, rowid, err);
  /* the search documents go first; the delete trigger needs them indexed */
  if (!rc && t->nparts == 1) rc = jb_fts_flush(db, err);
  if (!rc && t->nparts == 1)
    rc = exec_bound(db, "DELETE FROM sdoc WHERE kind=?1 AND ref=?2", jb_kind_name(k), key, err);
  if (!rc && k == JB_KIND_EXPERT)
    rc = exec_bound(db, "DELETE FROM sdoc WHERE kind='evidence' AND ref=?1", key, NULL, err);
  if (!rc && k == JB_KIND_EXPERT) rc = exec_bound(db, "DELETE FROM evidence WHERE expert=?1", key, NULL, err);
  if (!rc) rc = key_query(db, t, "DELETE FROM", NULL, key, 0, err) < 0 ? JB_ERR_DB : JB_OK;
  free(before);
  jb_buf_free(&refs);
  return rc;
}
