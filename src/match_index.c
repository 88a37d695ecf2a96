/*
** match_index.c — building the in-memory match index from the tables.
**
** Documents are tokenized with the index tokenizer in query form (bigrams
** for CJK, stemmed words for English), minus tokens that carry no topic:
** English stopwords, bare numbers, lone CJK characters. Each document keeps
** its field-weighted term frequencies twice: as postings (term -> docs), to
** score a need against everything, and as a forward list (doc -> terms), to
** explain a match and to pick feedback terms.
*/
#include "match_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* English function words, stemmed at load time so they match the tokens. */
static const char *const stopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few",
    "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
    "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "itself", "just", "may", "me", "might", "more", "most", "must", "my", "myself", "no", "nor",
    "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
    "out", "over", "own", "same", "shall", "she", "should", "so", "some", "such", "than", "that",
    "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
    "those", "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "was",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "whose", "why",
    "will", "with", "within", "without", "would", "you", "your", "yours", "yourself", "et",
    "al", "via", "however", "therefore", "whether", "although", "either", "neither", "yet",
    "e.g", "i.e", "etc"};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct one_tok {
  char buf[80];
  int n;
} one_tok;

static int take_first(void *ctx, int tflags, const char *tok, int ntok, int s, int e) {
  one_tok *o = ctx;
  if (o->n || ntok >= (int)sizeof(o->buf)) return 0;
  memcpy(o->buf, tok, (size_t)ntok);
  o->buf[ntok] = 0;
  o->n = ntok;
  return 0;
}

static int load_stopwords(jb_match_index *mx, jb_tokenizer *tok) {
  int n = JB_ARRAY_LEN(stopwords);
  mx->stop = calloc((size_t)n, sizeof(char *));
  if (!mx->stop) return -1;
  for (int i = 0; i < n; i++) {
    one_tok o = {{0}, 0};
    jb_tokenize(tok, JB_TOKENIZE_QUERY, stopwords[i], (int)strlen(stopwords[i]), &o, take_first);
    if (!o.n) continue;
    if (!(mx->stop[mx->nstop] = jb_strdup(o.buf))) return -1;
    mx->nstop++;
  }
  jb_qsort(mx->stop, (size_t)mx->nstop, sizeof(char *), cmp_str);
  return 0;
}

int mx_is_noise(const jb_match_index *mx, const char *tok, int n) {
  unsigned char c = (unsigned char)tok[0];
  if (c >= 0x80) {
    /* a lone CJK character: too ambiguous to score (的, 和, 用 ...) */
    uint32_t cp;
    int l = jb_utf8_decode((const unsigned char *)tok, (size_t)n, &cp);
    return l == n && jb_char_class(cp) == 2;
  }
  int digits = 1;
  for (int i = 0; i < n && digits; i++)
    digits = (tok[i] >= '0' && tok[i] <= '9') || tok[i] == '.';
  if (digits) return 1; /* years, percentages, parameters: not topics */
  if (n == 1) return 1;
  char key[80];
  if (n >= (int)sizeof(key)) return 0;
  memcpy(key, tok, (size_t)n);
  key[n] = 0;
  const char *k = key;
  return mx->nstop && bsearch(&k, mx->stop, (size_t)mx->nstop, sizeof(char *), cmp_str) != NULL;
}

/* ----------------------------------------------------------------- terms */

static uint32_t term_hash(const char *s, int n) { return (uint32_t)jb_hash64(s, (size_t)n, 7); }

uint32_t mx_term_find(const jb_match_index *mx, const char *tok, int n) {
  const mx_terms *t = &mx->terms;
  if (!t->nslots) return UINT32_MAX;
  uint32_t h = term_hash(tok, n) & (t->nslots - 1);
  while (t->slots[h]) {
    const char *s = t->text[t->slots[h] - 1];
    if ((int)strlen(s) == n && !memcmp(s, tok, (size_t)n)) return t->slots[h] - 1;
    h = (h + 1) & (t->nslots - 1);
  }
  return UINT32_MAX;
}

static uint32_t term_add(mx_terms *t, const char *tok, int n) {
  if ((t->n + 1) * 2 > t->nslots) {
    uint32_t ns = t->nslots ? t->nslots * 2 : 4096;
    uint32_t *slots = calloc(ns, sizeof(uint32_t));
    if (!slots) return UINT32_MAX;
    for (uint32_t i = 0; i < t->nslots; i++) {
      if (!t->slots[i]) continue;
      const char *s = t->text[t->slots[i] - 1];
      uint32_t h = term_hash(s, (int)strlen(s)) & (ns - 1);
      while (slots[h]) h = (h + 1) & (ns - 1);
      slots[h] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
  }
  uint32_t h = term_hash(tok, n) & (t->nslots - 1);
  while (t->slots[h]) {
    const char *s = t->text[t->slots[h] - 1];
    if ((int)strlen(s) == n && !memcmp(s, tok, (size_t)n)) return t->slots[h] - 1;
    h = (h + 1) & (t->nslots - 1);
  }
  if (t->n == t->cap) {
    uint32_t cap = t->cap ? t->cap * 2 : 4096;
    char **tx = realloc(t->text, sizeof(char *) * cap);
    if (!tx) return UINT32_MAX;
    t->text = tx;
    t->cap = cap;
  }
  if (!(t->text[t->n] = jb_strndup(tok, (size_t)n))) return UINT32_MAX;
  t->slots[h] = t->n + 1;
  return t->n++;
}

/* ------------------------------------------------------------- features */

typedef struct feat_ctx {
  const jb_match_index *mx;
  const char *text;
  void *ctx;
  mx_feature_cb cb;
  char prev[80];
  int prevn, prevend;
  int unigrams;
} feat_ctx;

static int is_word(const char *tok, int n) {
  if ((unsigned char)tok[0] >= 0x80) return 0;
  for (int i = 0; i < n; i++)
    if ((tok[i] >= 'a' && tok[i] <= 'z')) return 1;
  return 0;
}

static int is_cjk_char(const char *tok, int n) {
  uint32_t cp;
  return (unsigned char)tok[0] >= 0x80 && jb_utf8_decode((const unsigned char *)tok, (size_t)n, &cp) == n &&
         jb_char_class(cp) == 2;
}

static int feat_cb(void *ctx, int tflags, const char *tok, int ntok, int s, int e) {
  feat_ctx *f = ctx;
  if (is_cjk_char(tok, ntok)) {
    /* single characters: a weak, optional topic signal (see w->unigram) */
    return f->unigrams ? f->cb(f->ctx, tok, ntok, 2, s, e) : 0;
  }
  if (mx_is_noise(f->mx, tok, ntok)) {
    f->prevn = 0;
    return 0;
  }
  int rc = f->cb(f->ctx, tok, ntok, 0, s, e);
  if (rc) return rc;
  /* English word pairs ("transfer learn", "neural network") written next to
  ** each other: a technical term says more than its words apart. */
  int word = is_word(tok, ntok) && ntok < 40;
  if (word && f->prevn && s - f->prevend == 1 && (f->text[f->prevend] == ' ' || f->text[f->prevend] == '-')) {
    char pair[84];
    memcpy(pair, f->prev, (size_t)f->prevn);
    pair[f->prevn] = ' ';
    memcpy(pair + f->prevn + 1, tok, (size_t)ntok);
    rc = f->cb(f->ctx, pair, f->prevn + 1 + ntok, 1, s, e);
    if (rc) return rc;
  }
  if (word) {
    memcpy(f->prev, tok, (size_t)ntok);
    f->prevn = ntok;
    f->prevend = e;
  } else {
    f->prevn = 0;
  }
  return 0;
}

int mx_features(const jb_match_index *mx, jb_tokenizer *tok, const char *text, int unigrams,
                void *ctx, mx_feature_cb cb) {
  if (!text || !*text) return 0;
  feat_ctx f;
  memset(&f, 0, sizeof(f));
  f.mx = mx;
  f.text = text;
  f.ctx = ctx;
  f.cb = cb;
  f.unigrams = unigrams;
  /* document form: CJK characters come as colocated unigrams besides bigrams */
  return jb_tokenize(tok, unigrams ? JB_TOKENIZE_DOCUMENT : JB_TOKENIZE_QUERY, text, (int)strlen(text), &f,
                     feat_cb);
}

/* ------------------------------------------------------------- building */

typedef struct tf_pair {
  uint32_t term;
  float w;
} tf_pair;

typedef struct doc_builder {
  jb_match_index *mx;
  tf_pair *v;
  size_t n, cap;
  float weight;   /* of the field being tokenized */
  float len;
  int oom;
  int unigrams;
} doc_builder;

static int push_pair(doc_builder *b, uint32_t id, float w) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    tf_pair *v = realloc(b->v, sizeof(*v) * cap);
    if (!v) { b->oom = 1; return 1; }
    b->v = v;
    b->cap = cap;
  }
  b->v[b->n].term = id;
  b->v[b->n].w = w;
  b->n++;
  return 0;
}

