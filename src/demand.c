/*
** demand.c — demand lists (需求清单) for technology transfer: open needs
** grouped by industry chain and ordered by priority, near-duplicates merged
** with every source kept, common needs (行业共性需求) found across
** enterprises, each made transfer-ready with the matcher's best experts and
** achievements, and the achievements with the needs they could serve.
**
** Needs are compared as tf-idf vectors (1 + ln tf) over the needs
** themselves, without single CJK characters (common characters make
** unrelated Chinese texts look alike). Two thresholds, documented in README
** and measured by bench/demand_quality:
**   duplicate (0.38, wording only): the same need posted twice, or reworded;
**   common    (0.35, wording and shared supply): one problem, different words.
** Common needs are star clusters: the need with the most neighbours above
** the threshold takes its unclustered neighbours, and so on — no chaining
** of A~B~C into one topic, and the same result on every run.
*/
#include "need.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------- vectors */

static size_t nz(int n) { return n > 0 ? (size_t)n : 1; } /* malloc(0) is not portable */

/* Single characters at half weight: they make rewordings comparable (the
** bundled corpus' reworded duplicates go from 0.31-0.35 to 0.40-0.48 with
** them) while bigrams still decide. */
#define DM_CHAR_WEIGHT 0.5
/* Share of the "same experts and achievements answer both" similarity in the
** common-need similarity: different words for one problem still call on the
** same people (黄龙病 and 溃疡病 needs both call on citrus pathologists). */
#define DM_SUPPLY_SHARE 0.5
/* Supply hits per need that make up its supply profile. */
#define DM_SUPPLY_K 20

static int is_cjk_char_term(const jb_match_index *mx, uint32_t t) {
  const char *s = mx->terms.text[t];
  uint32_t cp;
  size_t n = strlen(s);
  return (unsigned char)s[0] >= 0x80 && jb_utf8_decode((const unsigned char *)s, n, &cp) == (int)n;
}

static double demand_idf(const mx_coll *c, uint32_t t) {
  double df = t < c->nterms_alloc ? c->npost[t] : 0;
  return log(1.0 + (c->ndocs + 1) / (df + 0.5));
}

static int vec_push(dm_vec *v, uint32_t term, double w) {
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 64;
    uint32_t *t = realloc(v->term, sizeof(uint32_t) * (size_t)cap);
    if (!t) return -1;
    v->term = t;
    float *ww = realloc(v->w, sizeof(float) * (size_t)cap);
    if (!ww) return -1;
    v->w = ww;
    v->cap = cap;
  }
  v->term[v->n] = term;
  v->w[v->n] = (float)w;
  v->n++;
  return 0;
}

void dm_vec_free(dm_vec *v) {
  free(v->term);
  free(v->w);
  memset(v, 0, sizeof(*v));
}

static void vec_finish(dm_vec *v) {
  double s = 0;
  for (int i = 0; i < v->n; i++) s += (double)v->w[i] * v->w[i];
  v->norm = s > 0 ? sqrt(s) : 0;
}

int dm_vec_of_doc(const jb_match_index *mx, uint32_t doc, dm_vec *v) {
  const mx_coll *c = &mx->demand;
  const mx_fwd *fw;
  uint32_t nf = mx_fwd_of(c, doc, &fw);
  v->n = 0;
  for (uint32_t j = 0; j < nf; j++) {
    const mx_fwd *f = &fw[j];
    double k = is_cjk_char_term(mx, f->term) ? DM_CHAR_WEIGHT : 1;
    if (vec_push(v, f->term, k * (1 + log(f->tf)) * demand_idf(c, f->term))) return -1;
  }
  vec_finish(v);
  return 0;
}

typedef struct text_vec {
  const jb_match_index *mx;
  double weight;
  uint32_t *terms;
  float *tf;
  int n, cap, oom;
} text_vec;

static int text_vec_cb(void *ctx, const char *tok, int ntok, int kind, int s, int e) {
  text_vec *x = ctx;
  uint32_t t = mx_term_find(x->mx, tok, ntok);
  if (t == UINT32_MAX || t >= x->mx->demand.nterms_alloc || !x->mx->demand.npost[t]) return 0;
  for (int i = 0; i < x->n; i++)
    if (x->terms[i] == t) {
      x->tf[i] += (float)x->weight;
      return 0;
    }
  if (x->n == x->cap) {
    int cap = x->cap ? x->cap * 2 : 64;
    uint32_t *tt = realloc(x->terms, sizeof(uint32_t) * (size_t)cap);
    float *ff = tt ? realloc(x->tf, sizeof(float) * (size_t)cap) : NULL;
    if (tt) x->terms = tt;
    if (!tt || !ff) { x->oom = 1; return 1; }
    x->tf = ff;
    x->cap = cap;
  }
  x->terms[x->n] = t;
  x->tf[x->n] = (float)x->weight;
  x->n++;
  return 0;
}

int dm_vec_of_text(const jb_match_index *mx, jb_tokenizer *tok, const mx_weights *w, const char *title,
                   const cJSON *keywords, const char *text, dm_vec *v) {
  text_vec x = {mx, 0, NULL, NULL, 0, 0, 0};
  int uni = mx->fw[3] > 0; /* characters are in the index: use them as the documents do */
  x.weight = w->w_title;
  if (title) mx_features(mx, tok, title, uni, &x, text_vec_cb);
  x.weight = w->w_keywords;
  const cJSON *k;
  cJSON_ArrayForEach(k, keywords) if (cJSON_IsString(k)) mx_features(mx, tok, k->valuestring, uni, &x, text_vec_cb);
  x.weight = w->w_body;
  if (text) mx_features(mx, tok, text, uni, &x, text_vec_cb);
  int rc = x.oom ? -1 : 0;
  v->n = 0;
  for (int i = 0; i < x.n && !rc; i++)
    rc = vec_push(v, x.terms[i], (is_cjk_char_term(mx, x.terms[i]) ? DM_CHAR_WEIGHT : 1) * (1 + log(x.tf[i])) *
                                     demand_idf(&mx->demand, x.terms[i]));
  free(x.terms);
  free(x.tf);
  vec_finish(v);
  return rc;
}

