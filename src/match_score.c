/*
** match_score.c — scoring supply for a need, and needs for supply.
**
** The score of a candidate for a need is
**
**     score = text * (1 + chain*C + region*R + program*P)
**
** text     how well the candidate's documents answer the need: BM25 of the
**          need's weighted terms against each document, divided by the
**          need's own maximum (the sum of its term weights at saturation),
**          so a score means the same for a long need and a short one and
**          one expert's scores compare across needs. An expert's evidence
**          documents combine as s1 + d*s2 + d^2*s3 ... (best first): one
**          strong paper or patent decides, more of them help less and less.
**          Before scoring, the need's terms are expanded by pseudo-relevance
**          feedback: the terms that dominate its best-matching documents.
** C, R, P  structured boosts in [0,1]: shared industry chain (1; 0.5 for the
**          same parent chain), region (same county 1, city .6, province .3),
**          programs that exist to serve the county (科技特派员, 三区人才: 1;
**          talent programs: .5). Multiplicative, so they reorder relevant
**          candidates but never lift an irrelevant one.
**
** Every default below is in mx_weights_default() with the reason for it;
** a run can override any of them by name (jb_match_opts.weights).
*/
#include "need.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- weights */

/* Defaults, measured with bench/quality --all on the dev sets. With all of
** them: rap_loss 0.2751, scifact ndcg@10 0.6963, csl p@10 0.1884. Changing
** one at a time (rap / scifact / csl):
**   b 0.75                0.2750 0.6952 0.1870
**   w_title 1 | 3         0.2817 0.7008 0.1846 | 0.2779 0.6930 0.1870
**   evidence_decay 0 | 1  0.2852 0.6963 0.1884 | 0.2799 0.6963 0.1884
**   cosine 0 (BM25 only)  0.2934 0.6973 0.1786
**   phrase 0              0.2825 0.7048 0.1882
**   unigram 0             0.2751 0.6963 0.1689
**   qtf_log 0             0.3071 0.6943 0.1878
**   prf_docs 0            0.2879 0.6912 0.1816
**   prf_docs 20, prf_weight 1, prf_terms 40: csl 0.20, but rap and scifact worse
**   max_terms 300         0.2736 0.6963 0.1878 (for 4x the postings read)
** The structured boosts (chain, region, program) are judgment, not measured:
** the dev sets carry no chains, regions or programs. */
void mx_weights_default(mx_weights *w) {
  w->k1 = 1.2;
  w->b = 0.9;              /* evidence ranges from a title to a long abstract */
  w->w_title = 2.0;        /* title and keywords say what a document is about */
  w->w_keywords = 1.5;
  w->w_body = 1.0;
  w->max_terms = 64;       /* bounds the cost of long needs */
  w->evidence_decay = 0.5; /* one strong piece decides; more help less */
  /* A whole document as the need (an attached paper, a Word form) is
  ** scored as a document: from long_need/10 to long_need words and word
  ** pairs the weights below take over from cosine, max_terms and
  ** evidence_decay (on a log scale of the need's length). Measured on
  ** rapft dev (full texts on both sides), one at a time from the short-need
  ** values: cosine 0.8 0.2414 -> 0.2374, evidence_decay 0.7 -> 0.2345,
  ** together with max_terms 150 -> 0.2304 (cosine 1: 0.2451; max_terms 300
  ** alone: 0.2430; prf_docs 0: 0.2493; phrase 1: 0.2502). Short needs
  ** (rap, scifact, csl: titles, abstracts, claims) stay below long_need/10
  ** and score as before. */
  w->long_need = 5000;
  w->cosine_long = 0.8;      /* whole documents: shared vocabulary, not a few rare terms */
  w->max_terms_long = 150;
  w->evidence_decay_long = 0.7; /* an expert's 2nd and 3rd papers on it count more */
  w->cosine = 0.5;         /* BM25 ranks within a need; cosine compares across needs */
  w->phrase = 0.5;
  w->unigram = 1;
  w->qtf_log = 1;          /* long needs repeat their topic words */
  w->recency = 0.05;       /* 1 / (1 + 0.05 * years older than the newest evidence) */
  w->prf_docs = 1;         /* feedback from the best document only */
  w->prf_terms = 20;
  w->prf_weight = 0.5;
  w->org_via_experts = 0.8;
  w->chain = 0.3;
  w->region = 0.1;
  w->program = 0.1;
  /* below this text relevance a candidate is not worth a staff member's
  ** time (a few shared common terms) */
  w->floor = 0.03;
}

static const struct {
  const char *name;
  size_t off;
  double lo, hi;
  const char *what;
} weight_table[] = {
#define W(f, lo, hi, what) {#f, offsetof(mx_weights, f), lo, hi, what}
    W(k1, 0, 10, "BM25 term-frequency saturation"),
    W(b, 0, 1, "BM25 length normalisation"),
    W(w_title, 0, 20, "weight of title terms"),
    W(w_keywords, 0, 20, "weight of keyword terms"),
    W(w_body, 0, 20, "weight of body terms"),
    W(max_terms, 1, 1000, "need terms kept (strongest first)"),
    W(evidence_decay, 0, 1, "weight of each further piece of evidence"),
    W(long_need, 10, 1e7, "need length (words) from which it is scored as a whole document"),
    W(cosine_long, 0, 1, "cosine share for a whole-document need"),
    W(max_terms_long, 1, 1000, "need terms kept for a whole-document need"),
    W(evidence_decay_long, 0, 1, "evidence_decay for a whole-document need"),
    W(cosine, 0, 1, "share of tf-idf cosine (vs BM25) in the text similarity"),
    W(phrase, 0, 5, "weight of English word pairs written together"),
    W(unigram, 0, 5, "weight of single CJK characters (0: not indexed)"),
    W(qtf_log, 0, 1, "1: damp repeated need terms (1 + ln tf)"),
    W(recency, 0, 1, "discount per year of evidence older than 3 years"),
    W(prf_docs, 0, 100, "feedback documents (0 = no feedback)"),
    W(prf_terms, 0, 200, "feedback terms added"),
    W(prf_weight, 0, 5, "weight of feedback terms"),
    W(org_via_experts, 0, 1, "institution score from its best expert"),
    W(chain, 0, 10, "boost for a shared industry chain"),
    W(region, 0, 10, "boost for the same region"),
    W(program, 0, 10, "boost for county service programs"),
    W(floor, 0, 10, "minimum score listed"),
#undef W
};

