/*
** cmd_export.c — jiebang export [--no-contacts] [--with-history] [--format jsonl|xlsx] [-o FILE]
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>


int cmd_export(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_EXPORT);
  static const struct option lo[] = {{"with-contacts", no_argument, 0, 'c'}, /* the default; kept for scripts */
                                     {"no-contacts", no_argument, 0, 'n'},
                                     {"with-history", no_argument, 0, 'H'},
                                     {"output", required_argument, 0, 'o'},
                                     {"format", required_argument, 0, 'f'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  int flags = JB_EXPORT_WITH_CONTACTS, ch;
  const char *outpath = NULL, *format = "jsonl";
  optind = 1;
  while ((ch = getopt_long(argc, argv, "cHo:f:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'f': format = optarg; break;
    case 'c': flags |= JB_EXPORT_WITH_CONTACTS; break;
    case 'n': flags |= JB_EXPORT_SHARING; break;
    case 'H': flags |= JB_EXPORT_WITH_HISTORY; break;
    case 'o': outpath = optarg; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (optind != argc) return cli_usage(usage, jb_msg(JB_MSG_CLI_UNEXPECTED_ARG), argv[optind]);
  int xlsx = !strcmp(format, "xlsx");
  if (!xlsx && strcmp(format, "jsonl")) return cli_usage(usage, jb_msg(JB_MSG_FORMAT_UNKNOWN), format, "jsonl, xlsx");
  /* the history lines have no sheet: a workbook would drop them silently */
  if (xlsx && (flags & JB_EXPORT_WITH_HISTORY))
    return cli_usage(usage, jb_msg(JB_MSG_CLI_OPTS_CONFLICT), "--with-history", "--format xlsx");
  if (xlsx && !outpath && cli_binary_to_tty()) return EXIT_USAGE;
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  cli_out out;
  if ((code = cli_out_open(&out, outpath, xlsx ? CLI_OUT_RAW : 0))) {
    jb_db_close(db);
    return code;
  }
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = xlsx ? jb_export_xlsx(db, out.f, flags, &err) : jb_export(db, out.f, flags, &err);
  jb_db_close(db);
  /* a failed export leaves the old backup file as it was */
  return cli_out_close(&out, rc, &err);
}