void dm_similar(const jb_match_index *mx, const dm_vec *v, const float *norms, float *sim, uint32_t *touched,
                uint32_t *ntouched) {
  const mx_coll *c = &mx->demand;
  *ntouched = 0;
  for (int i = 0; i < v->n; i++) {
    uint32_t t = v->term[i];
    double idf = demand_idf(c, t);
    const mx_posting *pl;
    uint32_t np = mx_post(c, t, &pl);
    for (uint32_t j = 0; j < np; j++) {
      const mx_posting *p = &pl[j];
      if (sim[p->doc] == 0) touched[(*ntouched)++] = p->doc;
      sim[p->doc] += (float)(v->w[i] * (1 + log(p->tf)) * idf);
    }
  }
  for (uint32_t i = 0; i < *ntouched; i++) {
    uint32_t d = touched[i];
    sim[d] = (v->norm > 0 && norms[d] > 0) ? sim[d] / (float)(v->norm * norms[d]) : 0;
    if (sim[d] == 0) sim[d] = 1e-9f; /* keep it marked as touched */
  }
}

const float *dm_norms(jb_match_index *mx) {
  if (mx->demand_norms) return mx->demand_norms;
  const mx_coll *c = &mx->demand;
  float *n = calloc(c->ndocs ? c->ndocs : 1, sizeof(float));
  if (!n) return NULL;
  dm_vec v = {0};
  for (uint32_t d = 0; d < c->ndocs; d++) {
    if (dm_vec_of_doc(mx, d, &v)) {
      free(n);
      dm_vec_free(&v);
      return NULL;
    }
    n[d] = (float)v.norm;
  }
  dm_vec_free(&v);
  return mx->demand_norms = n;
}

/* ---------------------------------------------------------------- needs */

typedef struct dneed {
  nd_need n;        /* need.c: its record and owner */
  uint32_t unit, doc;
  int dup_of;       /* index of the need it duplicates, or -1 */
  int cluster;      /* common-need cluster, or -1 */
  int enterprises;  /* distinct orgs asking (cluster, duplicates) */
  cJSON *experts, *achievements; /* matcher results */
  int expired;      /* its deadline has passed (listed only when asked) */
} dneed;

typedef struct dcluster {
  int *members;
  int n;
  int center;
  int norgs;
} dcluster;

typedef struct dlist {
  jb_db *db;
  const jb_demand_opts *o;
  jb_match_index *mx;
  mx_weights w;
  dneed *v;
  int n;
  dcluster *cl;
  int ncl;
  const float *norms;  /* the index's (dm_norms) */
  jb_error *err;
  jb_status failed;   /* a read error while building the JSON: the list is not returned */
  char today[32];     /* YYYY-MM-DD: deadlines before it have passed */
  int expired_left_out;
} dlist;

/* The report's date: the one asked for, else today (jb_today). */
static void report_date(const jb_demand_opts *o, char out[32]) {
  if (o->date) snprintf(out, 32, "%s", o->date);
  else jb_today(out);
}

static void dlist_free(dlist *L) {
  for (int i = 0; i < L->n; i++) {
    dneed *d = &L->v[i];
    nd_free(&d->n);
    cJSON_Delete(d->experts);
    cJSON_Delete(d->achievements);
  }
  free(L->v);
  for (int i = 0; i < L->ncl; i++) free(L->cl[i].members);
  free(L->cl);
}

/* The bit of the --chain filter, -1 for none, -2 for an unknown chain. */
static int chain_filter(dlist *L) {
  if (!L->o->chain) return -1;
  /* 油茶产业 means 油茶: resolved as an import resolves it */
  const char *name = jb_chain_resolve(L->db->lex, L->o->chain);
  const jb_chain *only = name ? jb_lexicon_find_chain(L->db->lex, name) : NULL;
  for (int i = 0; only && i < jb_lexicon_nchains(L->db->lex) && i < 64; i++)
    if (jb_lexicon_chain(L->db->lex, i) == only) return i;
  return -2;
}

/* The error for a --chain that names no chain, with the chains there are. */
static jb_status unknown_chain(dlist *L, jb_error *err) {
  const char *cands[64];
  int n = 0;
  jb_buf all = {0};
  for (int i = 0; i < jb_lexicon_nchains(L->db->lex) && n < 64; i++) {
    cands[n++] = jb_lexicon_chain(L->db->lex, i)->name;
    jb_buf_printf(&all, "%s%s", i ? "、" : "", cands[n - 1]);
  }
  const char *near = jb_did_you_mean(L->o->chain, cands, n);
  char dym[200] = "";
  if (near) snprintf(dym, sizeof(dym), jb_msg(JB_MSG_REC_DID_YOU_MEAN), near);
  jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_DEMAND_UNKNOWN_CHAIN), L->o->chain, jb_buf_str(&all), dym);
  jb_buf_free(&all);
  return JB_ERR_USAGE;
}

