/*
** cli_util.c — opening the database, errors, exit codes and output for the
** commands.
*/
#define _GNU_SOURCE /* fopencookie */
#include "cli.h"
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

/* errno of the first failed write through a filter: by the time the
** stream is flushed or closed, errno says something else */
static int write_errno;

int cli_exit_code(jb_status rc) {
  switch (rc) {
  case JB_OK: return EXIT_OK_;
  case JB_ERR_USAGE: return EXIT_USAGE;
  case JB_ERR_PARSE:
  case JB_ERR_INVALID: return EXIT_DATA;
  case JB_ERR_NOTFOUND: return EXIT_NOTFOUND;
  case JB_ERR_LIMIT: return EXIT_LIMIT;
  case JB_ERR_IO:
  case JB_ERR_DB:
  case JB_ERR_BUSY:
  case JB_ERR_STALE:
  case JB_ERR_CORRUPT: return EXIT_DB;
  case JB_ERR_INTERRUPTED: return EXIT_INTERRUPTED;
  default: return EXIT_FAILURE_;
  }
}

int cli_fail(const jb_error *err, jb_status rc) {
  const char *msg = err && err->message[0] ? err->message : jb_status_str(rc);
  fprintf(stderr, "jiebang: %s\n", msg);
  return cli_exit_code(rc);
}

int cli_text_width(const char *s) {
  int w = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p & 0xC0) == 0x80) continue; /* a continuation byte */
    /* three- and four-byte sequences here are CJK, full-width forms and
    ** punctuation: two columns */
    w += *p >= 0xE0 ? 2 : 1;
  }
  return w;
}

int cli_help_asked(int argc, char **argv, const char *usage) {
  if (argc != 2 || (strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))) return 0;
  printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage);
  return 1;
}

void cli_say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("jiebang: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int cli_usage(const char *usage, const char *fmt, ...) {
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    fputs("jiebang: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  }
  fprintf(stderr, "%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage);
  return EXIT_USAGE;
}

int cli_open(cli_ctx *c, int mode, jb_db **ppDb) {
  jb_open_opts o = {0};
  o.readonly = mode == CLI_OPEN_READONLY;
  o.no_create = mode != CLI_OPEN_CREATE;
  o.lexicon_dir = c->no_lexicon ? "" : c->lexicon_dir;
  o.require_lexicon = !c->no_lexicon;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_open(c->db_path, &o, ppDb, &err);
  if (rc == JB_ERR_NOTFOUND) {
    /* say where we looked and why there, and how to make one */
    char abs[4096];
    if (!getcwd(abs, sizeof(abs))) snprintf(abs, sizeof(abs), ".");
    fprintf(stderr, "jiebang: %s\n", err.message);
    fprintf(stderr, jb_msg(c->db_from ? JB_MSG_DB_LOOKED_OPT : JB_MSG_DB_LOOKED_DEFAULT),
            c->db_from ? c->db_from : abs);
    fputc('\n', stderr);
    return cli_exit_code(rc);
  }
  if (rc) return cli_fail(&err, rc);
  if (mode != CLI_OPEN_READONLY && jb_db_set_actor(*ppDb, c->user, c->command)) {
    jb_db_close(*ppDb);
    *ppDb = NULL;
    fputs("jiebang: out of memory\n", stderr);
    return EXIT_FAILURE_;
  }
  return 0;
}

/* A value as a person reads it: text as it is, anything else as JSON, cut
** at 120 bytes on a character boundary. */
static void print_value(const cJSON *v) {
  if (!v) {
    fputs(jb_msg(JB_MSG_VALUE_ABSENT), stdout);
    return;
  }
  char *s = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
  const char *t = cJSON_IsString(v) ? v->valuestring : s ? s : "?";
  size_t n = strlen(t), cut = n > 120 ? 120 : n;
  while (cut < n && cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80) cut--;
  fprintf(stdout, "%.*s%s", (int)cut, t, cut < n ? "…" : "");
  free(s);
}

const char *cli_op_label(const char *op) {
  if (!strcmp(op, "insert")) return jb_msg(JB_MSG_OP_INSERT);
  if (!strcmp(op, "update")) return jb_msg(JB_MSG_OP_UPDATE);
  if (!strcmp(op, "delete")) return jb_msg(JB_MSG_OP_DELETE);
  return op;
}

void cli_print_diff(const cJSON *diff, const char *kind, const char *indent) {
  const cJSON *d;
  cJSON_ArrayForEach(d, diff) {
    printf("%s%s: ", indent, jb_field_label(kind, cJSON_GetObjectItem(d, "field")->valuestring));
    print_value(cJSON_GetObjectItem(d, "old"));
    fputs(" → ", stdout);
    print_value(cJSON_GetObjectItem(d, "new"));
    fputc('\n', stdout);
  }
}

int cli_print_changes(const cJSON *changes) {
  const cJSON *r;
  cJSON_ArrayForEach(r, changes) {
    char key[600];
    snprintf(key, sizeof(key), "%s", cJSON_GetObjectItem(r, "key")->valuestring);
    for (char *p = key; *p; p++)
      if (*p == '\t') *p = ' ';
    const char *kind = cJSON_GetObjectItem(r, "kind")->valuestring;
    printf("%s %s: %s\n", jb_value_label(kind), key, cli_op_label(cJSON_GetObjectItem(r, "op")->valuestring));
    cli_print_diff(cJSON_GetObjectItem(r, "changes"), kind, "  ");
  }
  return 0;
}

void cli_print_stats(const jb_import_stats *st, int dry_run) {
  fputs("jiebang: ", stderr);
  fprintf(stderr, jb_msg(JB_MSG_IMP_SUMMARY), st->read, st->inserted, st->updated, st->unchanged, st->invalid);
  if (st->errors) fprintf(stderr, jb_msg(JB_MSG_IMP_DB_ERRORS), st->errors);
  if (st->files_failed) fprintf(stderr, jb_msg(JB_MSG_IMP_ROLLED_BACK_COUNT), st->rolled_back);
  if (st->files_skipped) fprintf(stderr, jb_msg(JB_MSG_IMP_FILES_SKIPPED), st->files_skipped);
  if (st->history) fprintf(stderr, jb_msg(JB_MSG_IMP_HISTORY_RESTORED), st->history);
  fputc('\n', stderr);
  if (st->first_change && st->first_change == st->last_change) {
    fputs("jiebang: ", stderr);
    fprintf(stderr, jb_msg(JB_MSG_IMP_CHANGE_ONE), st->first_change, st->first_change);
    fputc('\n', stderr);
  } else if (st->first_change) {
    fputs("jiebang: ", stderr);
    fprintf(stderr, jb_msg(JB_MSG_IMP_CHANGE_RANGE), st->first_change, st->last_change);
    fputc('\n', stderr);
  }
  if (dry_run) fprintf(stderr, "jiebang: %s\n", jb_msg(JB_MSG_IMP_DRY_RUN));
}

int cli_print_json(const cJSON *o, int pretty) {
  char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
  if (!s) {
    fputs("jiebang: out of memory\n", stderr);
    return EXIT_FAILURE_;
  }
  fputs(s, stdout);
  fputc('\n', stdout);
  free(s);
  return 0;
}

int cli_finish(int code) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    cli_say(jb_msg(JB_MSG_CLI_STDOUT_WRITE), strerror(write_errno ? write_errno : errno));
    return code ? code : EXIT_FAILURE_;
  }
  return code;
}

