/*
** store_records.c — record validation and upsert.
**
** Each kind has a field table: name, type, whether required, allowed values.
** A record is checked against its table completely before anything is
** written, so a bad record never leaves a half-written row; the caller's
** transaction makes the whole file atomic. Every error names the field and
** the offending value.
**
** The record as given (type name canonicalised) is kept in the `doc` column;
** export writes it back out, so import -> export -> import is the identity,
** and re-importing an identical record is detected and changes nothing.
*/
#include "jb_int.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum ftype {
  F_ID,      /* identifier string (or integer, stored as its decimal string) */
  F_STR,     /* short string */
  F_TEXT,    /* long text */
  F_LIST,    /* array of strings */
  F_INT,
  F_NUM,
  F_DATE,    /* YYYY-MM-DD, YYYY-MM or YYYY */
  F_ENUM,
  F_ORG,     /* reference to an org id */
  F_EXPERT,  /* reference to an expert id */
  F_NEED,    /* reference to a need id */
  F_ACH,     /* reference to an achievement id */
  F_CONTACT, /* object {name, phone, email} or a string */
  F_PAPERS,  /* array of evidence objects */
  F_FILE,    /* path of an attached file, relative to the importing file */
  F_TYPE
} ftype;

typedef struct field_spec {
  const char *name;
  ftype t;
  int required;
  const char *values;  /* F_ENUM: '|'-separated allowed values */
  double lo, hi;       /* F_INT/F_NUM range */
} field_spec;

#define END {NULL, F_STR, 0, NULL, 0, 0}

static const field_spec org_fields[] = {
    {"type", F_TYPE, 0, NULL, 0, 0},
    {"id", F_ID, 1, NULL, 0, 0},
    {"name", F_STR, 1, NULL, 0, 0},
    {"kind", F_ENUM, 1, "enterprise|university|institute|platform|association|government|hospital", 0, 0},
    {"subkind", F_STR, 0, NULL, 0, 0},
    {"region", F_STR, 0, NULL, 0, 0},
    {"parent", F_ID, 0, NULL, 0, 0},
    {"chains", F_LIST, 0, NULL, 0, 0},
    {"keywords", F_LIST, 0, NULL, 0, 0},
    {"description", F_TEXT, 0, NULL, 0, 0},
    {"contact", F_CONTACT, 0, NULL, 0, 0},
    END};

static const field_spec paper_fields[] = {
    {"id", F_ID, 1, NULL, 0, 0},
    {"kind", F_ENUM, 0, "paper|patent|project|award|standard|other", 0, 0},
    {"title", F_TEXT, 1, NULL, 0, 0},
    {"abstract", F_TEXT, 0, NULL, 0, 0},
    {"year", F_INT, 0, NULL, 1900, 2100},
    {"venue", F_STR, 0, NULL, 0, 0},
    {"file", F_FILE, 0, NULL, 0, 0},
    END};

static const field_spec expert_fields[] = {
    {"type", F_TYPE, 0, NULL, 0, 0},
    {"id", F_ID, 1, NULL, 0, 0},
    {"name", F_STR, 0, NULL, 0, 0},
    {"org", F_ORG, 0, NULL, 0, 0},
    {"rank", F_STR, 0, NULL, 0, 0},
    {"fields", F_LIST, 0, NULL, 0, 0},
    {"keywords", F_LIST, 0, NULL, 0, 0},
    {"bio", F_TEXT, 0, NULL, 0, 0},
    {"programs", F_LIST, 0, NULL, 0, 0},
    {"region", F_STR, 0, NULL, 0, 0},
    {"capacity", F_INT, 0, NULL, 0, 100},
    {"contact", F_CONTACT, 0, NULL, 0, 0},
    {"papers", F_PAPERS, 0, NULL, 0, 0},
    {"evidence", F_PAPERS, 0, NULL, 0, 0},
    END};

static const field_spec evidence_fields[] = {
    {"type", F_TYPE, 0, NULL, 0, 0},
    {"expert", F_EXPERT, 1, NULL, 0, 0},
    {"id", F_ID, 1, NULL, 0, 0},
    {"kind", F_ENUM, 0, "paper|patent|project|award|standard|other", 0, 0},
    {"title", F_TEXT, 1, NULL, 0, 0},
    {"abstract", F_TEXT, 0, NULL, 0, 0},
    {"year", F_INT, 0, NULL, 1900, 2100},
    {"venue", F_STR, 0, NULL, 0, 0},
    {"file", F_FILE, 0, NULL, 0, 0},
    END};

static const field_spec achievement_fields[] = {
    {"type", F_TYPE, 0, NULL, 0, 0},
    {"id", F_ID, 1, NULL, 0, 0},
    {"title", F_TEXT, 1, NULL, 0, 0},
    {"text", F_TEXT, 0, NULL, 0, 0},
    {"keywords", F_LIST, 0, NULL, 0, 0},
    {"kind", F_ENUM, 0, "patent|technology|product|variety|standard|software|other", 0, 0},
    {"patent_no", F_STR, 0, NULL, 0, 0},
    {"expert", F_EXPERT, 0, NULL, 0, 0},
    {"org", F_ORG, 0, NULL, 0, 0},
    {"maturity", F_ENUM, 0, "研发|小试|中试|小批量|产业化", 0, 0},
    {"chains", F_LIST, 0, NULL, 0, 0},
    {"year", F_INT, 0, NULL, 1900, 2100},
    {"file", F_FILE, 0, NULL, 0, 0},
    END};

static const field_spec need_fields[] = {
    {"type", F_TYPE, 0, NULL, 0, 0},
    {"id", F_ID, 1, NULL, 0, 0},
    {"org", F_ORG, 0, NULL, 0, 0},
    {"title", F_TEXT, 1, NULL, 0, 0},
    {"text", F_TEXT, 0, NULL, 0, 0},
    {"keywords", F_LIST, 0, NULL, 0, 0},
    {"chains", F_LIST, 0, NULL, 0, 0},
    {"budget", F_NUM, 0, NULL, 0, 1e9},
    {"deadline", F_DATE, 0, NULL, 0, 0},
    {"created", F_DATE, 0, NULL, 0, 0},
    {"status", F_ENUM, 0, "open|paired|closed", 0, 0},
    {"list", F_STR, 0, NULL, 0, 0},
    {"team_size", F_INT, 0, NULL, 0, 50},
    {"region", F_STR, 0, NULL, 0, 0},
    {"contact", F_CONTACT, 0, NULL, 0, 0},
    {"file", F_FILE, 0, NULL, 0, 0},
    END};

static const field_spec relation_fields[] = {
    {"type", F_TYPE, 0, NULL, 0, 0},
    {"expert", F_EXPERT, 1, NULL, 0, 0},
    {"org", F_ORG, 1, NULL, 0, 0},
    {"year", F_INT, 0, NULL, 1900, 2100},
    {"note", F_TEXT, 0, NULL, 0, 0},
    END};

/* An outcome: how a pairing of a need with an expert, achievement or
** institution went (states and transitions in store_outcome.c). Exactly one
** of expert, achievement, org names the candidate. */
static const field_spec outcome_fields[] = {
    {"type", F_TYPE, 0, NULL, 0, 0},
    {"need", F_NEED, 1, NULL, 0, 0},
    {"expert", F_EXPERT, 0, NULL, 0, 0},
    {"achievement", F_ACH, 0, NULL, 0, 0},
    {"org", F_ORG, 0, NULL, 0, 0},
    {"state", F_ENUM, 1, JB_OUTCOME_STATES, 0, 0},
    {"date", F_DATE, 0, NULL, 0, 0},
    {"reason", F_TEXT, 0, NULL, 0, 0},
    /* 万元; 1e7 万元 = 1000亿: far above any county contract, so a typo with
    ** extra digits is caught */
    {"value", F_NUM, 0, NULL, 0, 1e7},
    {"signed", F_DATE, 0, NULL, 0, 0},
    {"contract_no", F_STR, 0, NULL, 0, 0},
    {"by", F_STR, 0, NULL, 0, 0},
    {"note", F_TEXT, 0, NULL, 0, 0},
    END};

