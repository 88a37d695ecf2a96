/*
** assign_solver.c — exact assignment of experts to challenge tasks
** (contract in assign_solver.h).
**
** Why one min-cost flow is exact
** ------------------------------
** Give every edge e a member value M(e) and a lead bonus D(e) >= 0 (the
** extra a lead earns over a member; >= 0 because lead_weight >=
** member_weight). A task that gets the agent set S with lead l is worth
** sum over S of M + D(l). D grows with the score, so the best lead is the
** highest-scoring agent of S, and "members only with a lead" costs nothing:
** promoting the best member of a lead-less task changes its value by D >= 0.
** So the relaxation in which the lead slot and the member slots fill
** independently has the same optimum as the real problem, and an optimal
** relaxed solution becomes a real one by making each task's best agent its
** lead (finish()). Per task t, with R_t the slots left by fixed edges:
**
**   X_t -(cap 1)-> L_t -(cap 1, value M+D-b_t)-> E_ta -(cap 1)-> a -(cap left)-> sink
**   X_t -(cap 1, value M)----------------------> E_ta
**   X_t -(cap R_t, value 0)-> sink                     "leave the slot empty"
**
** X_t supplies R_t units. One node E_ta per edge carries one unit, so an
** agent takes at most one slot per task. b_t is the bonus the best fixed
** agent of t already brings as lead (0 if none); a new lead only adds what it
** beats that by. Costs are -value and every unit must reach the sink, so the
** min-cost flow is the max-value assignment; the zero-cost arc to the sink
** is "stop when the next augmenting path has non-negative cost".
**
** Values are integers, so the optimum is exact and reproducible:
** q = round(score x 1e6), M = round(member_weight x q), D =
** round((lead_weight - member_weight) x q). Both are non-decreasing in the
** score, which keeps "best lead = highest score" true after rounding.
**
** Algorithm: successive shortest paths, one task at a time (as the Hungarian
** method adds one row at a time): each unit of X_t's supply follows a
** shortest path to the sink, by Dijkstra on reduced costs with node
** potentials. The search stops once the sink is settled and only settled
** nodes' potentials move (pot += dist - dist(sink)); that keeps every
** residual reduced cost >= 0 and makes each search local, which is what
** makes 1,000 tasks x 20,000 agents take well under a second.
**
** Determinism: edges are sorted by (task, agent) first, tasks are served in
** index order, arcs are scanned in creation order and heap ties go to the
** lower node, so the output is a function of the edge set alone.
**
** Certificate: dual_bound() turns the final potentials into an LP upper
** bound without looking at the flow; it equals the objective exactly when
** the potentials are optimal duals, which tests check on every instance.
**
** AS_FAIR: the most tasks that can have a lead (K) and the highest threshold
** at which they still can (theta) come from max-flow (Dinic) feasibility
** checks, bisecting over the distinct scores. The total is then maximized by
** the same flow with lead arcs only from edges scoring >= theta and a bonus
** B larger than any total on every lead that counts: maximizing flow value
** first maximizes the number of B's, which reaches K (see fair_levels()).
*/
#include "assign_solver.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AS_SCALE 1e6  /* see AS_MAX_SCORE: 1e-6 is finer than any matcher score */
/* Largest scaled value of one edge (AS_MAX_SCORE x AS_SCALE x a weight of
** 1000): exact in a double, and sums over a few thousand slots stay far
** inside int64. build_network() checks the whole network against AS_INF. */
#define AS_MAX_ARC 1e15
/* "Unreached"; a quarter of INT64_MAX so that a sum of two never overflows. */
#define AS_INF (INT64_MAX / 4)

/* One edge per (task, agent), sorted by task then agent. */
typedef struct cedge {
  int task, agent;
  unsigned flags;
  double score;
  int64_t m, d;         /* scaled member value and lead bonus */
  int usable;           /* not forbidden, score >= min_score */
  int agent_arc;        /* its arc E_ta -> agent in the network, -1 if none */
  int taken;            /* in the solution (fixed or chosen) */
} cedge;

/* A residual network; arc a^1 is the reverse of arc a. */
typedef struct graph {
  int n, m, mcap;
  int *tail, *head, *cap;
  int64_t *cost;
  int *first, *adj;     /* after graph_finish(): arcs leaving v are adj[first[v] .. first[v+1]) */
} graph;

typedef struct hitem {
  int64_t d;
  int v;
} hitem;

typedef struct solver {
  const as_problem *p;
  int T, A, ne;
  cedge *e;
  int *tstart;          /* edges of task t: e[tstart[t] .. tstart[t+1]) */
  int *nfixed, *fixlead, *bestfix;  /* per task: fixed edges, the fixed lead, the best fixed edge (-1) */
  int *slots;           /* per task: R_t */
  int *capleft;         /* per agent: capacity left after fixed edges */
  int *must;            /* AS_FAIR: fixed agents all below theta, needs a new lead */
  graph g;
  int64_t *pot, *dist;
  int *prev, *seen, *done, *settled;
  hitem *heap;
  int stamp;
  long searches;
} solver;

static int errf(char *buf, size_t n, int rc, const char *fmt, ...) {
  if (buf && n) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
  }
  return rc;
}

void as_problem_init(as_problem *p) {
  memset(p, 0, sizeof(*p));
  p->lead_weight = 1.0;
  p->member_weight = 1.0;
  p->objective = AS_TOTAL;
}

