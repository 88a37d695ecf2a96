/*
** test_assign_solver.c — the assignment solver against brute force on small
** random instances (both objectives), hand-checked cases, infeasible fixed
** edges, determinism, and a 1,000 x 20,000 instance against greedy.
*/
#include "assign_solver.h"
#include "test.h"

#include <math.h>
#include <time.h>

/* splitmix64: a seeded, portable PRNG, so a failing instance can be rebuilt
** from the seed printed with the failure. */
static uint64_t rng_state;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static int rng_int(int lo, int hi) { return lo + (int)(rng_next() % (uint64_t)(hi - lo + 1)); }
static double rng_unit(void) { return (double)(rng_next() >> 11) / 9007199254740992.0; }

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* An instance owns its arrays; the as_problem inside points at them. */
typedef struct inst {
  as_problem p;
  int *members, *capacity;
  as_edge *edges;
} inst;

static void inst_free(inst *in) {
  free(in->members);
  free(in->capacity);
  free(in->edges);
}

static inst inst_new(int T, int A, size_t maxedges) {
  inst in;
  as_problem_init(&in.p);
  in.members = calloc((size_t)T + 1, sizeof(int));
  in.capacity = calloc((size_t)A + 1, sizeof(int));
  in.edges = calloc(maxedges + 1, sizeof(as_edge));
  if (!in.members || !in.capacity || !in.edges) exit(2);
  in.p.ntasks = T, in.p.nagents = A;
  in.p.members = in.members, in.p.capacity = in.capacity, in.p.edges = in.edges;
  return in;
}

static void add_edge(inst *in, int t, int a, double s, unsigned flags) {
  as_edge e = {t, a, s, flags};
  in->edges[in->p.nedges++] = e;
}

static int edge_key_cmp(const void *x, const void *y) {
  const as_edge *a = x, *b = y;
  if (a->task != b->task) return a->task < b->task ? -1 : 1;
  return a->agent < b->agent ? -1 : a->agent > b->agent;
}