static const struct {
  const char *name;
  const field_spec *fields;
} kinds[JB_KIND_COUNT] = {
    [JB_KIND_ORG] = {"org", org_fields},
    [JB_KIND_EXPERT] = {"expert", expert_fields},
    [JB_KIND_EVIDENCE] = {"evidence", evidence_fields},
    [JB_KIND_ACHIEVEMENT] = {"achievement", achievement_fields},
    [JB_KIND_NEED] = {"need", need_fields},
    [JB_KIND_CONFLICT] = {"conflict", relation_fields},
    [JB_KIND_COLLABORATION] = {"collaboration", relation_fields},
    [JB_KIND_OUTCOME] = {"outcome", outcome_fields},
};

const char *jb_kind_name(jb_kind k) {
  return (k >= 0 && k < JB_KIND_COUNT) ? kinds[k].name : "unknown";
}

static const struct {
  const char *alias;
  jb_kind k;
} kind_aliases[] = {
    {"org", JB_KIND_ORG},           {"orgs", JB_KIND_ORG},
    {"organization", JB_KIND_ORG},  {"organizations", JB_KIND_ORG},
    {"organisation", JB_KIND_ORG},  {"organisations", JB_KIND_ORG},
    {"expert", JB_KIND_EXPERT},     {"experts", JB_KIND_EXPERT},
    {"talent", JB_KIND_EXPERT},     {"evidence", JB_KIND_EVIDENCE},
    {"paper", JB_KIND_EVIDENCE},    {"papers", JB_KIND_EVIDENCE},
    {"achievement", JB_KIND_ACHIEVEMENT}, {"achievements", JB_KIND_ACHIEVEMENT},
    {"need", JB_KIND_NEED},         {"needs", JB_KIND_NEED},
    {"challenge", JB_KIND_NEED},    {"challenges", JB_KIND_NEED},
    {"conflict", JB_KIND_CONFLICT}, {"conflicts", JB_KIND_CONFLICT},
    {"collaboration", JB_KIND_COLLABORATION}, {"collaborations", JB_KIND_COLLABORATION},
    {"outcome", JB_KIND_OUTCOME},   {"outcomes", JB_KIND_OUTCOME},
    {"pairing", JB_KIND_OUTCOME},   {"pairings", JB_KIND_OUTCOME},
};

jb_kind jb_kind_parse(const char *s) {
  for (int i = 0; i < JB_ARRAY_LEN(kind_aliases); i++)
    if (!strcmp(s, kind_aliases[i].alias)) return kind_aliases[i].k;
  return JB_KIND_UNKNOWN;
}

jb_kind jb_kind_from_filename(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  /* the longest known alias that starts the file name: "experts-agri.jsonl" */
  jb_kind best = JB_KIND_UNKNOWN;
  size_t bestn = 0;
  for (int i = 0; i < JB_ARRAY_LEN(kind_aliases); i++) {
    size_t n = strlen(kind_aliases[i].alias);
    if (n > bestn && !strncmp(base, kind_aliases[i].alias, n) &&
        (base[n] == '.' || base[n] == '-' || base[n] == '_' || base[n] == 0)) {
      best = kind_aliases[i].k;
      bestn = n;
    }
  }
  return best;
}

/* ------------------------------------------------------------ validation */

typedef struct vctx {
  jb_db *db;
  const jb_loc *loc;
  jb_error *err;
} vctx;

/* Quotes at most 60 bytes of a value, cut on a UTF-8 boundary. */
static void shown_value(const char *value, char *shown, size_t cap) {
  size_t n = value ? strlen(value) : 0, cut = n > 60 ? 60 : n;
  while (cut < n && cut > 0 && ((unsigned char)value[cut] & 0xC0) == 0x80) cut--;
  snprintf(shown, cap, "%.*s%s", (int)cut, value ? value : "", cut < n ? "…" : "");
}

/* The field as the person wrote it: a table's own header ("截止日期") with
** the field's name, so that the message names the column they see. */
static const char *field_shown(vctx *v, const char *field, char *buf, size_t cap) {
  const char *col = v->loc && v->loc->column_of && field ? v->loc->column_of(v->loc->ctx, field) : NULL;
  if (!col || !strcmp(col, field)) return field;
  snprintf(buf, cap, "%s (%s)", col, field);
  return buf;
}

/* Fails with a catalogue message that takes the (quoted) value as its one %s. */
static jb_status bad(vctx *v, const char *field, const char *fmt, const char *value) {
  char shown[80], fbuf[256];
  shown_value(value, shown, sizeof(shown));
  jb_err_at(v->err, JB_ERR_INVALID, v->loc ? v->loc->file : NULL, v->loc ? v->loc->line : 0,
            field_shown(v, field, fbuf, sizeof(fbuf)), fmt, shown);
  if (v->err && field) snprintf(v->err->field, sizeof(v->err->field), "%s", field);
  return JB_ERR_INVALID;
}

/* Fails with a message built by the caller (values in it already quoted). */
static jb_status bad_text(vctx *v, const char *field, const char *text) {
  char fbuf[256];
  jb_err_at(v->err, JB_ERR_INVALID, v->loc ? v->loc->file : NULL, v->loc ? v->loc->line : 0,
            field_shown(v, field, fbuf, sizeof(fbuf)), "%s", text);
  if (v->err && field) snprintf(v->err->field, sizeof(v->err->field), "%s", field);
  return JB_ERR_INVALID;
}

static const char *json_kind(const cJSON *j) {
  if (cJSON_IsString(j)) return jb_msg(JB_MSG_JSON_STRING);
  if (cJSON_IsNumber(j)) return jb_msg(JB_MSG_JSON_NUMBER);
  if (cJSON_IsArray(j)) return jb_msg(JB_MSG_JSON_LIST);
  if (cJSON_IsObject(j)) return jb_msg(JB_MSG_JSON_OBJECT);
  if (cJSON_IsBool(j)) return jb_msg(JB_MSG_JSON_BOOL);
  return jb_msg(JB_MSG_JSON_NULL);
}

/* `multiline`: the field may hold TAB, LF and CR (long text); no field may
** hold other controls or the bidi overrides that make a terminal or a
** report show something else than what is stored (io_text.c). */
static jb_status check_string(vctx *v, const char *field, const char *s, size_t max, int multiline) {
  size_t n = strlen(s);
  long badat = jb_utf8_invalid_at(s, n);
  char msg[256];
  if (badat >= 0) {
    snprintf(msg, sizeof(msg), jb_msg(JB_MSG_REC_BAD_UTF8), badat);
    return bad_text(v, field, msg);
  }
  uint32_t cp = 0;
  if ((badat = jb_text_refused_at(s, n, multiline, &cp)) >= 0) {
    snprintf(msg, sizeof(msg), "control or bidi character U+%04X at byte %ld is not allowed%s: '%%s'",
             (unsigned)cp, badat, cp == '\t' || cp == '\n' || cp == '\r' ? " in a one-line field" : "");
    return bad(v, field, msg, s);
  }
  if (n > max) {
    char shown[80];
    shown_value(s, shown, sizeof(shown));
    snprintf(msg, sizeof(msg), jb_msg(JB_MSG_REC_TOO_LONG), n, max);
    snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ": '%s'", shown);
    return bad_text(v, field, msg);
  }
  return JB_OK;
}

static const char sql_org_exists[] = "SELECT 1 FROM org WHERE id=?1";
static const char sql_expert_exists[] = "SELECT 1 FROM expert WHERE id=?1";
static const char sql_need_exists[] = "SELECT 1 FROM need WHERE id=?1";
static const char sql_ach_exists[] = "SELECT 1 FROM achievement WHERE id=?1";

static int ref_exists(jb_db *db, ftype t, const char *id) {
  const char *sql = t == F_ORG ? sql_org_exists : t == F_EXPERT ? sql_expert_exists
                  : t == F_NEED ? sql_need_exists : sql_ach_exists;
  sqlite3_stmt *st = jb_db_cached(db, sql, NULL);
  if (!st) return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  jb_db_release(st);
  return rc == SQLITE_ROW ? 1 : (rc == SQLITE_DONE ? 0 : -1);
}

static int valid_date(const char *s) { return jb_date_valid(s); }

static int enum_has(const char *values, const char *s) {
  size_t n = strlen(s);
  for (const char *p = values; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && !strncmp(p, s, n)) return 1;
    if (!bar) break;
    p = bar + 1;
  }
  return 0;
}

static jb_status check_fields(vctx *v, cJSON *rec, const field_spec *spec, const char *prefix);

