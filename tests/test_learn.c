/*
** test_learn.c — learning the score's boosts from outcomes, on simulated
** outcome logs whose truth is known:
**  - staff who value a same-region expert twice as much as the defaults say
**    (region 0.2 instead of 0.1): the fit recovers 0.2 within ±0.05, leaves
**    chain and program near their true values, and beats the defaults on
**    held-out folds;
**  - labels that are pure noise: the learned weights do not beat the
**    defaults on held-out folds (so `learn` writes nothing);
**  - the AUC itself on a hand-checked case.
*/
#include "jb_int.h"
#include "test.h"
#include <math.h>

static uint64_t rng = 88172645463325252ull;
static double urand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}

/* Pairings like the matcher proposes them: text relevance 0.05-0.6, a
** shared chain half the time, region same county/city/province/other,
** program 科技特派员/talent/none; the outcome drawn from σ(α + β ln score)
** under the true boosts (beta: how closely staff follow the score; 0 = noise). */
static jb_learn_sample *simulate(int n, const double truth[3], double beta, int noise) {
  jb_learn_sample *s = calloc((size_t)n, sizeof(*s));
  static const double regions[] = {0, 0.3, 0.6, 1}, programs[] = {0, 0.5, 1};
  for (int i = 0; i < n; i++) {
    s[i].text = 0.05 + 0.55 * urand();
    s[i].chain = urand() < 0.5 ? 1 : (urand() < 0.3 ? 0.5 : 0);
    s[i].region = regions[(int)(urand() * 4) % 4];
    s[i].program = programs[(int)(urand() * 3) % 3];
    double score = s[i].text * (1 + truth[0] * s[i].chain + truth[1] * s[i].region + truth[2] * s[i].program);
    double p = 1 / (1 + exp(-(beta * (log(score) - log(0.3)))));
    s[i].label = noise ? urand() < 0.4 : urand() < p;
  }
  return s;
}

TEST(recovers_a_region_preference) {
  const double dflt[3] = {0.3, 0.1, 0.1}, truth[3] = {0.3, 0.2, 0.1};
  int n = 20000;
  jb_learn_sample *s = simulate(n, truth, 4, 0);
  jb_learn_result r;
  CHECK(jb_learn_cv(s, n, dflt, 5, 7, &r) == 0, "cv ran");
  CHECK(fabs(r.w[1] - 0.2) <= 0.05, "region %.3f, want 0.2 ± 0.05 (chain %.3f program %.3f)", r.w[1], r.w[0], r.w[2]);
  CHECK(fabs(r.w[0] - 0.3) <= 0.08, "chain %.3f, want 0.3 ± 0.08", r.w[0]);
  CHECK(fabs(r.w[2] - 0.1) <= 0.08, "program %.3f, want 0.1 ± 0.08", r.w[2]);
  CHECK(jb_learn_better(&r), "held-out AUC learned %.4f vs default %.4f, log-loss %.1f vs %.1f", r.auc_learned,
        r.auc_default, r.loss_learned, r.loss_default);
  printf("simulated region x2 (%d outcomes): chain %.3f region %.3f program %.3f; held-out AUC default %.4f learned %.4f,"
         " log-loss %.1f -> %.1f\n", n, r.w[0], r.w[1], r.w[2], r.auc_default, r.auc_learned, r.loss_default, r.loss_learned);
  free(s);
}

TEST(defaults_stay_on_their_own_data) {
  const double dflt[3] = {0.3, 0.1, 0.1};
  int n = 10000;
  jb_learn_sample *s = simulate(n, dflt, 4, 0);
  jb_learn_result r;
  jb_learn_cv(s, n, dflt, 5, 7, &r);
  CHECK(fabs(r.w[1] - 0.1) <= 0.05 && fabs(r.w[0] - 0.3) <= 0.08, "data made by the defaults moved them: %.3f %.3f %.3f",
        r.w[0], r.w[1], r.w[2]);
  CHECK(!jb_learn_better(&r), "no gain on the defaults' own data: %.4f vs %.4f, %.1f vs %.1f", r.auc_learned,
        r.auc_default, r.loss_learned, r.loss_default);
  free(s);
}

TEST(noise_does_not_beat_the_defaults) {
  const double dflt[3] = {0.3, 0.1, 0.1};
  for (int trial = 0; trial < 3; trial++) {
    int n = 3000;
    jb_learn_sample *s = simulate(n, dflt, 0, 1);
    jb_learn_result r;
    jb_learn_cv(s, n, dflt, 5, 11 + trial, &r);
    CHECK(!jb_learn_better(&r), "noise: learned %.4f vs default %.4f, log-loss %.1f vs %.1f (%.3f %.3f %.3f)",
          r.auc_learned, r.auc_default, r.loss_learned, r.loss_default, r.w[0], r.w[1], r.w[2]);
    CHECK(fabs(r.auc_default - 0.5) < 0.05, "noise AUC %.4f", r.auc_default);
    free(s);
  }
}

TEST(auc_by_hand) {
  jb_learn_sample s[4] = {{0.9, 0, 0, 0, 1}, {0.1, 0, 0, 0, 0}, {0.5, 0, 0, 0, 1}, {0.5, 0, 0, 0, 0}};
  int idx[4] = {0, 1, 2, 3};
  double w[3] = {0, 0, 0};
  /* pairs (pos, neg): 0.9>0.1, 0.9>0.5, 0.5>0.1, 0.5=0.5 (half): 3.5 / 4 */
  CHECK(fabs(jb_learn_auc(s, idx, 4, w) - 0.875) < 1e-9, "auc %.4f", jb_learn_auc(s, idx, 4, w));
}

int main(void) {
  RUN(auc_by_hand);
  RUN(recovers_a_region_preference);
  RUN(defaults_stay_on_their_own_data);
  RUN(noise_does_not_beat_the_defaults);
  return test_report();
}