/* Every rule of the contract, checked on one solution. Instances here list
** each (task, agent) once. Returns the objective recomputed from the pairs. */
static double check_solution(const as_problem *p, const as_result *r, const char *name) {
  int T = p->ntasks, A = p->nagents, bad = 0;
  int *lead = malloc(((size_t)T + 1) * sizeof(int)), *cnt = calloc((size_t)T + 1, sizeof(int));
  int *used = calloc((size_t)A + 1, sizeof(int));
  as_edge *sorted = malloc((p->nedges + 1) * sizeof(as_edge));
  double obj = 0;
  if (!lead || !cnt || !used || !sorted) exit(2);
  memcpy(sorted, p->edges, p->nedges * sizeof(as_edge));
  qsort(sorted, p->nedges, sizeof(as_edge), edge_key_cmp);
  for (int t = 0; t < T; t++) lead[t] = -1;
  CHECK(r->feasible, "%s: feasible", name);
  for (size_t i = 0; i < r->npairs; i++) {
    const as_pair *q = &r->pairs[i];
    as_edge key = {q->task, q->agent, 0, 0};
    const as_edge *e = bsearch(&key, sorted, p->nedges, sizeof(as_edge), edge_key_cmp);
    if (i > 0) {
      const as_pair *o = &r->pairs[i - 1];
      bad += !(o->task < q->task || (o->task == q->task && q->role == AS_MEMBER &&
                                     (o->role == AS_LEAD || o->agent < q->agent)));
    }
    if (!e) { bad++; continue; }
    bad += (e->flags & AS_EDGE_FORBIDDEN) != 0;
    bad += e->score < p->min_score || e->score != q->score;
    bad += q->fixed != ((e->flags & (AS_EDGE_FIXED | AS_EDGE_FIXED_LEAD)) != 0);
    used[q->agent]++;
    cnt[q->task]++;
    if (q->role == AS_LEAD) {
      bad += lead[q->task] >= 0;
      lead[q->task] = q->agent;
      obj += p->lead_weight * q->score;
    } else {
      bad += lead[q->task] < 0;  /* members only with a lead (the lead is listed first) */
      obj += p->member_weight * q->score;
    }
    for (size_t j = 0; j < i; j++) bad += r->pairs[j].task == q->task && r->pairs[j].agent == q->agent;
  }
  CHECK(bad == 0, "%s: %d pairs break order, edge, role, score or one-slot-per-task rules", name, bad);
  for (int a = 0; a < A; a++) {
    int c = p->capacity ? p->capacity[a] : 1;
    CHECK(used[a] <= c, "%s: agent %d used %d > capacity %d", name, a, used[a], c);
  }
  int matched = 0, nun = 0;
  double minlead = 0;
  for (int t = 0; t < T; t++) {
    int m = p->members ? p->members[t] : 0;
    CHECK(cnt[t] <= 1 + m, "%s: task %d has %d > %d agents", name, t, cnt[t], 1 + m);
    if (lead[t] < 0) {
      int ok = (size_t)nun < r->nunmatched && r->unmatched[nun].task == t;
      CHECK(ok, "%s: task %d without lead is listed unmatched", name, t);
      nun++;
      continue;
    }
    as_edge key = {t, lead[t], 0, 0};
    double ls = ((const as_edge *)bsearch(&key, sorted, p->nedges, sizeof(as_edge), edge_key_cmp))->score;
    if (matched++ == 0 || ls < minlead) minlead = ls;
  }
  CHECK((size_t)nun == r->nunmatched, "%s: %zu unmatched listed, %d without lead", name, r->nunmatched, nun);
  CHECK(matched == r->matched && minlead == r->min_lead_score, "%s: matched %d/%d, min lead %g/%g", name,
        matched, r->matched, minlead, r->min_lead_score);
  /* fixed edges present; a lead is its task's best agent unless fixed */
  int *insol = calloc(p->nedges + 1, sizeof(int)), *fixedlead = calloc((size_t)T + 1, sizeof(int));
  if (!insol || !fixedlead) exit(2);
  for (size_t i = 0; i < r->npairs; i++) {
    as_edge key = {r->pairs[i].task, r->pairs[i].agent, 0, 0};
    const as_edge *e = bsearch(&key, sorted, p->nedges, sizeof(as_edge), edge_key_cmp);
    if (e) insol[e - sorted] = 1;
  }
  for (size_t i = 0; i < p->nedges; i++)
    if (sorted[i].flags & AS_EDGE_FIXED_LEAD) fixedlead[sorted[i].task] = 1;
  for (size_t i = 0; i < p->nedges; i++) {
    const as_edge *e = &sorted[i];
    if (e->flags & (AS_EDGE_FIXED | AS_EDGE_FIXED_LEAD))
      CHECK(insol[i], "%s: fixed edge (%d,%d) in the solution", name, e->task, e->agent);
    if (e->flags & AS_EDGE_FIXED_LEAD)
      CHECK(lead[e->task] == e->agent, "%s: fixed lead (%d,%d) is the lead", name, e->task, e->agent);
    if (insol[i] && !fixedlead[e->task] && lead[e->task] != e->agent) {
      as_edge key = {e->task, lead[e->task], 0, 0};
      double ls = ((const as_edge *)bsearch(&key, sorted, p->nedges, sizeof(as_edge), edge_key_cmp))->score;
      CHECK(ls > e->score || (ls == e->score && lead[e->task] < e->agent),
            "%s: task %d lead %d (%g) is its best agent, not %d (%g)", name, e->task, lead[e->task], ls,
            e->agent, e->score);
    }
  }
  free(insol), free(fixedlead);
  CHECK(fabs(obj - r->objective) <= 1e-9 * (1 + fabs(obj)), "%s: objective %.9f, pairs sum to %.9f", name,
        r->objective, obj);
  CHECK(r->optimal && r->gap == 0 && r->bound_scaled == r->objective_scaled,
        "%s: dual certificate: bound %lld vs objective %lld", name, (long long)r->bound_scaled,
        (long long)r->objective_scaled);
  CHECK(r->objective <= r->simple_bound + 1e-9 * (1 + r->simple_bound), "%s: objective %g <= simple bound %g",
        name, r->objective, r->simple_bound);
  free(lead), free(cnt), free(used), free(sorted);
  return obj;
}

/* ------------------------------------------------------------ brute force */

#define BF_T 5
#define BF_A 6
#ifndef BF_INSTANCES
#define BF_INSTANCES 300  /* -DBF_INSTANCES=20000 for a longer sweep */
#endif

typedef struct bf {
  const as_problem *p;
  int cand[BF_T][BF_A], ncand[BF_T], fixmask[BF_T], fixlead[BF_T];
  int used[BF_A], lead[BF_T], mask[BF_T];
  int found;
  int best_matched;
  double best_min, best_total;
} bf;

static void bf_leaf(bf *b) {
  const as_problem *p = b->p;
  int matched = 0;
  double total = 0, minl = HUGE_VAL;
  for (int t = 0; t < p->ntasks; t++) {
    for (int k = 0; k < b->ncand[t]; k++) {
      if (!(b->mask[t] >> k & 1)) continue;
      const as_edge *e = &p->edges[b->cand[t][k]];
      total += (k == b->lead[t] ? p->lead_weight : p->member_weight) * e->score;
      if (k == b->lead[t]) matched++, minl = e->score < minl ? e->score : minl;
    }
  }
  int better;
  if (!b->found) better = 1;
  else if (p->objective == AS_TOTAL) better = total > b->best_total;
  else
    better = matched > b->best_matched ||
             (matched == b->best_matched && (minl > b->best_min || (minl == b->best_min && total > b->best_total)));
  if (better) b->found = 1, b->best_matched = matched, b->best_min = minl, b->best_total = total;
}

