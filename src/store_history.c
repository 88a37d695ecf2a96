/*
** store_history.c — reading the history, and acting on it: revert a record
** to a version, undo a whole change set, delete a record (reversibly), list
** change sets, and carry the history through export and import.
**
** Every action here is itself a change set, so it can be undone in turn.
** A restored record gets back the row it had (export lists it where it was)
** when that row is free.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

typedef struct hver {
  long version;
  sqlite3_int64 change, rowid;
  char *op, *before, *at, *user, *command, *input, *sha;
} hver;

typedef struct hlist {
  hver *v;
  int n;
} hlist;

static void hlist_free(hlist *h) {
  for (int i = 0; i < h->n; i++) {
    hver *x = &h->v[i];
    free(x->op), free(x->before), free(x->at), free(x->user), free(x->command), free(x->input), free(x->sha);
  }
  free(h->v);
  memset(h, 0, sizeof(*h));
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? jb_strdup((const char *)t) : NULL;
}

static jb_status load_versions(jb_db *db, const char *kind, const char *key, hlist *h, jb_error *err) {
  sqlite3_stmt *st = NULL;
  memset(h, 0, sizeof(*h));
  if (jb_db_prepare(db,
                    "SELECT h.version, h.change, h.before_rowid, h.op, h.before, c.at, c.user, c.command,"
                    " c.input, c.sha256 FROM history h JOIN changeset c ON c.id = h.change"
                    " WHERE h.kind=?1 AND h.key=?2 ORDER BY h.version",
                    &st, err))
    return JB_ERR_DB;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
  int src, cap = 0;
  jb_status rc = JB_OK;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (h->n == cap) {
      cap = cap ? cap * 2 : 8;
      hver *nv = realloc(h->v, sizeof(hver) * (size_t)cap);
      if (!nv) { rc = JB_ERR_NOMEM; break; }
      h->v = nv;
    }
    hver *x = &h->v[h->n++];
    x->version = (long)sqlite3_column_int64(st, 0);
    x->change = sqlite3_column_int64(st, 1);
    x->rowid = sqlite3_column_int64(st, 2);
    x->op = col_dup(st, 3), x->before = col_dup(st, 4), x->at = col_dup(st, 5), x->user = col_dup(st, 6);
    x->command = col_dup(st, 7), x->input = col_dup(st, 8), x->sha = col_dup(st, 9);
  }
  if (!rc && src != SQLITE_DONE) rc = jb_err_db(err, db->db, src, "reading history");
  sqlite3_finalize(st);
  if (rc) hlist_free(h);
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory");
  return rc;
}

/* The record as version `version` had it: the `before` of the next version,
** or the record as it stands for the latest. *found is 0 for a version the
** history does not have. Returns the JSON text (caller frees) or NULL for a
** version where the record did not exist. */
static char *version_content(jb_db *db, jb_kind k, const char *key, const hlist *h, long version, int *found) {
  *found = 0;
  if (!h->n) return NULL;
  long first = h->v[0].version == 2 ? 1 : h->v[0].version, last = h->v[h->n - 1].version;
  if (version < first || version > last) return NULL;
  *found = 1;
  if (version == last) return jb_record_snapshot(db, k, key);
  for (int i = 0; i < h->n; i++)
    if (h->v[i].version == version + 1) return h->v[i].before ? jb_strdup(h->v[i].before) : NULL;
  *found = 0;
  return NULL;
}

static jb_kind history_kind(const char *kind, jb_error *err) {
  jb_kind k = jb_kind_parse(kind ? kind : "");
  if (k == JB_KIND_UNKNOWN || k == JB_KIND_EVIDENCE) {
    jb_err_set(err, JB_ERR_USAGE,
               "unknown type '%s' (org, need, expert, achievement, conflict, collaboration, outcome)",
               kind ? kind : "");
    return JB_KIND_UNKNOWN;
  }
  return k;
}