jb_status mx_weights_apply(mx_weights *w, const cJSON *overrides, jb_error *err) {
  const cJSON *j;
  cJSON_ArrayForEach(j, overrides) {
    int i = 0;
    while (i < JB_ARRAY_LEN(weight_table) && strcmp(weight_table[i].name, j->string)) i++;
    if (i == JB_ARRAY_LEN(weight_table)) {
      jb_err_set(err, JB_ERR_USAGE, "unknown weight '%s' (see jiebang match --weights-help)", j->string);
      return JB_ERR_USAGE;
    }
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble < weight_table[i].lo ||
        j->valuedouble > weight_table[i].hi) {
      jb_err_set(err, JB_ERR_USAGE, "weight '%s' must be a number %g..%g", j->string,
                 weight_table[i].lo, weight_table[i].hi);
      return JB_ERR_USAGE;
    }
    *(double *)((char *)w + weight_table[i].off) = j->valuedouble;
  }
  return JB_OK;
}

cJSON *mx_weights_json(const mx_weights *w) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; i < JB_ARRAY_LEN(weight_table); i++)
    cJSON_AddNumberToObject(o, weight_table[i].name, *(const double *)((const char *)w + weight_table[i].off));
  return o;
}

cJSON *jb_match_default_weights(void) {
  mx_weights w;
  mx_weights_default(&w);
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; i < JB_ARRAY_LEN(weight_table); i++) {
    cJSON *e = cJSON_AddObjectToObject(o, weight_table[i].name);
    cJSON_AddNumberToObject(e, "default", *(const double *)((const char *)&w + weight_table[i].off));
    cJSON_AddStringToObject(e, "what", weight_table[i].what);
  }
  return o;
}

/* --------------------------------------------------------------- queries */

typedef struct qterm {
  uint32_t term;
  double qw;    /* query weight (weighted frequency, feedback-scaled) */
  double idf;
} qterm;

/* Evidence documents per candidate that count: with decay 1/2 the best 8
** (the 9th would add 0.4%), with a slower decay (whole documents, see
** evidence_decay_long) the best MX_TOP (0.7^16: 0.3%). */
#define MX_TOP 16
#define MX_TOP_GEOMETRIC 8

static int top_count(const mx_weights *w) { return w->evidence_decay > 0.5 ? MX_TOP : MX_TOP_GEOMETRIC; }

/* Weight of an expert's j-th best evidence document (j from 0): 1, d, d^2 ...
** Harmonic weights 1, 1/2, 1/3 ... were measured too, on rapft dev with
** whole papers: 0.2366 against 0.2304 for 0.7^k (1/k^0.7: 0.2303, 1/k^1.3:
** 0.2357), so the geometric form stays. */
static double evidence_weight(const mx_weights *w, int j) { return pow(w->evidence_decay, j); }

/* A document's running sums while a need is scored, with the one field of
** the document that summing reads: 16 bytes, four to a cache line, since
** each posting touches one of them. */
typedef struct mx_acc {
  union {
    float bm25;      /* BM25 sum of the need's terms, */
    float v;         /* then the document's score (once all terms are in) */
  };
  float dot;         /* tf-idf dot product (the cosine's numerator) */
  float lnorm;       /* k1 * (1 - b + b * len / avglen), for the weights in s->k1, s->b */
  uint32_t epoch;    /* the sums are this need's when epoch == s->epoch */
} mx_acc;

/* The document fields the passes over touched documents read (in document
** order, so a separate array costs no extra misses). */
typedef struct mx_dinfo {
  float vnorm;
  uint32_t unit;
  int16_t year;
  uint8_t type;      /* its unit's mx_type */
} mx_dinfo;

/* 1 + ln(tf) for the weighted frequencies that occur: sums of the field
** weights, mostly multiples of 0.5 below 64 — a table, not a log per posting. */
static double ltf_table[128];
static pthread_once_t ltf_once = PTHREAD_ONCE_INIT;

static void ltf_init(void) {
  for (int i = 1; i < 128; i++) ltf_table[i] = 1 + log(i / 2.0);
}

static inline double ltf(double tf) {
  double h = tf * 2;
  int i = (int)h;
  if (i == h && i > 0 && i < 128) return ltf_table[i];
  return 1 + log(tf);
}

typedef struct tmap {
  uint32_t *slot;
  uint32_t size;   /* a power of two, or 0 */
} tmap;

struct mx_scratch {
  mx_acc *acc;         /* per document, one cache line for both sums and the mark */
  uint32_t nacc;
  mx_dinfo *dinfo;     /* per document */
  uint32_t *touched;   /* the documents this need touched, in document order (see order_touched) */
  uint64_t *bits;      /* the same as a bit set, filled while postings are summed */
  int bits_dirty;      /* bits may be set (a need was cut short) */
  float *tv;           /* their scores, in the same order */
  uint32_t ntouched;
  uint32_t epoch;      /* this need's number: no pass to clear the sums */
  uint32_t (*urange)[2]; /* per unit: its first document, how many */
  mx_hit *hits;
  uint32_t *hit_of;    /* per unit: 1 + its index in hits, 0 = none yet */
  float *topsc;        /* per hit: its best MX_TOP evidence scores, descending */
  uint8_t *ntop;
  uint32_t nhits;
  qterm *q;
  int nq, capq;
  int nq_need;         /* q[0..nq_need) come from the need, the rest from feedback */
  tmap qmap;           /* term -> index into q (see q_add) */
  double norm_bm25;    /* the need's BM25 maximum: sum of qw*idf*(k1+1) */
  double norm_cos;     /* squared length of the need's tf-idf vector */
  double k1, b;        /* the BM25 weights acc[].lnorm was computed for */
  double cos_share;    /* the cosine's share for this need (see long_weights) */
  double cut;          /* the last need's pruning bound (0: none) */
};

