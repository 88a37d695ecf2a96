/*
** store_import.c — importing JSON Lines and CSV files.
**
** Each file is one transaction: either every record of it is stored or none
** (unless --skip-invalid, where each good record is stored and each bad one
** reported). Files are applied in dependency order — organizations, then
** experts, achievements, needs, relations — whatever order the shell gives,
** so importing a whole corpus folder works in one command.
*/
#include "jb_int.h"
#include <errno.h>
#include <iconv.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- input source */

typedef struct source {
  FILE *f;
  char *mem;         /* converted contents when an encoding was given */
  const char *path;
  int csv;           /* a table: .csv, or tab-separated .tsv/.txt */
  char delim;        /* ',' or '\t' */
  int xlsx;          /* an Excel workbook: read by store_xlsx.c */
} source;

static int has_ext(const char *path, const char *ext) {
  size_t n = strlen(path), k = strlen(ext);
  return n > k && !strcasecmp(path + n - k, ext);
}

static int is_csv_path(const char *path) {
  return has_ext(path, ".csv") || has_ext(path, ".tsv") || has_ext(path, ".txt");
}

static int is_xlsx_path(const char *path) { return has_ext(path, ".xlsx") || has_ext(path, ".xlsm"); }

/* Excel's "Unicode text" is UTF-16 with a byte order mark (and tabs). */
static int starts_utf16(const char *path) {
  if (!strcmp(path, "-")) return 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  unsigned char b[2] = {0, 0};
  size_t got = fread(b, 1, 2, f);
  fclose(f);
  return got == 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
}

/* Converts in[0..inn) from `encoding` to UTF-8 (caller frees *out); `path`
** names the input in errors. */
static jb_status convert_mem(const char *path, const char *inp, size_t inn, const char *encoding, char **out,
                             size_t *outn, jb_error *err) {
  iconv_t cd = iconv_open("UTF-8", encoding);
  if (cd == (iconv_t)-1) {
    jb_err_set(err, JB_ERR_USAGE, "unknown encoding '%s' (try GB18030, GBK, UTF-8)", encoding);
    return JB_ERR_USAGE;
  }
  size_t cap = inn * 2 + 16;
  char *buf = malloc(cap);
  char *ip = (char *)(inp ? inp : ""), *op = buf;
  size_t il = inn, ol = cap;
  jb_status rc = JB_OK;
  if (!buf) rc = JB_ERR_NOMEM;
  while (!rc && il > 0) {
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
      if (errno == E2BIG) {
        size_t used = (size_t)(op - buf);
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) { rc = JB_ERR_NOMEM; break; }
        buf = nb;
        op = buf + used;
        ol = cap - used;
        continue;
      }
      /* count the line of the bad byte for the message */
      long line = 1;
      for (const char *p = inp; p < ip; p++) line += (*p == '\n');
      jb_err_at(err, JB_ERR_PARSE, path, line, NULL, "not valid %s at byte %ld", encoding,
                (long)(ip - inp));
      rc = JB_ERR_PARSE;
    }
  }
  iconv_close(cd);
  if (rc) {
    free(buf);
    if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "%s: out of memory converting", path);
    return rc;
  }
  *out = buf;
  *outn = (size_t)(op - buf);
  return JB_OK;
}

/* Reads a whole file and converts it from `encoding` to UTF-8. */
static jb_status convert_file(const char *path, const char *encoding, char **out, size_t *outn,
                              jb_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    jb_err_set(err, JB_ERR_IO, "%s: %s", path, strerror(errno));
    return JB_ERR_IO;
  }
  jb_buf in = {0};
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) jb_buf_add(&in, chunk, got);
  fclose(f);
  if (in.oom) {
    jb_buf_free(&in);
    jb_err_set(err, JB_ERR_NOMEM, "%s: out of memory reading the file", path);
    return JB_ERR_NOMEM;
  }
  jb_status rc = convert_mem(path, in.p, in.n, encoding, out, outn, err);
  jb_buf_free(&in);
  return rc;
}

static jb_status source_open(source *s, const char *path, const char *encoding, jb_error *err) {
  memset(s, 0, sizeof(*s));
  s->path = path;
  s->csv = is_csv_path(path);
  s->xlsx = is_xlsx_path(path);
  s->delim = has_ext(path, ".tsv") || has_ext(path, ".txt") ? '\t' : ',';
  if (s->xlsx) return JB_OK;
  if (starts_utf16(path)) {
    /* the BOM decides, whatever --encoding says */
    encoding = "UTF-16";
    s->csv = 1;
  }
  int utf8 = !encoding || !strcasecmp(encoding, "UTF-8") || !strcasecmp(encoding, "UTF8");
  if (utf8) {
    s->f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (!s->f) {
      jb_err_set(err, JB_ERR_IO, "%s: %s", path, strerror(errno));
      return JB_ERR_IO;
    }
    return JB_OK;
  }
  size_t n = 0;
  jb_status rc = convert_file(path, encoding, &s->mem, &n, err);
  if (rc) return rc;
  if (s->csv) {
    /* a header line with tabs and no commas is tab-separated (Excel's text) */
    const char *eol = memchr(s->mem, '\n', n);
    size_t hl = eol ? (size_t)(eol - s->mem) : n;
    if (memchr(s->mem, '\t', hl) && !memchr(s->mem, ',', hl)) s->delim = '\t';
  }
  s->f = fmemopen(s->mem, n ? n : 1, "rb");
  if (!s->f) {
    free(s->mem);
    jb_err_set(err, JB_ERR_NOMEM, "%s: cannot open converted text", path);
    return JB_ERR_NOMEM;
  }
  if (!n) { fclose(s->f); s->f = fmemopen("", 1, "rb"); }
  return JB_OK;
}