void as_result_free(as_result *r) {
  if (!r) return;
  free(r->conflicts);
  free(r->pairs);
  free(r->unmatched);
  free(r->agents_full);
  free(r->tasks_full);
  free(r);
}

const char *as_why_str(as_why why) {
  switch (why) {
    case AS_WHY_ABSENT: return "no candidate";
    case AS_WHY_FORBIDDEN: return "every candidate is forbidden";
    case AS_WHY_BELOW_MIN: return "every candidate is below min_score";
    case AS_WHY_CAPACITY: return "every candidate is at capacity";
    case AS_WHY_NO_GAIN: return "no candidate adds value";
  }
  return "unknown";
}

const char *as_conflict_str(as_conflict_kind kind) {
  switch (kind) {
    case AS_CONFLICT_AGENT_CAPACITY: return "agent over capacity";
    case AS_CONFLICT_TWO_LEADS: return "task has two fixed leads";
    case AS_CONFLICT_TASK_SLOTS: return "task has more fixed edges than slots";
    case AS_CONFLICT_FIXED_FORBIDDEN: return "fixed edge is forbidden";
    case AS_CONFLICT_FIXED_BELOW_MIN: return "fixed edge is below min_score";
  }
  return "unknown";
}

/* ------------------------------------------------------------------ graph */

static void graph_clear(graph *g) {
  free(g->tail);
  free(g->head);
  free(g->cap);
  free(g->cost);
  free(g->first);
  free(g->adj);
  memset(g, 0, sizeof(*g));
}

static int graph_init(graph *g, int n, int maxarcs) {
  memset(g, 0, sizeof(*g));
  g->n = n;
  g->mcap = 2 * maxarcs;
  size_t m = (size_t)g->mcap + 1;
  g->tail = malloc(m * sizeof(int));
  g->head = malloc(m * sizeof(int));
  g->cap = malloc(m * sizeof(int));
  g->cost = malloc(m * sizeof(int64_t));
  g->first = malloc(((size_t)n + 2) * sizeof(int));
  g->adj = malloc(m * sizeof(int));
  if (!g->tail || !g->head || !g->cap || !g->cost || !g->first || !g->adj) {
    graph_clear(g);
    return AS_ENOMEM;
  }
  return AS_OK;
}

/* Callers size the graph exactly, so there is always room. */
static int graph_arc(graph *g, int u, int v, int cap, int64_t cost) {
  int a = g->m;
  g->m += 2;
  g->tail[a] = u, g->head[a] = v, g->cap[a] = cap, g->cost[a] = cost;
  g->tail[a + 1] = v, g->head[a + 1] = u, g->cap[a + 1] = 0, g->cost[a + 1] = -cost;
  return a;
}

/* Groups the arcs by tail, keeping creation order within a tail (determinism). */
static void graph_finish(graph *g) {
  memset(g->first, 0, ((size_t)g->n + 2) * sizeof(int));
  for (int a = 0; a < g->m; a++) g->first[g->tail[a] + 1]++;
  for (int v = 0; v < g->n; v++) g->first[v + 1] += g->first[v];
  for (int a = 0; a < g->m; a++) g->adj[g->first[g->tail[a]]++] = a;
  for (int v = g->n; v > 0; v--) g->first[v] = g->first[v - 1];
  g->first[0] = 0;
}

/* Dinic max-flow from s to t on g's current residual capacities. Returns the
** flow added, or -1 when out of memory. Iterative, so deep alternating
** paths cannot overflow the stack. */
static long dinic(graph *g, int s, int t) {
  long flow = 0;
  int *level = malloc((size_t)g->n * sizeof(int));
  int *it = malloc((size_t)g->n * sizeof(int));
  int *q = malloc((size_t)g->n * sizeof(int));
  int *path = malloc((size_t)g->n * sizeof(int));
  if (!level || !it || !q || !path) {
    flow = -1;
    goto done;
  }
  for (;;) {
    int qh = 0, qt = 0;
    for (int v = 0; v < g->n; v++) level[v] = -1;
    level[s] = 0;
    q[qt++] = s;
    while (qh < qt) {
      int v = q[qh++];
      for (int i = g->first[v]; i < g->first[v + 1]; i++) {
        int a = g->adj[i];
        if (g->cap[a] > 0 && level[g->head[a]] < 0) {
          level[g->head[a]] = level[v] + 1;
          q[qt++] = g->head[a];
        }
      }
    }
    if (level[t] < 0) break;
    memcpy(it, g->first, (size_t)g->n * sizeof(int));
    int sp = 0, v = s;
    for (;;) {
      if (v == t) {
        int f = INT_MAX, k;
        for (k = 0; k < sp; k++) f = g->cap[path[k]] < f ? g->cap[path[k]] : f;
        for (k = 0; k < sp; k++) g->cap[path[k]] -= f, g->cap[path[k] ^ 1] += f;
        flow += f;
        for (k = 0; k < sp && g->cap[path[k]] > 0; k++) {}
        sp = k;  /* retreat to the tail of the first saturated arc */
        v = sp ? g->head[path[sp - 1]] : s;
        continue;
      }
      while (it[v] < g->first[v + 1]) {
        int a = g->adj[it[v]];
        if (g->cap[a] > 0 && level[g->head[a]] == level[v] + 1) break;
        it[v]++;
      }
      if (it[v] < g->first[v + 1]) {
        path[sp++] = g->adj[it[v]];
        v = g->head[path[sp - 1]];
      } else {
        if (v == s) break;
        level[v] = -1;  /* dead end for this phase */
        v = g->tail[path[--sp]];
        it[v]++;
      }
    }
  }
done:
  free(level);
  free(it);
  free(q);
  free(path);
  return flow;
}