mx_scratch *mx_scratch_new(const jb_match_index *mx) {
  mx_scratch *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  const mx_coll *c = &mx->supply;
  uint32_t n = c->ndocs;
  s->nacc = n;
  pthread_once(&ltf_once, ltf_init);
  s->acc = calloc(n ? n : 1, sizeof(mx_acc));
  s->dinfo = calloc(n ? n : 1, sizeof(mx_dinfo));
  s->touched = calloc(n ? n : 1, sizeof(uint32_t));
  s->bits = calloc(n / 64 + 1, sizeof(uint64_t));
  s->tv = calloc(n ? n : 1, sizeof(float));
  s->urange = calloc(mx->nunits ? mx->nunits : 1, sizeof(*s->urange));
  s->hits = calloc(mx->nunits ? mx->nunits : 1, sizeof(mx_hit));
  size_t nu = mx->nunits ? mx->nunits : 1;
  s->hit_of = calloc(nu, sizeof(uint32_t));
  s->topsc = calloc(nu * MX_TOP, sizeof(float));
  s->ntop = calloc(nu, 1);
  if (!s->acc || !s->dinfo || !s->touched || !s->bits || !s->tv || !s->urange || !s->hits || !s->hit_of || !s->topsc || !s->ntop) {
    mx_scratch_free(s);
    return NULL;
  }
  for (uint32_t d = 0; d < n; d++) {
    mx_dinfo *a = &s->dinfo[d];
    a->vnorm = c->docs[d].vnorm;
    a->unit = c->docs[d].unit;
    a->year = c->docs[d].year;
    a->type = mx->units[a->unit].type;
  }
  for (uint32_t u = 0; u < mx->nunits; u++) {
    s->urange[u][0] = mx->units[u].doc0;
    s->urange[u][1] = mx->units[u].type == MX_NEED ? 0 : mx->units[u].ndocs;
  }
  s->k1 = s->b = -1; /* lnorm is set on first use */
  return s;
}

mx_scratch *mx_scratch_take(jb_match_index *mx) {
  mx_scratch *s = mx->spare;
  mx->spare = NULL;
  return s ? s : mx_scratch_new(mx);
}

void mx_scratch_give(jb_match_index *mx, mx_scratch *s) {
  if (!s) return;
  if (mx->spare) mx_scratch_free(mx->spare);
  mx->spare = s;
}

void mx_scratch_free(mx_scratch *s) {
  if (!s) return;
  free(s->acc);
  free(s->dinfo);
  free(s->touched);
  free(s->bits);
  free(s->tv);
  free(s->urange);
  free(s->hits);
  free(s->hit_of);
  free(s->topsc);
  free(s->ntop);
  free(s->q);
  free(s->qmap.slot);
  free(s);
}

static double idf_of(const mx_coll *c, uint32_t term) {
  double df = term < c->nterms_alloc ? c->npost[term] : 0;
  if (df <= 0) return 0;
  return log(1.0 + (c->ndocs - df + 0.5) / (df + 0.5));
}

typedef struct qbuild {
  const jb_match_index *mx;
  mx_scratch *s;
  double weight;
  double phrase, unigram;
  double len;   /* the need's length: weighted words and bigrams, as a document's */
  int oom;
  const jb_words *words;   /* word boundaries of the text being added, or NULL */
  const cJSON *keywords;   /* the need's */
  const char *text;
  uint8_t *mark;           /* per byte of text: QB_* */
  const jb_lexicon *lex;   /* words comes from it, at the first CJK text (an
                           ** English need never loads friso's dictionary) */
} qbuild;

/* Word boundaries in a need's text that the scorer trusts: the edges of the
** lexicon's terms and of the need's own keywords where they occur in it (a
** boundary at this byte, after such a word, before one). friso's general
** dictionary is not trusted here: dropping every bigram across its word
** boundaries cost csl p@10 0.1884 -> 0.1856 (0.1880 even at weight 0.8),
** the crossing bigrams of academic text carry meaning. */
#define QB_BOUNDARY 1
#define QB_AFTER_WORD 2
#define QB_BEFORE_WORD 4

/* ----------------------------------------------------------- term maps */

/* Term id -> index into an array of records that start with their term id
** (qterm, fb_term), open addressing; a slot holds index + 1, 0 = empty. A
** whole document as the need (a 300-page PDF: 300,000 tokens, 30,000
** distinct terms) made the linear searches this replaces quadratic: 12 s a
** match. */

static uint32_t *tmap_slot(const tmap *m, uint32_t term, const void *base, size_t stride) {
  uint32_t h = (term * 2654435761u) & (m->size - 1);
  while (m->slot[h] && *(const uint32_t *)((const char *)base + (m->slot[h] - 1) * stride) != term)
    h = (h + 1) & (m->size - 1);
  return &m->slot[h];
}

/* Makes room for n entries (at most half full): empties the map, re-adds
** base[0..n0). -1 when out of memory. */
static int tmap_fit(tmap *m, uint32_t n, const void *base, size_t stride, uint32_t n0) {
  if (m->size && n * 2 <= m->size) return 0;
  uint32_t size = m->size ? m->size : 256;
  while (size < n * 2) size *= 2;
  uint32_t *slot = calloc(size, sizeof(uint32_t));
  if (!slot) return -1;
  free(m->slot);
  m->slot = slot;
  m->size = size;
  for (uint32_t i = 0; i < n0; i++) *tmap_slot(m, *(const uint32_t *)((const char *)base + i * stride), base, stride) = i + 1;
  return 0;
}

static void tmap_clear(tmap *m) {
  if (m->size) memset(m->slot, 0, sizeof(uint32_t) * m->size);
}

