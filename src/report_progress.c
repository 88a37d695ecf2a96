/*
** report_progress.c — progress against the work plan: the year's targets
** (an editable TSV file, seeded from the county's 2021 work plan) next to
** what the outcomes and records show, by industry chain and by month, and
** the needs nobody has contacted.
**
** What each measured target counts (README, "Progress against the work plan"):
**   contract_value    万元 of contracts signed in the year (signed or completed;
**                     an abandoned contract is not counted)
**   contracts         how many such contracts
**   commissioners     distinct 科技特派员 experts engaged in the year (a pairing
**                     accepted, signed or completed, dated in the year)
**   talents           distinct experts from outside the county engaged in the year
**   challenges_taken  challenge-list needs (with a list) with an engaged pairing
**   challenges_closed challenge-list needs with a completed pairing or closed
**   needs_paired      needs with an engaged pairing
**   manual            not in the records: the figure is the file's `actual` column
*/
#include "jb_int.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ENGAGED "('accepted','signed','completed')"
#define SIGNED "('signed','completed')"

/* The county the bureau serves: experts outside it are talent brought in. */
#define HOME_REGION "湖南省/怀化市/辰溪县"

static const struct {
  const char *metric, *sql; /* ?1 = year as text */
} measures[] = {
    {"contract_value", "SELECT coalesce(sum(value),0) FROM outcome WHERE state IN " SIGNED
                       " AND substr(coalesce(signed,date),1,4)=?1"},
    {"contracts", "SELECT count(*) FROM outcome WHERE state IN " SIGNED " AND substr(coalesce(signed,date),1,4)=?1"},
    {"commissioners", "SELECT count(DISTINCT o.cand) FROM outcome o JOIN expert e ON e.id=o.cand WHERE o.ctype='expert'"
                      " AND o.state IN " ENGAGED " AND substr(o.date,1,4)<=?1 AND substr(coalesce(o.signed,o.date),1,4)>=?1"
                      " AND EXISTS (SELECT 1 FROM json_each(e.programs) WHERE value='科技特派员')"},
    {"talents", "SELECT count(DISTINCT o.cand) FROM outcome o JOIN expert e ON e.id=o.cand WHERE o.ctype='expert'"
                " AND o.state IN " ENGAGED " AND substr(o.date,1,4)<=?1 AND substr(coalesce(o.signed,o.date),1,4)>=?1"
                " AND coalesce(e.region,'') NOT LIKE '" HOME_REGION "%'"},
    {"challenges_taken", "SELECT count(DISTINCT n.id) FROM need n JOIN outcome o ON o.need=n.id WHERE n.list IS NOT NULL"
                         " AND o.state IN " ENGAGED " AND substr(o.date,1,4)=?1"},
    {"challenges_closed", "SELECT count(DISTINCT n.id) FROM need n LEFT JOIN outcome o ON o.need=n.id AND o.state='completed'"
                          " AND substr(o.date,1,4)=?1 WHERE n.list IS NOT NULL AND (o.need IS NOT NULL OR n.status='closed')"},
    {"needs_paired", "SELECT count(DISTINCT need) FROM outcome WHERE state IN " ENGAGED " AND substr(date,1,4)=?1"},
};

static jb_status scalar(jb_db *db, const char *sql, const char *year, double *out, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, sql, &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, year, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? JB_OK : jb_err_db(err, db->db, rc, "measuring progress");
}

/* One line of the targets file: year, metric, target, unit, label[, actual]. */
static jb_status target_line(jb_db *db, char *line, long lineno, const char *path, const char *year,
                             cJSON *targets, jb_error *err) {
  char *f[6] = {0};
  int n = 0;
  for (char *p = line; n < 6;) {
    f[n++] = p;
    char *tab = strchr(p, '\t');
    if (!tab) break;
    *tab = 0;
    p = tab + 1;
  }
  if (n < 5) {
    jb_err_at(err, JB_ERR_PARSE, path, lineno, NULL, "expected year, metric, target, unit, label[, actual] separated by tabs");
    return JB_ERR_PARSE;
  }
  if (strcmp(f[0], year)) return JB_OK;
  char *end = NULL;
  double target = strtod(f[2], &end);
  int has_target = strcmp(f[2], "-") != 0;
  if (has_target && (end == f[2] || *end || target < 0)) {
    jb_err_at(err, JB_ERR_PARSE, path, lineno, "target", "'%s' is not a number (or - for none)", f[2]);
    return JB_ERR_PARSE;
  }
  cJSON *t = cJSON_CreateObject();
  cJSON_AddItemToArray(targets, t);
  cJSON_AddStringToObject(t, "metric", f[1]);
  cJSON_AddStringToObject(t, "label", f[4]);
  cJSON_AddStringToObject(t, "unit", f[3]);
  if (has_target) cJSON_AddNumberToObject(t, "target", target);
  else cJSON_AddNullToObject(t, "target");
  double actual = 0;
  int measured = 0;
  for (int i = 0; i < JB_ARRAY_LEN(measures); i++)
    if (!strcmp(measures[i].metric, f[1])) {
      jb_status rc = scalar(db, measures[i].sql, year, &actual, err);
      if (rc) return rc;
      measured = 1;
    }
  if (!measured && strcmp(f[1], "manual")) {
    jb_err_at(err, JB_ERR_PARSE, path, lineno, "metric",
              "unknown metric '%s' (contract_value, contracts, commissioners, talents, challenges_taken, "
              "challenges_closed, needs_paired, or manual)", f[1]);
    return JB_ERR_PARSE;
  }
  int have_actual = measured || (n >= 6 && *f[5]);
  if (!measured && have_actual) actual = strtod(f[5], NULL);
  cJSON_AddStringToObject(t, "source", measured ? "records" : "manual");
  if (have_actual) cJSON_AddNumberToObject(t, "actual", actual);
  else cJSON_AddNullToObject(t, "actual");
  if (have_actual && has_target && target > 0) cJSON_AddNumberToObject(t, "share", actual / target);
  return JB_OK;
}

