/*
** store_outcome.c — the rules of an outcome: how a pairing of a need with
** an expert, an achievement or an institution went.
**
**   proposed -> contacted -> accepted -> signed -> completed
**                         \-> declined   \-> abandoned (from accepted or signed)
**
** A pairing may be recorded first in any state (offices often learn of a
** contract after it is signed), but a recorded one moves only forward along
** the arrows; anything else needs --force (a correction), and history keeps
** every step. Declining needs a reason; a signed contract needs its value
** (万元) and date. Dates may not lie more than JB_OUTCOME_FUTURE_DAYS ahead:
** a typo in the year is the usual cause.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A week: a contract dated next Monday is plausible, next year is a typo. */
#define JB_OUTCOME_FUTURE_DAYS 7

/* Today (UTC) as YYYY-MM-DD: the one clock of every "today" (expired
** deadlines, outcome dates, reports); JIEBANG_TODAY pins it for tests. */
void jb_today(char out[11]) {
  const char *env = getenv("JIEBANG_TODAY");
  if (env && strlen(env) == 10) {
    memcpy(out, env, 11);
    return;
  }
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

static const char *sget(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(j) && *j->valuestring ? j->valuestring : NULL;
}

/* May a recorded pairing move from state a to state b? */
static int transition_ok(const char *a, const char *b) {
  static const char *const next[][3] = {
      {"proposed", "contacted", NULL},  {"contacted", "accepted", "declined"},
      {"accepted", "signed", "abandoned"}, {"signed", "completed", "abandoned"},
  };
  if (!strcmp(a, b)) return 1;
  for (int i = 0; i < JB_ARRAY_LEN(next); i++)
    if (!strcmp(next[i][0], a)) return (next[i][1] && !strcmp(next[i][1], b)) || (next[i][2] && !strcmp(next[i][2], b));
  return 0; /* declined, completed, abandoned: final */
}

static const char *allowed_next(const char *a) {
  if (!strcmp(a, "proposed")) return "contacted";
  if (!strcmp(a, "contacted")) return "accepted or declined";
  if (!strcmp(a, "accepted")) return "signed or abandoned";
  if (!strcmp(a, "signed")) return "completed or abandoned";
  return "nothing (a final state)";
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): no
** time zone, no timegm(), which is not in C11 or POSIX. */
static long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* A date's distance in days from today (positive: in the future). Partial
** dates (YYYY, YYYY-MM) count from their first day. */
static long days_ahead(const char *date) {
  char today[11];
  jb_today(today);
  size_t n = strlen(date);
  long a = days_from_civil(atoi(date), n >= 7 ? atoi(date + 5) : 1, n >= 10 ? atoi(date + 8) : 1);
  long b = days_from_civil(atoi(today), atoi(today + 5), atoi(today + 8));
  return a - b;
}

#define FAIL(field, ...)                                                                 \
  do {                                                                                   \
    jb_err_at(err, JB_ERR_INVALID, loc ? loc->file : NULL, loc ? loc->line : 0, field, __VA_ARGS__); \
    return JB_ERR_INVALID;                                                               \
  } while (0)

jb_status jb_outcome_check(cJSON *rec, const cJSON *old, int flags, const jb_loc *loc, jb_error *err) {
  int ncand = !!sget(rec, "expert") + !!sget(rec, "achievement") + !!sget(rec, "org");
  if (ncand != 1)
    FAIL(ncand ? "org" : "expert", jb_msg(JB_MSG_OUTCOME_ONE_CANDIDATE),
         jb_msg(ncand ? JB_MSG_OUTCOME_SEVERAL : JB_MSG_OUTCOME_NONE));
  const char *state = sget(rec, "state");
  if (!strcmp(state, "declined") && !sget(rec, "reason"))
    FAIL("reason", "%s", jb_msg(JB_MSG_OUTCOME_NEEDS_REASON));
  if (!strcmp(state, "signed") || !strcmp(state, "completed")) {
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "value")))
      FAIL("value", "%s", jb_msg(JB_MSG_OUTCOME_NEEDS_VALUE));
    if (!sget(rec, "signed") && !sget(rec, "date"))
      FAIL("signed", "%s", jb_msg(JB_MSG_OUTCOME_NEEDS_DATE));
  }
  static const char *const dates[] = {"date", "signed"};
  for (int i = 0; i < 2; i++) {
    const char *d = sget(rec, dates[i]);
    long ahead = d ? days_ahead(d) : 0;
    if (ahead > JB_OUTCOME_FUTURE_DAYS)
      FAIL(dates[i], jb_msg(JB_MSG_OUTCOME_FUTURE), d, ahead, JB_OUTCOME_FUTURE_DAYS);
  }
  const char *was = old ? sget(old, "state") : NULL;
  if (was && !(flags & JB_STORE_FORCE) && !transition_ok(was, state))
    FAIL("state", jb_msg(JB_MSG_OUTCOME_TRANSITION), was, state, allowed_next(was));
  /* Derived, so that reports can count by month: a state reached without a
  ** date is dated today, and a contract's date is the date it was signed. */
  int moved = !was || strcmp(was, state);
  if (moved && !cJSON_GetObjectItemCaseSensitive(rec, "date")) {
    char today[11];
    jb_today(today);
    if (!cJSON_AddStringToObject(rec, "date", today)) return JB_ERR_NOMEM;
  }
  if (!strcmp(state, "signed") && !sget(rec, "signed") && sget(rec, "date")) {
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "signed");
    if (!cJSON_AddStringToObject(rec, "signed", sget(rec, "date"))) return JB_ERR_NOMEM;
  }
  return JB_OK;
}

