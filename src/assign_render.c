/*
** assign_render.c — a proposal as JSON, CSV for Excel (UTF-8 with BOM; the
** `accept` column is what staff fill in and `jiebang assign --fix` reads
** back) or Markdown for a meeting.
*/
#include "jb_int.h"
#include <string.h>

static const char *str(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(j) ? j->valuestring : "";
}

static double num(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

/* "matched: a, b, c; evidence: title" — one line of reasons. */
static void why_line(jb_buf *b, const cJSON *pair) {
  const cJSON *why = cJSON_GetObjectItem(pair, "why"), *t;
  int n = 0;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(why, "terms")) {
    if (n >= 4) break;
    jb_buf_printf(b, "%s%s", n++ ? "、" : jb_msg(JB_MSG_WHY_MATCHED), str(t, "term"));
  }
  const cJSON *ev = cJSON_GetObjectItem(why, "evidence");
  if (ev) {
    /* the title without highlight marks */
    jb_buf_adds(b, n ? "; " : "");
    jb_buf_adds(b, jb_msg(JB_MSG_WHY_EVIDENCE));
    for (const char *p = str(ev, "title"); *p; p++)
      if (*p != '[' && *p != ']') jb_buf_addc(b, *p);
  }
  const cJSON *note = cJSON_GetObjectItem(why, "note");
  if (cJSON_IsString(note)) jb_buf_printf(b, "; %s", note->valuestring);
}

/* Every cell through the one CSV writer (io_csv.c): names and titles that
** a spreadsheet would run as formulas are neutralised. */
static void csv_cell(jb_buf *b, const char *s, int flags, int last) {
  jb_csv_field(b, s, flags);
  if (last) jb_buf_adds(b, "\r\n");
}

/* The proposal's JSON keeps stable English codes for an unmatched task's
** reason, a conflict's kind and the objective (as_why_str, as_conflict_str);
** a person reads them in the catalogue's language. */
static const char *label(const char *code) {
  static const struct {
    const char *code;
    jb_msg_id msg;
  } t[] = {{"no candidate", JB_MSG_ASSIGN_REASON_ABSENT},
           {"every candidate is forbidden", JB_MSG_ASSIGN_REASON_FORBIDDEN},
           {"every candidate is below min_score", JB_MSG_ASSIGN_REASON_BELOW_MIN},
           {"every candidate is at capacity", JB_MSG_ASSIGN_REASON_CAPACITY},
           {"no candidate adds value", JB_MSG_ASSIGN_REASON_NO_GAIN},
           {"agent over capacity", JB_MSG_ASSIGN_CONFLICT_AGENT_CAPACITY},
           {"task has two fixed leads", JB_MSG_ASSIGN_CONFLICT_TWO_LEADS},
           {"task has more fixed edges than slots", JB_MSG_ASSIGN_CONFLICT_TASK_SLOTS},
           {"fixed edge is forbidden", JB_MSG_ASSIGN_CONFLICT_FIXED_FORBIDDEN},
           {"fixed edge is below min_score", JB_MSG_ASSIGN_CONFLICT_FIXED_BELOW_MIN},
           {"total", JB_MSG_ASSIGN_OBJ_TOTAL},
           {"fair", JB_MSG_ASSIGN_OBJ_FAIR}};
  for (size_t i = 0; i < JB_ARRAY_LEN(t); i++)
    if (!strcmp(code, t[i].code)) return jb_msg(t[i].msg);
  return code;
}

static const char *role_label(const char *role) {
  return jb_msg(!strcmp(role, "lead") ? JB_MSG_ROLE_LEAD : JB_MSG_ROLE_MEMBER);
}

/* "org-hunau 湖南农业大学": the id --fix needs and the name staff read. */
static void org_cell(jb_buf *b, const cJSON *x) {
  jb_buf_printf(b, "%s%s%s", str(x, "org"), *str(x, "org_name") ? " " : "", str(x, "org_name"));
}