/* "a | b | c" of a closed set for a message; in Chinese with each value's
** label where it has one ("open（开放）"). */
static void accepted_values(const char *values, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  char copy[512];
  snprintf(copy, sizeof(copy), "%s", values);
  for (char *save = NULL, *p = strtok_r(copy, "|", &save); p && n + 1 < cap; p = strtok_r(NULL, "|", &save)) {
    const char *label = jb_value_label(p);
    n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "、" : "", p);
    if (n < cap && strcmp(label, p)) n += (size_t)snprintf(out + n, cap - n, "（%s）", label);
  }
}

/* A value outside a closed set: mapped when its meaning is certain (企业 is
** enterprise), else an error with the accepted values and the closest one. */
static jb_status closed_value(vctx *v, cJSON *j, const field_spec *f, const char *fname) {
  char buf[128], sbuf[128], acc[600], dym[200] = "", msg[1000], shown[80];
  const char *canon = jb_closed_canon(f->values, j->valuestring, buf, sizeof(buf));
  if (canon) {
    cJSON_SetValuestring(j, canon);
    return JB_OK;
  }
  const char *near = jb_closed_suggest(f->values, j->valuestring, sbuf, sizeof(sbuf));
  if (near) snprintf(dym, sizeof(dym), jb_msg(JB_MSG_REC_DID_YOU_MEAN), near);
  accepted_values(f->values, acc, sizeof(acc));
  shown_value(j->valuestring, shown, sizeof(shown));
  snprintf(msg, sizeof(msg), jb_msg(JB_MSG_REC_NOT_IN_SET), shown, acc, dym);
  return bad_text(v, fname, msg);
}

/* A chain must be one of the lexicon's (chains.tsv), unless the import
** allows new ones: an unknown chain silently matched nothing. "油茶产业" is
** 油茶 when nothing else is meant. */
static jb_status known_chain(vctx *v, cJSON *e, const char *fname) {
  const jb_lexicon *lex = v->db->lex;
  if (jb_lexicon_find_chain(lex, e->valuestring)) return JB_OK;
  const char *resolved = jb_chain_resolve(lex, e->valuestring);
  if (resolved) {
    cJSON_SetValuestring(e, resolved);
    return JB_OK;
  }
  if (v->loc && v->loc->new_chains) return JB_OK;
  const char *cands[256];
  int n = 0;
  jb_buf all = {0};
  for (int i = 0; i < jb_lexicon_nchains(lex) && n < 256; i++) {
    cands[n++] = jb_lexicon_chain(lex, i)->name;
    jb_buf_printf(&all, "%s%s", i ? "、" : "", jb_lexicon_chain(lex, i)->name);
  }
  const char *near = jb_did_you_mean(e->valuestring, cands, n);
  char dym[200] = "", shown[80];
  if (near) snprintf(dym, sizeof(dym), jb_msg(JB_MSG_REC_DID_YOU_MEAN), near);
  shown_value(e->valuestring, shown, sizeof(shown));
  jb_buf msg = {0};
  jb_buf_printf(&msg, jb_msg(JB_MSG_REC_UNKNOWN_CHAIN), shown, n ? jb_buf_str(&all) : "-", dym);
  jb_status rc = bad_text(v, fname, jb_buf_str(&msg));
  jb_buf_free(&all);
  jb_buf_free(&msg);
  return rc;
}

/* A program must be one of programs.tsv when the lexicon lists any. */
static jb_status known_program(vctx *v, cJSON *e, const char *fname) {
  const jb_lexicon *lex = v->db->lex;
  int n = jb_lexicon_nprograms(lex);
  if (!n) return JB_OK;
  const char *cands[64];
  jb_buf all = {0};
  for (int i = 0; i < n && i < 64; i++) {
    cands[i] = jb_lexicon_program_name(lex, i);
    if (!strcmp(cands[i], e->valuestring)) {
      jb_buf_free(&all);
      return JB_OK;
    }
    jb_buf_printf(&all, "%s%s", i ? "、" : "", cands[i]);
  }
  const char *near = jb_did_you_mean(e->valuestring, cands, n < 64 ? n : 64);
  char dym[200] = "", shown[80];
  if (near) snprintf(dym, sizeof(dym), jb_msg(JB_MSG_REC_DID_YOU_MEAN), near);
  shown_value(e->valuestring, shown, sizeof(shown));
  jb_buf msg = {0};
  jb_buf_printf(&msg, jb_msg(JB_MSG_REC_UNKNOWN_PROGRAM), shown, jb_buf_str(&all), dym);
  jb_status rc = bad_text(v, fname, jb_buf_str(&msg));
  jb_buf_free(&all);
  jb_buf_free(&msg);
  return rc;
}

/* "prefix.name" into out, cut on a UTF-8 boundary: a field name in an error
** message must stay valid text however long the input's name is. */
static void field_name(char *out, size_t n, const char *prefix, const char *name) {
  size_t len = 0;
  out[0] = 0;
  if (prefix) len = (size_t)snprintf(out, n, "%s.", prefix);
  if (len >= n) len = n - 1;
  size_t room = n - 1 - len, k = strlen(name);
  if (k > room) {
    k = room;
    while (k > 0 && ((unsigned char)name[k] & 0xC0) == 0x80) k--;
  }
  memcpy(out + len, name, k);
  out[len + k] = 0;
}

/* An id as it is stored: ids_to_strings() writes a number in decimal. */
static const char *id_text(const cJSON *j, char *buf, size_t n) {
  if (cJSON_IsString(j)) return j->valuestring;
  if (!cJSON_IsNumber(j)) return NULL;
  snprintf(buf, n, "%.0f", j->valuedouble);
  return buf;
}

