/*
** match.c — jb_match(): the ranked candidates for one need with their
** reasons and the ones left out (and why), "why not" for a named candidate,
** and the reverse: the open needs an expert or achievement could serve.
**
** The need comes from need.c and every candidate shown passes its
** eligibility rule; a left-out candidate is listed with the rule's reason.
** Ranks count only what is shown.
*/
#include "need.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double round4(double v) { return round(v * 10000) / 10000; }

static int parse_types(const char *type, unsigned *mask, jb_error *err) {
  if (!type || !*type) {
    *mask = 1u << MX_EXPERT | 1u << MX_ACHIEVEMENT | 1u << MX_ORG;
    return 0;
  }
  for (int i = 0; i < MX_NTYPES; i++)
    if (!strcmp(type, mx_type_name((mx_type)i)) || (i == MX_ORG && !strcmp(type, "institution"))) {
      *mask = 1u << i;
      return 0;
    }
  jb_err_set(err, JB_ERR_USAGE, "unknown type '%s' (expert, achievement, org, need)", type);
  return -1;
}

static jb_status run_open(jb_db *db, const cJSON *weights, mx_ctx *m, jb_error *err) {
  memset(m, 0, sizeof(*m));
  m->db = db;
  m->tok = db->tok;
  mx_weights_default(&m->w);
  if (weights && mx_weights_apply(&m->w, weights, err)) return JB_ERR_USAGE;
  jb_status rc = mx_get(db, &m->w, &m->mx, err);
  if (rc) return rc;
  if (!(m->s = mx_scratch_take(m->mx))) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  return JB_OK;
}

static void run_close(mx_ctx *m) {
  if (m->s) mx_scratch_give(m->mx, m->s);
}

static cJSON *query_json(const nd_need *n, const char *text) {
  cJSON *q = cJSON_CreateObject();
  if (n && n->id) {
    cJSON_AddStringToObject(q, "need", n->id);
    cJSON_AddStringToObject(q, "title", n->title ? n->title : "");
    if (n->org) cJSON_AddStringToObject(q, "org", n->org);
    if (n->org_name) cJSON_AddStringToObject(q, "org_name", n->org_name);
  } else {
    cJSON_AddStringToObject(q, "text", text ? text : "");
  }
  return q;
}

static void add_chains(jb_db *db, cJSON *o, const char *name, uint64_t bits) {
  cJSON *a = cJSON_AddArrayToObject(o, name);
  for (int i = 0; i < jb_lexicon_nchains(db->lex) && i < 64; i++)
    if (bits >> i & 1) cJSON_AddItemToArray(a, cJSON_CreateString(jb_lexicon_chain(db->lex, i)->name));
}

static cJSON *why_not(mx_ctx *m, const mx_hit *hits, int nhits, unsigned types, const nd_need *n,
                      const char *cand, int k, int listed_rank) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", cand);
  int ui = -1;
  for (int t = 0; t < MX_NEED && ui < 0; t++) ui = mx_unit_find(m->mx, (mx_type)t, cand);
  if (ui < 0) {
    cJSON_AddStringToObject(o, "reason", jb_msg(JB_MSG_WHYNOT_NO_SUCH));
    return o;
  }
  const mx_unit *u = &m->mx->units[ui];
  cJSON_AddStringToObject(o, "type", mx_type_name((mx_type)u->type));
  cJSON_AddStringToObject(o, "name", u->name ? u->name : u->id);
  if (listed_rank > 0) {
    cJSON_AddNumberToObject(o, "rank", listed_rank);
    cJSON_AddStringToObject(o, "reason", jb_msg(JB_MSG_WHYNOT_LISTED));
    return o;
  }
  if (!(types >> u->type & 1)) {
    cJSON_AddStringToObject(o, "reason", jb_msg(JB_MSG_WHYNOT_TYPE));
    return o;
  }
  int pos = -1;
  for (int i = 0; i < nhits; i++)
    if (hits[i].unit == (uint32_t)ui) { pos = i; break; }
  char *ex = NULL;
  if (nd_excluded(m->mx, n, (uint32_t)ui, ND_ALL, &ex)) {
    cJSON_AddStringToObject(o, "reason", ex);
    free(ex);
  } else if (pos < 0) {
    cJSON_AddStringToObject(o, "reason", jb_msg(JB_MSG_WHYNOT_BELOW_FLOOR));
  } else {
    jb_buf b = {0};
    jb_buf_printf(&b, jb_msg(JB_MSG_WHYNOT_RANKED_BELOW), k);
    cJSON_AddStringToObject(o, "reason", jb_buf_str(&b));
    jb_buf_free(&b);
  }
  if (pos >= 0) {
    cJSON_AddNumberToObject(o, "score", round4(hits[pos].score));
    cJSON_AddNumberToObject(o, "text", round4(hits[pos].text));
  }
  cJSON_AddNumberToObject(o, "floor", m->w.floor);
  return o;
}