/* A source over text already in memory (an upload): `name` decides CSV or
** JSON Lines, as a path would; the text is copied or converted. */
static jb_status source_open_mem(source *s, const char *name, const char *text, size_t n, const char *encoding,
                                 jb_error *err) {
  memset(s, 0, sizeof(*s));
  s->path = name;
  s->csv = is_csv_path(name);
  int utf8 = !encoding || !strcasecmp(encoding, "UTF-8") || !strcasecmp(encoding, "UTF8");
  size_t len = n;
  if (utf8) {
    s->mem = malloc(n ? n : 1);
    if (!s->mem) return JB_ERR_NOMEM;
    if (n) memcpy(s->mem, text, n);
  } else {
    jb_status rc = convert_mem(name, text, n, encoding, &s->mem, &len, err);
    if (rc) return rc;
  }
  /* fmemopen needs a non-empty buffer: an empty text reads as one empty line */
  if (!len) s->mem[0] = '\n';
  s->f = fmemopen(s->mem, len ? len : 1, "rb");
  if (!s->f) {
    free(s->mem);
    s->mem = NULL;
    jb_err_set(err, JB_ERR_NOMEM, "%s: cannot open the text", name);
    return JB_ERR_NOMEM;
  }
  return JB_OK;
}

static void source_close(source *s) {
  if (s->f && s->f != stdin) fclose(s->f);
  free(s->mem);
  memset(s, 0, sizeof(*s));
}

/* Reads one line (without its end) into b, bounded by JB_MAX_LINE_BYTES.
** Returns 1, 0 at end of file, or -1 when the line was too long (it is
** consumed). NUL bytes are kept, so they are reported, not mistaken for the
** end of the line. */
static int read_line(FILE *f, jb_buf *b) {
  jb_buf_reset(b);
  int ch, any = 0, toolong = 0;
  char chunk[4096];
  size_t nc = 0;
  while ((ch = getc_unlocked(f)) != EOF) {
    any = 1;
    if (ch == '\n') break;
    if (toolong) continue;
    chunk[nc++] = (char)ch;
    if (nc == sizeof(chunk)) {
      if (b->n + nc > JB_MAX_LINE_BYTES) toolong = 1;
      else jb_buf_add(b, chunk, nc);
      nc = 0;
    }
  }
  if (!any) return 0;
  if (!toolong && nc) {
    if (b->n + nc > JB_MAX_LINE_BYTES) toolong = 1;
    else jb_buf_add(b, chunk, nc);
  }
  if (toolong) return -1;
  jb_buf_str(b);
  while (b->n && b->p[b->n - 1] == '\r') b->p[--b->n] = 0;
  return 1;
}

/* ------------------------------------------------------------- ordering */

/* The kind a file holds, for ordering: from --type, the file name, or its
** first record. Unknown sorts last. */
static jb_kind file_kind(const char *path, const jb_import_opts *opts) {
  if (opts && opts->type) {
    jb_kind k = jb_kind_parse(opts->type);
    if (k != JB_KIND_UNKNOWN) return k;
  }
  jb_kind k = jb_kind_from_filename(path);
  if (k != JB_KIND_UNKNOWN || is_csv_path(path) || is_xlsx_path(path) || !strcmp(path, "-")) return k;
  FILE *f = fopen(path, "rb");
  if (!f) return JB_KIND_UNKNOWN;
  jb_buf b = {0};
  int r;
  while ((r = read_line(f, &b)) == 1) {
    const char *p = b.p;
    if (!strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) continue;
    cJSON *j = cJSON_Parse(p);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
    if (cJSON_IsString(t)) k = jb_kind_parse(t->valuestring);
    cJSON_Delete(j);
    break;
  }
  jb_buf_free(&b);
  fclose(f);
  return k;
}

/* ------------------------------------------------------------ one file */

typedef struct seen_ids {
  /* open-addressing set of "kind\tid" → first line, for duplicate ids in a file */
  char **keys;
  long *lines;
  size_t cap, n;
} seen_ids;

static void seen_free(seen_ids *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
  free(s->keys);
  free(s->lines);
  memset(s, 0, sizeof(*s));
}

/* Returns the first line of an earlier record with the same key, 0 if new,
** -1 on out of memory. */
static long seen_add(seen_ids *s, const char *key, long line) {
  if ((s->n + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 1024;
    char **k = calloc(cap, sizeof(char *));
    long *l = calloc(cap, sizeof(long));
    if (!k || !l) { free(k); free(l); return -1; }
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->keys[i]) continue;
      size_t h = jb_hash64(s->keys[i], strlen(s->keys[i]), 0) & (cap - 1);
      while (k[h]) h = (h + 1) & (cap - 1);
      k[h] = s->keys[i];
      l[h] = s->lines[i];
    }
    free(s->keys);
    free(s->lines);
    s->keys = k;
    s->lines = l;
    s->cap = cap;
  }
  size_t h = jb_hash64(key, strlen(key), 0) & (s->cap - 1);
  while (s->keys[h]) {
    if (!strcmp(s->keys[h], key)) return s->lines[h];
    h = (h + 1) & (s->cap - 1);
  }
  if (!(s->keys[h] = jb_strdup(key))) return -1;
  s->lines[h] = line;
  s->n++;
  return 0;
}

