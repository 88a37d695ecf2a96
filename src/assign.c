/*
** assign.c — 揭榜挂帅 proposals and talent placement: the matcher scores
** every task's candidates, assign_solver.c picks the exactly optimal set of
** pairs under capacities, conflicts, staff decisions and a minimum score,
** and this file explains the result and records how it was made.
**
** Tasks are challenges (needs: one lead plus team_size members) or
** placement targets (an enterprise or an industry chain wanting `quota`
** people). Candidates are experts, optionally only those of one program
** (科技特派员) or region. A conflict of interest is an edge the solver may
** never use, so an unmatched task can say "every candidate conflicts".
*/
#include "assign_solver.h"
#include "need.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MIN_SCORE 0.1 /* well above the match floor: weak pairs are not forced */
#define DEFAULT_CANDIDATES 50
/* A team member must be relevant to the challenge on his own: he scores at
** least MEMBER_FLOOR_ABS (1.5 x the default minimum a lead needs) and at
** least MEMBER_FLOOR_REL of the lead's score. On the 2021 list the members
** below 0.45 of their lead were the fillers staff flagged (a medicinal-plant
** breeder for 禾花鲤 breeding at 0.39, a forest-economy expert for 油茶
** disease control at 0.39), the ones at 0.45-0.55 were relevant; below 0.15
** the evidence shares only generic words with the challenge. A seat no one
** clears stays open and is reported with its best candidates. */
#define MEMBER_FLOOR_ABS 0.15
#define MEMBER_FLOOR_REL 0.45

typedef struct staff_pair {
  int task, agent;
  unsigned flags;
} staff_pair;

typedef struct staff {
  staff_pair *v;
  int n;
} staff;

/* A task is a need (need.c loads it), or a placement target made into one:
** an enterprise (its profile and open needs; it owns the task, so its own
** staff and declared conflicts are excluded) or an industry chain. */
typedef struct task {
  nd_need n;
  const char *kind;    /* "need", "org", "chain" */
  int members;
} task;

typedef struct arun {
  jb_db *db;
  const jb_assign_opts *o;
  jb_match_index *mx;
  mx_weights w;
  task *t;
  int nt;
  int *agent_of_unit;  /* unit -> agent index, -1 */
  uint32_t *unit_of_agent;
  int nagents;
  int *capacity;
  as_edge *e;
  size_t ne, cape;
  cJSON *inputs;       /* manifest: files and their hashes */
  double *lead_score;  /* per task: its lead's score in the first solution (member floors) */
  int *lead_agent;     /* per task: that lead, -1 for none */
  staff fixes, forbids;/* staff decisions: pairs that must stay, pairs never to make */
  int unreadable;      /* a pair's evidence could not be read: the proposal fails */
} arun;

static char *dupcol(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? jb_strdup((const char *)s) : NULL;
}

static void task_free(task *t) { nd_free(&t->n); }

static task *task_add(arun *r) {
  task *nt = realloc(r->t, sizeof(task) * (size_t)(r->nt + 1));
  if (!nt) return NULL;
  r->t = nt;
  memset(&r->t[r->nt], 0, sizeof(task));
  return &r->t[r->nt++];
}

/* Hash of an input file for the manifest; NULL path is skipped. */
static void record_input(arun *r, const char *role, const char *path) {
  if (!path) return;
  FILE *f = fopen(path, "rb");
  cJSON *x = cJSON_CreateObject();
  cJSON_AddStringToObject(x, "role", role);
  cJSON_AddStringToObject(x, "file", path);
  if (f) {
    jb_sha256 c;
    jb_sha256_init(&c);
    char buf[65536], hex[65];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) jb_sha256_update(&c, buf, n);
    fclose(f);
    jb_sha256_final(&c, hex);
    cJSON_AddStringToObject(x, "sha256", hex);
  }
  cJSON_AddItemToArray(r->inputs, x);
}

/* Reads a small table of pairs/values: a CSV (quoted fields allowed) or the
** first sheet of an .xlsx (a proposal staff edited in Excel). A header row
** whose first field is not an id is skipped when it names the columns; for
** staff files (--fix, --forbid) a header in Chinese or English also puts
** the columns in the order need, expert, role, accept, wherever they are.
** cb gets each row. */
typedef int (*row_cb)(arun *r, char **f, int n, long line, const char *path, jb_error *err);

static const struct {
  const char *name;
  int pos;
} staff_columns[] = {{"need", 0}, {"task", 0}, {"需求编号", 0}, {"任务编号", 0}, {"expert", 1},
                     {"专家编号", 1}, {"role", 2}, {"角色", 2}, {"accept", 3}, {"是否接受", 3},
                     {"接受", 3}, {"是否同意", 3}};

/* The staff column a header names, or -1. */
static int staff_column(const char *h) {
  for (int i = 0; i < JB_ARRAY_LEN(staff_columns); i++)
    if (!strcmp(h, staff_columns[i].name)) return staff_columns[i].pos;
  return -1;
}

typedef struct rows_run {
  arun *r;
  const char *path;
  row_cb cb;
  int staff;
  int map[4];      /* staff file: the column of need, expert, role, accept; -1 none */
  int mapped;
  int header_seen;
} rows_run;

static jb_status one_row(rows_run *rr, char **fields, int n, long line, jb_error *err) {
  for (int i = 0; i < n; i++) {
    char *t = fields[i];
    while (*t == ' ') t++;
    size_t l = strlen(t);
    while (l && t[l - 1] == ' ') t[--l] = 0;
    fields[i] = t;
  }
  if (n && !strncmp(fields[0], "\xEF\xBB\xBF", 3)) fields[0] += 3;
  int blank = 1;
  for (int i = 0; i < n && blank; i++) blank = !*fields[i];
  if (blank || fields[0][0] == '#') return JB_OK;
  if (!rr->header_seen) {
    rr->header_seen = 1;
    int named = 0;
    for (int k = 0; k < 4; k++) rr->map[k] = -1;
    for (int i = 0; i < n; i++) {
      int pos = staff_column(fields[i]);
      if (pos >= 0 && rr->map[pos] < 0) rr->map[pos] = i, named++;
    }
    if (rr->staff && named >= 2 && rr->map[0] >= 0 && rr->map[1] >= 0) {
      rr->mapped = 1;
      return JB_OK;
    }
    if (!strcmp(fields[0], "need") || !strcmp(fields[0], "task") || !strcmp(fields[0], "expert") ||
        !strcmp(fields[0], "id") || !strcmp(fields[0], "org") || !strcmp(fields[0], "chain"))
      return JB_OK; /* header */
  }
  if (rr->mapped) {
    char *f[4];
    int m = rr->map[3] >= 0 ? 4 : rr->map[2] >= 0 ? 3 : 2;
    for (int k = 0; k < 4; k++) f[k] = rr->map[k] >= 0 && rr->map[k] < n ? fields[rr->map[k]] : "";
    return (jb_status)rr->cb(rr->r, f, m, line, rr->path, err);
  }
  return (jb_status)rr->cb(rr->r, fields, n, line, rr->path, err);
}

static int has_xlsx_ext(const char *path) {
  size_t n = strlen(path);
  return n > 5 && !strcasecmp(path + n - 5, ".xlsx");
}

