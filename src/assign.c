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
#include "match_int.h"
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

typedef struct staff_pair {
  int task, agent;
  unsigned flags;
} staff_pair;

typedef struct staff {
  staff_pair *v;
  int n;
} staff;

typedef struct task {
  char *id, *title, *text, *org, *region, *kind; /* kind: need, org, chain */
  cJSON *keywords;
  uint64_t chains;
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
  staff fixes, forbids;/* staff decisions: pairs that must stay, pairs never to make */
  int unreadable;      /* a pair's evidence could not be read: the proposal fails */
} arun;

static char *dupcol(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? jb_strdup((const char *)s) : NULL;
}

static void task_free(task *t) {
  free(t->id);
  free(t->title);
  free(t->text);
  free(t->org);
  free(t->region);
  free(t->kind);
  cJSON_Delete(t->keywords);
}

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

static jb_status need_task(arun *r, sqlite3_stmt *st) {
  task *t = task_add(r);
  if (!t) return JB_ERR_NOMEM;
  t->kind = jb_strdup("need");
  t->id = dupcol(st, 0);
  t->title = dupcol(st, 1);
  t->text = dupcol(st, 2);
  const char *kw = (const char *)sqlite3_column_text(st, 3);
  t->keywords = kw ? cJSON_Parse(kw) : NULL;
  t->chains = mx_chains_from_json(r->db, (const char *)sqlite3_column_text(st, 4));
  if (!t->chains) {
    int ui = mx_unit_find(r->mx, MX_NEED, t->id);
    if (ui >= 0) t->chains = r->mx->units[ui].chains;
  }
  t->org = dupcol(st, 5);
  t->region = dupcol(st, 6);
  t->members = sqlite3_column_int(st, 7);
  return JB_OK;
}

#define NEED_SQL                                                                                   \
  "SELECT n.id, n.title, n.text, n.keywords, n.chains, n.org,"                                      \
  " coalesce(json_extract(n.doc, '$.region'), o.region), n.team_size FROM need n LEFT JOIN org o ON o.id = n.org "

