/*
** store_sheet.c — records as spreadsheets for people: blank import
** templates (Chinese headers, one example row, drop-downs for the closed
** sets, the lexicon's chains and programs) and the whole database as an
** .xlsx workbook that re-imports to the same state.
**
** Both are tables of the record fields (jb_kind_fields) under the headers
** the importer reads back (jb_field_header), so what is written here is
** what `jiebang import` accepts, by construction.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 32

/* The sheet names, which the importer reads back as kinds. */
static const char *sheet_name(jb_kind k) {
  static const jb_msg_id names[] = {[JB_KIND_ORG] = JB_MSG_VAL_ORG,
                                    [JB_KIND_EXPERT] = JB_MSG_VAL_EXPERT,
                                    [JB_KIND_EVIDENCE] = JB_MSG_VAL_EVIDENCE,
                                    [JB_KIND_ACHIEVEMENT] = JB_MSG_VAL_ACHIEVEMENT,
                                    [JB_KIND_NEED] = JB_MSG_VAL_NEED,
                                    [JB_KIND_CONFLICT] = JB_MSG_VAL_CONFLICT,
                                    [JB_KIND_COLLABORATION] = JB_MSG_VAL_COLLABORATION,
                                    [JB_KIND_OUTCOME] = JB_MSG_VAL_OUTCOME};
  /* Chinese sheet names must name the kind for the importer: 机构, 专家 ... */
  return jb_msg(names[k]);
}

/* Column widths by what a field holds. */
static double field_width(const jb_field_info *f) {
  if (!strcmp(f->name, "text") || !strcmp(f->name, "bio") || !strcmp(f->name, "description") ||
      !strcmp(f->name, "abstract"))
    return 60;
  if (!strcmp(f->name, "title") || !strcmp(f->name, "name") || f->list) return 28;
  return 14;
}

/* Drop-down choices: a closed set's values, the lexicon's chains or
** programs. Returns a NULL-ended malloc'd array (strings borrowed or
** static), or NULL when the field is free text. */
static const char **field_choices(jb_db *db, const jb_field_info *f) {
  const char **c = NULL;
  int n = 0;
  if (f->values) {
    char *copy = jb_strdup(f->values);
    int k = 1;
    for (const char *p = f->values; *p; p++) k += *p == '|';
    c = calloc((size_t)k + 2, sizeof(char *));
    if (!c || !copy) { free(c); free(copy); return NULL; }
    /* the copy is owned by the array's last slot, freed with it */
    /* shown as staff say them (开放, 企业); the importer maps them back */
    for (char *save = NULL, *v = strtok_r(copy, "|", &save); v; v = strtok_r(NULL, "|", &save))
      c[n++] = jb_value_label(v);
    c[k + 1] = copy;
    return c;
  }
  if (!strcmp(f->name, "chains")) {
    int m = jb_lexicon_nchains(db->lex);
    if (!m) return NULL;
    c = calloc((size_t)m + 2, sizeof(char *));
    for (int i = 0; c && i < m; i++) c[n++] = jb_lexicon_chain(db->lex, i)->name;
    return c;
  }
  if (!strcmp(f->name, "programs")) {
    int m = jb_lexicon_nprograms(db->lex);
    if (!m) return NULL;
    c = calloc((size_t)m + 2, sizeof(char *));
    for (int i = 0; c && i < m; i++) c[n++] = jb_lexicon_program_name(db->lex, i);
    return c;
  }
  return NULL;
}

static void choices_free(const jb_field_info *f, const char **c) {
  if (!c) return;
  if (f->values) {
    int k = 1;
    for (const char *p = f->values; *p; p++) k += *p == '|';
    free((void *)c[k + 1]);
  }
  free(c);
}

/* The columns of kind k; `choices` (may be NULL) adds drop-downs. */
static int kind_columns(jb_db *db, jb_kind k, int choices, jb_field_info *fi, jb_xcol *cols, const char ***ch) {
  int n = jb_kind_fields(k, fi, MAX_COLS);
  for (int i = 0; i < n; i++) {
    ch[i] = choices ? field_choices(db, &fi[i]) : NULL;
    cols[i] = (jb_xcol){jb_field_header(k, fi[i].name), field_width(&fi[i]), field_width(&fi[i]) >= 28,
                        fi[i].number, ch[i]};
  }
  return n;
}

