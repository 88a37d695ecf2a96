/*
** learn_fit.c — fitting the score's structured boosts to what happened.
**
** The matcher scores a pairing as text × (1 + chain·C + region·R +
** program·P) (match_score.c). Staff then contact, sign with or are declined
** by the people it proposed. Taking the score as what predicts a good
** outcome, P(good) = σ(α + β·ln score), the boosts that make the recorded
** outcomes most likely are found by maximum likelihood: an outer coordinate
** search over (chain, region, program) in [0, JB_LEARN_MAX], each point with
** its own best α, β (Newton's method on two parameters). Keeping the
** matcher's form keeps the weights in the file `match --weights` reads.
**
** Whether they are better is judged on outcomes the fit did not see: k-fold
** cross-validation, the AUC of the learned and of the default weights on
** each held-out fold, and the held-out log-loss. The weights are better
** only when they lower the held-out log-loss by more than JB_LEARN_MARGIN
** nats (the three freed parameters' worth, as AIC counts them) and do not
** lower the held-out AUC: pure noise then changes nothing.
*/
#include "jb_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JB_LEARN_MAX 3.0 /* ten times the largest default boost */

int jb_learn_better(const jb_learn_result *r) {
  return r->loss_learned < r->loss_default - JB_LEARN_MARGIN && r->auc_learned >= r->auc_default;
}

static double score_of(const jb_learn_sample *s, const double w[3]) {
  double t = s->text > 1e-6 ? s->text : 1e-6;
  return t * (1 + w[0] * s->chain + w[1] * s->region + w[2] * s->program);
}

/* Fits α, β for boosts w (Newton, warm-started from ab). */
static void fit_ab(const jb_learn_sample *s, const int *idx, int n, const double w[3], double ab[2]) {
  double a = ab[0], b = ab[1];
  for (int it = 0; it < 12; it++) {
    double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
    for (int i = 0; i < n; i++) {
      const jb_learn_sample *x = &s[idx[i]];
      double z = log(score_of(x, w)), p = 1 / (1 + exp(-(a + b * z))), r = p * (1 - p);
      g0 += p - x->label;
      g1 += (p - x->label) * z;
      h00 += r, h01 += r * z, h11 += r * z * z;
    }
    /* a little ridge keeps separable data finite */
    h00 += 1e-6, h11 += 1e-6;
    double det = h00 * h11 - h01 * h01;
    if (fabs(det) < 1e-12) break;
    double da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det;
    a -= da, b -= db;
    if (fabs(da) + fabs(db) < 1e-7) break;
  }
  ab[0] = a, ab[1] = b;
}

/* Negative log-likelihood of the samples under w and a fixed α, β. */
static double loss(const jb_learn_sample *s, const int *idx, int n, const double w[3], const double ab[2]) {
  double l = 0;
  for (int i = 0; i < n; i++) {
    const jb_learn_sample *x = &s[idx[i]];
    double z = ab[0] + ab[1] * log(score_of(x, w));
    /* log(1 + e^z) without overflow */
    double lse = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
    l += lse - x->label * z;
  }
  return l;
}

/* The profile likelihood: the loss with α, β at their best for w. */
static double nll(const jb_learn_sample *s, const int *idx, int n, const double w[3], double ab[2]) {
  fit_ab(s, idx, n, w, ab);
  return loss(s, idx, n, w, ab);
}