static jb_status read_rows_as(arun *r, const char *path, row_cb cb, int staff_file, jb_error *err) {
  rows_run rr = {r, path, cb, staff_file, {-1, -1, -1, -1}, 0, 0};
  jb_status rc = JB_OK;
  if (has_xlsx_ext(path)) {
    jb_sheet *sh = NULL;
    int ns = 0;
    if ((rc = jb_xlsx_read(path, &sh, &ns, err))) return rc;
    for (long i = 0; ns && !rc && i < sh[0].nrows; i++) {
      jb_sheet_row *row = &sh[0].rows[i];
      char *fields[16];
      int n = row->n < 16 ? row->n : 16;
      for (int c = 0; c < n; c++) fields[c] = row->cells[c] ? row->cells[c] : "";
      rc = one_row(&rr, fields, n, row->r, err);
    }
    jb_sheets_free(sh, ns);
    return rc;
  }
  /* a directory or an unreadable file is an error, never an empty list */
  FILE *f = jb_input_open(path, err);
  if (!f) return err && err->code ? err->code : JB_ERR_IO;
  jb_csv *csv = NULL;
  if (jb_csv_open(f, &csv)) {
    fclose(f);
    return JB_ERR_NOMEM;
  }
  char **fields;
  int n, got;
  long line;
  while (!rc && (got = jb_csv_next(csv, &fields, &n, &line)) != 0) {
    if (got < 0) {
      jb_err_at(err, (jb_status)-got, path, line, NULL, "%s", jb_msg(JB_MSG_IMP_UNTERMINATED));
      rc = (jb_status)-got;
      break;
    }
    rc = one_row(&rr, fields, n < 16 ? n : 16, line, err);
  }
  jb_csv_free(csv);
  jb_status rrc = jb_input_close(f, path, err);
  return rc ? rc : rrc;
}

static jb_status read_rows(arun *r, const char *path, row_cb cb, jb_error *err) {
  return read_rows_as(r, path, cb, 0, err);
}

/* ---------------------------------------------------------------- tasks */

/* Adds the needs as tasks (taking them over; v is freed). */
static jb_status add_need_tasks(arun *r, nd_need *v, int n) {
  jb_status rc = JB_OK;
  for (int i = 0; i < n; i++) {
    task *t = rc ? NULL : task_add(r);
    if (!t) {
      rc = JB_ERR_NOMEM;
      nd_free(&v[i]);
      continue;
    }
    t->n = v[i];
    t->kind = "need";
    t->members = v[i].team_size;
  }
  free(v);
  return rc;
}