static int build_cb(void *ctx, const char *tok, int ntok, int phrase, int s, int e) {
  doc_builder *b = ctx;
  uint32_t id = term_add(&b->mx->terms, tok, ntok);
  if (id == UINT32_MAX) { b->oom = 1; return 1; }
  if (push_pair(b, id, b->weight)) return 1;
  if (!phrase) b->len += b->weight; /* length counts words and bigrams, as plain BM25 does */
  return 0;
}

static int cmp_pair(const void *a, const void *b) {
  uint32_t x = ((const tf_pair *)a)->term, y = ((const tf_pair *)b)->term;
  return x < y ? -1 : x > y;
}

/* Adds a list field given as JSON text ("[\"a\",\"b\"]") or plain text. */
static void tokenize_field(doc_builder *b, jb_tokenizer *tok, const char *text, float weight) {
  if (!text || !*text || weight <= 0) return;
  b->weight = weight;
  if (text[0] == '[') {
    cJSON *a = cJSON_Parse(text);
    if (cJSON_IsArray(a)) {
      const cJSON *e;
      cJSON_ArrayForEach(e, a) if (cJSON_IsString(e)) mx_features(b->mx, tok, e->valuestring, b->unigrams, b, build_cb);
      cJSON_Delete(a);
      return;
    }
    cJSON_Delete(a);
  }
  mx_features(b->mx, tok, text, b->unigrams, b, build_cb);
}

/* Turns the builder's pairs into one document of the collection. */
static int add_doc(mx_coll *c, doc_builder *b, uint32_t unit, int year, int profile, int64_t rowid) {
  jb_qsort(b->v, b->n, sizeof(tf_pair), cmp_pair);
  if (c->ndocs == c->capdocs) {
    uint32_t cap = c->capdocs ? c->capdocs * 2 : 1024;
    mx_doc *d = realloc(c->docs, sizeof(*d) * cap);
    if (!d) return -1;
    c->docs = d;
    c->capdocs = cap;
  }
  if (c->nfwd + b->n > UINT32_MAX) return -1; /* mx_doc.fwd is 32-bit: ~4G (term, doc) pairs */
  mx_doc *d = &c->docs[c->ndocs];
  memset(d, 0, sizeof(*d)); /* padding too: the index file holds these bytes as they are */
  d->unit = unit;
  d->fwd = (uint32_t)c->nfwd;
  d->nfwd = 0;
  d->len = b->len;
  d->year = (int16_t)year;
  d->profile = (uint8_t)profile;
  d->rowid = rowid;
  for (size_t i = 0; i < b->n;) {
    size_t j = i;
    float tf = 0;
    while (j < b->n && b->v[j].term == b->v[i].term) tf += b->v[j++].w;
    uint32_t t = b->v[i].term;
    if (c->nfwd == c->capfwd) {
      size_t cap = c->capfwd ? c->capfwd * 2 : 65536;
      mx_fwd *f = realloc(c->fwd, sizeof(*f) * cap);
      if (!f) return -1;
      c->fwd = f;
      c->capfwd = cap;
    }
    c->fwd[c->nfwd].term = t;
    c->fwd[c->nfwd].tf = tf;
    c->nfwd++;
    d->nfwd++;
    if (t >= c->nterms_alloc) {
      uint32_t na = c->nterms_alloc ? c->nterms_alloc : 4096;
      while (na <= t) na *= 2;
      uint32_t *np = realloc(c->npost, sizeof(uint32_t) * na);
      if (!np) return -1;
      c->npost = np;
      memset(c->npost + c->nterms_alloc, 0, sizeof(uint32_t) * (na - c->nterms_alloc));
      c->nterms_alloc = na;
    }
    c->npost[t]++; /* the postings themselves are laid out by flatten() */
    i = j;
  }
  c->ndocs++;
  b->n = 0;
  b->len = 0;
  return 0;
}

