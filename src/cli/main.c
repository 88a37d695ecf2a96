/*
** main.c — the jiebang command-line tool: global options and the command
** table. Each command lives in its own cmd_<name>.c.
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static const cli_cmd commands[] = {
    {"import", cmd_import, JB_MSG_CMD_IMPORT},
    {"export", cmd_export, JB_MSG_CMD_EXPORT},
    {"search", cmd_search, JB_MSG_CMD_SEARCH},
    {"attach", cmd_attach, JB_MSG_CMD_ATTACH},
    {"match", cmd_match, JB_MSG_CMD_MATCH},
    {"batch", cmd_batch, JB_MSG_CMD_BATCH},
    {"assign", cmd_assign, JB_MSG_CMD_ASSIGN},
    {"demands", cmd_demands, JB_MSG_CMD_DEMANDS},
    {"check", cmd_check, JB_MSG_CMD_CHECK},
    {"get", cmd_get, JB_MSG_CMD_GET},
    {"set", cmd_set, JB_MSG_CMD_SET},
    {"outcome", cmd_outcome, JB_MSG_CMD_OUTCOME},
    {"history", cmd_history, JB_MSG_CMD_HISTORY},
    {"revert", cmd_revert, JB_MSG_CMD_REVERT},
    {"undo", cmd_undo, JB_MSG_CMD_UNDO},
    {"delete", cmd_delete, JB_MSG_CMD_DELETE},
    {"report", cmd_report, JB_MSG_CMD_REPORT},
    {"learn", cmd_learn, JB_MSG_CMD_LEARN},
    {"changes", cmd_changes, JB_MSG_CMD_CHANGES},
    {"publish", cmd_publish, JB_MSG_CMD_PUBLISH},
    {"template", cmd_template, JB_MSG_CMD_TEMPLATE},
    {"stats", cmd_stats, JB_MSG_CMD_STATS},
    {"web", cmd_web, JB_MSG_CMD_WEB},
    {"user", cmd_user, JB_MSG_CMD_USER},
    {"serve", cmd_serve, JB_MSG_CMD_SERVE},
    {"reindex", cmd_reindex, JB_MSG_CMD_REINDEX},
    {"integrity", cmd_integrity, JB_MSG_CMD_INTEGRITY},
};

#define USAGE "jiebang [--db PATH] [--lexicon DIR] [--lang zh|en] [--user NAME] COMMAND"

static void help(FILE *f) {
  fprintf(f, jb_msg(JB_MSG_HELP_HEAD), JIEBANG_VERSION);
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, jb_msg(commands[i].summary));
  fputs(jb_msg(JB_MSG_HELP_TAIL), f);
}

int main(int argc, char **argv) {
  cli_ctx c = {0};
  cli_stdio_init();
  opterr = 0; /* getopt's own messages are English only: commands say it (CLI_BAD_OPTION) */
  const char *lang = getenv("JIEBANG_LANG");
  c.prog = "jiebang";
  c.db_path = getenv("JIEBANG_DB");
  c.db_from = "JIEBANG_DB";
  if (!c.db_path || !*c.db_path) {
    c.db_path = "jiebang.db";
    c.db_from = NULL;
  }
  /* Global options may stand anywhere before "--"; remove them. */
  int n = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) {
      while (i < argc) argv[n++] = argv[i++];
      break;
    }
    const char **slot = NULL;
    const char *val = NULL;
    if (!strcmp(argv[i], "--no-lexicon")) {
      c.no_lexicon = 1;
      continue;
    }
    if (!strcmp(argv[i], "--progress")) {
      cli_progress_always();
      continue;
    }
    if (!strncmp(argv[i], "--db", 4) && (argv[i][4] == 0 || argv[i][4] == '=')) {
      slot = &c.db_path;
      c.db_from = "--db";
    } else if (!strncmp(argv[i], "--lexicon", 9) && (argv[i][9] == 0 || argv[i][9] == '='))
      slot = &c.lexicon_dir;
    else if (!strncmp(argv[i], "--user", 6) && (argv[i][6] == 0 || argv[i][6] == '='))
      slot = &c.user;
    else if (!strncmp(argv[i], "--lang", 6) && (argv[i][6] == 0 || argv[i][6] == '='))
      slot = &lang;
    if (!slot) {
      argv[n++] = argv[i];
      continue;
    }
    const char *opt = slot == &c.db_path ? "--db" : slot == &lang ? "--lang" : slot == &c.user ? "--user" : "--lexicon";
    const char *eq = strchr(argv[i], '=');
    if (eq) val = eq + 1;
    else if (i + 1 < argc) val = argv[++i];
    /* name the option, not the (empty) value that followed it */
    if (!val) return cli_usage(USAGE, jb_msg(JB_MSG_CLI_NEEDS_VALUE), opt);
    if (!*val) return cli_usage(USAGE, jb_msg(JB_MSG_CLI_EMPTY_VALUE), opt);
    *slot = val;
  }
  argc = n;
  argv[argc] = NULL;
  if (!c.user || !*c.user) c.user = getenv("JIEBANG_USER");
  if (!c.user || !*c.user) c.user = cli_os_user();
  /* The language of every message: --lang, else JIEBANG_LANG, else Chinese. */
  if (lang && *lang) {
    jb_lang l;
    if (jb_lang_parse(lang, &l)) return cli_usage(USAGE, jb_msg(JB_MSG_LANG_UNKNOWN), lang);
    jb_lang_set(l);
  }
  if (argc < 2) {
    help(stderr);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    help(stdout);
    return cli_finish(0);
  }
  if (!strcmp(argv[1], "--version")) {
    printf("jiebang %s\n", JIEBANG_VERSION);
    return cli_finish(0);
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (!strcmp(argv[1], commands[i].name)) {
      c.command = cli_join_args(argc - 1, argv + 1); /* recorded with the changes it makes */
      int code = cli_finish(commands[i].fn(&c, argc - 1, argv + 1));
      free(c.command);
      return code;
    }
  cli_say(jb_msg(JB_MSG_CLI_UNKNOWN_COMMAND), argv[1]);
  fputc('\n', stderr);
  help(stderr);
  return EXIT_USAGE;
}