/* Every subset of each task's candidates that holds its fixed edges and
** fits the slots and capacities, with every choice of lead. */
static void bf_task(bf *b, int t) {
  const as_problem *p = b->p;
  if (t == p->ntasks) {
    bf_leaf(b);
    return;
  }
  int n = b->ncand[t], slots = 1 + p->members[t];
  for (int mask = 0; mask < 1 << n; mask++) {
    if ((mask & b->fixmask[t]) != b->fixmask[t] || __builtin_popcount((unsigned)mask) > slots) continue;
    int ok = 1;
    for (int k = 0; k < n; k++)
      if (mask >> k & 1) ok &= b->used[p->edges[b->cand[t][k]].agent] < p->capacity[p->edges[b->cand[t][k]].agent];
    if (!ok) continue;
    for (int k = 0; k < n; k++)
      if (mask >> k & 1) b->used[p->edges[b->cand[t][k]].agent]++;
    b->mask[t] = mask;
    for (int l = mask ? 0 : -1; l < n; l++) {
      if (l >= 0 && !(mask >> l & 1)) continue;
      if (b->fixlead[t] >= 0 && l != b->fixlead[t]) continue;
      b->lead[t] = l;
      bf_task(b, t + 1);
      if (l < 0) break;
    }
    for (int k = 0; k < n; k++)
      if (mask >> k & 1) b->used[p->edges[b->cand[t][k]].agent]--;
  }
}

/* Returns 0 when no assignment holds every fixed edge. */
static int brute_force(const as_problem *p, bf *b) {
  memset(b, 0, sizeof(*b));
  b->p = p;
  for (int t = 0; t < p->ntasks; t++) b->fixlead[t] = -1;
  for (size_t i = 0; i < p->nedges; i++) {
    const as_edge *e = &p->edges[i];
    int usable = !(e->flags & AS_EDGE_FORBIDDEN) && e->score >= p->min_score;
    int fixed = (e->flags & (AS_EDGE_FIXED | AS_EDGE_FIXED_LEAD)) != 0;
    if (!usable) {
      if (fixed) return 0;
      continue;
    }
    int k = b->ncand[e->task]++;
    b->cand[e->task][k] = (int)i;
    if (fixed) b->fixmask[e->task] |= 1 << k;
    if (e->flags & AS_EDGE_FIXED_LEAD) {
      if (b->fixlead[e->task] >= 0) return 0;
      b->fixlead[e->task] = k;
    }
  }
  bf_task(b, 0);
  return b->found;
}

/* Rough count of leaves, to keep each instance to a fraction of a second. */
static double bf_work(const inst *in) {
  double w = 1;
  for (int t = 0; t < in->p.ntasks; t++) {
    int n = 0;
    for (size_t i = 0; i < in->p.nedges; i++) n += in->edges[i].task == t;
    w *= n <= 2 ? 5 : n == 3 ? 13 : n == 4 ? 33 : n == 5 ? 66 : 120;
  }
  return w;
}

static inst random_small(void) {
  static const double weights[][2] = {{1, 1}, {2, 1}, {1.5, 1}, {1, 0.5}, {1, 0}, {3, 2}, {0.5, 0.5}};
  int T = rng_int(1, BF_T), A = rng_int(1, BF_A);
  inst in = inst_new(T, A, (size_t)T * A);
  for (int t = 0; t < T; t++) in.members[t] = rng_int(0, 2);
  for (int a = 0; a < A; a++) in.capacity[a] = rng_int(0, 2);
  int density = rng_int(25, 70);
  for (int t = 0; t < T; t++)
    for (int a = 0; a < A; a++) {
      if (rng_int(0, 99) >= density) continue;
      unsigned flags = 0;
      int f = rng_int(0, 99);
      if (f < 8) flags = AS_EDGE_FORBIDDEN;
      else if (f < 13) flags = AS_EDGE_FIXED;
      else if (f < 15) flags = AS_EDGE_FIXED_LEAD;
      add_edge(&in, t, a, rng_int(0, 8) / 4.0, flags);  /* quarters: sums are exact */
    }
  for (size_t i = in.p.nedges; i > 1; i--) {  /* the solver must not care about edge order */
    size_t j = rng_next() % i;
    as_edge x = in.edges[i - 1];
    in.edges[i - 1] = in.edges[j], in.edges[j] = x;
  }
  int w = rng_int(0, JB_ARRAY_LEN_T(weights) - 1);
  in.p.lead_weight = weights[w][0], in.p.member_weight = weights[w][1];
  in.p.min_score = rng_int(0, 3) == 0 ? rng_int(1, 4) / 4.0 : 0;
  return in;
}

