/*
** need.c — the one need path: loading a need (database row, JSON record,
** ad-hoc text) and the one eligibility rule (see need.h).
**
** The rule is a table of checks, each with a class. To add one (a pair
** declined for this need, capacity used by active engagements): write a
** function of the nd_rule_fn shape, load whatever it needs into nd_need in
** nd_finish() (or keep it in the index), and add a row to `rules`. Every
** output then obeys it; tests/test_eligibility.c checks every output path
** against the rules it knows, so extend it too.
*/
#include "need.h"
#include <stdlib.h>
#include <string.h>

static char *dupcol(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? jb_strdup((const char *)s) : NULL;
}

void nd_free(nd_need *n) {
  if (!n) return;
  free(n->id);
  free(n->title);
  free(n->text);
  free(n->org);
  free(n->org_name);
  free(n->region);
  free(n->status);
  free(n->list);
  free(n->deadline);
  free(n->created);
  free(n->file_text);
  cJSON_Delete(n->keywords);
  cJSON_Delete(n->contact);
  for (int i = 0; i < n->nowners; i++) free(n->owners[i]);
  free(n->owners);
  memset(n, 0, sizeof(*n));
}

void nd_free_all(nd_need *v, int n) {
  for (int i = 0; v && i < n; i++) nd_free(&v[i]);
  free(v);
}

int nd_add_owner(nd_need *n, const char *org) {
  if (!org || !*org) return 0;
  for (int i = 0; i < n->nowners; i++)
    if (!strcmp(n->owners[i], org)) return 0;
  char **v = realloc(n->owners, sizeof(char *) * (size_t)(n->nowners + 1));
  if (!v) return -1;
  n->owners = v;
  if (!(v[n->nowners] = jb_strdup(org))) return -1;
  n->nowners++;
  return 0;
}

/* What every loader does last: the owner, and the chains when the record
** names none — the index's inference for a stored need (title, keywords and
** text), the same inference for any other. */
static int nd_finish(jb_db *db, const jb_match_index *mx, nd_need *n) {
  if (nd_add_owner(n, n->org)) return -1;
  /* a need's attached file as stored by its import (never extracted here) */
  if (n->id && !n->file_text) n->file_text = jb_attach_text(db, "need", n->id, "");
  if (n->chains) return 0;
  int ui = mx && n->id ? mx_unit_find(mx, MX_NEED, n->id) : -1;
  if (ui >= 0 && !strcmp(mx->units[ui].name ? mx->units[ui].name : "", n->title ? n->title : "")) {
    n->chains = mx->units[ui].chains;
    return 0;
  }
  jb_buf t = {0};
  char *kw = n->keywords ? cJSON_PrintUnformatted(n->keywords) : NULL;
  jb_buf_printf(&t, "%s %s %s", n->title ? n->title : "", kw ? kw : "", n->text ? n->text : "");
  free(kw);
  n->chains = mx_chains_in_text(db, db->tok, jb_buf_str(&t));
  int oom = t.oom;
  jb_buf_free(&t);
  return oom ? -1 : 0;
}

int nd_from_row(jb_db *db, const jb_match_index *mx, sqlite3_stmt *st, nd_need *n) {
  memset(n, 0, sizeof(*n));
  n->id = dupcol(st, 0);
  n->title = dupcol(st, 1);
  n->text = dupcol(st, 2);
  const char *kw = (const char *)sqlite3_column_text(st, 3);
  n->keywords = kw ? cJSON_Parse(kw) : NULL;
  n->chains = mx_chains_from_json(db, (const char *)sqlite3_column_text(st, 4));
  n->org = dupcol(st, 5);
  n->org_name = dupcol(st, 6);
  n->region = dupcol(st, 7);
  n->status = dupcol(st, 8);
  n->list = dupcol(st, 9);
  n->team_size = sqlite3_column_int(st, 10);
  n->deadline = dupcol(st, 11);
  n->created = dupcol(st, 12);
  n->has_budget = sqlite3_column_type(st, 13) != SQLITE_NULL;
  n->budget = sqlite3_column_double(st, 13);
  const char *ct = (const char *)sqlite3_column_text(st, 14);
  n->contact = ct ? cJSON_Parse(ct) : NULL;
  if (!n->id) return -1;
  return nd_finish(db, mx, n);
}