/* ------------------------------------------------------- input, fixed edges */

static int cedge_cmp(const void *x, const void *y) {
  const cedge *a = x, *b = y;
  if (a->task != b->task) return a->task < b->task ? -1 : 1;
  if (a->agent != b->agent) return a->agent < b->agent ? -1 : 1;
  return 0;
}

static int check_problem(const as_problem *p, char *em, size_t n) {
  if (p->ntasks < 0 || p->nagents < 0 || p->ntasks > INT_MAX / 8 || p->nagents > INT_MAX / 8)
    return errf(em, n, AS_EINVAL, "ntasks %d, nagents %d: must be 0 .. %d", p->ntasks, p->nagents,
                INT_MAX / 8);
  if (p->nedges > (size_t)INT_MAX / 8 || (p->nedges && !p->edges))
    return errf(em, n, AS_EINVAL, "nedges %zu: too many, or edges is NULL", p->nedges);
  if (!isfinite(p->lead_weight) || !isfinite(p->member_weight) || p->member_weight < 0 ||
      p->lead_weight < p->member_weight)
    return errf(em, n, AS_EINVAL,
                "lead_weight %g, member_weight %g: need lead_weight >= member_weight >= 0",
                p->lead_weight, p->member_weight);
  if (isnan(p->min_score)) return errf(em, n, AS_EINVAL, "min_score is NaN");
  if (p->objective != AS_TOTAL && p->objective != AS_FAIR)
    return errf(em, n, AS_EINVAL, "objective %d: not AS_TOTAL or AS_FAIR", (int)p->objective);
  for (int t = 0; p->members && t < p->ntasks; t++)
    if (p->members[t] < 0 || p->members[t] > INT_MAX / 2)
      return errf(em, n, AS_EINVAL, "task %d: members %d out of range", t, p->members[t]);
  for (int a = 0; p->capacity && a < p->nagents; a++)
    if (p->capacity[a] < 0) return errf(em, n, AS_EINVAL, "agent %d: capacity %d < 0", a, p->capacity[a]);
  for (size_t i = 0; i < p->nedges; i++) {
    const as_edge *e = &p->edges[i];
    if (e->task < 0 || e->task >= p->ntasks)
      return errf(em, n, AS_EINVAL, "edge %zu: task %d out of range (ntasks %d)", i, e->task, p->ntasks);
    if (e->agent < 0 || e->agent >= p->nagents)
      return errf(em, n, AS_EINVAL, "edge %zu: agent %d out of range (nagents %d)", i, e->agent,
                  p->nagents);
    if (!(e->score >= 0 && e->score <= AS_MAX_SCORE))
      return errf(em, n, AS_EINVAL, "edge %zu: score %g not in [0, %g]", i, e->score, AS_MAX_SCORE);
    if (e->flags & ~(AS_EDGE_FORBIDDEN | AS_EDGE_FIXED | AS_EDGE_FIXED_LEAD))
      return errf(em, n, AS_EINVAL, "edge %zu: unknown flags 0x%x", i, e->flags);
  }
  return AS_OK;
}

/* Canonical edges: sorted, duplicates merged, values scaled. */
static int canon_edges(solver *S) {
  const as_problem *p = S->p;
  size_t n = p->nedges;
  S->e = malloc((n ? n : 1) * sizeof(cedge));
  S->tstart = calloc((size_t)S->T + 1, sizeof(int));
  if (!S->e || !S->tstart) return AS_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    cedge *c = &S->e[i];
    memset(c, 0, sizeof(*c));
    c->task = p->edges[i].task;
    c->agent = p->edges[i].agent;
    c->score = p->edges[i].score;
    c->flags = p->edges[i].flags;
    if (c->flags & AS_EDGE_FIXED_LEAD) c->flags |= AS_EDGE_FIXED;
  }
  if (n) qsort(S->e, n, sizeof(cedge), cedge_cmp);
  int k = 0;
  for (size_t i = 0; i < n; i++) {
    if (k > 0 && !cedge_cmp(&S->e[k - 1], &S->e[i])) {
      cedge *c = &S->e[k - 1];
      c->flags |= S->e[i].flags;
      if (S->e[i].score > c->score) c->score = S->e[i].score;
      continue;
    }
    S->e[k++] = S->e[i];
  }
  S->ne = k;
  double dw = S->p->lead_weight - S->p->member_weight;
  for (int i = 0; i < k; i++) {
    cedge *c = &S->e[i];
    int64_t q = llround(c->score * AS_SCALE);
    if ((double)q * p->lead_weight > AS_MAX_ARC) return AS_ERANGE;
    c->m = llround(p->member_weight * (double)q);
    c->d = llround(dw * (double)q);
    c->usable = !(c->flags & AS_EDGE_FORBIDDEN) && c->score >= p->min_score;
    c->agent_arc = -1;
    S->tstart[c->task + 1]++;
  }
  for (int t = 0; t < S->T; t++) S->tstart[t + 1] += S->tstart[t];
  return AS_OK;
}