int cli_binary_to_tty(void) {
  if (!isatty(1)) return 0;
  fprintf(stderr, "jiebang: %s\n", jb_msg(JB_MSG_XLSX_TO_TERMINAL));
  return 1;
}

static int progress_always, open_line;

void cli_progress_end(void) {
  if (open_line) fputc('\n', stderr);
  open_line = 0;
}
void cli_progress_always(void) { progress_always = 1; }

/* Seconds between progress lines when stderr is not a terminal: often
** enough to show a long import is alive, rare enough for a log. */
#define PROGRESS_EVERY 5.0

void cli_progress(const char *what, long done, long total) {
  static struct timespec last;
  static int started, printed;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!started) {
    started = 1;
    last = now;
  }
  if (isatty(2) && !progress_always) {
    fputs("\rjiebang: ", stderr);
    fprintf(stderr, what, done, total);
    open_line = done != total;
    if (!open_line) fputc('\n', stderr);
    return;
  }
  double since = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9;
  if (since < (progress_always ? 1.0 : PROGRESS_EVERY) && done != total) return;
  if (done == total && !printed) return; /* a short run needs no line */
  last = now;
  printed = 1;
  fputs("jiebang: ", stderr);
  fprintf(stderr, what, done, total);
  fputc('\n', stderr);
}

const char *cli_count(const char *fmt, long n) {
  /* a few rotating buffers: one printf may use several */
  static char buf[4][160];
  static int slot;
  slot = (slot + 1) % 4;
  snprintf(buf[slot], sizeof(buf[slot]), fmt, n);
  return buf[slot];
}

int cli_parse_int(const char *s, int lo, int hi) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || end == s || *end || v < lo || v > hi) return -1;
  return (int)v;
}

const char *cli_os_user(void) {
  struct passwd *pw = getpwuid(geteuid());
  if (pw && pw->pw_name && *pw->pw_name) return pw->pw_name;
  const char *u = getenv("USER");
  return u && *u ? u : "unknown";
}

