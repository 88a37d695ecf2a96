/*
** match_batch.c — jb_batch(): the matcher over many needs, on every core.
**
** Needs are independent, so worker threads take them one at a time from a
** shared counter, each with its own tokenizer (Snowball is not thread-safe)
** and scratch space over the one read-only index. Results are written by
** the calling thread strictly in need order as soon as they are ready, so
** output is deterministic and memory stays bounded by what is in flight.
**
** --shard I/N takes the I-th of N contiguous slices of the needs (1-based);
** concatenating the outputs of shards 1..N in order gives exactly the
** output of one run (a CSV header is written by shard 1 only).
**
** As an Excel workbook (JB_BATCH_XLSX) each need's results are kept as JSON
** with the names a person reads (the need's title and enterprise, each
** candidate's institution) and written as rows through the one xlsx writer
** (xlsx_out.c); the workbook is written out only when every need is done.
*/
#include "need.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct batch {
  jb_db *db;
  jb_match_index *mx;
  const jb_batch_opts *o;
  mx_weights w;
  unsigned types;
  nd_need *needs;
  long nneeds;
  long first, end;       /* this shard's slice */
  char **out;            /* formatted output per need, NULL until done */
  long next;             /* next need to take */
  long done;
  int failed;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  jb_xcol xcols[9];      /* the workbook's columns (JB_BATCH_XLSX), borrowed by it */
} batch;

static int push_need(nd_need **v, long *n, long *cap, nd_need *x) {
  if (*n == *cap) {
    long c = *cap ? *cap * 2 : 256;
    nd_need *nv = realloc(*v, sizeof(*nv) * (size_t)c);
    if (!nv) return -1;
    *v = nv;
    *cap = c;
  }
  (*v)[(*n)++] = *x;
  return 0;
}

