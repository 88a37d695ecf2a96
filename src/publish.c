/*
** publish.c — the documents the bureau sends, as self-contained HTML that
** prints on A4:
**
**   list    揭榜挂帅榜单: one entry per challenge of a list — enterprise,
**           task, targets, budget, deadline, contact
**   letter  推荐函 to an expert: the need, why they fit (the matcher's own
**           explanation, in words), whom to contact
**   sheet   one page per enterprise: its open needs and who can help
**
** Data reaches the page only through jb_html_text. Contacts appear only
** when asked (with_contacts), as everywhere else.
*/
#include "jb_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char pub_style[] =
    "@page{size:A4;margin:18mm 16mm}*{box-sizing:border-box}"
    "body{font-family:\"Noto Serif CJK SC\",\"Noto Sans CJK SC\",\"Source Han Serif SC\",\"SimSun\",serif;"
    "font-size:11pt;line-height:1.6;color:#111;max-width:178mm;margin:0 auto;padding:6mm 2mm}"
    "h1{font-size:20pt;text-align:center;color:#a00;margin:0 0 2mm;letter-spacing:.1em}"
    ".sub{text-align:center;color:#555;margin:0 0 6mm;font-size:10pt}"
    "hr.red{border:0;border-top:2px solid #a00;margin:0 0 6mm}"
    "h2{font-size:13pt;margin:6mm 0 2mm;border-left:4px solid #a00;padding-left:2mm}"
    ".entry{border:1px solid #ccc;padding:3mm 4mm;margin:0 0 4mm;break-inside:avoid;page-break-inside:avoid}"
    ".entry h3{margin:0 0 1.5mm;font-size:12pt}"
    "dl.f{display:grid;grid-template-columns:22mm 1fr;gap:.5mm 3mm;margin:0}"
    "dl.f dt{color:#666}dl.f dd{margin:0}"
    "p{margin:0 0 3mm;text-indent:2em}.sign{text-align:right;margin-top:10mm}"
    "ul{margin:0 0 2mm 0;padding-left:5mm}.o{color:#666;font-size:9.5pt}"
    ".note{color:#666;font-size:9pt}"
    ".sheet{page-break-after:always;break-after:page}.sheet:last-child{page-break-after:auto;break-after:auto}"
    /* the enterprise sheet must fit one page: smaller type, tighter boxes */
    ".compact{font-size:9pt;line-height:1.4}.compact .entry{padding:1.5mm 3mm;margin:0 0 2mm}"
    ".compact .entry h3{font-size:10pt;margin:0 0 .5mm}.compact p{margin:0 0 2mm}"
    "@media print{body{max-width:none;padding:0}}";

typedef struct page {
  jb_buf b;
} page;

static void text(page *p, const char *s) { jb_html_text(&p->b, s); }
static void raw(page *p, const char *s) { jb_buf_adds(&p->b, s); }

static void head(page *p, const char *title) {
  raw(p, "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>");
  text(p, title);
  raw(p, "</title><style>");
  raw(p, pub_style);
  raw(p, "</style></head><body>\n");
}

static const char *sget(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(j) ? j->valuestring : NULL;
}

static void field(page *p, const char *label, const char *value) {
  if (!value || !*value) return;
  raw(p, "<dt>");
  text(p, label);
  raw(p, "</dt><dd>");
  text(p, value);
  raw(p, "</dd>");
}

/* Today as 2021年11月15日 (jb_today: JIEBANG_TODAY pins it for tests). */
static void today(char out[32]) {
  char d[11];
  jb_today(d);
  snprintf(out, 32, "%d年%d月%d日", atoi(d), atoi(d + 5), atoi(d + 8));
}

/* "60 万元" from a budget, "" when absent. */
static void budget_text(const cJSON *need, char *out, size_t cap) {
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(need, "budget");
  out[0] = 0;
  if (cJSON_IsNumber(b)) snprintf(out, cap, "%g 万元", b->valuedouble);
}

static void contact_text(const cJSON *rec, char *out, size_t cap) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, "contact");
  out[0] = 0;
  if (cJSON_IsString(c)) snprintf(out, cap, "%s", c->valuestring);
  else if (cJSON_IsObject(c))
    snprintf(out, cap, "%s %s %s", sget(c, "name") ? sget(c, "name") : "", sget(c, "phone") ? sget(c, "phone") : "",
             sget(c, "email") ? sget(c, "email") : "");
}