static jb_status load_targets(jb_db *db, const char *path, const char *year, cJSON *targets, jb_error *err) {
  FILE *f = fopen(path, "r");
  if (!f) {
    jb_err_set(err, JB_ERR_IO, "%s: %s (the targets file: --targets FILE)", path, strerror(errno));
    return JB_ERR_IO;
  }
  char line[4096];
  long lineno = 0;
  jb_status rc = JB_OK;
  while (!rc && fgets(line, sizeof(line), f)) {
    lineno++;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    char *p = line;
    if (lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    if (!*p || *p == '#') continue;
    if (jb_utf8_invalid_at(p, strlen(p)) >= 0) {
      jb_err_at(err, JB_ERR_PARSE, path, lineno, NULL, "not valid UTF-8");
      rc = JB_ERR_PARSE;
    } else {
      rc = target_line(db, p, lineno, path, year, targets, err);
    }
  }
  fclose(f);
  return rc;
}

/* Rows of a query as objects with the given column names (numbers unless
** the name starts with '$'). */
static jb_status rows(jb_db *db, const char *sql, const char *year, const char *as_of, const char *const *names,
                      int ncol, cJSON *out, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, sql, &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, year, -1, SQLITE_STATIC);
  if (as_of) sqlite3_bind_text(st, 2, as_of, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < ncol; i++) {
      if (names[i][0] == '$') {
        const unsigned char *t = sqlite3_column_text(st, i);
        cJSON_AddStringToObject(o, names[i] + 1, t ? (const char *)t : "");
      } else {
        cJSON_AddNumberToObject(o, names[i], sqlite3_column_double(st, i));
      }
    }
    cJSON_AddItemToArray(out, o);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, rc, "reporting progress");
}

/* The needs a pairing's chain is counted under: its own chains, or "(无)". */
#define NEED_CHAINS "(SELECT n.id AS need, coalesce(c.value,'(无产业链)') AS chain FROM need n" \
                    " LEFT JOIN json_each(CASE WHEN json_valid(n.chains) THEN n.chains ELSE '[]' END) c)"

static const char sql_chain[] =
    "SELECT nc.chain, count(DISTINCT nc.need),"
    " count(DISTINCT CASE WHEN o.state NOT IN ('proposed') AND substr(o.date,1,4)=?1 THEN nc.need END),"
    " count(DISTINCT CASE WHEN o.state IN " ENGAGED " AND substr(o.date,1,4)=?1 THEN nc.need END),"
    " count(CASE WHEN o.state IN " SIGNED " AND substr(coalesce(o.signed,o.date),1,4)=?1 THEN 1 END),"
    " coalesce(sum(CASE WHEN o.state IN " SIGNED " AND substr(coalesce(o.signed,o.date),1,4)=?1 THEN o.value END),0)"
    " FROM " NEED_CHAINS " nc LEFT JOIN outcome o ON o.need = nc.need"
    " GROUP BY nc.chain ORDER BY 6 DESC, 4 DESC, 2 DESC, nc.chain";

static const char sql_month[] =
    "WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k+1 FROM m WHERE k<12),"
    " mm AS (SELECT ?1 || '-' || printf('%02d',k) AS month FROM m)"
    " SELECT mm.month,"
    " (SELECT count(*) FROM outcome WHERE state NOT IN ('proposed') AND substr(date,1,7)=mm.month),"
    " (SELECT count(*) FROM outcome WHERE state IN " SIGNED " AND substr(coalesce(signed,date),1,7)=mm.month),"
    " (SELECT coalesce(sum(value),0) FROM outcome WHERE state IN " SIGNED " AND substr(coalesce(signed,date),1,7)=mm.month)"
    " FROM mm ORDER BY mm.month";

static const char sql_funnel[] =
    "SELECT s.state, (SELECT count(*) FROM outcome o WHERE o.state=s.state AND substr(o.date,1,4)=?1) FROM"
    " (SELECT 'proposed' AS state, 1 AS k UNION ALL SELECT 'contacted',2 UNION ALL SELECT 'accepted',3"
    "  UNION ALL SELECT 'declined',4 UNION ALL SELECT 'signed',5 UNION ALL SELECT 'completed',6"
    "  UNION ALL SELECT 'abandoned',7) s ORDER BY s.k";

