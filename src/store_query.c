/*
** store_query.c — lists and counts of needs for people at work: the need
** list with its filters and the counts that matter today (the workbench's
** 工作台). Read-only; every filter is a bound parameter.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NEED_LIST_MAX 1000 /* rows per request: a page, not an export */

/* The columns a list row shows; the same for the list and the workbench. */
#define NEED_ROW_COLS                                                                           \
  "n.id, n.title, n.org, o.name, json_extract(n.doc,'$.chains'), n.status, n.deadline, n.list, " \
  "n.created, json_extract(n.doc,'$.contact') IS NOT NULL"

static cJSON *need_row(sqlite3_stmt *st) {
  cJSON *r = cJSON_CreateObject();
  if (!r) return NULL;
  static const char *const names[] = {"id", "title", "org", "org_name"};
  for (int i = 0; i < 4; i++) {
    const char *v = (const char *)sqlite3_column_text(st, i);
    cJSON_AddStringToObject(r, names[i], v ? v : "");
  }
  const char *chains = (const char *)sqlite3_column_text(st, 4);
  cJSON *c = chains ? cJSON_Parse(chains) : NULL;
  cJSON_AddItemToObject(r, "chains", c ? c : cJSON_CreateArray());
  static const char *const more[] = {"status", "deadline", "list", "created"};
  for (int i = 0; i < 4; i++) {
    const char *v = (const char *)sqlite3_column_text(st, 5 + i);
    if (v) cJSON_AddStringToObject(r, more[i], v);
  }
  cJSON_AddBoolToObject(r, "has_contact", sqlite3_column_int(st, 9));
  return r;
}

/* Today as YYYY-MM-DD (jb_today), or the caller's date. */
static void today(const char *as_of, char out[11]) {
  if (as_of && strlen(as_of) == 10) memcpy(out, as_of, 11);
  else jb_today(out);
}

/* Ranks need ids by a full-text query; returns "id" → rank in a JSON
** object (caller owns) or NULL with err set. */
static cJSON *query_ranks(jb_db *db, const char *query, jb_error *err) {
  jb_search_opts so = {0};
  so.query = query;
  so.type = "need";
  so.k = NEED_LIST_MAX;
  cJSON *res = NULL;
  if (jb_search(db, &so, &res, err)) return NULL;
  cJSON *ranks = cJSON_CreateObject();
  const cJSON *it;
  int i = 0;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "results")) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
    if (cJSON_IsString(id) && !cJSON_GetObjectItemCaseSensitive(ranks, id->valuestring))
      cJSON_AddNumberToObject(ranks, id->valuestring, i++);
  }
  cJSON_Delete(res);
  return ranks;
}

typedef struct ranked {
  double rank;
  cJSON *row;
} ranked;

static int by_rank(const void *a, const void *b) {
  double x = ((const ranked *)a)->rank, y = ((const ranked *)b)->rank;
  return x < y ? -1 : x > y;
}

