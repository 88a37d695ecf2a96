/*
** text_tokenize.c — the tokenizer for Chinese, English and their mixtures.
**
** One function serves documents, queries and highlighting (the FTS5
** contract). What it does, and why:
**
**   - Full-width forms (ＡＢＣ１２３, U+3000) fold to ASCII and case folds, so
**     "３Ｄ打印" and "3d打印" index alike. Latin-1 letters lose diacritics.
**   - Runs of letters/digits form one token: "3D", "3DP", "C919", "GB" stay
**     whole; "0.5" keeps its point; "C++" and "C#" keep their marks. Pure
**     letter words are stemmed with Snowball English (printing -> print).
**   - Runs of CJK characters become overlapping bigrams, so every 2-character
**     word inside a longer run is findable (无抗 in 无抗蛋鸡, 科技 in
**     中南林业科技大学) without a dictionary that would miss new terms
**     (see ../shared/notes/chinese-text.md: word segmenters lost 科技 in
**     科技大学; bigrams found every substring tested).
**   - Documents also get each character as a unigram at the same position as
**     the bigram starting there (FTS5 "colocated"), so one-character queries
**     (茶, 鱼) still match. The last character of a run is colocated with the
**     run's last bigram, which keeps positions aligned with the query form, so
**     phrases that cross scripts ("3D打印", "打印3D") match.
**   - Queries get bigrams only (a 1-character run gives its unigram): FTS5
**     treats colocated query tokens as alternatives, which we do not want.
**
** Offsets are byte offsets into the caller's original text, also after
** folding, so highlight() marks exactly the characters that matched (a
** one-character query highlights the bigram it sits in: the main token).
*/
#include "jb_int.h"
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

/* Longest word token kept, in bytes. Longer runs (hashes, base64, a 10 MB
** line of 'a') are cut here: nobody searches for the 65th byte of a word. */
#define JB_WORD_MAX 64

/* Stems of recent words, direct-mapped by a hash of the word: a corpus
** repeats its vocabulary, and Snowball was a tenth of an import's time. */
#define STEM_SLOTS 4096
#define STEM_MAXW 24

typedef struct stem_slot {
  uint8_t wn, sn;            /* 0 = empty */
  char w[STEM_MAXW], s[STEM_MAXW];
} stem_slot;

struct jb_tokenizer {
  struct sb_stemmer *stemmer;  /* one per tokenizer: Snowball is not thread-safe */
  stem_slot *stems;            /* STEM_SLOTS of them, allocated on first use */
};

jb_status jb_tokenizer_new(jb_tokenizer **ppTok) {
  *ppTok = NULL;
  jb_tokenizer *t = calloc(1, sizeof(*t));
  if (!t) return JB_ERR_NOMEM;
  t->stemmer = sb_stemmer_new("english", "UTF_8");
  if (!t->stemmer) {
    free(t);
    return JB_ERR_NOMEM;
  }
  *ppTok = t;
  return JB_OK;
}

void jb_tokenizer_free(jb_tokenizer *t) {
  if (!t) return;
  if (t->stemmer) sb_stemmer_delete(t->stemmer);
  free(t->stems);
  free(t);
}

/* Latin-1 letters U+00C0..U+00FF without diacritics, lower case; '0' marks
** the two non-letters (× ÷) and letters with no ASCII base are kept. */
static const char latin1_base[64] =
    "aaaaaaaceeeeiiiidnooooo0ouuuuy\0s"
    "aaaaaaaceeeeiiiidnooooo0ouuuuy\0y";

uint32_t jb_char_fold(uint32_t cp) {
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    return cp;
  }
  if (cp >= 0xFF01 && cp <= 0xFF5E) return jb_char_fold(cp - 0xFEE0); /* full width */
  if (cp == 0x3000) return ' ';                                       /* ideographic space */
  if (cp >= 0xC0 && cp <= 0xFF) {
    char b = latin1_base[cp - 0xC0];
    if (b == '0') return cp;
    if (b) return (uint32_t)b;
    return cp >= 0xE0 ? cp : cp + 0x20; /* þ, ð kept as lower case letters */
  }
  /* Latin Extended-A: capital/small pairs, capital first (even) except in
  ** two ranges where the pairs start on an odd code point. */
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return cp | 1u;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1u) ? cp + 1 : cp;
  if (cp >= 0x391 && cp <= 0x3A9) return cp + 0x20;   /* Greek capitals */
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;   /* Cyrillic capitals */
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

