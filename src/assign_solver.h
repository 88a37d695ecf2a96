/*
** assign_solver.h — exact assignment of experts to 揭榜挂帅 challenge tasks.
**
** Interface to code in assign_solver.c. The module is self-contained (libc
** and libm only, no SQLite, no other engine header) so the matcher, the CLI
** and the tests can feed it any candidate list.
**
** The problem. T tasks (challenges): task t wants exactly one lead and up to
** members[t] members. A agents (experts): agent a takes at most capacity[a]
** slots in total, lead or member, and at most one slot per task. Only the
** listed edges (t, a, score >= 0) may be used; an edge flagged forbidden or
** scoring below min_score never is. Fixed edges are staff decisions that
** must appear in the solution (AS_EDGE_FIXED_LEAD: as the task's lead). A
** task without a lead is unmatched and then has no members.
**
** The value of a task is lead_weight x (its lead's score) + member_weight x
** (each member's score). lead_weight >= member_weight is required: then the
** lead of every task is its highest-scoring agent (unless staff fixed the
** lead), ties to the lower agent index.
**   AS_TOTAL  maximizes the sum of the task values. An assignment that adds
**             nothing (score 0, or member_weight 0 for members) is not made.
**   AS_FAIR   maximizes, in this order: the number of tasks with a lead; the
**             lowest lead score among them; the sum of the task values.
** Both are solved exactly (min-cost flow; see assign_solver.c), on scores
** rounded to 1e-6, and come with an independent dual bound.
**
** Ownership: as_solve() transfers the as_result to the caller, who releases
** it with as_result_free() (which accepts NULL). The problem and every array
** it points to are borrowed for the duration of the call only.
**
** Determinism: the output depends only on the set of (task, agent) edges and
** the options, not on the order of the edge array. Among equally good
** solutions the choice is fixed by one rule, the same every run: tasks are
** served in index order and each task's candidates are scanned in agent
** order; a lead ties to the lower agent index.
*/
#ifndef JB_ASSIGN_SOLVER_H
#define JB_ASSIGN_SOLVER_H

#include <stddef.h>
#include <stdint.h>

/* Return codes of as_solve(). Infeasible fixed edges are not an error: they
** are an answer (as_result.feasible == 0, with the conflicts). */
#define AS_OK 0
#define AS_EINVAL 1  /* the problem breaks a rule below; the message says which */
#define AS_ENOMEM 2
#define AS_ERANGE 3  /* scores x weights too large for exact 64-bit costs */

/* Edge flags. */
#define AS_EDGE_FORBIDDEN 1u   /* listed but never used (conflict of interest) */
#define AS_EDGE_FIXED 2u       /* must be in the solution; role chosen by the solver */
#define AS_EDGE_FIXED_LEAD 4u  /* must be in the solution as the lead (implies FIXED) */

typedef struct as_edge {
  int task;          /* 0 .. ntasks-1 */
  int agent;         /* 0 .. nagents-1 */
  double score;      /* finite, 0 <= score <= AS_MAX_SCORE */
  unsigned flags;    /* AS_EDGE_* */
} as_edge;

/* Scores are scaled to integers at 1e-6 resolution; 1e6 keeps a score x
** weight x 1e6 far below 2^63 even when summed over millions of arcs. */
#define AS_MAX_SCORE 1e6

typedef enum as_objective { AS_TOTAL = 0, AS_FAIR = 1 } as_objective;

/* Start from as_problem_init(): it sets the defaults named below. Several
** edges for the same (task, agent) are merged into one: the highest score,
** forbidden if any is, fixed if any is, fixed as lead if any is. */
typedef struct as_problem {
  int ntasks;
  const int *members;      /* members[t] >= 0; NULL: 0 for every task */
  int nagents;
  const int *capacity;     /* capacity[a] >= 0; NULL: 1 for every agent */
  const as_edge *edges;
  size_t nedges;
  double min_score;        /* default 0: edges scoring less are never used */
  double lead_weight;      /* default 1.0; must be >= member_weight */
  double member_weight;    /* default 1.0; must be >= 0 */
  as_objective objective;  /* default AS_TOTAL */
} as_problem;

void as_problem_init(as_problem *p);