static void render_csv(const cJSON *p, jb_buf *b) {
  /* the column order is what --fix reads without a header */
  jb_buf_printf(b, "\xEF\xBB\xBF%s\r\n", jb_msg(JB_MSG_ASSIGN_CSV_HEADER));
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(p, "pairs")) {
    const char *task = *str(x, "need") ? str(x, "need") : str(x, "target");
    char score[32];
    snprintf(score, sizeof(score), "%.4f", num(x, "score"));
    jb_buf why = {0};
    why_line(&why, x);
    csv_cell(b, task, JB_CSV_FIRST, 0);
    csv_cell(b, str(x, "expert"), 0, 0);
    csv_cell(b, !strcmp(str(x, "role"), "lead") ? jb_msg(JB_MSG_ROLE_LEAD) : jb_msg(JB_MSG_ROLE_MEMBER), 0, 0);
    csv_cell(b, cJSON_IsTrue(cJSON_GetObjectItem(x, "fixed")) ? jb_msg(JB_MSG_YES) : "", 0, 0);
    csv_cell(b, score, JB_CSV_NUMBER, 0);
    csv_cell(b, str(x, "title"), 0, 0);
    csv_cell(b, str(x, "name"), 0, 0);
    jb_buf org = {0};
    org_cell(&org, x);
    csv_cell(b, jb_buf_str(&org), 0, 0);
    jb_buf_free(&org);
    csv_cell(b, jb_buf_str(&why), 0, 1);
    jb_buf_free(&why);
  }
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(p, "unmatched")) {
    csv_cell(b, str(x, "id"), JB_CSV_FIRST, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, jb_msg(JB_MSG_ROLE_UNMATCHED), 0, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, str(x, "title"), 0, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, "", 0, 0);
    jb_buf why = {0};
    jb_buf_printf(&why, "%s: %s", label(str(x, "reason")), str(x, "detail"));
    csv_cell(b, jb_buf_str(&why), 0, 1);
    jb_buf_free(&why);
  }
  /* seats no candidate clears the member floor for: one row each challenge */
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(p, "open_seats")) {
    csv_cell(b, str(x, "need"), JB_CSV_FIRST, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, jb_msg(JB_MSG_ASSIGN_OPEN_SEATS), 0, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, str(x, "title"), 0, 0);
    csv_cell(b, "", 0, 0);
    csv_cell(b, "", 0, 0);
    jb_buf why = {0};
    jb_buf_printf(&why, jb_msg(JB_MSG_ASSIGN_SEATS_OPEN_CSV), (int)num(x, "open"), (int)num(x, "members_wanted"),
                  num(x, "member_floor"));
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(x, "best_candidates"))
    jb_buf_printf(&why, "; %s %s %.3f: %s", str(c, "expert"), str(c, "name"), num(c, "score"), str(c, "why_not_used"));
    csv_cell(b, jb_buf_str(&why), 0, 1);
    jb_buf_free(&why);
  }
}

/* Every piece of record text in Markdown goes through the one Markdown
** escaper (io_text.c): "<script>" stays text, "|" cannot break the table. */
static void md_cell(jb_buf *b, const char *s) { jb_md_text(b, s); }