int jb_char_class(uint32_t cp) {
  if (cp < 0x80) {
    if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
      return 1;
    return 0;
  }
  if (cp >= 0xC0 && cp <= 0x24F) return (cp == 0xD7 || cp == 0xF7) ? 0 : 1;
  if (cp >= 0x370 && cp <= 0x3FF) return 1;
  if (cp >= 0x400 && cp <= 0x4FF) return 1;
  if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F) ||
      (cp >= 0x3040 && cp <= 0x30FF && cp != 0x30FB) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
      cp == 0x3005 || cp == 0x3007)
    return 2;
  return 0;
}

typedef struct tok_state {
  jb_tokenizer *t;
  int mode;
  const unsigned char *s;
  int n;
  void *ctx;
  jb_token_cb cb;
  int rc;
  /* word in progress */
  char w[JB_WORD_MAX + 8];
  int wn, wstart, wend, wdigits, wletters, wfull;
  /* CJK run in progress: the previous character and how long the run is */
  char pc[4];
  int pcn, pstart, pend, runlen;
} tok_state;

static int emit(tok_state *st, int tflags, const char *tok, int n, int start, int end) {
  if (st->rc) return st->rc;
  st->rc = st->cb(st->ctx, tflags, tok, n, start, end);
  return st->rc;
}

/* The stem of a lower-case letter word of n bytes; *len gets its length.
** NULL when Snowball fails (out of memory): the word is kept as it is. */
static const char *stem(jb_tokenizer *t, const char *w, int n, int *len) {
  stem_slot *e = NULL;
  if (n <= STEM_MAXW) {
    if (!t->stems) t->stems = calloc(STEM_SLOTS, sizeof(stem_slot));
    if (t->stems) {
      uint32_t h = 2166136261u;
      for (int i = 0; i < n; i++) h = (h ^ (unsigned char)w[i]) * 16777619u;
      e = &t->stems[h & (STEM_SLOTS - 1)];
      if (e->wn == n && !memcmp(e->w, w, (size_t)n)) {
        *len = e->sn;
        return e->s;
      }
    }
  }
  const sb_symbol *out = sb_stemmer_stem(t->stemmer, (const sb_symbol *)w, n);
  if (!out) return NULL;
  *len = sb_stemmer_length(t->stemmer);
  if (e && *len > 0 && *len <= STEM_MAXW) {
    e->wn = (uint8_t)n;
    e->sn = (uint8_t)*len;
    memcpy(e->w, w, (size_t)n);
    memcpy(e->s, out, (size_t)*len);
  }
  return (const char *)out;
}

static void flush_word(tok_state *st) {
  if (!st->wn) return;
  const char *tok = st->w;
  int n = st->wn;
  /* Stem pure-letter words only: "3dp", "c919" or "0.5" are names, not English. */
  if (!st->wdigits && st->wletters == n && n > 2) {
    int sn;
    const char *out = stem(st->t, st->w, n, &sn);
    if (out) {
      tok = out;
      n = sn;
    }
  }
  if (n > 0) emit(st, 0, tok, n, st->wstart, st->wend);
  st->wn = st->wdigits = st->wletters = st->wfull = 0;
}

static void flush_cjk(tok_state *st) {
  if (!st->pcn) return;
  if (st->runlen == 1) {
    emit(st, 0, st->pc, st->pcn, st->pstart, st->pend);
  } else if (st->mode == JB_TOKENIZE_DOCUMENT) {
    /* last character: colocated with the run's last bigram (see header) */
    emit(st, JB_TOKEN_COLOCATED, st->pc, st->pcn, st->pstart, st->pend);
  }
  st->pcn = 0;
  st->runlen = 0;
}

static void add_cjk(tok_state *st, const char *u, int un, int start, int end) {
  if (st->pcn) {
    char bi[8];
    memcpy(bi, st->pc, (size_t)st->pcn);
    memcpy(bi + st->pcn, u, (size_t)un);
    emit(st, 0, bi, st->pcn + un, st->pstart, end);
    if (st->mode == JB_TOKENIZE_DOCUMENT)
      emit(st, JB_TOKEN_COLOCATED, st->pc, st->pcn, st->pstart, st->pend);
  }
  memcpy(st->pc, u, (size_t)un);
  st->pcn = un;
  st->pstart = start;
  st->pend = end;
  st->runlen++;
}

