/*
** xlsx_out.c — tables written as Excel workbooks with libxlsxwriter: a bold
** frozen header row, column widths, wrapped long text, and drop-down lists
** (是/否, chains, status ...) whose choices live in a hidden sheet, so a list
** may be longer than Excel's 255-character limit on inline lists and the
** importer (which skips hidden sheets) never reads them as data.
**
** Every cell is written as a string unless its column is numeric: a value
** such as "=HYPERLINK(...)" is text in the file, never a formula.
** libxlsxwriter writes to a file name; the workbook is built in a private
** temporary file and copied to the caller's stream.
*/
#include "jb_int.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* Rows a drop-down covers below the header: a template is filled by hand. */
#define XLSX_DROPDOWN_ROWS 5000

struct jb_xlsx {
  char path[512];
  lxw_workbook *wb;
  lxw_worksheet *ws;       /* the current sheet */
  lxw_worksheet *choices;  /* the hidden sheet of drop-down lists, once needed */
  int nchoice_cols;
  lxw_format *head, *wrap, *plain;
  const jb_xcol *cols;
  int ncols;
  lxw_row_t row;
};

jb_status jb_xlsx_new(jb_xlsx **ppX, jb_error *err) {
  *ppX = NULL;
  jb_xlsx *x = calloc(1, sizeof(*x));
  if (!x) {
    jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    return JB_ERR_NOMEM;
  }
  const char *tmp = getenv("TMPDIR");
  snprintf(x->path, sizeof(x->path), "%s/jiebang-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(x->path);
  if (fd < 0) {
    jb_err_set(err, JB_ERR_IO, jb_msg(JB_MSG_XLSX_TEMP), x->path, strerror(errno));
    free(x);
    return JB_ERR_IO;
  }
  close(fd);
  x->wb = workbook_new(x->path);
  if (!x->wb) {
    unlink(x->path);
    jb_err_set(err, JB_ERR_IO, jb_msg(JB_MSG_XLSX_TEMP), x->path, "libxlsxwriter");
    free(x);
    return JB_ERR_IO;
  }
  x->head = workbook_add_format(x->wb);
  format_set_bold(x->head);
  format_set_bg_color(x->head, 0xDDEBF7);
  format_set_text_wrap(x->head);
  format_set_align(x->head, LXW_ALIGN_VERTICAL_CENTER);
  x->wrap = workbook_add_format(x->wb);
  format_set_text_wrap(x->wrap);
  format_set_align(x->wrap, LXW_ALIGN_VERTICAL_TOP);
  x->plain = workbook_add_format(x->wb);
  format_set_align(x->plain, LXW_ALIGN_VERTICAL_TOP);
  *ppX = x;
  return JB_OK;
}

void jb_xlsx_free(jb_xlsx *x) {
  if (!x) return;
  if (x->wb) workbook_close(x->wb); /* frees it; the file is removed below */
  unlink(x->path);
  free(x);
}

/* Column letters for a formula reference: 0 -> A, 26 -> AA. */
static void col_letters(int c, char *out) {
  char tmp[8];
  int n = 0;
  c++;
  while (c > 0 && n < 7) {
    tmp[n++] = (char)('A' + (c - 1) % 26);
    c = (c - 1) / 26;
  }
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = 0;
}

/* Puts a list of choices in the hidden sheet; returns the formula naming it. */
static void choice_list(jb_xlsx *x, const char *const *choices, char *formula, size_t cap) {
  if (!x->choices) {
    x->choices = workbook_add_worksheet(x->wb, jb_msg(JB_MSG_XLSX_CHOICES_SHEET));
    worksheet_hide(x->choices);
  }
  int c = x->nchoice_cols++, n = 0;
  for (; choices[n]; n++) worksheet_write_string(x->choices, (lxw_row_t)n, (lxw_col_t)c, choices[n], NULL);
  char letters[8];
  col_letters(c, letters);
  snprintf(formula, cap, "='%s'!$%s$1:$%s$%d", jb_msg(JB_MSG_XLSX_CHOICES_SHEET), letters, letters, n ? n : 1);
}

jb_status jb_xlsx_sheet(jb_xlsx *x, const char *name, const jb_xcol *cols, int ncols, jb_error *err) {
  x->ws = workbook_add_worksheet(x->wb, name);
  if (!x->ws) {
    jb_err_set(err, JB_ERR_INTERNAL, jb_msg(JB_MSG_XLSX_SHEET), name);
    return JB_ERR_INTERNAL;
  }
  x->cols = cols;
  x->ncols = ncols;
  x->row = 1;
  for (int c = 0; c < ncols; c++) {
    double w = cols[c].width > 0 ? cols[c].width : 12;
    worksheet_set_column(x->ws, (lxw_col_t)c, (lxw_col_t)c, w, cols[c].wrap ? x->wrap : x->plain);
    worksheet_write_string(x->ws, 0, (lxw_col_t)c, cols[c].header, x->head);
    if (cols[c].choices) {
      lxw_data_validation dv;
      memset(&dv, 0, sizeof(dv));
      char formula[128];
      choice_list(x, cols[c].choices, formula, sizeof(formula));
      dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
      dv.value_formula = formula;
      /* a warning, not a stop: the importer says precisely what is wrong */
      dv.error_type = LXW_VALIDATION_ERROR_TYPE_WARNING;
      worksheet_data_validation_range(x->ws, 1, (lxw_col_t)c, XLSX_DROPDOWN_ROWS, (lxw_col_t)c, &dv);
    }
  }
  worksheet_set_row(x->ws, 0, 30, NULL);
  worksheet_freeze_panes(x->ws, 1, 0);
  worksheet_autofilter(x->ws, 0, 0, 0, (lxw_col_t)(ncols > 0 ? ncols - 1 : 0));
  return JB_OK;
}

jb_status jb_xlsx_row(jb_xlsx *x, const char *const *cells, jb_error *err) {
  for (int c = 0; c < x->ncols; c++) {
    const char *v = cells[c];
    if (!v || !*v) continue;
    lxw_error e;
    char *end = NULL;
    double d = x->cols[c].number ? strtod(v, &end) : 0;
    if (x->cols[c].number && end && end != v && !*end && isfinite(d))
      e = worksheet_write_number(x->ws, x->row, (lxw_col_t)c, d, NULL);
    else
      e = worksheet_write_string(x->ws, x->row, (lxw_col_t)c, v, NULL);
    if (e) {
      /* Excel's own limit: 32,767 characters in a cell */
      jb_err_set(err, JB_ERR_LIMIT, jb_msg(JB_MSG_XLSX_CELL), (long)x->row + 1, x->cols[c].header,
                 lxw_strerror(e));
      return JB_ERR_LIMIT;
    }
  }
  x->row++;
  return JB_OK;
}

jb_status jb_xlsx_finish(jb_xlsx *x, FILE *out, jb_error *err) {
  lxw_error e = workbook_close(x->wb);
  x->wb = NULL;
  if (e) {
    jb_err_set(err, JB_ERR_IO, jb_msg(JB_MSG_XLSX_TEMP), x->path, lxw_strerror(e));
    return JB_ERR_IO;
  }
  FILE *f = fopen(x->path, "rb");
  if (!f) {
    jb_err_set(err, JB_ERR_IO, jb_msg(JB_MSG_XLSX_TEMP), x->path, strerror(errno));
    return JB_ERR_IO;
  }
  char buf[65536];
  size_t got;
  int bad = 0;
  while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
    if (fwrite(buf, 1, got, out) != got) bad = 1;
  bad |= ferror(f);
  fclose(f);
  if (bad) {
    jb_err_set(err, JB_ERR_IO, "%s", jb_msg(JB_MSG_STATUS_IO));
    return JB_ERR_IO;
  }
  return JB_OK;
}