/* Needs from a JSON Lines file (the need record format; only id, title,
** text, keywords, chains, org and region are used). */
static jb_status load_needs_file(jb_db *db, const jb_match_index *mx, const char *path, nd_need **v, long *n,
                                 jb_error *err) {
  FILE *f = jb_input_open(path, err);
  if (!f) return err && err->code ? err->code : JB_ERR_IO;
  long cap = 0, lineno = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t got;
  jb_status rc = JB_OK;
  while ((got = getline(&line, &lcap, f)) >= 0) {
    lineno++;
    char *p = line;
    if (lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\n' || *p == '\r' || !*p) continue;
    if (jb_utf8_invalid_at(p, strlen(p)) >= 0) {
      jb_err_at(err, JB_ERR_PARSE, path, lineno, NULL, "invalid UTF-8");
      rc = JB_ERR_PARSE;
      break;
    }
    cJSON *o = cJSON_Parse(p);
    if (!cJSON_IsObject(o)) {
      cJSON_Delete(o);
      jb_err_at(err, JB_ERR_PARSE, path, lineno, NULL, "malformed JSON");
      rc = JB_ERR_PARSE;
      break;
    }
    if (jb_json_duplicate_key(o)) {
      jb_err_at(err, JB_ERR_PARSE, path, lineno, NULL, "key '%s' appears twice in one object", jb_json_duplicate_key(o));
      cJSON_Delete(o);
      rc = JB_ERR_PARSE;
      break;
    }
    nd_need x;
    int bad = nd_from_json(db, mx, o, 0, &x);
    cJSON_Delete(o);
    if (bad) {
      nd_free(&x);
      rc = JB_ERR_NOMEM;
      jb_err_set(err, rc, "out of memory");
      break;
    }
    if (x.id && jb_id_problem(x.id)) {
      /* the id is written into every output line (a TREC run splits on spaces) */
      jb_err_at(err, JB_ERR_INVALID, path, lineno, "id", "%s: '%s'", jb_id_problem(x.id), x.id);
      nd_free(&x);
      rc = JB_ERR_INVALID;
      break;
    }
    if (!x.id) {
      jb_err_at(err, JB_ERR_INVALID, path, lineno, "id", "missing required field");
      nd_free(&x);
      rc = JB_ERR_INVALID;
      break;
    }
    /* a need's attached file as stored by its import; a "file" named in a
    ** needs file is not read here: batch is read-only, extraction is not */
    x.file_text = jb_attach_text(db, "need", x.id, "");
    if (push_need(v, n, &cap, &x)) {
      nd_free(&x);
      rc = JB_ERR_NOMEM;
      jb_err_set(err, rc, "out of memory");
      break;
    }
  }
  free(line);
  jb_status rrc = jb_input_close(f, path, err);
  return rc ? rc : rrc;
}

/* "org-hunau" -> "湖南农业大学" (the id itself when it has no name) */
static const char *org_name(const jb_match_index *mx, const char *org) {
  const char *n = org ? mx_org_name(mx, org) : NULL;
  return n ? n : org ? org : "";
}

/* Formats one need's results in the requested format. */
static char *format_need(batch *bt, const nd_need *nd, const mx_hit *hits, int nh) {
  jb_buf b = {0};
  const jb_match_index *mx = bt->mx;
  const char *tag = bt->o->run_tag ? bt->o->run_tag : "jiebang";
  int xlsx = bt->o->format == JB_BATCH_XLSX;
  if (bt->o->format == JB_BATCH_JSONL || xlsx) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "need", nd->id);
    if (xlsx) {
      cJSON_AddStringToObject(o, "title", nd->title ? nd->title : "");
      cJSON_AddStringToObject(o, "org_name", org_name(mx, nd->org));
    }
    cJSON *res = cJSON_AddArrayToObject(o, "results");
    for (int i = 0; i < nh; i++) {
      const mx_unit *u = &mx->units[hits[i].unit];
      cJSON *r = cJSON_CreateObject();
      cJSON_AddNumberToObject(r, "rank", i + 1);
      cJSON_AddStringToObject(r, "type", mx_type_name((mx_type)u->type));
      cJSON_AddStringToObject(r, "id", u->id);
      cJSON_AddStringToObject(r, "name", u->name ? u->name : u->id);
      cJSON_AddNumberToObject(r, "score", round(hits[i].score * 1e6) / 1e6);
      /* an institution is its own organization */
      if (xlsx) cJSON_AddStringToObject(r, "org_name", u->type == MX_ORG ? "" : org_name(mx, u->org));
      cJSON_AddItemToArray(res, r);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s) {
      jb_buf_adds(&b, s);
      jb_buf_addc(&b, '\n');
      free(s);
    }
  } else {
    for (int i = 0; i < nh; i++) {
      const mx_unit *u = &mx->units[hits[i].unit];
      if (bt->o->format == JB_BATCH_TREC) {
        jb_buf_printf(&b, "%s Q0 %s %d %.6f %s\n", nd->id, u->id, i + 1, hits[i].score, tag);
      } else {
        /* ids and names through the one CSV writer (formula cells neutralised) */
        jb_csv_field(&b, nd->id, JB_CSV_FIRST);
        jb_buf_printf(&b, ",%d,%s", i + 1, jb_value_label(mx_type_name((mx_type)u->type)));
        jb_csv_field(&b, u->id, 0);
        jb_csv_field(&b, u->name ? u->name : u->id, 0);
        jb_buf_printf(&b, ",%.6f\r\n", hits[i].score);
      }
    }
  }
  if (b.oom) {
    jb_buf_free(&b);
    return NULL;
  }
  jb_buf_str(&b);
  return b.p;
}

/* The workbook's columns: one row per proposed candidate. */
static jb_status xlsx_begin(batch *bt, jb_xlsx **ppX, jb_error *err) {
  jb_xcol *cols = bt->xcols;
  cols[0] = (jb_xcol){jb_msg(JB_MSG_COL_NEED_ID), 12, 0, 0, NULL};
  cols[1] = (jb_xcol){jb_msg(JB_MSG_COL_NEED_TITLE), 34, 1, 0, NULL};
  cols[2] = (jb_xcol){jb_msg(JB_MSG_COL_ENTERPRISE), 24, 1, 0, NULL};
  cols[3] = (jb_xcol){jb_msg(JB_MSG_COL_RANK), 6, 0, 1, NULL};
  cols[4] = (jb_xcol){jb_msg(JB_MSG_COL_TYPE), 8, 0, 0, NULL};
  cols[5] = (jb_xcol){jb_msg(JB_MSG_COL_CANDIDATE_ID), 14, 0, 0, NULL};
  cols[6] = (jb_xcol){jb_msg(JB_MSG_COL_CANDIDATE_NAME), 30, 1, 0, NULL};
  cols[7] = (jb_xcol){jb_msg(JB_MSG_COL_CANDIDATE_ORG), 26, 1, 0, NULL};
  cols[8] = (jb_xcol){jb_msg(JB_MSG_COL_SCORE), 8, 0, 1, NULL};
  jb_status rc = jb_xlsx_new(ppX, err);
  if (!rc) rc = jb_xlsx_sheet(*ppX, jb_msg(JB_MSG_BATCH_SHEET), cols, 9, err);
  return rc;
}