/* The identity of a record within a file: type and id (or expert/org). */
static jb_kind record_kind(const cJSON *rec, jb_kind deflt) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
  return cJSON_IsString(t) ? jb_kind_parse(t->valuestring) : deflt;
}

/* The identity of a record within a file: its kind and key (the history
** key: id, expert+org, need+candidate; evidence by expert and id). */
static void record_key(const cJSON *rec, jb_kind deflt, jb_buf *key) {
  jb_kind k = record_kind(rec, deflt), hk;
  jb_buf part = {0};
  jb_record_hkey(k, rec, &hk, &part);
  jb_buf_reset(key);
  jb_buf_printf(key, "%s\t%s", jb_kind_name(k), part.n ? jb_buf_str(&part) : "");
  if (k == JB_KIND_EVIDENCE) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    if (cJSON_IsString(id)) jb_buf_printf(key, "\t%s", id->valuestring);
    else if (cJSON_IsNumber(id)) jb_buf_printf(key, "\t%.0f", id->valuedouble);
  }
  jb_buf_free(&part);
}

/* A table being imported (a CSV file, an .xlsx sheet): its header as
** written and as the fields it names. */
typedef struct table {
  const char *name;  /* for messages: the file, or "book.xlsx[需求]" */
  jb_kind kind;      /* from the sheet's name, --type or the file name */
  int n;
  char **orig;       /* headers as written */
  char **field;      /* the field each column names; "" for an ignored column */
} table;

static const char *column_of(void *ctx, const char *field) {
  const table *t = ctx;
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->field[i], field)) return t->orig[i];
  return NULL;
}

static void table_clear(table *t) {
  for (int i = 0; i < t->n; i++) {
    free(t->orig[i]);
    free(t->field[i]);
  }
  free(t->orig);
  free(t->field);
  t->orig = t->field = NULL;
  t->n = 0;
}

typedef struct importer {
  jb_db *db;
  table *table;      /* the table being read, or NULL for JSON Lines */
  const jb_import_opts *opts;
  jb_import_stats *stats;
  jb_error *err;
  const char *file;
  jb_kind deflt;
  seen_ids seen;
  jb_buf key;
  jb_status first;   /* first error, kept while skipping */
  jb_error first_err;
  jb_import_stats before; /* the counts when this file began, to undo its share on rollback */
  jb_attacher att;   /* attached files, relative to the file (files only) */
  int files_ok;      /* records may attach files: they come from a file */
} importer;

static void report(importer *im, const jb_error *e) {
  if (im->opts && im->opts->on_error) im->opts->on_error(im->opts->ctx, e);
}

/* Validates and stores one record; in skip mode a failure is rolled back to
** the record's savepoint and reported, and the import goes on. */
/* 1 when rec is the first line of an export --no-contacts sharing copy. */
static int is_sharing_copy(const cJSON *rec) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, "contacts");
  return cJSON_IsString(t) && !strcmp(t->valuestring, "export") && cJSON_IsString(c) &&
         !strcmp(c->valuestring, "removed");
}

static jb_status take_record(importer *im, cJSON *rec, long line, jb_error *e) {
  if (jb_interrupted()) {
    /* the file under way is rolled back by the caller */
    jb_err_set(e, JB_ERR_INTERRUPTED, "%s: %s", im->file, jb_msg(JB_MSG_IMP_INTERRUPTED));
    return JB_ERR_INTERRUPTED;
  }
  if (im->opts && im->opts->on_progress && im->stats && im->stats->read % 1000 == 999)
    im->opts->on_progress(im->opts->ctx, im->file, im->stats->read + 1);
  jb_loc loc = {im->file, line, im->files_ok ? &im->att : NULL, im->opts && im->opts->new_chains, NULL, NULL};
  if (im->table) {
    loc.file = im->table->name;
    loc.column_of = column_of;
    loc.ctx = im->table;
  }
  jb_status rc = JB_OK;
  int changed = 0;
  if (is_sharing_copy(rec)) {
    /* Records replace the stored ones whole: a copy without contacts would
    ** erase every stored contact while reporting "updated". */
    jb_err_at(e, JB_ERR_INVALID, im->file, line, NULL,
              "this file is a sharing copy (export --no-contacts): importing it would erase the stored "
              "contact details; import a full export (the default) instead");
    if (im->stats) { im->stats->read++; im->stats->invalid++; }
    return JB_ERR_INVALID;
  }
  jb_kind kind = im->table && im->table->kind != JB_KIND_UNKNOWN ? im->table->kind : im->deflt;
  int hline = cJSON_IsObject(rec) && jb_history_line(rec);
  if (cJSON_IsObject(rec) && !hline) {
    record_key(rec, kind, &im->key);
    long first = seen_add(&im->seen, jb_buf_str(&im->key), line);
    if (first < 0) {
      jb_err_set(e, JB_ERR_NOMEM, "out of memory");
      return JB_ERR_NOMEM;
    }
    if (first > 0) {
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
      jb_err_at(e, JB_ERR_INVALID, im->file, line, "id", "duplicate record '%s' in this file (first on line %ld)",
                cJSON_IsString(id) ? id->valuestring : "", first);
      rc = JB_ERR_INVALID;
    }
  }
  int skip = im->opts && im->opts->skip_invalid;
  int flags = (im->opts && im->opts->replace ? JB_STORE_REPLACE : 0) | (im->opts && im->opts->force ? JB_STORE_FORCE : 0);
  if (!rc && skip) sqlite3_exec(im->db->db, "SAVEPOINT rec", NULL, NULL, NULL);
  if (!rc && hline) rc = jb_history_restore(im->db, rec, &loc, e);
  else if (!rc) rc = jb_record_store(im->db, rec, kind, flags, &loc, &changed, e);
  if (skip && !rc) sqlite3_exec(im->db->db, "RELEASE rec", NULL, NULL, NULL);
  if (skip && rc && rc != JB_ERR_INVALID) {
    sqlite3_exec(im->db->db, "ROLLBACK TO rec", NULL, NULL, NULL);
    sqlite3_exec(im->db->db, "RELEASE rec", NULL, NULL, NULL);
    jb_change_rolled_back(im->db);
  }
  if (im->stats && hline && !rc) im->stats->history++;
  else if (im->stats) {
    im->stats->read++;
    /* a database or I/O error is not the record's fault */
    if (rc == JB_ERR_INVALID || rc == JB_ERR_PARSE || rc == JB_ERR_LIMIT) im->stats->invalid++;
    else if (rc) im->stats->errors++;
    else if (changed == 1) im->stats->inserted++;
    else if (changed == 2) im->stats->updated++;
    else im->stats->unchanged++;
  }
  if (!rc && im->opts && im->opts->on_record && cJSON_IsObject(rec)) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    im->opts->on_record(im->opts->ctx, cJSON_IsString(t) ? t->valuestring : jb_kind_name(kind),
                        cJSON_IsString(id) ? id->valuestring : "", line, changed);
  }
  return rc;
}