static void render_md(const cJSON *p, jb_buf *b) {
  const cJSON *obj = cJSON_GetObjectItem(p, "objective"), *m = cJSON_GetObjectItem(p, "manifest");
  jb_buf_adds(b, jb_msg(JB_MSG_ASSIGN_MD_TITLE));
  jb_buf_printf(b, jb_msg(JB_MSG_ASSIGN_MD_OBJECTIVE), label(str(obj, "kind")), num(obj, "value"),
                num(obj, "upper_bound"), num(obj, "gap"),
                jb_msg(cJSON_IsTrue(cJSON_GetObjectItem(obj, "optimal")) ? JB_MSG_ASSIGN_OPTIMAL : JB_MSG_ASSIGN_NOT_OPTIMAL));
  jb_buf_printf(b, jb_msg(JB_MSG_ASSIGN_MD_MATCHED), num(obj, "matched"), num(obj, "tasks"), num(obj, "min_lead_score"));
  jb_buf_printf(b, jb_msg(JB_MSG_ASSIGN_MD_MADE), str(m, "created"));
  md_cell(b, str(cJSON_GetObjectItem(m, "database"), "path"));
  jb_buf_printf(b, jb_msg(JB_MSG_ASSIGN_MD_CONTENT), str(cJSON_GetObjectItem(m, "database"), "content_sha256"));
  if (!cJSON_IsTrue(cJSON_GetObjectItem(p, "feasible"))) {
    jb_buf_adds(b, jb_msg(JB_MSG_ASSIGN_MD_INFEASIBLE));
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(p, "conflicts"))
    {
      jb_buf_printf(b, "- %s ", label(str(c, "kind")));
      md_cell(b, str(c, "task"));
      jb_buf_adds(b, " ");
      md_cell(b, str(c, "expert"));
      jb_buf_adds(b, ": ");
      md_cell(b, str(c, "relax"));
      jb_buf_adds(b, "\n");
    }
    return;
  }
  jb_buf_adds(b, jb_msg(JB_MSG_ASSIGN_MD_PAIRS));
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(p, "pairs")) {
    jb_buf_adds(b, "| ");
    md_cell(b, *str(x, "need") ? str(x, "need") : str(x, "target"));
    jb_buf_adds(b, " ");
    md_cell(b, str(x, "title"));
    jb_buf_printf(b, " | %s%s | ", role_label(str(x, "role")),
                  cJSON_IsTrue(cJSON_GetObjectItem(x, "fixed")) ? jb_msg(JB_MSG_ASSIGN_FIXED) : "");
    md_cell(b, str(x, "expert"));
    jb_buf_adds(b, " ");
    md_cell(b, str(x, "name"));
    jb_buf_printf(b, " | %.3f | ", num(x, "score"));
    jb_buf why = {0};
    why_line(&why, x);
    md_cell(b, jb_buf_str(&why));
    jb_buf_free(&why);
    jb_buf_adds(b, " |\n");
  }
  if (cJSON_GetArraySize(cJSON_GetObjectItem(p, "unmatched"))) {
    jb_buf_adds(b, jb_msg(JB_MSG_ASSIGN_MD_UNMATCHED));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(p, "unmatched")) {
      jb_buf_adds(b, "- ");
      md_cell(b, str(x, "id"));
      jb_buf_adds(b, " ");
      md_cell(b, str(x, "title"));
      jb_buf_printf(b, ": %s (", label(str(x, "reason")));
      md_cell(b, str(x, "detail"));
      jb_buf_adds(b, ")\n");
      const cJSON *c;
      cJSON_ArrayForEach(c, cJSON_GetObjectItem(x, "best_candidates")) {
        jb_buf_adds(b, "  - ");
        md_cell(b, str(c, "expert"));
        jb_buf_adds(b, " ");
        md_cell(b, str(c, "name"));
        jb_buf_printf(b, " %.3f: ", num(c, "score"));
        md_cell(b, str(c, "why_not_used"));
        jb_buf_adds(b, "\n");
      }
    }
  }
  if (cJSON_GetArraySize(cJSON_GetObjectItem(p, "open_seats"))) {
    jb_buf_adds(b, jb_msg(JB_MSG_ASSIGN_MD_OPEN_SEATS));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(p, "open_seats")) {
      jb_buf_printf(b, "- %s ", str(x, "need"));
      md_cell(b, str(x, "title"));
      jb_buf_printf(b, jb_msg(JB_MSG_ASSIGN_MD_SEATS_OPEN), (int)num(x, "open"),
                    (int)num(x, "members_wanted"), num(x, "member_floor"));
      const cJSON *c;
      cJSON_ArrayForEach(c, cJSON_GetObjectItem(x, "best_candidates"))
      jb_buf_printf(b, "  - %s %s %.3f: %s\n", str(c, "expert"), str(c, "name"), num(c, "score"), str(c, "why_not_used"));
    }
  }
  const cJSON *bind = cJSON_GetObjectItem(p, "binding"), *e;
  jb_buf_adds(b, jb_msg(JB_MSG_ASSIGN_MD_BINDING));
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(bind, "experts_at_capacity")) {
    jb_buf_adds(b, " ");
    md_cell(b, cJSON_IsString(e) ? e->valuestring : "");
  }
  jb_buf_adds(b, jb_msg(JB_MSG_ASSIGN_MD_TASKS_FULL));
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(bind, "tasks_full")) {
    jb_buf_adds(b, " ");
    md_cell(b, cJSON_IsString(e) ? e->valuestring : "");
  }
  jb_buf_adds(b, "\n");
}