/* The needs named in a file, one id a line. */
static jb_status needs_from_file(arun *r, const char *path, jb_error *err) {
  FILE *f = jb_input_open(path, err);
  if (!f) return err && err->code ? err->code : JB_ERR_IO;
  char *line = NULL;
  size_t cap = 0;
  long lineno = 0;
  jb_status rc = JB_OK;
  while (!rc && getline(&line, &cap, f) >= 0) {
    lineno++;
    char *p = line;
    if (lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    p[strcspn(p, "\r\n,\t")] = 0;
    while (*p == ' ') p++;
    if (!*p || *p == '#' || (lineno == 1 && (!strcmp(p, "need") || !strcmp(p, "id")))) continue;
    nd_need *v = malloc(sizeof(nd_need));
    if (!v) { rc = JB_ERR_NOMEM; break; }
    rc = nd_load(r->db, r->mx, p, v, err);
    if (rc == JB_ERR_NOTFOUND) jb_err_at(err, rc, path, lineno, NULL, "no need with id '%s'", p);
    if (rc) free(v);
    else rc = add_need_tasks(r, v, 1);
  }
  free(line);
  jb_status rrc = jb_input_close(f, path, err);
  return rc ? rc : rrc;
}

static jb_status load_need_tasks(arun *r, jb_error *err) {
  const jb_assign_opts *o = r->o;
  if (o->needs_file) {
    record_input(r, "needs", o->needs_file);
    return needs_from_file(r, o->needs_file, err);
  }
  nd_need *v = NULL;
  int n = 0;
  const char *bind[1] = {o->list};
  jb_status rc = nd_load_where(r->db, r->mx,
                               o->list ? "WHERE n.list = ?1 AND n.status = 'open' ORDER BY n.id"
                                       : "WHERE n.status = 'open' ORDER BY n.id",
                               bind, o->list ? 1 : 0, &v, &n, err);
  if (rc) return rc;
  if (!n) {
    free(v);
    jb_err_set(err, JB_ERR_NOTFOUND, o->list ? "no open need is on the list '%s'" : "no open needs%s",
               o->list ? o->list : "");
    return JB_ERR_NOTFOUND;
  }
  return add_need_tasks(r, v, n);
}

/* An enterprise as a placement target: its profile and its open needs. */
static jb_status org_task(arun *r, const char *id, int quota, const char *path, long line, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(r->db,
                    "SELECT o.id, o.name, coalesce(o.description, ''), o.keywords, o.chains, o.region,"
                    " (SELECT group_concat(title || '。' || coalesce(text, ''), '。') FROM need"
                    "  WHERE org = o.id AND status = 'open') FROM org o WHERE o.id = ?1",
                    &st, err))
    return JB_ERR_DB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  jb_status rc = JB_OK;
  int got = jb_step(st, "an organization", err);
  if (got < 0) {
    rc = (jb_status)-got;
  } else if (!got) {
    jb_err_at(err, JB_ERR_NOTFOUND, path, line, NULL, "no organization with id '%s'", id);
    rc = JB_ERR_NOTFOUND;
  } else {
    task *t = task_add(r);
    if (!t) rc = JB_ERR_NOMEM;
    else {
      t->kind = "org";
      t->n.id = dupcol(st, 0);
      t->n.title = dupcol(st, 1);
      t->n.org_name = dupcol(st, 1);
      jb_buf b = {0};
      jb_buf_printf(&b, "%s。%s", sqlite3_column_text(st, 2), sqlite3_column_text(st, 6) ? (const char *)sqlite3_column_text(st, 6) : "");
      t->n.text = b.p;
      const char *kw = (const char *)sqlite3_column_text(st, 3);
      t->n.keywords = kw ? cJSON_Parse(kw) : NULL;
      t->n.chains = mx_chains_from_json(r->db, (const char *)sqlite3_column_text(st, 4));
      t->n.org = dupcol(st, 0);
      t->n.region = dupcol(st, 5);
      t->members = quota > 0 ? quota - 1 : 0;
      if (nd_add_owner(&t->n, t->n.org)) rc = JB_ERR_NOMEM;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

static jb_status chain_task(arun *r, const char *name, int quota, const char *path, long line, jb_error *err) {
  const jb_chain *c = jb_lexicon_find_chain(r->db->lex, name);
  if (!c) {
    jb_err_at(err, JB_ERR_NOTFOUND, path, line, NULL, "unknown industry chain '%s'", name);
    return JB_ERR_NOTFOUND;
  }
  task *t = task_add(r);
  if (!t) return JB_ERR_NOMEM;
  t->kind = "chain";
  t->n.id = jb_strdup(c->name);
  t->n.title = jb_strdup(c->name);
  jb_buf b = {0};
  for (int i = 0; i < c->nkeywords; i++) jb_buf_printf(&b, "%s%s", i ? "；" : "", c->keywords[i]);
  t->n.text = b.p ? b.p : jb_strdup("");
  for (int i = 0; i < jb_lexicon_nchains(r->db->lex) && i < 64; i++)
    if (jb_lexicon_chain(r->db->lex, i) == c) t->n.chains = 1ULL << i;
  t->members = quota > 0 ? quota - 1 : 0;
  return JB_OK;
}

static int target_row(arun *r, char **f, int n, long line, const char *path, jb_error *err) {
  int quota = n > 1 ? atoi(f[1]) : 1;
  if (quota < 1 || quota > 50) {
    jb_err_at(err, JB_ERR_INVALID, path, line, "quota", "must be 1..50, got '%s'", n > 1 ? f[1] : "");
    return JB_ERR_INVALID;
  }
  if (jb_lexicon_find_chain(r->db->lex, f[0])) return chain_task(r, f[0], quota, path, line, err);
  return org_task(r, f[0], quota, path, line, err);
}

static jb_status load_targets(arun *r, jb_error *err) {
  const char *tg = r->o->targets;
  if (!strcmp(tg, "orgs") || !strcmp(tg, "enterprises")) {
    sqlite3_stmt *st = NULL;
    if (jb_db_prepare(r->db, "SELECT id FROM org WHERE kind = 'enterprise' ORDER BY id", &st, err)) return JB_ERR_DB;
    jb_status rc = JB_OK;
    int got = 0;
    while (!rc && (got = jb_step(st, "the enterprises", err)) > 0) {
      char *id = dupcol(st, 0);
      rc = org_task(r, id, 1, NULL, 0, err);
      free(id);
    }
    if (!rc && got < 0) rc = (jb_status)-got;
    sqlite3_finalize(st);
    return rc;
  }
  if (!strcmp(tg, "chains")) {
    jb_status rc = JB_OK;
    for (int i = 0; i < jb_lexicon_nchains(r->db->lex) && !rc; i++)
      rc = chain_task(r, jb_lexicon_chain(r->db->lex, i)->name, 1, NULL, 0, err);
    return rc;
  }
  record_input(r, "targets", tg);
  return read_rows(r, tg, target_row, err);
}

/* ---------------------------------------------------------------- edges */

static int edge_by_score(const void *x, const void *y) {
  const as_edge *a = x, *b = y;
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  if (a->task != b->task) return a->task < b->task ? -1 : 1;
  return (a->agent > b->agent) - (a->agent < b->agent);
}

static int edge_by_pair(const void *x, const void *y) {
  const as_edge *a = x, *b = y;
  if (a->task != b->task) return a->task < b->task ? -1 : 1;
  if (a->agent != b->agent) return a->agent < b->agent ? -1 : 1;
  return a->score > b->score ? -1 : a->score < b->score;
}

static int edge_add(arun *r, int task_i, int agent, double score, unsigned flags) {
  if (r->ne == r->cape) {
    size_t cap = r->cape ? r->cape * 2 : 1024;
    as_edge *e = realloc(r->e, sizeof(as_edge) * cap);
    if (!e) return -1;
    r->e = e;
    r->cape = cap;
  }
  r->e[r->ne].task = task_i;
  r->e[r->ne].agent = agent;
  r->e[r->ne].score = score > AS_MAX_SCORE ? AS_MAX_SCORE : score;
  r->e[r->ne].flags = flags;
  r->ne++;
  return 0;
}

static int eligible(arun *r, const mx_unit *u, const char *const *prog_ids, int nprog) {
  if (u->type != MX_EXPERT) return 0;
  if (r->o->region && (!u->region || strncmp(u->region, r->o->region, strlen(r->o->region)))) return 0;
  if (prog_ids) {
    int lo = 0, hi = nprog;
    while (lo < hi) {
      int mid = (lo + hi) / 2, c = strcmp(prog_ids[mid], u->id);
      if (!c) return 1;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return 0;
  }
  return 1;
}

static int task_index(arun *r, const char *id) {
  for (int i = 0; i < r->nt; i++)
    if (!strcmp(r->t[i].n.id, id)) return i;
  return -1;
}

static int agent_index(arun *r, const char *id) {
  int ui = mx_unit_find(r->mx, MX_EXPERT, id);
  return ui < 0 ? -1 : r->agent_of_unit[ui];
}

static int staff_row(arun *r, char **f, int n, long line, const char *path, jb_error *err, int fix) {
  if (n < 2) {
    jb_err_at(err, JB_ERR_INVALID, path, line, NULL, "expected need,expert[,role][,accept]");
    return JB_ERR_INVALID;
  }
  /* an accept column: yes keeps (fix), no forbids, blank is undecided;
  ** any other word is refused, never ignored: staff must not believe a
  ** decision was applied when it was not */
  /* the proposal's roles in either language: 牵头 is lead, 成员 member */
  if (n > 2 && (!strcmp(f[2], "牵头") || !strcmp(f[2], "负责人"))) f[2] = "lead";
  if (n > 2 && (!strcmp(f[2], "成员") || !strcmp(f[2], "参与"))) f[2] = "member";
  if (n > 2 && (!strcmp(f[2], "未配对") || !strcmp(f[2], "unmatched"))) return JB_OK; /* an unmatched task */
  int role_given = n > 2 && (!strcmp(f[2], "lead") || !strcmp(f[2], "member") || !*f[2]);
  const char *accept = n > 3 ? f[3] : (n > 2 && !role_given ? f[2] : NULL);
  const char *near = NULL;
  int verdict = accept ? jb_accept_value(accept, &near) : 1;
  if (verdict == -2) {
    char dym[200] = "";
    if (near) snprintf(dym, sizeof(dym), jb_msg(JB_MSG_REC_DID_YOU_MEAN), near);
    jb_err_at(err, JB_ERR_INVALID, path, line, jb_msg(JB_MSG_ASSIGN_ACCEPT_COLUMN), jb_msg(JB_MSG_ASSIGN_ACCEPT_BAD),
              accept, dym);
    return JB_ERR_INVALID;
  }
  int yes = verdict == 1, no = verdict == 0;
  if (fix && !yes && !no) return JB_OK;
  staff *dst = fix && yes ? &r->fixes : &r->forbids;
  int ti = task_index(r, f[0]), ai = agent_index(r, f[1]);
  if (ti < 0) {
    jb_err_at(err, JB_ERR_NOTFOUND, path, line, NULL, "'%s' is not a task of this run", f[0]);
    return JB_ERR_NOTFOUND;
  }
  if (ai < 0) {
    jb_err_at(err, JB_ERR_NOTFOUND, path, line, NULL, "'%s' is not a candidate expert of this run", f[1]);
    return JB_ERR_NOTFOUND;
  }
  staff_pair *v = realloc(dst->v, sizeof(staff_pair) * (size_t)(dst->n + 1));
  if (!v) return JB_ERR_NOMEM;
  dst->v = v;
  unsigned flags = dst == &r->forbids ? AS_EDGE_FORBIDDEN
                   : (n > 2 && !strcmp(f[2], "lead")) ? (AS_EDGE_FIXED | AS_EDGE_FIXED_LEAD) : AS_EDGE_FIXED;
  dst->v[dst->n++] = (staff_pair){ti, ai, flags};
  return JB_OK;
}

static int fix_row(arun *r, char **f, int n, long line, const char *path, jb_error *err) {
  return staff_row(r, f, n, line, path, err, 1);
}

static int forbid_row(arun *r, char **f, int n, long line, const char *path, jb_error *err) {
  return staff_row(r, f, n, line, path, err, 0);
}

/* Staff decisions given as JSON ([{"need","expert","role"?}]) go through the
** same rules as the CSV rows: entry i is "line" i+1 of `what`. */
static jb_status staff_json(arun *r, const cJSON *arr, const char *what, int fix, jb_error *err) {
  if (!cJSON_IsArray(arr)) {
    jb_err_set(err, JB_ERR_USAGE, "%s: a list of {\"need\", \"expert\", \"role\"?}", what);
    return JB_ERR_USAGE;
  }
  long line = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    line++;
    const cJSON *nd = cJSON_GetObjectItemCaseSensitive(it, "need");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(it, "expert");
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(it, "role");
    if (!cJSON_IsString(nd) || !cJSON_IsString(ex) || (ro && !cJSON_IsString(ro))) {
      jb_err_at(err, JB_ERR_USAGE, what, line, NULL, "expected {\"need\", \"expert\", \"role\"?} with strings");
      return JB_ERR_USAGE;
    }
    char *f[3] = {nd->valuestring, ex->valuestring, ro ? ro->valuestring : NULL};
    jb_status rc = (jb_status)staff_row(r, f, ro ? 3 : 2, line, what, err, fix);
    if (rc) return rc;
  }
  return JB_OK;
}

/* What is left of capacity c for a new pairing: pairings the expert has
** accepted or is under contract for (outcomes) use part of it. */
static int free_capacity(const arun *r, uint32_t unit, int c) {
  int left = c - r->mx->units[unit].engaged;
  return left > 0 ? left : 0;
}

static int cap_row(arun *r, char **f, int n, long line, const char *path, jb_error *err) {
  int ai = n >= 2 ? agent_index(r, f[0]) : -1;
  if (ai < 0) {
    jb_err_at(err, JB_ERR_NOTFOUND, path, line, NULL, "expected expert,capacity with a candidate expert, got '%s'",
              n ? f[0] : "");
    return JB_ERR_NOTFOUND;
  }
  int c = atoi(f[1]);
  if (c < 0 || c > 100) {
    jb_err_at(err, JB_ERR_INVALID, path, line, "capacity", "must be 0..100, got '%s'", f[1]);
    return JB_ERR_INVALID;
  }
  r->capacity[ai] = free_capacity(r, r->unit_of_agent[ai], c);
  return JB_OK;
}

static unsigned staff_flags(const arun *r, int ti, int ai) {
  unsigned fl = 0;
  for (int i = 0; i < r->forbids.n; i++)
    if (r->forbids.v[i].task == ti && r->forbids.v[i].agent == ai) fl |= r->forbids.v[i].flags;
  for (int i = 0; i < r->fixes.n; i++)
    if (r->fixes.v[i].task == ti && r->fixes.v[i].agent == ai) fl |= r->fixes.v[i].flags;
  return fl;
}

/* Program membership, from the records (the index keeps only two groups). */
static char **program_members(arun *r, int *n, jb_error *err) {
  *n = 0;
  if (!r->o->program) return NULL;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(r->db,
                    "SELECT e.id FROM expert e, json_each(e.programs) p WHERE p.value = ?1 ORDER BY e.id", &st, err))
    return NULL;
  sqlite3_bind_text(st, 1, r->o->program, -1, SQLITE_STATIC);
  char **v = NULL;
  int got, bad = 0;
  while ((got = jb_step(st, "the program's experts", err)) > 0) {
    char **nv = realloc(v, sizeof(char *) * (size_t)(*n + 1));
    if (!nv || !(nv[*n] = dupcol(st, 0))) {
      if (nv) v = nv;
      jb_err_set(err, JB_ERR_NOMEM, "out of memory");
      bad = 1;
      break;
    }
    v = nv;
    (*n)++;
  }
  sqlite3_finalize(st);
  if (got < 0 || bad) {
    /* a shorter list would silently leave experts out of the placement */
    for (int i = 0; i < *n; i++) free(v[i]);
    free(v);
    *n = 0;
    return NULL;
  }
  if (!*n) {
    v = malloc(sizeof(char *)); /* an empty, non-NULL list: nobody qualifies */
  }
  return v;
}

/* ----------------------------------------------------------- reporting */

static cJSON *explain_pair(arun *r, mx_scratch *s, const mx_hit *hits, const int *ranks, int nh, int ti, int ai,
                           const char *role) {
  uint32_t unit = r->unit_of_agent[ai];
  const mx_unit *u = &r->mx->units[unit];
  cJSON *p = NULL;
  for (int i = 0; i < nh; i++)
    if (hits[i].unit == unit) {
      p = mx_hit_json(r->db, r->mx, s, &r->w, &hits[i], ranks[i], r->t[ti].n.org, 1, &r->mx->supply);
      if (!p) r->unreadable = 1;
      break;
    }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, !strcmp(r->t[ti].kind, "need") ? "need" : "target", r->t[ti].n.id);
  cJSON_AddStringToObject(o, "title", r->t[ti].n.title ? r->t[ti].n.title : "");
  cJSON_AddStringToObject(o, "expert", u->id);
  cJSON_AddStringToObject(o, "name", u->name ? u->name : u->id);
  if (u->org) cJSON_AddStringToObject(o, "org", u->org);
  /* names beside ids: staff read the proposal, not the database */
  const char *on = u->org ? mx_org_name(r->mx, u->org) : NULL;
  if (on) cJSON_AddStringToObject(o, "org_name", on);
  const char *en = r->t[ti].n.org ? mx_org_name(r->mx, r->t[ti].n.org) : NULL;
  if (r->t[ti].n.org) cJSON_AddStringToObject(o, "enterprise", r->t[ti].n.org);
  if (en) cJSON_AddStringToObject(o, "enterprise_name", en);
  cJSON_AddStringToObject(o, "role", role);
  if (p) {
    cJSON_AddNumberToObject(o, "score", cJSON_GetObjectItem(p, "score")->valuedouble);
    cJSON *why = cJSON_AddObjectToObject(o, "why");
    cJSON_AddNumberToObject(why, "rank_for_task", cJSON_GetObjectItem(p, "rank")->valuedouble);
    const char *keys[] = {"components", "terms", "evidence", "note"};
    for (int k = 0; k < 4; k++) {
      cJSON *x = cJSON_DetachItemFromObject(p, keys[k]);
      if (x) cJSON_AddItemToObject(why, keys[k], x);
    }
    cJSON_Delete(p);
  }
  return o;
}

static const char *why_detail(as_why w) {
  switch (w) {
  case AS_WHY_ABSENT: return jb_msg(JB_MSG_ASSIGN_WHY_ABSENT);
  case AS_WHY_FORBIDDEN: return jb_msg(JB_MSG_ASSIGN_WHY_FORBIDDEN);
  case AS_WHY_BELOW_MIN: return jb_msg(JB_MSG_ASSIGN_WHY_BELOW_MIN);
  case AS_WHY_CAPACITY: return jb_msg(JB_MSG_ASSIGN_WHY_CAPACITY);
  case AS_WHY_NO_GAIN: return jb_msg(JB_MSG_ASSIGN_WHY_NO_GAIN);
  }
  return "";
}

static const char *relax_hint(as_conflict_kind k) {
  switch (k) {
  case AS_CONFLICT_AGENT_CAPACITY: return jb_msg(JB_MSG_ASSIGN_RELAX_CAPACITY);
  case AS_CONFLICT_TWO_LEADS: return jb_msg(JB_MSG_ASSIGN_RELAX_TWO_LEADS);
  case AS_CONFLICT_TASK_SLOTS: return jb_msg(JB_MSG_ASSIGN_RELAX_TASK_SLOTS);
  case AS_CONFLICT_FIXED_FORBIDDEN: return jb_msg(JB_MSG_ASSIGN_RELAX_FIXED_FORBIDDEN);
  case AS_CONFLICT_FIXED_BELOW_MIN: return jb_msg(JB_MSG_ASSIGN_RELAX_FIXED_BELOW_MIN);
  }
  return "";
}

/* A fingerprint of the database content: the data a proposal was made from.
** A read error fails it: a hash of part of the data would certify the wrong
** content. */
static jb_status db_fingerprint(jb_db *db, char hex[65], jb_error *err) {
  static const char *const sql[] = {"SELECT doc FROM org ORDER BY id", "SELECT doc FROM expert ORDER BY id",
                                    "SELECT expert || id || doc FROM evidence ORDER BY expert, id",
                                    "SELECT doc FROM achievement ORDER BY id", "SELECT doc FROM need ORDER BY id",
                                    "SELECT doc FROM relation ORDER BY kind, expert, org"};
  jb_sha256 c;
  jb_sha256_init(&c);
  for (int i = 0; i < JB_ARRAY_LEN(sql); i++) {
    sqlite3_stmt *st = NULL;
    if (jb_db_prepare(db, sql[i], &st, err)) return JB_ERR_DB;
    int got;
    while ((got = jb_step(st, "the records for the proposal's fingerprint", err)) > 0) {
      jb_sha256_update(&c, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
      jb_sha256_update(&c, "\n", 1);
    }
    sqlite3_finalize(st);
    if (got < 0) return (jb_status)-got;
  }
  jb_sha256_final(&c, hex);
  return JB_OK;
}

static cJSON *manifest(arun *r, const as_problem *p, jb_error *err) {
  const jb_assign_opts *o = r->o;
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "jiebang", JB_VERSION);
  char when[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tmv);
  cJSON_AddStringToObject(m, "created", when);
  cJSON *d = cJSON_AddObjectToObject(m, "database");
  cJSON_AddStringToObject(d, "path", r->db->path);
  char *gen = jb_meta_get(r->db, "generation");
  cJSON_AddStringToObject(d, "generation", gen ? gen : "0");
  free(gen);
  char hex[65];
  if (db_fingerprint(r->db, hex, err)) {
    cJSON_Delete(m);
    return NULL;
  }
  cJSON_AddStringToObject(d, "content_sha256", hex);
  char lh[32];
  snprintf(lh, sizeof(lh), "%016llx", (unsigned long long)jb_lexicon_hash(r->db->lex));
  cJSON_AddStringToObject(d, "lexicon", lh);
  cJSON_AddItemToObject(m, "inputs", cJSON_Duplicate(r->inputs, 1));
  cJSON *pa = cJSON_AddObjectToObject(m, "parameters");
  if (o->list) cJSON_AddStringToObject(pa, "list", o->list);
  if (o->open_needs) cJSON_AddBoolToObject(pa, "open", 1);
  if (o->targets) cJSON_AddStringToObject(pa, "targets", o->targets);
  if (o->program) cJSON_AddStringToObject(pa, "program", o->program);
  if (o->region) cJSON_AddStringToObject(pa, "region", o->region);
  cJSON_AddStringToObject(pa, "objective", o->fair ? "fair" : "total");
  cJSON_AddNumberToObject(pa, "min_score", p->min_score);
  if (o->capacity > 0) cJSON_AddNumberToObject(pa, "capacity", o->capacity);
  cJSON_AddNumberToObject(pa, "candidates_per_task", o->candidates > 0 ? o->candidates : DEFAULT_CANDIDATES);
  cJSON_AddItemToObject(pa, "weights", mx_weights_json(&r->w));
  cJSON_AddNumberToObject(m, "tasks", r->nt);
  cJSON_AddNumberToObject(m, "candidate_edges", (double)r->ne);
  return m;
}

/* How many of a task's scored experts to keep: the best candidates plus
** room for conflicts; everyone when a filter or a staff decision may reach
** further down the list. */
static int task_keep(const arun *r, int ti) {
  int has_fix = 0;
  for (int f = 0; f < r->fixes.n; f++) has_fix |= r->fixes.v[f].task == ti;
  return (r->o->program || r->o->region || has_fix) ? 0 : r->o->candidates + 64;
}

/* ------------------------------------------------------ scoring tasks */

/* What the run uses of a task's scored experts, with their ranks in the
** task's whole list, and the query that scored them (to explain them). */
typedef struct scored {
  mx_hit *h;
  int *rank;         /* 1-based rank of h[i] among all the task's hits */
  int n;
  mx_query *q;
} scored;

/* Keeps the best three hits (reported for an unmatched task), the best
** `candidates` eligible ones (the edges) and the staff-fixed experts'. */
static int keep_scored(const arun *r, int ti, const mx_hit *hits, int nh, scored *sc) {
  sc->h = malloc(sizeof(mx_hit) * (size_t)(nh > 0 ? nh : 1));
  sc->rank = malloc(sizeof(int) * (size_t)(nh > 0 ? nh : 1));
  if (!sc->h || !sc->rank) return -1;
  int taken = 0;
  for (int i = 0; i < nh; i++) {
    int ai = r->agent_of_unit[hits[i].unit];
    int use = i < 3;
    if (ai >= 0 && taken < r->o->candidates) {
      use = 1;
      taken++;
    }
    for (int f = 0; f < r->fixes.n && !use && ai >= 0; f++)
      use = r->fixes.v[f].task == ti && r->fixes.v[f].agent == ai;
    if (!use) continue;
    sc->h[sc->n] = hits[i];
    sc->rank[sc->n] = i + 1;
    sc->n++;
  }
  return 0;
}

static void scored_free(scored *sv, int n) {
  for (int i = 0; sv && i < n; i++) {
    free(sv[i].h);
    free(sv[i].rank);
    free(sv[i].q);
  }
  free(sv);
}

/* Tasks are scored independently: worker threads take them one at a time,
** each with its own scratch space and tokenizer (the index and the lexicon
** are only read). The edges are then added in task order, as one thread
** would. */
typedef struct score_pool {
  arun *r;
  scored *out;
  int next, done, failed;
  pthread_mutex_t mu;
} score_pool;

static void *score_worker(void *arg) {
  score_pool *p = arg;
  arun *r = p->r;
  jb_tokenizer *tok = NULL;
  mx_scratch *s = mx_scratch_new(r->mx);
  int ok = s && jb_tokenizer_new(&tok) == JB_OK;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    int ti = p->failed || !ok || jb_interrupted() ? r->nt : p->next++;
    if (!ok) p->failed = 1;
    pthread_mutex_unlock(&p->mu);
    if (ti >= r->nt) break;
    task *t = &r->t[ti];
    mx_hit *hits = NULL;
    int nh = mx_score_need(r->db, r->mx, s, tok, &r->w, &t->n, 1u << MX_EXPERT, task_keep(r, ti), 1, &hits);
    int bad = nh < 0 || keep_scored(r, ti, hits, nh, &p->out[ti]) || !(p->out[ti].q = mx_query_save(s));
    pthread_mutex_lock(&p->mu);
    if (bad) p->failed = 1;
    p->done++;
    if (r->o->on_progress && (p->done % 20 == 0 || p->done == r->nt)) r->o->on_progress(r->o->ctx, p->done, r->nt);
    pthread_mutex_unlock(&p->mu);
  }
  jb_tokenizer_free(tok);
  mx_scratch_free(s);
  return NULL;
}

