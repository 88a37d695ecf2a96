/*
** cmd_export.c — jiebang export [--no-contacts] [--with-history] [--format jsonl|xlsx] [-o FILE]
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "jiebang export [--no-contacts] [--with-history] [--format jsonl|xlsx] [-o FILE]\n"
    "  Writes every record, contact details included, as JSON Lines (or an Excel workbook,\n"
    "  one sheet per kind) that re-import to the same state: a backup. --no-contacts writes a\n"
    "  sharing copy, marked as such on its first line, which import refuses (it would erase the\n"
    "  stored contacts). --with-history adds every change set and earlier version (importing the\n"
    "  file into a new database restores them too; JSON Lines only). -o FILE is written whole or\n"
    "  not at all.";

int cmd_export(cli_ctx *c, int argc, char **argv) {
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
    case 'h': printf("usage: %s\n", usage); return 0;
    default: return cli_usage(usage, NULL);
    }
  }
  if (optind != argc) return cli_usage(usage, "unexpected argument '%s'", argv[optind]);
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