static jb_status check_value(vctx *v, cJSON *j, const field_spec *f, const char *fname) {
  char num[64];
  switch (f->t) {
  case F_TYPE:
    return JB_OK; /* checked by the caller */
  case F_ID:
    if (cJSON_IsNumber(j) && j->valuedouble == floor(j->valuedouble) && fabs(j->valuedouble) < 1e15) {
      /* integer ids are common in exported data: keep their decimal form */
      return JB_OK; /* made a string by ids_to_strings() */
    }
    if (!cJSON_IsString(j)) return bad(v, fname, jb_msg(JB_MSG_REC_ID_TYPE), json_kind(j));
    if (!*j->valuestring) return bad(v, fname, jb_msg(JB_MSG_REC_ID_EMPTY), "");
    if (check_string(v, fname, j->valuestring, JB_MAX_ID_BYTES, 0)) return JB_ERR_INVALID;
    if (jb_id_problem(j->valuestring)) {
      char msg[160];
      snprintf(msg, sizeof(msg), "%s: '%%s'", jb_id_problem(j->valuestring));
      return bad(v, fname, msg, j->valuestring);
    }
    return JB_OK;
  case F_STR:
  case F_TEXT:
  case F_ORG:
  case F_EXPERT:
  case F_NEED:
  case F_ACH:
  case F_DATE:
  case F_ENUM:
    if (!cJSON_IsString(j)) return bad(v, fname, jb_msg(JB_MSG_REC_EXPECTED_STRING), json_kind(j));
    if (check_string(v, fname, j->valuestring, f->t == F_TEXT ? JB_MAX_FIELD_BYTES : 1000, f->t == F_TEXT))
      return JB_ERR_INVALID;
    if (f->t == F_DATE && !valid_date(j->valuestring)) {
      /* 2025/6/30, 2025年6月30日, an Excel serial: the meaning is certain */
      char iso[11];
      if (!jb_date_normalize(j->valuestring, iso) || !valid_date(iso))
        return bad(v, fname, jb_msg(JB_MSG_REC_NOT_DATE), j->valuestring);
      cJSON_SetValuestring(j, iso);
    }
    if (f->t == F_ENUM && !enum_has(f->values, j->valuestring)) return closed_value(v, j, f, fname);
    if (f->t == F_ORG || f->t == F_EXPERT || f->t == F_NEED || f->t == F_ACH) {
      int ok = ref_exists(v->db, f->t, j->valuestring);
      if (ok < 0) return jb_err_db(v->err, v->db->db, sqlite3_errcode(v->db->db), "checking a reference");
      if (!ok)
        return bad(v, fname,
                   jb_msg(f->t == F_ORG      ? JB_MSG_REC_UNKNOWN_ORG
                          : f->t == F_EXPERT ? JB_MSG_REC_UNKNOWN_EXPERT
                          : f->t == F_NEED   ? JB_MSG_REC_UNKNOWN_NEED
                                             : JB_MSG_REC_UNKNOWN_ACHIEVEMENT),
                   j->valuestring);
    }
    return JB_OK;
  case F_LIST: {
    if (!cJSON_IsArray(j)) return bad(v, fname, jb_msg(JB_MSG_REC_LIST_TYPE), json_kind(j));
    int n = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, j) {
      if (!cJSON_IsString(e)) return bad(v, fname, jb_msg(JB_MSG_REC_LIST_ITEM), json_kind(e));
      if (check_string(v, fname, e->valuestring, 1000, 0)) return JB_ERR_INVALID;
      if (++n > JB_MAX_LIST_ITEMS) return bad(v, fname, jb_msg(JB_MSG_REC_LIST_LONG), "");
      if (!strcmp(f->name, "chains") && known_chain(v, e, fname)) return JB_ERR_INVALID;
      if (!strcmp(f->name, "programs") && known_program(v, e, fname)) return JB_ERR_INVALID;
    }
    return JB_OK;
  }
  case F_INT:
  case F_NUM:
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
      char msg[160];
      snprintf(msg, sizeof(msg), jb_msg(JB_MSG_REC_EXPECTED_NUMBER), json_kind(j));
      if (cJSON_IsString(j)) {
        char shown[80];
        shown_value(j->valuestring, shown, sizeof(shown));
        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ": '%s'", shown);
      }
      return bad_text(v, fname, msg);
    }
    if (f->t == F_INT && j->valuedouble != floor(j->valuedouble)) {
      snprintf(num, sizeof(num), "%g", j->valuedouble);
      return bad(v, fname, jb_msg(JB_MSG_REC_WHOLE), num);
    }
    if (j->valuedouble < f->lo || j->valuedouble > f->hi) {
      char msg[160];
      snprintf(num, sizeof(num), "%g", j->valuedouble);
      snprintf(msg, sizeof(msg), jb_msg(JB_MSG_REC_OUT_OF_RANGE), num, f->lo, f->hi);
      return bad_text(v, fname, msg);
    }
    return JB_OK;
  case F_CONTACT:
    if (cJSON_IsString(j)) return check_string(v, fname, j->valuestring, 1000, 0);
    if (!cJSON_IsObject(j)) return bad(v, fname, jb_msg(JB_MSG_REC_CONTACT_TYPE), json_kind(j));
    {
      static const field_spec cf[] = {{"name", F_STR, 0, NULL, 0, 0}, {"phone", F_STR, 0, NULL, 0, 0},
                                      {"email", F_STR, 0, NULL, 0, 0}, {"address", F_STR, 0, NULL, 0, 0},
                                      END};
      return check_fields(v, j, cf, fname);
    }
  case F_FILE: {
    if (!cJSON_IsString(j)) return bad(v, fname, "expected a file path, got %s", json_kind(j));
    if (check_string(v, fname, j->valuestring, 1000, 0)) return JB_ERR_INVALID;
    if (!*j->valuestring) return bad(v, fname, "empty file path%s", "");
    if (!v->loc || !v->loc->att)
      return bad(v, fname, "'%s': files are attached by `jiebang import FILE` or `jiebang attach`, not here",
                 j->valuestring);
    jb_buf path = {0};
    jb_attach_resolve(v->loc->att->base, j->valuestring, &path);
    const char *why = jb_attach_check(jb_buf_str(&path));
    jb_status rc = JB_OK;
    if (why) {
      char msg[160];
      snprintf(msg, sizeof(msg), "'%%s': %s", why);
      rc = bad(v, fname, msg, j->valuestring);
    }
    jb_buf_free(&path);
    return rc;
  }
  case F_PAPERS: {
    if (!cJSON_IsArray(j)) return bad(v, fname, jb_msg(JB_MSG_REC_PAPERS_TYPE), json_kind(j));
    int i = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, j) {
      char sub[128];
      snprintf(sub, sizeof(sub), "%.100s[%d]", fname, i);
      if (!cJSON_IsObject(e)) return bad(v, sub, jb_msg(JB_MSG_REC_PAPER_TYPE), json_kind(e));
      jb_status rc = check_fields(v, e, paper_fields, sub);
      if (rc) return rc;
      /* ids must be unique within the list: the evidence table is keyed by
      ** them, as stored (1 and "1" are one id once ids_to_strings() ran) */
      const cJSON *pid = cJSON_GetObjectItemCaseSensitive(e, "id"), *other;
      char pbuf[32], obuf[32];
      const char *ptext = id_text(pid, pbuf, sizeof(pbuf));
      int k = 0;
      cJSON_ArrayForEach(other, j) {
        if (other == e) break;
        const char *otext = id_text(cJSON_GetObjectItemCaseSensitive(other, "id"), obuf, sizeof(obuf));
        if (ptext && otext && !strcmp(ptext, otext)) {
          char msg[256], shown[80];
          shown_value(ptext, shown, sizeof(shown));
          snprintf(msg, sizeof(msg), jb_msg(JB_MSG_REC_DUP_EVIDENCE), fname, k);
          snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ": '%s'", shown);
          snprintf(sub, sizeof(sub), "%.100s[%d].id", fname, i);
          return bad_text(v, sub, msg);
        }
        k++;
      }
      if (++i > JB_MAX_EVIDENCE) return bad(v, fname, jb_msg(JB_MSG_REC_PAPERS_LONG), "");
    }
    return JB_OK;
  }
  }
  return JB_OK;
}

static jb_status check_fields(vctx *v, cJSON *rec, const field_spec *spec, const char *prefix) {
  char fname[96];
  cJSON *j;
  cJSON_ArrayForEach(j, rec) {
    const field_spec *f = spec;
    while (f->name && strcmp(f->name, j->string)) f++;
    field_name(fname, sizeof(fname), prefix, j->string);
    if (!f->name) {
      return bad(v, fname, jb_msg(JB_MSG_REC_UNKNOWN_FIELD), "");
    }
    if (cJSON_IsNull(j) && !f->required) continue; /* a cleared field */
    if (cJSON_IsNull(j)) {
      return bad(v, fname, jb_msg(JB_MSG_REC_REQUIRED_NULL), "");
    }
    jb_status rc = check_value(v, j, f, fname);
    if (rc) return rc;
  }
  for (const field_spec *f = spec; f->name; f++) {
    if (!f->required) continue;
    cJSON *x = cJSON_GetObjectItemCaseSensitive(rec, f->name);
    if (!x || cJSON_IsNull(x)) {
      field_name(fname, sizeof(fname), prefix, f->name);
      return bad(v, fname, jb_msg(JB_MSG_REC_REQUIRED), "");
    }
    if (cJSON_IsString(x) && !*x->valuestring && f->t != F_ID) {
      field_name(fname, sizeof(fname), prefix, f->name);
      return bad(v, fname, jb_msg(JB_MSG_REC_REQUIRED_EMPTY), "");
    }
  }
  return JB_OK;
}

/* Integer ids become strings in place, so the doc and the key agree. */
static void ids_to_strings(cJSON *rec) {
  static const char *const idf[] = {"id", "parent"};
  for (int i = 0; i < 2; i++) {
    cJSON *j = cJSON_GetObjectItemCaseSensitive(rec, idf[i]);
    if (cJSON_IsNumber(j)) {
      char num[64];
      snprintf(num, sizeof(num), "%.0f", j->valuedouble);
      cJSON_ReplaceItemInObjectCaseSensitive(rec, idf[i], cJSON_CreateString(num));
    }
  }
  cJSON *papers = cJSON_GetObjectItemCaseSensitive(rec, "papers");
  cJSON *e;
  cJSON_ArrayForEach(e, papers) ids_to_strings(e);
}

/* Reorders rec's members so that "type" (with its canonical name) comes
** first: re-importing "organization" and "org" records gives one doc. */
static int type_first(cJSON *rec, const char *name) {
  cJSON *tmp = cJSON_CreateObject();
  if (!tmp || !cJSON_AddStringToObject(tmp, "type", name)) {
    cJSON_Delete(tmp);
    return -1;
  }
  while (rec->child) {
    cJSON *item = cJSON_DetachItemViaPointer(rec, rec->child);
    if (item->string && !strcmp(item->string, "type")) cJSON_Delete(item);
    else cJSON_AddItemToArray(tmp, item); /* keeps item->string: the member name */
  }
  rec->child = tmp->child;
  tmp->child = NULL;
  cJSON_Delete(tmp);
  return 0;
}

