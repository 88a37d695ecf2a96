/*
** match_explain.c — the reasons shown beside a ranked candidate (match.c,
** assign.c and demand.c use them).
**
** The reasons a staff member sees come from the same numbers that ranked
** the candidate: each component, the need's terms found in the best piece
** of evidence (joined into the words they form in its text, so 无抗蛋鸡 and
** not 无抗/抗蛋/蛋鸡), and that evidence with the terms marked.
*/
#include "match_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dupcol(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? jb_strdup((const char *)s) : NULL;
}

/* --------------------------------------------------- conflicts of interest */

/* A collaboration is no conflict: it is shown as a note beside the pair. */
static char *collaboration_note(const jb_match_index *mx, const mx_unit *u, const char *need_org) {
  if (!need_org || u->type != MX_EXPERT) return NULL;
  const mx_pair *c = mx_relation(mx, 1, u->id, need_org);
  if (!c) return NULL;
  jb_buf b = {0};
  jb_buf_printf(&b, jb_msg(JB_MSG_NOTE_WORKED_WITH), need_org);
  if (c->year) jb_buf_printf(&b, jb_msg(JB_MSG_NOTE_YEAR), c->year);
  if (c->note && *c->note) jb_buf_printf(&b, ": %s", c->note);
  return b.p;
}

/* ---------------------------------------------------------- explanations */

typedef struct doc_text {
  char *id, *kind, *title, *body;
  char *file_name, *file_text;  /* its attached file, or NULL */
  int year;
} doc_text;

static void doc_text_free(doc_text *d) {
  free(d->id);
  free(d->kind);
  free(d->title);
  free(d->body);
  free(d->file_name);
  free(d->file_text);
  memset(d, 0, sizeof(*d));
}

/* The attached file of the document's record, for the passage that matched. */
static void fetch_file(jb_db *db, const mx_unit *u, const mx_doc *d, doc_text *out) {
  const char *kind = u->type == MX_EXPERT ? "evidence" : u->type == MX_ACHIEVEMENT ? "achievement"
                     : u->type == MX_NEED ? "need" : NULL;
  if (!kind || !out->id || (u->type == MX_EXPERT && d->profile)) return;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT name, text FROM attachment WHERE kind=?1 AND ref=?2 AND sub=?3", -1,
                         &st, NULL))
    return;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, u->type == MX_EXPERT ? u->id : out->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, u->type == MX_EXPERT ? out->id : "", -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1) && *sqlite3_column_text(st, 1)) {
    out->file_name = dupcol(st, 0);
    out->file_text = dupcol(st, 1);
  }
  sqlite3_finalize(st);
}

/* Fetches the text of a document of the index for display; -1 when it
** cannot be read (an explanation without its evidence would look whole). */
static int fetch_doc(jb_db *db, const mx_unit *u, const mx_doc *d, doc_text *out) {
  memset(out, 0, sizeof(*out));
  const char *sql;
  int byid = 0;
  if (u->type == MX_EXPERT && !d->profile)
    sql = "SELECT id, coalesce(kind, 'paper'), doc ->> '$.title', doc ->> '$.abstract', year FROM evidence"
          " WHERE rowid=?1";
  else if (u->type == MX_EXPERT) {
    sql = "SELECT 'profile', 'profile', coalesce(fields, ''), coalesce(bio, ''), 0 FROM expert WHERE id=?1";
    byid = 1;
  } else if (u->type == MX_ACHIEVEMENT)
    sql = "SELECT id, coalesce(kind, 'achievement'), title, text, year FROM achievement WHERE rowid=?1";
  else if (u->type == MX_ORG)
    sql = "SELECT id, 'profile', name, description, 0 FROM org WHERE rowid=?1";
  else
    sql = "SELECT id, 'need', title, text, 0 FROM need WHERE rowid=?1";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL)) return -1;
  if (byid) sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
  else sqlite3_bind_int64(st, 1, d->rowid);
  int got = sqlite3_step(st);
  if (got == SQLITE_ROW) {
    out->id = dupcol(st, 0);
    out->kind = dupcol(st, 1);
    out->title = dupcol(st, 2);
    out->body = dupcol(st, 3);
    out->year = sqlite3_column_int(st, 4);
    if (byid && out->title && out->title[0] == '[') {
      /* fields are stored as a JSON list: show them as text */
      cJSON *a = cJSON_Parse(out->title);
      jb_buf t = {0};
      const cJSON *e;
      cJSON_ArrayForEach(e, a) if (cJSON_IsString(e)) {
        if (t.n) jb_buf_adds(&t, "、");
        jb_buf_adds(&t, e->valuestring);
      }
      cJSON_Delete(a);
      free(out->title);
      out->title = jb_strdup(jb_buf_str(&t));
      jb_buf_free(&t);
    }
  }
  sqlite3_finalize(st);
  if (got == SQLITE_ROW) fetch_file(db, u, d, out);
  return got == SQLITE_ROW || got == SQLITE_DONE ? 0 : -1;
}