static jb_status load_needs(dlist *L, jb_error *err) {
  const jb_demand_opts *o = L->o;
  int only_bit = chain_filter(L);
  if (only_bit == -2) return unknown_chain(L, err);
  const char *bind[3] = {o->status ? o->status : "open", o->since, o->org};
  nd_need *v = NULL;
  int nv = 0;
  jb_status rc = nd_load_where(L->db, L->mx,
                               "WHERE (?1 IS NULL OR ?1 = 'all' OR n.status = ?1)"
                               " AND (?2 IS NULL OR n.created >= ?2) AND (?3 IS NULL OR n.org = ?3) ORDER BY n.id",
                               bind, 3, &v, &nv, err);
  if (rc) return rc;
  L->v = calloc(nz(nv), sizeof(dneed));
  if (!L->v) {
    nd_free_all(v, nv);
    return JB_ERR_NOMEM;
  }
  for (int i = 0; i < nv; i++) {
    int ui = mx_unit_find(L->mx, MX_NEED, v[i].id);
    int keep = ui >= 0 && (only_bit < 0 || (v[i].chains >> only_bit & 1)) && (v[i].keywords || (v[i].keywords = cJSON_CreateArray()));
    if (!keep) { /* not in the index yet (imported after it was built): next run */
      nd_free(&v[i]);
      continue;
    }
    /* a need whose deadline passed is not published as open, unless asked */
    int expired = v[i].deadline && *v[i].deadline && strcmp(v[i].deadline, L->today) < 0;
    if (expired && !o->include_expired) {
      L->expired_left_out++;
      nd_free(&v[i]);
      continue;
    }
    dneed *d = &L->v[L->n++];
    d->n = v[i];
    if (!o->with_contacts) {
      cJSON_Delete(d->n.contact);
      d->n.contact = NULL;
    }
    d->unit = (uint32_t)ui;
    d->doc = L->mx->units[ui].doc0;
    d->dup_of = -1;
    d->cluster = -1;
    d->enterprises = 1;
    d->expired = expired;
  }
  free(v);
  return JB_OK;
}

/* ------------------------------------------------------ neighbours, groups */

typedef struct nb {
  int j;
  float text;   /* wording: tf-idf cosine */
  float sim;    /* problem: text and shared supply blended */
} nb;

/* Each need's best experts and achievements, as a normalised sparse vector. */
typedef struct supply_vec {
  uint32_t unit[DM_SUPPLY_K];
  float w[DM_SUPPLY_K];
  int n;
} supply_vec;

static jb_status supply_vectors(dlist *L, supply_vec *sv) {
  mx_scratch *s = mx_scratch_take(L->mx);
  if (!s) return JB_ERR_NOMEM;
  for (int i = 0; i < L->n; i++) {
    dneed *d = &L->v[i];
    /* who could answer it, whoever may be offered: this compares problems */
    nd_need q = d->n;
    q.nowners = 0;
    q.region = NULL;
    mx_hit *h = NULL;
    int nh = mx_score_need(L->db, L->mx, s, L->db->tok, &L->w, &q, 1u << MX_EXPERT | 1u << MX_ACHIEVEMENT,
                           DM_SUPPLY_K, 1, &h);
    double norm = 0;
    sv[i].n = 0;
    for (int k = 0; k < nh && sv[i].n < DM_SUPPLY_K; k++) {
      sv[i].unit[sv[i].n] = h[k].unit;
      sv[i].w[sv[i].n] = (float)h[k].score;
      norm += h[k].score * h[k].score;
      sv[i].n++;
    }
    norm = norm > 0 ? sqrt(norm) : 1;
    for (int k = 0; k < sv[i].n; k++) sv[i].w[k] = (float)(sv[i].w[k] / norm);
  }
  mx_scratch_give(L->mx, s);
  return JB_OK;
}

/* Unit -> the needs whose supply vector holds it, for sparse dot products. */
typedef struct inv_entry {
  int need;
  float w;
} inv_entry;

typedef struct supply_inv {
  int *start;        /* per unit: first entry; entries of unit u are start[u]..start[u+1] */
  inv_entry *e;
} supply_inv;