static jb_status score_tasks(arun *r, scored **pOut, jb_error *err) {
  score_pool p = {r, calloc((size_t)(r->nt ? r->nt : 1), sizeof(scored)), 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
  *pOut = p.out;
  if (!p.out) return JB_ERR_NOMEM;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int nth = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int)ncpu;
  if (nth > r->nt / 4) nth = r->nt / 4 > 0 ? r->nt / 4 : 1; /* a few tasks: not worth a thread */
  pthread_t th[16];
  int started = 0;
  for (int i = 1; i < nth; i++)
    if (!pthread_create(&th[started], NULL, score_worker, &p)) started++;
  score_worker(&p); /* the calling thread works too */
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&p.mu);
  if (jb_interrupted()) {
    jb_err_set(err, JB_ERR_INTERRUPTED, "%s", jb_msg(JB_MSG_ASSIGN_INTERRUPTED));
    return JB_ERR_INTERRUPTED;
  }
  if (p.failed) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory while scoring the tasks");
    return JB_ERR_NOMEM;
  }
  return JB_OK;
}

/* The simple alternative staff would use by hand: best pair first, while
** the challenge has a free slot and the expert capacity (staff-fixed pairs
** first). Reported beside the optimum so its worth is visible. */
static double greedy_total(const as_problem *p, int *matched) {
  as_edge *e = malloc(sizeof(as_edge) * (p->nedges ? p->nedges : 1));
  int *slots = calloc((size_t)(p->ntasks ? p->ntasks : 1), sizeof(int));
  int *used = calloc((size_t)(p->nagents ? p->nagents : 1), sizeof(int));
  double total = 0;
  *matched = 0;
  if (e && slots && used) {
    if (p->nedges) memcpy(e, p->edges, sizeof(as_edge) * p->nedges); /* edges is NULL when there are none */
    /* one edge per (challenge, expert): the best, with the flags of all */
    jb_qsort(e, p->nedges, sizeof(as_edge), edge_by_pair);
    size_t n = 0;
    for (size_t i = 0; i < p->nedges; i++) {
      if (n && e[n - 1].task == e[i].task && e[n - 1].agent == e[i].agent) {
        e[n - 1].flags |= e[i].flags;
        continue;
      }
      e[n++] = e[i];
    }
    as_problem q = *p;
    q.nedges = n;
    p = &q;
    jb_qsort(e, p->nedges, sizeof(as_edge), edge_by_score);
    for (int pass = 0; pass < 2; pass++)
      for (size_t i = 0; i < p->nedges; i++) {
        int fixed = (e[i].flags & (AS_EDGE_FIXED | AS_EDGE_FIXED_LEAD)) != 0;
        if (fixed != (pass == 0) || (e[i].flags & AS_EDGE_FORBIDDEN) || e[i].score < p->min_score) continue;
        int t = e[i].task, a = e[i].agent;
        if (slots[t] > (p->members ? p->members[t] : 0) || used[a] >= (p->capacity ? p->capacity[a] : 1)) continue;
        total += (slots[t] ? p->member_weight : p->lead_weight) * e[i].score;
        *matched += slots[t]++ == 0;
        used[a]++;
      }
  }
  free(e);
  free(slots);
  free(used);
  return total;
}