jb_status nd_load_where(jb_db *db, const jb_match_index *mx, const char *where, const char *const *bind,
                        int nbind, nd_need **v, int *nv, jb_error *err) {
  *v = NULL;
  *nv = 0;
  jb_buf sql = {0};
  jb_buf_printf(&sql, "%s%s", ND_SELECT, where ? where : "");
  sqlite3_stmt *st = NULL;
  jb_status rc = sql.oom ? JB_ERR_NOMEM : JB_OK;
  if (!rc && jb_db_prepare(db, jb_buf_str(&sql), &st, err)) rc = JB_ERR_DB;
  jb_buf_free(&sql);
  for (int i = 0; !rc && i < nbind; i++)
    bind[i] ? sqlite3_bind_text(st, i + 1, bind[i], -1, SQLITE_STATIC) : sqlite3_bind_null(st, i + 1);
  int cap = 0, got = 1;
  while (!rc && (got = jb_step(st, "the needs", err)) > 0) {
    if (*nv == cap) {
      cap = cap ? cap * 2 : 64;
      nd_need *nvv = realloc(*v, sizeof(nd_need) * (size_t)cap);
      if (!nvv) { rc = JB_ERR_NOMEM; break; }
      *v = nvv;
    }
    if (nd_from_row(db, mx, st, &(*v)[*nv])) {
      nd_free(&(*v)[*nv]);
      rc = JB_ERR_NOMEM;
      break;
    }
    (*nv)++;
  }
  /* a read that fails part way is an error, never a shorter list */
  if (!rc && got < 0) rc = (jb_status)-got;
  else if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory reading the needs");
  sqlite3_finalize(st);
  if (rc) {
    nd_free_all(*v, *nv);
    *v = NULL;
    *nv = 0;
  }
  return rc;
}

jb_status nd_load(jb_db *db, const jb_match_index *mx, const char *id, nd_need *n, jb_error *err) {
  memset(n, 0, sizeof(*n));
  nd_need *v = NULL;
  int nv = 0;
  const char *bind[1] = {id};
  jb_status rc = nd_load_where(db, mx, "WHERE n.id = ?1", bind, 1, &v, &nv, err);
  if (rc) return rc;
  if (!nv) {
    free(v);
    jb_err_set(err, JB_ERR_NOTFOUND, "no need with id '%s'", id);
    return JB_ERR_NOTFOUND;
  }
  *n = v[0];
  free(v);
  return JB_OK;
}

static char *jstr(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  if (cJSON_IsString(j)) return jb_strdup(j->valuestring);
  if (cJSON_IsNumber(j)) {
    char num[64];
    snprintf(num, sizeof(num), "%.0f", j->valuedouble);
    return jb_strdup(num);
  }
  return NULL;
}

int nd_from_json(jb_db *db, const jb_match_index *mx, const cJSON *rec, int infer_chains, nd_need *n) {
  memset(n, 0, sizeof(*n));
  n->id = jstr(rec, "id");
  n->title = jstr(rec, "title");
  n->text = jstr(rec, "text");
  n->org = jstr(rec, "org");
  n->region = jstr(rec, "region");
  n->list = jstr(rec, "list");
  n->status = jstr(rec, "status");
  const cJSON *kw = cJSON_GetObjectItemCaseSensitive(rec, "keywords");
  if (cJSON_IsArray(kw)) n->keywords = cJSON_Duplicate(kw, 1);
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(rec, "team_size");
  if (cJSON_IsNumber(ts)) n->team_size = ts->valueint;
  const cJSON *ch = cJSON_GetObjectItemCaseSensitive(rec, "chains");
  char *chs = cJSON_IsArray(ch) ? cJSON_PrintUnformatted(ch) : NULL;
  n->chains = mx_chains_from_json(db, chs);
  free(chs);
  const char *on = n->org && mx ? mx_org_name(mx, n->org) : NULL;
  if (on) n->org_name = jb_strdup(on);
  if (!infer_chains) {
    if (n->id) n->file_text = jb_attach_text(db, "need", n->id, "");
    return nd_add_owner(n, n->org);
  }
  return nd_finish(db, mx, n);
}

int nd_from_text(jb_db *db, const char *text, nd_need *n) {
  memset(n, 0, sizeof(*n));
  if (!(n->title = jb_strdup(text ? text : ""))) return -1;
  n->chains = mx_chains_in_text(db, db->tok, n->title);
  return 0;
}

/* ------------------------------------------------------------ eligibility */

const char *nd_org_root(const jb_match_index *mx, const char *org) {
  /* host chains are short; the bound guards against a cycle in the data */
  for (int depth = 0; org && depth < 16; depth++) {
    const char *p = mx_org_parent(mx, org);
    if (!p || !*p || !strcmp(p, org)) break;
    org = p;
  }
  return org;
}

/* The owner whose institution org belongs to, or NULL. */
static const char *owner_of(const jb_match_index *mx, const nd_need *n, const char *org) {
  if (!org || !*org) return NULL;
  const char *r = nd_org_root(mx, org);
  for (int i = 0; i < n->nowners; i++)
    if (!strcmp(n->owners[i], org) || !strcmp(nd_org_root(mx, n->owners[i]), r)) return n->owners[i];
  return NULL;
}

/* A rule: 1 when it excludes u from n, with the reason added to why (may be
** NULL: then only the verdict). */
typedef int (*nd_rule_fn)(const jb_match_index *mx, const nd_need *n, const mx_unit *u, jb_buf *why);

static int institution_why(const jb_match_index *mx, const nd_need *n, const char *org, jb_buf *why) {
  const char *own = owner_of(mx, n, org);
  if (!own) return 0;
  if (!why) return 1;
  const char *on = mx_org_name(mx, own);
  if (!strcmp(own, org))
    jb_buf_printf(why, jb_msg(JB_MSG_EXCL_SAME_ORG), own, on ? " (" : "", on ? on : "", on ? ")" : "");
  else
    jb_buf_printf(why, jb_msg(JB_MSG_EXCL_SAME_HOST), org, own,
                  nd_org_root(mx, org));
  return 1;
}