/* For Excel: staff mark 是/否 in a drop-down and send it back with --fix. */
static jb_status render_xlsx(const cJSON *p, FILE *out, jb_error *err) {
  static const char *const yesno[] = {"是", "否", NULL};
  const jb_xcol cols[] = {
      {jb_msg(JB_MSG_COL_NEED_ID), 14, 0, 0, NULL},      {jb_msg(JB_MSG_COL_NEED_TITLE), 30, 1, 0, NULL},
      {jb_msg(JB_MSG_COL_ENTERPRISE), 22, 1, 0, NULL},   {jb_msg(JB_MSG_COL_ROLE), 8, 0, 0, NULL},
      {jb_msg(JB_MSG_COL_EXPERT_ID), 12, 0, 0, NULL},    {jb_msg(JB_MSG_COL_EXPERT_NAME), 10, 0, 0, NULL},
      {jb_msg(JB_MSG_COL_EXPERT_ORG), 22, 1, 0, NULL},   {jb_msg(JB_MSG_COL_ACCEPT), 10, 0, 0, yesno},
      {jb_msg(JB_MSG_COL_SCORE), 8, 0, 1, NULL},         {jb_msg(JB_MSG_COL_WHY), 60, 1, 0, NULL}};
  jb_xlsx *x = NULL;
  jb_status rc = jb_xlsx_new(&x, err);
  if (!rc) rc = jb_xlsx_sheet(x, jb_msg(JB_MSG_ASSIGN_SHEET), cols, JB_ARRAY_LEN(cols), err);
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "pairs")) {
    if (rc) break;
    char score[32];
    snprintf(score, sizeof(score), "%.4f", num(e, "score"));
    jb_buf why = {0}, ent = {0};
    why_line(&why, e);
    jb_buf_printf(&ent, "%s", *str(e, "enterprise_name") ? str(e, "enterprise_name") : str(e, "enterprise"));
    const char *role = !strcmp(str(e, "role"), "lead") ? jb_msg(JB_MSG_ROLE_LEAD) : jb_msg(JB_MSG_ROLE_MEMBER);
    const char *row[] = {*str(e, "need") ? str(e, "need") : str(e, "target"), str(e, "title"), jb_buf_str(&ent),
                         role, str(e, "expert"), str(e, "name"), *str(e, "org_name") ? str(e, "org_name") : str(e, "org"),
                         cJSON_IsTrue(cJSON_GetObjectItem(e, "fixed")) ? "是" : "", score, jb_buf_str(&why)};
    rc = jb_xlsx_row(x, row, err);
    jb_buf_free(&why);
    jb_buf_free(&ent);
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "unmatched")) {
    if (rc) break;
    jb_buf why = {0};
    jb_buf_printf(&why, "%s: %s", label(str(e, "reason")), str(e, "detail"));
    const char *row[] = {str(e, "id"), str(e, "title"), "", jb_msg(JB_MSG_ROLE_UNMATCHED), "", "", "", "", "",
                         jb_buf_str(&why)};
    rc = jb_xlsx_row(x, row, err);
    jb_buf_free(&why);
  }
  if (!rc) rc = jb_xlsx_finish(x, out, err);
  jb_xlsx_free(x);
  return rc;
}

jb_status jb_assign_render(const cJSON *p, const char *format, FILE *out, jb_error *err) {
  jb_buf b = {0};
  if (!strcmp(format, "xlsx")) return render_xlsx(p, out, err);
  if (!strcmp(format, "json")) {
    char *s = cJSON_Print(p);
    if (s) {
      jb_buf_adds(&b, s);
      jb_buf_addc(&b, '\n');
    }
    cJSON_free(s);
  } else if (!strcmp(format, "csv")) {
    render_csv(p, &b);
  } else if (!strcmp(format, "md") || !strcmp(format, "markdown")) {
    render_md(p, &b);
  } else {
    jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_FORMAT_UNKNOWN), format, "json, csv, md, xlsx");
    return JB_ERR_USAGE;
  }
  if (b.oom) {
    jb_buf_free(&b);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory rendering the proposal");
    return JB_ERR_NOMEM;
  }
  int bad = b.n && fwrite(b.p, 1, b.n, out) != b.n;
  jb_buf_free(&b);
  if (bad) {
    jb_err_set(err, JB_ERR_IO, "write error");
    return JB_ERR_IO;
  }
  return JB_OK;
}
