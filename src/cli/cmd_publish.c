/*
** cmd_publish.c — jiebang publish list TAG | letter NEED EXPERT | sheet ORG [--with-contacts] [--issuer NAME] [-o FILE]
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_publish(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"with-contacts", no_argument, 0, 'c'},
                                     {"issuer", required_argument, 0, 'i'},
                                     {"output", required_argument, 0, 'o'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  const char *usage = jb_msg(JB_MSG_USAGE_PUBLISH), *outpath = NULL;
  jb_publish_opts o = {0};
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "ci:o:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'c': o.with_contacts = 1; break;
    case 'i': o.issuer = optarg; break;
    case 'o': outpath = optarg; break;
    case 'h': printf("%s\n", usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  int rest = argc - optind;
  if (rest < 1) return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_MISSING_ARG));
  o.what = argv[optind];
  if (!strcmp(o.what, "list") && rest == 2) o.list = argv[optind + 1];
  else if (!strcmp(o.what, "letter") && rest == 3) o.need = argv[optind + 1], o.expert = argv[optind + 2];
  else if (!strcmp(o.what, "sheet") && rest == 2) o.org = argv[optind + 1];
  else return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_MISSING_ARG));
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  cli_out out;
  if ((code = cli_out_open(&out, outpath, 0))) {
    jb_db_close(db);
    return code;
  }
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_publish(db, &o, out.f, &err);
  jb_db_close(db);
  return cli_out_close(&out, rc, &err);
}