/* Handles a record's failure: remember and report it; say whether to stop. */
static int failed(importer *im, jb_status rc, const jb_error *e) {
  if (!im->first) {
    im->first = rc;
    im->first_err = *e;
  }
  report(im, e);
  /* only bad records are skippable; a database failure ends the file */
  return !(im->opts && im->opts->skip_invalid) ||
         !(rc == JB_ERR_INVALID || rc == JB_ERR_PARSE || rc == JB_ERR_LIMIT);
}

static void parse_error(importer *im, const char *line, size_t n, long lineno, jb_error *e) {
  const char *ep = cJSON_GetErrorPtr();
  /* cJSON can point one byte into a multi-byte character ({中}): back up to
  ** its first byte, so that the column names it and the quote starts with it. */
  while (ep && ep > line && ep < line + n && ((unsigned char)*ep & 0xC0) == 0x80) ep--;
  long col = (ep && ep >= line && ep <= line + n) ? (long)(ep - line) + 1 : 0;
  char near[48] = "";
  if (ep && ep >= line && ep < line + n) {
    size_t k = 0;
    while (k < 20 && ep[k]) k++;
    while (k > 0 && k < (size_t)(line + n - ep) && ((unsigned char)ep[k] & 0xC0) == 0x80) k--;
    snprintf(near, sizeof(near), " near '%.*s'", (int)k, ep);
  }
  jb_err_at(e, JB_ERR_PARSE, im->file, lineno, NULL, "malformed JSON at column %ld%s", col, near);
}

static jb_status import_jsonl(importer *im, source *src) {
  jb_buf line = {0};
  jb_error e;
  long lineno = 0;
  int r;
  jb_status stop = JB_OK;
  while ((r = read_line(src->f, &line)) != 0) {
    lineno++;
    jb_status rc = JB_OK;
    cJSON *rec = NULL;
    if (r < 0) {
      jb_err_at(&e, JB_ERR_LIMIT, im->file, lineno, NULL, "line longer than %d bytes", JB_MAX_LINE_BYTES);
      rc = JB_ERR_LIMIT;
    } else {
      char *p = line.p;
      size_t n = line.n;
      if (lineno == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) { p += 3; n -= 3; }
      size_t i = 0;
      while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
      if (i == n) continue; /* blank line */
      long badat = jb_utf8_invalid_at(p, n);
      const char *nul = memchr(p, 0, n);
      if (nul) {
        jb_err_at(&e, JB_ERR_PARSE, im->file, lineno, NULL, "NUL byte at column %ld: not allowed in text",
                  (long)(nul - p) + 1);
        rc = JB_ERR_PARSE;
      } else if (badat >= 0) {
        jb_err_at(&e, JB_ERR_PARSE, im->file, lineno, NULL,
                  "invalid UTF-8 at byte %ld of the line (for GBK/GB18030 text use --encoding GB18030)",
                  badat + 1);
        rc = JB_ERR_PARSE;
      } else if (jb_json_nul_escape_at(p, n) >= 0) {
        jb_err_at(&e, JB_ERR_PARSE, im->file, lineno, NULL,
                  "\\u0000 (NUL) in a string at column %ld: not allowed in text", jb_json_nul_escape_at(p, n) + 1);
        rc = JB_ERR_PARSE;
      } else {
        const char *end = NULL;
        rec = cJSON_ParseWithLengthOpts(p, n, &end, 0);
        const char *dup = rec ? jb_json_duplicate_key(rec) : NULL;
        if (dup) {
          jb_err_at(&e, JB_ERR_PARSE, im->file, lineno, NULL,
                    "key '%s' appears twice in one object (readers disagree on which value counts)", dup);
          rc = JB_ERR_PARSE;
        } else if (rec) {
          while (end < p + n && (*end == ' ' || *end == '\t')) end++;
          if (end != p + n) {
            jb_err_at(&e, JB_ERR_PARSE, im->file, lineno, NULL,
                      "unexpected text after the JSON object at column %ld (one record per line; NUL bytes are not allowed)",
                      (long)(end - p) + 1);
            rc = JB_ERR_PARSE;
          }
        } else {
          parse_error(im, p, n, lineno, &e);
          rc = JB_ERR_PARSE;
        }
      }
    }
    if (!rc) rc = take_record(im, rec, lineno, &e);
    else if (im->stats) { im->stats->read++; im->stats->invalid++; }
    cJSON_Delete(rec);
    if (rc && failed(im, rc, &e)) { stop = rc; break; }
  }
  if (!stop && ferror(src->f)) {
    jb_err_set(&e, JB_ERR_IO, "%s: read error", im->file);
    failed(im, JB_ERR_IO, &e);
    stop = JB_ERR_IO;
  }
  jb_buf_free(&line);
  return stop;
}

