/*
** cmd_template.c — jiebang template need|expert|achievement|org [--format xlsx|csv] [-o FILE]
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_template(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"format", required_argument, 0, 'f'},
                                     {"output", required_argument, 0, 'o'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  const char *usage = jb_msg(JB_MSG_USAGE_TEMPLATE), *format = "xlsx", *outpath = NULL;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "f:o:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'f': format = optarg; break;
    case 'o': outpath = optarg; break;
    case 'h': printf("%s\n", usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (argc - optind != 1) return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_MISSING_ARG));
  if (!strcmp(format, "xlsx") && !outpath && cli_binary_to_tty()) return EXIT_USAGE;
  /* the drop-downs come from the lexicon: no database is needed */
  jb_db *db = NULL;
  jb_open_opts o = {0};
  o.lexicon_dir = c->no_lexicon ? "" : c->lexicon_dir;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_open(":memory:", &o, &db, &err);
  if (rc) return cli_fail(&err, rc);
  cli_out out;
  int code = cli_out_open(&out, outpath, !strcmp(format, "xlsx") ? CLI_OUT_RAW : 0);
  if (code) {
    jb_db_close(db);
    return code;
  }
  rc = jb_template(db, argv[optind], format, out.f, &err);
  jb_db_close(db);
  return cli_out_close(&out, rc, &err);
}