/* The name of an organization, or its id when it has none. */
static char *org_name(jb_db *db, const char *id) {
  cJSON *o = NULL;
  if (!id || jb_db_get(db, "org", id, 0, &o, NULL)) return id ? jb_strdup(id) : NULL;
  char *n = jb_strdup(sget(o, "name") ? sget(o, "name") : id);
  cJSON_Delete(o);
  return n;
}

/* ------------------------------------------------------------- 揭榜挂帅榜单 */

static jb_status pub_list(jb_db *db, const jb_publish_opts *o, page *p, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT n.doc, o.name FROM need n LEFT JOIN org o ON o.id = n.org"
                        " WHERE n.list = ?1 AND n.status = 'open' ORDER BY n.id", &st, err))
    return JB_ERR_DB;
  sqlite3_bind_text(st, 1, o->list, -1, SQLITE_STATIC);
  char title[256], date[32];
  snprintf(title, sizeof(title), "%s榜单", o->list);
  today(date);
  head(p, title);
  raw(p, "<h1>");
  text(p, title);
  raw(p, "</h1><p class=\"sub\">");
  text(p, o->issuer ? o->issuer : "县科学技术局");
  raw(p, " 发布 · ");
  text(p, date);
  raw(p, "</p><hr class=\"red\">\n<p>");
  text(p, "现将本批技术难题榜单予以发布，欢迎高校、科研院所、企业和专家团队揭榜攻关。"
          "揭榜方案请于各榜截止日期前报送，联系方式见各榜。");
  raw(p, "</p>\n");
  int n = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *need = jb_record_public((const char *)sqlite3_column_text(st, 0), o->with_contacts);
    const char *on = (const char *)sqlite3_column_text(st, 1);
    char num[32], budget[64], contact[300];
    snprintf(num, sizeof(num), "第%d榜", ++n);
    budget_text(need, budget, sizeof(budget));
    contact_text(need, contact, sizeof(contact));
    raw(p, "<div class=\"entry\"><h3>");
    text(p, num);
    raw(p, "　");
    text(p, sget(need, "title"));
    raw(p, "</h3><dl class=\"f\">");
    field(p, "发榜企业", on ? on : sget(need, "org"));
    field(p, "任务与指标", sget(need, "text"));
    field(p, "榜单金额", budget);
    field(p, "截止日期", sget(need, "deadline"));
    field(p, "联系方式", *contact ? contact : (o->with_contacts ? NULL : "请与县科技局联系"));
    field(p, "编号", sget(need, "id"));
    raw(p, "</dl></div>\n");
    cJSON_Delete(need);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "reading the list");
  if (!n) {
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_PUB_NO_LIST), o->list);
    return JB_ERR_NOTFOUND;
  }
  return JB_OK;
}

/* ---------------------------------------------------------------- 推荐函 */

/* Why the expert fits, in words: the terms both share, the evidence. */
static void why_words(page *p, const cJSON *r) {
  const cJSON *t;
  int n = 0;
  jb_buf terms = {0};
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(r, "terms")) {
    if (n >= 6 || cJSON_GetObjectItem(t, "feedback")) continue;
    jb_buf_printf(&terms, "%s“%s”", n++ ? "、" : "", sget(t, "term"));
  }
  raw(p, "<ul>");
  if (n) {
    raw(p, "<li>");
    text(p, "您的研究与该需求在以下方面相符：");
    text(p, jb_buf_str(&terms));
    raw(p, "</li>");
  }
  const cJSON *ev = cJSON_GetObjectItem(r, "evidence");
  if (ev) {
    jb_buf title = {0};
    for (const char *s = sget(ev, "title") ? sget(ev, "title") : ""; *s; s++)
      if (*s != '[' && *s != ']') jb_buf_addc(&title, *s);
    raw(p, "<li>");
    text(p, "最相关的成果：《");
    text(p, jb_buf_str(&title));
    text(p, "》");
    raw(p, "</li>");
    jb_buf_free(&title);
  }
  const cJSON *c = cJSON_GetObjectItem(r, "components");
  const cJSON *chain = cJSON_GetObjectItem(c, "chain"), *region = cJSON_GetObjectItem(c, "region");
  if (cJSON_IsNumber(chain) && chain->valuedouble >= 1) raw(p, "<li>同属该需求所在产业链。</li>");
  if (cJSON_IsNumber(region) && region->valuedouble >= 0.6) raw(p, "<li>与企业同在本市，便于现场服务。</li>");
  raw(p, "</ul>");
  jb_buf_free(&terms);
}