static int key_known(jb_db *db, jb_kind k, const char *key) {
  char *doc = jb_record_stored_doc(db, k, key);
  int known = doc != NULL;
  free(doc);
  if (known) return 1;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM history WHERE kind=?1 AND key=?2", -1, &st, NULL)) return 0;
  sqlite3_bind_text(st, 1, jb_kind_name(k), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
  known = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return known;
}

char *jb_history_key(jb_db *db, const char *kind, const char *const *parts, int n, jb_error *err) {
  jb_kind k = history_kind(kind, err);
  if (k == JB_KIND_UNKNOWN) return NULL;
  int want = k == JB_KIND_CONFLICT || k == JB_KIND_COLLABORATION ? 2 : k == JB_KIND_OUTCOME ? (n == 3 ? 3 : 2) : 1;
  if (n != want) {
    jb_err_set(err, JB_ERR_USAGE, "a %s is named by %s", jb_kind_name(k),
               want == 1 ? "its id" : k == JB_KIND_OUTCOME ? "NEED [expert|achievement|org] CANDIDATE" : "EXPERT ORG");
    return NULL;
  }
  jb_buf b = {0};
  for (int i = 0; i < n; i++) jb_buf_printf(&b, "%s%s", i ? "\t" : "", parts[i]);
  if (k == JB_KIND_OUTCOME && n == 2) {
    /* the candidate's type: the one with a pairing for this need, else the
    ** kind of record the id names */
    static const char *const ct[] = {"expert", "achievement", "org"};
    static const char *const tables[] = {"expert", "achievement", "org"};
    int hit = -1;
    for (int pass = 0; pass < 2 && hit < 0; pass++)
      for (int i = 0; i < 3 && hit < 0; i++) {
        jb_buf_reset(&b);
        jb_buf_printf(&b, "%s\t%s\t%s", parts[0], ct[i], parts[1]);
        if (pass == 0 && key_known(db, k, jb_buf_str(&b))) hit = i;
        if (pass == 1) {
          cJSON *o = NULL;
          if (!jb_db_get(db, tables[i], parts[1], 0, &o, NULL)) hit = i;
          cJSON_Delete(o);
        }
      }
    if (hit < 0) {
      jb_err_set(err, JB_ERR_NOTFOUND, "no expert, achievement or org '%s'", parts[1]);
      jb_buf_free(&b);
      return NULL;
    }
    jb_buf_reset(&b);
    jb_buf_printf(&b, "%s\t%s\t%s", parts[0], ct[hit], parts[1]);
  }
  return (char *)jb_buf_str(&b);
}

static void add_opt_str(cJSON *o, const char *name, const char *v) {
  if (v) cJSON_AddStringToObject(o, name, v);
  else cJSON_AddNullToObject(o, name);
}

static cJSON *parsed_or_null(const char *text) {
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  return j ? j : cJSON_CreateNull();
}

jb_status jb_history(jb_db *db, const char *kind, const char *key, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  jb_kind k = history_kind(kind, err);
  if (k == JB_KIND_UNKNOWN) return JB_ERR_USAGE;
  hlist h;
  jb_status rc = load_versions(db, jb_kind_name(k), key, &h, err);
  if (rc) return rc;
  char *cur = h.n ? NULL : jb_record_snapshot(db, k, key);
  if (!h.n && !cur) {
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_HISTORY_NONE), jb_kind_name(k), key);
    return JB_ERR_NOTFOUND;
  }
  cJSON *o = cJSON_CreateObject(), *vs = cJSON_CreateArray();
  cJSON_AddStringToObject(o, "kind", jb_kind_name(k));
  cJSON_AddStringToObject(o, "key", key);
  cJSON_AddItemToObject(o, "versions", vs);
  char *prev = NULL;
  long first = !h.n ? 1 : h.v[0].version == 2 ? 1 : h.v[0].version;
  long last = h.n ? h.v[h.n - 1].version : 1;
  for (long ver = first; ver <= last; ver++) {
    int found = 1;
    char *content = h.n ? version_content(db, k, key, &h, ver, &found) : jb_strdup(cur);
    const hver *x = NULL;
    for (int i = 0; i < h.n; i++)
      if (h.v[i].version == ver) x = &h.v[i];
    cJSON *v = cJSON_CreateObject();
    cJSON_AddNumberToObject(v, "version", (double)ver);
    if (x) {
      cJSON_AddNumberToObject(v, "change", (double)x->change);
      add_opt_str(v, "at", x->at);
      add_opt_str(v, "user", x->user);
      add_opt_str(v, "command", x->command);
      add_opt_str(v, "input", x->input);
      add_opt_str(v, "sha256", x->sha);
      add_opt_str(v, "op", x->op);
    } else {
      cJSON_AddStringToObject(v, "op", "before history");
    }
    cJSON_AddItemToObject(v, "record", parsed_or_null(content));
    cJSON_AddItemToObject(v, "diff", jb_record_diff(prev, content));
    cJSON_AddItemToArray(vs, v);
    free(prev);
    prev = content;
  }
  free(prev);
  free(cur);
  hlist_free(&h);
  char *days = jb_meta_get(db, "history_days"), *pruned = jb_meta_get(db, "history_pruned_before");
  cJSON *ret = cJSON_AddObjectToObject(o, "retention");
  cJSON_AddNumberToObject(ret, "days", days ? atof(days) : 0);
  add_opt_str(ret, "pruned_before", pruned);
  free(days);
  free(pruned);
  *ppOut = o;
  return JB_OK;
}

