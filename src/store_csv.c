/*
** store_csv.c — a streaming RFC 4180 CSV reader: quoted fields with doubled
** quotes and embedded newlines, CRLF or LF line ends. Rows are bounded in
** fields and bytes so that a hostile file cannot exhaust memory.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_FIELDS 1000

struct jb_csv {
  FILE *f;
  long line;       /* line number of the next character */
  jb_buf row;      /* field bytes, NUL-separated */
  size_t *starts;  /* field offsets into row */
  char **fields;
  int cap;
  char delim;      /* ',' or '\t' */
};

jb_status jb_csv_open(FILE *f, jb_csv **ppCsv) {
  *ppCsv = NULL;
  jb_csv *c = calloc(1, sizeof(*c));
  if (!c) return JB_ERR_NOMEM;
  c->f = f;
  c->line = 1;
  c->delim = ',';
  *ppCsv = c;
  return JB_OK;
}

void jb_csv_set_delim(jb_csv *c, char delim) { c->delim = delim; }

void jb_csv_free(jb_csv *c) {
  if (!c) return;
  jb_buf_free(&c->row);
  free(c->starts);
  free(c->fields);
  free(c);
}

static int push_field(jb_csv *c, int *n) {
  if (*n >= CSV_MAX_FIELDS) return -JB_ERR_LIMIT;
  if (*n >= c->cap) {
    int cap = c->cap ? c->cap * 2 : 32;
    size_t *s = realloc(c->starts, sizeof(size_t) * (size_t)cap);
    if (!s) return -JB_ERR_NOMEM;
    c->starts = s;
    char **fl = realloc(c->fields, sizeof(char *) * (size_t)cap);
    if (!fl) return -JB_ERR_NOMEM;
    c->fields = fl;
    c->cap = cap;
  }
  c->starts[(*n)++] = c->row.n;
  return 0;
}

int jb_csv_next(jb_csv *c, char ***fields, int *nfields, long *line) {
  int ch, n = 0, quoted = 0, limit = 0, nul = 0;
  jb_buf_reset(&c->row);
  *line = c->line;
  ch = getc(c->f);
  if (ch == EOF) return 0;
  if (push_field(c, &n)) return -JB_ERR_LIMIT;
  for (;; ch = getc(c->f)) {
    if (ch == 0) nul = 1; /* would cut the field short: reported, not stored */
    if (ch == EOF) {
      if (quoted) return -JB_ERR_PARSE; /* unterminated quote */
      break;
    }
    if (quoted) {
      if (ch == '"') {
        int nx = getc(c->f);
        if (nx == '"') { jb_buf_addc(&c->row, '"'); continue; }
        quoted = 0;
        if (nx == EOF) break;
        ch = nx; /* fall through to unquoted handling of the next char */
      } else {
        if (ch == '\n') c->line++;
        if (c->row.n < JB_MAX_LINE_BYTES) jb_buf_addc(&c->row, (char)ch);
        else limit = 1;
        continue;
      }
    }
    if (ch == '"') {
      quoted = 1;
      continue;
    }
    if (ch == c->delim) {
      jb_buf_addc(&c->row, 0);
      int rc = push_field(c, &n);
      if (rc == -JB_ERR_LIMIT) limit = 1;
      else if (rc) return rc;
      continue;
    }
    if (ch == '\r') {
      int nx = getc(c->f);
      if (nx != '\n' && nx != EOF) ungetc(nx, c->f);
      c->line++;
      break;
    }
    if (ch == '\n') {
      c->line++;
      break;
    }
    if (c->row.n < JB_MAX_LINE_BYTES) jb_buf_addc(&c->row, (char)ch);
    else limit = 1;
  }
  jb_buf_addc(&c->row, 0);
  if (c->row.oom) return -JB_ERR_NOMEM;
  if (limit) return -JB_ERR_LIMIT;
  if (nul) return -JB_ERR_INVALID;
  for (int i = 0; i < n; i++) c->fields[i] = c->row.p + c->starts[i];
  *fields = c->fields;
  *nfields = n;
  return 1;
}

void jb_csv_put(jb_buf *b, const char *s, int first) {
  if (!first) jb_buf_addc(b, ',');
  if (!s) return;
  /* quoted when it holds a separator, a quote or a line end (RFC 4180); a
  ** leading =, +, - or @ is prefixed with ' so that Excel shows text, not a
  ** formula (CSV injection) */
  int quote = strpbrk(s, ",\"\r\n") != NULL;
  int formula = (*s == '=' || *s == '+' || *s == '@' || (*s == '-' && s[1] && (s[1] < '0' || s[1] > '9')));
  if (quote) jb_buf_addc(b, '"');
  if (formula) jb_buf_addc(b, '\'');
  for (const char *p = s; *p; p++) {
    if (*p == '"') jb_buf_addc(b, '"');
    jb_buf_addc(b, *p);
  }
  if (quote) jb_buf_addc(b, '"');
}