/* ------------------------------------------------------------------ run */

static void arun_free(arun *r) {
  for (int i = 0; i < r->nt; i++) task_free(&r->t[i]);
  free(r->t);
  free(r->agent_of_unit);
  free(r->unit_of_agent);
  free(r->capacity);
  free(r->e);
  cJSON_Delete(r->inputs);
  free(r->fixes.v);
  free(r->forbids.v);
  free(r->lead_score);
  free(r->lead_agent);
}

/* Agents: every expert the run's filters allow, numbered in unit order. */
static jb_status make_agents(arun *r, jb_error *err) {
  const jb_assign_opts *o = r->o;
  int nprog = 0;
  char **prog = NULL;
  if (o->program && !(prog = program_members(r, &nprog, err))) return JB_ERR_DB;
  size_t nu = r->mx->nunits ? r->mx->nunits : 1;
  r->agent_of_unit = malloc(sizeof(int) * nu);
  r->unit_of_agent = malloc(sizeof(uint32_t) * nu);
  r->capacity = malloc(sizeof(int) * nu);
  jb_status rc = (!r->agent_of_unit || !r->unit_of_agent || !r->capacity) ? JB_ERR_NOMEM : JB_OK;
  for (uint32_t ui = 0; !rc && ui < r->mx->nunits; ui++) {
    const mx_unit *u = &r->mx->units[ui];
    r->agent_of_unit[ui] = -1;
    if (!eligible(r, u, (const char *const *)prog, nprog)) continue;
    r->agent_of_unit[ui] = r->nagents;
    r->unit_of_agent[r->nagents] = ui;
    r->capacity[r->nagents] = free_capacity(r, ui, o->capacity > 0 ? o->capacity : (u->capacity > 0 ? u->capacity : 0));
    r->nagents++;
  }
  for (int i = 0; i < nprog; i++) free(prog[i]);
  free(prog);
  return rc;
}