TEST(matches_brute_force) {
  int instances = 0, infeasible = 0;
  for (int n = 0; instances < BF_INSTANCES; n++) {
    uint64_t seed = 1000 + (uint64_t)n;
    rng_state = seed;
    inst in = random_small();
    if (bf_work(&in) > 3e5) {
      inst_free(&in);
      continue;
    }
    instances++;
    for (int obj = AS_TOTAL; obj <= AS_FAIR; obj++) {
      char name[64];
      snprintf(name, sizeof(name), "seed %llu %s", (unsigned long long)seed, obj ? "FAIR" : "TOTAL");
      in.p.objective = obj;
      bf b;
      int feasible = brute_force(&in.p, &b);
      as_result *r = NULL;
      char em[256];
      int rc = as_solve(&in.p, &r, em, sizeof(em));
      CHECK(rc == AS_OK, "%s: as_solve: %s", name, em);
      if (rc) continue;
      CHECK(r->feasible == feasible, "%s: solver feasible %d, brute force %d", name, r->feasible, feasible);
      if (!feasible) {
        infeasible += obj == AS_TOTAL;
        CHECK(r->nconflicts > 0 && r->npairs == 0, "%s: infeasible names conflicts, assigns nothing", name);
      } else if (r->feasible) {
        check_solution(&in.p, r, name);
        CHECK(fabs(r->objective - b.best_total) < 1e-9, "%s: objective %g, brute force %g", name, r->objective,
              b.best_total);
        if (obj == AS_FAIR) {
          CHECK(r->matched == b.best_matched && r->max_matched == b.best_matched,
                "%s: matched %d (max %d), brute force %d", name, r->matched, r->max_matched, b.best_matched);
          CHECK(b.best_matched == 0 || r->min_lead_score == b.best_min, "%s: min lead %g, brute force %g", name,
                r->min_lead_score, b.best_min);
        }
      }
      as_result_free(r);
    }
    inst_free(&in);
  }
  printf("brute force: %d instances x 2 objectives, %d with infeasible fixed edges\n", instances, infeasible);
  CHECK(infeasible > instances / 30 && infeasible < instances / 2, "the generator covers infeasible fixed edges (%d)", infeasible);
}

/* ------------------------------------------------------------ hand cases */

static as_result *solve_ok(const as_problem *p, const char *name) {
  as_result *r = NULL;
  char em[256];
  int rc = as_solve(p, &r, em, sizeof(em));
  CHECK(rc == AS_OK && r, "%s: as_solve rc %d: %s", name, rc, em);
  return r;
}

static int lead_of(const as_result *r, int t) {
  for (size_t i = 0; i < r->npairs; i++)
    if (r->pairs[i].task == t && r->pairs[i].role == AS_LEAD) return r->pairs[i].agent;
  return -1;
}

TEST(lead_weight_changes_the_choice) {
  /* t0 (one member) wants a0 5, a1 4; t1 wants a0 4.5; capacities 1.
  ** Equal weights: t0 takes both (9) and t1 gets nothing (8.5 otherwise).
  ** lead_weight 2: two leads pay more: t0 <- a1 (8), t1 <- a0 (9) = 17 > 14. */
  inst in = inst_new(2, 2, 3);
  in.members[0] = 1;
  in.capacity[0] = in.capacity[1] = 1;
  add_edge(&in, 0, 0, 5, 0);
  add_edge(&in, 0, 1, 4, 0);
  add_edge(&in, 1, 0, 4.5, 0);
  as_result *r = solve_ok(&in.p, "equal weights");
  if (r) {
    CHECK(r->objective == 9 && lead_of(r, 0) == 0 && lead_of(r, 1) == -1, "equal: objective %g", r->objective);
    CHECK(r->nunmatched == 1 && r->unmatched[0].why == AS_WHY_CAPACITY, "t1 unmatched for capacity");
    CHECK(r->ntasks_full == 1 && r->tasks_full[0] == 0 && r->nagents_full == 2, "t0 full, both agents full");
  }
  as_result_free(r);
  in.p.lead_weight = 2;
  r = solve_ok(&in.p, "lead weight 2");
  if (r) CHECK(r->objective == 17 && lead_of(r, 0) == 1 && lead_of(r, 1) == 0, "lw 2: objective %g", r->objective);
  as_result_free(r);
  inst_free(&in);
}