/* Scores the need, keeping enough hits that k of them may be proposed (or
** all of them: why-not must see everyone). Returns the number of hits. */
static int score_enough(mx_ctx *m, const nd_need *n, unsigned types, int k, int all, mx_hit **hits) {
  /* The list plus room for left-out candidates, more room while that was
  ** not enough. A small room keeps the top-k pruning tight. */
  for (int room = 32;; room *= 8) {
    int keep = all || k + room >= (int)m->mx->nunits ? 0 : k + room;
    int nh = mx_score_need(m->db, m->mx, m->s, m->tok, &m->w, n, types, keep, 1, hits);
    if (nh < 0 || nh < keep || keep == 0) return nh; /* every candidate above the floor is in */
    int usable = 0;
    for (int i = 0; i < nh && usable < k; i++) usable += !nd_excluded(m->mx, n, (*hits)[i].unit, ND_ALL, NULL);
    if (usable >= k) return nh;
  }
}

static cJSON *left_out_json(const mx_unit *u, const mx_hit *h, const char *why) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "type", mx_type_name((mx_type)u->type));
  cJSON_AddStringToObject(e, "id", u->id);
  cJSON_AddStringToObject(e, "name", u->name ? u->name : u->id);
  cJSON_AddNumberToObject(e, "score", round4(h->score));
  cJSON_AddStringToObject(e, "reason", why);
  return e;
}