static void word_add(tok_state *st, uint32_t f, int start, int end) {
  if (!st->wn) st->wstart = start;
  st->wend = end;
  char u[4];
  int un = jb_utf8_encode(f, u);
  if (st->wn + un > JB_WORD_MAX) { st->wfull = 1; return; }
  memcpy(st->w + st->wn, u, (size_t)un);
  st->wn += un;
  if (f >= '0' && f <= '9') st->wdigits++;
  else if (f < 0x80) st->wletters++;
}

/* Decodes the folded code point at byte i; invalid bytes read as U+FFFD
** (a separator) of length 1. */
static int next_cp(const unsigned char *s, int n, int i, uint32_t *cp) {
  int l = jb_utf8_decode(s + i, (size_t)(n - i), cp);
  if (!l) { *cp = 0xFFFD; return 1; }
  *cp = jb_char_fold(*cp);
  return l;
}

int jb_tokenize(jb_tokenizer *t, int mode, const char *text, int n, void *ctx,
                jb_token_cb cb) {
  tok_state st;
  memset(&st, 0, sizeof(st));
  st.t = t;
  st.mode = mode;
  st.s = (const unsigned char *)text;
  st.n = n;
  st.ctx = ctx;
  st.cb = cb;
  int i = 0;
  while (i < n && !st.rc) {
    uint32_t f;
    int l = next_cp(st.s, n, i, &f);
    int cls = jb_char_class(f);
    if (cls == 1) {
      flush_cjk(&st);
      word_add(&st, f, i, i + l);
    } else if (cls == 2) {
      flush_word(&st);
      char u[4];
      int un = jb_utf8_encode(f, u);
      add_cjk(&st, u, un, i, i + l);
    } else {
      /* Joiners that belong inside a token. */
      uint32_t nx = 0;
      if (i + l < n) next_cp(st.s, n, i + l, &nx);
      char last = st.wn ? st.w[st.wn - 1] : 0;
      int join = 0;
      if (st.wn && !st.wfull) {
        if (f == '.' && last >= '0' && last <= '9' && nx >= '0' && nx <= '9') join = 1;
        else if (f == '+' && st.wn <= 3 && st.wletters == st.wn &&
                 (nx == '+' || jb_char_class(nx) == 0))
          join = 1; /* C++ */
        else if (f == '+' && last == '+' && st.wn >= 2 && st.w[st.wn - 2] != '+') join = 1; /* two at most */
        else if (f == '#' && st.wn == 1 && st.wletters == 1 && jb_char_class(nx) == 0)
          join = 1; /* C#, F# */
      }
      if (join && st.wn >= JB_WORD_MAX) {
        st.wfull = 1; /* the mark would not fit: the word is cut here */
        st.wend = i + l;
      } else if (join) {
        st.w[st.wn++] = (char)f;
        st.wend = i + l;
        st.wdigits++; /* a mark keeps the word out of the stemmer, like a digit */
      } else {
        flush_word(&st);
        flush_cjk(&st);
      }
    }
    i += l;
  }
  if (!st.rc) flush_word(&st);
  if (!st.rc) flush_cjk(&st);
  return st.rc;
}

typedef struct norm_ctx {
  jb_buf *out;
} norm_ctx;

static int norm_cb(void *ctx, int tflags, const char *tok, int ntok, int s, int e) {
  norm_ctx *c = ctx;
  if (tflags & JB_TOKEN_COLOCATED) return 0;
  if (c->out->n) jb_buf_addc(c->out, ' ');
  jb_buf_add(c->out, tok, (size_t)ntok);
  return c->out->oom ? 1 : 0;
}

int jb_text_normalize(jb_tokenizer *tok, const char *s, int n, jb_buf *out) {
  norm_ctx c = {out};
  jb_buf_reset(out);
  jb_tokenize(tok, JB_TOKENIZE_QUERY, s, n, &c, norm_cb);
  jb_buf_str(out);
  return out->oom ? -1 : 0;
}