static int q_add(mx_scratch *s, uint32_t term, double w) {
  if (tmap_fit(&s->qmap, (uint32_t)s->nq + 1, s->q, sizeof(qterm), (uint32_t)s->nq)) return -1;
  uint32_t *slot = tmap_slot(&s->qmap, term, s->q, sizeof(qterm));
  if (*slot) {
    s->q[*slot - 1].qw += w;
    return 0;
  }
  if (s->nq == s->capq) {
    int cap = s->capq ? s->capq * 2 : 128;
    qterm *q = realloc(s->q, sizeof(*q) * (size_t)cap);
    if (!q) return -1;
    s->q = q;
    s->capq = cap;
  }
  s->q[s->nq].term = term;
  s->q[s->nq].qw = w;
  s->q[s->nq].idf = 0;
  s->nq++;
  *slot = (uint32_t)s->nq;
  return 0;
}

/* A CJK bigram across the boundary of a real word is not that word: 蛋清
** in 洁蛋|清洗, 气温 in 废气|温度 leave the query. Between two characters
** the dictionary knows no word for (稻|花|鱼 without the lexicon) it stays:
** the bigram may be the only trace of an unknown word. */
static int straddles_word(const qbuild *b, int kind, int ntok, int st) {
  if (!b->mark || kind != 0 || ntok != 6) return 0;
  uint32_t cp;
  int l = jb_utf8_decode((const unsigned char *)b->text + st, 4, &cp);
  if (l != 3 || jb_char_class(cp) != 2) return 0;
  uint8_t m = b->mark[st + l];
  return (m & QB_BOUNDARY) && (m & (QB_AFTER_WORD | QB_BEFORE_WORD));
}

/* After the query was sorted and cut: the map indexes it again. */
static void q_remap(mx_scratch *s) {
  tmap_clear(&s->qmap);
  for (int i = 0; i < s->nq; i++) *tmap_slot(&s->qmap, s->q[i].term, s->q, sizeof(qterm)) = (uint32_t)i + 1;
}

static int qbuild_cb(void *ctx, const char *tok, int ntok, int kind, int st, int e) {
  qbuild *b = ctx;
  double kw = kind == 1 ? b->phrase : kind == 2 ? b->unigram : 1;
  if (kind == 0) b->len += b->weight;
  if (kw <= 0 || straddles_word(b, kind, ntok, st)) return 0;
  uint32_t t = mx_term_find(b->mx, tok, ntok);
  if (t == UINT32_MAX) return 0; /* in no document: cannot contribute */
  if (q_add(b->s, t, b->weight * kw)) { b->oom = 1; return 1; }
  return 0;
}

static int cmp_qterm(const void *a, const void *b) {
  const qterm *x = a, *y = b;
  double wx = x->qw * x->idf, wy = y->qw * y->idf;
  if (wx != wy) return wx > wy ? -1 : 1;
  return x->term < y->term ? -1 : x->term > y->term;
}

/* Sets idf, drops terms absent from the collection, keeps the strongest. */
static void q_finish(mx_scratch *s, const mx_coll *c, const mx_weights *w) {
  int n = 0;
  for (int i = 0; i < s->nq; i++) {
    s->q[i].idf = idf_of(c, s->q[i].term);
    /* a long need repeats its topic words: damp the repeats (1 + ln tf) */
    if (w->qtf_log > 0 && s->q[i].qw > 1) s->q[i].qw = 1 + log(s->q[i].qw);
    if (s->q[i].idf > 0) s->q[n++] = s->q[i];
  }
  s->nq = n;
  jb_qsort(s->q, (size_t)s->nq, sizeof(qterm), cmp_qterm);
  if (s->nq > (int)w->max_terms) s->nq = (int)w->max_terms;
}

static void mark_word(qbuild *b, int start, int end) {
  b->mark[start] |= QB_BOUNDARY | QB_BEFORE_WORD;
  b->mark[end] |= QB_BOUNDARY | QB_AFTER_WORD;
}

static int mark_cb(void *ctx, int start, int end) {
  qbuild *b = ctx;
  if (end - start >= 6 && jb_words_is_lexicon(b->words, b->text + start, end - start)) mark_word(b, start, end);
  return 0;
}

/* The need's keywords where its text spells them out. */
static void mark_keywords(qbuild *b, size_t n) {
  const cJSON *k;
  cJSON_ArrayForEach(k, b->keywords) {
    if (!cJSON_IsString(k) || strlen(k->valuestring) < 6) continue;
    size_t kl = strlen(k->valuestring);
    for (const char *p = strstr(b->text, k->valuestring); p; p = strstr(p + 1, k->valuestring))
      if ((size_t)(p - b->text) + kl <= n) mark_word(b, (int)(p - b->text), (int)(p - b->text + kl));
  }
}

static void tokenize_into(qbuild *b, jb_tokenizer *tok, const char *text, double weight) {
  if (!text || !*text || weight <= 0) return;
  b->weight = weight;
  b->text = text;
  b->mark = NULL;
  size_t n = strlen(text);
  int cjk = 0;
  for (size_t i = 0; i < n && !cjk; i++) cjk = (unsigned char)text[i] >= 0xE3;
  if (cjk && !b->words) b->words = jb_lexicon_words(b->lex);
  if (b->words && cjk && (b->mark = calloc(n + 1, 1))) {
    if (jb_words_split(b->words, text, (int)n, b, mark_cb)) {
      free(b->mark); /* out of memory: every bigram, as without words */
      b->mark = NULL;
    } else {
      mark_keywords(b, n);
    }
  }
  mx_features(b->mx, tok, text, b->unigram > 0, b, qbuild_cb);
  free(b->mark);
  b->mark = NULL;
}

static double tf_part(const mx_weights *w, const mx_coll *c, double tf, double len) {
  return tf * (w->k1 + 1) / (tf + w->k1 * (1 - w->b + w->b * len / c->avglen));
}

/* Sets each document's BM25 length factor for the weights of this call
** (once per scratch space while the weights stay the same). */
static void set_lnorm(mx_scratch *s, const mx_coll *c, const mx_weights *w) {
  if (s->k1 == w->k1 && s->b == w->b) return;
  for (uint32_t d = 0; d < s->nacc; d++)
    s->acc[d].lnorm = (float)(w->k1 * (1 - w->b + w->b * c->docs[d].len / c->avglen));
  s->k1 = w->k1;
  s->b = w->b;
}