/* Needs still open after their deadline: derived, never stored, so that no
** list silently shows them as open. A partial deadline (2022-06) lasts to
** the end of its month or year. */
#define EXPIRED_SQL "n.status='open' AND n.deadline IS NOT NULL AND n.deadline < substr(?1, 1, length(n.deadline))"

int jb_need_expired(const char *status, const char *deadline) {
  if (!deadline || !*deadline || (status && strcmp(status, "open"))) return 0;
  char today[11];
  jb_today(today);
  size_t n = strlen(deadline);
  return strncmp(deadline, today, n < 10 ? n : 10) < 0;
}

static jb_status audit_rows(jb_db *db, const char *sql, cJSON *arr, const char *const *names, int n, jb_error *err) {
  sqlite3_stmt *st = NULL;
  char today[11];
  jb_today(today);
  if (jb_db_prepare(db, sql, &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < n; i++) {
      if (names[i][0] == '#') cJSON_AddNumberToObject(o, names[i] + 1, sqlite3_column_double(st, i));
      else if (names[i][0] == '[') cJSON_AddItemToObject(o, names[i] + 1, cJSON_Parse((const char *)sqlite3_column_text(st, i)));
      else cJSON_AddStringToObject(o, names[i], sqlite3_column_text(st, i) ? (const char *)sqlite3_column_text(st, i) : "");
    }
    cJSON_AddItemToArray(arr, o);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, rc, "checking outcomes");
}

jb_status jb_outcome_audit(jb_db *db, cJSON *out, jb_error *err) {
  static const char *const dcols[] = {"expert", "name", "#count", "[needs", "[reasons"};
  static const char *const ecols[] = {"id", "title", "deadline"};
  cJSON *dec = cJSON_AddArrayToObject(out, "repeated_declines"), *exp = cJSON_AddArrayToObject(out, "expired_needs");
  /* an expert who declined two or more pairings: ask before proposing again */
  jb_status rc = audit_rows(db,
                            "SELECT o.cand, coalesce(e.name,''), count(*), json_group_array(o.need),"
                            " json_group_array(coalesce(json_extract(o.doc,'$.reason'),'')) FROM outcome o"
                            " LEFT JOIN expert e ON e.id=o.cand WHERE o.ctype='expert' AND o.state='declined'"
                            " AND ?1 IS NOT NULL GROUP BY o.cand HAVING count(*) >= 2 ORDER BY 3 DESC, 1",
                            dec, dcols, 5, err);
  if (!rc)
    rc = audit_rows(db, "SELECT n.id, n.title, n.deadline FROM need n WHERE " EXPIRED_SQL " ORDER BY n.deadline, n.id",
                    exp, ecols, 3, err);
  cJSON *sum = cJSON_GetObjectItem(out, "summary");
  if (!rc && sum) {
    cJSON_AddNumberToObject(sum, "repeated_declines", cJSON_GetArraySize(dec));
    cJSON_AddNumberToObject(sum, "expired_needs", cJSON_GetArraySize(exp));
  }
  return rc;
}

/* The outcomes recorded for one need, in the order they were first
** recorded: what its page shows beside each candidate. */
jb_status jb_outcomes_of_need(jb_db *db, const char *need, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT doc FROM outcome WHERE need=?1 ORDER BY rowid", &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, need, -1, SQLITE_TRANSIENT);
  cJSON *out = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(out, "outcomes");
  cJSON_AddStringToObject(out, "need", need);
  int s;
  while ((s = jb_step(st, "the need's outcomes", err)) > 0) {
    cJSON *doc = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    if (doc) cJSON_AddItemToArray(arr, doc);
  }
  sqlite3_finalize(st);
  if (s < 0) {
    cJSON_Delete(out);
    return (jb_status)-s;
  }
  *ppOut = out;
  return JB_OK;
}
