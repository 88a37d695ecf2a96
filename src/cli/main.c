/*
** main.c — the jiebang command-line tool: global options and the command
** table. Each command lives in its own cmd_<name>.c.
*/
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static const cli_cmd commands[] = {
    {"import", cmd_import, "import JSON Lines / CSV files (one transaction per file)"},
    {"export", cmd_export, "write every record as JSON Lines"},
    {"search", cmd_search, "full-text search over needs, experts, achievements, orgs"},
    {"attach", cmd_attach, "attach a .pdf, .docx or .txt file to a need, evidence item or achievement"},
    {"match", cmd_match, "rank experts, achievements and institutions for a need (or needs for them)"},
    {"batch", cmd_batch, "match many needs at once (JSON Lines, CSV or TREC output)"},
    {"assign", cmd_assign, "揭榜挂帅 pairings and talent placement for a whole list, exactly optimal"},
    {"demands", cmd_demands, "demand list for technology transfer (JSON, CSV, Markdown, HTML)"},
    {"check", cmd_check, "intake quality of a need, or of the whole database"},
    {"get", cmd_get, "show one record"},
    {"set", cmd_set, "change fields of a record: set need ID status=paired deadline=2025-06-30"},
    {"outcome", cmd_outcome, "record how a pairing went: outcome NEED CANDIDATE STATE [field=value ...]"},
    {"history", cmd_history, "every version of a record, with who changed what"},
    {"revert", cmd_revert, "make an earlier version of a record current again"},
    {"undo", cmd_undo, "reverse a whole change set (an import, a set, a delete ...)"},
    {"delete", cmd_delete, "delete a record (reversible with undo or revert)"},
    {"report", cmd_report, "progress against the work plan's targets: report progress --year 2021 --format html"},
    {"learn", cmd_learn, "fit the score's chain/region/program boosts to recorded outcomes (cross-validated)"},
    {"changes", cmd_changes, "the latest change sets: who, when, which command and file"},
    {"publish", cmd_publish, "documents to send: 揭榜挂帅榜单, 推荐函 to an expert, one page per enterprise (A4 HTML)"},
    {"template", cmd_template, "blank import template (need, expert, achievement, org) for Excel or CSV"},
    {"stats", cmd_stats, "counts and index state"},
    {"web", cmd_web, "the staff workbench in a browser (工作台): jiebang web --listen 127.0.0.1:8080"},
    {"user", cmd_user, "workbench accounts: user add NAME --role admin|staff|viewer, passwd, disable, list"},
    {"serve", cmd_serve, "JSON requests on stdin, one response per line on stdout"},
    {"reindex", cmd_reindex, "rebuild the full-text and match indexes"},
    {"integrity", cmd_integrity, "check the database, its full-text index and the match index files"},
};

#define USAGE "jiebang [--db PATH] [--lexicon DIR] [--lang zh|en] [--user NAME] COMMAND"

static void help(FILE *f) {
  fprintf(f, "jiebang %s — match technical needs with experts, achievements and institutions\n\n"
             "usage: jiebang [--db PATH] [--lexicon DIR] [--user NAME] COMMAND [ARGS]\n\ncommands:\n",
          JIEBANG_VERSION);
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nThe database is --db PATH, else $JIEBANG_DB, else ./jiebang.db.\n"
             "Run 'jiebang COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv) {
  cli_ctx c = {0};
  cli_stdio_init();
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
  fprintf(stderr, "jiebang: unknown command '%s'\n\n", argv[1]);
  help(stderr);
  return EXIT_USAGE;
}