/* The staff's decisions: capacities, fixed pairs, forbidden pairs (files or JSON). */
static jb_status read_staff_files(arun *r, jb_error *err) {
  const jb_assign_opts *o = r->o;
  jb_status rc = JB_OK;
  if (!rc && o->capacities_file) {
    record_input(r, "capacities", o->capacities_file);
    rc = read_rows(r, o->capacities_file, cap_row, err);
  }
  if (!rc && o->fix_file) {
    record_input(r, "fix", o->fix_file);
    rc = read_rows_as(r, o->fix_file, fix_row, 1, err);
  }
  if (!rc && o->forbid_file) {
    record_input(r, "forbid", o->forbid_file);
    rc = read_rows_as(r, o->forbid_file, forbid_row, 1, err);
  }
  if (!rc && o->fix) rc = staff_json(r, o->fix, "fix", 1, err);
  if (!rc && o->forbid) rc = staff_json(r, o->forbid, "forbid", 0, err);
  return rc;
}

/* Candidate edges: each task's best eligible experts, conflicts forbidden;
** staff-fixed pairs outside the candidates still go in, with their score. */
static jb_status build_edges(arun *r, const scored *sv) {
  for (int ti = 0; ti < r->nt; ti++) {
    const scored *sc = &sv[ti];
    int taken = 0;
    for (int i = 0; i < sc->n && taken < r->o->candidates; i++) {
      int ai = r->agent_of_unit[sc->h[i].unit];
      if (ai < 0) continue;
      int conf = nd_excluded(r->mx, &r->t[ti].n, sc->h[i].unit, ND_CONFLICT, NULL);
      unsigned fl = staff_flags(r, ti, ai) | (conf ? AS_EDGE_FORBIDDEN : 0);
      if (edge_add(r, ti, ai, sc->h[i].score, fl)) return JB_ERR_NOMEM;
      taken++;
    }
    for (int f = 0; f < r->fixes.n; f++) {
      if (r->fixes.v[f].task != ti) continue;
      double score = 0;
      for (int i = 0; i < sc->n; i++)
        if (r->agent_of_unit[sc->h[i].unit] == r->fixes.v[f].agent) score = sc->h[i].score;
      int ai = r->fixes.v[f].agent;
      /* a fixed pair with a conflict of interest stays forbidden: the solver reports it */
      unsigned fl = staff_flags(r, ti, ai) |
                    (nd_excluded(r->mx, &r->t[ti].n, r->unit_of_agent[ai], ND_CONFLICT, NULL) ? AS_EDGE_FORBIDDEN : 0);
      if (edge_add(r, ti, ai, score, fl)) return JB_ERR_NOMEM;
    }
  }
  return JB_OK;
}

/* The member floor of a task whose lead scores `lead`: see MEMBER_FLOOR_*. */
static double member_floor(double lead) {
  double rel = MEMBER_FLOOR_REL * lead;
  return rel > MEMBER_FLOOR_ABS ? rel : MEMBER_FLOOR_ABS;
}