/* One example row per kind, in the bureau's words. The id starts with
** 示例, which the importer skips, so a template imported as it is adds
** nothing. */
static const char *example(jb_kind k, const char *field) {
  static const struct {
    jb_kind k;
    const char *field, *value;
  } ex[] = {
      {JB_KIND_NEED, "id", "示例-需求-001"}, {JB_KIND_NEED, "org", "org-chenyou"},
      {JB_KIND_NEED, "title", "油茶果脱壳清选设备改进"},
      {JB_KIND_NEED, "text", "现有脱壳机破壳率约85%，籽仁破损率高，需提升至95%以上并降低能耗。"},
      {JB_KIND_NEED, "keywords", "油茶果；脱壳；清选"}, {JB_KIND_NEED, "chains", "油茶"},
      {JB_KIND_NEED, "budget", "50"}, {JB_KIND_NEED, "deadline", "2025-06-30"},
      {JB_KIND_NEED, "status", "open"}, {JB_KIND_NEED, "list", "2025揭榜挂帅"},
      {JB_KIND_NEED, "contact.name", "张工"}, {JB_KIND_NEED, "contact.phone", "0745-0000000"},
      {JB_KIND_EXPERT, "id", "示例-专家-001"}, {JB_KIND_EXPERT, "name", "李明"},
      {JB_KIND_EXPERT, "rank", "研究员"}, {JB_KIND_EXPERT, "fields", "油茶栽培；良种繁育"},
      {JB_KIND_EXPERT, "programs", "科技特派员"}, {JB_KIND_EXPERT, "region", "湖南省/怀化市"},
      {JB_KIND_EXPERT, "capacity", "2"}, {JB_KIND_EXPERT, "bio", "长期从事油茶低产林改造与高接换冠技术研究。"},
      {JB_KIND_ACHIEVEMENT, "id", "示例-成果-001"}, {JB_KIND_ACHIEVEMENT, "title", "油茶果连续脱壳清选一体机"},
      {JB_KIND_ACHIEVEMENT, "text", "破壳率96%，籽仁破损率低于3%，每小时处理鲜果1.5吨。"},
      {JB_KIND_ACHIEVEMENT, "kind", "product"}, {JB_KIND_ACHIEVEMENT, "maturity", "中试"},
      {JB_KIND_ACHIEVEMENT, "chains", "油茶"}, {JB_KIND_ACHIEVEMENT, "year", "2023"},
      {JB_KIND_ORG, "id", "示例-单位-001"}, {JB_KIND_ORG, "name", "辰溪县某油茶专业合作社"},
      {JB_KIND_ORG, "kind", "enterprise"}, {JB_KIND_ORG, "region", "湖南省/怀化市/辰溪县"},
      {JB_KIND_ORG, "chains", "油茶"}, {JB_KIND_ORG, "description", "种植油茶3000亩，年加工茶油200吨。"},
  };
  for (int i = 0; i < JB_ARRAY_LEN(ex); i++)
    if (ex[i].k == k && !strcmp(ex[i].field, field)) return ex[i].value;
  return "";
}