static int push_conflict(as_result *r, size_t *cap, as_conflict_kind kind, int t, int a, int count,
                         int limit) {
  if (r->nconflicts == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    as_conflict *v = realloc(r->conflicts, nc * sizeof(*v));
    if (!v) return AS_ENOMEM;
    r->conflicts = v;
    *cap = nc;
  }
  as_conflict c = {kind, t, a, count, limit};
  r->conflicts[r->nconflicts++] = c;
  return AS_OK;
}

/* Applies the fixed edges: per-task fixed counts, capacity left, slots left.
** Every rule they break becomes a conflict in r, in kind order. */
static int apply_fixed(solver *S, as_result *r) {
  int rc = AS_OK;
  size_t cap = 0;
  int *nfixa = calloc((size_t)S->A + 1, sizeof(int));
  int *nlead = calloc((size_t)S->T + 1, sizeof(int));
  if (!nfixa || !nlead) {
    rc = AS_ENOMEM;
    goto done;
  }
  for (int t = 0; t < S->T; t++) S->fixlead[t] = S->bestfix[t] = -1;
  for (int i = 0; i < S->ne; i++) {
    cedge *c = &S->e[i];
    if (!(c->flags & AS_EDGE_FIXED)) continue;
    c->taken = 1;
    nfixa[c->agent]++;
    S->nfixed[c->task]++;
    if (c->flags & AS_EDGE_FIXED_LEAD) nlead[c->task]++, S->fixlead[c->task] = i;
    if (S->bestfix[c->task] < 0 || c->score > S->e[S->bestfix[c->task]].score) S->bestfix[c->task] = i;
  }
  for (int a = 0; a < S->A && !rc; a++) {
    int c = S->p->capacity ? S->p->capacity[a] : 1;
    if (nfixa[a] > c) rc = push_conflict(r, &cap, AS_CONFLICT_AGENT_CAPACITY, -1, a, nfixa[a], c);
    S->capleft[a] = c - nfixa[a];
  }
  for (int t = 0; t < S->T && !rc; t++)
    if (nlead[t] > 1) rc = push_conflict(r, &cap, AS_CONFLICT_TWO_LEADS, t, -1, nlead[t], 1);
  for (int t = 0; t < S->T && !rc; t++) {
    int slots = 1 + (S->p->members ? S->p->members[t] : 0);
    if (S->nfixed[t] > slots) rc = push_conflict(r, &cap, AS_CONFLICT_TASK_SLOTS, t, -1, S->nfixed[t], slots);
    /* No task can use more slots than it has usable candidates; clamping
    ** keeps supplies (and the dual bound's products) small. */
    int usable = 0;
    for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++) usable += S->e[i].usable;
    S->slots[t] = (usable < slots ? usable : slots) - S->nfixed[t];
    if (S->slots[t] < 0) S->slots[t] = 0;
  }
  for (int k = AS_CONFLICT_FIXED_FORBIDDEN; k <= AS_CONFLICT_FIXED_BELOW_MIN && !rc; k++)
    for (int i = 0; i < S->ne && !rc; i++) {
      cedge *c = &S->e[i];
      if (!(c->flags & AS_EDGE_FIXED) || c->usable) continue;
      int forb = (c->flags & AS_EDGE_FORBIDDEN) != 0;
      if (forb == (k == AS_CONFLICT_FIXED_FORBIDDEN)) rc = push_conflict(r, &cap, k, c->task, c->agent, 0, 0);
    }
  r->feasible = r->nconflicts == 0;
done:
  free(nfixa);
  free(nlead);
  return rc;
}

/* ---------------------------------------------------------- min-cost flow */

/* Node numbering: X_t = t, L_t = T+t, agent a = 2T+a, sink = 2T+A, then one
** node per edge that can carry value. */
#define X_NODE(S, t) (t)
#define L_NODE(S, t) ((S)->T + (t))
#define A_NODE(S, a) (2 * (S)->T + (a))
#define SINK(S) (2 * (S)->T + (S)->A)

/* The value of e as a new lead of its task (0 = no lead arc). Under AS_FAIR
** (fair) a lead that counts towards the matched tasks earns bonus B. */
static int64_t lead_value(const solver *S, const cedge *c, int fair, double theta, int64_t B) {
  int t = c->task;
  if (S->fixlead[t] >= 0) return 0;
  int64_t b = S->bestfix[t] >= 0 ? S->e[S->bestfix[t]].d : 0;
  if (fair && (S->nfixed[t] == 0 || S->must[t])) return c->score >= theta ? B + c->m + c->d - b : 0;
  return c->d > b ? c->m + c->d - b : 0;
}

