/*
** cmd_get.c — jiebang get TYPE ID [--with-contacts]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>


int cmd_get(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_GET);
  static const struct option lo[] = {{"with-contacts", no_argument, 0, 'c'},
                                     {"json", no_argument, 0, 'j'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  int wc = 0, json = 0, ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "cjh", lo, NULL)) != -1) {
    if (ch == 'c') wc = 1;
    else if (ch == 'j') json = 1;
    else if (ch == 'h') { printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0; }
    else return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
  }
  if (argc - optind != 2) return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_GET_ARGS));
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_get(db, argv[optind], argv[optind + 1], wc, &out, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  /* readable text for a person; --json for a program */
  if (json) code = cli_print_json(out, 0);
  else if ((rc = jb_record_print(out, stdout, &err))) code = cli_fail(&err, rc);
  cJSON_Delete(out);
  return code;
}