/* The postings, from the forward lists: counted while documents were added,
** laid out here in one array, each term's in document order. One pass and
** no growing array per term, so building needs the forward lists and the
** postings and nothing more (at 1M items that decides whether it fits). */
static int flatten(mx_coll *c) {
  if (c->nfwd < c->capfwd) { /* give back the doubling's slack first */
    mx_fwd *f = realloc(c->fwd, sizeof(mx_fwd) * (c->nfwd ? c->nfwd : 1));
    if (f) {
      c->fwd = f;
      c->capfwd = c->nfwd ? c->nfwd : 1;
    }
  }
  c->off = malloc(sizeof(uint64_t) * ((size_t)c->nterms_alloc + 1));
  if (!c->off) return -1;
  uint64_t total = 0;
  for (uint32_t t = 0; t < c->nterms_alloc; t++) {
    c->off[t] = total;
    total += c->npost[t];
  }
  c->off[c->nterms_alloc] = total;
  c->post = malloc(sizeof(mx_posting) * (total ? total : 1));
  uint64_t *next = malloc(sizeof(uint64_t) * ((size_t)c->nterms_alloc + 1));
  if (!c->post || !next) {
    free(next);
    return -1;
  }
  memcpy(next, c->off, sizeof(uint64_t) * ((size_t)c->nterms_alloc + 1));
  for (uint32_t d = 0; d < c->ndocs; d++)
    for (uint32_t i = 0; i < c->docs[d].nfwd; i++) {
      const mx_fwd *f = &c->fwd[c->docs[d].fwd + i];
      mx_posting *p = &c->post[next[f->term]++];
      p->doc = d;
      p->tf = f->tf;
    }
  free(next);
  return 0;
}

static void coll_free(mx_coll *c) {
  mx_lazy_free(c->lazy);
  c->lazy = NULL;
  if (c->mapped) return;
  free(c->post);
  free(c->off);
  free(c->npost);
  free(c->docs);
  free(c->fwd);
}

int mx_in_map(const jb_match_index *mx, const void *p) {
  for (int i = 0; i < 2; i++) {
    const char *m = mx->map[i], *q = p;
    if (m && q >= m && q < m + mx->maplen[i]) return 1;
  }
  return 0;
}

/* A string of the index: in the file's mapping, or our own. */
static void str_free(const jb_match_index *mx, char *s) {
  if (!mx_in_map(mx, s)) free(s);
}

/* Slots for terms [from, n) into a table that holds the others. */
static void hash_terms(mx_terms *t, uint32_t from) {
  for (uint32_t i = from; i < t->n; i++) {
    const char *s = t->text[i];
    uint32_t h = term_hash(s, (int)strlen(s)) & (t->nslots - 1);
    while (t->slots[h]) h = (h + 1) & (t->nslots - 1);
    t->slots[h] = i + 1;
  }
}

uint32_t mx_term_slots_for(uint32_t n) {
  uint32_t ns = 4096;
  while (ns < n * 2 + 1) ns *= 2;
  return ns;
}

int mx_rebuild_term_hash(mx_terms *t) {
  uint32_t ns = mx_term_slots_for(t->n);
  t->slots = calloc(ns, sizeof(uint32_t));
  if (!t->slots) return -1;
  t->nslots = ns;
  hash_terms(t, 0);
  return 0;
}

int mx_term_hash_from(mx_terms *t, const uint32_t *slots, uint32_t nslots, uint32_t nsaved) {
  if (!slots || nsaved > t->n || nslots < mx_term_slots_for(t->n)) return mx_rebuild_term_hash(t);
  if (!(t->slots = malloc(sizeof(uint32_t) * nslots))) return -1;
  memcpy(t->slots, slots, sizeof(uint32_t) * nslots);
  t->nslots = nslots;
  hash_terms(t, nsaved); /* the needs part's terms */
  return 0;
}

/* The supply part's own table, as saved: sized with room for the needs'
** terms (a quarter more), so that a load copies it and adds those. */
uint32_t *mx_term_slots_save(const jb_match_index *mx, uint32_t *nslots) {
  mx_terms t = {0};
  t.text = mx->terms.text;
  t.n = mx->nterms_supply;
  t.nslots = mx_term_slots_for(t.n + t.n / 4);
  if (!(t.slots = calloc(t.nslots, sizeof(uint32_t)))) return NULL;
  hash_terms(&t, 0);
  *nslots = t.nslots;
  return t.slots;
}

void jb_match_index_free(jb_match_index *mx) {
  if (!mx) return;
  for (uint32_t i = 0; i < mx->terms.n; i++) str_free(mx, mx->terms.text[i]);
  free(mx->terms.text);
  free(mx->terms.slots);
  coll_free(&mx->supply);
  coll_free(&mx->demand);
  for (uint32_t i = 0; i < mx->nunits; i++) {
    str_free(mx, mx->units[i].id);
    str_free(mx, mx->units[i].name);
    str_free(mx, mx->units[i].org);
    str_free(mx, mx->units[i].region);
    str_free(mx, mx->units[i].list);
  }
  free(mx->units);
  for (uint32_t i = 0; i < mx->nconflicts; i++) {
    str_free(mx, mx->conflicts[i].key);
    str_free(mx, mx->conflicts[i].note);
  }
  for (uint32_t i = 0; i < mx->ncollabs; i++) {
    str_free(mx, mx->collabs[i].key);
    str_free(mx, mx->collabs[i].note);
  }
  free(mx->conflicts);
  free(mx->collabs);
  mx_outcomes_free(mx);
  for (uint32_t i = 0; i < mx->norgs; i++) {
    str_free(mx, mx->orgs[i].id);
    str_free(mx, mx->orgs[i].parent);
    str_free(mx, mx->orgs[i].name);
  }
  free(mx->orgs);
  for (int i = 0; i < mx->nstop; i++) free(mx->stop[i]);
  free(mx->stop);
  free(mx->generation);
  mx_scratch_free(mx->spare);
  free(mx->supply_state);
  free(mx->demand_norms);
  for (int i = 0; i < 2; i++)
    if (mx->map[i] && mx->map_owned[i]) munmap(mx->map[i], mx->maplen[i]);
  free(mx);
}

/* The needs part being replaced: kept (with its file mapped) while the new
** one is built, which reuses the documents of needs that did not change. */
typedef struct old_needs {
  mx_unit *units;      /* sorted by id, as built */
  uint32_t n;
  mx_coll coll;
  void *map;
  size_t maplen;
  int owned;
} old_needs;