void jb_learn_fit(const jb_learn_sample *s, const int *idx, int n, const double start[3], double out[3]) {
  double w[3] = {start[0], start[1], start[2]}, ab[2] = {0, 1};
  double best = nll(s, idx, n, w, ab);
  /* coordinate search by golden sections; a few sweeps settle it */
  const double phi = 0.6180339887498949;
  for (int sweep = 0; sweep < 6; sweep++) {
    double moved = 0;
    for (int c = 0; c < 3; c++) {
      double lo = 0, hi = JB_LEARN_MAX, keep = w[c];
      double x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo), f1, f2;
      w[c] = x1, f1 = nll(s, idx, n, w, ab);
      w[c] = x2, f2 = nll(s, idx, n, w, ab);
      for (int it = 0; it < 30 && hi - lo > 2e-3; it++) {
        if (f1 < f2) hi = x2, x2 = x1, f2 = f1, x1 = hi - phi * (hi - lo), w[c] = x1, f1 = nll(s, idx, n, w, ab);
        else lo = x1, x1 = x2, f1 = f2, x2 = lo + phi * (hi - lo), w[c] = x2, f2 = nll(s, idx, n, w, ab);
      }
      double cand = f1 < f2 ? x1 : x2, fc = f1 < f2 ? f1 : f2;
      if (fc < best) {
        moved += fabs(cand - keep);
        w[c] = cand, best = fc;
      } else {
        w[c] = keep;
      }
    }
    if (moved < 1e-4) break;
  }
  memcpy(out, w, sizeof(w));
}

typedef struct ranked {
  double score;
  int label;
} ranked;

static int by_score(const void *a, const void *b) {
  double x = ((const ranked *)a)->score, y = ((const ranked *)b)->score;
  return x < y ? -1 : x > y;
}

double jb_learn_auc(const jb_learn_sample *s, const int *idx, int n, const double w[3]) {
  ranked *r = malloc(sizeof(ranked) * (size_t)(n ? n : 1));
  if (!r) return -1;
  long pos = 0, neg = 0;
  for (int i = 0; i < n; i++) {
    r[i].score = score_of(&s[idx[i]], w);
    r[i].label = s[idx[i]].label;
    pos += r[i].label, neg += !r[i].label;
  }
  jb_qsort(r, (size_t)n, sizeof(ranked), by_score);
  /* Mann-Whitney U with ties at half: the chance that a good outcome
  ** outscores a bad one */
  double u = 0;
  long below = 0;
  for (int i = 0; i < n;) {
    int j = i;
    long tp = 0, tn = 0;
    while (j < n && r[j].score == r[i].score) tp += r[j].label, tn += !r[j].label, j++;
    u += tp * (below + tn / 2.0);
    below += tn;
    i = j;
  }
  free(r);
  return pos && neg ? u / ((double)pos * neg) : 0.5;
}

int jb_learn_cv(const jb_learn_sample *s, int n, const double dflt[3], int folds, unsigned seed, jb_learn_result *out) {
  memset(out, 0, sizeof(*out));
  if (folds < 2) folds = 2;
  int *perm = malloc(sizeof(int) * (size_t)(n ? n : 1)), *train = malloc(sizeof(int) * (size_t)(n ? n : 1));
  if (!perm || !train) {
    free(perm), free(train);
    return -1;
  }
  for (int i = 0; i < n; i++) perm[i] = i;
  /* a seeded shuffle: the same outcomes give the same folds */
  uint64_t x = seed ? seed : 0x9E3779B97F4A7C15ull;
  for (int i = n - 1; i > 0; i--) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int j = (int)(x % (uint64_t)(i + 1)), t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
  for (int f = 0; f < folds; f++) {
    int ntr = 0, lo = (int)((long)n * f / folds), hi = (int)((long)n * (f + 1) / folds);
    for (int i = 0; i < n; i++)
      if (i < lo || i >= hi) train[ntr++] = perm[i];
    double w[3], abd[2] = {0, 1}, abl[2] = {0, 1};
    jb_learn_fit(s, train, ntr, dflt, w);
    /* each model's α, β from the training folds, judged on the held-out one */
    fit_ab(s, train, ntr, dflt, abd);
    fit_ab(s, train, ntr, w, abl);
    out->auc_learned += jb_learn_auc(s, perm + lo, hi - lo, w) / folds;
    out->auc_default += jb_learn_auc(s, perm + lo, hi - lo, dflt) / folds;
    out->loss_default += loss(s, perm + lo, hi - lo, dflt, abd);
    out->loss_learned += loss(s, perm + lo, hi - lo, w, abl);
  }
  /* the weights offered are fitted on every outcome */
  jb_learn_fit(s, perm, n, dflt, out->w);
  out->folds = folds;
  free(perm);
  free(train);
  return 0;
}