/* A row source: a CSV reader or an .xlsx sheet; jb_csv_next's contract. */
typedef int (*next_row_fn)(void *ctx, char ***fields, int *nf, long *line);

static int csv_next(void *ctx, char ***fields, int *nf, long *line) {
  return jb_csv_next(ctx, fields, nf, line);
}

static int row_blank(char **fields, int nf, int *nonempty) {
  int n = 0;
  for (int i = 0; i < nf; i++) n += *fields[i] != 0;
  if (nonempty) *nonempty = n;
  return n == 0;
}

/* Maps a header row to fields: Chinese or English names, row counters
** ignored; two columns naming one field is an error (which would win?). */
static jb_status table_header(importer *im, table *t, char **fields, int nf, long line, jb_error *e) {
  /* no --type, file or sheet name said the kind: the headers may */
  if (t->kind == JB_KIND_UNKNOWN) t->kind = jb_kind_from_headers(fields, nf);
  t->orig = calloc((size_t)nf + 1, sizeof(char *));
  t->field = calloc((size_t)nf + 1, sizeof(char *));
  if (!t->orig || !t->field) return JB_ERR_NOMEM;
  for (int i = 0; i < nf; i++) {
    const char *h = fields[i];
    if (!strncmp(h, "\xEF\xBB\xBF", 3)) h += 3;
    if (jb_utf8_invalid_at(h, strlen(h)) >= 0) {
      jb_err_at(e, JB_ERR_PARSE, t->name, line, NULL, "%s", jb_msg(JB_MSG_IMP_HEADER_UTF8));
      return JB_ERR_PARSE;
    }
    char lower[256];
    const char *f = jb_header_ignored(h) ? "" : jb_header_field(t->kind, h, lower, sizeof(lower));
    t->orig[i] = jb_strdup(h);
    t->field[i] = jb_strdup(f ? f : "");
    t->n = i + 1;
    if (!t->orig[i] || !t->field[i]) return JB_ERR_NOMEM;
    jb_cell_normalize(t->orig[i]);
    for (int k = 0; k < i && *t->field[i]; k++)
      if (!strcmp(t->field[k], t->field[i])) {
        jb_err_at(e, JB_ERR_PARSE, t->name, line, NULL, jb_msg(JB_MSG_IMP_HEADER_TWICE), t->orig[k],
                  t->orig[i], t->field[i]);
        return JB_ERR_PARSE;
      }
  }
  return JB_OK;
}