static int detach_needs(jb_match_index *mx, old_needs *o) {
  memset(o, 0, sizeof(*o));
  uint32_t lo = 0;
  while (lo < mx->nunits && mx->units[lo].type != MX_NEED) lo++;
  o->n = mx->nunits - lo;
  o->units = malloc(sizeof(mx_unit) * (o->n ? o->n : 1));
  if (!o->units) return -1;
  if (o->n) memcpy(o->units, mx->units + lo, sizeof(mx_unit) * o->n); /* units is NULL in an empty index */
  mx->nunits = lo;
  o->coll = mx->demand;
  memset(&mx->demand, 0, sizeof(mx->demand));
  o->map = mx->map[MX_PART_NEEDS];
  o->maplen = mx->maplen[MX_PART_NEEDS];
  o->owned = mx->map_owned[MX_PART_NEEDS];
  mx_scratch_free(mx->spare); /* sized for the old documents */
  mx->spare = NULL;
  free(mx->demand_norms);     /* the old documents' */
  mx->demand_norms = NULL;
  return 0;
}

/* Frees what the old needs part owned; the terms it brought are kept (term
** ids stay valid: the new part's documents may use them), copied out of its
** file before the file is unmapped. -1: out of memory (then mx is unusable). */
static int release_needs(jb_match_index *mx, old_needs *o) {
  int rc = 0;
  for (uint32_t i = 0; i < o->n; i++) {
    str_free(mx, o->units[i].id);
    str_free(mx, o->units[i].name);
    str_free(mx, o->units[i].org);
    str_free(mx, o->units[i].region);
    str_free(mx, o->units[i].list);
  }
  free(o->units);
  coll_free(&o->coll);
  if (o->map) {
    for (uint32_t i = mx->nterms_supply; i < mx->terms.n; i++)
      if (mx_in_map(mx, mx->terms.text[i]) && !(mx->terms.text[i] = jb_strdup(mx->terms.text[i]))) rc = -1;
    if (o->owned) munmap(o->map, o->maplen);
    if (mx->map[MX_PART_NEEDS] == o->map) {
      mx->map[MX_PART_NEEDS] = NULL;
      mx->maplen[MX_PART_NEEDS] = 0;
      mx->map_owned[MX_PART_NEEDS] = 0;
    }
  }
  memset(o, 0, sizeof(*o));
  return rc;
}

static mx_unit *unit_add(jb_match_index *mx, mx_type type, sqlite3_stmt *st, int idcol) {
  if (mx->nunits == mx->capunits) {
    uint32_t cap = mx->capunits ? mx->capunits * 2 : 1024;
    mx_unit *u = realloc(mx->units, sizeof(*u) * cap);
    if (!u) return NULL;
    mx->units = u;
    mx->capunits = cap;
  }
  mx_unit *u = &mx->units[mx->nunits++];
  memset(u, 0, sizeof(*u));
  u->type = (uint8_t)type;
  u->id = jb_strdup((const char *)sqlite3_column_text(st, idcol));
  return u->id ? u : NULL;
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? jb_strdup((const char *)s) : NULL;
}

static const char *col(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? (const char *)s : "";
}

uint64_t mx_chains_from_json(jb_db *db, const char *json) {
  uint64_t bits = 0;
  if (!json || json[0] != '[') return 0;
  cJSON *a = cJSON_Parse(json);
  const cJSON *e;
  cJSON_ArrayForEach(e, a) {
    if (!cJSON_IsString(e)) continue;
    for (int i = 0; i < jb_lexicon_nchains(db->lex) && i < 64; i++)
      if (!strcmp(jb_lexicon_chain(db->lex, i)->name, e->valuestring)) bits |= 1ULL << i;
  }
  cJSON_Delete(a);
  return bits;
}

typedef struct chain_scan {
  jb_db *db;
  jb_buf norm;
} chain_scan;

uint64_t mx_chains_in_text(jb_db *db, jb_tokenizer *tok, const char *text) {
  uint64_t bits = 0;
  if (!text || !*text) return 0;
  jb_buf norm = {0};
  jb_buf_addc(&norm, ' ');
  jb_buf tmp = {0};
  jb_text_normalize(tok, text, (int)strlen(text), &tmp);
  jb_buf_adds(&norm, jb_buf_str(&tmp));
  jb_buf_addc(&norm, ' ');
  jb_buf key = {0};
  for (int i = 0; i < jb_lexicon_nchains(db->lex) && i < 64; i++) {
    const jb_chain *c = jb_lexicon_chain(db->lex, i);
    for (int j = 0; j < c->nkeywords; j++) {
      jb_buf_reset(&key);
      jb_buf_printf(&key, " %s ", c->keywords[j]);
      if (strstr(norm.p, key.p)) {
        bits |= 1ULL << i;
        break;
      }
    }
  }
  jb_buf_free(&key);
  jb_buf_free(&tmp);
  jb_buf_free(&norm);
  return bits;
}

/* An expert's programs (a JSON list of names) by their kind in programs.tsv. */
static uint8_t programs_of(jb_db *db, const char *json) {
  uint8_t p = 0;
  cJSON *a = json && *json ? cJSON_Parse(json) : NULL;
  const cJSON *e;
  cJSON_ArrayForEach(e, a) if (cJSON_IsString(e)) {
    int k = jb_lexicon_program_kind(db->lex, e->valuestring);
    if (k == JB_PROGRAM_SERVES_COUNTIES) p |= MX_PROG_COMMISSIONER;
    else if (k == JB_PROGRAM_TALENT) p |= MX_PROG_TALENT;
  }
  cJSON_Delete(a);
  return p;
}

static int finish_coll(mx_coll *co);