int mx_query_terms(const mx_scratch *s) { return s->nq; }

double mx_last_cut(const mx_scratch *s) { return s->cut; }

struct mx_query {
  int nq, nq_need;
  double norm_bm25, norm_cos, cos_share;
  qterm q[];
};

mx_query *mx_query_save(const mx_scratch *s) {
  mx_query *q = malloc(sizeof(mx_query) + sizeof(qterm) * (size_t)s->nq);
  if (!q) return NULL;
  q->nq = s->nq;
  q->nq_need = s->nq_need;
  q->norm_bm25 = s->norm_bm25;
  q->norm_cos = s->norm_cos;
  q->cos_share = s->cos_share;
  if (s->nq) memcpy(q->q, s->q, sizeof(qterm) * (size_t)s->nq);
  return q;
}

int mx_query_restore(mx_scratch *s, const mx_query *q) {
  if (q->nq > s->capq) {
    qterm *n = realloc(s->q, sizeof(qterm) * (size_t)q->nq);
    if (!n) return -1;
    s->q = n;
    s->capq = q->nq;
  }
  s->nq = q->nq;
  s->nq_need = q->nq_need;
  s->norm_bm25 = q->norm_bm25;
  s->norm_cos = q->norm_cos;
  s->cos_share = q->cos_share;
  if (q->nq) memcpy(s->q, q->q, sizeof(qterm) * (size_t)q->nq);
  return 0;
}

/* The two similarities, each on a 0..1 scale, blended: BM25 divided by the
** need's own maximum, and the cosine of the tf-idf vectors (1 + ln tf). */
static double blend(const mx_scratch *s, const mx_weights *w, double bm25, double dot, double vnorm) {
  double b = s->norm_bm25 > 0 ? bm25 / s->norm_bm25 : 0;
  double c = s->norm_cos > 0 && vnorm > 0 ? dot / (sqrt(s->norm_cos) * vnorm) : 0;
  return (1 - s->cos_share) * b + s->cos_share * c;
}

double mx_term_contrib(const mx_scratch *s, const mx_coll *c, const mx_weights *w, int i,
                       double tf, double len, double vnorm) {
  const qterm *q = &s->q[i];
  double f = q->qw * q->idf;
  return blend(s, w, f * tf_part(w, c, tf, len), tf > 0 ? f * ltf(tf) * q->idf : 0, vnorm);
}

static double doc_score(const mx_scratch *s, const mx_weights *w, uint32_t d) {
  return blend(s, w, s->acc[d].bm25, s->acc[d].dot, s->dinfo[d].vnorm);
}

uint32_t mx_query_term(const mx_scratch *s, int i, int *from_feedback) {
  if (from_feedback) *from_feedback = i >= s->nq_need;
  return s->q[i].term;
}

/* -------------------------------------------------------------- scoring */

/* Starts a need: a new epoch makes every sum stale at once. */
static void reset_acc(mx_scratch *s) {
  if (++s->epoch == 0) { /* wrapped: clear for real, once in 2^32 needs */
    for (uint32_t d = 0; d < s->nacc; d++) s->acc[d].epoch = 0;
    s->epoch = 1;
  }
  if (s->bits_dirty) memset(s->bits, 0, sizeof(uint64_t) * (s->nacc / 64 + 1));
  s->bits_dirty = 0;
  s->ntouched = 0;
}

/* Lists the touched documents in document order, from the bit set (clear:
** and empties it). The passes over them then walk the accumulators in
** address order, which the hardware prefetches; in the order they were
** first touched, each was a cache miss, and at 1M items that was most of a
** need's time. */
static void order_touched(mx_scratch *s, int clear) {
  uint32_t n = 0, words = s->nacc / 64 + 1;
  for (uint32_t wi = 0; wi < words; wi++) {
    uint64_t x = s->bits[wi];
    if (!x) continue;
    if (clear) s->bits[wi] = 0;
    while (x) {
      s->touched[n++] = wi * 64 + (uint32_t)__builtin_ctzll(x);
      x &= x - 1;
    }
  }
  if (clear) s->bits_dirty = 0;
}


/* Adds the contributions of query terms [from, nq) to the accumulators and
** their maxima to the need's norms. */
static void score_terms(mx_scratch *s, const mx_coll *c, const mx_weights *w, int from) {
  for (int i = from; i < s->nq; i++) {
    const qterm *q = &s->q[i];
    double f = q->qw * q->idf;
    const mx_posting *p;
    uint32_t np = mx_post(c, q->term, &p);
    for (uint32_t j = 0; j < np; j++) {
      uint32_t d = p[j].doc;
      mx_acc *a = &s->acc[d];
      if (a->epoch != s->epoch) {
        a->epoch = s->epoch;
        a->bm25 = a->dot = 0;
        s->bits[d >> 6] |= 1ULL << (d & 63);
        s->ntouched++;
      }
      double tf = p[j].tf;
      a->bm25 += (float)(f * tf * (w->k1 + 1) / (tf + a->lnorm));
      a->dot += (float)(f * q->idf * ltf(p[j].tf));
    }
    s->norm_bm25 += f * (w->k1 + 1);
    s->norm_cos += f * f;
  }
}

typedef struct fb_term {
  uint32_t term;
  double w;
} fb_term;

static int cmp_fb(const void *a, const void *b) {
  const fb_term *x = a, *y = b;
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  return x->term < y->term ? -1 : x->term > y->term;
}