static jb_status match_forward(mx_ctx *m, const jb_match_opts *o, unsigned types, cJSON *out, jb_error *err) {
  nd_need n;
  jb_status rc = JB_OK;
  if (o->need_id) {
    if ((rc = nd_load(m->db, m->mx, o->need_id, &n, err))) return rc;
  } else if (nd_from_text(m->db, o->text, &n)) {
    nd_free(&n);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  n.ignore_outcomes = m->db->learning;
  mx_hit *hits = NULL;
  int k = o->k > 0 ? o->k : 10;
  int nh = score_enough(m, &n, types, k, o->why_not != NULL, &hits);
  if (nh < 0) {
    nd_free(&n);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory scoring");
    return JB_ERR_NOMEM;
  }
  cJSON *qj = query_json(&n, o->text);
  add_chains(m->db, qj, "chains", n.chains);
  cJSON_AddItemToObject(out, "query", qj);
  cJSON *res = cJSON_AddArrayToObject(out, "results");
  cJSON *excluded = cJSON_AddArrayToObject(out, "excluded");
  int listed = 0, why_rank = 0;
  for (int i = 0; i < nh && listed < k; i++) {
    const mx_unit *u = &m->mx->units[hits[i].unit];
    char *ex = NULL;
    if (nd_excluded(m->mx, &n, hits[i].unit, ND_ALL, &ex)) {
      if (cJSON_GetArraySize(excluded) < 20) cJSON_AddItemToArray(excluded, left_out_json(u, &hits[i], ex));
      free(ex);
      continue;
    }
    listed++;
    if (o->why_not && !strcmp(u->id, o->why_not)) why_rank = listed;
    cJSON *hj = mx_hit_json(m->db, m->mx, m->s, &m->w, &hits[i], listed, n.org, o->explain, &m->mx->supply);
    if (!hj) { /* an explanation without its evidence would look whole */
      jb_err_set(err, JB_ERR_DB, "cannot read the evidence of %s %s: %s", mx_type_name((mx_type)u->type), u->id,
                 sqlite3_errmsg(m->db->db));
      nd_free(&n);
      return JB_ERR_DB;
    }
    cJSON_AddItemToArray(res, hj);
  }
  cJSON_AddNumberToObject(out, "candidates", nh);
  if (o->why_not) cJSON_AddItemToObject(out, "why_not", why_not(m, hits, nh, types, &n, o->why_not, k, why_rank));
  nd_free(&n);
  return JB_OK;
}

/* ------------------------------------------------------------- reverse */

/* Open needs for a unit, best first by a reverse score: the unit's terms
** (tf-idf over its documents, by the needs' idf) searched in the needs.
** Returns the number of candidate demand documents in *cand (caller frees). */
static int reverse_candidates(const mx_ctx *m, const mx_unit *u, int ncand, uint32_t **candOut) {
  const mx_coll *sup = &m->mx->supply, *dem = &m->mx->demand;
  *candOut = NULL;
  double *acc = calloc(dem->ndocs ? dem->ndocs : 1, sizeof(double));
  uint32_t *cand = calloc((size_t)ncand, sizeof(uint32_t));
  if (!acc || !cand) {
    free(acc);
    free(cand);
    return -1;
  }
  for (uint32_t d = u->doc0; d < u->doc0 + u->ndocs; d++) {
    const mx_doc *doc = &sup->docs[d];
    const mx_fwd *fw;
    uint32_t nf = mx_fwd_of(sup, d, &fw);
    for (uint32_t j = 0; j < nf; j++) {
      const mx_fwd *f = &fw[j];
      if (f->term >= dem->nterms_alloc || !dem->npost[f->term]) continue;
      double df = dem->npost[f->term];
      double idf = log(1.0 + (dem->ndocs - df + 0.5) / (df + 0.5));
      double qw = f->tf / (doc->len > 0 ? doc->len : 1) * idf;
      const mx_posting *pl;
      uint32_t np = mx_post(dem, f->term, &pl);
      for (uint32_t p = 0; p < np; p++) {
        const mx_posting *ps = &pl[p];
        acc[ps->doc] += qw * idf * ps->tf * (m->w.k1 + 1) /
                        (ps->tf + m->w.k1 * (1 - m->w.b + m->w.b * dem->docs[ps->doc].len / dem->avglen));
      }
    }
  }
  int nc = 0;
  for (uint32_t d = 0; d < dem->ndocs; d++) {
    const mx_unit *nu = &m->mx->units[dem->docs[d].unit];
    if (acc[d] <= 0 || !nu->open) continue;
    int pos = nc < ncand ? nc++ : ncand;
    if (pos == ncand && acc[d] <= acc[cand[ncand - 1]]) continue;
    if (pos == ncand) pos--;
    while (pos > 0 && acc[cand[pos - 1]] < acc[d]) { cand[pos] = cand[pos - 1]; pos--; }
    cand[pos] = d;
  }
  free(acc);
  *candOut = cand;
  return nc;
}

typedef struct rev {
  uint32_t need;
  double score;
  cJSON *r;       /* the row, without its rank */
} rev;

/* The unit scored the forward way for need n: its row (rank among the
** candidates the need may be offered), NULL when it does not reach the
** floor; *excluded set when the need may not be offered it. */
static cJSON *reverse_row(mx_ctx *m, const jb_match_opts *o, const nd_need *n, uint32_t ui, double *score,
                          char **excluded, int *unreadable) {
  const mx_unit *u = &m->mx->units[ui];
  mx_hit *hits = NULL;
  int nh = mx_score_need(m->db, m->mx, m->s, m->tok, &m->w, n, 1u << u->type, 0, 1, &hits);
  int rank = 0;
  for (int h = 0; h < nh; h++) {
    if (hits[h].unit != ui) {
      rank += !nd_excluded(m->mx, n, hits[h].unit, ND_ALL, NULL);
      continue;
    }
    *score = hits[h].score;
    if (nd_excluded(m->mx, n, ui, ND_ALL, excluded)) return NULL;
    cJSON *r = mx_hit_json(m->db, m->mx, m->s, &m->w, &hits[h], rank + 1, n->org, o->explain, &m->mx->supply);
    if (!r) {
      *unreadable = 1;
      return NULL;
    }
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "type", "need");
    cJSON_AddStringToObject(x, "id", n->id);
    cJSON_AddStringToObject(x, "name", n->title ? n->title : n->id);
    if (n->org) cJSON_AddStringToObject(x, "org", n->org);
    if (n->org_name) cJSON_AddStringToObject(x, "org_name", n->org_name);
    cJSON_AddNumberToObject(x, "score", round4(hits[h].score));
    cJSON_AddNumberToObject(x, "rank_for_need", rank + 1);
    const char *keys[] = {"components", "terms", "evidence", "note"};
    for (int k = 0; k < 4; k++) {
      cJSON *it = cJSON_DetachItemFromObject(r, keys[k]);
      if (it) cJSON_AddItemToObject(x, keys[k], it);
    }
    cJSON_Delete(r);
    return x;
  }
  return NULL;
}