/* The supply part: every unit but needs, their documents, relations, orgs. */
static jb_status build(jb_db *db, jb_match_index *mx, const mx_weights *w, jb_error *err) {
  jb_tokenizer *tok = db->tok;
  doc_builder b = {0};
  b.mx = mx;
  b.unigrams = w->unigram > 0;
  sqlite3_stmt *st = NULL, *ev = NULL;
  jb_status rc = JB_OK;
  float wt = (float)w->w_title, wk = (float)w->w_keywords, wb = (float)w->w_body;
  jb_buf text = {0};
  /* jb_step's result: a read error ends the build as a failure, never as
  ** the end of the rows (a partial index would be saved as valid) */
  int got = 0;

  /* experts with their evidence: both ordered by expert id, merged */
  if (jb_db_prepare(db,
                    "SELECT e.id, coalesce(e.name, e.id), e.org, coalesce(e.region, o.region),"
                    " coalesce(e.programs, ''), e.capacity, e.fields, e.keywords, e.bio, o.chains"
                    " FROM expert e LEFT JOIN org o ON o.id = e.org ORDER BY e.id",
                    &st, err) ||
      jb_db_prepare(db,
                    "SELECT e.expert, e.rowid, e.doc ->> '$.title', e.doc ->> '$.abstract', e.year, f.text"
                    " FROM evidence e LEFT JOIN attachment f ON f.kind = 'evidence' AND f.ref = e.expert"
                    " AND f.sub = e.id ORDER BY e.expert, e.rowid",
                    &ev, err)) {
    rc = JB_ERR_DB;
    goto done;
  }
  int evrc = jb_step(ev, "the evidence", err);
  while (evrc >= 0 && (got = jb_step(st, "the experts", err)) > 0) {
    uint32_t ui = mx->nunits;
    mx_unit *u = unit_add(mx, MX_EXPERT, st, 0);
    if (!u) goto oom;
    u->name = col_dup(st, 1);
    u->org = col_dup(st, 2);
    u->region = col_dup(st, 3);
    u->programs = programs_of(db, col(st, 4));
    u->capacity = (int16_t)sqlite3_column_int(st, 5);
    u->doc0 = mx->supply.ndocs;
    jb_buf_reset(&text);
    jb_buf_printf(&text, "%s %s %s", col(st, 6), col(st, 7), col(st, 8));
    u->chains = mx_chains_from_json(db, col(st, 9)) | mx_chains_in_text(db, tok, text.p);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 6), wt);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 7), wk);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 8), wb);
    if (b.oom) goto oom;
    if (b.n && add_doc(&mx->supply, &b, ui, 0, 1, 0)) goto oom;
    b.n = 0;
    b.len = 0;
    while (evrc > 0 && strcmp(col(ev, 0), u->id) < 0) evrc = jb_step(ev, "the evidence", err);
    while (evrc > 0 && !strcmp(col(ev, 0), u->id)) {
      tokenize_field(&b, tok, (const char *)sqlite3_column_text(ev, 2), wt);
      tokenize_field(&b, tok, (const char *)sqlite3_column_text(ev, 3), wb);
      tokenize_field(&b, tok, (const char *)sqlite3_column_text(ev, 5), wb); /* attached file */
      if (b.oom) goto oom;
      if (add_doc(&mx->supply, &b, ui, sqlite3_column_int(ev, 4), 0, sqlite3_column_int64(ev, 1)))
        goto oom;
      evrc = jb_step(ev, "the evidence", err);
    }
    u->ndocs = mx->supply.ndocs - u->doc0;
  }
  if (evrc < 0) got = evrc;
  if (got < 0) goto readerr;
  sqlite3_finalize(st);
  sqlite3_finalize(ev);
  st = ev = NULL;

  if (jb_db_prepare(db,
                    "SELECT a.id, a.title, coalesce(a.org, x.org), coalesce(o.region, xo.region),"
                    " a.chains, a.keywords, a.text, a.year, a.rowid, f.text"
                    " FROM achievement a LEFT JOIN expert x ON x.id = a.expert"
                    " LEFT JOIN attachment f ON f.kind = 'achievement' AND f.ref = a.id AND f.sub = ''"
                    " LEFT JOIN org xo ON xo.id = x.org"
                    " LEFT JOIN org o ON o.id = a.org ORDER BY a.id",
                    &st, err)) {
    rc = JB_ERR_DB;
    goto done;
  }
  while ((got = jb_step(st, "the achievements", err)) > 0) {
    uint32_t ui = mx->nunits;
    mx_unit *u = unit_add(mx, MX_ACHIEVEMENT, st, 0);
    if (!u) goto oom;
    u->name = col_dup(st, 1);
    u->org = col_dup(st, 2);
    u->region = col_dup(st, 3);
    u->capacity = 1;
    jb_buf_reset(&text);
    jb_buf_printf(&text, "%s %s", col(st, 1), col(st, 5));
    u->chains = mx_chains_from_json(db, col(st, 4)) | mx_chains_in_text(db, tok, text.p);
    u->doc0 = mx->supply.ndocs;
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 1), wt);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 5), wk);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 6), wb);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 9), wb); /* attached file */
    if (b.oom || add_doc(&mx->supply, &b, ui, sqlite3_column_int(st, 7), 1, sqlite3_column_int64(st, 8)))
      goto oom;
    u->ndocs = 1;
  }
  if (got < 0) goto readerr;
  sqlite3_finalize(st);
  st = NULL;

  /* institutions: universities, institutes, platforms, hospitals */
  if (jb_db_prepare(db,
                    "SELECT id, name, region, chains, keywords, description, rowid FROM org"
                    " WHERE kind IN ('university','institute','platform','hospital') ORDER BY id",
                    &st, err)) {
    rc = JB_ERR_DB;
    goto done;
  }
  while ((got = jb_step(st, "the institutions", err)) > 0) {
    uint32_t ui = mx->nunits;
    mx_unit *u = unit_add(mx, MX_ORG, st, 0);
    if (!u) goto oom;
    u->name = col_dup(st, 1);
    u->org = col_dup(st, 0);
    u->region = col_dup(st, 2);
    u->capacity = 1;
    u->chains = mx_chains_from_json(db, col(st, 3));
    u->doc0 = mx->supply.ndocs;
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 1), wt);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 4), wk);
    tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 5), wb);
    if (b.oom || add_doc(&mx->supply, &b, ui, 0, 1, sqlite3_column_int64(st, 6))) goto oom;
    u->ndocs = 1;
  }
  if (got < 0) goto readerr;
  sqlite3_finalize(st);
  st = NULL;

  /* relations and org parents, for conflicts of interest */
  for (int collab = 0; collab < 2; collab++) {
    if (jb_db_prepare(db,
                      collab ? "SELECT expert || char(9) || org, note, coalesce(year, 0) FROM relation"
                               " WHERE kind='collaboration' ORDER BY 1"
                             : "SELECT expert || char(9) || org, note, coalesce(year, 0) FROM relation"
                               " WHERE kind='conflict' ORDER BY 1",
                      &st, err)) {
      rc = JB_ERR_DB;
      goto done;
    }
    mx_pair **v = collab ? &mx->collabs : &mx->conflicts;
    uint32_t *nv = collab ? &mx->ncollabs : &mx->nconflicts, cap = 0;
    while ((got = jb_step(st, "the relations", err)) > 0) {
      if (*nv == cap) {
        cap = cap ? cap * 2 : 64;
        mx_pair *p = realloc(*v, sizeof(*p) * cap);
        if (!p) goto oom;
        *v = p;
      }
      (*v)[*nv].key = col_dup(st, 0);
      (*v)[*nv].note = col_dup(st, 1);
      (*v)[*nv].year = sqlite3_column_int(st, 2);
      (*nv)++;
    }
    if (got < 0) goto readerr;
    sqlite3_finalize(st);
    st = NULL;
  }
  if (jb_db_prepare(db, "SELECT id, parent, name FROM org ORDER BY id", &st, err)) {
    rc = JB_ERR_DB;
    goto done;
  }
  {
    uint32_t cap = 0;
    while ((got = jb_step(st, "the organizations", err)) > 0) {
      if (mx->norgs == cap) {
        cap = cap ? cap * 2 : 64;
        mx_orgref *p = realloc(mx->orgs, sizeof(*p) * cap);
        if (!p) goto oom;
        mx->orgs = p;
      }
      mx->orgs[mx->norgs].id = col_dup(st, 0);
      mx->orgs[mx->norgs].parent = col_dup(st, 1);
      mx->orgs[mx->norgs].name = col_dup(st, 2);
      mx->norgs++;
    }
  }
  if (got < 0) goto readerr;
  sqlite3_finalize(st);
  st = NULL;

  mx->nterms_supply = mx->terms.n; /* the needs' own terms come after */
  if (finish_coll(&mx->supply)) goto oom;
  goto done;