char *cli_join_args(int argc, char **argv) {
  size_t n = 1;
  for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
  char *s = malloc(n), *p = s;
  if (!s) return NULL;
  *p = 0;
  for (int i = 0; i < argc; i++) p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
  return s;
}

/* ------------------------------------------------------- safe output */

/* A stream that neutralises terminal controls on its way to `under`. A
** UTF-8 sequence cut by a buffer flush waits in `carry` for its rest. */
typedef struct safe_cookie {
  FILE *under;
  char carry[4];
  size_t ncarry;
  int owned;       /* allocated for a file (freed on close), not static */
} safe_cookie;


static int failed_write(void) {
  if (!write_errno) write_errno = errno ? errno : EIO;
  return -1;
}

static ssize_t safe_write(void *ctx, const char *buf, size_t n) {
  safe_cookie *c = ctx;
  size_t i = 0;
  while (c->ncarry && i < n) { /* complete the cut sequence first */
    c->carry[c->ncarry++] = buf[i++];
    /* four bytes are a whole sequence or none: then they go out as they are */
    size_t used = jb_text_safe_fwrite(c->under, c->carry, c->ncarry, c->ncarry == sizeof(c->carry));
    if (ferror(c->under)) return failed_write();
    memmove(c->carry, c->carry + used, c->ncarry - used);
    c->ncarry -= used;
  }
  size_t used = jb_text_safe_fwrite(c->under, buf + i, n - i, 0);
  if (ferror(c->under)) return failed_write();
  if (used < n - i) {
    if (n - i - used > 3) return failed_write(); /* only a cut sequence may wait */
    memcpy(c->carry, buf + i + used, n - i - used);
    c->ncarry = n - i - used;
  }
  if (fflush(c->under) != 0 || ferror(c->under)) return failed_write();
  return (ssize_t)n;
}

static int safe_close(void *ctx) {
  safe_cookie *c = ctx;
  if (c->ncarry) jb_text_safe_fwrite(c->under, c->carry, c->ncarry, 1);
  int rc = fflush(c->under) != 0 || ferror(c->under) ? -1 : 0;
  if (c->owned) free(c);
  return rc;
}

/* A neutralising stream over `under`; `c` is static storage (stdout and
** stderr stay open until exit) or NULL to allocate one. */
static FILE *safe_stream(FILE *under, safe_cookie *c) {
  int owned = !c;
  if (owned && !(c = calloc(1, sizeof(*c)))) return NULL;
  c->under = under;
  c->owned = owned;
  cookie_io_functions_t io = {NULL, safe_write, NULL, safe_close};
  FILE *f = fopencookie(c, "w", io);
  if (!f && owned) free(c);
  return f;
}

static safe_cookie out_cookie, err_cookie;

static FILE *real_stdout;

/* The first SIGINT/SIGTERM/SIGHUP asks the engine to stop at its next safe
** point (jb_interrupt): the command then says what was done and what was
** not, and cli_out_close drops an unfinished -o file. A second one ends the
** process at once, removing unfinished output files first. */
static volatile sig_atomic_t signalled;

static void on_signal(int sig) {
  if (!signalled) {
    signalled = 1;
    jb_interrupt();
    return;
  }
  jb_outfile_abort_all();
  signal(sig, SIG_DFL);
  raise(sig);
}

void cli_stdio_init(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sigs[i], &sa, NULL);
  }
  /* past a file size limit, writes fail (EFBIG) and are reported like a
  ** full disk, instead of the process dying with a half-written file */
  signal(SIGXFSZ, SIG_IGN);
  real_stdout = stdout;
  /* the filter streams buffer; the real ones then pass each flush on */
  FILE *out = safe_stream(stdout, &out_cookie), *err = safe_stream(stderr, &err_cookie);
  if (out) {
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(out, NULL, _IOFBF, 1 << 16);
    stdout = out;
  }
  if (err) {
    setvbuf(err, NULL, _IONBF, 0); /* diagnostics appear as they are written */
    stderr = err;
  }
}

int cli_out_open(cli_out *o, const char *path, int flags) {
  memset(o, 0, sizeof(*o));
  o->path = path;
  if (!path || !strcmp(path, "-")) {
    o->path = NULL;
    if (flags & CLI_OUT_RAW && real_stdout) {
      fflush(stdout); /* what was written before comes first */
      o->f = real_stdout;
    } else {
      o->f = stdout;
    }
    return 0;
  }
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_outfile_open(path, &o->file, &err);
  if (rc) {
    cli_fail(&err, rc);
    return rc == JB_ERR_USAGE ? EXIT_USAGE : EXIT_FAILURE_; /* cannot write the output */
  }
  o->f = jb_outfile_stream(o->file);
  if (!(flags & CLI_OUT_RAW)) {
    if (!(o->filter = safe_stream(o->f, NULL))) {
      jb_outfile_abort(o->file);
      o->file = NULL;
      fputs("jiebang: out of memory\n", stderr);
      return EXIT_FAILURE_;
    }
    setvbuf(o->filter, NULL, _IOFBF, 1 << 16);
    o->f = o->filter;
  }
  return 0;
}