static int build_inv(const dlist *L, const supply_vec *sv, supply_inv *inv) {
  uint32_t nu = L->mx->nunits;
  inv->start = calloc((size_t)nu + 1, sizeof(int));
  size_t total = 0;
  for (int i = 0; i < L->n; i++) total += (size_t)sv[i].n;
  inv->e = malloc(sizeof(inv_entry) * (total ? total : 1));
  if (!inv->start || !inv->e) return -1;
  for (int i = 0; i < L->n; i++)
    for (int k = 0; k < sv[i].n; k++) inv->start[sv[i].unit[k] + 1]++;
  for (uint32_t u = 0; u < nu; u++) inv->start[u + 1] += inv->start[u];
  int *fill = malloc(sizeof(int) * ((size_t)nu + 1));
  if (!fill) return -1;
  memcpy(fill, inv->start, sizeof(int) * ((size_t)nu + 1));
  for (int i = 0; i < L->n; i++)
    for (int k = 0; k < sv[i].n; k++) inv->e[fill[sv[i].unit[k]]++] = (inv_entry){i, sv[i].w[k]};
  free(fill);
  return 0;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* For each listed need, its neighbours in the list whose wording similarity
** reaches dup_t or whose blended similarity reaches common_t. */
static jb_status neighbours(dlist *L, double dup_t, double common_t, nb ***out, int **nout) {
  const mx_coll *c = &L->mx->demand;
  int *pos = malloc(sizeof(int) * (c->ndocs ? c->ndocs : 1));
  float *sim = calloc(c->ndocs ? c->ndocs : 1, sizeof(float));
  uint32_t *touched = malloc(sizeof(uint32_t) * (c->ndocs ? c->ndocs : 1));
  nb **lists = calloc(nz(L->n), sizeof(nb *));
  int *counts = calloc(nz(L->n), sizeof(int));
  supply_vec *sv = calloc(nz(L->n), sizeof(supply_vec));
  float *text = calloc(nz(L->n), sizeof(float));
  float *sup = calloc(nz(L->n), sizeof(float));
  int *cand = malloc(sizeof(int) * nz(L->n));
  uint8_t *seen = calloc(nz(L->n), 1);
  supply_inv inv = {NULL, NULL};
  dm_vec v = {0};
  jb_status rc = (pos && sim && touched && lists && counts && sv && text && sup && cand && seen) ? JB_OK : JB_ERR_NOMEM;
  if (!rc) {
    for (uint32_t d = 0; d < c->ndocs; d++) pos[d] = -1;
    for (int i = 0; i < L->n; i++) pos[L->v[i].doc] = i;
    rc = supply_vectors(L, sv);
  }
  if (!rc && build_inv(L, sv, &inv)) rc = JB_ERR_NOMEM;
  /* needs sharing a supply unit: an inverted list over the supply vectors */
  for (int i = 0; i < L->n && !rc; i++) {
    uint32_t nt = 0;
    if (dm_vec_of_doc(L->mx, L->v[i].doc, &v)) { rc = JB_ERR_NOMEM; break; }
    dm_similar(L->mx, &v, L->norms, sim, touched, &nt);
    int ncand = 0;
    for (uint32_t k = 0; k < nt; k++) {
      int j = pos[touched[k]];
      if (j >= 0 && !seen[j]) { seen[j] = 1; cand[ncand++] = j; }
      if (j >= 0) text[j] = sim[touched[k]];
      sim[touched[k]] = 0;
    }
    for (int k = 0; k < sv[i].n; k++) {
      uint32_t u = sv[i].unit[k];
      for (int e = inv.start[u]; e < inv.start[u + 1]; e++) {
        int j = inv.e[e].need;
        if (!seen[j]) { seen[j] = 1; cand[ncand++] = j; }
        sup[j] += sv[i].w[k] * inv.e[e].w;
      }
    }
    /* candidates in need order: the same lists on every run */
    jb_qsort(cand, (size_t)ncand, sizeof(int), cmp_int);
    for (int q = 0; q < ncand && !rc; q++) {
      int j = cand[q];
      float tj = text[j], sj = sup[j];
      text[j] = sup[j] = 0;
      seen[j] = 0;
      if (j == i) continue;
      float blend = (float)((1 - DM_SUPPLY_SHARE) * tj + DM_SUPPLY_SHARE * sj);
      if (tj < dup_t && blend < common_t) continue;
      nb *l = realloc(lists[i], sizeof(nb) * (size_t)(counts[i] + 1));
      if (!l) { rc = JB_ERR_NOMEM; break; }
      lists[i] = l;
      l[counts[i]].j = j;
      l[counts[i]].text = tj;
      l[counts[i]].sim = blend;
      counts[i]++;
    }
  }
  dm_vec_free(&v);
  free(pos);
  free(sim);
  free(touched);
  free(sv);
  free(text);
  free(sup);
  free(cand);
  free(seen);
  free(inv.start);
  free(inv.e);
  if (rc) {
    for (int i = 0; i < L->n && lists; i++) free(lists[i]);
    free(lists);
    free(counts);
    return rc;
  }
  *out = lists;
  *nout = counts;
  return JB_OK;
}

static void free_nb(nb **l, int *c, int n) {
  for (int i = 0; i < n; i++) free(l[i]);
  free(l);
  free(c);
}

/* A need duplicates the earliest (by id) need it is near-identical to. */
static void mark_duplicates(dlist *L, nb **l, int *c, double t) {
  for (int i = 0; i < L->n; i++) {
    for (int k = 0; k < c[i]; k++) {
      int j = l[i][k].j;
      if (l[i][k].text < t || j > i) continue;
      /* follow to the kept one */
      while (L->v[j].dup_of >= 0) j = L->v[j].dup_of;
      if (j != i && (L->v[i].dup_of < 0 || j < L->v[i].dup_of)) L->v[i].dup_of = j;
    }
  }
}

static int distinct_orgs(dlist *L, const int *m, int n) {
  int count = 0;
  for (int i = 0; i < n; i++) {
    const char *o = L->v[m[i]].n.org ? L->v[m[i]].n.org : "";
    int seen = 0;
    for (int k = 0; k < i && !seen; k++) seen = !strcmp(L->v[m[k]].n.org ? L->v[m[k]].n.org : "", o);
    count += !seen;
  }
  return count;
}

/* Star clustering: the need with most unclustered neighbours takes them. */
static jb_status cluster(dlist *L, nb **l, int *c) {
  int *taken = calloc(nz(L->n), sizeof(int));
  if (!taken) return JB_ERR_NOMEM;
  for (;;) {
    int best = -1, bestn = 0;
    for (int i = 0; i < L->n; i++) {
      if (taken[i]) continue;
      int free_n = 0;
      for (int k = 0; k < c[i]; k++) free_n += !taken[l[i][k].j];
      if (free_n > bestn) { best = i; bestn = free_n; }
    }
    if (best < 0) break;
    int *m = malloc(sizeof(int) * ((size_t)bestn + 1));
    if (!m) { free(taken); return JB_ERR_NOMEM; }
    int n = 0;
    m[n++] = best;
    taken[best] = 1;
    for (int k = 0; k < c[best]; k++)
      if (!taken[l[best][k].j]) {
        m[n++] = l[best][k].j;
        taken[l[best][k].j] = 1;
      }
    int norgs = distinct_orgs(L, m, n);
    if (norgs < (L->o->min_orgs > 0 ? L->o->min_orgs : 2)) {
      free(m); /* not common to several enterprises: the members stay single */
      continue;
    }
    dcluster *cl = realloc(L->cl, sizeof(*cl) * (size_t)(L->ncl + 1));
    if (!cl) { free(m); free(taken); return JB_ERR_NOMEM; }
    L->cl = cl;
    /* members in id order: stable output */
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && m[j] < m[j - 1]; j--) { int x = m[j]; m[j] = m[j - 1]; m[j - 1] = x; }
    L->cl[L->ncl] = (dcluster){m, n, best, norgs};
    for (int i = 0; i < n; i++) {
      L->v[m[i]].cluster = L->ncl;
      L->v[m[i]].enterprises = norgs;
    }
    L->ncl++;
  }
  free(taken);
  return JB_OK;
}