/* ------------------------------------------------------------------ write */

static const char *sget(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int has_num(const cJSON *o, const char *k, double *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(j)) return 0;
  *out = j->valuedouble;
  return 1;
}

/* Binds a JSON array as its JSON text, or NULL. */
static void bind_list(sqlite3_stmt *st, int i, const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsArray(j)) {
    sqlite3_bind_null(st, i);
    return;
  }
  char *s = cJSON_PrintUnformatted(j);
  if (s) sqlite3_bind_text(st, i, s, -1, free);
  else sqlite3_bind_null(st, i);
}

static void bind_str(sqlite3_stmt *st, int i, const cJSON *o, const char *k) {
  const char *s = sget(o, k);
  if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
}

static void bind_num(sqlite3_stmt *st, int i, const cJSON *o, const char *k, int isint) {
  double d;
  if (!has_num(o, k, &d)) sqlite3_bind_null(st, i);
  else if (isint) sqlite3_bind_int64(st, i, (sqlite3_int64)d);
  else sqlite3_bind_double(st, i, d);
}

/* "a ; b ; c" from a list, for the keywords column of the search index. */
static void join_list(jb_buf *b, const cJSON *o, const char *k) {
  const cJSON *e, *j = cJSON_GetObjectItemCaseSensitive(o, k);
  cJSON_ArrayForEach(e, j) {
    if (!cJSON_IsString(e)) continue;
    if (b->n) jb_buf_adds(b, " ; ");
    jb_buf_adds(b, e->valuestring);
  }
}

static jb_status step_done(jb_db *db, sqlite3_stmt *st, jb_error *err, const char *doing) {
  int rc = sqlite3_step(st);
  jb_db_release(st);
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, doing);
  return JB_OK;
}

jb_status jb_sdoc_put(jb_db *db, const char *kind, const char *ref, const char *sub,
                      const char *title, const char *keywords, const char *body, jb_error *err) {
  sqlite3_stmt *st = NULL;
  /* Changing a document that is not indexed yet would make the update
  ** trigger delete terms FTS5 never saw (a corrupt index): index first. */
  if (!(st = jb_db_cached(db, "SELECT rowid FROM sdoc WHERE kind=?1 AND ref=?2 AND sub=?3", err))) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
  int exists = jb_step(st, "the search index", err);
  sqlite3_int64 rowid = exists > 0 ? sqlite3_column_int64(st, 0) : 0;
  jb_db_release(st);
  if (exists < 0) return (jb_status)-exists; /* "not there" would index it twice */
  if (exists && jb_fts_is_pending(db, rowid)) {
    jb_status frc = jb_fts_flush(db, err);
    if (frc) return frc;
  }
  if (!(st = jb_db_cached(db,
                    "INSERT INTO sdoc(kind, ref, sub, title, keywords, body) VALUES(?1,?2,?3,?4,?5,?6) "
                    "ON CONFLICT(kind, ref, sub) DO UPDATE SET title=excluded.title, "
                    "keywords=excluded.keywords, body=excluded.body", err)))
    return JB_ERR_DB;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, title ? title : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, keywords ? keywords : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, body ? body : "", -1, SQLITE_STATIC);
  jb_status rc = step_done(db, st, err, "writing the search index");
  if (rc || exists) return rc; /* an existing row: the update trigger re-indexed it */
  if (db->fts_active) return jb_fts_pending_add(db, sqlite3_last_insert_rowid(db->db), err);
  /* a writer outside a batch indexes the new row at once */
  if (!(st = jb_db_cached(db,
                          "INSERT INTO sdoc_fts(rowid, title, keywords, body) SELECT rowid, title, keywords, body"
                          " FROM sdoc WHERE rowid = ?1",
                          err)))
    return JB_ERR_DB;
  sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(db->db));
  return step_done(db, st, err, "indexing a search document");
}

/* The stored doc of an existing record, or NULL. */
static char *existing_doc(jb_db *db, const char *sql, const char *k1, const char *k2,
                          const char *k3) {
  char *doc = NULL;
  sqlite3_stmt *st = jb_db_cached(db, sql, NULL);
  if (!st) return NULL;
  sqlite3_bind_text(st, 1, k1, -1, SQLITE_STATIC);
  if (k2) sqlite3_bind_text(st, 2, k2, -1, SQLITE_STATIC);
  if (k3) sqlite3_bind_text(st, 3, k3, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) doc = jb_strdup((const char *)sqlite3_column_text(st, 0));
  jb_db_release(st);
  return doc;
}

static jb_status store_org(jb_db *db, const cJSON *r, const char *doc, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (!(st = jb_db_cached(db,
                    "INSERT INTO org(id,name,kind,subkind,region,parent,chains,keywords,description,doc)"
                    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON CONFLICT(id) DO UPDATE SET"
                    " name=excluded.name, kind=excluded.kind, subkind=excluded.subkind,"
                    " region=excluded.region, parent=excluded.parent, chains=excluded.chains,"
                    " keywords=excluded.keywords, description=excluded.description, doc=excluded.doc", err)))
    return JB_ERR_DB;
  static const char *const cols[] = {"id", "name", "kind", "subkind", "region", "parent"};
  for (int i = 0; i < 6; i++) bind_str(st, i + 1, r, cols[i]);
  bind_list(st, 7, r, "chains");
  bind_list(st, 8, r, "keywords");
  bind_str(st, 9, r, "description");
  sqlite3_bind_text(st, 10, doc, -1, SQLITE_STATIC);
  jb_status rc = step_done(db, st, err, "storing an organization");
  if (rc) return rc;
  jb_buf kw = {0}, body = {0};
  join_list(&kw, r, "keywords");
  join_list(&kw, r, "chains");
  jb_buf_printf(&body, "%s %s %s", sget(r, "subkind") ? sget(r, "subkind") : "",
                sget(r, "region") ? sget(r, "region") : "",
                sget(r, "description") ? sget(r, "description") : "");
  rc = jb_sdoc_put(db, "org", sget(r, "id"), "", sget(r, "name"), jb_buf_str(&kw), jb_buf_str(&body), err);
  jb_buf_free(&kw);
  jb_buf_free(&body);
  return rc;
}

static jb_status store_need(jb_db *db, const cJSON *r, const char *doc, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (!(st = jb_db_cached(db,
                    "INSERT INTO need(id,org,title,text,keywords,chains,budget,deadline,status,list,"
                    "team_size,created,doc) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,coalesce(?9,'open'),?10,"
                    "coalesce(?11,0),?12,?13) ON CONFLICT(id) DO UPDATE SET org=excluded.org,"
                    " title=excluded.title, text=excluded.text, keywords=excluded.keywords,"
                    " chains=excluded.chains, budget=excluded.budget, deadline=excluded.deadline,"
                    " status=excluded.status, list=excluded.list, team_size=excluded.team_size,"
                    " created=excluded.created, doc=excluded.doc", err)))
    return JB_ERR_DB;
  bind_str(st, 1, r, "id");
  bind_str(st, 2, r, "org");
  bind_str(st, 3, r, "title");
  bind_str(st, 4, r, "text");
  bind_list(st, 5, r, "keywords");
  bind_list(st, 6, r, "chains");
  bind_num(st, 7, r, "budget", 0);
  bind_str(st, 8, r, "deadline");
  bind_str(st, 9, r, "status");
  bind_str(st, 10, r, "list");
  bind_num(st, 11, r, "team_size", 1);
  bind_str(st, 12, r, "created");
  sqlite3_bind_text(st, 13, doc, -1, SQLITE_STATIC);
  jb_status rc = step_done(db, st, err, "storing a need");
  if (rc) return rc;
  jb_buf kw = {0};
  join_list(&kw, r, "keywords");
  join_list(&kw, r, "chains");
  rc = jb_sdoc_put(db, "need", sget(r, "id"), "", sget(r, "title"), jb_buf_str(&kw), sget(r, "text"), err);
  jb_buf_free(&kw);
  return rc;
}