readerr:
  rc = (jb_status)-got; /* err already names what could not be read */
  goto done;
oom:
  rc = JB_ERR_NOMEM;
  jb_err_set(err, rc, "out of memory building the match index");
done:
  sqlite3_finalize(st);
  sqlite3_finalize(ev);
  free(b.v);
  jb_buf_free(&text);
  return rc;
}

/* Postings, document norms and the collection's averages, once every
** document is in. */
static int finish_coll(mx_coll *co) {
  if (flatten(co)) return -1;
  for (uint32_t i = 0; i < co->ndocs; i++) {
    mx_doc *d = &co->docs[i];
    if (d->year > co->maxyear) co->maxyear = d->year;
    double v = 0;
    for (uint32_t j = 0; j < d->nfwd; j++) {
      const mx_fwd *f = &co->fwd[d->fwd + j];
      double df = co->npost[f->term];
      double x = (1 + log(f->tf)) * log(1.0 + (co->ndocs - df + 0.5) / (df + 0.5));
      v += x * x;
    }
    d->vnorm = (float)(v > 0 ? sqrt(v) : 1);
  }
  double sum = 0;
  for (uint32_t i = 0; i < co->ndocs; i++) sum += co->docs[i].len;
  co->avglen = co->ndocs ? sum / co->ndocs : 1;
  if (co->avglen <= 0) co->avglen = 1;
  return 0;
}

/* The needs part: need units (after every other unit) and the demand
** collection. Alone it costs time in the number of needs, not of items. */
/* What a need's unit and document are built from: columns 1..8 and 10
** (the attached file's text) of the query below (not the rowid, 9, taken
** afresh). */
static uint64_t row_content(sqlite3_stmt *st) {
  uint64_t h = 0x6a62;
  for (int i = 1; i <= 10; i++) {
    if (i == 9) continue;
    const void *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    uint64_t head[2] = {(uint64_t)sqlite3_column_type(st, i), (uint64_t)n};
    h = jb_hash64(head, sizeof(head), h);
    if (p && n > 0) h = jb_hash64(p, (size_t)n, h);
  }
  return h;
}

/* The old unit of need `id` when its row is unchanged, or NULL; *j walks
** the old units (sorted by id, as the rows come). */
static const mx_unit *unchanged(const old_needs *o, uint32_t *j, const char *id, uint64_t content) {
  if (!o) return NULL;
  while (*j < o->n && strcmp(o->units[*j].id, id) < 0) (*j)++;
  if (*j >= o->n || strcmp(o->units[*j].id, id) || o->units[*j].content != content) return NULL;
  const mx_unit *u = &o->units[*j];
  return u->ndocs == 1 && u->doc0 < o->coll.ndocs ? u : NULL;
}

static jb_status build_needs(jb_db *db, jb_match_index *mx, const mx_weights *w, const old_needs *old,
                             jb_error *err) {
  jb_tokenizer *tok = db->tok;
  uint32_t j = 0;
  doc_builder b = {0};
  b.mx = mx;
  b.unigrams = w->unigram > 0;
  sqlite3_stmt *st = NULL;
  jb_status rc = JB_OK;
  float wt = (float)w->w_title, wk = (float)w->w_keywords, wb = (float)w->w_body;
  jb_buf text = {0};
  int got = 0; /* jb_step's result, as in build() */

  if (jb_db_prepare(db,
                    "SELECT n.id, n.title, n.org, coalesce(json_extract(n.doc, '$.region'), o.region),"
                    " n.chains, n.keywords, n.text, n.status, n.list, n.rowid, f.text"
                    " FROM need n LEFT JOIN org o ON o.id = n.org"
                    " LEFT JOIN attachment f ON f.kind = 'need' AND f.ref = n.id AND f.sub = '' ORDER BY n.id",
                    &st, err)) {
    rc = JB_ERR_DB;
    goto done;
  }
  while ((got = jb_step(st, "the needs", err)) > 0) {
    uint32_t ui = mx->nunits;
    mx_unit *u = unit_add(mx, MX_NEED, st, 0);
    if (!u) goto oom;
    u->name = col_dup(st, 1);
    u->org = col_dup(st, 2);
    u->region = col_dup(st, 3);
    u->open = !strcmp(col(st, 7), "open");
    u->list = col_dup(st, 8);
    u->content = row_content(st);
    u->doc0 = mx->demand.ndocs;
    const mx_unit *ou = unchanged(old, &j, u->id, u->content);
    if (ou) {
      /* the same text, lexicon and weights: the same terms and weights */
      const mx_doc *od = &old->coll.docs[ou->doc0];
      u->chains = ou->chains;
      for (uint32_t k = 0; k < od->nfwd && !b.oom; k++)
        push_pair(&b, old->coll.fwd[od->fwd + k].term, old->coll.fwd[od->fwd + k].tf);
      b.len = od->len;
    } else {
      jb_buf_reset(&text);
      jb_buf_printf(&text, "%s %s %s", col(st, 1), col(st, 5), col(st, 6));
      u->chains = mx_chains_from_json(db, col(st, 4));
      if (!u->chains) u->chains = mx_chains_in_text(db, tok, text.p);
      tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 1), wt);
      tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 5), wk);
      tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 6), wb);
      tokenize_field(&b, tok, (const char *)sqlite3_column_text(st, 10), wb); /* attached file */
    }
    if (b.oom || add_doc(&mx->demand, &b, ui, 0, 1, sqlite3_column_int64(st, 9))) goto oom;
    u->ndocs = 1;
  }
  if (got < 0) {
    rc = (jb_status)-got; /* err already names what could not be read */
    goto done;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (finish_coll(&mx->demand)) goto oom;
  goto done;
oom:
  rc = JB_ERR_NOMEM;
  jb_err_set(err, rc, "out of memory building the match index");
done:
  sqlite3_finalize(st);
  free(b.v);
  jb_buf_free(&text);
  return rc;
}