/* Makes `content` (NULL: absent) the record's current version. */
static jb_status restore(jb_db *db, jb_kind k, const char *key, const char *content, sqlite3_int64 rowid,
                         jb_error *err) {
  char *cur = jb_record_snapshot(db, k, key);
  jb_status rc = JB_OK;
  if (!content) {
    if (cur) rc = jb_record_delete(db, k, key, err);
  } else if (!cur || strcmp(cur, content)) {
    cJSON *rec = cJSON_Parse(content);
    int changed = 0;
    /* a stored version names no file to attach; it was accepted when stored,
    ** so chains added then with --new-chains are accepted again */
    jb_loc loc = {"history", 0, NULL, 1, NULL, NULL};
    if (!rec) rc = JB_ERR_NOMEM;
    else rc = jb_record_store(db, rec, k, JB_STORE_REPLACE | JB_STORE_FORCE, &loc, &changed, err);
    cJSON_Delete(rec);
    if (!rc && !cur && rowid) rc = jb_record_set_rowid(db, k, key, rowid, err);
  }
  free(cur);
  return rc;
}

static sqlite3_int64 last_rowid(const hlist *h) {
  for (int i = h->n - 1; i >= 0; i--)
    if (h->v[i].rowid) return h->v[i].rowid;
  return 0;
}

static cJSON *change_result(jb_db *db, sqlite3_int64 change) {
  cJSON *o = cJSON_CreateObject();
  if (change) cJSON_AddNumberToObject(o, "change", (double)change);
  else cJSON_AddNullToObject(o, "change"); /* nothing to do: already so */
  (void)db;
  return o;
}

jb_status jb_revert(jb_db *db, const char *kind, const char *key, long version, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  jb_kind k = history_kind(kind, err);
  if (k == JB_KIND_UNKNOWN) return JB_ERR_USAGE;
  jb_status rc = jb_write_begin(db, NULL, NULL, err);
  if (rc) return rc;
  hlist h;
  if ((rc = load_versions(db, jb_kind_name(k), key, &h, err))) return jb_write_end(db, rc, 0, NULL, err);
  int found = 0;
  char *content = version_content(db, k, key, &h, version, &found);
  if (!found) {
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_HISTORY_NO_VERSION), jb_kind_name(k), key, version);
    rc = JB_ERR_NOTFOUND;
  }
  if (!rc) rc = restore(db, k, key, content, last_rowid(&h), err);
  sqlite3_int64 change = jb_change_current(db);
  free(content);
  hlist_free(&h);
  rc = jb_write_end(db, rc, 0, NULL, err);
  if (!rc) *ppOut = change_result(db, change);
  return rc;
}