static jb_status store_achievement(jb_db *db, const cJSON *r, const char *doc, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (!(st = jb_db_cached(db,
                    "INSERT INTO achievement(id,title,text,keywords,kind,expert,org,maturity,chains,year,doc)"
                    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) ON CONFLICT(id) DO UPDATE SET"
                    " title=excluded.title, text=excluded.text, keywords=excluded.keywords,"
                    " kind=excluded.kind, expert=excluded.expert, org=excluded.org,"
                    " maturity=excluded.maturity, chains=excluded.chains, year=excluded.year,"
                    " doc=excluded.doc", err)))
    return JB_ERR_DB;
  bind_str(st, 1, r, "id");
  bind_str(st, 2, r, "title");
  bind_str(st, 3, r, "text");
  bind_list(st, 4, r, "keywords");
  bind_str(st, 5, r, "kind");
  bind_str(st, 6, r, "expert");
  bind_str(st, 7, r, "org");
  bind_str(st, 8, r, "maturity");
  bind_list(st, 9, r, "chains");
  bind_num(st, 10, r, "year", 1);
  sqlite3_bind_text(st, 11, doc, -1, SQLITE_STATIC);
  jb_status rc = step_done(db, st, err, "storing an achievement");
  if (rc) return rc;
  jb_buf kw = {0};
  join_list(&kw, r, "keywords");
  join_list(&kw, r, "chains");
  rc = jb_sdoc_put(db, "achievement", sget(r, "id"), "", sget(r, "title"), jb_buf_str(&kw),
                sget(r, "text"), err);
  jb_buf_free(&kw);
  return rc;
}

static jb_status store_one_evidence(jb_db *db, const char *expert, const cJSON *p, jb_error *err) {
  sqlite3_stmt *st = NULL;
  char *doc = cJSON_PrintUnformatted(p);
  if (!doc) return JB_ERR_NOMEM;
  if (!(st = jb_db_cached(db,
                    "INSERT INTO evidence(expert,id,kind,year,doc) VALUES(?1,?2,?3,?4,?5)"
                    " ON CONFLICT(expert,id) DO UPDATE SET kind=excluded.kind,"
                    " year=excluded.year, doc=excluded.doc", err))) {
    free(doc);
    return JB_ERR_DB;
  }
  sqlite3_bind_text(st, 1, expert, -1, SQLITE_STATIC);
  bind_str(st, 2, p, "id");
  bind_str(st, 3, p, "kind");
  bind_num(st, 4, p, "year", 1);
  sqlite3_bind_text(st, 5, doc, -1, free);
  jb_status rc = step_done(db, st, err, "storing evidence");
  if (rc) return rc;
  return jb_sdoc_put(db, "evidence", expert, sget(p, "id"), sget(p, "title"), "", sget(p, "abstract"), err);
}

/* The evidence docs of an expert joined by newlines, for change detection,
** in *out (caller frees). A read error fails: part of the evidence could
** compare equal to the new set, and the rest would never be replaced. */
static jb_status evidence_docs(jb_db *db, const char *expert, char **out, jb_error *err) {
  sqlite3_stmt *st = NULL;
  jb_buf b = {0};
  *out = NULL;
  if (!(st = jb_db_cached(db, "SELECT doc FROM evidence WHERE expert=?1 ORDER BY rowid", err))) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, expert, -1, SQLITE_STATIC);
  int got;
  while ((got = jb_step(st, "an expert's evidence", err)) > 0) {
    jb_buf_adds(&b, (const char *)sqlite3_column_text(st, 0));
    jb_buf_addc(&b, '\n');
  }
  jb_db_release(st);
  if (got < 0) {
    jb_buf_free(&b);
    return (jb_status)-got;
  }
  jb_buf_str(&b);
  *out = b.p;
  return JB_OK;
}

static jb_status store_expert(jb_db *db, const cJSON *r, const char *doc, const cJSON *papers,
                              int doc_same, int *changed, jb_error *err) {
  const char *id = sget(r, "id");
  jb_status rc = JB_OK;
  if (!doc_same) {
    sqlite3_stmt *st = NULL;
    if (!(st = jb_db_cached(db,
                      "INSERT INTO expert(id,name,org,rank,fields,keywords,bio,programs,region,capacity,doc)"
                      " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,coalesce(?10,1),?11) ON CONFLICT(id) DO UPDATE SET"
                      " name=excluded.name, org=excluded.org, rank=excluded.rank, fields=excluded.fields,"
                      " keywords=excluded.keywords, bio=excluded.bio, programs=excluded.programs,"
                      " region=excluded.region, capacity=excluded.capacity, doc=excluded.doc", err)))
      return JB_ERR_DB;
    bind_str(st, 1, r, "id");
    bind_str(st, 2, r, "name");
    bind_str(st, 3, r, "org");
    bind_str(st, 4, r, "rank");
    bind_list(st, 5, r, "fields");
    bind_list(st, 6, r, "keywords");
    bind_str(st, 7, r, "bio");
    bind_list(st, 8, r, "programs");
    bind_str(st, 9, r, "region");
    bind_num(st, 10, r, "capacity", 1);
    sqlite3_bind_text(st, 11, doc, -1, SQLITE_STATIC);
    if ((rc = step_done(db, st, err, "storing an expert"))) return rc;
    jb_buf kw = {0}, body = {0};
    join_list(&kw, r, "fields");
    join_list(&kw, r, "keywords");
    jb_buf_printf(&body, "%s ", sget(r, "rank") ? sget(r, "rank") : "");
    join_list(&body, r, "programs");
    jb_buf_printf(&body, " %s", sget(r, "bio") ? sget(r, "bio") : "");
    rc = jb_sdoc_put(db, "expert", id, "", sget(r, "name") ? sget(r, "name") : id, jb_buf_str(&kw),
                  jb_buf_str(&body), err);
    jb_buf_free(&kw);
    jb_buf_free(&body);
    if (rc) return rc;
    *changed = 1;
  }
  if (!papers) return JB_OK;
  /* `papers` replaces the evidence set; skip the rewrite when identical. */
  jb_buf want = {0};
  const cJSON *p;
  cJSON_ArrayForEach(p, papers) {
    char *d = cJSON_PrintUnformatted(p);
    if (!d) { jb_buf_free(&want); return JB_ERR_NOMEM; }
    jb_buf_adds(&want, d);
    jb_buf_addc(&want, '\n');
    free(d);
  }
  char *have = NULL;
  if ((rc = evidence_docs(db, id, &have, err))) {
    jb_buf_free(&want);
    return rc;
  }
  int same = have && !strcmp(have, jb_buf_str(&want));
  int had = have && *have; /* an expert new to the database has nothing to delete */
  free(have);
  jb_buf_free(&want);
  if (same) return JB_OK;
  *changed = 1;
  sqlite3_stmt *st = NULL;
  /* the delete trigger needs the old rows indexed; flushing for a new expert
  ** (nothing to delete) made FTS5 write tiny segments, most of import time */
  if (had && (rc = jb_fts_flush(db, err))) return rc;
  if (!(st = jb_db_cached(db, "DELETE FROM sdoc WHERE kind='evidence' AND ref=?1", err))) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if ((rc = step_done(db, st, err, "replacing evidence"))) return rc;
  if (!(st = jb_db_cached(db, "DELETE FROM evidence WHERE expert=?1", err))) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if ((rc = step_done(db, st, err, "replacing evidence"))) return rc;
  cJSON_ArrayForEach(p, papers) {
    if ((rc = store_one_evidence(db, id, p, err))) return rc;
  }
  return had ? jb_attach_prune(db, id, err) : JB_OK;
}

static jb_status store_relation(jb_db *db, const cJSON *r, const char *kind, const char *doc,
                                jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (!(st = jb_db_cached(db,
                    "INSERT INTO relation(kind,expert,org,year,note,doc) VALUES(?1,?2,?3,?4,?5,?6)"
                    " ON CONFLICT(kind,expert,org) DO UPDATE SET year=excluded.year,"
                    " note=excluded.note, doc=excluded.doc", err)))
    return JB_ERR_DB;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  bind_str(st, 2, r, "expert");
  bind_str(st, 3, r, "org");
  bind_num(st, 4, r, "year", 1);
  bind_str(st, 5, r, "note");
  sqlite3_bind_text(st, 6, doc, -1, SQLITE_STATIC);
  return step_done(db, st, err, "storing a relation");
}

