/*
** store_xlsx.c — reading an Excel workbook (.xlsx) into tables of text
** cells, for the importer: shared and inline strings, numbers as Excel shows
** them, dates recognised by their cell style (serial numbers become
** YYYY-MM-DD), merged cells filled with their value, hidden sheets (where
** templates keep their drop-down lists) left out.
**
** The package is read through ooxml.c (libzip + expat) with its size
** bounds; the whole workbook is held as text, bounded by those.
*/
#include "ooxml.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XLSX_MAX_COLS 1000        /* as the CSV reader's row limit */
#define XLSX_MAX_ROWS 1048576     /* Excel's own */

/* ------------------------------------------------------------- workbook */

typedef struct wb_sheet {
  char *name, *rid, *target;
  int hidden;
} wb_sheet;

typedef struct workbook {
  wb_sheet *sheets;
  int n, date1904;
  char **sst;          /* shared strings */
  long nsst, capsst;
  unsigned char *datefmt; /* per cell style (cellXfs index): 1 = a date */
  long nxf;
  /* custom number formats: id -> is a date */
  int *fmt_ids;
  unsigned char *fmt_date;
  int nfmt;
} workbook;

static void workbook_free(workbook *w) {
  for (int i = 0; i < w->n; i++) {
    free(w->sheets[i].name);
    free(w->sheets[i].rid);
    free(w->sheets[i].target);
  }
  free(w->sheets);
  for (long i = 0; i < w->nsst; i++) free(w->sst[i]);
  free(w->sst);
  free(w->datefmt);
  free(w->fmt_ids);
  free(w->fmt_date);
}

static int wb_start(void *ctx, const char *name, const char **attrs) {
  workbook *w = ctx;
  if (!strcmp(name, "workbookPr")) {
    const char *d = jb_xml_attr(attrs, "date1904");
    w->date1904 = d && (!strcmp(d, "1") || !strcasecmp(d, "true"));
  } else if (!strcmp(name, "sheet")) {
    wb_sheet *s = realloc(w->sheets, sizeof(*s) * (size_t)(w->n + 1));
    if (!s) return JB_ERR_NOMEM;
    w->sheets = s;
    const char *nm = jb_xml_attr(attrs, "name"), *rid = jb_xml_attr(attrs, "id"),
               *st = jb_xml_attr(attrs, "state");
    s[w->n].name = jb_strdup(nm ? nm : "");
    s[w->n].rid = jb_strdup(rid ? rid : "");
    s[w->n].target = NULL;
    s[w->n].hidden = st && strcmp(st, "visible");
    w->n++;
  }
  return 0;
}

static int rels_start(void *ctx, const char *name, const char **attrs) {
  workbook *w = ctx;
  if (strcmp(name, "Relationship")) return 0;
  const char *id = jb_xml_attr(attrs, "Id"), *target = jb_xml_attr(attrs, "Target");
  if (!id || !target) return 0;
  for (int i = 0; i < w->n; i++) {
    if (strcmp(w->sheets[i].rid, id)) continue;
    /* relative to xl/, or absolute within the package */
    jb_buf b = {0};
    if (target[0] == '/') jb_buf_adds(&b, target + 1);
    else jb_buf_printf(&b, "xl/%s", target);
    free(w->sheets[i].target);
    w->sheets[i].target = b.p ? b.p : jb_strdup("");
  }
  return 0;
}

/* Shared strings: the text of each <si>, from its <t> pieces, leaving out
** phonetic guides (<rPh>). */
typedef struct sst_run {
  workbook *w;
  jb_buf cur;
  int in_t, in_rph;
} sst_run;

static int sst_start(void *ctx, const char *name, const char **attrs) {
  sst_run *r = ctx;
  if (!strcmp(name, "si")) jb_buf_reset(&r->cur);
  else if (!strcmp(name, "t")) r->in_t = 1;
  else if (!strcmp(name, "rPh")) r->in_rph = 1;
  return 0;
}