jb_status jb_delete(jb_db *db, const char *kind, const char *key, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  jb_kind k = history_kind(kind, err);
  if (k == JB_KIND_UNKNOWN) return JB_ERR_USAGE;
  jb_status rc = jb_write_begin(db, NULL, NULL, err);
  if (rc) return rc;
  rc = jb_record_delete(db, k, key, err);
  sqlite3_int64 change = jb_change_current(db);
  rc = jb_write_end(db, rc, 0, NULL, err);
  if (!rc) *ppOut = change_result(db, change);
  return rc;
}

typedef struct hrow {
  char *kind, *key, *before;
  long version;
  sqlite3_int64 rowid;
} hrow;

/* The records a change set changed, newest first, each checked to be still
** as the change set left it. */
static jb_status undo_rows(jb_db *db, sqlite3_int64 change, hrow **out, int *n, jb_error *err) {
  sqlite3_stmt *st = NULL;
  *out = NULL;
  *n = 0;
  /* the version the change set made, and what the record was left as: the
  ** `before` of the next version (later changes may have been undone, so
  ** the record is compared, not the version numbers) */
  if (jb_db_prepare(db,
                    "SELECT h.kind, h.key, h.before, h.version, h.before_rowid,"
                    " (SELECT max(l.change) FROM history l WHERE l.kind=h.kind AND l.key=h.key AND l.version>h.version),"
                    " (SELECT n.before FROM history n WHERE n.kind=h.kind AND n.key=h.key AND n.version=h.version+1)"
                    " FROM history h WHERE h.change=?1 ORDER BY h.seq DESC",
                    &st, err))
    return JB_ERR_DB;
  sqlite3_bind_int64(st, 1, change);
  jb_status rc = JB_OK;
  int src, cap = 0;
  while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
      const char *left = (const char *)sqlite3_column_text(st, 6);
      char *cur = jb_record_snapshot(db, jb_kind_parse((const char *)sqlite3_column_text(st, 0)),
                                     (const char *)sqlite3_column_text(st, 1));
      int same = (!left && !cur) || (left && cur && !strcmp(left, cur));
      free(cur);
      if (!same) {
        jb_err_set(err, JB_ERR_INVALID, jb_msg(JB_MSG_UNDO_CHANGED_LATER), (const char *)sqlite3_column_text(st, 0),
                   (const char *)sqlite3_column_text(st, 1), (long long)change, (long long)sqlite3_column_int64(st, 5));
        rc = JB_ERR_INVALID;
        break;
      }
    }
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      hrow *nr = realloc(*out, sizeof(hrow) * (size_t)cap);
      if (!nr) { rc = JB_ERR_NOMEM; break; }
      *out = nr;
    }
    hrow *r = &(*out)[(*n)++];
    r->kind = col_dup(st, 0), r->key = col_dup(st, 1), r->before = col_dup(st, 2);
    r->version = (long)sqlite3_column_int64(st, 3);
    r->rowid = sqlite3_column_int64(st, 4);
  }
  sqlite3_finalize(st);
  return rc;
}