TEST(fair_trades_total_for_coverage) {
  /* t0: a0 0.9, a1 0.2, a2 0.3; t1: a0 0.5. TOTAL gives t0 a0 and t1 nothing
  ** (0.9 > 0.3 + 0.5 is false: 0.8 < 0.9). FAIR leads both tasks, and of
  ** those ways the one with the higher lowest lead: t0 <- a2 (0.3). */
  inst in = inst_new(2, 3, 4);
  in.capacity[0] = in.capacity[1] = in.capacity[2] = 1;
  add_edge(&in, 0, 0, 0.9, 0);
  add_edge(&in, 0, 1, 0.2, 0);
  add_edge(&in, 0, 2, 0.3, 0);
  add_edge(&in, 1, 0, 0.5, 0);
  as_result *r = solve_ok(&in.p, "total");
  if (r) CHECK(r->matched == 1 && lead_of(r, 0) == 0, "total: t0 <- a0 only (matched %d)", r->matched);
  as_result_free(r);
  in.p.objective = AS_FAIR;
  r = solve_ok(&in.p, "fair");
  if (r) {
    CHECK(r->matched == 2 && r->max_matched == 2 && lead_of(r, 0) == 2 && lead_of(r, 1) == 0,
          "fair: t0 <- a2, t1 <- a0 (t0 lead %d)", lead_of(r, 0));
    CHECK(r->min_lead_score == 0.3 && r->bottleneck_task == 0, "fair: bottleneck t0 at 0.3 (%g, task %d)",
          r->min_lead_score, r->bottleneck_task);
    check_solution(&in.p, r, "fair hand case");
  }
  as_result_free(r);
  inst_free(&in);
}

TEST(fair_lifts_a_low_fixed_lead) {
  /* t0 (one member) has a0 fixed at 0.1 and candidate a1 at 0.3; t1 wants
  ** a1 at 0.9 or a3 at 0.35; t2 wants a2 at 0.5. TOTAL gives a1 to t1 (1.5)
  ** and leaves t0 led at 0.1. FAIR must give t0 a new lead >= theta: a1,
  ** so t1 takes a3 and the lowest lead rises to 0.3. */
  inst in = inst_new(3, 4, 5);
  in.members[0] = 1;
  for (int a = 0; a < 4; a++) in.capacity[a] = 1;
  add_edge(&in, 0, 0, 0.1, AS_EDGE_FIXED);
  add_edge(&in, 0, 1, 0.3, 0);
  add_edge(&in, 1, 1, 0.9, 0);
  add_edge(&in, 1, 3, 0.35, 0);
  add_edge(&in, 2, 2, 0.5, 0);
  as_result *r = solve_ok(&in.p, "total");
  if (r) CHECK(r->min_lead_score == 0.1 && lead_of(r, 1) == 1, "total: t0 led by its fixed 0.1, t1 <- a1");
  as_result_free(r);
  in.p.objective = AS_FAIR;
  r = solve_ok(&in.p, "fair");
  if (r) {
    CHECK(r->min_lead_score == 0.3 && lead_of(r, 0) == 1 && lead_of(r, 1) == 3 && r->bottleneck_task == 0,
          "fair: t0 <- a1 as lead over its fixed a0 (min lead %g)", r->min_lead_score);
    check_solution(&in.p, r, "fair fixed member");
  }
  as_result_free(r);
  inst_free(&in);
}

TEST(unmatched_reasons) {
  inst in = inst_new(6, 3, 8);
  in.p.min_score = 0.5;
  in.capacity[0] = in.capacity[1] = 1;
  /* t0: no edge */
  add_edge(&in, 1, 1, 0.9, AS_EDGE_FORBIDDEN);          /* t1: every candidate forbidden */
  add_edge(&in, 2, 1, 0.4, 0);                          /* t2: below min_score (or forbidden) */
  add_edge(&in, 2, 2, 0.9, AS_EDGE_FORBIDDEN);
  add_edge(&in, 3, 0, 0.6, 0);                          /* t3: a0 goes to t4 */
  add_edge(&in, 4, 0, 0.8, 0);
  add_edge(&in, 5, 1, 0.5, 0);                          /* t5: matched (no gain at weight 0) */
  in.p.lead_weight = in.p.member_weight = 0;
  as_result *r = solve_ok(&in.p, "reasons, zero weights");
  if (r) CHECK(r->nunmatched == 6 && r->unmatched[5].why == AS_WHY_NO_GAIN && r->unmatched[3].why == AS_WHY_NO_GAIN,
               "zero weights: nothing adds value");
  as_result_free(r);
  in.p.lead_weight = in.p.member_weight = 1;
  r = solve_ok(&in.p, "reasons");
  if (r) {
    static const as_why want[] = {AS_WHY_ABSENT, AS_WHY_FORBIDDEN, AS_WHY_BELOW_MIN, AS_WHY_CAPACITY};
    CHECK(r->nunmatched == 4, "4 unmatched (got %zu)", r->nunmatched);
    for (size_t i = 0; i < r->nunmatched && i < 4; i++)
      CHECK(r->unmatched[i].task == (int)i && r->unmatched[i].why == want[i], "task %zu: %s (got %s)", i,
            as_why_str(want[i]), as_why_str(r->unmatched[i].why));
    CHECK(lead_of(r, 4) == 0 && lead_of(r, 5) == 1, "t4 <- a0, t5 <- a1");
    check_solution(&in.p, r, "reasons");
  }
  as_result_free(r);
  inst_free(&in);
}