/* One need's results (format_need's JSON) as rows. */
static jb_status xlsx_need(jb_xlsx *x, const char *json, jb_error *err) {
  cJSON *o = cJSON_Parse(json);
  if (!o) {
    jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    return JB_ERR_NOMEM;
  }
  jb_status rc = JB_OK;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(o, "results")) {
    char rank[16], score[32];
    snprintf(rank, sizeof(rank), "%d", cJSON_GetObjectItem(r, "rank")->valueint);
    snprintf(score, sizeof(score), "%.4f", cJSON_GetObjectItem(r, "score")->valuedouble);
    const char *row[] = {cJSON_GetStringValue(cJSON_GetObjectItem(o, "need")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(o, "title")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(o, "org_name")),
                         rank,
                         jb_value_label(cJSON_GetStringValue(cJSON_GetObjectItem(r, "type"))),
                         cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(r, "name")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(r, "org_name")),
                         score};
    if ((rc = jb_xlsx_row(x, row, err))) break;
  }
  cJSON_Delete(o);
  return rc;
}

static void *worker(void *arg) {
  batch *bt = arg;
  jb_tokenizer *tok = NULL;
  mx_scratch *s = mx_scratch_new(bt->mx);
  int ok = s && jb_tokenizer_new(&tok) == JB_OK;
  int k = bt->o->k;
  for (;;) {
    pthread_mutex_lock(&bt->mu);
    long i = bt->failed || !ok ? bt->end : bt->next++;
    if (!ok) bt->failed = 1;
    pthread_mutex_unlock(&bt->mu);
    if (i >= bt->end) break;
    const nd_need *nd = &bt->needs[i];
    mx_hit *hits = NULL;
    /* k = 0 means every candidate, also those scoring 0 (e.g. for rap) */
    int nh = mx_score_need(bt->db, bt->mx, s, tok, &bt->w, nd, bt->types, k > 0 ? k + 64 : -1, k > 0, &hits);
    char *text = NULL;
    if (nh >= 0) {
      /* drop what the need may not be offered, then keep k */
      int n = 0;
      for (int h = 0; h < nh && (k <= 0 || n < k); h++)
        if (!nd_excluded(bt->mx, nd, hits[h].unit, ND_ALL, NULL)) hits[n++] = hits[h];
      text = format_need(bt, nd, hits, n);
    }
    pthread_mutex_lock(&bt->mu);
    if (!text) bt->failed = 1;
    bt->out[i - bt->first] = text;
    bt->done++;
    pthread_cond_broadcast(&bt->cv);
    pthread_mutex_unlock(&bt->mu);
  }
  mx_scratch_free(s);
  jb_tokenizer_free(tok);
  pthread_mutex_lock(&bt->mu);
  pthread_cond_broadcast(&bt->cv);
  pthread_mutex_unlock(&bt->mu);
  return NULL;
}