/* Solves, then solves again with every member edge of a challenge below its
** member floor taken out: a member must be worth proposing on his own,
** never a filler. The floors come from the leads of the first solution. */
static jb_status solve(arun *r, as_problem *p, as_result **res, jb_error *err) {
  char msg[256];
  for (int pass = 0; pass < 2; pass++) {
    int src = as_solve(p, res, msg, sizeof(msg));
    if (src != AS_OK) {
      jb_status rc = src == AS_ENOMEM ? JB_ERR_NOMEM : JB_ERR_INTERNAL;
      jb_err_set(err, rc, "assignment: %s", msg);
      return rc;
    }
    if (pass || !(*res)->feasible) return JB_OK;
    r->lead_score = calloc((size_t)(r->nt ? r->nt : 1), sizeof(double));
    r->lead_agent = malloc(sizeof(int) * (size_t)(r->nt ? r->nt : 1));
    if (!r->lead_score || !r->lead_agent) return JB_ERR_NOMEM;
    for (int t = 0; t < r->nt; t++) r->lead_agent[t] = -1;
    for (size_t i = 0; i < (*res)->npairs; i++)
      if ((*res)->pairs[i].role == AS_LEAD) {
        r->lead_score[(*res)->pairs[i].task] = (*res)->pairs[i].score;
        r->lead_agent[(*res)->pairs[i].task] = (*res)->pairs[i].agent;
      }
    int cut = 0;
    for (size_t i = 0; i < r->ne; i++) {
      as_edge *e = &r->e[i];
      /* placement targets have a quota of people, not a lead and a team: no floor */
      if (r->lead_agent[e->task] < 0 || e->agent == r->lead_agent[e->task] || (e->flags & AS_EDGE_FIXED) ||
          strcmp(r->t[e->task].kind, "need"))
        continue;
      if (e->score < member_floor(r->lead_score[e->task]) && !(e->flags & AS_EDGE_FORBIDDEN)) {
        e->flags |= AS_EDGE_FORBIDDEN;
        cut = 1;
      }
    }
    if (!cut) return JB_OK;
    as_result_free(*res);
    *res = NULL;
  }
  return JB_OK;
}

/* Why a scored candidate is not in the task (not used at all, or not as
** more than it is), for unmatched tasks and open seats. */
static char *why_not_used(arun *r, const as_result *res, int ti, const mx_hit *h) {
  int ai = r->agent_of_unit[h->unit];
  char *conf = NULL;
  jb_buf b = {0};
  if (nd_excluded(r->mx, &r->t[ti].n, h->unit, ND_CONFLICT, &conf)) return conf;
  if (ai < 0) return jb_strdup(jb_msg(JB_MSG_ASSIGN_NOT_ELIGIBLE));
  if (staff_flags(r, ti, ai) & AS_EDGE_FORBIDDEN) return jb_strdup(jb_msg(JB_MSG_ASSIGN_REJECTED_BY_STAFF));
  if (h->score < r->o->min_score) {
    jb_buf_printf(&b, jb_msg(JB_MSG_ASSIGN_BELOW_MIN), r->o->min_score);
    return b.p;
  }
  if (r->lead_agent && r->lead_agent[ti] >= 0 && !strcmp(r->t[ti].kind, "need") &&
      h->score < member_floor(r->lead_score[ti])) {
    jb_buf_printf(&b, jb_msg(JB_MSG_ASSIGN_BELOW_MEMBER_FLOOR),
                  h->score, member_floor(r->lead_score[ti]), MEMBER_FLOOR_ABS, MEMBER_FLOOR_REL * 100,
                  r->lead_score[ti]);
    return b.p;
  }
  const mx_unit *u = &r->mx->units[h->unit];
  if (u->engaged && !r->capacity[ai]) {
    jb_buf_printf(&b, jb_msg(JB_MSG_AS_ENGAGED), (int)u->engaged);
    return b.p;
  }
  int full = 0;
  for (size_t a = 0; a < res->nagents_full; a++) full |= res->agents_full[a] == ai;
  return jb_strdup(jb_msg(full ? JB_MSG_ASSIGN_AT_CAPACITY : JB_MSG_ASSIGN_NOT_CHOSEN));
}

static cJSON *candidate_json(arun *r, const as_result *res, int ti, const mx_hit *h) {
  const mx_unit *u = &r->mx->units[h->unit];
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "expert", u->id);
  cJSON_AddStringToObject(c, "name", u->name ? u->name : u->id);
  cJSON_AddNumberToObject(c, "score", round(h->score * 10000) / 10000);
  char *why = why_not_used(r, res, ti, h);
  cJSON_AddStringToObject(c, "why_not_used", why ? why : "");
  free(why);
  return c;
}

static cJSON *unmatched_json(arun *r, const as_result *res, size_t k, const mx_hit *hits, int nh) {
  int ti = res->unmatched[k].task;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", r->t[ti].n.id);
  cJSON_AddStringToObject(o, "title", r->t[ti].n.title ? r->t[ti].n.title : "");
  cJSON_AddStringToObject(o, "reason", as_why_str(res->unmatched[k].why));
  cJSON_AddStringToObject(o, "detail", why_detail(res->unmatched[k].why));
  cJSON *best = cJSON_AddArrayToObject(o, "best_candidates");
  for (int i = 0; i < nh && cJSON_GetArraySize(best) < 3; i++)
    if (r->mx->units[hits[i].unit].type == MX_EXPERT) cJSON_AddItemToArray(best, candidate_json(r, res, ti, &hits[i]));
  return o;
}

/* A challenge whose team has fewer members than it wants: the seats stay
** open, with the best candidates not used and why. */
static cJSON *open_seats_json(arun *r, const as_result *res, int ti, int filled, const scored *sc) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "need", r->t[ti].n.id);
  cJSON_AddStringToObject(o, "title", r->t[ti].n.title ? r->t[ti].n.title : "");
  cJSON_AddNumberToObject(o, "members_wanted", r->t[ti].members);
  cJSON_AddNumberToObject(o, "members_proposed", filled);
  cJSON_AddNumberToObject(o, "open", r->t[ti].members - filled);
  if (r->lead_agent) cJSON_AddNumberToObject(o, "member_floor", round(member_floor(r->lead_score[ti]) * 10000) / 10000);
  cJSON *best = cJSON_AddArrayToObject(o, "best_candidates");
  for (int i = 0; i < sc->n && cJSON_GetArraySize(best) < 3; i++) {
    int ai = r->agent_of_unit[sc->h[i].unit], used = 0;
    for (size_t k = 0; k < res->npairs; k++) used |= res->pairs[k].task == ti && res->pairs[k].agent == ai;
    if (!used && r->mx->units[sc->h[i].unit].type == MX_EXPERT)
      cJSON_AddItemToArray(best, candidate_json(r, res, ti, &sc->h[i]));
  }
  return o;
}