static int build_network(solver *S, int fair, double theta, int64_t B, int64_t *maxarc) {
  int nenodes = 0, narcs = 0;
  *maxarc = 0;
  for (int i = 0; i < S->ne; i++) {
    cedge *c = &S->e[i];
    if (!c->usable || c->taken) continue;
    int64_t lv = lead_value(S, c, fair, theta, B);
    if (lv <= 0 && c->m <= 0) continue;
    nenodes++;
    narcs += 1 + (lv > 0) + (c->m > 0);
    if (lv > *maxarc) *maxarc = lv;
    if (c->m > *maxarc) *maxarc = c->m;
  }
  /* Dijkstra's reduced distances and the potentials stay within a few times
  ** (nodes x largest arc value); keep that far from AS_INF. */
  int nodes = 2 * S->T + S->A + 1 + nenodes;
  if ((double)*maxarc * 16.0 * (nodes + 1) >= (double)AS_INF) return AS_ERANGE;
  int rc = graph_init(&S->g, nodes, 2 * S->T + S->A + narcs);
  if (rc) return rc;
  graph *g = &S->g;
  int en = 2 * S->T + S->A + 1;
  for (int t = 0; t < S->T; t++) {
    /* Arcs are created in topological order so one pass sets the potentials. */
    graph_arc(g, X_NODE(S, t), L_NODE(S, t), S->fixlead[t] < 0 && S->slots[t] > 0, 0);
    for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++) {
      cedge *c = &S->e[i];
      if (!c->usable || c->taken) continue;
      int64_t lv = lead_value(S, c, fair, theta, B);
      if (lv <= 0 && c->m <= 0) continue;
      if (lv > 0) graph_arc(g, L_NODE(S, t), en, 1, -lv);
      if (c->m > 0) graph_arc(g, X_NODE(S, t), en, 1, -c->m);
      c->agent_arc = graph_arc(g, en, A_NODE(S, c->agent), 1, 0);
      en++;
    }
    graph_arc(g, X_NODE(S, t), SINK(S), S->slots[t], 0);
  }
  for (int a = 0; a < S->A; a++) graph_arc(g, A_NODE(S, a), SINK(S), S->capleft[a], 0);
  graph_finish(g);
  return AS_OK;
}

static int hless(hitem x, hitem y) { return x.d < y.d || (x.d == y.d && x.v < y.v); }

static void hpush(solver *S, int *hn, int64_t d, int v) {
  hitem x = {d, v};
  int i = (*hn)++;
  while (i > 0 && hless(x, S->heap[(i - 1) / 2])) S->heap[i] = S->heap[(i - 1) / 2], i = (i - 1) / 2;
  S->heap[i] = x;
}

static hitem hpop(solver *S, int *hn) {
  hitem top = S->heap[0], x = S->heap[--*hn];
  int i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= *hn) break;
    if (c + 1 < *hn && hless(S->heap[c + 1], S->heap[c])) c++;
    if (!hless(S->heap[c], x)) break;
    S->heap[i] = S->heap[c], i = c;
  }
  if (*hn) S->heap[i] = x;
  return top;
}

/* Shortest path from s to the sink on reduced costs; settles nodes until the
** sink is settled, then moves the settled nodes' potentials. The sink is
** always reachable: X_t's arc to it has room while X_t has supply. */
static void shortest_path(solver *S, int s) {
  graph *g = &S->g;
  int sink = SINK(S), hn = 0, ns = 0;
  S->stamp++;
  S->searches++;
  S->dist[s] = 0;
  S->seen[s] = S->stamp;
  S->prev[s] = -1;
  hpush(S, &hn, 0, s);
  while (hn) {
    hitem h = hpop(S, &hn);
    int v = h.v;
    if (S->done[v] == S->stamp || h.d != S->dist[v]) continue;
    S->done[v] = S->stamp;
    S->settled[ns++] = v;
    if (v == sink) break;
    for (int i = g->first[v]; i < g->first[v + 1]; i++) {
      int a = g->adj[i], w = g->head[a];
      if (g->cap[a] <= 0 || S->done[w] == S->stamp) continue;
      int64_t nd = h.d + g->cost[a] + S->pot[v] - S->pot[w];
      if (S->seen[w] != S->stamp || nd < S->dist[w]) {
        S->seen[w] = S->stamp;
        S->dist[w] = nd;
        S->prev[w] = a;
        hpush(S, &hn, nd, w);
      }
    }
  }
  int64_t D = S->dist[sink];
  for (int k = 0; k < ns; k++) S->pot[S->settled[k]] += S->dist[S->settled[k]] - D;
}

static int min_cost_flow(solver *S) {
  graph *g = &S->g;
  size_t n = (size_t)g->n;
  S->pot = calloc(n, sizeof(int64_t));
  S->dist = malloc(n * sizeof(int64_t));
  S->prev = malloc(n * sizeof(int));
  S->seen = calloc(n, sizeof(int));
  S->done = calloc(n, sizeof(int));
  S->settled = malloc(n * sizeof(int));
  /* every push follows a relaxed arc, each arc is scanned once per search */
  S->heap = malloc(((size_t)g->m + 1) * sizeof(hitem));
  if (!S->pot || !S->dist || !S->prev || !S->seen || !S->done || !S->settled || !S->heap)
    return AS_ENOMEM;
  /* Initial potentials: shortest distances from a virtual node joined to
  ** every node at cost 0. The network without flow is acyclic and its arcs
  ** were created in topological order, so one pass computes them. */
  for (int a = 0; a < g->m; a += 2)
    if (g->cap[a] > 0 && S->pot[g->tail[a]] + g->cost[a] < S->pot[g->head[a]])
      S->pot[g->head[a]] = S->pot[g->tail[a]] + g->cost[a];
  for (int t = 0; t < S->T; t++) {
    int excess = S->slots[t];
    while (excess > 0) {
      shortest_path(S, X_NODE(S, t));
      int f = excess;
      for (int v = SINK(S); v != X_NODE(S, t); v = g->tail[S->prev[v]])
        if (g->cap[S->prev[v]] < f) f = g->cap[S->prev[v]];
      for (int v = SINK(S); v != X_NODE(S, t); v = g->tail[S->prev[v]])
        g->cap[S->prev[v]] -= f, g->cap[S->prev[v] ^ 1] += f;
      excess -= f;
    }
  }
  return AS_OK;
}