static jb_status pub_letter(jb_db *db, const jb_publish_opts *o, page *p, jb_error *err) {
  cJSON *need = NULL, *expert = NULL, *m = NULL;
  jb_status rc = jb_db_get(db, "need", o->need, o->with_contacts, &need, err);
  if (!rc) rc = jb_db_get(db, "expert", o->expert, 0, &expert, err);
  jb_match_opts mo = {0};
  mo.need_id = o->need;
  mo.type = "expert";
  mo.k = 50;
  mo.why_not = o->expert; /* finds it wherever it ranks, or says why not */
  mo.explain = 1;
  if (!rc) rc = jb_match(db, &mo, &m, err);
  if (rc) goto done;
  const cJSON *r = NULL, *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(m, "results"))
    if (sget(e, "id") && !strcmp(sget(e, "id"), o->expert)) r = e;
  char *ent = org_name(db, sget(need, "org"));
  char date[32], budget[64], contact[300];
  today(date);
  budget_text(need, budget, sizeof(budget));
  contact_text(need, contact, sizeof(contact));
  head(p, "推荐函");
  raw(p, "<h1>推 荐 函</h1><hr class=\"red\"><p style=\"text-indent:0\">尊敬的");
  text(p, sget(expert, "name") ? sget(expert, "name") : o->expert);
  text(p, sget(expert, "rank") ? sget(expert, "rank") : "老师");
  raw(p, "：</p><p>");
  text(p, ent ? ent : "");
  text(p, "提出了一项技术需求“");
  text(p, sget(need, "title"));
  text(p, "”。经比对您的研究方向与成果，我们认为您是解决这一难题的合适人选，特此推荐，诚邀您了解并对接。");
  raw(p, "</p><h2>需求</h2><dl class=\"f\">");
  field(p, "企业", ent);
  field(p, "需求", sget(need, "title"));
  field(p, "任务与指标", sget(need, "text"));
  field(p, "经费", budget);
  field(p, "截止日期", sget(need, "deadline"));
  raw(p, "</dl><h2>推荐理由</h2>");
  if (r) why_words(p, r);
  else {
    const cJSON *wn = cJSON_GetObjectItem(m, "why_not");
    raw(p, "<p class=\"note\">");
    text(p, "提示：系统比对中该专家不在前列（");
    text(p, sget(wn, "reason") ? sget(wn, "reason") : "");
    text(p, "），本函为人工推荐。");
    raw(p, "</p>");
  }
  raw(p, "<h2>联系方式</h2><p style=\"text-indent:0\">");
  text(p, *contact ? contact : "请与县科学技术局联系，我们将安排与企业对接。");
  raw(p, "</p><p class=\"sign\">");
  text(p, o->issuer ? o->issuer : "县科学技术局");
  raw(p, "<br>");
  text(p, date);
  raw(p, "</p>");
  free(ent);
done:
  cJSON_Delete(need);
  cJSON_Delete(expert);
  cJSON_Delete(m);
  return rc;
}

/* ------------------------------------------------------- enterprise sheet */

static void helpers(jb_db *db, page *p, const char *need_id, const char *type, const char *label) {
  jb_match_opts mo = {0};
  mo.need_id = need_id;
  mo.type = type;
  mo.k = 3;
  cJSON *m = NULL;
  if (jb_match(db, &mo, &m, NULL)) return;
  const cJSON *e;
  int n = 0;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(m, "results")) {
    const cJSON *s = cJSON_GetObjectItem(e, "score");
    if (!cJSON_IsNumber(s) || s->valuedouble < JB_DEMAND_MIN_SCORE) continue;
    if (!n++) {
      raw(p, "<dt>");
      text(p, label);
      raw(p, "</dt><dd>");
    } else {
      text(p, "；");
    }
    text(p, sget(e, "name"));
    const char *org = sget(e, "org");
    if (org) {
      char *on = org_name(db, org);
      raw(p, " <span class=\"o\">");
      text(p, on);
      raw(p, "</span>");
      free(on);
    }
  }
  if (n) raw(p, "</dd>");
  cJSON_Delete(m);
}