typedef enum as_role { AS_LEAD = 0, AS_MEMBER = 1 } as_role;

typedef struct as_pair {
  int task, agent;
  as_role role;
  double score;
  int fixed;         /* 1 when the edge was fixed by staff */
} as_pair;

/* Why a task got no lead. */
typedef enum as_why {
  AS_WHY_ABSENT = 1,     /* no candidate edge at all */
  AS_WHY_FORBIDDEN,      /* every candidate is forbidden */
  AS_WHY_BELOW_MIN,      /* every allowed candidate scores below min_score */
  AS_WHY_CAPACITY,       /* every usable candidate is used to capacity elsewhere */
  AS_WHY_NO_GAIN         /* a free candidate exists but would add nothing (score 0) */
} as_why;

typedef struct as_unmatched {
  int task;
  as_why why;
} as_unmatched;

/* A reason fixed edges cannot all hold; relax one of them. */
typedef enum as_conflict_kind {
  AS_CONFLICT_AGENT_CAPACITY = 1, /* agent fixed to `count` tasks, capacity `limit` */
  AS_CONFLICT_TWO_LEADS,          /* task has `count` edges fixed as lead, limit 1 */
  AS_CONFLICT_TASK_SLOTS,         /* task has `count` fixed edges, slots `limit` (1+members) */
  AS_CONFLICT_FIXED_FORBIDDEN,    /* the fixed edge (task, agent) is forbidden */
  AS_CONFLICT_FIXED_BELOW_MIN     /* the fixed edge (task, agent) scores below min_score */
} as_conflict_kind;

typedef struct as_conflict {
  as_conflict_kind kind;
  int task;          /* -1 when the conflict is about an agent only */
  int agent;         /* -1 when the conflict is about a task only */
  int count, limit;  /* 0 when not applicable */
} as_conflict;

typedef struct as_result {
  int feasible;              /* 0: fixed edges conflict; only `conflicts` is filled */
  as_conflict *conflicts;    /* sorted by kind, then task, then agent */
  size_t nconflicts;

  as_pair *pairs;            /* sorted by task; each task's lead first, then members by agent */
  size_t npairs;
  as_unmatched *unmatched;   /* tasks without a lead, in task order */
  size_t nunmatched;
  int *agents_full;          /* agents with capacity > 0 used to capacity, ascending */
  size_t nagents_full;
  int *tasks_full;           /* tasks with all 1+members slots taken, ascending */
  size_t ntasks_full;

  int matched;               /* tasks with a lead */
  double objective;          /* sum of task values, from the unrounded scores */
  double min_lead_score;     /* lowest lead score over matched tasks; 0 if none */
  int bottleneck_task;       /* a matched task with that lead score (lowest index); -1 if none */
  int max_matched;           /* AS_FAIR: most tasks that can have a lead; else -1 */

  /* Certificate. upper_bound is the LP dual bound computed from the node
  ** potentials alone (not from the assignment); for this network the LP
  ** optimum is integral, so gap is 0 and optimal is 1 unless the solver is
  ** wrong. Both are on the 1e-6-rounded scores, as is objective_scaled.
  ** Under AS_FAIR they bound the total among assignments that reach
  ** max_matched leads all scoring >= min_lead_score. simple_bound (each
  ** task's best 1+members candidates, ignoring capacities) is a cruder
  ** bound any solution respects, useful to judge how tight capacities are. */
  int64_t objective_scaled, bound_scaled;
  double upper_bound, gap, simple_bound;
  int optimal;

  long searches;             /* shortest-path searches run (for tuning) */
} as_result;

/* Solves p. On AS_OK *ppOut holds a new result (owned by the caller, free
** with as_result_free), feasible or not. On any other code *ppOut is NULL and,
** when errmsg is not NULL, errmsg[0..nerrmsg) holds a complete message such
** as "edge 12: agent 40 out of range (nagents 40)". */
int as_solve(const as_problem *p, as_result **ppOut, char *errmsg, size_t nerrmsg);

void as_result_free(as_result *r);

/* Static English names, never NULL: "no candidate", "agent over capacity". */
const char *as_why_str(as_why why);
const char *as_conflict_str(as_conflict_kind kind);

#endif