static jb_status load_need_tasks(arun *r, jb_error *err) {
  const jb_assign_opts *o = r->o;
  sqlite3_stmt *st = NULL;
  jb_status rc = JB_OK;
  if (o->needs_file) {
    record_input(r, "needs", o->needs_file);
    FILE *f = jb_input_open(o->needs_file, err);
    if (!f) return err && err->code ? err->code : JB_ERR_IO;
    if (jb_db_prepare(r->db, NEED_SQL "WHERE n.id = ?1", &st, err)) {
      jb_input_close(f, o->needs_file, NULL);
      return JB_ERR_DB;
    }
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (!rc && getline(&line, &cap, f) >= 0) {
      lineno++;
      char *p = line;
      if (lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
      p[strcspn(p, "\r\n,\t")] = 0;
      while (*p == ' ') p++;
      if (!*p || *p == '#' || (lineno == 1 && (!strcmp(p, "need") || !strcmp(p, "id")))) continue;
      sqlite3_reset(st);
      sqlite3_bind_text(st, 1, p, -1, SQLITE_TRANSIENT);
      int got = jb_step(st, "a need", err);
      if (got < 0) {
        rc = (jb_status)-got;
      } else if (!got) {
        jb_err_at(err, JB_ERR_NOTFOUND, o->needs_file, lineno, NULL, "no need with id '%s'", p);
        rc = JB_ERR_NOTFOUND;
      } else {
        rc = need_task(r, st);
      }
    }
    free(line);
    jb_status rrc = jb_input_close(f, o->needs_file, err);
    if (!rc) rc = rrc;
  } else {
    if (jb_db_prepare(r->db,
                      o->list ? NEED_SQL "WHERE n.list = ?1 AND n.status = 'open' ORDER BY n.id"
                              : NEED_SQL "WHERE n.status = 'open' ORDER BY n.id",
                      &st, err))
      return JB_ERR_DB;
    if (o->list) sqlite3_bind_text(st, 1, o->list, -1, SQLITE_STATIC);
    int got = 0;
    while (!rc && (got = jb_step(st, "the needs", err)) > 0) rc = need_task(r, st);
    if (!rc && got < 0) rc = (jb_status)-got;
    if (!rc && !r->nt) {
      jb_err_set(err, JB_ERR_NOTFOUND, o->list ? "no open need is on the list '%s'" : "no open needs%s",
                 o->list ? o->list : "");
      rc = JB_ERR_NOTFOUND;
    }
  }
  sqlite3_finalize(st);
  return rc;
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
      t->kind = jb_strdup("org");
      t->id = dupcol(st, 0);
      t->title = dupcol(st, 1);
      jb_buf b = {0};
      jb_buf_printf(&b, "%s。%s", sqlite3_column_text(st, 2), sqlite3_column_text(st, 6) ? (const char *)sqlite3_column_text(st, 6) : "");
      t->text = b.p;
      const char *kw = (const char *)sqlite3_column_text(st, 3);
      t->keywords = kw ? cJSON_Parse(kw) : NULL;
      t->chains = mx_chains_from_json(r->db, (const char *)sqlite3_column_text(st, 4));
      t->org = dupcol(st, 0);
      t->region = dupcol(st, 5);
      t->members = quota > 0 ? quota - 1 : 0;
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
  t->kind = jb_strdup("chain");
  t->id = jb_strdup(c->name);
  t->title = jb_strdup(c->name);
  jb_buf b = {0};
  for (int i = 0; i < c->nkeywords; i++) jb_buf_printf(&b, "%s%s", i ? "；" : "", c->keywords[i]);
  t->text = b.p ? b.p : jb_strdup("");
  for (int i = 0; i < jb_lexicon_nchains(r->db->lex) && i < 64; i++)
    if (jb_lexicon_chain(r->db->lex, i) == c) t->chains = 1ULL << i;
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
    if (!strcmp(r->t[i].id, id)) return i;
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
  r->capacity[ai] = c;
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
      p = mx_hit_json(r->db, r->mx, s, &r->w, &hits[i], ranks[i], r->t[ti].org, 1, &r->mx->supply);
      if (!p) r->unreadable = 1;
      break;
    }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, r->t[ti].kind && !strcmp(r->t[ti].kind, "need") ? "need" : "target", r->t[ti].id);
  cJSON_AddStringToObject(o, "title", r->t[ti].title ? r->t[ti].title : "");
  cJSON_AddStringToObject(o, "expert", u->id);
  cJSON_AddStringToObject(o, "name", u->name ? u->name : u->id);
  if (u->org) cJSON_AddStringToObject(o, "org", u->org);
  /* names beside ids: staff read the proposal, not the database */
  const char *on = u->org ? mx_org_name(r->mx, u->org) : NULL;
  if (on) cJSON_AddStringToObject(o, "org_name", on);
  const char *en = r->t[ti].org ? mx_org_name(r->mx, r->t[ti].org) : NULL;
  if (r->t[ti].org) cJSON_AddStringToObject(o, "enterprise", r->t[ti].org);
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
  case AS_WHY_ABSENT: return "no expert scores above the match floor for it";
  case AS_WHY_FORBIDDEN: return "every candidate has a conflict of interest or was rejected by staff";
  case AS_WHY_BELOW_MIN: return "every allowed candidate scores below the minimum score";
  case AS_WHY_CAPACITY: return "every usable candidate is used to capacity on other tasks";
  case AS_WHY_NO_GAIN: return "the remaining candidates would add nothing";
  }
  return "";
}