TEST(duplicates_merge) {
  inst in = inst_new(2, 2, 4);
  in.capacity[0] = in.capacity[1] = 1;
  add_edge(&in, 0, 0, 0.5, 0);
  add_edge(&in, 0, 0, 0.9, AS_EDGE_FORBIDDEN);  /* a conflict overlay wins */
  add_edge(&in, 1, 1, 0.3, 0);
  add_edge(&in, 1, 1, 0.7, 0);                  /* the higher score counts */
  as_result *r = solve_ok(&in.p, "duplicates");
  if (r) {
    CHECK(r->nunmatched == 1 && r->unmatched[0].task == 0 && r->unmatched[0].why == AS_WHY_FORBIDDEN,
          "t0's only pair is forbidden");
    CHECK(r->npairs == 1 && r->pairs[0].score == 0.7, "t1 <- a1 at 0.7");
  }
  as_result_free(r);
  inst_free(&in);
}

/* ----------------------------------------------------- infeasible, errors */

static as_result *conflicts_of(inst *in, const char *name) {
  as_result *r = solve_ok(&in->p, name);
  if (r) CHECK(!r->feasible && r->npairs == 0, "%s: infeasible", name);
  return r;
}

TEST(infeasible_fixed_edges_say_what_to_relax) {
  inst in = inst_new(3, 3, 10);
  in.capacity[0] = 1, in.capacity[1] = 2, in.capacity[2] = 2;
  add_edge(&in, 0, 0, 0.5, AS_EDGE_FIXED);
  add_edge(&in, 1, 0, 0.5, AS_EDGE_FIXED);  /* a0 fixed twice, capacity 1 */
  as_result *r = conflicts_of(&in, "agent capacity");
  if (r)
    CHECK(r->nconflicts == 1 && r->conflicts[0].kind == AS_CONFLICT_AGENT_CAPACITY && r->conflicts[0].agent == 0 &&
              r->conflicts[0].count == 2 && r->conflicts[0].limit == 1,
          "agent 0 over capacity, 2 > 1");
  as_result_free(r);

  in.capacity[0] = 2;
  in.members[2] = 2;
  add_edge(&in, 2, 1, 0.5, AS_EDGE_FIXED_LEAD);
  add_edge(&in, 2, 2, 0.6, AS_EDGE_FIXED_LEAD);  /* t2: two fixed leads */
  r = conflicts_of(&in, "two leads");
  if (r)
    CHECK(r->nconflicts == 1 && r->conflicts[0].kind == AS_CONFLICT_TWO_LEADS && r->conflicts[0].task == 2,
          "task 2 has two fixed leads (%s)", r->nconflicts ? as_conflict_str(r->conflicts[0].kind) : "none");
  as_result_free(r);

  in.edges[3].flags = AS_EDGE_FIXED;
  add_edge(&in, 0, 1, 0.5, AS_EDGE_FIXED);  /* t0 (no members): two fixed agents */
  add_edge(&in, 1, 2, 0.5, AS_EDGE_FIXED | AS_EDGE_FORBIDDEN);
  in.capacity[1] = 1;     /* a1 is fixed to t0 and t2 */
  in.p.min_score = 0.55;  /* every fixed 0.5 edge is now below it, t2's 0.6 is not */
  r = conflicts_of(&in, "several");
  if (r) {
    static const as_conflict_kind kinds[] = {AS_CONFLICT_AGENT_CAPACITY, AS_CONFLICT_TASK_SLOTS,
                                             AS_CONFLICT_FIXED_FORBIDDEN, AS_CONFLICT_FIXED_BELOW_MIN};
    int seen[4] = {0};
    for (size_t i = 0; i < r->nconflicts; i++)
      for (int k = 0; k < 4; k++) seen[k] += r->conflicts[i].kind == kinds[k];
    for (size_t i = 1; i < r->nconflicts; i++)
      CHECK(r->conflicts[i - 1].kind <= r->conflicts[i].kind, "conflicts sorted by kind");
    CHECK(seen[0] == 1 && r->conflicts[0].agent == 1 && r->conflicts[0].count == 2, "agent 1 fixed twice, capacity 1");
    CHECK(seen[1] == 2 && r->conflicts[1].task == 0 && r->conflicts[2].task == 1, "tasks 0 and 1: 2 fixed, 1 slot");
    CHECK(seen[2] == 1, "fixed forbidden (1,2)");
    CHECK(seen[3] == 4, "4 fixed edges below min_score (got %d)", seen[3]);
  }
  as_result_free(r);
  inst_free(&in);
}