/* ------------------------------------------------------------- matching */

static cJSON *hits_json(dlist *L, mx_hit *h, int nh, mx_type type, int k, const nd_need *q) {
  cJSON *a = cJSON_CreateArray();
  int n = 0;
  for (int i = 0; i < nh && n < k; i++) {
    const mx_unit *u = &L->mx->units[h[i].unit];
    if (u->type != type) continue;
    if (nd_excluded(L->mx, q, h[i].unit, ND_ALL, NULL)) continue;
    /* a recommendation a person would accept, not merely the best there is */
    if (h[i].score < (L->o->min_score > 0 ? L->o->min_score : JB_DEMAND_MIN_SCORE)) continue;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", u->id);
    cJSON_AddStringToObject(r, type == MX_EXPERT ? "name" : "title", u->name ? u->name : u->id);
    if (type == MX_EXPERT && u->org) {
      cJSON_AddStringToObject(r, "org", u->org);
      const char *on = mx_org_name(L->mx, u->org);
      if (on) cJSON_AddStringToObject(r, "org_name", on);
    }
    cJSON_AddNumberToObject(r, "score", round(h[i].score * 1000) / 1000);
    cJSON_AddItemToArray(a, r);
    n++;
  }
  return a;
}

/* Experts and achievements for a need (or a cluster's merged text). */
static jb_status match_one(dlist *L, mx_scratch *s, const nd_need *q, cJSON **experts, cJSON **achievements) {
  mx_hit *h = NULL;
  int nh = mx_score_need(L->db, L->mx, s, L->db->tok, &L->w, q, 1u << MX_EXPERT | 1u << MX_ACHIEVEMENT, 64, 1, &h);
  if (nh < 0) return JB_ERR_NOMEM;
  int k = L->o->k > 0 ? L->o->k : 3;
  *experts = hits_json(L, h, nh, MX_EXPERT, k, q);
  /* achievements: keep more, they feed the achievements section */
  *achievements = hits_json(L, h, nh, MX_ACHIEVEMENT, k > 10 ? k : 10, q);
  return JB_OK;
}


static jb_status match_all(dlist *L) {
  mx_scratch *s = mx_scratch_take(L->mx);
  if (!s) return JB_ERR_NOMEM;
  jb_status rc = JB_OK;
  for (int i = 0; i < L->n && !rc; i++) {
    dneed *d = &L->v[i];
    if (d->dup_of >= 0) continue;
    /* the listed need stands for its duplicates too: their owners' exclusions apply */
    for (int j = 0; j < L->n && !rc; j++)
      if (L->v[j].dup_of == i && nd_add_owner(&d->n, L->v[j].n.org)) rc = JB_ERR_NOMEM;
    if (!rc) rc = match_one(L, s, &d->n, &d->experts, &d->achievements);
  }
  mx_scratch_give(L->mx, s);
  return rc;
}

/* ---------------------------------------------------------------- output */

static int cmp_need_priority(const dlist *L, int a, int b) {
  const dneed *x = &L->v[a], *y = &L->v[b];
  if (x->enterprises != y->enterprises) return x->enterprises > y->enterprises ? -1 : 1;
  const char *dx = x->n.deadline ? x->n.deadline : "9999", *dy = y->n.deadline ? y->n.deadline : "9999";
  int c = strcmp(dx, dy);
  if (c) return c;
  double bx = x->n.has_budget ? x->n.budget : -1, by = y->n.has_budget ? y->n.budget : -1;
  if (bx != by) return bx > by ? -1 : 1;
  return strcmp(x->n.id, y->n.id);
}

static void add_str(cJSON *o, const char *k, const char *v) {
  if (v) cJSON_AddStringToObject(o, k, v);
}

