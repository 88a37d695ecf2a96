/*
** text_fts5.c — the "jiebang" FTS5 tokenizer: glue between FTS5's
** fts5_tokenizer contract and jb_tokenize().
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

typedef struct fts5_tok {
  jb_tokenizer *t;
} fts5_tok;

typedef struct fts5_call {
  void *pCtx;
  int (*xToken)(void *, int, const char *, int, int, int);
} fts5_call;

static int fts5_create(void *pCtx, const char **azArg, int nArg, Fts5Tokenizer **ppOut) {
  *ppOut = NULL;
  if (nArg > 0) return SQLITE_ERROR; /* no options: behaviour is versioned as a whole */
  fts5_tok *p = calloc(1, sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  if (jb_tokenizer_new(&p->t) != JB_OK) {
    free(p);
    return SQLITE_NOMEM;
  }
  *ppOut = (Fts5Tokenizer *)p;
  return SQLITE_OK;
}

static void fts5_delete(Fts5Tokenizer *pTok) {
  fts5_tok *p = (fts5_tok *)pTok;
  if (!p) return;
  jb_tokenizer_free(p->t);
  free(p);
}

static int fts5_token_cb(void *ctx, int tflags, const char *tok, int ntok, int s, int e) {
  fts5_call *c = ctx;
  return c->xToken(c->pCtx, (tflags & JB_TOKEN_COLOCATED) ? FTS5_TOKEN_COLOCATED : 0,
                   tok, ntok, s, e);
}

static int fts5_tokenize(Fts5Tokenizer *pTok, void *pCtx, int flags, const char *pText,
                         int nText, int (*xToken)(void *, int, const char *, int, int, int)) {
  fts5_tok *p = (fts5_tok *)pTok;
  fts5_call c = {pCtx, xToken};
  /* Highlighting (AUX) must see exactly the document tokens. */
  int mode = (flags & FTS5_TOKENIZE_QUERY) ? JB_TOKENIZE_QUERY : JB_TOKENIZE_DOCUMENT;
  return jb_tokenize(p->t, mode, pText, nText, &c, fts5_token_cb);
}

static fts5_api *fts5_api_of(sqlite3 *db) {
  fts5_api *api = NULL;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return NULL;
  sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
  sqlite3_step(st);
  sqlite3_finalize(st);
  return api;
}

int jb_fts5_register(sqlite3 *db) {
  fts5_api *api = fts5_api_of(db);
  if (!api) return SQLITE_ERROR;
  fts5_tokenizer t = {fts5_create, fts5_delete, fts5_tokenize};
  return api->xCreateTokenizer(api, "jiebang", NULL, &t, NULL);
}