/* The candidate is, works for or is owned by an owner's institution. */
static int rule_institution(const jb_match_index *mx, const nd_need *n, const mx_unit *u, jb_buf *why) {
  return institution_why(mx, n, u->type == MX_ORG ? u->id : u->org, why);
}

/* A conflict of interest the expert declared with an owner's institution. */
static int declared_why(const jb_match_index *mx, const nd_need *n, const char *expert, jb_buf *why) {
  if (!expert || !n->nowners) return 0;
  size_t el = strlen(expert);
  uint32_t lo = 0, hi = mx->nconflicts;
  while (lo < hi) { /* first key >= "expert\t" */
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strncmp(mx->conflicts[mid].key, expert, el);
    if (c < 0 || (c == 0 && mx->conflicts[mid].key[el] < '\t')) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < mx->nconflicts; lo++) {
    const mx_pair *p = &mx->conflicts[lo];
    if (strncmp(p->key, expert, el) || p->key[el] != '\t') break;
    const char *org = p->key + el + 1;
    if (!owner_of(mx, n, org)) continue;
    if (why) jb_buf_printf(why, jb_msg(JB_MSG_EXCL_DECLARED), org, p->note ? p->note : "");
    return 1;
  }
  return 0;
}

static int rule_declared(const jb_match_index *mx, const nd_need *n, const mx_unit *u, jb_buf *why) {
  return u->type == MX_EXPERT && declared_why(mx, n, u->id, why);
}

/* An achievement whose inventor is excluded: proposing it would put the
** inventor in front of the enterprise (see README, "Conflicts of interest"). */
static int rule_inventor(const jb_match_index *mx, const nd_need *n, const mx_unit *u, jb_buf *why) {
  if (u->type != MX_ACHIEVEMENT || u->inventor == UINT32_MAX) return 0;
  const mx_unit *e = &mx->units[u->inventor];
  jb_buf r = {0};
  int hit = institution_why(mx, n, e->org, why ? &r : NULL) || declared_why(mx, n, e->id, why ? &r : NULL);
  if (hit && why) jb_buf_printf(why, jb_msg(JB_MSG_EXCL_INVENTOR), e->id, e->name ? e->name : "", jb_buf_str(&r));
  jb_buf_free(&r);
  return hit;
}

/* The candidate declined this very need before (an outcome): asking again
** would waste the enterprise's time and the bureau's standing. */
static int rule_declined(const jb_match_index *mx, const nd_need *n, const mx_unit *u, jb_buf *why) {
  if (n->ignore_outcomes || u->type == MX_NEED) return 0;
  const mx_pair *p = mx_declined(mx, n->id, u);
  if (!p) return 0;
  if (why) jb_buf_printf(why, jb_msg(JB_MSG_ND_DECLINED), p->note ? p->note : "");
  return 1;
}

/* No capacity, or all of it taken by pairings accepted or under contract. */
static int rule_capacity(const jb_match_index *mx, const nd_need *n, const mx_unit *u, jb_buf *why) {
  (void)mx;
  if (u->type != MX_EXPERT) return 0;
  int engaged = n->ignore_outcomes ? 0 : u->engaged;
  if (u->capacity > 0 && engaged < u->capacity) return 0;
  if (why && u->capacity <= 0) jb_buf_adds(why, jb_msg(JB_MSG_EXCL_NO_CAPACITY));
  else if (why) jb_buf_printf(why, jb_msg(JB_MSG_ND_ENGAGED), engaged, (int)u->capacity);
  return 1;
}

static const struct {
  const char *name;
  unsigned cls;
  nd_rule_fn fn;
} rules[] = {
    {"same_institution", ND_CONFLICT, rule_institution},
    {"declared_conflict", ND_CONFLICT, rule_declared},
    {"inventor_excluded", ND_CONFLICT, rule_inventor},
    {"declined", ND_CONFLICT, rule_declined},
    {"no_capacity", ND_AVAILABILITY, rule_capacity},
};

const char *nd_rule_name(int r) { return r >= 1 && r <= JB_ARRAY_LEN(rules) ? rules[r - 1].name : "?"; }

int nd_excluded(const jb_match_index *mx, const nd_need *n, uint32_t unit, unsigned classes, char **why) {
  if (why) *why = NULL;
  if (!n || unit >= mx->nunits) return 0;
  const mx_unit *u = &mx->units[unit];
  for (int r = 0; r < JB_ARRAY_LEN(rules); r++) {
    if (!(rules[r].cls & classes)) continue;
    jb_buf b = {0};
    if (!rules[r].fn(mx, n, u, why ? &b : NULL)) continue;
    if (why) *why = b.p ? b.p : jb_strdup(rules[r].name);
    return r + 1;
  }
  return 0;
}