/* Open needs created at least ?3 days before the as-of date with no pairing
** past "proposed": nobody has talked to the enterprise yet. */
static const char sql_stale[] =
    "SELECT n.id, n.title, coalesce(g.name, n.org, ''), coalesce(n.created,''),"
    " CAST(julianday(?2) - julianday(n.created) AS INTEGER)"
    " FROM need n LEFT JOIN org g ON g.id = n.org"
    " WHERE n.status='open' AND n.created IS NOT NULL AND length(n.created)=10 AND n.created <= ?2"
    " AND julianday(?2) - julianday(n.created) >= ?3"
    " AND NOT EXISTS (SELECT 1 FROM outcome o WHERE o.need=n.id AND o.state != 'proposed')"
    " ORDER BY n.created, n.id";

static const char sql_declines[] =
    "SELECT o.cand, coalesce(e.name,''), count(*), group_concat(json_extract(o.doc,'$.reason'), '；')"
    " FROM outcome o LEFT JOIN expert e ON e.id=o.cand WHERE o.ctype='expert' AND o.state='declined'"
    " AND substr(o.date,1,4)=?1 GROUP BY o.cand HAVING count(*) >= 2 ORDER BY 3 DESC, 1";

static jb_status stale_needs(jb_db *db, const char *year, const char *as_of, int days, cJSON *out, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, sql_stale, &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 2, as_of, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, days);
  (void)year;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    static const char *const k[] = {"id", "title", "org", "created"};
    for (int i = 0; i < 4; i++) cJSON_AddStringToObject(o, k[i], (const char *)sqlite3_column_text(st, i));
    cJSON_AddNumberToObject(o, "days", sqlite3_column_int(st, 4));
    cJSON_AddItemToArray(out, o);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, rc, "finding needs without contact");
}

jb_status jb_progress(jb_db *db, const jb_progress_opts *o, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  char year[16], today[11], as_of[16];
  jb_today(today);
  int y = o && o->year ? o->year : atoi(today);
  if (y < 1900 || y > 2200) y = 2021;
  snprintf(year, sizeof(year), "%04d", y);
  /* as of the year's end, or today while the year runs */
  snprintf(as_of, sizeof(as_of), "%04d-12-31", y);
  if (strcmp(today, as_of) < 0) memcpy(as_of, today, sizeof(today));
  if (o && o->as_of) snprintf(as_of, sizeof(as_of), "%s", o->as_of);
  int days = o && o->stale_days > 0 ? o->stale_days : 60;
  const char *path = o && o->targets_file ? o->targets_file : JB_SOURCE_TARGETS;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "year", atoi(year));
  cJSON_AddStringToObject(r, "as_of", as_of);
  cJSON_AddStringToObject(r, "targets_file", path);
  cJSON *targets = cJSON_AddArrayToObject(r, "targets"), *chains = cJSON_AddArrayToObject(r, "by_chain");
  cJSON *months = cJSON_AddArrayToObject(r, "by_month"), *funnel = cJSON_AddArrayToObject(r, "funnel");
  cJSON *declines = cJSON_AddArrayToObject(r, "repeated_declines");
  cJSON *stale = cJSON_AddObjectToObject(r, "no_contact");
  cJSON_AddNumberToObject(stale, "days", days);
  cJSON *stale_list = cJSON_AddArrayToObject(stale, "needs");
  static const char *const chain_cols[] = {"$chain", "needs", "contacted", "engaged", "contracts", "value"};
  static const char *const month_cols[] = {"$month", "pairings", "contracts", "value"};
  static const char *const funnel_cols[] = {"$state", "count"};
  static const char *const decline_cols[] = {"$expert", "$name", "count", "$reasons"};
  jb_status rc = jb_db_exec(db, "BEGIN", err); /* one snapshot for the whole report */
  if (!rc) rc = load_targets(db, path, year, targets, err);
  if (!rc) rc = rows(db, sql_chain, year, NULL, chain_cols, 6, chains, err);
  if (!rc) rc = rows(db, sql_month, year, NULL, month_cols, 4, months, err);
  if (!rc) rc = rows(db, sql_funnel, year, NULL, funnel_cols, 2, funnel, err);
  if (!rc) rc = rows(db, sql_declines, year, NULL, decline_cols, 4, declines, err);
  if (!rc) rc = stale_needs(db, year, as_of, days, stale_list, err);
  sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
  if (rc) {
    cJSON_Delete(r);
    return rc;
  }
  /* running total of contract value, for the chart's line */
  double cum = 0;
  cJSON *m;
  cJSON_ArrayForEach(m, months) {
    cum += cJSON_GetObjectItem(m, "value")->valuedouble;
    cJSON_AddNumberToObject(m, "value_cumulative", cum);
  }
  *ppOut = r;
  return JB_OK;
}