jb_status jb_need_list(jb_db *db, const jb_need_list_opts *o, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  const char *status = o->status && *o->status ? o->status : "all";
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db,
                    "SELECT " NEED_ROW_COLS " FROM need n LEFT JOIN org o ON o.id = n.org"
                    " WHERE (?1 = 'all' OR n.status = ?1)"
                    "   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(n.doc,'$.chains') WHERE value = ?2))"
                    "   AND (?3 IS NULL OR n.org = ?3)"
                    "   AND (?4 IS NULL OR n.list = ?4)"
                    "   AND (?5 IS NULL OR n.deadline >= ?5)"
                    "   AND (?6 IS NULL OR n.deadline <= ?6)"
                    " ORDER BY n.created DESC, n.id DESC",
                    &st, err))
    return JB_ERR_DB;
  const char *p[6] = {status, o->chain, o->org, o->list, o->deadline_from, o->deadline_to};
  for (int i = 0; i < 6; i++)
    if (p[i] && *p[i]) sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_STATIC);
  cJSON *ranks = NULL;
  if (o->query && *o->query && !(ranks = query_ranks(db, o->query, err))) {
    sqlite3_finalize(st);
    return err ? err->code : JB_ERR_INTERNAL;
  }
  cJSON *rows = cJSON_CreateArray();
  long total = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const cJSON *rank = NULL;
    if (ranks && !(rank = cJSON_GetObjectItemCaseSensitive(ranks, (const char *)sqlite3_column_text(st, 0))))
      continue;
    total++;
    if (!ranks && cJSON_GetArraySize(rows) >= NEED_LIST_MAX) continue;
    cJSON *r = need_row(st);
    if (r && rank) cJSON_AddNumberToObject(r, "rank", rank->valuedouble);
    cJSON_AddItemToArray(rows, r);
  }
  sqlite3_finalize(st);
  cJSON_Delete(ranks);
  if (rc != SQLITE_DONE) {
    cJSON_Delete(rows);
    return jb_err_db(err, db->db, rc, "listing needs");
  }
  /* with a query, the search's order (best first) */
  int n = cJSON_GetArraySize(rows);
  if (o->query && *o->query && n > 1) {
    ranked *v = malloc(sizeof(ranked) * (size_t)n);
    if (v) {
      for (int i = 0; i < n; i++) {
        v[i].row = cJSON_DetachItemFromArray(rows, 0);
        v[i].rank = cJSON_GetObjectItemCaseSensitive(v[i].row, "rank")->valuedouble;
      }
      jb_qsort(v, (size_t)n, sizeof(ranked), by_rank);
      for (int i = 0; i < n; i++) cJSON_AddItemToArray(rows, v[i].row);
      free(v);
    }
  }
  cJSON *out = cJSON_CreateObject();
  cJSON_AddNumberToObject(out, "total", (double)total);
  cJSON_AddNumberToObject(out, "count", n);
  cJSON_AddItemToObject(out, "needs", rows);
  *ppOut = out;
  return JB_OK;
}

/* One count and up to `limit` rows of needs matching `where`. */
static jb_status dash_item(jb_db *db, cJSON *out, const char *name, const char *where, const char *day,
                           const char *until, jb_error *err) {
  jb_buf sql = {0};
  jb_buf_printf(&sql, "SELECT " NEED_ROW_COLS ", count(*) OVER () FROM need n LEFT JOIN org o ON o.id = n.org"
                      " WHERE %s ORDER BY n.deadline IS NULL, n.deadline, n.id LIMIT 20", where);
  sqlite3_stmt *st = NULL;
  int prc = sql.oom ? SQLITE_NOMEM : sqlite3_prepare_v2(db->db, jb_buf_str(&sql), -1, &st, NULL);
  jb_buf_free(&sql);
  if (prc) return jb_err_db(err, db->db, prc, "counting needs");
  if (sqlite3_bind_parameter_count(st) >= 1) sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count(st) >= 2) sqlite3_bind_text(st, 2, until, -1, SQLITE_STATIC);
  cJSON *item = cJSON_AddObjectToObject(out, name);
  cJSON *rows = cJSON_AddArrayToObject(item, "needs");
  long count = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    count = sqlite3_column_int64(st, 10);
    cJSON_AddItemToArray(rows, need_row(st));
  }
  sqlite3_finalize(st);
  cJSON_AddNumberToObject(item, "count", (double)count);
  return rc == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, rc, "counting needs");
}