/* Pseudo-relevance feedback (RM3-like): the terms that carry the most
** tf-idf mass in the best documents, weighted by those documents' scores,
** join the query at prf_weight of the original terms' mean weight. */
static int feedback(mx_scratch *s, const mx_coll *c, const mx_weights *w) {
  int nd = (int)w->prf_docs, nt = (int)w->prf_terms;
  if (nd <= 0 || nt <= 0 || !s->ntouched || s->nq == 0) return 0;
  /* top nd documents by partial selection (ties: lower document first) */
  uint32_t top[128] = {0};
  double tops[128] = {0};
  int ntop = 0;
  if (nd > 128) nd = 128;
  for (uint32_t i = 0; i < s->ntouched; i++) {
    uint32_t d = s->touched[i];
    double v = doc_score(s, w, d);
    int pos;
    if (ntop < nd) pos = ntop++;
    else if (v < tops[ntop - 1] || (v == tops[ntop - 1] && d > top[ntop - 1])) continue;
    else pos = ntop - 1;
    while (pos > 0 && (tops[pos - 1] < v || (tops[pos - 1] == v && top[pos - 1] > d))) {
      top[pos] = top[pos - 1];
      tops[pos] = tops[pos - 1];
      pos--;
    }
    top[pos] = d;
    tops[pos] = v;
  }
  double best = tops[0];
  if (best <= 0) return 0;
  fb_term *fb = NULL;
  int nfb = 0, capfb = 0;
  tmap fm = {NULL, 0}; /* term -> index into fb */
  for (int i = 0; i < ntop; i++) {
    const mx_doc *d = &c->docs[top[i]];
    double dw = tops[i] / best;
    const mx_fwd *fw;
    uint32_t nf = mx_fwd_of(c, top[i], &fw);
    for (uint32_t j = 0; j < nf; j++) {
      const mx_fwd *f = &fw[j];
      double tw = dw * (f->tf / (d->len > 0 ? d->len : 1)) * idf_of(c, f->term);
      if (nfb == capfb) {
        capfb = capfb ? capfb * 2 : 256;
        fb_term *n = realloc(fb, sizeof(*n) * (size_t)capfb);
        if (!n || tmap_fit(&fm, (uint32_t)capfb, n, sizeof(fb_term), (uint32_t)nfb)) {
          free(n ? n : fb);
          free(fm.slot);
          return -1;
        }
        fb = n;
      }
      uint32_t *slot = tmap_slot(&fm, f->term, fb, sizeof(fb_term));
      if (!*slot) {
        fb[nfb].term = f->term;
        fb[nfb].w = 0;
        *slot = (uint32_t)++nfb;
      }
      fb[*slot - 1].w += tw;
    }
  }
  free(fm.slot);
  jb_qsort(fb, (size_t)nfb, sizeof(fb_term), cmp_fb);
  double mean = 0;
  for (int i = 0; i < s->nq; i++) mean += s->q[i].qw;
  mean /= s->nq;
  int from = s->nq, added = 0;
  double top_w = nfb ? fb[0].w : 1;
  for (int i = 0; i < nfb && added < nt; i++) {
    uint32_t at = *tmap_slot(&s->qmap, fb[i].term, s->q, sizeof(qterm));
    if (at && (int)at <= from) continue; /* a term of the need already */
    if (q_add(s, fb[i].term, w->prf_weight * mean * fb[i].w / top_w)) { free(fb); return -1; }
    s->q[s->nq - 1].idf = idf_of(c, fb[i].term);
    added++;
  }
  free(fb);
  score_terms(s, c, w, from);
  return 0;
}



static int cmp_hit(const void *a, const void *b, const jb_match_index *mx) {
  const mx_hit *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  const mx_unit *ux = &mx->units[x->unit], *uy = &mx->units[y->unit];
  if (ux->type != uy->type) return ux->type < uy->type ? -1 : 1;
  return strcmp(ux->id, uy->id);
}

/* Sorts hits best first. A merge sort of our own: qsort() has no context
** argument in C11, and batch threads must not share a global. */
static void sort_hits(const jb_match_index *mx, mx_hit *h, uint32_t n) {
  if (n < 2) return;
  mx_hit *tmp = malloc(sizeof(mx_hit) * n);
  if (!tmp) {
    for (uint32_t i = 1; i < n; i++)
      for (uint32_t j = i; j > 0 && cmp_hit(&h[j], &h[j - 1], mx) < 0; j--) {
        mx_hit t = h[j];
        h[j] = h[j - 1];
        h[j - 1] = t;
      }
    return;
  }
  for (uint32_t width = 1; width < n; width *= 2) {
    for (uint32_t i = 0; i < n; i += 2 * width) {
      uint32_t lo = i, mid = i + width < n ? i + width : n, hi = i + 2 * width < n ? i + 2 * width : n;
      uint32_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi) tmp[k++] = cmp_hit(&h[b], &h[a], mx) < 0 ? h[b++] : h[a++];
      while (a < mid) tmp[k++] = h[a++];
      while (b < hi) tmp[k++] = h[b++];
    }
    memcpy(h, tmp, sizeof(mx_hit) * n);
  }
  free(tmp);
}

/* Older evidence counts less: 1 / (1 + recency * age), age in years before
** the newest document of the collection (not the clock: a corpus of 2021
** is judged as of 2021). Undated evidence is not discounted. */
static double recency_factor(const mx_weights *w, const mx_coll *c, int year) {
  if (w->recency <= 0 || year <= 0 || c->maxyear <= 0) return 1;
  int age = c->maxyear - year;
  if (age <= 0) return 1;
  return 1 / (1 + w->recency * age);
}

/* Inserts v into a descending list of at most cap evidence scores. */
static void top_insert(float *sc, uint8_t *n, float v, int cap) {
  int pos = *n < cap ? (*n)++ : cap;
  if (pos == cap) {
    if (v <= sc[cap - 1]) return;
    pos = cap - 1;
  }
  while (pos > 0 && sc[pos - 1] < v) {
    sc[pos] = sc[pos - 1];
    pos--;
  }
  sc[pos] = v;
}

/* The hit of unit u, created on first use (hit_of is 1-based, 0 = none). */
static mx_hit *hit_for(mx_scratch *s, uint32_t u) {
  uint32_t h = s->hit_of[u];
  if (h) return &s->hits[h - 1];
  mx_hit *x = &s->hits[s->nhits];
  memset(x, 0, sizeof(*x));
  x->unit = u;
  x->best_doc = UINT32_MAX;
  s->ntop[s->nhits] = 0;
  s->hit_of[u] = ++s->nhits;
  return x;
}

