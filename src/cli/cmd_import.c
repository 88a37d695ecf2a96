/*
** cmd_import.c — jiebang import FILE... [--skip-invalid] [--encoding ENC] [--type TYPE] [--new-chains]
**   [--replace] [--dry-run] [--force] [--keep-files]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct import_ui {
  long nerr;
  /* each file's fate, told when the run did not simply succeed */
  const char **path;
  int *fate, n;
} import_ui;

static void print_skipped(void *ctx, const char *path) {
  cli_say(jb_msg(JB_MSG_IMP_FILE_SKIPPED), path);
}

static void print_error(void *ctx, const jb_error *e) {
  import_ui *u = ctx;
  if (++u->nerr <= 1000) fprintf(stderr, "jiebang: %s\n", e->message);
  else if (u->nerr == 1001) fprintf(stderr, "jiebang: %s\n", jb_msg(JB_MSG_IMP_MORE_ERRORS));
}

static void on_fate(void *ctx, const char *path, int fate) {
  import_ui *u = ctx;
  if (!u->path) return;
  u->path[u->n] = path;
  u->fate[u->n++] = fate;
}

static void on_progress(void *ctx, const char *path, long records) {
  (void)ctx;
  char what[600];
  /* cli_progress takes a format of (done, total): the file goes in first */
  snprintf(what, sizeof(what), "%s: %s", path, jb_msg(JB_MSG_IMP_PROGRESS));
  cli_progress(what, records, 0);
}

/* Which files are stored, which rolled back, which never started. */
static void tell_fates(const import_ui *u) {
  static const jb_msg_id said[] = {JB_MSG_IMP_FILE_COMMITTED, JB_MSG_IMP_FILE_ROLLED_BACK,
                                   JB_MSG_IMP_FILE_NOT_STARTED};
  for (int i = 0; i < u->n; i++) {
    fputs("jiebang:   ", stderr);
    fprintf(stderr, jb_msg(said[u->fate[i]]), u->path[i]);
    fputc('\n', stderr);
  }
}

int cmd_import(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"skip-invalid", no_argument, 0, 's'},
                                     {"encoding", required_argument, 0, 'e'},
                                     {"type", required_argument, 0, 't'},
                                     {"new-chains", no_argument, 0, 'N'},
                                     {"quiet", no_argument, 0, 'q'},
                                     {"replace", no_argument, 0, 'r'},
                                     {"dry-run", no_argument, 0, 'n'},
                                     {"force", no_argument, 0, 'f'},
                                     {"keep-files", no_argument, 0, 'K'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_import_opts o = {0};
  import_ui u = {0};
  int quiet = 0, ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "se:t:qrnfKh", lo, NULL)) != -1) {
    switch (ch) {
    case 's': o.skip_invalid = 1; break;
    case 'e': o.encoding = optarg; break;
    case 't': o.type = optarg; break;
    case 'N': o.new_chains = 1; break;
    case 'q': quiet = 1; break;
    case 'r': o.replace = 1; break;
    case 'n': o.dry_run = 1; break;
    case 'f': o.force = 1; break;
    case 'K': o.keep_files = 1; break;
    case 'h': printf("%s\n", jb_msg(JB_MSG_USAGE_IMPORT)); return 0;
    default: return cli_usage(jb_msg(JB_MSG_USAGE_IMPORT), jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (optind >= argc) return cli_usage(jb_msg(JB_MSG_USAGE_IMPORT), "%s", jb_msg(JB_MSG_IMP_NO_FILES));
  int nfiles = argc - optind;
  u.path = calloc((size_t)nfiles, sizeof(char *));
  u.fate = calloc((size_t)nfiles, sizeof(int));
  o.on_error = print_error;
  o.on_fate = on_fate;
  o.on_progress = on_progress;
  o.ctx = &u;
  o.on_skipped = print_skipped;
  o.on_file = cli_file_report;
  o.file_ctx = &quiet;
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_CREATE, &db);
  if (code) {
    free(u.path);
    free(u.fate);
    return code;
  }
  jb_import_stats st = {0};
  jb_error err;
  jb_error_clear(&err);
  if (o.dry_run && !(o.changes = cJSON_CreateArray())) {
    jb_db_close(db);
    free(u.path);
    free(u.fate);
    return EXIT_FAILURE_;
  }
  jb_status rc = jb_import_files(db, (const char *const *)argv + optind, nfiles, &o, &st, &err);
  jb_db_close(db);
  cli_progress_end();
  if (o.dry_run) cli_print_changes(o.changes);
  cJSON_Delete(o.changes);
  if (rc && !u.nerr) fprintf(stderr, "jiebang: %s\n", err.message);
  if (!quiet || rc) cli_print_stats(&st, o.dry_run);
  /* after an interrupt or a failure with several files, say which landed */
  if ((rc == JB_ERR_INTERRUPTED || (rc && nfiles > 1)) && u.n) tell_fates(&u);
  free(u.path);
  free(u.fate);
  /* With --skip-invalid, skipped records are reported but the run succeeded. */
  if (rc && o.skip_invalid && !st.files_failed && (rc == JB_ERR_INVALID || rc == JB_ERR_PARSE || rc == JB_ERR_LIMIT))
    return 0;
  return cli_exit_code(rc);
}