TEST(bad_input_is_an_error_with_a_message) {
  inst in = inst_new(1, 1, 2);
  add_edge(&in, 0, 0, 0.5, 0);
  as_result *r = (as_result *)1;
  char em[256];
  in.p.lead_weight = 0.5;  /* below member_weight */
  CHECK(as_solve(&in.p, &r, em, sizeof(em)) == AS_EINVAL && !r && strstr(em, "lead_weight"), "weights: %s", em);
  in.p.lead_weight = 1;
  in.edges[0].agent = 1;
  CHECK(as_solve(&in.p, &r, em, sizeof(em)) == AS_EINVAL && strstr(em, "agent 1 out of range"), "agent: %s", em);
  in.edges[0].agent = 0;
  in.edges[0].score = nan("");
  CHECK(as_solve(&in.p, &r, em, sizeof(em)) == AS_EINVAL && strstr(em, "score"), "NaN: %s", em);
  in.edges[0].score = -1;
  CHECK(as_solve(&in.p, &r, em, sizeof(em)) == AS_EINVAL, "negative score: %s", em);
  in.edges[0].score = 0.5;
  in.capacity[0] = -1;
  CHECK(as_solve(&in.p, &r, em, sizeof(em)) == AS_EINVAL && strstr(em, "capacity"), "capacity: %s", em);
  in.capacity[0] = 1;
  in.edges[0].score = AS_MAX_SCORE;
  in.p.lead_weight = 2000;  /* 1e6 x 1e6 x 2000 cannot be an exact cost */
  CHECK(as_solve(&in.p, &r, em, sizeof(em)) == AS_ERANGE && !r && strstr(em, "too large"), "range: %s", em);
  in.p.lead_weight = 1;
  in.edges[0].score = 0.5;
  CHECK(as_solve(NULL, &r, em, sizeof(em)) == AS_EINVAL, "NULL problem");
  CHECK(as_solve(&in.p, NULL, NULL, 0) == AS_EINVAL, "NULL ppOut");
  as_result_free(NULL);
  /* nothing at all is a valid problem */
  as_problem empty;
  as_problem_init(&empty);
  r = solve_ok(&empty, "empty");
  if (r) CHECK(r->feasible && r->npairs == 0 && r->optimal, "empty problem solves to nothing");
  as_result_free(r);
  inst_free(&in);
}

/* ----------------------------------------------------------- determinism */

/* Field by field: the structs have padding, which memcmp would compare. */
static int same_result(const as_result *a, const as_result *b) {
  int same = a->npairs == b->npairs && a->nunmatched == b->nunmatched &&
             a->objective_scaled == b->objective_scaled && a->bound_scaled == b->bound_scaled &&
             a->min_lead_score == b->min_lead_score && a->objective == b->objective;
  for (size_t i = 0; same && i < a->npairs; i++) {
    const as_pair *x = &a->pairs[i], *y = &b->pairs[i];
    same = x->task == y->task && x->agent == y->agent && x->role == y->role && x->score == y->score &&
           x->fixed == y->fixed;
  }
  for (size_t i = 0; same && i < a->nunmatched; i++)
    same = a->unmatched[i].task == b->unmatched[i].task && a->unmatched[i].why == b->unmatched[i].why;
  return same;
}

/* Many ties on purpose: few distinct scores. */
static inst random_medium(int T, int A, int deg) {
  inst in = inst_new(T, A, (size_t)T * deg);
  for (int t = 0; t < T; t++) in.members[t] = rng_int(0, 3);
  for (int a = 0; a < A; a++) in.capacity[a] = rng_int(0, 2);
  for (int t = 0; t < T; t++)
    for (int k = 0; k < deg; k++) {
      int a = (t * 7 + k * 13 + rng_int(0, 2)) % A;
      double sc = rng_int(0, 5) / 4.0;  /* one PRNG call per statement: argument order is unspecified */
      add_edge(&in, t, a, sc, rng_int(0, 50) == 0 ? AS_EDGE_FORBIDDEN : 0);
    }
  return in;
}

TEST(deterministic) {
  rng_state = 77;
  inst in = random_medium(200, 150, 8);
  inst sh = inst_new(200, 150, in.p.nedges);
  memcpy(sh.members, in.members, 200 * sizeof(int));
  memcpy(sh.capacity, in.capacity, 150 * sizeof(int));
  for (size_t i = 0; i < in.p.nedges; i++) sh.edges[i] = in.edges[in.p.nedges - 1 - i];
  sh.p.nedges = in.p.nedges;
  for (int obj = AS_TOTAL; obj <= AS_FAIR; obj++) {
    in.p.objective = sh.p.objective = obj;
    as_result *a = solve_ok(&in.p, "run 1"), *b = solve_ok(&in.p, "run 2"), *c = solve_ok(&sh.p, "reversed");
    if (a && b && c) {
      CHECK(same_result(a, b), "%s: same input, same output", obj ? "FAIR" : "TOTAL");
      CHECK(same_result(a, c), "%s: reversed edge order, same output", obj ? "FAIR" : "TOTAL");
    }
    as_result_free(a), as_result_free(b), as_result_free(c);
  }
  inst_free(&in);
  inst_free(&sh);
}

/* ---------------------------------------------------------------- scale */

typedef struct greedy_out {
  double total;
  int matched;
} greedy_out;