jb_status jb_batch(jb_db *db, const jb_batch_opts *o, FILE *out, jb_error *err) {
  if (!!o->needs_file == !!o->open_needs) {
    jb_err_set(err, JB_ERR_USAGE, "give either --needs FILE or --open");
    return JB_ERR_USAGE;
  }
  if (o->k < 0 || o->k > 100000) {
    jb_err_set(err, JB_ERR_LIMIT, "-k must be 0 (every candidate) .. 100000");
    return JB_ERR_LIMIT;
  }
  int sc = o->shard_count ? o->shard_count : 1, si = o->shard_count ? o->shard_index : 1;
  if (sc < 1 || si < 1 || si > sc) {
    jb_err_set(err, JB_ERR_USAGE, "--shard I/N needs 1 <= I <= N");
    return JB_ERR_USAGE;
  }
  batch bt;
  memset(&bt, 0, sizeof(bt));
  bt.db = db;
  bt.o = o;
  mx_weights_default(&bt.w);
  if (o->weights && mx_weights_apply(&bt.w, o->weights, err)) return JB_ERR_USAGE;
  bt.types = 1u << MX_EXPERT | 1u << MX_ACHIEVEMENT | 1u << MX_ORG;
  if (o->type && *o->type) {
    int t = 0;
    while (t < MX_NEED && strcmp(mx_type_name((mx_type)t), o->type)) t++;
    if (t == MX_NEED) {
      jb_err_set(err, JB_ERR_USAGE, "unknown --type '%s' (expert, achievement, org)", o->type);
      return JB_ERR_USAGE;
    }
    bt.types = 1u << t;
  }
  jb_status rc = mx_get_checked(db, &bt.w, &bt.mx, err);
  if (rc) return rc;
  if (o->needs_file) {
    rc = load_needs_file(db, bt.mx, o->needs_file, &bt.needs, &bt.nneeds, err);
  } else {
    int nv = 0;
    rc = nd_load_where(db, bt.mx, "WHERE n.status = 'open' ORDER BY n.id", NULL, 0, &bt.needs, &nv, err);
    bt.nneeds = nv;
  }
  if (rc) {
    nd_free_all(bt.needs, (int)bt.nneeds);
    return rc;
  }
  bt.first = bt.nneeds * (si - 1) / sc;
  bt.end = bt.nneeds * si / sc;
  bt.next = bt.first;
  bt.out = calloc((size_t)(bt.end - bt.first + 1), sizeof(char *));
  if (!bt.out) {
    nd_free_all(bt.needs, (int)bt.nneeds);
    return JB_ERR_NOMEM;
  }
  if (o->format == JB_BATCH_CSV && si == 1) fprintf(out, "\xEF\xBB\xBF%s\r\n", jb_msg(JB_MSG_BATCH_CSV_HEADER));
  jb_xlsx *x = NULL;
  jb_status xrc = o->format == JB_BATCH_XLSX ? xlsx_begin(&bt, &x, err) : JB_OK;
  if (xrc) {
    jb_xlsx_free(x);
    nd_free_all(bt.needs, (int)bt.nneeds);
    free(bt.out);
    return xrc;
  }
  int nt = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (nt < 1) nt = 1;
  if (nt > 64) nt = 64;
  pthread_mutex_init(&bt.mu, NULL);
  pthread_cond_init(&bt.cv, NULL);
  pthread_t th[64];
  int started = 0;
  for (int i = 0; i < nt; i++)
    if (!pthread_create(&th[i], NULL, worker, &bt)) started++;
  long written = bt.first;
  int ioerr = 0;
  pthread_mutex_lock(&bt.mu);
  int stopped = 0;
  while (written < bt.end && started) {
    if (jb_interrupted()) {
      /* whole lines only: what is written stays readable */
      stopped = 1;
      bt.failed = 1;
      break;
    }
    while (written < bt.end && !bt.out[written - bt.first] && !bt.failed) pthread_cond_wait(&bt.cv, &bt.mu);
    if (bt.failed && !bt.out[written - bt.first]) break;
    char *s = bt.out[written - bt.first];
    bt.out[written - bt.first] = NULL;
    long done = bt.done;
    pthread_mutex_unlock(&bt.mu);
    if (x) xrc = xlsx_need(x, s, err);
    else if (fputs(s, out) < 0) ioerr = 1;
    free(s);
    written++;
    if (o->on_progress && (written % 50 == 0 || written == bt.end))
      o->on_progress(o->ctx, done, bt.end - bt.first);
    pthread_mutex_lock(&bt.mu);
    if (ioerr || xrc) {
      bt.failed = 1;
      break;
    }
  }
  pthread_mutex_unlock(&bt.mu);
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  for (long i = 0; i < bt.end - bt.first; i++) free(bt.out[i]);
  free(bt.out);
  pthread_mutex_destroy(&bt.mu);
  pthread_cond_destroy(&bt.cv);
  nd_free_all(bt.needs, (int)bt.nneeds);
  /* a workbook only when every need is in it: a partial one is not written */
  if (x && !xrc && started && !stopped && !bt.failed && !ioerr) xrc = jb_xlsx_finish(x, out, err);
  jb_xlsx_free(x);
  if (xrc) return xrc;
  if (!started) {
    jb_err_set(err, JB_ERR_INTERNAL, "cannot start worker threads");
    return JB_ERR_INTERNAL;
  }
  if (ioerr) {
    jb_err_set(err, JB_ERR_IO, "write error: %s", strerror(errno));
    return JB_ERR_IO;
  }
  if (stopped) {
    jb_err_set(err, JB_ERR_INTERRUPTED, jb_msg(JB_MSG_BATCH_INTERRUPTED), written - bt.first,
               bt.end - bt.first);
    return JB_ERR_INTERRUPTED;
  }
  if (bt.failed) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory during the batch");
    return JB_ERR_NOMEM;
  }
  return JB_OK;
}