static int add_ovf(int64_t *acc, int64_t x) {
  if ((x > 0 && *acc > INT64_MAX - x) || (x < 0 && *acc < INT64_MIN - x)) return 1;
  *acc += x;
  return 0;
}

static int mul_ovf(int64_t a, int64_t b, int64_t *out) {
  if (a && (b > INT64_MAX / llabs(a) || b < -(INT64_MAX / llabs(a)))) return 1;
  *out = a * b;
  return 0;
}

/* LP dual bound on the flow's value from the potentials alone. For any
** potentials pi and any feasible flow x, cost(x) = sum rc x - sum pi_v b_v
** >= sum_{rc<0} u rc - sum pi_v b_v (b = supply), so value <= sum pi_v b_v -
** sum_{rc<0} u rc. With optimal potentials this is the optimum exactly. */
static int dual_bound(const solver *S, int64_t *ub) {
  const graph *g = &S->g;
  int64_t acc = 0, x, total = 0;
  for (int t = 0; t < S->T; t++) {
    total += S->slots[t];
    if (mul_ovf(S->pot[X_NODE(S, t)], S->slots[t], &x) || add_ovf(&acc, x)) return AS_ERANGE;
  }
  if (mul_ovf(S->pot[SINK(S)], total, &x) || add_ovf(&acc, -x)) return AS_ERANGE;
  for (int a = 0; a < g->m; a += 2) {
    int64_t rc = g->cost[a] + S->pot[g->tail[a]] - S->pot[g->head[a]];
    if (rc < 0 && (mul_ovf(rc, (int64_t)g->cap[a] + g->cap[a + 1], &x) || add_ovf(&acc, -x)))
      return AS_ERANGE;
  }
  *ub = acc;
  return AS_OK;
}

static void flow_clear(solver *S) {
  graph_clear(&S->g);
  free(S->pot), free(S->dist), free(S->prev), free(S->seen), free(S->done), free(S->settled);
  free(S->heap);
  S->pot = S->dist = NULL;
  S->prev = S->seen = S->done = S->settled = NULL;
  S->heap = NULL;
}

/* --------------------------------------------------------------- AS_FAIR */

/* Bipartite check at threshold theta (use_theta 0: no threshold): every
** `must` task gets a new lead scoring >= theta, then as many tasks without
** fixed edges as possible get one too. *pfree = how many of those, or -1
** when some must task (or fixed lead below theta) makes theta impossible. */
static int lead_matching(solver *S, int use_theta, double theta, long *pfree) {
  int rc = AS_OK, T = S->T, src = T + S->A, snk = src + 1, nmust = 0, narcs = 0;
  graph g = {0};
  int *srcarc = NULL;
  *pfree = -1;
  for (int t = 0; t < T; t++) {
    S->must[t] = 0;
    if (!use_theta || S->nfixed[t] == 0) continue;
    if (S->fixlead[t] >= 0) {
      if (S->e[S->fixlead[t]].score < theta) goto done;
    } else if (S->e[S->bestfix[t]].score < theta) {
      if (S->slots[t] == 0) goto done;
      S->must[t] = 1, nmust++;
    }
  }
  for (int i = 0; i < S->ne; i++) narcs += S->e[i].usable && !S->e[i].taken;
  srcarc = malloc(((size_t)T + 1) * sizeof(int));
  if (!srcarc || (rc = graph_init(&g, snk + 1, narcs + T + S->A))) {
    rc = AS_ENOMEM;
    goto done;
  }
  for (int t = 0; t < T; t++) {
    srcarc[t] = graph_arc(&g, src, t, S->must[t], 0);
    for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++) {
      cedge *c = &S->e[i];
      if (c->usable && !c->taken && (!use_theta || c->score >= theta))
        graph_arc(&g, t, T + c->agent, 1, 0);
    }
  }
  for (int a = 0; a < S->A; a++) graph_arc(&g, T + a, snk, S->capleft[a], 0);
  graph_finish(&g);
  /* Must tasks first: an augmenting path never unmatches a task, so they
  ** stay matched while the others are added. */
  long f = dinic(&g, src, snk);
  if (f < 0) {
    rc = AS_ENOMEM;
    goto done;
  }
  if (f < nmust) goto done;
  for (int t = 0; t < T; t++) g.cap[srcarc[t]] = S->nfixed[t] == 0;
  f = dinic(&g, src, snk);
  if (f < 0) rc = AS_ENOMEM;
  else *pfree = f;
done:
  free(srcarc);
  graph_clear(&g);
  return rc;
}