static cJSON *need_json(dlist *L, int i, int rank) {
  dneed *d = &L->v[i];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "rank", rank);
  add_str(o, "id", d->n.id);
  add_str(o, "title", d->n.title);
  add_str(o, "org", d->n.org);
  add_str(o, "org_name", d->n.org_name);
  add_str(o, "deadline", d->n.deadline);
  if (d->expired) cJSON_AddTrueToObject(o, "expired");
  add_str(o, "text", d->n.text);
  if (d->n.has_budget) cJSON_AddNumberToObject(o, "budget", d->n.budget);
  add_str(o, "created", d->n.created);
  add_str(o, "status", d->n.status);
  add_str(o, "list", d->n.list);
  cJSON_AddItemToObject(o, "keywords", cJSON_Duplicate(d->n.keywords, 1));
  cJSON_AddNumberToObject(o, "enterprises", d->enterprises);
  if (d->cluster >= 0) {
    char cid[32];
    snprintf(cid, sizeof(cid), "common-%02d", d->cluster + 1);
    cJSON_AddStringToObject(o, "common_need", cid);
  }
  cJSON *dups = cJSON_AddArrayToObject(o, "duplicates");
  for (int j = 0; j < L->n; j++) {
    if (L->v[j].dup_of != i) continue;
    cJSON *x = cJSON_CreateObject();
    add_str(x, "id", L->v[j].n.id);
    add_str(x, "title", L->v[j].n.title);
    add_str(x, "org", L->v[j].n.org);
    add_str(x, "org_name", L->v[j].n.org_name);
    cJSON_AddItemToArray(dups, x);
  }
  if (d->n.contact) cJSON_AddItemToObject(o, "contact", cJSON_Duplicate(d->n.contact, 1));
  cJSON_AddItemToObject(o, "experts", d->experts ? cJSON_Duplicate(d->experts, 1) : cJSON_CreateArray());
  cJSON *ach = d->achievements ? cJSON_Duplicate(d->achievements, 1) : cJSON_CreateArray();
  while (cJSON_GetArraySize(ach) > (L->o->k > 0 ? L->o->k : 3)) cJSON_DeleteItemFromArray(ach, cJSON_GetArraySize(ach) - 1);
  cJSON_AddItemToObject(o, "achievements", ach);
  return o;
}

/* Keywords shared by a cluster's members: each member's keyword list,
** counted once per member; those in two or more members, most shared first. */
static cJSON *cluster_keywords(dlist *L, const dcluster *cl) {
  typedef struct { const char *k; int n; } kc;
  kc *v = NULL;
  int nv = 0;
  for (int i = 0; i < cl->n; i++) {
    const cJSON *e;
    cJSON_ArrayForEach(e, L->v[cl->members[i]].n.keywords) {
      if (!cJSON_IsString(e)) continue;
      int k = 0;
      while (k < nv && strcmp(v[k].k, e->valuestring)) k++;
      if (k == nv) {
        kc *nvv = realloc(v, sizeof(kc) * (size_t)(nv + 1));
        if (!nvv) break;
        v = nvv;
        v[nv].k = e->valuestring;
        v[nv].n = 0;
        nv++;
      }
      v[k].n++;
    }
  }
  cJSON *a = cJSON_CreateArray();
  for (int want = cl->n; want >= 1 && cJSON_GetArraySize(a) < 6; want--)
    for (int k = 0; k < nv && cJSON_GetArraySize(a) < 6; k++)
      if (v[k].n == want && (want >= 2 || cJSON_GetArraySize(a) < 3)) cJSON_AddItemToArray(a, cJSON_CreateString(v[k].k));
  free(v);
  return a;
}

static cJSON *cluster_json(dlist *L, int ci, mx_scratch *s) {
  dcluster *cl = &L->cl[ci];
  dneed *center = &L->v[cl->center];
  cJSON *o = cJSON_CreateObject();
  char cid[32];
  snprintf(cid, sizeof(cid), "common-%02d", ci + 1);
  cJSON_AddStringToObject(o, "id", cid);
  /* the title of the member closest to all others reads as the problem */
  add_str(o, "title", center->n.title);
  cJSON *kw = cluster_keywords(L, cl);
  cJSON_AddItemToObject(o, "keywords", kw);
  cJSON *orgs = cJSON_AddArrayToObject(o, "orgs");
  cJSON *needs = cJSON_AddArrayToObject(o, "needs");
  jb_buf text = {0};
  for (int i = 0; i < cl->n; i++) {
    dneed *d = &L->v[cl->members[i]];
    cJSON_AddItemToArray(needs, cJSON_CreateString(d->n.id));
    jb_buf_printf(&text, "%s。", d->n.title ? d->n.title : "");
    int seen = 0;
    for (int k = 0; k < i && !seen; k++)
      seen = !strcmp(L->v[cl->members[k]].n.org ? L->v[cl->members[k]].n.org : "", d->n.org ? d->n.org : "");
    if (!seen) {
      cJSON *x = cJSON_CreateObject();
      add_str(x, "id", d->n.org ? d->n.org : "");
      add_str(x, "name", d->n.org_name ? d->n.org_name : (d->n.org ? d->n.org : ""));
      cJSON_AddItemToArray(orgs, x);
    }
  }
  /* matched as one need: the members' titles, the shared keywords; what
  ** any member's owner may not be offered, this need may not either */
  nd_need q;
  memset(&q, 0, sizeof(q));
  q.title = jb_strdup(center->n.title);
  q.text = jb_strdup(jb_buf_str(&text));
  q.keywords = cJSON_Duplicate(kw, 1);
  q.chains = center->n.chains;
  int oom = !q.title || !q.text;
  for (int i = 0; i < cl->n; i++) {
    const nd_need *m = &L->v[cl->members[i]].n;
    for (int j = 0; j < m->nowners; j++) oom |= nd_add_owner(&q, m->owners[j]) != 0;
  }
  cJSON *ex = NULL, *ac = NULL;
  if (!oom && match_one(L, s, &q, &ex, &ac) == JB_OK) {
    while (cJSON_GetArraySize(ac) > (L->o->k > 0 ? L->o->k : 3)) cJSON_DeleteItemFromArray(ac, cJSON_GetArraySize(ac) - 1);
    cJSON_AddItemToObject(o, "experts", ex);
    cJSON_AddItemToObject(o, "achievements", ac);
  }
  nd_free(&q);
  jb_buf_free(&text);
  return o;
}