/* Keeps the best `keep` hits at the front (a bounded selection: O(n log keep)),
** then sorts them. */
static uint32_t select_best(const jb_match_index *mx, mx_hit *h, uint32_t n, uint32_t keep) {
  if (keep && n > keep) {
    /* heap of the best `keep`, worst on top */
    for (uint32_t i = 0; i < n; i++) {
      mx_hit x = h[i];
      uint32_t size = i < keep ? i : keep;
      if (i >= keep) {
        if (cmp_hit(&x, &h[0], mx) >= 0) continue; /* not better than the worst kept */
        size = keep;
        /* replace the top and sift down */
        uint32_t j = 0;
        for (;;) {
          uint32_t l = 2 * j + 1, r = l + 1, m = j;
          const mx_hit *cur = m == j ? &x : &h[m];
          if (l < size && cmp_hit(&h[l], cur, mx) > 0) { m = l; cur = &h[l]; }
          if (r < size && cmp_hit(&h[r], cur, mx) > 0) { m = r; }
          if (m == j) break;
          h[j] = h[m];
          j = m;
        }
        h[j] = x;
        continue;
      }
      /* sift up into the heap h[0..i] */
      uint32_t j = size;
      while (j > 0 && cmp_hit(&h[(j - 1) / 2], &x, mx) < 0) {
        h[j] = h[(j - 1) / 2];
        j = (j - 1) / 2;
      }
      h[j] = x;
    }
    n = keep;
  }
  sort_hits(mx, h, n);
  return n;
}

/* Replaces the least of a min-heap of n scores (hv) with their units (hu)
** by (v, u) and sifts it down. */
static void heap_replace_min(float *hv, uint32_t *hu, uint32_t n, float v, uint32_t u) {
  uint32_t j = 0;
  for (;;) {
    uint32_t l = 2 * j + 1, r = l + 1, k = j;
    float kv = v;
    if (l < n && hv[l] < kv) { k = l; kv = hv[l]; }
    if (r < n && hv[r] < kv) k = r;
    if (k == j) break;
    hv[j] = hv[k];
    hu[j] = hu[k];
    j = k;
  }
  hv[j] = v;
  hu[j] = u;
}

/* A document score below which no unit can reach the best `keep` (0: no
** such bound yet). The units of the best-scoring documents are a witness:
** when `keep` distinct units have a document scoring at least t, each of
** them scores at least t (a unit's text is at least its best document's and
** the boosts only multiply by 1 or more), so the keep-th best score is at
** least t. A unit whose best document scores v scores at most
** v * (1 + d + d^2 ... over MX_TOP documents) * (1 + chain + region +
** program); below t it cannot be listed (an institution lifted by such an
** expert neither: org_via_experts <= 1). The bound is exact pruning: the
** listed hits are the same as without it. */
static double prune_cut(mx_scratch *s, const mx_weights *w, uint32_t keep) {
  enum { CAND = 1024 };
  if (keep > CAND / 4) return 0;
  /* the best CAND documents, a min-heap */
  float hv[CAND];
  uint32_t hu[CAND], n = 0, m = 4 * keep;
  for (uint32_t i = 0; i < s->ntouched; i++) {
    float v = s->tv[i];
    if (v <= 0 || (n == m && v <= hv[0])) continue;
    uint32_t u = s->dinfo[s->touched[i]].unit;
    if (n < m) {
      uint32_t j = n++;
      while (j > 0 && hv[(j - 1) / 2] > v) {
        hv[j] = hv[(j - 1) / 2];
        hu[j] = hu[(j - 1) / 2];
        j = (j - 1) / 2;
      }
      hv[j] = v;
      hu[j] = u;
    } else {
      heap_replace_min(hv, hu, n, v, u);
    }
  }
  /* best first (popping the min-heap fills the array from the back);
  ** count distinct units (hit_of is all zero here: use it as the mark and
  ** clear it after) */
  for (uint32_t size = n; size > 1;) {
    float tv = hv[0];
    uint32_t tu = hu[0];
    size--;
    heap_replace_min(hv, hu, size, hv[size], hu[size]);
    hv[size] = tv;
    hu[size] = tu;
  }
  double t = 0;
  uint32_t units = 0;
  for (uint32_t i = 0; i < n && units < keep; i++)
    if (!s->hit_of[hu[i]]) {
      s->hit_of[hu[i]] = 1;
      if (++units == keep) t = hv[i];
    }
  for (uint32_t i = 0; i < n; i++) s->hit_of[hu[i]] = 0;
  if (t <= 0) return 0;
  double g = 0;
  for (int j = 0; j < top_count(w); j++) g += evidence_weight(w, j);
  double boost = 1 + w->chain + w->region + w->program;
  return t / (g * boost) * (1 - 1e-6);
}

/* Institutions also answer through their best expert — only an expert the
** need may be offered: an institution is never ranked on the strength of a
** person left out for a conflict of interest (or without capacity). */
static void lift_institutions(const jb_match_index *mx, mx_scratch *s, const mx_weights *w, const nd_need *need) {
  uint32_t n0 = s->nhits;
  for (uint32_t i = 0; i < n0; i++) {
    const mx_unit *u = &mx->units[s->hits[i].unit];
    if (u->type != MX_EXPERT || u->org_unit == UINT32_MAX || s->hits[i].text <= 0) continue;
    uint32_t oi = u->org_unit;
    double v = w->org_via_experts * s->hits[i].text;
    if (s->hit_of[oi] && v <= s->hits[s->hit_of[oi] - 1].text) continue; /* would not lift it */
    if (nd_excluded(mx, need, s->hits[i].unit, ND_ALL, NULL)) continue;
    mx_hit *o = hit_for(s, oi);
    if (v > o->text) {
      o->text = v;
      o->via = s->hits[i].unit + 1;
      o->best_doc = s->hits[i].best_doc;
    }
  }
}

