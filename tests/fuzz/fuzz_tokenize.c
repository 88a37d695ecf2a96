/*
** fuzz_tokenize.c — jb_tokenize on arbitrary bytes, in document and query
** mode. Beyond "no crash, no UB", every token must keep the FTS5 contract the
** index and highlight() rely on:
**   - 0 <= start < end <= n (byte offsets into the caller's text);
**   - token non-empty, at most TOKEN_MAX bytes, valid UTF-8;
**   - starts never go backwards (highlight walks tokens in order);
**   - a callback's non-zero value stops tokenization and is returned.
*/
#include "fuzz_common.h"
#include <stdlib.h>
#include <string.h>

/* JB_WORD_MAX (64) plus room for the joiners a word may carry ("C++"); no
** token of any input should come close. */
#define TOKEN_MAX 80

typedef struct check_ctx {
  const char *mode;
  int n;
  long count;
  int last_start;
  long stop_at;   /* return STOP_RC on this token (1-based), 0 = never */
} check_ctx;

#define STOP_RC 7

static jb_tokenizer *tok;
static jb_buf norm;

static int check_cb(void *ctx, int tflags, const char *t, int nt, int start, int end) {
  check_ctx *c = ctx;
  c->count++;
  JBF_CHECK(start >= 0 && end <= c->n && start < end,
            "%s mode: token %ld offsets [%d,%d) outside the text of %d bytes", c->mode, c->count,
            start, end, c->n);
  JBF_CHECK(nt > 0 && nt <= TOKEN_MAX, "%s mode: token %ld has %d bytes", c->mode, c->count, nt);
  JBF_CHECK(jb_utf8_invalid_at(t, (size_t)nt) < 0, "%s mode: token %ld is not valid UTF-8",
            c->mode, c->count);
  JBF_CHECK(memchr(t, 0, (size_t)nt) == NULL, "%s mode: token %ld contains NUL", c->mode, c->count);
  JBF_CHECK(start >= c->last_start, "%s mode: token %ld starts at %d, before the previous (%d)",
            c->mode, c->count, start, c->last_start);
  JBF_CHECK(!(tflags & ~JB_TOKEN_COLOCATED), "%s mode: unknown flags %d", c->mode, tflags);
  JBF_CHECK(!(tflags & JB_TOKEN_COLOCATED) || c->count > 1,
            "%s mode: the first token is colocated", c->mode);
  c->last_start = start;
  return c->stop_at && c->count == c->stop_at ? STOP_RC : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  JBF_CHECK(jb_tokenizer_new(&tok) == JB_OK, "jb_tokenizer_new");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 20)) return 0;
  /* A private copy: the tokenizer must not read past n (ASan sees the end). */
  char *text = malloc(size ? size : 1);
  if (!text) return 0;
  if (size) memcpy(text, data, size);
  static const int modes[] = {JB_TOKENIZE_DOCUMENT, JB_TOKENIZE_QUERY};
  static const char *const names[] = {"document", "query"};
  for (int m = 0; m < 2; m++) {
    check_ctx c = {names[m], (int)size, 0, 0, 0};
    int rc = jb_tokenize(tok, modes[m], text, (int)size, &c, check_cb);
    JBF_CHECK(rc == 0, "%s mode: returned %d with a callback that never stops", names[m], rc);
    /* Stop in the middle: the value comes back and no token follows. */
    if (c.count >= 2) {
      long total = c.count;
      check_ctx s = {names[m], (int)size, 0, 0, total / 2 + 1};
      rc = jb_tokenize(tok, modes[m], text, (int)size, &s, check_cb);
      JBF_CHECK(rc == STOP_RC && s.count == s.stop_at,
                "%s mode: stop at token %ld of %ld returned %d after %ld tokens", names[m],
                s.stop_at, total, rc, s.count);
    }
  }
  /* The lexicon's key form goes through the same code. */
  JBF_CHECK(jb_text_normalize(tok, text, (int)size, &norm) == 0, "jb_text_normalize failed");
  JBF_CHECK(jb_utf8_invalid_at(jb_buf_str(&norm), norm.n) < 0,
            "normalized text is not valid UTF-8");
  free(text);
  return 0;
}