/* The rowid a record last had before it was deleted, for restoring it. */
static sqlite3_int64 deleted_rowid(jb_db *db, const hrow *r) {
  if (r->rowid) return r->rowid;
  sqlite3_stmt *st = NULL;
  sqlite3_int64 v = 0;
  if (sqlite3_prepare_v2(db->db, "SELECT before_rowid FROM history WHERE kind=?1 AND key=?2 AND before_rowid"
                                 " IS NOT NULL ORDER BY version DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

jb_status jb_undo(jb_db *db, long long change, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  jb_status rc = jb_write_begin(db, NULL, NULL, err);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT undone_by FROM changeset WHERE id=?1", &st, err))
    return jb_write_end(db, JB_ERR_DB, 0, NULL, err);
  sqlite3_bind_int64(st, 1, change);
  int src = sqlite3_step(st);
  if (src != SQLITE_ROW) {
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_UNDO_NO_CHANGE), change);
    rc = JB_ERR_NOTFOUND;
  } else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
    jb_err_set(err, JB_ERR_INVALID, jb_msg(JB_MSG_UNDO_ALREADY), change, (long long)sqlite3_column_int64(st, 0));
    rc = JB_ERR_INVALID;
  }
  sqlite3_finalize(st);
  hrow *rows = NULL;
  int n = 0;
  if (!rc) rc = undo_rows(db, change, &rows, &n, err);
  for (int i = 0; i < n && !rc; i++) {
    jb_kind k = jb_kind_parse(rows[i].kind);
    rc = restore(db, k, rows[i].key, rows[i].before, rows[i].before ? deleted_rowid(db, &rows[i]) : 0, err);
  }
  sqlite3_int64 now = jb_change_current(db);
  if (!rc && now) {
    char sql[160];
    snprintf(sql, sizeof(sql), "UPDATE changeset SET undone_by=%lld WHERE id=%lld; UPDATE changeset SET undoes=%lld WHERE id=%lld",
             (long long)now, change, change, (long long)now);
    rc = jb_db_exec(db, sql, err);
  }
  for (int i = 0; i < n; i++) free(rows[i].kind), free(rows[i].key), free(rows[i].before);
  free(rows);
  rc = jb_write_end(db, rc, 0, NULL, err);
  if (!rc) {
    *ppOut = change_result(db, now);
    cJSON_AddNumberToObject(*ppOut, "undoes", (double)change);
    cJSON_AddNumberToObject(*ppOut, "records", n);
  }
  return rc;
}

jb_status jb_changes(jb_db *db, int limit, cJSON **ppOut, jb_error *err) {
  sqlite3_stmt *st = NULL;
  *ppOut = NULL;
  if (jb_db_prepare(db, "SELECT id, at, user, command, input, sha256, undoes, undone_by,"
                        " (SELECT count(*) FROM history WHERE change = c.id) FROM changeset c ORDER BY id DESC LIMIT ?1",
                    &st, err))
    return JB_ERR_DB;
  sqlite3_bind_int(st, 1, limit > 0 ? limit : 20);
  cJSON *arr = cJSON_CreateArray();
  while (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "id", (double)sqlite3_column_int64(st, 0));
    static const char *const names[] = {"at", "user", "command", "input", "sha256"};
    for (int i = 0; i < 5; i++) add_opt_str(c, names[i], (const char *)sqlite3_column_text(st, i + 1));
    cJSON_AddNumberToObject(c, "records", (double)sqlite3_column_int64(st, 8));
    if (sqlite3_column_type(st, 6) != SQLITE_NULL) cJSON_AddNumberToObject(c, "undoes", (double)sqlite3_column_int64(st, 6));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL) cJSON_AddNumberToObject(c, "undone_by", (double)sqlite3_column_int64(st, 7));
    cJSON_AddItemToArray(arr, c);
  }
  sqlite3_finalize(st);
  *ppOut = arr;
  return JB_OK;
}

jb_status jb_history_retention(jb_db *db, int days, jb_error *err) {
  char v[32];
  snprintf(v, sizeof(v), "%d", days < 0 ? 0 : days);
  jb_status rc = jb_db_exec(db, "BEGIN IMMEDIATE", err);
  if (!rc) rc = jb_meta_set(db, "history_days", v, err);
  if (!rc) rc = jb_db_exec(db, "COMMIT", err);
  if (rc) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* ------------------------------------------------- export and restore */

int jb_history_line(const cJSON *rec) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
  return cJSON_IsString(t) && (!strcmp(t->valuestring, "changeset") || !strcmp(t->valuestring, "history"));
}