uint64_t mx_family_bits(jb_db *db, uint64_t chains) {
  uint64_t out = chains;
  int n = jb_lexicon_nchains(db->lex);
  for (int i = 0; i < n && i < 64; i++) {
    if (!(chains >> i & 1)) continue;
    const jb_chain *c = jb_lexicon_chain(db->lex, i);
    for (int j = 0; j < n && j < 64; j++)
      if (*c->parent && !strcmp(jb_lexicon_chain(db->lex, j)->name, c->parent)) out |= 1ULL << j;
  }
  return out;
}

void mx_region_keys(const char *region, uint32_t key[3]) {
  key[0] = key[1] = key[2] = 0;
  if (!region || !*region) return;
  size_t n = strlen(region), end = 0;
  for (int lv = 0; lv < 3 && end < n; lv++) {
    const char *slash = strchr(region + end, '/');
    end = slash ? (size_t)(slash - region) : n;
    key[lv] = (uint32_t)jb_hash64(region, end, 11) | 1; /* never 0: 0 means no such level */
    end++;
  }
}

jb_status mx_prepare(jb_db *db, jb_match_index *mx, jb_error *err) {
  uint32_t u = 0;
  for (int t = 0; t <= MX_NTYPES; t++) {
    while (u < mx->nunits && (int)mx->units[u].type < t) u++;
    mx->type_lo[t] = u;
  }
  mx->type_lo[MX_NTYPES] = mx->nunits;
  uint64_t memo_chains = 0, memo_family = 0; /* units share a few chain sets */
  for (uint32_t i = 0; i < mx->nunits; i++) {
    mx_unit *un = &mx->units[i];
    if (mx->supply_ready && un->type != MX_NEED) continue; /* a needs-part refresh: done */
    if (un->chains != memo_chains) {
      memo_chains = un->chains;
      memo_family = mx_family_bits(db, un->chains);
    }
    un->family = un->chains ? memo_family : 0;
    mx_region_keys(un->region, un->region_key);
    int oi = un->type == MX_EXPERT && un->org ? mx_unit_find(mx, MX_ORG, un->org) : -1;
    un->org_unit = oi < 0 ? UINT32_MAX : (uint32_t)oi;
    if (!mx->inventors_known || un->type != MX_ACHIEVEMENT) un->inventor = UINT32_MAX;
  }
  if (!mx->inventors_known) {
    /* each achievement's inventor: an achievement is excluded with him.
    ** Built with the supply part (and saved in its file: a load need not
    ** read the achievements table, hundreds of MB at 100k items). */
    sqlite3_stmt *st = NULL;
    if (jb_db_prepare(db, "SELECT id, expert FROM achievement WHERE expert IS NOT NULL", &st, err)) return JB_ERR_DB;
    int got;
    while ((got = jb_step(st, "achievements' inventors", err)) > 0) {
      int ai = mx_unit_find(mx, MX_ACHIEVEMENT, (const char *)sqlite3_column_text(st, 0));
      int ei = mx_unit_find(mx, MX_EXPERT, (const char *)sqlite3_column_text(st, 1));
      if (ai >= 0 && ei >= 0) mx->units[ai].inventor = (uint32_t)ei;
    }
    sqlite3_finalize(st);
    if (got < 0) return (jb_status)-got;
    mx->inventors_known = 1;
  }
  mx->supply_ready = 1;
  return mx_load_outcomes(db, mx, err);
}

const char *mx_type_name(mx_type t) {
  static const char *const names[MX_NTYPES] = {"expert", "achievement", "org", "need"};
  return t < MX_NTYPES ? names[t] : "?";
}