/* Imports one table: title rows (one value, in one cell or merged across
** several, that names no field) above the header are skipped, then each row is a record checked
** and stored exactly as a JSON Lines record would be. */
static jb_status import_table(importer *im, table *t, next_row_fn next, void *ctx, int stop_on_broken) {
  jb_error e;
  jb_status stop = JB_OK;
  char **fields;
  int nf, r, have_header = 0;
  long line;
  im->table = t;
  while ((r = next(ctx, &fields, &nf, &line)) != 0) {
    jb_status rc = JB_OK;
    int counted = 0, filled;
    if (r < 0) {
      rc = (jb_status)-r;
      jb_err_at(&e, rc, t->name, line, NULL, "%s",
                jb_msg(rc == JB_ERR_LIMIT ? JB_MSG_IMP_ROW_LIMIT
                       : rc == JB_ERR_PARSE ? JB_MSG_IMP_UNTERMINATED
                       : rc == JB_ERR_INVALID ? JB_MSG_IMP_ROW_NUL : JB_MSG_STATUS_NOMEM));
    } else if (!have_header) {
      if (row_blank(fields, nf, &filled)) continue;
      char lower[256];
      const char *only = NULL;
      for (int i = 0; i < nf && !only; i++) if (*fields[i]) only = fields[i];
      /* a title merged across the table's columns (an .xlsx merge is
      ** filled with its value) is still one value */
      int same = 1;
      for (int i = 0; i < nf && same; i++) same = !*fields[i] || !strcmp(fields[i], only);
      if (same) filled = 1;
      if (filled == 1 && !(jb_header_field(t->kind, only, lower, sizeof(lower)) &&
                           jb_field_known(t->kind, jb_header_field(t->kind, only, lower, sizeof(lower)))))
        continue; /* a title above the table: "2025年辰溪县企业技术需求表" */
      if ((rc = table_header(im, t, fields, nf, line, &e))) {
        if (rc == JB_ERR_NOMEM) jb_err_set(&e, rc, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
        failed(im, rc, &e);
        stop = rc;
        break;
      }
      have_header = 1;
      continue;
    } else {
      if (row_blank(fields, nf, NULL)) continue;
      if (nf > t->n) {
        int extra = 0;
        for (int i = t->n; i < nf; i++) extra |= *fields[i] != 0;
        if (extra) {
          jb_err_at(&e, JB_ERR_PARSE, t->name, line, NULL, jb_msg(JB_MSG_IMP_TOO_MANY_FIELDS), nf, t->n);
          rc = JB_ERR_PARSE;
        }
        nf = t->n;
      }
      for (int i = 0; i < nf && !rc; i++) {
        if (jb_utf8_invalid_at(fields[i], strlen(fields[i])) >= 0) {
          jb_err_at(&e, JB_ERR_PARSE, t->name, line, t->orig[i], "%s", jb_msg(JB_MSG_IMP_CELL_UTF8));
          rc = JB_ERR_PARSE;
        }
        jb_cell_normalize(fields[i]);
      }
      /* a template's example row (id 示例-...) is not data */
      for (int i = 0; i < nf && !rc; i++)
        if (!strcmp(t->field[i], "id") && !strncmp(fields[i], "示例", strlen("示例"))) rc = JB_ERR_NOTFOUND;
      if (rc == JB_ERR_NOTFOUND) continue;
      if (!rc) {
        cJSON *rec = jb_record_from_row(t->kind, t->field, fields, nf);
        if (!rec) rc = JB_ERR_NOMEM;
        else rc = take_record(im, rec, line, &e); /* counts itself */
        cJSON_Delete(rec);
        counted = 1;
      }
    }
    if (rc && !counted && im->stats) { im->stats->read++; im->stats->invalid++; }
    if (rc && failed(im, rc, &e)) { stop = rc; break; }
    if (r < 0 && rc == JB_ERR_PARSE && stop_on_broken) { stop = rc; break; } /* cannot resync after a broken quote */
  }
  im->table = NULL;
  return stop;
}

static jb_status import_csv(importer *im, source *src) {
  jb_csv *csv = NULL;
  if (jb_csv_open(src->f, &csv)) return JB_ERR_NOMEM;
  jb_csv_set_delim(csv, src->delim ? src->delim : ',');
  table t = {0};
  t.name = im->file;
  t.kind = im->deflt;
  jb_status rc = import_table(im, &t, csv_next, csv, 1);
  table_clear(&t);
  jb_csv_free(csv);
  return rc;
}

/* Rows of a sheet, as the table importer reads them. */
typedef struct sheet_iter {
  jb_sheet *sh;
  long i;
  char **fields;
  int cap;
  char empty[1];
} sheet_iter;

static int sheet_next(void *ctx, char ***fields, int *nf, long *line) {
  sheet_iter *it = ctx;
  if (it->i >= it->sh->nrows) return 0;
  jb_sheet_row *row = &it->sh->rows[it->i++];
  if (row->n > it->cap) {
    char **f = realloc(it->fields, sizeof(char *) * (size_t)row->n);
    if (!f) return -JB_ERR_NOMEM;
    it->fields = f;
    it->cap = row->n;
  }
  for (int c = 0; c < row->n; c++) it->fields[c] = row->cells[c] ? row->cells[c] : it->empty;
  it->empty[0] = 0;
  *fields = it->fields;
  *nf = row->n;
  *line = row->r;
  return 1;
}

/* An Excel workbook: every visible sheet is a table, of the kind its name
** says (需求, 专家 ...) or the file's; sheets are applied organizations
** first, like files, and the whole workbook is one transaction. */
static jb_status import_xlsx(importer *im, const char *path) {
  jb_sheet *sheets = NULL;
  int n = 0;
  jb_error e;
  jb_status rc = jb_xlsx_read(path, &sheets, &n, &e);
  if (rc) {
    failed(im, rc, &e);
    return rc;
  }
  int *order = malloc(sizeof(int) * (size_t)(n ? n : 1));
  jb_kind *kind = malloc(sizeof(jb_kind) * (size_t)(n ? n : 1));
  char **names = calloc((size_t)(n ? n : 1), sizeof(char *));
  if (!order || !kind || !names) rc = JB_ERR_NOMEM;
  for (int i = 0; !rc && i < n; i++) {
    jb_kind k = jb_kind_from_label(sheets[i].name);
    kind[i] = k != JB_KIND_UNKNOWN && !(im->opts && im->opts->type) ? k : im->deflt;
    order[i] = i;
    jb_buf b = {0};
    jb_buf_printf(&b, "%s[%s]", path, sheets[i].name);
    names[i] = b.p;
  }
  for (int i = 1; !rc && i < n; i++)
    for (int j = i; j > 0 && (unsigned)kind[order[j - 1]] > (unsigned)kind[order[j]]; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  int imported = 0;
  for (int i = 0; !rc && i < n; i++) {
    jb_sheet *sh = &sheets[order[i]];
    if (!sh->nrows) continue;
    sheet_iter it;
    memset(&it, 0, sizeof(it));
    it.sh = sh;
    table t = {0};
    t.name = names[order[i]] ? names[order[i]] : path;
    t.kind = kind[order[i]];
    rc = import_table(im, &t, sheet_next, &it, 0);
    table_clear(&t);
    free(it.fields);
    imported++;
  }
  if (rc == JB_ERR_NOMEM) {
    jb_err_set(&e, rc, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    failed(im, rc, &e);
  } else if (!rc && !imported) {
    jb_err_set(&e, JB_ERR_PARSE, jb_msg(JB_MSG_XLSX_NO_SHEETS), path);
    failed(im, JB_ERR_PARSE, &e);
    rc = JB_ERR_PARSE;
  }
  for (int i = 0; names && i < n; i++) free(names[i]);
  free(names);
  free(order);
  free(kind);
  jb_sheets_free(sheets, n);
  return rc;
}

/* Opens the transaction one file (or one request's records) is stored in. */
static jb_status importer_start(importer *im, jb_db *db, const char *file, const char *sha,
                                const jb_import_opts *opts, jb_import_stats *stats, jb_error *err) {
  memset(im, 0, sizeof(*im));
  im->db = db;
  im->opts = opts;
  im->stats = stats;
  im->err = err;
  im->file = file;
  if (stats) im->before = *stats;
  im->deflt = opts && opts->type ? jb_kind_parse(opts->type) : JB_KIND_UNKNOWN;
  if (opts && opts->type && im->deflt == JB_KIND_UNKNOWN) {
    jb_err_set(err, JB_ERR_USAGE, "unknown --type '%s'", opts->type);
    return JB_ERR_USAGE;
  }
  return jb_write_begin(db, file, sha, err);
}

/* Commits what was stored, or rolls all of it back when rc (the first bad
** record, unless skipped) says so; reports the first bad record either way.
** Returns the file's status: skipped records come back as their error with
** the data committed. */
static jb_status importer_finish(importer *im, jb_status rc) {
  jb_db *db = im->db;
  jb_error *err = im->err;
  const jb_import_opts *o = im->opts;
  sqlite3_int64 change = jb_change_current(db);
  rc = jb_write_end(db, rc, o && o->dry_run, o ? o->changes : NULL, err);
  if (rc && im->stats) {
    /* what this file stored is undone: not "inserted" nor "updated" */
    jb_import_stats *s = im->stats;
    s->rolled_back += (s->inserted - im->before.inserted) + (s->updated - im->before.updated);
    s->inserted = im->before.inserted;
    s->updated = im->before.updated;
    s->files_failed++;
  }
  if (!rc && change && im->stats && !(o && o->dry_run)) {
    if (!im->stats->first_change) im->stats->first_change = change;
    im->stats->last_change = change;
  }
  if (im->first && err) *err = im->first_err;
  seen_free(&im->seen);
  jb_buf_free(&im->key);
  return rc ? rc : im->first;
}

/* The input file's SHA-256, recorded with its change set: which file made
** a change, even after it was edited or renamed. */
static jb_status file_sha256(const char *path, char out[65], jb_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    jb_err_set(err, JB_ERR_IO, "%s: %s", path, strerror(errno));
    return JB_ERR_IO;
  }
  jb_sha256 c;
  jb_sha256_init(&c);
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) jb_sha256_update(&c, chunk, got);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    jb_err_set(err, JB_ERR_IO, "%s: read error", path);
    return JB_ERR_IO;
  }
  jb_sha256_final(&c, out);
  return JB_OK;
}