static int score_desc(const void *x, const void *y) {
  const as_edge *a = x, *b = y;
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  return edge_key_cmp(x, y);
}

/* Best edge first: fixed edges, then every usable edge whose task has a
** slot and agent has capacity; a task's first agent is its lead. */
static greedy_out greedy(const as_problem *p) {
  greedy_out g = {0, 0};
  as_edge *e = malloc(p->nedges * sizeof(as_edge));
  int *cnt = calloc((size_t)p->ntasks, sizeof(int)), *used = calloc((size_t)p->nagents, sizeof(int));
  if (!e || !cnt || !used) exit(2);
  memcpy(e, p->edges, p->nedges * sizeof(as_edge));
  qsort(e, p->nedges, sizeof(as_edge), score_desc);
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < p->nedges; i++) {
      int fixed = (e[i].flags & (AS_EDGE_FIXED | AS_EDGE_FIXED_LEAD)) != 0;
      if (fixed != (pass == 0) || (e[i].flags & AS_EDGE_FORBIDDEN) || e[i].score < p->min_score) continue;
      if (!fixed && (cnt[e[i].task] > p->members[e[i].task] || used[e[i].agent] >= p->capacity[e[i].agent]))
        continue;
      g.total += (cnt[e[i].task] ? p->member_weight : p->lead_weight) * e[i].score;
      g.matched += cnt[e[i].task]++ == 0;
      used[e[i].agent]++;
    }
  free(e), free(cnt), free(used);
  return g;
}

static void large_case(const char *name, int T, int A, int deg, int capmax, int nfixed) {
  inst in = inst_new(T, A, (size_t)T * deg);
  in.p.min_score = 0.05;
  for (int t = 0; t < T; t++) in.members[t] = rng_int(0, 4);
  for (int a = 0; a < A; a++) in.capacity[a] = rng_int(1, capmax);
  for (int t = 0; t < T; t++) {
    int base = rng_int(0, A - 1);
    for (int k = 0; k < deg; k++) {
      /* distinct agents per task: a random walk with steps of 1..A/deg */
      base = (base + rng_int(1, A / deg > 1 ? A / deg : 1)) % A;
      double sc = rng_unit();  /* one PRNG call per statement: argument order is unspecified */
      add_edge(&in, t, base, sc, rng_int(0, 49) == 0 ? AS_EDGE_FORBIDDEN : 0);
    }
  }
  /* staff decisions that fit: the first usable edge of the first tasks */
  for (int t = 0, done = 0; t < T && done < nfixed; t++) {
    as_edge *e = &in.edges[(size_t)t * deg];
    if (e->flags || e->score < in.p.min_score || in.capacity[e->agent] < 1) continue;
    e->flags = done % 2 ? AS_EDGE_FIXED : AS_EDGE_FIXED_LEAD;
    in.capacity[e->agent]++;  /* keeps the fixed edges within capacity */
    done++;
  }
  greedy_out g = greedy(&in.p);
  for (int obj = AS_TOTAL; obj <= AS_FAIR; obj++) {
    char label[96];
    snprintf(label, sizeof(label), "%s %s", name, obj ? "FAIR" : "TOTAL");
    in.p.objective = obj;
    double t0 = now_sec();
    as_result *r = solve_ok(&in.p, label);
    double dt = now_sec() - t0;
    if (!r) continue;
    check_solution(&in.p, r, label);
    printf("%s: %zu edges, %.3f s, %ld searches; objective %.4f (greedy %.4f), matched %d (greedy %d), "
           "min lead %.4f, %zu agents full\n",
           label, in.p.nedges, dt, r->searches, r->objective, g.total, r->matched, g.matched, r->min_lead_score,
           r->nagents_full);
    if (obj == AS_TOTAL)
      CHECK(r->objective >= g.total - 1e-3, "%s: solver %.6f >= greedy %.6f", label, r->objective, g.total);
    else
      CHECK(r->matched >= g.matched && r->matched == r->max_matched, "%s: matched %d >= greedy %d", label,
            r->matched, g.matched);
    as_result_free(r);
  }
  inst_free(&in);
}

TEST(large_instances) {
  rng_state = 20240601;
  large_case("1000 tasks x 20000 agents", 1000, 20000, 100, 3, 20);
  /* contention: fewer agent slots than task slots */
  large_case("1000 tasks x 1500 agents", 1000, 1500, 60, 1, 10);
}

int main(void) {
  RUN(lead_weight_changes_the_choice);
  RUN(fair_trades_total_for_coverage);
  RUN(fair_lifts_a_low_fixed_lead);
  RUN(unmatched_reasons);
  RUN(duplicates_merge);
  RUN(infeasible_fixed_edges_say_what_to_relax);
  RUN(bad_input_is_an_error_with_a_message);
  RUN(deterministic);
  RUN(matches_brute_force);
  RUN(large_instances);
  return test_report();
}