typedef struct span {
  int start, end;
  double w;
  int feedback;    /* every term in it came from feedback */
} span;

typedef struct qslot {
  uint32_t term;
  int i;           /* its index in the query */
} qslot;

typedef struct span_ctx {
  const jb_match_index *mx;
  const mx_scratch *s;
  const mx_coll *c;
  const mx_doc *d;
  const mx_weights *w;
  span *v;
  int n, cap;
  qslot *q;        /* the query's terms sorted by term id: a long file has */
  int nq;          /* hundreds of thousands of tokens to look up */
} span_ctx;

static int cmp_qslot(const void *a, const void *b) {
  uint32_t x = ((const qslot *)a)->term, y = ((const qslot *)b)->term;
  return x < y ? -1 : x > y;
}

/* The query terms of the last match, sorted for lookup (x->q owned by x). */
static void query_slots(span_ctx *x) {
  int nq = mx_query_terms(x->s);
  x->q = malloc(sizeof(qslot) * (size_t)(nq ? nq : 1));
  x->nq = 0;
  if (!x->q) return;
  for (int i = 0; i < nq; i++) {
    x->q[x->nq].term = mx_query_term(x->s, i, NULL);
    x->q[x->nq++].i = i;
  }
  jb_qsort(x->q, (size_t)x->nq, sizeof(qslot), cmp_qslot);
}