static int dbl_cmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* The two first levels of AS_FAIR: K = the most tasks with a lead (tasks
** with fixed edges always have one), theta = the highest lowest-lead-score
** with K leads. Sets must[] for theta and *nb = the leads that earn the
** bonus (free tasks that get a lead, plus must tasks). Why the bonus flow
** then meets both levels: any flow is an assignment, so at most K - F free
** tasks get a lead (F = tasks with fixed edges) and the bonus count is at
** most K - F + |must|, which the theta-feasible assignment reaches. A flow
** reaching it leaves no must task below theta (else more than K - F free
** tasks would be led), and no free task with members but no lead (promoting
** one would give K+1 leads). */
static int fair_levels(solver *S, as_result *r, double *theta, long *nb) {
  int rc = AS_OK, nf = 0, nc = 0;
  long f0 = 0, f = 0;
  double *cand = NULL;
  *theta = -HUGE_VAL;
  *nb = 0;
  for (int t = 0; t < S->T; t++) nf += S->nfixed[t] > 0;
  if ((rc = lead_matching(S, 0, 0, &f0))) goto done;
  r->max_matched = nf + (int)f0;
  if (r->max_matched == 0) goto done;
  cand = malloc(((size_t)S->ne + 1) * sizeof(double));
  if (!cand) {
    rc = AS_ENOMEM;
    goto done;
  }
  for (int i = 0; i < S->ne; i++)
    if (S->e[i].usable) cand[nc++] = S->e[i].score;
  qsort(cand, (size_t)nc, sizeof(double), dbl_cmp);
  int k = 0;
  for (int i = 0; i < nc; i++)
    if (!k || cand[i] != cand[k - 1]) cand[k++] = cand[i];
  /* Feasibility only gets harder as theta rises; the lowest score is
  ** feasible (it is the unconstrained check). */
  int lo = 0, hi = k - 1;
  while (lo < hi) {
    int mid = lo + (hi - lo + 1) / 2;
    if ((rc = lead_matching(S, 1, cand[mid], &f))) goto done;
    if (f >= f0) lo = mid;
    else hi = mid - 1;
  }
  *theta = cand[lo];
  if ((rc = lead_matching(S, 1, *theta, &f))) goto done;
  *nb = f0;
  for (int t = 0; t < S->T; t++) *nb += S->must[t];
done:
  free(cand);
  return rc;
}

/* ----------------------------------------------------------------- report */

static int dbl_desc(const void *x, const void *y) { return dbl_cmp(y, x); }

/* Sum over tasks of the best value its usable candidates could bring,
** ignoring capacities: lead_weight x the best score + member_weight x the
** next members[t]. */
static int simple_bound(const solver *S, double *out) {
  int maxdeg = 1;
  double *sc = NULL;
  *out = 0;
  for (int t = 0; t < S->T; t++)
    if (S->tstart[t + 1] - S->tstart[t] > maxdeg) maxdeg = S->tstart[t + 1] - S->tstart[t];
  sc = malloc((size_t)maxdeg * sizeof(double));
  if (!sc) return AS_ENOMEM;
  for (int t = 0; t < S->T; t++) {
    int n = 0, lim = 1 + (S->p->members ? S->p->members[t] : 0);
    for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++)
      if (S->e[i].usable) sc[n++] = S->e[i].score;
    qsort(sc, (size_t)n, sizeof(double), dbl_desc);
    for (int k = 0; k < n && k < lim; k++) *out += (k ? S->p->member_weight : S->p->lead_weight) * sc[k];
  }
  free(sc);
  return AS_OK;
}

/* Reads the flow back, makes each task's best agent its lead, and fills r. */
static int finish(solver *S, as_result *r, int64_t flow_ub) {
  int rc = AS_OK;
  const as_problem *p = S->p;
  int *used = calloc((size_t)S->A + 1, sizeof(int));
  size_t np = 0;
  if (!used) return AS_ENOMEM;
  for (int i = 0; i < S->ne; i++) {
    cedge *c = &S->e[i];
    if (c->agent_arc >= 0 && S->g.cap[c->agent_arc] == 0) c->taken = 1;
    if (c->taken) used[c->agent]++, np++;
  }
  r->pairs = malloc((np ? np : 1) * sizeof(as_pair));
  r->unmatched = malloc(((size_t)S->T + 1) * sizeof(as_unmatched));
  r->tasks_full = malloc(((size_t)S->T + 1) * sizeof(int));
  r->agents_full = malloc(((size_t)S->A + 1) * sizeof(int));
  if (!r->pairs || !r->unmatched || !r->tasks_full || !r->agents_full) {
    rc = AS_ENOMEM;
    goto done;
  }
  r->bottleneck_task = -1;
  for (int t = 0; t < S->T; t++) {
    int lead = S->fixlead[t], n = 0;
    for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++) {
      if (!S->e[i].taken) continue;
      n++;
      if (S->fixlead[t] < 0 && (lead < 0 || S->e[i].score > S->e[lead].score)) lead = i;
    }
    if (lead < 0) {
      int any = 0, allowed = 0, usable = 0, free_agent = 0;
      for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++) {
        cedge *c = &S->e[i];
        int capa = p->capacity ? p->capacity[c->agent] : 1;
        any = 1;
        allowed |= !(c->flags & AS_EDGE_FORBIDDEN);
        usable |= c->usable;
        free_agent |= c->usable && used[c->agent] < capa;
      }
      as_why why = !any ? AS_WHY_ABSENT : !allowed ? AS_WHY_FORBIDDEN : !usable ? AS_WHY_BELOW_MIN
                 : !free_agent ? AS_WHY_CAPACITY : AS_WHY_NO_GAIN;
      as_unmatched u = {t, why};
      r->unmatched[r->nunmatched++] = u;
      continue;
    }
    cedge *l = &S->e[lead];
    as_pair lp = {t, l->agent, AS_LEAD, l->score, (l->flags & AS_EDGE_FIXED) != 0};
    r->pairs[r->npairs++] = lp;
    r->objective += p->lead_weight * l->score;
    r->objective_scaled += l->m + l->d;
    for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++) {
      cedge *c = &S->e[i];
      if (!c->taken || i == lead) continue;
      as_pair mp = {t, c->agent, AS_MEMBER, c->score, (c->flags & AS_EDGE_FIXED) != 0};
      r->pairs[r->npairs++] = mp;
      r->objective += p->member_weight * c->score;
      r->objective_scaled += c->m;
    }
    if (r->matched++ == 0 || l->score < r->min_lead_score) r->min_lead_score = l->score, r->bottleneck_task = t;
    if (n == 1 + (p->members ? p->members[t] : 0)) r->tasks_full[r->ntasks_full++] = t;
  }
  for (int a = 0; a < S->A; a++) {
    int capa = p->capacity ? p->capacity[a] : 1;
    if (capa > 0 && used[a] == capa) r->agents_full[r->nagents_full++] = a;
  }
  /* The flow's bound covers the new edges; add what the fixed ones bring
  ** (their member values, and the lead bonus b_t the network assumed). */
  int64_t ub = flow_ub;
  for (int t = 0; t < S->T; t++) {
    for (int i = S->tstart[t]; i < S->tstart[t + 1]; i++)
      if (S->e[i].flags & AS_EDGE_FIXED) ub += S->e[i].m;
    if (S->fixlead[t] >= 0) ub += S->e[S->fixlead[t]].d;
    else if (S->bestfix[t] >= 0) ub += S->e[S->bestfix[t]].d;
  }
  r->bound_scaled = ub;
  r->upper_bound = (double)ub / AS_SCALE;
  r->gap = (double)(ub - r->objective_scaled) / AS_SCALE;
  r->optimal = ub == r->objective_scaled;
  rc = simple_bound(S, &r->simple_bound);