static cJSON *achievements_json(dlist *L) {
  /* invert need -> achievements into achievement -> needs */
  cJSON *out = cJSON_CreateArray();
  for (uint32_t ui = 0; ui < L->mx->nunits; ui++) {
    const mx_unit *u = &L->mx->units[ui];
    if (u->type != MX_ACHIEVEMENT) continue;
    /* the needs it serves, best first (collected, then sorted: cJSON's
    ** insert-in-the-middle is not reliable in Debian's 1.7.15) */
    typedef struct served { double score; int need; } served;
    served *sv = NULL;
    int nsv = 0;
    for (int i = 0; i < L->n; i++) {
      const cJSON *a;
      cJSON_ArrayForEach(a, L->v[i].achievements) {
        if (strcmp(cJSON_GetObjectItem(a, "id")->valuestring, u->id)) continue;
        served *nv = realloc(sv, sizeof(served) * (size_t)(nsv + 1));
        if (!nv) break;
        sv = nv;
        sv[nsv].score = cJSON_GetObjectItem(a, "score")->valuedouble;
        sv[nsv].need = i;
        nsv++;
      }
    }
    for (int a = 1; a < nsv; a++)
      for (int b = a; b > 0 && (sv[b].score > sv[b - 1].score ||
                                (sv[b].score == sv[b - 1].score && sv[b].need < sv[b - 1].need)); b--) {
        served t = sv[b];
        sv[b] = sv[b - 1];
        sv[b - 1] = t;
      }
    cJSON *needs = cJSON_CreateArray();
    for (int k = 0; k < nsv && k < 5; k++) {
      const dneed *d = &L->v[sv[k].need];
      cJSON *x = cJSON_CreateObject();
      add_str(x, "id", d->n.id);
      add_str(x, "title", d->n.title);
      add_str(x, "org_name", d->n.org_name);
      cJSON_AddNumberToObject(x, "score", sv[k].score);
      cJSON_AddItemToArray(needs, x);
    }
    free(sv);
    if (!cJSON_GetArraySize(needs)) {
      cJSON_Delete(needs);
      continue;
    }
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", u->id);
    add_str(o, "title", u->name);
    sqlite3_stmt *st = NULL;
    if (jb_db_prepare(L->db,
                      "SELECT a.kind, a.maturity, a.org, o.name, a.chains FROM achievement a"
                      " LEFT JOIN org o ON o.id = a.org WHERE a.id = ?1",
                      &st, L->err)) {
      L->failed = JB_ERR_DB;
    } else {
      sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
      int got = jb_step(st, "an achievement", L->err);
      if (got < 0 && !L->failed) L->failed = (jb_status)-got;
      if (got > 0) {
        add_str(o, "kind", (const char *)sqlite3_column_text(st, 0));
        add_str(o, "maturity", (const char *)sqlite3_column_text(st, 1));
        add_str(o, "org", (const char *)sqlite3_column_text(st, 2));
        add_str(o, "org_name", (const char *)sqlite3_column_text(st, 3));
        const char *ch = (const char *)sqlite3_column_text(st, 4);
        cJSON_AddItemToObject(o, "chains", ch ? cJSON_Parse(ch) : cJSON_CreateArray());
      }
      sqlite3_finalize(st);
    }
    cJSON_AddItemToObject(o, "needs", needs);
    cJSON_AddItemToArray(out, o);
  }
  return out;
}