static cJSON *unmatched_json(arun *r, const as_result *res, size_t k, const mx_hit *hits, int nh) {
  int ti = res->unmatched[k].task;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", r->t[ti].id);
  cJSON_AddStringToObject(o, "title", r->t[ti].title ? r->t[ti].title : "");
  cJSON_AddStringToObject(o, "reason", as_why_str(res->unmatched[k].why));
  cJSON_AddStringToObject(o, "detail", why_detail(res->unmatched[k].why));
  cJSON *best = cJSON_AddArrayToObject(o, "best_candidates");
  for (int i = 0; i < nh && cJSON_GetArraySize(best) < 3; i++) {
    const mx_unit *u = &r->mx->units[hits[i].unit];
    if (u->type != MX_EXPERT) continue;
    int ai = r->agent_of_unit[hits[i].unit];
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "expert", u->id);
    cJSON_AddStringToObject(c, "name", u->name ? u->name : u->id);
    cJSON_AddNumberToObject(c, "score", round(hits[i].score * 10000) / 10000);
    char *conf = mx_conflict_reason(r->mx, u, r->t[ti].org);
    const char *why = NULL;
    jb_buf b = {0};
    if (conf) why = conf;
    else if (ai < 0) why = "not eligible (program or region filter)";
    else if (staff_flags(r, ti, ai) & AS_EDGE_FORBIDDEN) why = "rejected by staff (--forbid)";
    else if (hits[i].score < r->o->min_score) {
      jb_buf_printf(&b, "score below the minimum %.2f", r->o->min_score);
      why = b.p;
    } else {
      int full = 0;
      for (size_t a = 0; a < res->nagents_full; a++) full |= res->agents_full[a] == ai;
      why = full ? "used to capacity on other tasks" : "not chosen: the optimum pairs it elsewhere";
    }
    cJSON_AddStringToObject(c, "why_not_used", why);
    free(conf);
    jb_buf_free(&b);
    cJSON_AddItemToArray(best, c);
  }
  return o;
}