int mx_unit_find(const jb_match_index *mx, mx_type type, const char *id) {
  /* units of one type are contiguous and sorted by id: binary search */
  uint32_t lo = mx->type_lo[type], hi = mx->type_lo[type + 1];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(mx->units[mid].id, id);
    if (!c) return (int)mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

static const mx_orgref *org_ref(const jb_match_index *mx, const char *org) {
  if (!org) return NULL;
  uint32_t lo = 0, hi = mx->norgs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(mx->orgs[mid].id, org);
    if (!c) return &mx->orgs[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

const char *mx_org_parent(const jb_match_index *mx, const char *org) {
  const mx_orgref *o = org_ref(mx, org);
  return o ? o->parent : NULL;
}

const char *mx_org_name(const jb_match_index *mx, const char *org) {
  const mx_orgref *o = org_ref(mx, org);
  return o ? o->name : NULL;
}

const mx_pair *mx_relation(const jb_match_index *mx, int collab, const char *expert, const char *org) {
  if (!expert || !org) return NULL;
  const mx_pair *v = collab ? mx->collabs : mx->conflicts;
  uint32_t lo = 0, hi = collab ? mx->ncollabs : mx->nconflicts;
  jb_buf key = {0};
  jb_buf_printf(&key, "%s\t%s", expert, org);
  const mx_pair *found = NULL;
  while (lo < hi && !key.oom) {
    uint32_t mid = lo + (hi - lo) / 2;
    /* SQLite's ORDER BY on text is memcmp order, as strcmp */
    int c = strcmp(v[mid].key, key.p);
    if (!c) { found = &v[mid]; break; }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  jb_buf_free(&key);
  return found;
}

static int same_build(const jb_match_index *mx, uint64_t lexhash, const mx_weights *w) {
  return mx->lexhash == lexhash && mx->fw[0] == w->w_title && mx->fw[1] == w->w_keywords &&
         mx->fw[2] == w->w_body && mx->fw[3] == (w->unigram > 0);
}

/* An index with its supply part current gets its needs part rebuilt: time
** in the number of needs (a new need is matchable at once, whatever the
** number of experts and achievements), and exactly what a full build gives
** (the two collections keep separate statistics). */
static jb_status refresh_needs(jb_db *db, jb_match_index *mx, const mx_weights *w, char *gen, jb_error *err) {
  old_needs old;
  free(mx->generation);
  mx->generation = NULL;
  if (detach_needs(mx, &old)) {
    free(gen);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  /* the old part's documents are reused: every block of them checked first
  ** (a few MB); a damaged one is reported and nothing of it reused */
  int reuse = !old.coll.lazy || mx_verify_coll(&old.coll, 0) == 0;
  if (!reuse) {
    char *path = mx_index_path(db, MX_PART_NEEDS);
    mx_report_damage(path, old.coll.lazy->why);
    free(path);
  }
  sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL);
  jb_status rc = build_needs(db, mx, w, reuse ? &old : NULL, err);
  sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
  if (release_needs(mx, &old) && !rc) {
    rc = JB_ERR_NOMEM;
    jb_err_set(err, rc, "out of memory");
  }
  if (rc) {
    free(gen);
    return rc;
  }
  mx->generation = gen;
  if ((rc = mx_prepare(db, mx, err))) return rc;
  mx_save(db, mx, MX_PART_NEEDS); /* best effort, as below */
  return JB_OK;
}

/* The states an index is built from: this database's identity and its data
** generation (*gen); and the identity of its data other than needs (*sup,
** see jb_db_touch_needs). -1: out of memory. */
static int current_states(jb_db *db, char **gen, char **sup) {
  char *g = jb_meta_get(db, "generation"), *inst = jb_meta_get(db, "instance");
  *sup = jb_meta_get(db, "supply_instance");
  jb_buf state = {0};
  jb_buf_printf(&state, "%s:%s", inst ? inst : "", g ? g : "0");
  free(g);
  free(inst);
  *gen = state.p;
  if (!*gen) {
    free(*sup);
    *sup = NULL;
    return -1;
  }
  /* a database without one (read-only and older): every write counts */
  if (!*sup) *sup = jb_strdup(*gen);
  return 0;
}

int mx_check_saved(jb_db *db) {
  char *gen, *sup;
  if (current_states(db, &gen, &sup)) return -1;
  mx_weights w;
  mx_weights_default(&w);
  int needs_ok = 0, rc = 0;
  jb_match_index *mx = sup ? mx_load(db, &w, sup, gen, &needs_ok) : NULL;
  if (mx && mx_verify(db, mx)) {
    rc = 1;
    for (int part = 0; part < 2; part++) {
      char *path = mx_index_path(db, part);
      if (path) unlink(path);
      free(path);
    }
  }
  jb_match_index_free(mx);
  free(gen);
  free(sup);
  return rc;
}

jb_status mx_get(jb_db *db, const mx_weights *w, jb_match_index **ppMx, jb_error *err) {
  char *gen, *sup;
  if (current_states(db, &gen, &sup)) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  uint64_t lh = jb_lexicon_hash(db->lex);
  jb_match_index *mx = db->mx;
  db->mx = NULL;
  if (mx && (!same_build(mx, lh, w) || !sup || !mx->supply_state || strcmp(sup, mx->supply_state))) {
    jb_match_index_free(mx);
    mx = NULL;
  }
  if (mx && mx->generation && !strcmp(gen, mx->generation)) {
    free(gen);
    free(sup);
    *ppMx = db->mx = mx;
    return JB_OK;
  }
  if (!mx && sup) {
    /* the index files, when built from this very state */
    int needs_ok = 0;
    mx = mx_load(db, w, sup, gen, &needs_ok);
    if (mx && load_stopwords(mx, db->tok)) {
      jb_match_index_free(mx);
      mx = NULL;
    }
    if (mx && needs_ok) {
      jb_status prc = mx_prepare(db, mx, err);
      free(gen);
      free(sup);
      if (prc) {
        jb_match_index_free(mx);
        return prc;
      }
      *ppMx = db->mx = mx;
      return JB_OK;
    }
  }
  if (mx) {
    free(sup);
    jb_status rc = refresh_needs(db, mx, w, gen, err);
    if (rc) {
      jb_match_index_free(mx);
      return rc;
    }
    *ppMx = db->mx = mx;
    return JB_OK;
  }
  mx = calloc(1, sizeof(*mx));
  if (!mx || !sup || load_stopwords(mx, db->tok)) {
    free(gen);
    free(sup);
    jb_match_index_free(mx);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  /* one read transaction: a consistent snapshot while imports go on */
  sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL);
  jb_status rc = build(db, mx, w, err);
  if (!rc) rc = build_needs(db, mx, w, NULL, err);
  mx->fw[0] = w->w_title;
  mx->fw[1] = w->w_keywords;
  mx->fw[2] = w->w_body;
  mx->fw[3] = w->unigram > 0;
  if (!rc) rc = mx_prepare(db, mx, err); /* inside the snapshot: inventors of these achievements */
  sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
  if (rc) {
    free(gen);
    free(sup);
    jb_match_index_free(mx);
    return rc;
  }
  mx->generation = gen;
  mx->supply_state = sup;
  mx->lexhash = lh;
  /* best effort: a read-only directory just means no file; the supply part
  ** first (a needs part names the supply part it goes with) */
  if (mx_save(db, mx, MX_PART_SUPPLY) == 0) mx_save(db, mx, MX_PART_NEEDS);
  *ppMx = db->mx = mx;
  return JB_OK;
}

int mx_damaged(jb_db *db, const jb_match_index *mx) {
  int any = 0;
  for (int c = 0; mx && c < 2; c++) {
    mx_lazy *lz = c ? mx->demand.lazy : mx->supply.lazy;
    if (!lz || !atomic_load(&lz->damaged)) continue;
    any = 1;
    if (atomic_exchange(&lz->damaged, 2) == 2) continue; /* said already */
    char *path = mx_index_path(db, lz->part);
    mx_report_damage(path, lz->why ? lz->why : "block");
    free(path);
  }
  return any;
}

int mx_verify(jb_db *db, jb_match_index *mx) {
  for (int c = 0; c < 2; c++) {
    mx_coll *co = c ? &mx->demand : &mx->supply;
    if (co->lazy && mx_verify_coll(co, mx->map_owned[c])) break;
  }
  return mx_damaged(db, mx) ? -1 : 0;
}

jb_status mx_get_checked(jb_db *db, const mx_weights *w, jb_match_index **ppMx, jb_error *err) {
  jb_status rc = mx_get(db, w, ppMx, err);
  if (rc || mx_verify(db, *ppMx) == 0) return rc;
  /* damaged: both files go, the index is built afresh (and saved) */
  jb_mx_discard(db);
  *ppMx = NULL;
  return mx_get(db, w, ppMx, err);
}