jb_status jb_template(jb_db *db, const char *kind, const char *format, FILE *out, jb_error *err) {
  jb_kind k = jb_kind_parse(kind);
  if (k == JB_KIND_UNKNOWN) k = jb_kind_from_label(kind);
  if (k != JB_KIND_NEED && k != JB_KIND_EXPERT && k != JB_KIND_ACHIEVEMENT && k != JB_KIND_ORG) {
    jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_TEMPLATE_UNKNOWN_KIND), kind);
    return JB_ERR_USAGE;
  }
  jb_field_info fi[MAX_COLS];
  jb_xcol cols[MAX_COLS];
  const char **ch[MAX_COLS];
  int xlsx = !strcmp(format, "xlsx");
  if (!xlsx && strcmp(format, "csv")) {
    jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_FORMAT_UNKNOWN), format, "xlsx, csv");
    return JB_ERR_USAGE;
  }
  int n = kind_columns(db, k, xlsx, fi, cols, ch);
  const char *row[MAX_COLS];
  for (int i = 0; i < n; i++) {
    row[i] = example(k, fi[i].name);
    if (fi[i].values && *row[i]) row[i] = jb_value_label(row[i]);
  }
  jb_status rc = JB_OK;
  if (xlsx) {
    jb_xlsx *x = NULL;
    if (!(rc = jb_xlsx_new(&x, err)) && !(rc = jb_xlsx_sheet(x, sheet_name(k), cols, n, err)) &&
        !(rc = jb_xlsx_row(x, row, err)))
      rc = jb_xlsx_finish(x, out, err);
    jb_xlsx_free(x);
  } else {
    /* the one CSV writer; Excel reads UTF-8 only with a BOM */
    jb_buf b = {0};
    const char *hdr[MAX_COLS];
    for (int i = 0; i < n; i++) hdr[i] = cols[i].header;
    jb_buf_adds(&b, "\xEF\xBB\xBF");
    jb_csv_row(&b, hdr, n);
    jb_csv_row(&b, row, n);
    if (b.oom || fwrite(b.p, 1, b.n, out) != b.n) {
      jb_err_set(err, JB_ERR_IO, "%s", jb_msg(JB_MSG_STATUS_IO));
      rc = JB_ERR_IO;
    }
    jb_buf_free(&b);
  }
  for (int i = 0; i < n; i++) choices_free(&fi[i], ch[i]);
  return rc;
}

/* ------------------------------------------------------------- export */

/* A record's field as a cell: lists joined with "；", numbers as written,
** closed-set values as staff say them. */
static char *cell_of(const cJSON *rec, const jb_field_info *fi) {
  const char *field = fi->name;
  const cJSON *j;
  if (!strncmp(field, "contact.", 8)) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, "contact");
    /* a contact given as one string is a name */
    if (cJSON_IsString(c) && !strcmp(field, "contact.name")) return jb_strdup(c->valuestring);
    j = cJSON_GetObjectItemCaseSensitive(c, field + 8);
  } else {
    j = cJSON_GetObjectItemCaseSensitive(rec, field);
  }
  if (cJSON_IsString(j)) return jb_strdup(fi->values ? jb_value_label(j->valuestring) : j->valuestring);
  if (cJSON_IsNumber(j)) {
    char num[64];
    snprintf(num, sizeof(num), "%.15g", j->valuedouble);
    return jb_strdup(num);
  }
  if (cJSON_IsArray(j)) {
    jb_buf b = {0};
    const cJSON *e;
    cJSON_ArrayForEach(e, j) if (cJSON_IsString(e)) {
      if (b.n) jb_buf_adds(&b, "；");
      jb_buf_adds(&b, e->valuestring);
    }
    jb_buf_str(&b);
    return b.p ? b.p : jb_strdup("");
  }
  return jb_strdup("");
}

typedef struct sheet_acc {
  jb_kind k;
  jb_field_info fi[MAX_COLS];
  jb_xcol cols[MAX_COLS];
  const char **ch[MAX_COLS];
  int n;
  cJSON *rows; /* the records of this kind, in export order */
} sheet_acc;