static jb_status store_outcome(jb_db *db, const cJSON *r, const char *ctype, const char *doc,
                               jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (!(st = jb_db_cached(db,
                    "INSERT INTO outcome(need,ctype,cand,state,date,signed,value,doc)"
                    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(need,ctype,cand) DO UPDATE SET"
                    " state=excluded.state, date=excluded.date, signed=excluded.signed,"
                    " value=excluded.value, doc=excluded.doc", err)))
    return JB_ERR_DB;
  bind_str(st, 1, r, "need");
  sqlite3_bind_text(st, 2, ctype, -1, SQLITE_STATIC);
  bind_str(st, 3, r, ctype);
  bind_str(st, 4, r, "state");
  bind_str(st, 5, r, "date");
  bind_str(st, 6, r, "signed");
  bind_num(st, 7, r, "value", 0);
  sqlite3_bind_text(st, 8, doc, -1, SQLITE_STATIC);
  return step_done(db, st, err, "storing an outcome");
}

/* A patch: the stored record's fields in their order, each replaced by the
** given one when given (null included: it clears), then the fields new to
** the record (caller owns; NULL on out of memory). */
static cJSON *merge_patch(const char *olddoc, const cJSON *in) {
  cJSON *m = cJSON_Parse(olddoc);
  if (!m) return NULL;
  const cJSON *j;
  cJSON_ArrayForEach(j, in) {
    cJSON *copy = cJSON_Duplicate(j, 1);
    if (!copy) { cJSON_Delete(m); return NULL; }
    if (cJSON_GetObjectItemCaseSensitive(m, j->string)) cJSON_ReplaceItemInObjectCaseSensitive(m, j->string, copy);
    else cJSON_AddItemToObject(m, j->string, copy);
  }
  return m;
}

/* The record's kind from its type field, else `deflt`. */
static jb_status record_kind(vctx *v, cJSON *rec, jb_kind deflt, jb_kind *out) {
  jb_kind k = deflt;
  cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
  if (type) {
    if (!cJSON_IsString(type)) return bad(v, "type", jb_msg(JB_MSG_REC_TYPE_NOT_STRING), json_kind(type));
    if (check_string(v, "type", type->valuestring, 100, 0)) return JB_ERR_INVALID;
    k = jb_kind_parse(type->valuestring);
    if (k == JB_KIND_UNKNOWN)
      return bad(v, "type", jb_msg(JB_MSG_REC_TYPE_UNKNOWN), type->valuestring);
  }
  if (k == JB_KIND_UNKNOWN)
    return bad(v, "type", jb_msg(JB_MSG_REC_TYPE_MISSING), "");
  /* Evidence in eval-style expert records is called "papers"; "evidence" is
  ** accepted as a synonym and stored under "papers". */
  if (k == JB_KIND_EXPERT && cJSON_GetObjectItemCaseSensitive(rec, "evidence") &&
      cJSON_GetObjectItemCaseSensitive(rec, "papers"))
    return bad(v, "evidence", jb_msg(JB_MSG_REC_PAPERS_BOTH), "");
  *out = k;
  return JB_OK;
}

/* Stores one evidence item as an entry of its expert's papers list. */
static jb_status store_evidence_record(jb_db *db, cJSON *rec, int *changed, jb_error *err) {
  cJSON *expert = cJSON_DetachItemFromObjectCaseSensitive(rec, "expert");
  cJSON_DeleteItemFromObjectCaseSensitive(rec, "type");
  char *old = existing_doc(db, "SELECT doc FROM evidence WHERE expert=?1 AND id=?2",
                           expert->valuestring, sget(rec, "id"), NULL);
  char *doc = cJSON_PrintUnformatted(rec);
  jb_status rc = JB_OK;
  if (!doc) rc = JB_ERR_NOMEM;
  else if (!old || strcmp(old, doc)) {
    char *before = jb_record_snapshot(db, JB_KIND_EXPERT, expert->valuestring);
    rc = jb_history_note(db, JB_KIND_EXPERT, expert->valuestring, "update", before, 0, err);
    free(before);
    if (!rc) rc = store_one_evidence(db, expert->valuestring, rec, err);
    *changed = old ? 2 : 1;
  }
  free(old);
  free(doc);
  cJSON_Delete(expert);
  return rc;
}

/* Writes a validated, canonical record of kind k (not evidence): compares
** with the stored doc `old`, notes the change in the history, upserts. */
static jb_status write_record(jb_db *db, jb_kind k, cJSON *rec, const char *old, const char *hkey,
                              int *changed, jb_error *err) {
  cJSON *papers = NULL;
  if (k == JB_KIND_EXPERT) papers = cJSON_DetachItemFromObjectCaseSensitive(rec, "papers");
  char *doc = cJSON_PrintUnformatted(rec);
  if (!doc) { cJSON_Delete(papers); return JB_ERR_NOMEM; }
  int same = old && !strcmp(old, doc);
  jb_status rc = JB_OK;
  if (k == JB_KIND_EXPERT) {
    /* the expert's whole previous version includes its evidence */
    char *before = old ? jb_record_snapshot(db, k, hkey) : NULL;
    int ch = 0;
    rc = store_expert(db, rec, doc, papers, same, &ch, err);
    if (!rc && ch) {
      *changed = old ? 2 : 1;
      rc = jb_history_note(db, k, hkey, old ? "update" : "insert", before, 0, err);
    }
    free(before);
  } else if (!same) {
    rc = jb_history_note(db, k, hkey, old ? "update" : "insert", old, 0, err);
    if (!rc) switch (k) {
    case JB_KIND_ORG: rc = store_org(db, rec, doc, err); break;
    case JB_KIND_NEED: rc = store_need(db, rec, doc, err); break;
    case JB_KIND_ACHIEVEMENT: rc = store_achievement(db, rec, doc, err); break;
    case JB_KIND_OUTCOME:
      rc = store_outcome(db, rec, sget(rec, "expert") ? "expert" : sget(rec, "achievement") ? "achievement" : "org",
                         doc, err);
      break;
    default: rc = store_relation(db, rec, kinds[k].name, doc, err); break;
    }
    *changed = old ? 2 : 1;
  }
  free(doc);
  cJSON_Delete(papers);
  return rc;
}

/* Moves the "file" of a need, achievement or evidence item (and of each of
** an expert's papers) out of the record into files[] as [kind, ref, sub,
** path]: the record's doc stays what it describes, wherever its file lies. */
static void take_files(cJSON *rec, jb_kind k, cJSON *files) {
  const char *kind = k == JB_KIND_NEED ? "need" : k == JB_KIND_ACHIEVEMENT ? "achievement" : "evidence";
  if (k == JB_KIND_EXPERT) {
    cJSON *p, *papers = cJSON_GetObjectItemCaseSensitive(rec, "papers");
    cJSON_ArrayForEach(p, papers) {
      cJSON *f = cJSON_DetachItemFromObjectCaseSensitive(p, "file");
      if (!f) continue;
      cJSON *e = cJSON_CreateArray();
      cJSON_AddItemToArray(e, cJSON_CreateString("evidence"));
      cJSON_AddItemToArray(e, cJSON_CreateString(sget(rec, "id")));
      cJSON_AddItemToArray(e, cJSON_CreateString(sget(p, "id")));
      cJSON_AddItemToArray(e, f);
      cJSON_AddItemToArray(files, e);
    }
    return;
  }
  if (k != JB_KIND_NEED && k != JB_KIND_ACHIEVEMENT && k != JB_KIND_EVIDENCE) return;
  cJSON *f = cJSON_DetachItemFromObjectCaseSensitive(rec, "file");
  if (!f) return;
  cJSON *e = cJSON_CreateArray();
  cJSON_AddItemToArray(e, cJSON_CreateString(kind));
  cJSON_AddItemToArray(e, cJSON_CreateString(k == JB_KIND_EVIDENCE ? sget(rec, "expert") : sget(rec, "id")));
  cJSON_AddItemToArray(e, cJSON_CreateString(k == JB_KIND_EVIDENCE ? sget(rec, "id") : ""));
  cJSON_AddItemToArray(e, f);
  cJSON_AddItemToArray(files, e);
}

static jb_status store_record(jb_db *db, cJSON *in, jb_kind deflt, int flags, const jb_loc *loc, int *changed,
                              cJSON *files, jb_error *err);