static jb_status import_one(jb_db *db, const char *path, const jb_import_opts *opts,
                            jb_import_stats *stats, long long *file_bytes, jb_error *err) {
  source src;
  jb_status rc = source_open(&src, path, opts ? opts->encoding : NULL, err);
  if (rc) return rc;
  char sha[65] = "";
  if (strcmp(path, "-") && (rc = file_sha256(path, sha, err))) {
    source_close(&src);
    return rc;
  }
  importer im;
  if ((rc = importer_start(&im, db, path, *sha ? sha : NULL, opts, stats, err))) {
    source_close(&src);
    return rc;
  }
  if (im.deflt == JB_KIND_UNKNOWN) im.deflt = jb_kind_from_filename(path);
  im.files_ok = 1;
  im.att.base = path;
  im.att.opts = opts;
  im.att.bytes = *file_bytes; /* the limit is per import, over all its files */
  rc = src.xlsx ? import_xlsx(&im, path) : src.csv ? import_csv(&im, &src) : import_jsonl(&im, &src);
  *file_bytes = im.att.bytes;
  rc = importer_finish(&im, rc);
  source_close(&src);
  return rc;
}

jb_status jb_import_files(jb_db *db, const char *const *paths, int n, const jb_import_opts *opts,
                          jb_import_stats *stats, jb_error *err) {
  if (db->readonly) {
    jb_err_set(err, JB_ERR_USAGE, "import needs a writable database");
    return JB_ERR_USAGE;
  }
  /* stable order by kind: insertion sort over a small index array */
  int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
  int *rank = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
  if (!order || !rank) {
    free(order);
    free(rank);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  for (int i = 0; i < n; i++) {
    jb_kind k = file_kind(paths[i], opts);
    rank[i] = k == JB_KIND_UNKNOWN ? JB_KIND_COUNT : (int)k;
    order[i] = i;
  }
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && rank[order[j - 1]] > rank[order[j]]; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  jb_status first = JB_OK;
  jb_error saved;
  jb_error_clear(&saved);
  long long file_bytes = 0;
  int i = 0;
  for (; i < n; i++) {
    long failed_before = stats ? stats->files_failed : 0;
    jb_status rc = import_one(db, paths[order[i]], opts, stats, &file_bytes, err);
    if (rc && !first) {
      first = rc;
      if (err) saved = *err;
    }
    int rolled = rc && (!stats || stats->files_failed > failed_before || !(opts && opts->skip_invalid) ||
                        rc == JB_ERR_INTERRUPTED);
    if (opts && opts->on_fate)
      opts->on_fate(opts->ctx, paths[order[i]], rolled ? JB_FILE_ROLLED_BACK : JB_FILE_COMMITTED);
    /* A failed file (not merely skipped records) stops the run: later files
    ** may depend on it. So does an interrupt. */
    if (rc && (!(opts && opts->skip_invalid) || rc == JB_ERR_INTERRUPTED)) {
      for (int k = i + 1; k < n; k++) {
        if (stats) stats->files_skipped++;
        if (opts && opts->on_skipped) opts->on_skipped(opts->ctx, paths[order[k]]);
      }
      i++;
      break;
    }
  }
  for (; i < n; i++)
    if (opts && opts->on_fate) opts->on_fate(opts->ctx, paths[order[i]], JB_FILE_NOT_STARTED);
  if (first && err) *err = saved;
  free(order);
  free(rank);
  return first;
}

jb_status jb_import_json(jb_db *db, const cJSON *records, const char *source_name,
                         const jb_import_opts *opts, jb_import_stats *stats, jb_error *err) {
  if (!cJSON_IsArray(records)) {
    jb_err_set(err, JB_ERR_USAGE, "records must be a JSON array of record objects");
    return JB_ERR_USAGE;
  }
  if (db->readonly) {
    jb_err_set(err, JB_ERR_USAGE, "import needs a writable database");
    return JB_ERR_USAGE;
  }
  importer im;
  jb_status rc = importer_start(&im, db, source_name ? source_name : "records", NULL, opts, stats, err);
  /* records from a request have no input file to record */
  free(db->chg.input);
  db->chg.input = NULL;
  if (rc) return rc;
  long i = 0;
  const cJSON *r;
  jb_error e;
  cJSON_ArrayForEach(r, records) {
    i++;
    cJSON *copy = cJSON_Duplicate(r, 1);
    jb_status one = copy ? take_record(&im, copy, i, &e) : JB_ERR_NOMEM;
    cJSON_Delete(copy);
    if (one && failed(&im, one, &e)) {
      rc = one;
      break;
    }
  }
  return importer_finish(&im, rc);
}

jb_status jb_set(jb_db *db, const char *kind, const char *const *assign, int n, const jb_import_opts *opts,
                 jb_import_stats *stats, jb_error *err) {
  jb_kind k = jb_kind_parse(kind ? kind : "");
  if (k == JB_KIND_UNKNOWN || k == JB_KIND_EVIDENCE) {
    jb_err_set(err, JB_ERR_USAGE, "unknown type '%s' (org, need, expert, achievement, conflict, collaboration, outcome)",
               kind ? kind : "");
    return JB_ERR_USAGE;
  }
  /* a one-row table: the same typing of values as a CSV import */
  char **hdr = calloc((size_t)n + 1, sizeof(char *)), **vals = calloc((size_t)n + 1, sizeof(char *));
  jb_status rc = hdr && vals ? JB_OK : JB_ERR_NOMEM;
  int m = 0;
  for (int i = 0; i < n && !rc; i++) {
    const char *eq = strchr(assign[i], '=');
    if (!eq || eq == assign[i]) {
      jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_SET_EXPECTED_ASSIGN), assign[i]);
      rc = JB_ERR_USAGE;
      break;
    }
    hdr[m] = jb_strndup(assign[i], (size_t)(eq - assign[i]));
    vals[m] = jb_strdup(eq + 1);
    if (!hdr[m++] || !vals[m - 1]) rc = JB_ERR_NOMEM;
    else if (!*vals[m - 1]) {
      jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_SET_EMPTY_VALUE), hdr[m - 1], hdr[m - 1]);
      rc = JB_ERR_USAGE;
    }
  }
  cJSON *rec = rc ? NULL : jb_record_from_row(k, hdr, vals, m);
  cJSON *arr = rec ? cJSON_CreateArray() : NULL;
  if (!rc && !arr) rc = JB_ERR_NOMEM;
  if (!rc && k != JB_KIND_OUTCOME) {
    /* set changes a record; import creates them */
    jb_buf key = {0};
    jb_kind hk;
    char *doc = jb_record_hkey(k, rec, &hk, &key) ? NULL : jb_record_stored_doc(db, k, jb_buf_str(&key));
    if (!doc) {
      jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_SET_NO_RECORD), jb_kind_name(k), key.n ? jb_buf_str(&key) : "");
      rc = JB_ERR_NOTFOUND;
    }
    free(doc);
    jb_buf_free(&key);
  }
  if (!rc) {
    cJSON_AddItemToArray(arr, rec);
    rec = NULL;
    jb_import_opts o = opts ? *opts : (jb_import_opts){0};
    o.type = jb_kind_name(k);
    rc = jb_import_json(db, arr, "set", &o, stats, err);
  }
  for (int i = 0; i < m; i++) {
    free(hdr[i]);
    free(vals[i]);
  }
  free(hdr);
  free(vals);
  cJSON_Delete(rec);
  cJSON_Delete(arr);
  if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory");
  return rc;
}

jb_status jb_import_text(jb_db *db, const char *name, const char *text, size_t n, const jb_import_opts *opts,
                         jb_import_stats *stats, jb_error *err) {
  if (db->readonly) {
    jb_err_set(err, JB_ERR_USAGE, "import needs a writable database");
    return JB_ERR_USAGE;
  }
  source src;
  jb_status rc = source_open_mem(&src, name, text, n, opts ? opts->encoding : NULL, err);
  if (rc) {
    source_close(&src);
    return rc;
  }
  importer im;
  char sha[65];
  jb_sha256 c;
  jb_sha256_init(&c);
  jb_sha256_update(&c, text, n);
  jb_sha256_final(&c, sha);
  if ((rc = importer_start(&im, db, name, sha, opts, stats, err))) {
    source_close(&src);
    return rc;
  }
  if (im.deflt == JB_KIND_UNKNOWN) im.deflt = jb_kind_from_filename(name);
  rc = src.csv ? import_csv(&im, &src) : import_jsonl(&im, &src);
  rc = importer_finish(&im, rc);
  source_close(&src);
  return rc;
}