static int cmp_rev(const void *a, const void *b) {
  const rev *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return (x->need > y->need) - (x->need < y->need); /* units are in id order */
}

/* Needs for an expert or achievement: candidate needs come from the unit's
** strongest terms searched in the needs; each is then scored the forward
** way, so the score and rank shown are the ones that need would give. */
static jb_status match_reverse(mx_ctx *m, const jb_match_opts *o, cJSON *out, jb_error *err) {
  mx_type t = o->expert_id ? MX_EXPERT : MX_ACHIEVEMENT;
  const char *id = o->expert_id ? o->expert_id : o->achievement_id;
  int ui = mx_unit_find(m->mx, t, id);
  if (ui < 0) {
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_NOT_FOUND_RECORD), jb_value_label(mx_type_name((mx_type)t)), id);
    return JB_ERR_NOTFOUND;
  }
  const mx_unit *u = &m->mx->units[ui];
  int k = o->k > 0 ? o->k : 10;
  uint32_t *cand = NULL;
  int nc = reverse_candidates(m, u, k * 3 < 30 ? 30 : k * 3, &cand);
  rev *rv = nc >= 0 ? calloc((size_t)(nc ? nc : 1), sizeof(rev)) : NULL;
  if (!rv) {
    free(cand);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  cJSON *qj = cJSON_CreateObject();
  cJSON_AddStringToObject(qj, mx_type_name((mx_type)t), u->id);
  cJSON_AddStringToObject(qj, "name", u->name ? u->name : u->id);
  cJSON_AddItemToObject(out, "query", qj);
  cJSON *excluded = cJSON_AddArrayToObject(out, "excluded");
  int nr = 0;
  jb_status rc = JB_OK;
  for (int i = 0; i < nc && !rc; i++) {
    uint32_t nu = m->mx->demand.docs[cand[i]].unit;
    nd_need n;
    if ((rc = nd_load(m->db, m->mx, m->mx->units[nu].id, &n, err))) break;
    char *why = NULL;
    double score = 0;
    int unreadable = 0;
    cJSON *r = reverse_row(m, o, &n, (uint32_t)ui, &score, &why, &unreadable);
    if (unreadable) {
      rc = JB_ERR_DB;
      jb_err_set(err, rc, "cannot read the evidence of %s for %s: %s", u->id, n.id, sqlite3_errmsg(m->db->db));
    }
    if (r) rv[nr++] = (rev){nu, score, r};
    if (why) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "type", "need");
      cJSON_AddStringToObject(e, "id", n.id);
      cJSON_AddStringToObject(e, "name", n.title ? n.title : n.id);
      cJSON_AddNumberToObject(e, "score", round4(score));
      cJSON_AddStringToObject(e, "reason", why);
      cJSON_AddItemToArray(excluded, e);
      free(why);
    }
    nd_free(&n);
  }
  free(cand);
  jb_qsort(rv, (size_t)nr, sizeof(rev), cmp_rev);
  cJSON *res = cJSON_AddArrayToObject(out, "results");
  for (int i = 0; i < nr; i++) {
    if (!rc && i < k) {
      cJSON_AddItemToObjectCS(rv[i].r, "rank", cJSON_CreateNumber(i + 1));
      cJSON_AddItemToArray(res, rv[i].r);
    } else {
      cJSON_Delete(rv[i].r);
    }
  }
  free(rv);
  return rc;
}