jb_status jb_dashboard(jb_db *db, const char *as_of, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  char day[11], until[11];
  today(as_of, day);
  /* 30 days on: SQLite's date arithmetic, so month ends are right */
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT date(?1, '+30 days')", &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
  const char *u = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  if (!u) {
    sqlite3_finalize(st);
    jb_err_set(err, JB_ERR_USAGE, "as_of: a date YYYY-MM-DD, got '%s'", day);
    return JB_ERR_USAGE;
  }
  snprintf(until, sizeof(until), "%s", u);
  sqlite3_finalize(st);
  cJSON *out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "as_of", day);
  jb_status rc = dash_item(db, out, "open_needs", "n.status = 'open'", day, until, err);
  if (!rc)
    rc = dash_item(db, out, "no_contact",
                   "n.status = 'open' AND json_extract(n.doc,'$.contact') IS NULL AND ?1 IS NOT NULL", day, until,
                   err);
  /* a challenge (an item of a list) is open until someone leads it */
  if (!rc)
    rc = dash_item(db, out, "challenges_without_lead",
                   "n.status = 'open' AND n.list IS NOT NULL AND n.list <> '' AND ?1 IS NOT NULL", day, until, err);
  if (!rc)
    rc = dash_item(db, out, "deadline_30_days", "n.status = 'open' AND n.deadline >= ?1 AND n.deadline <= ?2",
                   day, until, err);
  if (!rc)
    rc = dash_item(db, out, "overdue", "n.status = 'open' AND n.deadline < ?1", day, until, err);
  /* Experts who take no more work. Capacity is the only load figure stored
  ** today; engagements per expert come with the need lifecycle. */
  if (!rc && !jb_db_prepare(db, "SELECT e.id, e.name, e.org, count(*) OVER () FROM expert e WHERE e.capacity <= 0"
                                " ORDER BY e.id LIMIT 20", &st, err)) {
    cJSON *item = cJSON_AddObjectToObject(out, "experts_at_capacity");
    cJSON *rows = cJSON_AddArrayToObject(item, "experts");
    long count = 0;
    int got;
    while ((got = jb_step(st, "the experts at capacity", err)) > 0) {
      cJSON *r = cJSON_CreateObject();
      for (int i = 0; i < 3; i++) {
        const char *v = (const char *)sqlite3_column_text(st, i);
        cJSON_AddStringToObject(r, i == 0 ? "id" : i == 1 ? "name" : "org", v ? v : "");
      }
      count = sqlite3_column_int64(st, 3);
      cJSON_AddItemToArray(rows, r);
    }
    sqlite3_finalize(st);
    cJSON_AddNumberToObject(item, "count", (double)count);
    if (got < 0) rc = (jb_status)-got;
  } else if (!rc) {
    rc = JB_ERR_DB;
  }
  if (rc) {
    cJSON_Delete(out);
    return rc;
  }
  *ppOut = out;
  return JB_OK;
}

jb_status jb_need_facets(jb_db *db, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  static const char *const sql[][2] = {
      {"chains", "SELECT DISTINCT value FROM need, json_each(need.doc,'$.chains') ORDER BY value"},
      {"lists", "SELECT DISTINCT list FROM need WHERE list IS NOT NULL AND list <> '' ORDER BY list"},
      {"statuses", "SELECT DISTINCT status FROM need ORDER BY status"},
  };
  cJSON *out = cJSON_CreateObject();
  for (int i = 0; i < JB_ARRAY_LEN(sql); i++) {
    sqlite3_stmt *st = NULL;
    if (jb_db_prepare(db, sql[i][1], &st, err)) {
      cJSON_Delete(out);
      return JB_ERR_DB;
    }
    cJSON *arr = cJSON_AddArrayToObject(out, sql[i][0]);
    int got;
    while ((got = jb_step(st, "the needs' facets", err)) > 0)
      cJSON_AddItemToArray(arr, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    if (got < 0) {
      cJSON_Delete(out);
      return (jb_status)-got;
    }
  }
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT DISTINCT o.id, o.name FROM need n JOIN org o ON o.id = n.org ORDER BY o.name", &st,
                    err)) {
    cJSON_Delete(out);
    return JB_ERR_DB;
  }
  cJSON *orgs = cJSON_AddArrayToObject(out, "orgs");
  int got;
  while ((got = jb_step(st, "the needs' organizations", err)) > 0) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", (const char *)sqlite3_column_text(st, 0));
    cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddItemToArray(orgs, o);
  }
  sqlite3_finalize(st);
  if (got < 0) {
    cJSON_Delete(out);
    return (jb_status)-got;
  }
  *ppOut = out;
  return JB_OK;
}
