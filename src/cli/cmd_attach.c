/*
** cmd_attach.c — jiebang attach (need ID | achievement ID | evidence EXPERT ID) FILE [--keep-files]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>


int cmd_attach(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_ATTACH);
  static const struct option lo[] = {{"keep-files", no_argument, 0, 'K'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_import_opts o = {0};
  int ch, all = 0;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "Kh", lo, NULL)) != -1) {
    switch (ch) {
    case 'K': o.keep_files = 1; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  int n = argc - optind;
  char **a = argv + optind;
  int evidence = n >= 1 && !strcmp(a[0], "evidence");
  if (n != (evidence ? 4 : 3)) return cli_usage(usage, jb_msg(JB_MSG_CLI_ATTACH_ARGS), evidence ? jb_msg(JB_MSG_CLI_ATTACH_EVIDENCE_ID) : "");
  if (strcmp(a[0], "need") && strcmp(a[0], "achievement") && !evidence)
    return cli_usage(usage, jb_msg(JB_MSG_CLI_UNKNOWN_KIND), a[0], "need, achievement, evidence");
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