static cJSON *build_json(dlist *L) {
  const jb_demand_opts *o = L->o;
  cJSON *out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "title", o->title ? o->title : "科技成果转化需求清单");
  cJSON_AddStringToObject(out, "generated", L->today);
  cJSON *f = cJSON_AddObjectToObject(out, "filters");
  o->chain ? cJSON_AddStringToObject(f, "chain", o->chain) : cJSON_AddNullToObject(f, "chain");
  o->since ? cJSON_AddStringToObject(f, "since", o->since) : cJSON_AddNullToObject(f, "since");
  cJSON_AddStringToObject(f, "status", o->status ? o->status : "open");
  o->org ? cJSON_AddStringToObject(f, "org", o->org) : cJSON_AddNullToObject(f, "org");
  cJSON *t = cJSON_AddObjectToObject(out, "thresholds");
  cJSON_AddNumberToObject(t, "duplicate", o->dup_threshold);
  cJSON_AddNumberToObject(t, "common", o->common_threshold);
  cJSON_AddNumberToObject(t, "min_orgs", o->min_orgs > 0 ? o->min_orgs : 2);
  cJSON_AddStringToObject(out, "priority", jb_msg(JB_MSG_DEMAND_ORDER));
  cJSON_AddNumberToObject(t, "min_score", o->min_score > 0 ? o->min_score : JB_DEMAND_MIN_SCORE);
  cJSON *sum = cJSON_AddObjectToObject(out, "summary");
  int dups = 0;
  for (int i = 0; i < L->n; i++) dups += L->v[i].dup_of >= 0;
  cJSON_AddNumberToObject(sum, "needs", L->n);
  cJSON_AddNumberToObject(sum, "listed", L->n - dups);
  cJSON_AddNumberToObject(sum, "duplicates_merged", dups);
  cJSON_AddNumberToObject(sum, "common_needs", L->ncl);
  if (L->expired_left_out) cJSON_AddNumberToObject(sum, "expired_left_out", L->expired_left_out);

  /* chain groups: lexicon order by priority, then the unclassified */
  int nch = jb_lexicon_nchains(L->db->lex);
  if (nch > 64) nch = 64;
  int *order = malloc(sizeof(int) * (size_t)(nch + 1));
  for (int i = 0; i < nch; i++) order[i] = i;
  for (int i = 1; i < nch; i++)
    for (int j = i; j > 0; j--) {
      const jb_chain *a = jb_lexicon_chain(L->db->lex, order[j]), *b = jb_lexicon_chain(L->db->lex, order[j - 1]);
      if (a->priority > b->priority || (a->priority == b->priority && strcmp(a->name, b->name) < 0)) {
        int x = order[j]; order[j] = order[j - 1]; order[j - 1] = x;
      } else break;
    }
  order[nch] = -1; /* 未分类 */
  cJSON *chains = cJSON_AddArrayToObject(out, "chains");
  int *members = malloc(sizeof(int) * nz(L->n));
  mx_scratch *s = mx_scratch_take(L->mx);
  int nchains_used = 0;
  for (int ci = 0; ci <= nch; ci++) {
    int bit = order[ci];
    int n = 0;
    for (int i = 0; i < L->n; i++) {
      if (L->v[i].dup_of >= 0) continue;
      if (bit >= 0 ? (L->v[i].n.chains >> bit & 1) : !L->v[i].n.chains) members[n++] = i;
    }
    if (!n) continue;
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && cmp_need_priority(L, members[j], members[j - 1]) < 0; j--) {
        int x = members[j]; members[j] = members[j - 1]; members[j - 1] = x;
      }
    cJSON *g = cJSON_CreateObject();
    const jb_chain *ch = bit >= 0 ? jb_lexicon_chain(L->db->lex, bit) : NULL;
    cJSON_AddStringToObject(g, "chain", ch ? ch->name : "未分类");
    if (ch && *ch->parent) cJSON_AddStringToObject(g, "parent", ch->parent);
    cJSON_AddNumberToObject(g, "priority", ch ? ch->priority : 0);
    cJSON *cn = cJSON_AddArrayToObject(g, "common_needs");
    for (int k = 0; k < L->ncl; k++) {
      int in = 0;
      for (int m = 0; m < L->cl[k].n && !in; m++) {
        const dneed *d = &L->v[L->cl[k].members[m]];
        in = bit >= 0 ? (d->n.chains >> bit & 1) : !d->n.chains;
      }
      if (in && s) cJSON_AddItemToArray(cn, cluster_json(L, k, s));
    }
    cJSON *nl = cJSON_AddArrayToObject(g, "needs");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(nl, need_json(L, members[i], i + 1));
    cJSON_AddItemToArray(chains, g);
    nchains_used++;
  }
  mx_scratch_give(L->mx, s);
  free(members);
  free(order);
  cJSON_AddNumberToObject(sum, "chains", nchains_used);
  cJSON *ach = achievements_json(L);
  cJSON_AddNumberToObject(sum, "achievements", cJSON_GetArraySize(ach));
  cJSON_AddItemToObject(out, "achievements", ach);
  return out;
}

jb_status jb_demands(jb_db *db, const jb_demand_opts *o, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  jb_demand_opts defaults = {0};
  if (!o) o = &defaults;
  if (o->dup_threshold < 0 || o->dup_threshold > 1 || o->common_threshold < 0 || o->common_threshold > 1) {
    jb_err_set(err, JB_ERR_USAGE, "thresholds are similarities between 0 and 1");
    return JB_ERR_USAGE;
  }
  if (o->since && !jb_date_valid(o->since)) {
    /* a date that is not one would compare as text and select silently
    ** too much or nothing */
    jb_err_set(err, JB_ERR_USAGE, "--since takes a date, YYYY-MM-DD (or YYYY-MM, YYYY): '%s' is not one", o->since);
    return JB_ERR_USAGE;
  }
  jb_demand_opts eff = *o;
  if (eff.dup_threshold == 0) eff.dup_threshold = JB_DEMAND_DUPLICATE;
  if (eff.common_threshold == 0) eff.common_threshold = JB_DEMAND_COMMON;
  dlist L;
  memset(&L, 0, sizeof(L));
  L.db = db;
  L.o = &eff;
  L.err = err;
  report_date(&eff, L.today);
  mx_weights_default(&L.w);
  jb_status rc = mx_get_checked(db, &L.w, &L.mx, err);
  if (rc) return rc;
  if (!(L.norms = dm_norms(L.mx))) rc = JB_ERR_NOMEM;
  if (!rc) rc = load_needs(&L, err);
  nb **l = NULL;
  int *c = NULL;
  if (!rc) rc = neighbours(&L, eff.dup_threshold, eff.common_threshold, &l, &c);
  if (!rc) {
    mark_duplicates(&L, l, c, eff.dup_threshold);
    /* clusters among the needs kept (duplicates ride with their original) */
    for (int i = 0; i < L.n; i++) {
      int m = 0;
      for (int k = 0; k < c[i]; k++)
        if (L.v[l[i][k].j].dup_of < 0 && L.v[i].dup_of < 0 && l[i][k].sim >= eff.common_threshold) l[i][m++] = l[i][k];
      c[i] = L.v[i].dup_of < 0 ? m : 0;
    }
    rc = cluster(&L, l, c);
    /* an original's duplicates from other enterprises count as asking too */
    for (int i = 0; i < L.n && !rc; i++) {
      if (L.v[i].dup_of < 0 || L.v[i].cluster >= 0) continue;
      dneed *k = &L.v[L.v[i].dup_of];
      if (k->cluster < 0 && strcmp(k->n.org ? k->n.org : "", L.v[i].n.org ? L.v[i].n.org : "")) k->enterprises++;
    }
    free_nb(l, c, L.n);
  }
  if (!rc) rc = match_all(&L);
  if (!rc) {
    cJSON *out = build_json(&L);
    if (L.failed) {
      cJSON_Delete(out);
      rc = L.failed;
    } else {
      *ppOut = out;
    }
  }
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory building the demand list");
  dlist_free(&L);
  return rc;
}