static jb_status pub_sheet(jb_db *db, const jb_publish_opts *o, page *p, jb_error *err) {
  cJSON *org = NULL;
  jb_status rc = jb_db_get(db, "org", o->org, 0, &org, err);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT doc FROM need WHERE org = ?1 AND status = 'open' ORDER BY deadline, id", &st, err)) {
    cJSON_Delete(org);
    return JB_ERR_DB;
  }
  sqlite3_bind_text(st, 1, o->org, -1, SQLITE_STATIC);
  char date[32];
  today(date);
  head(p, sget(org, "name") ? sget(org, "name") : o->org);
  raw(p, "<div class=\"sheet compact\"><h1 style=\"font-size:16pt\">");
  text(p, sget(org, "name") ? sget(org, "name") : o->org);
  raw(p, "</h1><p class=\"sub\">技术需求与对接建议 · ");
  text(p, date);
  raw(p, "</p><hr class=\"red\">");
  if (sget(org, "description")) {
    raw(p, "<p>");
    text(p, sget(org, "description"));
    raw(p, "</p>");
  }
  int n = 0, src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    cJSON *need = jb_record_public((const char *)sqlite3_column_text(st, 0), 0);
    char budget[64];
    budget_text(need, budget, sizeof(budget));
    raw(p, "<div class=\"entry\"><h3>");
    text(p, sget(need, "title"));
    raw(p, "</h3><dl class=\"f\">");
    /* the gist of the task: a page holds five or six needs this way */
    char gist[400];
    const char *tx = sget(need, "text") ? sget(need, "text") : "";
    size_t cut = strlen(tx) > 240 ? 240 : strlen(tx);
    while (cut < strlen(tx) && cut && ((unsigned char)tx[cut] & 0xC0) == 0x80) cut--;
    snprintf(gist, sizeof(gist), "%.*s%s", (int)cut, tx, cut < strlen(tx) ? "……" : "");
    field(p, "任务", gist);
    char when[160];
    snprintf(when, sizeof(when), "%s%s%s", sget(need, "deadline") ? sget(need, "deadline") : "",
             *budget && sget(need, "deadline") ? "；经费 " : (*budget ? "经费 " : ""), budget);
    field(p, "截止 / 经费", when);
    helpers(db, p, sget(need, "id"), "expert", "可对接专家");
    helpers(db, p, sget(need, "id"), "achievement", "可转化成果");
    raw(p, "</dl></div>");
    cJSON_Delete(need);
    n++;
  }
  sqlite3_finalize(st);
  if (!n) raw(p, "<p class=\"note\">该企业目前没有开放的技术需求。</p>");
  raw(p, "<p class=\"note\">推荐只列匹配度不低于 0.15 的专家和成果；如需对接，请与县科学技术局联系。</p></div>");
  cJSON_Delete(org);
  if (src != SQLITE_DONE) return jb_err_db(err, db->db, src, "reading the enterprise's needs");
  return JB_OK;
}

jb_status jb_publish(jb_db *db, const jb_publish_opts *o, FILE *out, jb_error *err) {
  page p;
  memset(&p, 0, sizeof(p));
  jb_status rc;
  if (!strcmp(o->what, "list") && o->list) rc = pub_list(db, o, &p, err);
  else if (!strcmp(o->what, "letter") && o->need && o->expert) rc = pub_letter(db, o, &p, err);
  else if (!strcmp(o->what, "sheet") && o->org) rc = pub_sheet(db, o, &p, err);
  else {
    jb_err_set(err, JB_ERR_USAGE, "%s", jb_msg(JB_MSG_USAGE_PUBLISH));
    rc = JB_ERR_USAGE;
  }
  if (!rc) {
    raw(&p, "</body></html>\n");
    if (p.b.oom) {
      jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
      rc = JB_ERR_NOMEM;
    } else if (fwrite(p.b.p, 1, p.b.n, out) != p.b.n) {
      jb_err_set(err, JB_ERR_IO, "%s", jb_msg(JB_MSG_STATUS_IO));
      rc = JB_ERR_IO;
    }
  }
  jb_buf_free(&p.b);
  return rc;
}
