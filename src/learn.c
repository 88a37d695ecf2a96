/*
** learn.c — `jiebang learn`: the recorded outcomes as the matcher scored
** them, and the boosts fitted to them (learn_fit.c), judged on held-out
** outcomes against the weights in force.
**
** Good: accepted, signed, completed. Bad: declined. Proposed, contacted and
** abandoned say nothing about the match (never contacted is no verdict; a
** contract abandoned after signing failed for other reasons) and are left
** out. Only experts are learned from: the boosts are the same for every
** type, and experts are most of the outcomes.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

/* Fewer than this many of either kind and no fit is attempted. */
#define JB_LEARN_MIN 20

static const char *sget(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(j) ? j->valuestring : NULL;
}

static double nget(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

/* The need's candidates scored as the matcher scores them (every one, with
** no floor, outcomes not consulted), kept for the pairs with an outcome. */
static jb_status score_need(jb_db *db, const char *need, const cJSON *weights, const cJSON *want, jb_learn_sample *s,
                            int *n, long *skipped, jb_error *err) {
  jb_match_opts mo = {0};
  mo.need_id = need;
  mo.type = "expert";
  mo.k = -1;
  mo.explain = 1;
  mo.weights = weights;
  cJSON *r = NULL;
  db->learning = 1;
  jb_status rc = jb_match(db, &mo, &r, err);
  db->learning = 0;
  if (rc) return rc;
  const cJSON *w;
  cJSON_ArrayForEach(w, want) {
    const char *cand = sget(w, "cand");
    const cJSON *hit = NULL, *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "results"))
      if (sget(x, "id") && !strcmp(sget(x, "id"), cand)) hit = x;
    if (!hit) {
      (*skipped)++; /* no text in common, or excluded for a conflict of interest */
      continue;
    }
    const cJSON *c = cJSON_GetObjectItem(hit, "components");
    jb_learn_sample *t = &s[(*n)++];
    t->text = nget(c, "text"), t->chain = nget(c, "chain"), t->region = nget(c, "region");
    t->program = nget(c, "program"), t->label = (int)nget(w, "label");
  }
  cJSON_Delete(r);
  return JB_OK;
}

static jb_status gather(jb_db *db, const char *since, const cJSON *weights, jb_learn_sample **out, int *nout,
                        long *skipped, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT need, cand, state IN ('accepted','signed','completed') FROM outcome"
                        " WHERE ctype='expert' AND state IN ('accepted','signed','completed','declined')"
                        " AND (?1 IS NULL OR date >= ?1) ORDER BY need, cand", &st, err))
    return JB_ERR_DB;
  if (since) sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
  cJSON *byneed = cJSON_CreateObject();
  int total = 0, src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const char *need = (const char *)sqlite3_column_text(st, 0);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(byneed, need);
    if (!arr) arr = cJSON_AddArrayToObject(byneed, need);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "cand", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddNumberToObject(o, "label", sqlite3_column_int(st, 2));
    cJSON_AddItemToArray(arr, o);
    total++;
  }
  sqlite3_finalize(st);
  jb_status rc = src == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, src, "reading outcomes");
  jb_learn_sample *s = calloc((size_t)(total ? total : 1), sizeof(*s));
  int n = 0;
  if (!rc && !s) rc = JB_ERR_NOMEM;
  const cJSON *nd;
  cJSON_ArrayForEach(nd, byneed) {
    if (rc) break;
    rc = score_need(db, nd->string, weights, nd, s, &n, skipped, err);
  }
  cJSON_Delete(byneed);
  if (rc) {
    free(s);
    return rc;
  }
  *out = s;
  *nout = n;
  return JB_OK;
}

static cJSON *boosts(const double w[3]) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "chain", w[0]);
  cJSON_AddNumberToObject(o, "region", w[1]);
  cJSON_AddNumberToObject(o, "program", w[2]);
  return o;
}

jb_status jb_learn(jb_db *db, const jb_learn_opts *o, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  /* the weights in force: the defaults with the caller's overrides */
  cJSON *shown = jb_match_default_weights(), *dw = cJSON_CreateObject();
  const cJSON *j;
  cJSON_ArrayForEach(j, shown) cJSON_AddNumberToObject(dw, j->string, nget(j, "default"));
  cJSON_Delete(shown);
  if (o && o->weights) cJSON_ArrayForEach(j, o->weights) {
      cJSON_DeleteItemFromObjectCaseSensitive(dw, j->string);
      cJSON_AddItemToObject(dw, j->string, cJSON_Duplicate(j, 1));
    }
  double dflt[3] = {nget(dw, "chain"), nget(dw, "region"), nget(dw, "program")};
  /* scored with no floor, so that a weak proposal that worked still counts */
  cJSON *run = cJSON_Duplicate(dw, 1);
  cJSON_ReplaceItemInObjectCaseSensitive(run, "floor", cJSON_CreateNumber(0));
  jb_learn_sample *s = NULL;
  int n = 0;
  long skipped = 0;
  jb_status rc = gather(db, o ? o->since : NULL, run, &s, &n, &skipped, err);
  cJSON_Delete(run);
  if (rc) {
    cJSON_Delete(dw);
    return rc;
  }
  int good = 0;
  for (int i = 0; i < n; i++) good += s[i].label;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "outcomes", n);
  cJSON_AddNumberToObject(r, "good", good);
  cJSON_AddNumberToObject(r, "declined", n - good);
  cJSON_AddNumberToObject(r, "not_scored", (double)skipped);
  cJSON_AddItemToObject(r, "default", boosts(dflt));
  if (good < JB_LEARN_MIN || n - good < JB_LEARN_MIN) {
    cJSON_AddFalseToObject(r, "better");
    char why[160];
    snprintf(why, sizeof(why), "too few outcomes to learn from: %d good and %d declined (at least %d of each)", good,
             n - good, JB_LEARN_MIN);
    cJSON_AddStringToObject(r, "reason", why);
  } else {
    jb_learn_result lr;
    int folds = o && o->folds >= 2 ? o->folds : 5;
    if (folds > n / 4) folds = n / 4 > 2 ? n / 4 : 2;
    if (jb_learn_cv(s, n, dflt, folds, 2021, &lr)) rc = JB_ERR_NOMEM;
    cJSON_AddItemToObject(r, "learned", boosts(lr.w));
    cJSON *h = cJSON_AddObjectToObject(r, "held_out");
    cJSON_AddNumberToObject(h, "folds", lr.folds);
    cJSON_AddNumberToObject(h, "auc_default", lr.auc_default);
    cJSON_AddNumberToObject(h, "auc_learned", lr.auc_learned);
    cJSON_AddNumberToObject(h, "logloss_default", lr.loss_default);
    cJSON_AddNumberToObject(h, "logloss_learned", lr.loss_learned);
    int better = jb_learn_better(&lr);
    cJSON_AddBoolToObject(r, "better", better);
    if (better) cJSON_AddItemToObject(r, "weights", boosts(lr.w));
    else
      cJSON_AddStringToObject(r, "reason", "the learned weights do not beat the defaults on held-out outcomes "
                                           "(log-loss 3 nats lower and AUC not lower)");
  }
  free(s);
  cJSON_Delete(dw);
  if (rc) {
    cJSON_Delete(r);
    jb_err_set(err, rc, "out of memory");
    return rc;
  }
  *ppOut = r;
  return JB_OK;
}