jb_status jb_history_export(jb_db *db, FILE *out, jb_error *err) {
  static const char *const sql[] = {
      "SELECT json_object('type','changeset','id',id,'at',at,'user',user,'command',command,'input',input,"
      "'sha256',sha256,'undoes',undoes,'undone_by',undone_by) FROM changeset ORDER BY id",
      "SELECT json_object('type','history','change',change,'kind',kind,'key',key,'version',version,'op',op,"
      "'before',json(before),'before_rowid',before_rowid) FROM history ORDER BY seq",
  };
  for (int i = 0; i < 2; i++) {
    sqlite3_stmt *st = NULL;
    if (jb_db_prepare(db, sql[i], &st, err)) return JB_ERR_DB;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
      if (fputs((const char *)sqlite3_column_text(st, 0), out) < 0 || fputc('\n', out) == EOF) {
        sqlite3_finalize(st);
        jb_err_set(err, JB_ERR_IO, "write error during export");
        return JB_ERR_IO;
      }
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) return jb_err_db(err, db->db, src, "exporting history");
  }
  return JB_OK;
}

/* Before the first restored line: the database must have no history but the
** one this import is making (which the backup's history replaces). */
static jb_status restore_start(jb_db *db, const jb_loc *loc, jb_error *err) {
  sqlite3_int64 cur = jb_change_current(db);
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT count(*) FROM changeset WHERE id != ?1", &st, err)) return JB_ERR_DB;
  sqlite3_bind_int64(st, 1, cur);
  long others = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  if (others) {
    jb_err_at(err, JB_ERR_INVALID, loc->file, loc->line, "type",
              "history can be restored only into a database without history of its own (a new one)");
    return JB_ERR_INVALID;
  }
  char sql[128];
  snprintf(sql, sizeof(sql), "DELETE FROM history WHERE change=%lld; DELETE FROM changeset WHERE id=%lld",
           (long long)cur, (long long)cur);
  jb_status rc = jb_db_exec(db, sql, err);
  db->chg.id = 0;
  db->chg.restoring = 1;
  return rc;
}

static void bind_json(sqlite3_stmt *st, int i, const cJSON *rec, const char *name) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(rec, name);
  if (cJSON_IsString(j)) sqlite3_bind_text(st, i, j->valuestring, -1, SQLITE_TRANSIENT);
  else if (cJSON_IsNumber(j)) sqlite3_bind_int64(st, i, (sqlite3_int64)j->valuedouble);
  else if (cJSON_IsObject(j)) {
    char *s = cJSON_PrintUnformatted(j);
    if (s) sqlite3_bind_text(st, i, s, -1, free);
  }
}

jb_status jb_history_restore(jb_db *db, const cJSON *rec, const jb_loc *loc, jb_error *err) {
  if (!db->chg.active) {
    jb_err_set(err, JB_ERR_USAGE, "history lines are restored by import only");
    return JB_ERR_USAGE;
  }
  jb_status rc = db->chg.restoring ? JB_OK : restore_start(db, loc, err);
  if (rc) return rc;
  int cs = !strcmp(cJSON_GetObjectItemCaseSensitive(rec, "type")->valuestring, "changeset");
  static const char *const cs_fields[] = {"id", "at", "user", "command", "input", "sha256", "undoes", "undone_by"};
  static const char *const h_fields[] = {"change", "kind", "key", "version", "op", "before", "before_rowid"};
  const char *const *f = cs ? cs_fields : h_fields;
  int nf = cs ? 8 : 7;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, cs ? "INSERT INTO changeset(id,at,user,command,input,sha256,undoes,undone_by) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"
                           : "INSERT INTO history(change,kind,key,version,op,before,before_rowid) VALUES(?1,?2,?3,?4,?5,?6,?7)",
                    &st, err))
    return JB_ERR_DB;
  for (int i = 0; i < nf; i++) bind_json(st, i + 1, rec, f[i]);
  int src = sqlite3_step(st);
  sqlite3_finalize(st);
  if (src != SQLITE_DONE) {
    jb_err_at(err, JB_ERR_INVALID, loc->file, loc->line, NULL, "cannot restore this %s line: %s",
              cs ? "changeset" : "history", sqlite3_errmsg(db->db));
    return JB_ERR_INVALID;
  }
  return JB_OK;
}