jb_status jb_record_store(jb_db *db, cJSON *rec, jb_kind deflt, int flags, const jb_loc *loc, int *changed,
                          jb_error *err) {
  cJSON *files = cJSON_CreateArray();
  if (!files) return JB_ERR_NOMEM;
  jb_status rc = store_record(db, rec, deflt, flags, loc, changed, files, err);
  const cJSON *f;
  cJSON_ArrayForEach(f, files) {
    if (rc) break;
    const char *part[4];
    for (int i = 0; i < 4; i++) {
      const cJSON *x = cJSON_GetArrayItem(f, i);
      part[i] = cJSON_IsString(x) ? x->valuestring : "";
    }
    int ch = 0;
    loc->att->source = loc->file;
    loc->att->line = loc->line;
    rc = jb_attach_path(db, loc->att, part[0], part[1], part[2], part[3], &ch, err);
    if (ch && !*changed) *changed = 2;
    if (rc && err) { /* say where, as for the record's other fields */
      jb_error inner = *err;
      jb_err_at(err, inner.code, loc->file, loc->line, "file", "%s", inner.message);
    }
  }
  cJSON_Delete(files);
  return rc;
}

static jb_status store_record(jb_db *db, cJSON *in, jb_kind deflt, int flags, const jb_loc *loc, int *changed,
                              cJSON *files, jb_error *err) {
  vctx v = {db, loc, err};
  *changed = 0;
  if (!cJSON_IsObject(in)) return bad(&v, NULL, jb_msg(JB_MSG_REC_NOT_OBJECT), json_kind(in));
  jb_kind k = JB_KIND_UNKNOWN, hk = JB_KIND_UNKNOWN;
  jb_status rc = record_kind(&v, in, deflt, &k);
  if (rc) return rc;
  /* the stored version, found by the key as given (before validation, so
  ** that a patch is validated merged, as the record it makes) */
  jb_buf key = {0};
  char *old = NULL;
  cJSON *merged = NULL, *oldrec = NULL, *rec = in;
  if (jb_record_hkey(k, in, &hk, &key) == 0) {
    if (k == JB_KIND_EVIDENCE) {
      const cJSON *ex = cJSON_GetObjectItemCaseSensitive(in, "expert");
      char ib[64];
      const char *eid = id_text(cJSON_GetObjectItemCaseSensitive(in, "id"), ib, sizeof(ib));
      if (cJSON_IsString(ex) && eid)
        old = existing_doc(db, "SELECT doc FROM evidence WHERE expert=?1 AND id=?2", ex->valuestring, eid, NULL);
    } else {
      old = jb_record_stored_doc(db, k, jb_buf_str(&key));
    }
  }
  if (old && !(flags & JB_STORE_REPLACE)) {
    if (!(rec = merged = merge_patch(old, in))) rc = JB_ERR_NOMEM;
  }
  if (!rc) rc = check_fields(&v, rec, kinds[k].fields, NULL);
  if (!rc && k == JB_KIND_OUTCOME) {
    if (old && !(oldrec = cJSON_Parse(old))) rc = JB_ERR_NOMEM;
    if (!rc) rc = jb_outcome_check(rec, oldrec, flags, loc, err);
  }
  if (rc) goto done;
  ids_to_strings(rec);
  if (k == JB_KIND_EXPERT) {
    cJSON *ev = cJSON_DetachItemFromObjectCaseSensitive(rec, "evidence");
    if (ev) cJSON_AddItemToObject(rec, "papers", ev);
  }
  take_files(rec, k, files);

  /* canonical doc: the type first, by its canonical name */
  if (type_first(rec, kinds[k].name)) { rc = JB_ERR_NOMEM; goto done; }
  /* the key again, now that ids are strings */
  if (jb_record_hkey(k, rec, &hk, &key)) { rc = bad(&v, NULL, "record without its key fields%s", ""); goto done; }
  if (k == JB_KIND_EVIDENCE) rc = store_evidence_record(db, rec, changed, err);
  else rc = write_record(db, k, rec, old, jb_buf_str(&key), changed, err);
  if (rc && loc && err && !err->line) {
    /* a database error while storing: still say where */
    jb_error inner = *err;
    jb_err_at(err, inner.code, loc->file, loc->line, NULL, "%s", inner.message);
  }
done:
  free(old);
  cJSON_Delete(merged);
  cJSON_Delete(oldrec);
  jb_buf_free(&key);
  return rc;
}

cJSON *jb_record_public(const char *doc, int with_contacts) {
  cJSON *o = cJSON_Parse(doc ? doc : "{}");
  if (o && !with_contacts) cJSON_DeleteItemFromObjectCaseSensitive(o, "contact");
  return o;
}

/* ------------------------------------------------------------------- CSV */

static const field_spec *spec_field(jb_kind k, const char *name) {
  if (k < 0 || k >= JB_KIND_COUNT) return NULL;
  for (const field_spec *f = kinds[k].fields; f->name; f++)
    if (!strcmp(f->name, name)) return f;
  return NULL;
}

int jb_kind_fields(jb_kind k, jb_field_info *out, int max) {
  static const char *const contact[] = {"contact.name", "contact.phone", "contact.email", "contact.address"};
  int n = 0;
  if (k < 0 || k >= JB_KIND_COUNT) return 0;
  for (const field_spec *f = kinds[k].fields; f->name && n < max; f++) {
    if (f->t == F_TYPE || f->t == F_PAPERS) continue;
    if (f->t == F_CONTACT) {
      for (int i = 0; i < 4 && n < max; i++) out[n++] = (jb_field_info){contact[i], 0, 0, 0, NULL};
      continue;
    }
    out[n++] = (jb_field_info){f->name, f->t == F_LIST, f->t == F_INT || f->t == F_NUM, f->required,
                               f->t == F_ENUM ? f->values : NULL};
  }
  return n;
}

int jb_field_known(jb_kind k, const char *name) {
  if (!strcmp(name, "type") || !strncmp(name, "contact.", 8)) return 1;
  if (k == JB_KIND_UNKNOWN) {
    for (int i = 0; i < JB_KIND_COUNT; i++)
      if (spec_field((jb_kind)i, name)) return 1;
    return 0;
  }
  return spec_field(k, name) != NULL;
}

cJSON *jb_record_from_row(jb_kind deflt, char **hdr, char **vals, int n) {
  jb_kind k = deflt;
  for (int i = 0; i < n; i++)
    if (!strcmp(hdr[i], "type") && *vals[i]) k = jb_kind_parse(vals[i]);
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  for (int i = 0; i < n; i++) {
    const char *h = hdr[i], *v = vals[i];
    if (!h || !*v || !*h) continue; /* an empty cell is an absent field: a patch keeps it */
    if (!strcmp(v, "null")) {
      /* the one way to clear a field from a table (records.md) */
      if (!strncmp(h, "contact.", 8)) continue;
      cJSON_AddNullToObject(o, h);
      continue;
    }
    if (!strncmp(h, "contact.", 8)) {
      cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "contact");
      if (!c) c = cJSON_AddObjectToObject(o, "contact");
      if (cJSON_IsObject(c)) cJSON_AddStringToObject(c, h + 8, v);
      continue;
    }
    const field_spec *f = spec_field(k, h);
    if (f && f->t == F_LIST) {
      cJSON *a = cJSON_AddArrayToObject(o, h);
      /* ';' and the full-width '；' both separate: Chinese Excel users type either */
      const char *p = v;
      while (*p) {
        const char *e = p;
        while (*e && *e != ';' && strncmp(e, "\xEF\xBC\x9B", 3)) e++;
        size_t len = (size_t)(e - p);
        while (len && (p[0] == ' ')) { p++; len--; }
        while (len && p[len - 1] == ' ') len--;
        if (len) {
          char *item = jb_strndup(p, len);
          if (item) cJSON_AddItemToArray(a, cJSON_CreateString(item));
          free(item);
        }
        if (!*e) break;
        p = e + (*e == ';' ? 1 : 3);
      }
      continue;
    }
    if (f && (f->t == F_INT || f->t == F_NUM)) {
      char *end = NULL;
      double d = strtod(v, &end);
      if (end && end != v && !*end) {
        cJSON_AddNumberToObject(o, h, d);
        continue;
      }
    }
    cJSON_AddStringToObject(o, h, v); /* validation reports a wrong type by name */
  }
  return o;
}
