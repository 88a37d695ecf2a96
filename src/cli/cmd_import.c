/*
** cmd_import.c — jiebang import FILE... [--skip-invalid] [--encoding ENC] [--type TYPE]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>

static const char usage[] =
    "jiebang import [--skip-invalid] [--encoding GB18030] [--type TYPE] [--replace] [--dry-run] [--force] [--keep-files] FILE...\n"
    "  FILE: .jsonl (JSON Lines) or .csv; '-' reads JSON Lines from stdin.\n"
    "  A record that exists is patched: only the fields given change; null (a CSV cell 'null')\n"
    "  clears one. --replace: records replace the stored ones whole. --dry-run: print, per\n"
    "  record, field: old → new, and store nothing. --force: allow outcome corrections.\n"
    "  A record's \"file\" (.pdf, .docx, .txt; relative to FILE) is extracted and indexed;\n"
    "  --keep-files also stores the file itself.\n"
    "  Each file is one transaction: a bad record stops it with FILE:LINE: field: problem\n"
    "  and nothing from that file is stored, unless --skip-invalid.";

static void print_skipped(void *ctx, const char *path) {
  fprintf(stderr, "jiebang: %s: not imported: an earlier file failed (later files may refer to its records)\n", path);
}

static void print_error(void *ctx, const jb_error *e) {
  long *n = ctx;
  if (++*n <= 1000) fprintf(stderr, "jiebang: %s\n", e->message);
  else if (*n == 1001) fprintf(stderr, "jiebang: (more errors not shown)\n");
}

int cmd_import(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"skip-invalid", no_argument, 0, 's'},
                                     {"encoding", required_argument, 0, 'e'},
                                     {"type", required_argument, 0, 't'},
                                     {"quiet", no_argument, 0, 'q'},
                                     {"replace", no_argument, 0, 'r'},
                                     {"dry-run", no_argument, 0, 'n'},
                                     {"force", no_argument, 0, 'f'},
                                     {"keep-files", no_argument, 0, 'K'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_import_opts o = {0};
  long nerr = 0;
  int quiet = 0, ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "se:t:qrnfKh", lo, NULL)) != -1) {
    switch (ch) {
    case 's': o.skip_invalid = 1; break;
    case 'e': o.encoding = optarg; break;
    case 't': o.type = optarg; break;
    case 'q': quiet = 1; break;
    case 'r': o.replace = 1; break;
    case 'n': o.dry_run = 1; break;
    case 'f': o.force = 1; break;
    case 'K': o.keep_files = 1; break;
    case 'h': printf("usage: %s\n", usage); return 0;
    default: return cli_usage(usage, NULL);
    }
  }
  if (optind >= argc) return cli_usage(usage, "no files to import");
  o.on_error = print_error;
  o.on_skipped = print_skipped;
  o.ctx = &nerr;
  o.on_file = cli_file_report;
  o.file_ctx = &quiet;
  jb_db *db = NULL;
  int code = cli_open(c, 0, &db);
  if (code) return code;
  jb_import_stats st = {0};
  jb_error err;
  jb_error_clear(&err);
  if (o.dry_run && !(o.changes = cJSON_CreateArray())) {
    jb_db_close(db);
    return EXIT_FAILURE_;
  }
  jb_status rc = jb_import_files(db, (const char *const *)argv + optind, argc - optind, &o, &st, &err);
  jb_db_close(db);
  if (o.dry_run) cli_print_changes(o.changes);
  cJSON_Delete(o.changes);
  if (rc && !nerr) fprintf(stderr, "jiebang: %s\n", err.message);
  if (!quiet || rc)
    fprintf(stderr, "jiebang: %ld read, %ld inserted, %ld updated, %ld unchanged, %ld invalid%s%s%s\n",
            st.read, st.inserted, st.updated, st.unchanged, st.invalid,
            st.errors ? cli_count(", %ld database or I/O errors", st.errors) : "",
            st.files_failed ? cli_count("; %ld rolled back with their file (nothing from a failed file is stored)",
                                        st.rolled_back) : "",
            st.files_skipped ? cli_count("; %ld files not imported", st.files_skipped) : "");
  if (st.first_change && st.first_change == st.last_change)
    fprintf(stderr, "jiebang: change %lld (undo: jiebang undo %lld)\n", st.first_change, st.first_change);
  else if (st.first_change)
    fprintf(stderr, "jiebang: changes %lld-%lld (one per file)\n", st.first_change, st.last_change);
  if (o.dry_run) fprintf(stderr, "jiebang: dry run, nothing stored\n");
  /* With --skip-invalid, skipped records are reported but the run succeeded. */
  if (rc && o.skip_invalid && !st.files_failed && (rc == JB_ERR_INVALID || rc == JB_ERR_PARSE || rc == JB_ERR_LIMIT))
    return 0;
  return cli_exit_code(rc);
}
