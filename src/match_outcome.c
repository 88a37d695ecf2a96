/*
** match_outcome.c — what happened to earlier pairings, as the matcher sees
** it (issue 13: "outcomes act on matching").
**
**   declined   a candidate who declined a need is never proposed for it
**              again (need.c's rule "declined", a hard exclusion like a
**              conflict of interest; --why-not names the date and reason)
**   engaged    an expert's pairings accepted or under contract (signed) are
**              work he is doing: they count against his capacity in assign
**              and dispatch, and an expert whose capacity they fill is left
**              out of recommendations (need.c's rule "no_capacity")
**
** Both are read from the outcome table every time an index is prepared
** (mx_prepare: after a load, a build or a needs-part refresh), never saved
** in the index file: recording an outcome touches only the needs part, whose
** refresh re-reads them (store_change.c), so a long-running serve or web
** process sees a decline at its next request.
*/
#include "match_int.h"
#include <stdlib.h>
#include <string.h>

void mx_outcomes_free(jb_match_index *mx) {
  for (uint32_t i = 0; i < mx->ndeclined; i++) {
    free(mx->declined[i].key);
    free(mx->declined[i].note);
  }
  free(mx->declined);
  mx->declined = NULL;
  mx->ndeclined = 0;
}

static int pair_cmp(const void *a, const void *b) {
  return strcmp(((const mx_pair *)a)->key, ((const mx_pair *)b)->key);
}

/* 1 when the database has outcomes at all (a read-only database older than
** migration 7 has no table: no outcomes, not an error). */
static int has_outcomes(jb_db *db) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='outcome'", -1, &st,
                         NULL) != SQLITE_OK)
    return 0;
  int yes = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return yes;
}

static jb_status load_engaged(jb_db *db, jb_match_index *mx, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db,
                    "SELECT cand, count(*) FROM outcome WHERE ctype='expert' AND state IN ('accepted','signed')"
                    " GROUP BY cand",
                    &st, err))
    return JB_ERR_DB;
  int got;
  while ((got = jb_step(st, "the experts' engagements", err)) > 0) {
    int ui = mx_unit_find(mx, MX_EXPERT, (const char *)sqlite3_column_text(st, 0));
    int c = sqlite3_column_int(st, 1);
    if (ui >= 0) mx->units[ui].engaged = (int16_t)(c > INT16_MAX ? INT16_MAX : c);
  }
  sqlite3_finalize(st);
  return got < 0 ? (jb_status)-got : JB_OK;
}

static jb_status load_declined(jb_db *db, jb_match_index *mx, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db,
                    "SELECT need || char(9) || ctype || char(9) || cand, json_extract(doc, '$.reason'), date"
                    " FROM outcome WHERE state='declined'",
                    &st, err))
    return JB_ERR_DB;
  uint32_t cap = 0;
  int got;
  jb_status rc = JB_OK;
  while (!rc && (got = jb_step(st, "the declined pairings", err)) > 0) {
    if (mx->ndeclined == cap) {
      cap = cap ? cap * 2 : 16;
      mx_pair *v = realloc(mx->declined, sizeof(mx_pair) * cap);
      if (!v) {
        rc = JB_ERR_NOMEM;
        break;
      }
      mx->declined = v;
    }
    mx_pair *p = &mx->declined[mx->ndeclined];
    const char *note = (const char *)sqlite3_column_text(st, 1), *date = (const char *)sqlite3_column_text(st, 2);
    p->key = jb_strdup((const char *)sqlite3_column_text(st, 0));
    p->note = note ? jb_strdup(note) : NULL;
    p->year = date ? atoi(date) : 0;
    if (!p->key || (note && !p->note)) {
      free(p->key);
      free(p->note);
      rc = JB_ERR_NOMEM;
      break;
    }
    mx->ndeclined++;
  }
  sqlite3_finalize(st);
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory");
  else if (got < 0) rc = (jb_status)-got;
  if (!rc && mx->ndeclined) qsort(mx->declined, mx->ndeclined, sizeof(mx_pair), pair_cmp);
  return rc;
}

jb_status mx_load_outcomes(jb_db *db, jb_match_index *mx, jb_error *err) {
  /* a refresh reads them anew */
  mx_outcomes_free(mx);
  for (uint32_t i = 0; i < mx->nunits; i++) mx->units[i].engaged = 0;
  if (!has_outcomes(db)) return JB_OK;
  jb_status rc = load_engaged(db, mx, err);
  if (!rc) rc = load_declined(db, mx, err);
  return rc;
}

const mx_pair *mx_declined(const jb_match_index *mx, const char *need, const mx_unit *u) {
  if (!need || !mx->ndeclined) return NULL;
  const char *ctype = u->type == MX_EXPERT ? "expert" : u->type == MX_ACHIEVEMENT ? "achievement" : "org";
  jb_buf key = {0};
  jb_buf_printf(&key, "%s\t%s\t%s", need, ctype, u->id);
  const mx_pair *found = NULL;
  uint32_t lo = 0, hi = mx->ndeclined;
  while (lo < hi && !key.oom) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(mx->declined[mid].key, key.p);
    if (!c) {
      found = &mx->declined[mid];
      break;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  jb_buf_free(&key);
  return found;
}