static const char *relax_hint(as_conflict_kind k) {
  switch (k) {
  case AS_CONFLICT_AGENT_CAPACITY: return "raise the expert's capacity (--capacity/--capacities) or unfix a pair";
  case AS_CONFLICT_TWO_LEADS: return "fix only one lead for the task";
  case AS_CONFLICT_TASK_SLOTS: return "raise the need's team_size or unfix a pair";
  case AS_CONFLICT_FIXED_FORBIDDEN: return "a fixed pair is also forbidden or a conflict of interest: drop one";
  case AS_CONFLICT_FIXED_BELOW_MIN: return "lower --min-score or unfix the pair";
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
    mx_need q = {t->id, t->title, t->text, t->keywords, t->chains, t->org, t->region, NULL};
    mx_hit *hits = NULL;
    int nh = mx_score_need(r->db, r->mx, s, tok, &r->w, &q, 1u << MX_EXPERT, task_keep(r, ti), 1, &hits);
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
  if (!rc) rc = mx_get(db, &r.w, &r.mx, err);
  if (!rc) rc = o.targets ? load_targets(&r, err) : load_need_tasks(&r, err);
  int nprog = 0;
  char **prog = NULL;
  if (!rc && o.program) {
    prog = program_members(&r, &nprog, err);
    if (!prog) rc = JB_ERR_DB;
  }
  /* agents: every eligible expert, numbered in unit order */
  if (!rc) {
    r.agent_of_unit = malloc(sizeof(int) * (r.mx->nunits ? r.mx->nunits : 1));
    r.unit_of_agent = malloc(sizeof(uint32_t) * (r.mx->nunits ? r.mx->nunits : 1));
    r.capacity = malloc(sizeof(int) * (r.mx->nunits ? r.mx->nunits : 1));
    if (!r.agent_of_unit || !r.unit_of_agent || !r.capacity) rc = JB_ERR_NOMEM;
  }
  for (uint32_t ui = 0; !rc && ui < r.mx->nunits; ui++) {
    const mx_unit *u = &r.mx->units[ui];
    r.agent_of_unit[ui] = -1;
    if (!eligible(&r, u, (const char *const *)prog, nprog)) continue;
    r.agent_of_unit[ui] = r.nagents;
    r.unit_of_agent[r.nagents] = ui;
    r.capacity[r.nagents] = o.capacity > 0 ? o.capacity : (u->capacity > 0 ? u->capacity : 0);
    r.nagents++;
  }
  for (int i = 0; i < nprog; i++) free(prog[i]);
  free(prog);
  if (!rc && o.capacities_file) {
    record_input(&r, "capacities", o.capacities_file);
    rc = read_rows(&r, o.capacities_file, cap_row, err);
  }
  if (!rc && o.fix_file) {
    record_input(&r, "fix", o.fix_file);
    rc = read_rows_as(&r, o.fix_file, fix_row, 1, err);
  }
  if (!rc && o.forbid_file) {
    record_input(&r, "forbid", o.forbid_file);
    rc = read_rows_as(&r, o.forbid_file, forbid_row, 1, err);
  }
  if (!rc && o.fix) rc = staff_json(&r, o.fix, "fix", 1, err);
  if (!rc && o.forbid) rc = staff_json(&r, o.forbid, "forbid", 0, err);
  scored *sv = NULL;
  if (!rc) rc = score_tasks(&r, &sv, err);
  /* candidate edges: each task's best eligible experts, conflicts forbidden */
  for (int ti = 0; ti < r.nt && !rc; ti++) {
    const scored *sc = &sv[ti];
    int taken = 0;
    for (int i = 0; i < sc->n && taken < o.candidates; i++) {
      int ai = r.agent_of_unit[sc->h[i].unit];
      if (ai < 0) continue;
      char *conf = mx_conflict_reason(r.mx, &r.mx->units[sc->h[i].unit], r.t[ti].org);
      unsigned fl = staff_flags(&r, ti, ai) | (conf ? AS_EDGE_FORBIDDEN : 0);
      free(conf);
      if (edge_add(&r, ti, ai, sc->h[i].score, fl)) { rc = JB_ERR_NOMEM; break; }
      taken++;
    }
    /* staff-fixed pairs outside the candidates still go in, with their score */
    for (int f = 0; f < r.fixes.n && !rc; f++) {
      if (r.fixes.v[f].task != ti) continue;
      double score = 0;
      for (int i = 0; i < sc->n; i++)
        if (r.agent_of_unit[sc->h[i].unit] == r.fixes.v[f].agent) score = sc->h[i].score;
      if (edge_add(&r, ti, r.fixes.v[f].agent, score, staff_flags(&r, ti, r.fixes.v[f].agent))) rc = JB_ERR_NOMEM;
    }
  }
  mx_scratch *s = rc ? NULL : mx_scratch_take(r.mx);
  if (!rc && !s) rc = JB_ERR_NOMEM;
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
    char msg[256];
    int src = as_solve(&p, &res, msg, sizeof(msg));
    if (src != AS_OK) {
      rc = src == AS_ENOMEM ? JB_ERR_NOMEM : JB_ERR_INTERNAL;
      jb_err_set(err, rc, "assignment: %s", msg);
    }
  }
  if (!rc) {
    cJSON *out = cJSON_CreateObject();
    cJSON *pairs = cJSON_AddArrayToObject(out, "pairs");
    cJSON *unm = cJSON_AddArrayToObject(out, "unmatched");
    size_t pi = 0, ui = 0;
    for (int ti = 0; ti < r.nt && res->feasible; ti++) {
      int has = (pi < res->npairs && res->pairs[pi].task == ti) || (ui < res->nunmatched && res->unmatched[ui].task == ti);
      if (!has) continue;
      /* explained from the query that scored the task */
      const scored *sc = &sv[ti];
      if (mx_query_restore(s, sc->q)) { rc = JB_ERR_NOMEM; break; }
      for (; pi < res->npairs && res->pairs[pi].task == ti; pi++) {
        cJSON *pj = explain_pair(&r, s, sc->h, sc->rank, sc->n, ti, res->pairs[pi].agent,
                                 res->pairs[pi].role == AS_LEAD ? "lead" : "member");
        if (res->pairs[pi].fixed) cJSON_AddBoolToObject(pj, "fixed", 1);
        if (!cJSON_GetObjectItem(pj, "score")) cJSON_AddNumberToObject(pj, "score", res->pairs[pi].score);
        cJSON_AddItemToArray(pairs, pj);
      }
      for (; ui < res->nunmatched && res->unmatched[ui].task == ti; ui++)
        cJSON_AddItemToArray(unm, unmatched_json(&r, res, ui, sc->h, sc->n));
    }
    if (!rc && r.unreadable) {
      rc = JB_ERR_DB;
      jb_err_set(err, rc, "cannot read the evidence of a proposed pair: %s", sqlite3_errmsg(r.db->db));
    }
    cJSON *obj = cJSON_AddObjectToObject(out, "objective");
    cJSON_AddStringToObject(obj, "kind", o.fair ? "fair" : "total");
    cJSON_AddNumberToObject(obj, "value", round(res->objective * 1e6) / 1e6);
    cJSON_AddNumberToObject(obj, "upper_bound", round(res->upper_bound * 1e6) / 1e6);
    cJSON_AddNumberToObject(obj, "gap", round(res->gap * 1e6) / 1e6);
    cJSON_AddBoolToObject(obj, "optimal", res->optimal);
    cJSON_AddNumberToObject(obj, "bound_without_capacities", round(res->simple_bound * 1e6) / 1e6);
    cJSON_AddNumberToObject(obj, "tasks", r.nt);
    cJSON_AddNumberToObject(obj, "matched", res->matched);
    if (res->max_matched >= 0) cJSON_AddNumberToObject(obj, "max_matched", res->max_matched);
    cJSON_AddNumberToObject(obj, "min_lead_score", round(res->min_lead_score * 1e6) / 1e6);
    int gm = 0;
    double g = greedy_total(&p, &gm);
    cJSON *gr = cJSON_AddObjectToObject(obj, "greedy");
    cJSON_AddNumberToObject(gr, "value", round(g * 1e6) / 1e6);
    cJSON_AddNumberToObject(gr, "matched", gm);
    cJSON *bind = cJSON_AddObjectToObject(out, "binding");
    cJSON *full = cJSON_AddArrayToObject(bind, "experts_at_capacity");
    for (size_t i = 0; i < res->nagents_full; i++)
      cJSON_AddItemToArray(full, cJSON_CreateString(r.mx->units[r.unit_of_agent[res->agents_full[i]]].id));
    cJSON *tf = cJSON_AddArrayToObject(bind, "tasks_full");
    for (size_t i = 0; i < res->ntasks_full; i++) cJSON_AddItemToArray(tf, cJSON_CreateString(r.t[res->tasks_full[i]].id));
    cJSON_AddBoolToObject(out, "feasible", res->feasible);
    cJSON *conf = cJSON_AddArrayToObject(out, "conflicts");
    for (size_t i = 0; i < res->nconflicts; i++) {
      const as_conflict *c = &res->conflicts[i];
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "kind", as_conflict_str(c->kind));
      if (c->task >= 0) cJSON_AddStringToObject(x, "task", r.t[c->task].id);
      if (c->agent >= 0) cJSON_AddStringToObject(x, "expert", r.mx->units[r.unit_of_agent[c->agent]].id);
      if (c->count || c->limit) {
        cJSON_AddNumberToObject(x, "count", c->count);
        cJSON_AddNumberToObject(x, "limit", c->limit);
      }
      cJSON_AddStringToObject(x, "relax", relax_hint(c->kind));
      cJSON_AddItemToArray(conf, x);
    }
    cJSON *man = rc ? NULL : manifest(&r, &p, err);
    if (!rc && !man) rc = err && err->code ? err->code : JB_ERR_NOMEM;
    cJSON_AddItemToObject(out, "manifest", man);
    if (rc) cJSON_Delete(out);
    else *ppOut = out;
  }
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory in the assignment");
  as_result_free(res);
  free(members);
  if (r.mx) mx_scratch_give(r.mx, s);
  scored_free(sv, r.nt);
  arun_free(&r);
  return rc;
}