static int query_index(const span_ctx *x, uint32_t term) {
  int lo = 0, hi = x->nq;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (x->q[mid].term == term) return x->q[mid].i;
    if (x->q[mid].term < term) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

static double doc_tf(const mx_coll *c, const mx_doc *d, uint32_t term) {
  const mx_fwd *f;
  uint32_t lo = 0, hi = mx_fwd_of(c, (uint32_t)(d - c->docs), &f);
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    uint32_t t = f[mid].term;
    if (t == term) return f[mid].tf;
    if (t < term) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

static int push_span(span_ctx *x, int st, int en, double w, int fb) {
  if (x->n == x->cap) {
    int cap = x->cap ? x->cap * 2 : 32;
    span *v = realloc(x->v, sizeof(*v) * (size_t)cap);
    if (!v) return 1;
    x->v = v;
    x->cap = cap;
  }
  x->v[x->n++] = (span){st, en, w, fb};
  return 0;
}

/* Each token of the text that is a term of the query, with its share of
** the score per occurrence; raw (bigrams overlap), made words later. */
static int span_cb(void *ctx, int tflags, const char *tok, int ntok, int st, int en) {
  span_ctx *x = ctx;
  uint32_t cp;
  /* single CJK characters score a little but explain nothing: not marked */
  if ((unsigned char)tok[0] >= 0x80 && jb_utf8_decode((const unsigned char *)tok, (size_t)ntok, &cp) == ntok)
    return 0;
  uint32_t term = mx_term_find(x->mx, tok, ntok);
  if (term == UINT32_MAX) return 0;
  int i = query_index(x, term);
  if (i >= 0) {
    int fb = 0;
    mx_query_term(x->s, i, &fb);
    double tf = doc_tf(x->c, x->d, term);
    double contrib = tf > 0 ? mx_term_contrib(x->s, x->c, x->w, i, tf, x->d->len, x->d->vnorm) : 0;
    return push_span(x, st, en, contrib / (tf > 0 ? tf : 1), fb);
  }
  return 0;
}

typedef struct word_list {
  int *start, *end;
  int n, cap;
} word_list;

static int word_cb(void *ctx, int start, int end) {
  word_list *l = ctx;
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 64;
    int *s = realloc(l->start, sizeof(int) * (size_t)cap), *e = s ? realloc(l->end, sizeof(int) * (size_t)cap) : NULL;
    if (s) l->start = s;
    if (!e) return 1;
    l->end = e;
    l->cap = cap;
  }
  l->start[l->n] = start;
  l->end[l->n] = end;
  l->n++;
  return 0;
}

static int has_cjk(const char *s, int a, int b) {
  for (int i = a; i < b; i++)
    if ((unsigned char)s[i] >= 0x80) return 1;
  return 0;
}

static int nchars(const char *s, int a, int b) {
  int n = 0;
  for (int i = a; i < b; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

/* The raw matches made whole words: a CJK match counts for the word that
** contains it (words of two or more characters; its matches' weights add
** up), never for a word it only straddles (蛋清 in 洁蛋|清洗); Latin words
** and numbers are words already. Spans come out sorted, not overlapping. */
static void spans_to_words(span_ctx *x, const jb_words *wd, const char *text) {
  word_list wl = {NULL, NULL, 0, 0};
  if (wd && jb_words_split(wd, text, (int)strlen(text), &wl, word_cb)) wl.n = 0;
  int n = x->n;
  span *raw = x->v;
  x->v = NULL;
  x->n = x->cap = 0;
  for (int i = 0; i < n; i++) {
    span r = raw[i];
    if (has_cjk(text, r.start, r.end)) {
      int lo = 0, hi = wl.n; /* the last word starting at or before r.start */
      while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (wl.start[mid] <= r.start) lo = mid + 1;
        else hi = mid;
      }
      if (!lo || r.end > wl.end[lo - 1] || nchars(text, wl.start[lo - 1], wl.end[lo - 1]) < 2) continue;
      r.start = wl.start[lo - 1];
      r.end = wl.end[lo - 1];
    }
    if (x->n && x->v[x->n - 1].start == r.start && x->v[x->n - 1].end == r.end) {
      x->v[x->n - 1].w += r.w;
      x->v[x->n - 1].feedback &= r.feedback;
      continue;
    }
    if (x->n && r.start < x->v[x->n - 1].end) continue; /* inside the previous word */
    if (push_span(x, r.start, r.end, r.w, r.feedback)) break;
  }
  free(raw);
  free(wl.start);
  free(wl.end);
}

/* Marks spans in s[from, to) with the markers. */
static void mark_text(jb_buf *out, const char *s, int from, int to, const span *v, int n,
                      const char *mo, const char *mc) {
  int p = from;
  for (int i = 0; i < n; i++) {
    if (v[i].end <= from || v[i].start >= to) continue;
    int a = v[i].start < from ? from : v[i].start, b = v[i].end > to ? to : v[i].end;
    jb_buf_add(out, s + p, (size_t)(a - p));
    jb_buf_adds(out, mo);
    jb_buf_add(out, s + a, (size_t)(b - a));
    jb_buf_adds(out, mc);
    p = b;
  }
  jb_buf_add(out, s + p, (size_t)(to - p));
}

/* Moves a byte offset back/forward to a UTF-8 character boundary. */
static int char_start(const char *s, int i) {
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
  return i;
}

/* Window of about `bytes` around the heaviest span. */
static void snippet(jb_buf *out, const char *s, const span *v, int n, int bytes, const char *mo,
                    const char *mc) {
  int len = (int)strlen(s);
  int best = -1;
  for (int i = 0; i < n; i++)
    if (best < 0 || v[i].w > v[best].w) best = i;
  int from = 0;
  if (best >= 0 && v[best].start > bytes / 4) from = char_start(s, v[best].start - bytes / 4);
  int to = from + bytes >= len ? len : char_start(s, from + bytes);
  /* the window's edges never cut a marked word in two */
  for (int i = 0; i < n; i++) {
    if (v[i].start < from && v[i].end > from) from = v[i].start;
    if (v[i].start < to && v[i].end > to) to = v[i].end;
  }
  if (from > 0) jb_buf_adds(out, "…");
  mark_text(out, s, from, to, v, n, mo, mc);
  if (to < len) jb_buf_adds(out, "…");
}

/* The passage of about `bytes` whose marked spans weigh the most (spans are
** in text order; two pointers, one pass): in a 50-page file, where the
** matching words gather, not where the heaviest single word first occurs.
** Sets *from to its start and returns its weight. */
static double best_window(const char *s, const span *v, int n, int bytes, int *from) {
  double best = 0, sum = 0;
  int j = 0;
  *from = 0;
  for (int i = 0; i < n; i++) {
    while (j < n && v[j].end - v[i].start <= bytes) sum += v[j++].w;
    if (sum > best) {
      best = sum;
      *from = v[i].start;
    }
    sum -= v[i].w;
  }
  int back = *from > bytes / 8 ? bytes / 8 : *from; /* a little context before it */
  *from = char_start(s, *from - back);
  return best;
}

/* Bytes of an attached file's text searched for the passage to quote. */
#define EXPLAIN_FILE_BYTES (1 << 20)

/* The best passage of a long text, marked. */
static void passage(jb_buf *out, const char *s, const span *v, int n, int from, int bytes) {
  int len = (int)strlen(s);
  int to = from + bytes >= len ? len : char_start(s, from + bytes);
  if (from > 0) jb_buf_adds(out, "…");
  mark_text(out, s, from, to, v, n, "[", "]");
  if (to < len) jb_buf_adds(out, "…");
}

static void spans_of(span_ctx *x, jb_db *db, const char *text) {
  x->n = 0;
  if (!text) return;
  jb_tokenize(db->tok, JB_TOKENIZE_QUERY, text, (int)strlen(text), x, span_cb);
  /* words matter only for non-ASCII spans: ASCII text never loads them */
  int ascii = 1;
  for (const char *p = text; *p && ascii; p++) ascii = (unsigned char)*p < 0x80;
  spans_to_words(x, ascii ? NULL : jb_lexicon_words(db->lex), text);
}

typedef struct term_out {
  char *text;
  double w;
  int feedback;
} term_out;

static void add_terms(term_out **terms, int *nterms, const char *s, const span *v, int n) {
  for (int i = 0; i < n; i++) {
    int len = v[i].end - v[i].start;
    if (len <= 3 && (unsigned char)s[v[i].start] >= 0x80) continue; /* a clipped lone character */
    int k = 0;
    while (k < *nterms && !((int)strlen((*terms)[k].text) == len && !strncmp((*terms)[k].text, s + v[i].start, (size_t)len)))
      k++;
    if (k < *nterms) {
      if (v[i].w > (*terms)[k].w) (*terms)[k].w = v[i].w;
      continue;
    }
    term_out *t = realloc(*terms, sizeof(term_out) * (size_t)(*nterms + 1));
    if (!t) return;
    *terms = t;
    (*terms)[*nterms].text = jb_strndup(s + v[i].start, (size_t)len);
    (*terms)[*nterms].w = v[i].w;
    (*terms)[*nterms].feedback = v[i].feedback;
    (*nterms)++;
  }
}

static int cmp_term_out(const void *a, const void *b) {
  const term_out *x = a, *y = b;
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  return strcmp(x->text, y->text);
}

static double round4(double v) { return round(v * 10000) / 10000; }

/* Adds "terms" and "evidence" for the hit's best document; -1 when the
** document cannot be read. */
static int explain_doc(jb_db *db, const jb_match_index *mx, const mx_scratch *s, const mx_coll *c,
                       const mx_weights *w, uint32_t docidx, cJSON *r) {
  if (docidx == UINT32_MAX || docidx >= c->ndocs) return 0;
  const mx_doc *d = &c->docs[docidx];
  const mx_unit *u = &mx->units[d->unit];
  doc_text dt;
  if (fetch_doc(db, u, d, &dt)) {
    doc_text_free(&dt);
    return -1;
  }
  span_ctx x = {mx, s, c, d, w, NULL, 0, 0, NULL, 0};
  query_slots(&x);
  term_out *terms = NULL;
  int nterms = 0;
  jb_buf title = {0}, body = {0};
  spans_of(&x, db, dt.title);
  add_terms(&terms, &nterms, dt.title ? dt.title : "", x.v, x.n);
  if (dt.title) mark_text(&title, dt.title, 0, (int)strlen(dt.title), x.v, x.n, "[", "]");
  spans_of(&x, db, dt.body);
  add_terms(&terms, &nterms, dt.body ? dt.body : "", x.v, x.n);
  if (dt.body) snippet(&body, dt.body, x.v, x.n, 240, "[", "]");
  int from = 0, in_file = 0;
  double wbody = dt.body ? best_window(dt.body, x.v, x.n, 240, &from) : 0;
  if (dt.file_text) {
    /* the attached file: its best passage replaces the abstract's when it
    ** weighs more (the need's words gather there). Its first MB is read
    ** (a 300-page paper): explaining stays bounded however long the file. */
    if (strlen(dt.file_text) > EXPLAIN_FILE_BYTES) dt.file_text[char_start(dt.file_text, EXPLAIN_FILE_BYTES)] = 0;
    spans_of(&x, db, dt.file_text);
    double wfile = best_window(dt.file_text, x.v, x.n, 240, &from);
    if (wfile > wbody) {
      jb_buf_reset(&body);
      passage(&body, dt.file_text, x.v, x.n, from, 240);
      in_file = 1;
      /* the terms of that passage, not of every page */
      int a = 0;
      while (a < x.n && x.v[a].end <= from) a++;
      int b = a;
      while (b < x.n && x.v[b].start < from + 240) b++;
      add_terms(&terms, &nterms, dt.file_text, x.v + a, b - a);
    }
  }
  jb_qsort(terms, (size_t)nterms, sizeof(term_out), cmp_term_out);
  cJSON *ta = cJSON_AddArrayToObject(r, "terms");
  for (int i = 0; i < nterms; i++) {
    if (i < 10) {
      cJSON *t = cJSON_CreateObject();
      cJSON_AddStringToObject(t, "term", terms[i].text);
      cJSON_AddNumberToObject(t, "weight", round4(terms[i].w));
      if (terms[i].feedback) cJSON_AddBoolToObject(t, "feedback", 1);
      cJSON_AddItemToArray(ta, t);
    }
    free(terms[i].text);
  }
  free(terms);
  cJSON *ev = cJSON_AddObjectToObject(r, "evidence");
  cJSON_AddStringToObject(ev, "id", dt.id ? dt.id : "");
  cJSON_AddStringToObject(ev, "kind", dt.kind ? dt.kind : "");
  cJSON_AddStringToObject(ev, "title", jb_buf_str(&title));
  cJSON_AddStringToObject(ev, "snippet", jb_buf_str(&body));
  if (dt.file_name) cJSON_AddStringToObject(ev, "file", dt.file_name);
  if (in_file) cJSON_AddStringToObject(ev, "snippet_from", "file");
  if (dt.year) cJSON_AddNumberToObject(ev, "year", dt.year);
  free(x.v);
  free(x.q);
  jb_buf_free(&title);
  jb_buf_free(&body);
  doc_text_free(&dt);
  return 0;
}

cJSON *mx_hit_json(jb_db *db, const jb_match_index *mx, const mx_scratch *s, const mx_weights *w,
                       const mx_hit *h, int rank, const char *need_org, int explain, const mx_coll *c) {
  const mx_unit *u = &mx->units[h->unit];
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "rank", rank);
  cJSON_AddStringToObject(r, "type", mx_type_name((mx_type)u->type));
  cJSON_AddStringToObject(r, "id", u->id);
  cJSON_AddStringToObject(r, "name", u->name ? u->name : u->id);
  if (u->org && u->type != MX_ORG) {
    cJSON_AddStringToObject(r, "org", u->org);
    const char *on = mx_org_name(mx, u->org);
    if (on) cJSON_AddStringToObject(r, "org_name", on);
  }
  cJSON_AddNumberToObject(r, "score", round4(h->score));
  if (!explain) return r;
  cJSON *comp = cJSON_AddObjectToObject(r, "components");
  cJSON_AddNumberToObject(comp, "text", round4(h->text));
  cJSON_AddNumberToObject(comp, "chain", h->chain);
  cJSON_AddNumberToObject(comp, "region", h->region);
  cJSON_AddNumberToObject(comp, "program", h->program);
  if (u->type == MX_EXPERT) cJSON_AddNumberToObject(comp, "capacity", u->capacity);
  if (h->via) {
    const mx_unit *e = &mx->units[h->via - 1];
    cJSON *via = cJSON_AddObjectToObject(r, "via");
    cJSON_AddStringToObject(via, "expert", e->id);
    cJSON_AddStringToObject(via, "name", e->name ? e->name : e->id);
  }
  /* for an institution lifted by an expert, best_doc is that expert's */
  if (explain_doc(db, mx, s, c, w, h->best_doc, r)) {
    cJSON_Delete(r);
    return NULL;
  }
  char *collab = collaboration_note(mx, u, need_org);
  if (collab) {
    cJSON_AddStringToObject(r, "note", collab);
    free(collab);
  }
  return r;
}