/* The pairs, unmatched tasks and open seats, each explained from the query
** that scored its task. */
static jb_status pairs_json(arun *r, const as_result *res, const scored *sv, cJSON *out, jb_error *err) {
  cJSON *pairs = cJSON_AddArrayToObject(out, "pairs");
  cJSON *unm = cJSON_AddArrayToObject(out, "unmatched");
  cJSON *seats = cJSON_AddArrayToObject(out, "open_seats");
  mx_scratch *s = mx_scratch_take(r->mx);
  if (!s) return JB_ERR_NOMEM;
  jb_status rc = JB_OK;
  size_t pi = 0, ui = 0;
  for (int ti = 0; ti < r->nt && res->feasible && !rc; ti++) {
    const scored *sc = &sv[ti];
    if (mx_query_restore(s, sc->q)) { rc = JB_ERR_NOMEM; break; }
    int members = 0;
    for (; pi < res->npairs && res->pairs[pi].task == ti; pi++) {
      cJSON *pj = explain_pair(r, s, sc->h, sc->rank, sc->n, ti, res->pairs[pi].agent,
                               res->pairs[pi].role == AS_LEAD ? "lead" : "member");
      members += res->pairs[pi].role == AS_MEMBER;
      if (res->pairs[pi].fixed) cJSON_AddBoolToObject(pj, "fixed", 1);
      if (!cJSON_GetObjectItem(pj, "score")) cJSON_AddNumberToObject(pj, "score", res->pairs[pi].score);
      cJSON_AddItemToArray(pairs, pj);
    }
    int unmatched = 0;
    for (; ui < res->nunmatched && res->unmatched[ui].task == ti; ui++, unmatched = 1)
      cJSON_AddItemToArray(unm, unmatched_json(r, res, ui, sc->h, sc->n));
    if (!unmatched && members < r->t[ti].members && !strcmp(r->t[ti].kind, "need"))
      cJSON_AddItemToArray(seats, open_seats_json(r, res, ti, members, sc));
  }
  mx_scratch_give(r->mx, s);
  if (!rc && r->unreadable) {
    rc = JB_ERR_DB;
    jb_err_set(err, rc, "cannot read the evidence of a proposed pair: %s", sqlite3_errmsg(r->db->db));
  }
  return rc;
}

static cJSON *objective_json(arun *r, const as_problem *p, const as_result *res) {
  cJSON *obj = cJSON_CreateObject();
  cJSON_AddStringToObject(obj, "kind", r->o->fair ? "fair" : "total");
  cJSON_AddNumberToObject(obj, "value", round(res->objective * 1e6) / 1e6);
  cJSON_AddNumberToObject(obj, "upper_bound", round(res->upper_bound * 1e6) / 1e6);
  cJSON_AddNumberToObject(obj, "gap", round(res->gap * 1e6) / 1e6);
  cJSON_AddBoolToObject(obj, "optimal", res->optimal);
  cJSON_AddNumberToObject(obj, "bound_without_capacities", round(res->simple_bound * 1e6) / 1e6);
  cJSON_AddNumberToObject(obj, "tasks", r->nt);
  cJSON_AddNumberToObject(obj, "matched", res->matched);
  if (res->max_matched >= 0) cJSON_AddNumberToObject(obj, "max_matched", res->max_matched);
  cJSON_AddNumberToObject(obj, "min_lead_score", round(res->min_lead_score * 1e6) / 1e6);
  int gm = 0;
  double g = greedy_total(p, &gm);
  cJSON *gr = cJSON_AddObjectToObject(obj, "greedy");
  cJSON_AddNumberToObject(gr, "value", round(g * 1e6) / 1e6);
  cJSON_AddNumberToObject(gr, "matched", gm);
  return obj;
}

static cJSON *conflicts_json(arun *r, const as_result *res) {
  cJSON *conf = cJSON_CreateArray();
  for (size_t i = 0; i < res->nconflicts; i++) {
    const as_conflict *c = &res->conflicts[i];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "kind", as_conflict_str(c->kind));
    if (c->task >= 0) cJSON_AddStringToObject(x, "task", r->t[c->task].n.id);
    if (c->agent >= 0) cJSON_AddStringToObject(x, "expert", r->mx->units[r->unit_of_agent[c->agent]].id);
    if (c->count || c->limit) {
      cJSON_AddNumberToObject(x, "count", c->count);
      cJSON_AddNumberToObject(x, "limit", c->limit);
    }
    cJSON_AddStringToObject(x, "relax", relax_hint(c->kind));
    cJSON_AddItemToArray(conf, x);
  }
  return conf;
}

static jb_status result_json(arun *r, const as_problem *p, const as_result *res, const scored *sv, cJSON **ppOut,
                             jb_error *err) {
  cJSON *out = cJSON_CreateObject();
  jb_status rc = pairs_json(r, res, sv, out, err);
  cJSON_AddItemToObject(out, "objective", objective_json(r, p, res));
  cJSON *bind = cJSON_AddObjectToObject(out, "binding");
  cJSON *full = cJSON_AddArrayToObject(bind, "experts_at_capacity");
  for (size_t i = 0; i < res->nagents_full; i++)
    cJSON_AddItemToArray(full, cJSON_CreateString(r->mx->units[r->unit_of_agent[res->agents_full[i]]].id));
  cJSON *tf = cJSON_AddArrayToObject(bind, "tasks_full");
  for (size_t i = 0; i < res->ntasks_full; i++) cJSON_AddItemToArray(tf, cJSON_CreateString(r->t[res->tasks_full[i]].n.id));
  cJSON_AddBoolToObject(out, "feasible", res->feasible);
  cJSON_AddItemToObject(out, "conflicts", conflicts_json(r, res));
  cJSON *man = rc ? NULL : manifest(r, p, err);
  if (!rc && !man) rc = err && err->code ? err->code : JB_ERR_NOMEM;
  cJSON_AddItemToObject(out, "manifest", man);
  if (rc) cJSON_Delete(out);
  else *ppOut = out;
  return rc;
}

jb_status jb_assign(jb_db *db, const jb_assign_opts *oin, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  jb_assign_opts o = *oin;
  int sources = !!o.list + !!o.needs_file + !!o.open_needs + !!o.targets;
  if (sources != 1) {
    jb_err_set(err, JB_ERR_USAGE, "give one of: --list TAG, --needs FILE, --open, --targets orgs|chains|FILE");
    return JB_ERR_USAGE;
  }
  if (o.min_score < 0) o.min_score = DEFAULT_MIN_SCORE;
  if (o.candidates <= 0) o.candidates = DEFAULT_CANDIDATES;
  arun r;
  memset(&r, 0, sizeof(r));
  r.db = db;
  r.o = &o;
  r.inputs = cJSON_CreateArray();
  mx_weights_default(&r.w);
  jb_status rc = JB_OK;
  if (o.weights && mx_weights_apply(&r.w, o.weights, err)) rc = JB_ERR_USAGE;
  if (!rc) rc = mx_get_checked(db, &r.w, &r.mx, err);
  if (!rc) rc = o.targets ? load_targets(&r, err) : load_need_tasks(&r, err);
  if (!rc) rc = make_agents(&r, err);
  if (!rc) rc = read_staff_files(&r, err);
  scored *sv = NULL;
  if (!rc) rc = score_tasks(&r, &sv, err);
  if (!rc) rc = build_edges(&r, sv);
  int *members = rc ? NULL : malloc(sizeof(int) * (size_t)(r.nt ? r.nt : 1));
  if (!rc && !members) rc = JB_ERR_NOMEM;
  for (int i = 0; !rc && i < r.nt; i++) members[i] = r.t[i].members;
  as_problem p;
  as_problem_init(&p);
  as_result *res = NULL;
  if (!rc) {
    p.ntasks = r.nt;
    p.members = members;
    p.nagents = r.nagents;
    p.capacity = r.capacity;
    p.edges = r.e;
    p.nedges = r.ne;
    p.min_score = o.min_score;
    p.objective = o.fair ? AS_FAIR : AS_TOTAL;
    rc = solve(&r, &p, &res, err);
  }
  if (!rc) rc = result_json(&r, &p, res, sv, ppOut, err);
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory in the assignment");
  as_result_free(res);
  free(members);
  scored_free(sv, r.nt);
  arun_free(&r);
  return rc;
}
