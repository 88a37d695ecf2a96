/*
** cmd_reindex.c — jiebang reindex; jiebang integrity
*/
#include "cli.h"
#include <stdio.h>

int cmd_reindex(cli_ctx *c, int argc, char **argv) {
  if (cli_help_asked(argc, argv, jb_msg(JB_MSG_USAGE_REINDEX))) return 0;
  if (argc > 1) return cli_usage(jb_msg(JB_MSG_USAGE_REINDEX), jb_msg(JB_MSG_CLI_UNEXPECTED_ARG), argv[1]);
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_reindex(db, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  fprintf(stderr, "jiebang: %s\n", jb_msg(JB_MSG_CLI_REINDEXED));
  return 0;
}

int cmd_integrity(cli_ctx *c, int argc, char **argv) {
  if (cli_help_asked(argc, argv, jb_msg(JB_MSG_USAGE_INTEGRITY))) return 0;
  if (argc > 1) return cli_usage(jb_msg(JB_MSG_USAGE_INTEGRITY), jb_msg(JB_MSG_CLI_UNEXPECTED_ARG), argv[1]);
  jb_db *db = NULL;
  /* FTS5's integrity-check is issued as a write command: open writable */
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_check(db, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  printf("%s\n", jb_msg(JB_MSG_CLI_INTEGRITY_OK));
  return 0;
}