static int sst_end(void *ctx, const char *name) {
  sst_run *r = ctx;
  if (!strcmp(name, "t")) r->in_t = 0;
  else if (!strcmp(name, "rPh")) r->in_rph = 0;
  else if (!strcmp(name, "si")) {
    workbook *w = r->w;
    if (w->nsst == w->capsst) {
      long cap = w->capsst ? w->capsst * 2 : 256;
      char **s = realloc(w->sst, sizeof(char *) * (size_t)cap);
      if (!s) return JB_ERR_NOMEM;
      w->sst = s;
      w->capsst = cap;
    }
    jb_buf_str(&r->cur);
    w->sst[w->nsst++] = jb_strdup(r->cur.p ? r->cur.p : "");
    if (r->cur.oom) return JB_ERR_NOMEM;
  }
  return 0;
}

static int sst_text(void *ctx, const char *s, int n) {
  sst_run *r = ctx;
  if (r->in_t && !r->in_rph) jb_buf_add(&r->cur, s, (size_t)n);
  return 0;
}

/* Is a number format a date? Built-in ids 14-17, 22 and the CJK ones
** (27-36, 50-58); a custom code with y or d outside quotes and brackets
** ([$-F800] is Windows' long date, a date too). */
static int builtin_date(int id) {
  return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

static int code_is_date(const char *code) {
  if (strstr(code, "F800")) return 1;
  int q = 0, br = 0;
  for (const char *p = code; *p; p++) {
    if (*p == '\\' && p[1]) { p++; continue; }
    if (*p == '"') { q = !q; continue; }
    if (q) continue;
    if (*p == '[') br = 1;
    else if (*p == ']') br = 0;
    else if (!br && (*p == 'y' || *p == 'Y' || *p == 'd' || *p == 'D')) return 1;
  }
  return 0;
}

typedef struct style_run {
  workbook *w;
  int in_cellxfs;
} style_run;

static int style_start(void *ctx, const char *name, const char **attrs) {
  style_run *r = ctx;
  workbook *w = r->w;
  if (!strcmp(name, "numFmt")) {
    const char *id = jb_xml_attr(attrs, "numFmtId"), *code = jb_xml_attr(attrs, "formatCode");
    if (!id || !code) return 0;
    int *ids = realloc(w->fmt_ids, sizeof(int) * (size_t)(w->nfmt + 1));
    if (!ids) return JB_ERR_NOMEM;
    w->fmt_ids = ids;
    unsigned char *d = realloc(w->fmt_date, (size_t)(w->nfmt + 1));
    if (!d) return JB_ERR_NOMEM;
    w->fmt_date = d;
    ids[w->nfmt] = atoi(id);
    d[w->nfmt] = (unsigned char)code_is_date(code);
    w->nfmt++;
  } else if (!strcmp(name, "cellXfs")) {
    r->in_cellxfs = 1;
  } else if (!strcmp(name, "xf") && r->in_cellxfs) {
    const char *id = jb_xml_attr(attrs, "numFmtId");
    int fid = id ? atoi(id) : 0, date = builtin_date(fid);
    for (int i = 0; i < w->nfmt; i++)
      if (w->fmt_ids[i] == fid) date = w->fmt_date[i];
    unsigned char *df = realloc(w->datefmt, (size_t)(w->nxf + 1));
    if (!df) return JB_ERR_NOMEM;
    w->datefmt = df;
    df[w->nxf++] = (unsigned char)date;
  }
  return 0;
}

static int style_end(void *ctx, const char *name) {
  style_run *r = ctx;
  if (!strcmp(name, "cellXfs")) r->in_cellxfs = 0;
  return 0;
}

/* ---------------------------------------------------------------- sheets */

typedef struct sheet_run {
  workbook *w;
  jb_sheet *sh;
  jb_error *err;
  const char *what;
  /* the cell being read */
  long row;
  int col, style, in_v, in_t, in_is;
  char type[12];
  jb_buf val;
  long next_row;
  int next_col;
} sheet_run;

/* "BC12" -> column 54 (0-based), row 12; 0 when there is no reference. */
static int cell_ref(const char *ref, int *col, long *row) {
  int c = 0, nl = 0;
  const char *p = ref;
  while (*p >= 'A' && *p <= 'Z' && nl < 4) c = c * 26 + (*p++ - 'A' + 1), nl++;
  if (!nl) return 0;
  long r = strtol(p, NULL, 10);
  *col = c - 1;
  *row = r;
  return r > 0;
}

static jb_sheet_row *sheet_row(jb_sheet *sh, long r) {
  if (sh->nrows && sh->rows[sh->nrows - 1].r == r) return &sh->rows[sh->nrows - 1];
  if (sh->nrows == sh->cap) {
    long cap = sh->cap ? sh->cap * 2 : 64;
    jb_sheet_row *rows = realloc(sh->rows, sizeof(*rows) * (size_t)cap);
    if (!rows) return NULL;
    sh->rows = rows;
    sh->cap = cap;
  }
  jb_sheet_row *row = &sh->rows[sh->nrows++];
  memset(row, 0, sizeof(*row));
  row->r = r;
  return row;
}

static int set_cell(jb_sheet *sh, long r, int c, const char *text) {
  jb_sheet_row *row = sheet_row(sh, r);
  if (!row) return JB_ERR_NOMEM;
  if (c >= row->n) {
    char **cells = realloc(row->cells, sizeof(char *) * (size_t)(c + 1));
    if (!cells) return JB_ERR_NOMEM;
    for (int i = row->n; i <= c; i++) cells[i] = NULL;
    row->cells = cells;
    row->n = c + 1;
  }
  free(row->cells[c]);
  row->cells[c] = jb_strdup(text);
  return row->cells[c] ? 0 : JB_ERR_NOMEM;
}

/* OOXML escapes characters XML cannot carry as _xHHHH_ (a CR is _x000D_). */
static void unescape_x(jb_buf *b) {
  if (!b->p || !strstr(b->p, "_x")) return;
  char *w = b->p;
  for (char *r = b->p; *r;) {
    unsigned cp;
    int used = 0;
    if (r[0] == '_' && r[1] == 'x' && sscanf(r + 2, "%4x_%n", &cp, &used) == 1 && used == 5 && r[6] == '_') {
      char u[4];
      int l = jb_utf8_encode(cp, u);
      if (cp && l > 0 && l <= 7) {
        memcpy(w, u, (size_t)l);
        w += l;
      }
      r += 7;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
  b->n = (size_t)(w - b->p);
}

/* A cell's text as Excel shows it. */
static void cell_text(sheet_run *s, char *out, size_t cap, const char **text) {
  const char *v = jb_buf_str(&s->val);
  *text = v;
  if (!strcmp(s->type, "s")) {
    long i = strtol(v, NULL, 10);
    *text = i >= 0 && i < s->w->nsst ? s->w->sst[i] : "";
  } else if (!strcmp(s->type, "b")) {
    *text = !strcmp(v, "1") ? "TRUE" : "FALSE";
  } else if (!strcmp(s->type, "d")) {
    snprintf(out, cap, "%.10s", v); /* ISO 8601 */
    *text = out;
  } else if (!*s->type || !strcmp(s->type, "n")) {
    if (!*v) return;
    char *end = NULL;
    double d = strtod(v, &end);
    if (!end || *end || !isfinite(d)) return;
    if (s->style >= 0 && s->style < s->w->nxf && s->w->datefmt[s->style] &&
        jb_date_from_serial(d, s->w->date1904, out)) {
      *text = out;
    } else if (d == floor(d) && fabs(d) < 1e15) {
      snprintf(out, cap, "%.0f", d);
      *text = out;
    } else {
      /* 0.1 is stored as 0.10000000000000001: 15 digits is what Excel shows */
      snprintf(out, cap, "%.15g", d);
      *text = out;
    }
  }
}

static int sh_start(void *ctx, const char *name, const char **attrs) {
  sheet_run *s = ctx;
  if (!strcmp(name, "row")) {
    const char *r = jb_xml_attr(attrs, "r");
    s->next_row = r ? strtol(r, NULL, 10) : s->next_row + 1;
    s->next_col = 0;
    if (s->next_row < 1 || s->next_row > XLSX_MAX_ROWS) s->next_row = 1;
  } else if (!strcmp(name, "c")) {
    const char *ref = jb_xml_attr(attrs, "r"), *t = jb_xml_attr(attrs, "t"), *st = jb_xml_attr(attrs, "s");
    long row = s->next_row;
    int col = s->next_col;
    if (ref) cell_ref(ref, &col, &row);
    s->row = row;
    s->col = col;
    s->next_col = col + 1;
    s->style = st ? atoi(st) : 0;
    snprintf(s->type, sizeof(s->type), "%s", t ? t : "");
    jb_buf_reset(&s->val);
    if (col >= XLSX_MAX_COLS) {
      jb_err_at(s->err, JB_ERR_LIMIT, s->what, row, NULL, "%s", jb_msg(JB_MSG_IMP_ROW_LIMIT));
      return JB_ERR_LIMIT;
    }
  } else if (!strcmp(name, "v")) {
    s->in_v = 1;
  } else if (!strcmp(name, "is")) {
    s->in_is = 1;
  } else if (!strcmp(name, "t") && s->in_is) {
    s->in_t = 1;
  } else if (!strcmp(name, "mergeCell")) {
    const char *ref = jb_xml_attr(attrs, "ref");
    const char *colon = ref ? strchr(ref, ':') : NULL;
    int c0, c1;
    long r0, r1;
    if (colon && cell_ref(ref, &c0, &r0) && cell_ref(colon + 1, &c1, &r1) && c1 < XLSX_MAX_COLS &&
        r1 - r0 < 100000) {
      jb_sheet_merge *m = realloc(s->sh->merges, sizeof(*m) * (size_t)(s->sh->nmerges + 1));
      if (!m) return JB_ERR_NOMEM;
      s->sh->merges = m;
      m[s->sh->nmerges++] = (jb_sheet_merge){r0, c0, r1, c1};
    }
  }
  return 0;
}

static int sh_end(void *ctx, const char *name) {
  sheet_run *s = ctx;
  if (!strcmp(name, "v")) s->in_v = 0;
  else if (!strcmp(name, "t")) s->in_t = 0;
  else if (!strcmp(name, "is")) s->in_is = 0;
  else if (!strcmp(name, "c")) {
    char out[64];
    const char *text = "";
    if (s->val.oom) return JB_ERR_NOMEM;
    unescape_x(&s->val);
    cell_text(s, out, sizeof(out), &text);
    if (text && *text) return set_cell(s->sh, s->row, s->col, text);
  }
  return 0;
}

static int sh_text(void *ctx, const char *p, int n) {
  sheet_run *s = ctx;
  if (s->in_v || s->in_t) jb_buf_add(&s->val, p, (size_t)n);
  return 0;
}

static int row_cmp(const void *a, const void *b) {
  long x = ((const jb_sheet_row *)a)->r, y = ((const jb_sheet_row *)b)->r;
  return x < y ? -1 : x > y;
}

/* A merged range shows its top-left value across it: a title over the
** table, an enterprise named once for its three needs. */
static jb_status fill_merges(jb_sheet *sh) {
  for (int i = 0; i < sh->nmerges; i++) {
    const jb_sheet_merge *m = &sh->merges[i];
    const char *v = NULL;
    for (long k = 0; k < sh->nrows && !v; k++)
      if (sh->rows[k].r == m->r0 && m->c0 < sh->rows[k].n) v = sh->rows[k].cells[m->c0];
    if (!v) continue;
    char *val = jb_strdup(v);
    if (!val) return JB_ERR_NOMEM;
    for (long r = m->r0; r <= m->r1; r++)
      for (int c = m->c0; c <= m->c1; c++) {
        if (r == m->r0 && c == m->c0) continue;
        /* rows must stay in order: sort after adding */
        int rc = set_cell(sh, r, c, val);
        if (rc) { free(val); return (jb_status)rc; }
      }
    free(val);
    jb_qsort(sh->rows, (size_t)sh->nrows, sizeof(*sh->rows), row_cmp);
    /* set_cell appends a row only when it is not the last one: merge
    ** rows that sorting brought together */
    long w = 0;
    for (long k = 0; k < sh->nrows; k++) {
      if (w && sh->rows[w - 1].r == sh->rows[k].r) {
        jb_sheet_row *a = &sh->rows[w - 1], *b = &sh->rows[k];
        for (int c = 0; c < b->n; c++)
          if (b->cells[c]) {
            if (c >= a->n) {
              char **cells = realloc(a->cells, sizeof(char *) * (size_t)(c + 1));
              if (!cells) return JB_ERR_NOMEM;
              for (int z = a->n; z <= c; z++) cells[z] = NULL;
              a->cells = cells;
              a->n = c + 1;
            }
            free(a->cells[c]);
            a->cells[c] = b->cells[c];
            b->cells[c] = NULL;
          }
        free(b->cells);
      } else {
        sh->rows[w++] = sh->rows[k];
      }
    }
    sh->nrows = w;
  }
  return JB_OK;
}

void jb_sheets_free(jb_sheet *sheets, int n) {
  for (int i = 0; sheets && i < n; i++) {
    for (long r = 0; r < sheets[i].nrows; r++) {
      for (int c = 0; c < sheets[i].rows[r].n; c++) free(sheets[i].rows[r].cells[c]);
      free(sheets[i].rows[r].cells);
    }
    free(sheets[i].rows);
    free(sheets[i].merges);
    free(sheets[i].name);
  }
  free(sheets);
}

static jb_status read_sheet(jb_zip *z, workbook *w, const wb_sheet *ws, const char *path, jb_sheet *sh,
                            jb_error *err) {
  char what[600];
  snprintf(what, sizeof(what), "%s[%s]", path, ws->name);
  sheet_run s;
  memset(&s, 0, sizeof(s));
  s.w = w;
  s.sh = sh;
  s.err = err;
  s.what = what;
  jb_xml_handler h = {sh_start, sh_end, sh_text, &s};
  jb_status rc = jb_zip_parse_xml(z, ws->target, 0, &h, err);
  jb_buf_free(&s.val);
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
  if (!rc) {
    /* rows arrive in order in every writer seen; sort anyway */
    jb_qsort(sh->rows, (size_t)sh->nrows, sizeof(*sh->rows), row_cmp);
    rc = fill_merges(sh);
  }
  return rc;
}

jb_status jb_xlsx_read(const char *path, jb_sheet **ppSheets, int *pn, jb_error *err) {
  *ppSheets = NULL;
  *pn = 0;
  jb_zip *z = NULL;
  workbook w;
  memset(&w, 0, sizeof(w));
  jb_sheet *out = NULL;
  int nout = 0;
  jb_status rc = jb_zip_open(path, &z, err);
  if (rc) return rc;
  jb_xml_handler hw = {wb_start, NULL, NULL, &w};
  if (!jb_zip_has(z, "xl/workbook.xml")) {
    jb_err_set(err, JB_ERR_PARSE, jb_msg(JB_MSG_XLSX_NOT_WORKBOOK), path);
    rc = JB_ERR_PARSE;
    goto done;
  }
  if ((rc = jb_zip_parse_xml(z, "xl/workbook.xml", 0, &hw, err))) goto done;
  jb_xml_handler hr = {rels_start, NULL, NULL, &w};
  if ((rc = jb_zip_parse_xml(z, "xl/_rels/workbook.xml.rels", 0, &hr, err))) goto done;
  if (jb_zip_has(z, "xl/sharedStrings.xml")) {
    sst_run sr;
    memset(&sr, 0, sizeof(sr));
    sr.w = &w;
    jb_xml_handler hs = {sst_start, sst_end, sst_text, &sr};
    rc = jb_zip_parse_xml(z, "xl/sharedStrings.xml", 0, &hs, err);
    jb_buf_free(&sr.cur);
    if (rc) goto done;
  }
  if (jb_zip_has(z, "xl/styles.xml")) {
    style_run st = {&w, 0};
    jb_xml_handler hst = {style_start, style_end, NULL, &st};
    if ((rc = jb_zip_parse_xml(z, "xl/styles.xml", 0, &hst, err))) goto done;
  }
  out = calloc((size_t)(w.n ? w.n : 1), sizeof(*out));
  if (!out) { rc = JB_ERR_NOMEM; goto done; }
  for (int i = 0; i < w.n; i++) {
    if (w.sheets[i].hidden || !w.sheets[i].target || !jb_zip_has(z, w.sheets[i].target)) continue;
    jb_sheet *sh = &out[nout++];
    if (!(sh->name = jb_strdup(w.sheets[i].name))) { rc = JB_ERR_NOMEM; goto done; }
    if ((rc = read_sheet(z, &w, &w.sheets[i], path, sh, err))) goto done;
  }
done:
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
  if (rc) jb_sheets_free(out, nout);
  else {
    *ppSheets = out;
    *pn = nout;
  }
  workbook_free(&w);
  jb_zip_close(z);
  return rc;
}
