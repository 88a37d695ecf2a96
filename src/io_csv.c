/*
** io_csv.c — the one CSV writer: every CSV jiebang writes (assign, batch,
** demands) quotes every field and neutralises what a spreadsheet would run.
**
** A cell whose text starts with = + - @ TAB or CR is read by Excel, WPS and
** LibreOffice as a formula ("=HYPERLINK(...)", "+cmd|' /C calc'!A0"): CSV
** injection. As OWASP recommends, such a cell gets a leading apostrophe,
** which makes it text; the apostrophe stays visible, the accepted price of
** never running what an enterprise typed. Numbers jiebang formats itself
** (scores, ranks, budgets) are written as they are: "-0.5" is a number.
** The same question decides how other writers (xlsx) store a value:
** jb_cell_is_formula().
*/
#include "jb_int.h"
#include <string.h>

int jb_cell_is_formula(const char *s) {
  return s && *s && strchr("=+-@\t\r", *s) != NULL;
}

void jb_csv_field(jb_buf *b, const char *s, int flags) {
  if (!(flags & JB_CSV_FIRST)) jb_buf_addc(b, ',');
  jb_buf_addc(b, '"');
  if (!(flags & JB_CSV_NUMBER) && jb_cell_is_formula(s)) jb_buf_addc(b, '\'');
  for (const char *p = s; p && *p; p++) {
    const char *q = strchr(p, '"');
    size_t run = q ? (size_t)(q - p) : strlen(p);
    jb_buf_add(b, p, run);
    if (!q) break;
    jb_buf_adds(b, "\"\"");
    p = q;
  }
  jb_buf_addc(b, '"');
}

void jb_csv_row(jb_buf *b, const char *const *cells, int n) {
  for (int i = 0; i < n; i++) jb_csv_field(b, cells[i], i ? 0 : JB_CSV_FIRST);
  jb_buf_adds(b, "\r\n");
}