done:
  free(used);
  return rc;
}

int as_solve(const as_problem *p, as_result **ppOut, char *errmsg, size_t nerrmsg) {
  int rc = AS_OK;
  solver S;
  as_result *r = NULL;
  int64_t maxarc = 0, B = 0, ub = 0;
  double theta = -HUGE_VAL;
  long nb = 0;
  memset(&S, 0, sizeof(S));
  if (errmsg && nerrmsg) errmsg[0] = 0;
  if (!ppOut) return errf(errmsg, nerrmsg, AS_EINVAL, "ppOut is NULL");
  *ppOut = NULL;
  if (!p) return errf(errmsg, nerrmsg, AS_EINVAL, "problem is NULL");
  if ((rc = check_problem(p, errmsg, nerrmsg))) return rc;
  S.p = p;
  S.T = p->ntasks;
  S.A = p->nagents;
  r = calloc(1, sizeof(*r));
  S.nfixed = calloc((size_t)S.T + 1, sizeof(int));
  S.fixlead = calloc((size_t)S.T + 1, sizeof(int));
  S.bestfix = calloc((size_t)S.T + 1, sizeof(int));
  S.slots = calloc((size_t)S.T + 1, sizeof(int));
  S.must = calloc((size_t)S.T + 1, sizeof(int));
  S.capleft = calloc((size_t)S.A + 1, sizeof(int));
  if (!r || !S.nfixed || !S.fixlead || !S.bestfix || !S.slots || !S.must || !S.capleft) {
    rc = AS_ENOMEM;
    goto done;
  }
  r->max_matched = -1;
  r->bottleneck_task = -1;
  if ((rc = canon_edges(&S)) || (rc = apply_fixed(&S, r)) || !r->feasible) goto done;
  if (p->objective == AS_FAIR) {
    if ((rc = fair_levels(&S, r, &theta, &nb))) goto done;
    /* B exceeds any total the non-bonus arcs can add: R_t slots each worth
    ** at most the task's best M+D. */
    B = 1;
    for (int t = 0; t < S.T; t++) {
      int64_t best = 0;
      for (int i = S.tstart[t]; i < S.tstart[t + 1]; i++)
        if (S.e[i].m + S.e[i].d > best) best = S.e[i].m + S.e[i].d;
      if ((double)B + (double)best * S.slots[t] > 1e17) {
        rc = AS_ERANGE;
        goto done;
      }
      B += best * S.slots[t];
    }
  }
  if ((rc = build_network(&S, p->objective == AS_FAIR, theta, B, &maxarc)) ||
      (rc = min_cost_flow(&S)) || (rc = dual_bound(&S, &ub)))
    goto done;
  if (p->objective == AS_FAIR) ub -= B * (int64_t)nb;
  rc = finish(&S, r, ub);
  r->searches = S.searches;
done:
  if (rc == AS_ENOMEM) errf(errmsg, nerrmsg, rc, "out of memory");
  if (rc == AS_ERANGE)
    errf(errmsg, nerrmsg, rc, "scores x weights too large for exact 64-bit costs; scale the scores down");
  flow_clear(&S);
  free(S.e), free(S.tstart), free(S.nfixed), free(S.fixlead), free(S.bestfix);
  free(S.slots), free(S.must), free(S.capleft);
  if (rc) as_result_free(r);
  else *ppOut = r;
  return rc;
}
