/*
** cmd_attach.c — jiebang attach (need ID | achievement ID | evidence EXPERT ID) FILE [--keep-files]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "jiebang attach (need ID | achievement ID | evidence EXPERT EVIDENCE) FILE [--keep-files]\n"
    "  FILE: .pdf, .docx or .txt. Its text is extracted, stored with the file's hash, size\n"
    "  and name, and indexed; a file already attached with the same hash is not extracted\n"
    "  again. Scanned PDFs and font-encoding garbage are reported and not indexed.";

int cmd_attach(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"keep-files", no_argument, 0, 'K'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_import_opts o = {0};
  int ch, all = 0;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "Kh", lo, NULL)) != -1) {
    switch (ch) {
    case 'K': o.keep_files = 1; break;
    case 'h': printf("usage: %s\n", usage); return 0;
    default: return cli_usage(usage, NULL);
    }
  }
  int n = argc - optind;
  char **a = argv + optind;
  int evidence = n >= 1 && !strcmp(a[0], "evidence");
  if (n != (evidence ? 4 : 3)) return cli_usage(usage, "expected a kind, an id%s and a file", evidence ? ", an evidence id" : "");
  if (strcmp(a[0], "need") && strcmp(a[0], "achievement") && !evidence)
    return cli_usage(usage, "unknown kind '%s' (need, achievement, evidence)", a[0]);
  o.on_file = cli_file_report;
  o.file_ctx = &all; /* every file's report, not only problems */
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_attach(db, a[0], a[1], evidence ? a[2] : NULL, a[n - 1], &o, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  return 0;
}