/* The weights for a need of `len` words: below long_need/10 the short-need
** weights, from long_need on the whole-document ones, between them a blend
** on a log scale (no step at a threshold for a need one word longer). */
static void long_weights(const mx_weights *w, double len, mx_weights *out) {
  *out = *w;
  double lo = w->long_need / 10;
  if (len <= lo) return;
  double t = len >= w->long_need ? 1 : log(len / lo) / log(10);
  out->cosine += t * (w->cosine_long - w->cosine);
  out->max_terms += t * (w->max_terms_long - w->max_terms);
  out->evidence_decay += t * (w->evidence_decay_long - w->evidence_decay);
}

int mx_score_need(jb_db *db, const jb_match_index *mx, mx_scratch *s, jb_tokenizer *tok,
                  const mx_weights *w, const nd_need *need, unsigned types, int keep,
                  int apply_floor, mx_hit **hitsOut) {
  const mx_coll *c = &mx->supply;
  mx_weights wl;
  s->nq = 0;
  tmap_clear(&s->qmap);
  s->norm_bm25 = s->norm_cos = 0;
  reset_acc(s);
  qbuild b = {mx, s, 0, w->phrase, w->unigram, 0, 0, NULL, need->keywords, NULL, NULL, db->lex};
  tokenize_into(&b, tok, need->title, w->w_title);
  const cJSON *kw;
  cJSON_ArrayForEach(kw, need->keywords) if (cJSON_IsString(kw))
      tokenize_into(&b, tok, kw->valuestring, w->w_keywords);
  tokenize_into(&b, tok, need->text, w->w_body);
  tokenize_into(&b, tok, need->file_text, w->w_body);
  if (b.oom) return -1;
  long_weights(w, b.len, &wl);
  w = &wl;
  s->cos_share = w->cosine;
  q_finish(s, c, w);
  q_remap(s);
  set_lnorm(s, c, w);
  s->bits_dirty = 1;
  score_terms(s, c, w, 0);
  order_touched(s, 0);
  s->nq_need = s->nq;
  if (feedback(s, c, w)) return -1;
  order_touched(s, 1); /* with the documents the feedback terms touched */

  /* Each touched document's score; then units from the touched documents
  ** only: cost follows the matches, not the size of the database. */
  for (uint32_t i = 0; i < s->ntouched; i++) {
    uint32_t d = s->touched[i];
    const mx_dinfo *di = &s->dinfo[d];
    double v = 0;
    if (types >> di->type & 1) v = doc_score(s, w, d) * recency_factor(w, c, di->year);
    s->acc[d].v = s->tv[i] = v > 0 ? (float)v : 0;
  }
  double cut = s->cut = keep > 0 && w->org_via_experts <= 1 ? prune_cut(s, w, (uint32_t)keep) : 0;
  s->nhits = 0;
  int ntop_cap = top_count(w);
  for (uint32_t i = 0; i < s->ntouched; i++) {
    if (s->tv[i] <= 0 || s->tv[i] < cut) continue;
    uint32_t u = s->dinfo[s->touched[i]].unit;
    if (s->hit_of[u]) continue;
    /* the unit's evidence: its documents are contiguous */
    mx_hit *h = hit_for(s, u);
    uint32_t hi = (uint32_t)(h - s->hits);
    for (uint32_t d = s->urange[u][0]; d < s->urange[u][0] + s->urange[u][1]; d++) {
      const mx_acc *a = &s->acc[d];
      if (a->epoch != s->epoch || a->v <= 0) continue;
      if (!s->ntop[hi] || a->v > s->topsc[hi * MX_TOP]) h->best_doc = d;
      top_insert(&s->topsc[hi * MX_TOP], &s->ntop[hi], a->v, ntop_cap);
    }
  }
  for (uint32_t i = 0; i < s->nhits; i++) {
    double sum = 0;
    for (int j = 0; j < s->ntop[i]; j++) sum += evidence_weight(w, j) * s->topsc[i * MX_TOP + j];
    s->hits[i].text = sum;
  }
  if (w->org_via_experts > 0 && (types >> MX_ORG & 1)) lift_institutions(mx, s, w, need);
  /* every unit of the types, also those that matched nothing (rap: every
  ** expert must have a score for every paper) */
  if (keep < 0)
    for (uint32_t u = 0; u < mx->nunits; u++) {
      const mx_unit *un = &mx->units[u];
      if (un->type != MX_NEED && (types >> un->type & 1)) {
        mx_hit *h = hit_for(s, u);
        if (h->best_doc == UINT32_MAX && un->ndocs) h->best_doc = un->doc0;
      }
    }
  for (uint32_t i = 0; i < s->nhits; i++) s->hit_of[s->hits[i].unit] = 0;

  uint64_t nfam = mx_family_bits(db, need->chains);
  uint32_t nreg[3];
  mx_region_keys(need->region, nreg);
  uint32_t n = 0;
  for (uint32_t i = 0; i < s->nhits; i++) {
    mx_hit *h = &s->hits[i];
    const mx_unit *u = &mx->units[h->unit];
    if (keep >= 0 && h->text <= 0) continue;
    if (need->chains && u->chains)
      h->chain = (need->chains & u->chains) ? 1.0 : (nfam & u->family) ? 0.5 : 0;
    int lv = 0;
    while (lv < 3 && nreg[lv] && nreg[lv] == u->region_key[lv]) lv++;
    h->region = lv >= 3 ? 1.0 : lv == 2 ? 0.6 : lv == 1 ? 0.3 : 0;
    if (!need->region) h->region = 0;
    h->program = (u->programs & MX_PROG_COMMISSIONER) ? 1.0 : (u->programs & MX_PROG_TALENT) ? 0.5 : 0;
    h->score = h->text * (1 + w->chain * h->chain + w->region * h->region + w->program * h->program);
    if (apply_floor && h->score < w->floor) continue;
    s->hits[n++] = *h;
  }
  n = select_best(mx, s->hits, n, keep > 0 ? (uint32_t)keep : 0);
  *hitsOut = s->hits;
  return (int)n;
}