jb_status jb_export_xlsx(jb_db *db, FILE *out, int flags, jb_error *err) {
  /* the one export path: JSON Lines in memory, then one sheet per kind */
  char *mem = NULL;
  size_t memn = 0;
  FILE *m = open_memstream(&mem, &memn);
  if (!m) {
    jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    return JB_ERR_NOMEM;
  }
  jb_status rc = jb_export(db, m, flags, err);
  fclose(m);
  static const jb_kind order[] = {JB_KIND_ORG, JB_KIND_EXPERT, JB_KIND_EVIDENCE, JB_KIND_ACHIEVEMENT,
                                  JB_KIND_NEED, JB_KIND_CONFLICT, JB_KIND_COLLABORATION, JB_KIND_OUTCOME};
  sheet_acc acc[JB_ARRAY_LEN(order)];
  memset(acc, 0, sizeof(acc));
  for (int i = 0; i < JB_ARRAY_LEN(order); i++) {
    acc[i].k = order[i];
    acc[i].n = kind_columns(db, order[i], 1, acc[i].fi, acc[i].cols, acc[i].ch);
    acc[i].rows = cJSON_CreateArray();
  }
  for (char *line = mem, *next; !rc && line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    cJSON *r = cJSON_Parse(line);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "type");
    jb_kind k = cJSON_IsString(t) ? jb_kind_parse(t->valuestring) : JB_KIND_UNKNOWN;
    if (k == JB_KIND_EXPERT) {
      /* evidence goes to its own sheet, keyed by the expert */
      cJSON *papers = cJSON_DetachItemFromObjectCaseSensitive(r, "papers"), *p;
      cJSON_ArrayForEach(p, papers) {
        cJSON *e = cJSON_Duplicate(p, 1);
        cJSON_AddStringToObject(e, "expert", cJSON_GetObjectItemCaseSensitive(r, "id")->valuestring);
        cJSON_AddItemToArray(acc[2].rows, e);
      }
      cJSON_Delete(papers);
    }
    for (int i = 0; i < JB_ARRAY_LEN(order); i++)
      if (order[i] == k) {
        cJSON_AddItemToArray(acc[i].rows, r);
        r = NULL;
      }
    cJSON_Delete(r);
  }
  jb_xlsx *x = NULL;
  if (!rc) rc = jb_xlsx_new(&x, err);
  for (int i = 0; !rc && i < JB_ARRAY_LEN(order); i++) {
    if (!cJSON_GetArraySize(acc[i].rows)) continue;
    rc = jb_xlsx_sheet(x, sheet_name(acc[i].k), acc[i].cols, acc[i].n, err);
    const cJSON *r;
    cJSON_ArrayForEach(r, acc[i].rows) {
      if (rc) break;
      char *cells[MAX_COLS];
      for (int c = 0; c < acc[i].n; c++) cells[c] = cell_of(r, &acc[i].fi[c]);
      rc = jb_xlsx_row(x, (const char *const *)cells, err);
      for (int c = 0; c < acc[i].n; c++) free(cells[c]);
    }
  }
  if (!rc) rc = jb_xlsx_finish(x, out, err);
  jb_xlsx_free(x);
  for (int i = 0; i < JB_ARRAY_LEN(order); i++) {
    for (int c = 0; c < acc[i].n; c++) choices_free(&acc[i].fi[c], acc[i].ch[c]);
    cJSON_Delete(acc[i].rows);
  }
  free(mem);
  return rc;
}

/* ------------------------------------------------------------ for reading */

jb_status jb_record_print(const cJSON *rec, FILE *out, jb_error *err) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
  jb_kind k = cJSON_IsString(t) ? jb_kind_parse(t->valuestring) : JB_KIND_UNKNOWN;
  jb_field_info fi[MAX_COLS];
  int n = jb_kind_fields(k, fi, MAX_COLS);
  fprintf(out, "[%s]\n", k == JB_KIND_UNKNOWN ? "?" : jb_value_label(jb_kind_name(k)));
  for (int i = 0; i < n; i++) {
    char *v = cell_of(rec, &fi[i]);
    if (v && *v) {
      /* the header without its "(用；分隔)" hint: this is a record, not a form */
      char label[128];
      snprintf(label, sizeof(label), "%s", jb_field_header(k, fi[i].name));
      char *paren = strstr(label, "（");
      if (paren) *paren = 0;
      /* a need past its deadline is derived "expired": never shown as plainly open */
      int expired = !strcmp(fi[i].name, "status") && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "expired"));
      fprintf(out, "%s%s%s%s\n", label, jb_lang_get() == JB_LANG_EN ? ": " : "：", v,
              expired ? jb_msg(JB_MSG_REC_EXPIRED_MARK) : "");
    }
    free(v);
  }
  const cJSON *p;
  int i = 0;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rec, "papers")) {
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(p, "kind"), *y = cJSON_GetObjectItemCaseSensitive(p, "year"),
                *title = cJSON_GetObjectItemCaseSensitive(p, "title");
    fprintf(out, "%s %d. [%s%s%.0f] %s\n", jb_msg(JB_MSG_VAL_EVIDENCE), ++i,
            cJSON_IsString(kind) ? jb_value_label(kind->valuestring) : "", cJSON_IsNumber(y) ? " " : "",
            cJSON_IsNumber(y) ? y->valuedouble : 0.0, cJSON_IsString(title) ? title->valuestring : "");
  }
  if (ferror(out)) {
    jb_err_set(err, JB_ERR_IO, "%s", jb_msg(JB_MSG_STATUS_IO));
    return JB_ERR_IO;
  }
  return JB_OK;
}
