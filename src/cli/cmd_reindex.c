/*
** cmd_reindex.c — jiebang reindex; jiebang integrity
*/
#include "cli.h"
#include <stdio.h>

int cmd_reindex(cli_ctx *c, int argc, char **argv) {
  if (argc > 1) return cli_usage("jiebang reindex", "unexpected argument '%s'", argv[1]);
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_reindex(db, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  fprintf(stderr, "jiebang: indexes rebuilt\n");
  return 0;
}

int cmd_integrity(cli_ctx *c, int argc, char **argv) {
  if (argc > 1) return cli_usage("jiebang integrity", "unexpected argument '%s'", argv[1]);
  jb_db *db = NULL;
  /* FTS5's integrity-check is issued as a write command: open writable */
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_check(db, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  printf("ok\n");
  return 0;
}