int cli_out_close(cli_out *o, jb_status rc, const jb_error *err) {
  /* A write error is reported once, the same way for every command and
  ** output: "NAME: write error: reason", exit 1. The engine's own message
  ** about it (it saw its writes fail) would only repeat it. */
  /* interrupted, even if the work ran to its end: nothing is committed */
  if (!rc && jb_interrupted()) rc = JB_ERR_INTERRUPTED;
  int werr = 0;
  if (o->filter) {
    if (fclose(o->filter) != 0) werr = write_errno ? write_errno : EIO;
    o->filter = NULL;
  }
  FILE *f = o->file ? jb_outfile_stream(o->file) : o->f;
  if (!werr && f && (fflush(f) != 0 || ferror(f))) werr = write_errno ? write_errno : errno ? errno : EIO;
  if (!o->file) {
    /* stdout: cli_finish() reports its write error when the command returns */
    if (werr) return EXIT_FAILURE_;
    return rc ? cli_fail(err, rc) : 0;
  }
  int code = 0;
  if (werr) {
    cli_say(jb_msg(JB_MSG_CLI_FILE_WRITE), o->path, strerror(werr));
    code = EXIT_FAILURE_;
  } else if (rc) {
    code = cli_fail(err, rc);
  }
  if (code) {
    jb_outfile_abort(o->file);
    o->file = NULL;
    struct stat st;
    if (stat(o->path, &st) != 0 || S_ISREG(st.st_mode)) /* a device or pipe was written directly */
      cli_say(jb_msg(JB_MSG_CLI_NOT_WRITTEN), o->path);
    return code;
  }
  jb_error cerr;
  jb_error_clear(&cerr);
  jb_status crc = jb_outfile_commit(o->file, &cerr);
  o->file = NULL;
  if (crc) {
    cli_fail(&cerr, crc);
    return EXIT_FAILURE_;
  }
  return 0;
}

char *cli_read_file(const char *path, size_t max, int *code) {
  jb_error err;
  jb_error_clear(&err);
  FILE *f = jb_input_open(path, &err);
  if (!f) {
    *code = cli_fail(&err, err.code ? err.code : JB_ERR_IO);
    return NULL;
  }
  size_t cap = 65536, n = 0, got;
  char *b = malloc(cap);
  while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n > max) break;
    if (n + 1 == cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) { free(b); b = NULL; }
      else b = nb;
    }
  }
  jb_status rc = jb_input_close(f, path, &err);
  if (rc || !b || n > max) {
    free(b);
    if (rc) *code = cli_fail(&err, rc);
    else if (!b) *code = cli_fail(NULL, JB_ERR_NOMEM);
    else {
      cli_say(jb_msg(JB_MSG_CLI_FILE_TOO_LARGE), path, max);
      *code = EXIT_LIMIT;
    }
    return NULL;
  }
  b[n] = 0;
  *code = 0;
  return b;
}

void cli_file_report(void *ctx, const jb_file_report *r) {
  int only_problems = ctx ? *(const int *)ctx : 0;
  int bad = !strcmp(r->status, "garbage") || !strcmp(r->status, "no_text");
  if (only_problems && !bad) return;
  char where[600] = "";
  if (r->source) snprintf(where, sizeof(where), "%s:%ld: ", r->source, r->line);
  char pages[32] = "";
  if (r->pages) snprintf(pages, sizeof(pages), jb_msg(JB_MSG_FILE_PAGES), r->pages);
  fputs("jiebang: ", stderr);
  fprintf(stderr, jb_msg(JB_MSG_FILE_HEAD), where, r->record, r->file, r->format, r->size, pages);
  if (!strcmp(r->status, "no_text"))
    fputs(jb_msg(JB_MSG_FILE_NO_TEXT), stderr);
  else if (!strcmp(r->status, "garbage"))
    fprintf(stderr, jb_msg(JB_MSG_FILE_GARBAGE), r->dropped);
  else if (!strcmp(r->status, "partial"))
    fprintf(stderr, jb_msg(JB_MSG_FILE_PARTIAL), r->chars, r->dropped);
  else
    fprintf(stderr, jb_msg(JB_MSG_FILE_INDEXED), r->chars,
            !strcmp(r->status, "unchanged") ? jb_msg(JB_MSG_FILE_UNCHANGED) : "",
            r->truncated ? jb_msg(JB_MSG_FILE_TRUNCATED) : "");
}