static int non_ascii(const unsigned char *s) {
  for (; s && *s; s++)
    if (*s >= 0x80) return 1;
  return 0;
}

/* Whether the word segmenter is worth loading beside the index: the need's
** text is not plain ASCII (a guess from its row; the scorer and explainer
** load it anyway when a text they read needs it, so a wrong guess costs
** time, never a different answer). */
static int wants_words(jb_db *db, const jb_match_opts *o) {
  if (o->text) return non_ascii((const unsigned char *)o->text);
  if (!o->need_id) return 1;
  sqlite3_stmt *st = NULL;
  int want = 1;
  if (jb_db_prepare(db, "SELECT title, keywords, text FROM need WHERE id = ?1", &st, NULL)) return 1;
  sqlite3_bind_text(st, 1, o->need_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    want = non_ascii(sqlite3_column_text(st, 0)) || non_ascii(sqlite3_column_text(st, 1)) ||
           non_ascii(sqlite3_column_text(st, 2));
  sqlite3_finalize(st);
  return want;
}

jb_status jb_match(jb_db *db, const jb_match_opts *o, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  int given = !!o->need_id + !!o->text + !!o->expert_id + !!o->achievement_id;
  if (given != 1) {
    jb_err_set(err, JB_ERR_USAGE, "give exactly one of: a need id, --text, an expert id, an achievement id");
    return JB_ERR_USAGE;
  }
  if (o->k > JB_MAX_K) {
    jb_err_set(err, JB_ERR_LIMIT, "k must be at most %d", JB_MAX_K);
    return JB_ERR_LIMIT;
  }
  if (o->text && (strlen(o->text) > JB_MAX_FIELD_BYTES || jb_utf8_invalid_at(o->text, strlen(o->text)) >= 0)) {
    jb_err_set(err, JB_ERR_LIMIT, "--text must be valid UTF-8 of at most %d bytes", JB_MAX_FIELD_BYTES);
    return JB_ERR_LIMIT;
  }
  unsigned types;
  if (parse_types(o->type, &types, err)) return JB_ERR_USAGE;
  if ((types >> MX_NEED & 1) && !o->expert_id && !o->achievement_id) {
    jb_err_set(err, JB_ERR_USAGE, "needs are matched to an expert or achievement: use 'match expert ID'");
    return JB_ERR_USAGE;
  }
  /* The index file's blocks are checked as they are read: when one read
  ** for this answer was damaged, the answer is not shown; the files go and
  ** the answer is computed again from an index built afresh. */
  pthread_t th;
  int preload = wants_words(db, o) && jb_words_preload(db->lex, &th);
  for (int attempt = 0;; attempt++) {
    mx_ctx m;
    jb_status rc = run_open(db, o->weights, &m, err);
    if (rc) {
      run_close(&m);
      if (preload) pthread_join(th, NULL);
      return rc;
    }
    cJSON *out = cJSON_CreateObject();
    if (o->expert_id || o->achievement_id) rc = match_reverse(&m, o, out, err);
    else rc = match_forward(&m, o, types, out, err);
    if (!rc) cJSON_AddItemToObject(out, "weights", mx_weights_json(&m.w));
    run_close(&m);
    if (mx_damaged(db, m.mx) && attempt == 0) {
      cJSON_Delete(out);
      jb_mx_discard(db);
      jb_error_clear(err);
      continue;
    }
    if (preload) pthread_join(th, NULL);
    if (rc) {
      cJSON_Delete(out);
      return rc;
    }
    *ppOut = out;
    return JB_OK;
  }
}
