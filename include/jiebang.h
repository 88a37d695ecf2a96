/*
** jiebang.h — public interface of the jiebang engine.
**
** jiebang matches enterprises' technical needs with experts, achievements and
** institutions. The engine keeps everything in one SQLite database, indexes it
** with its own Chinese/English FTS5 tokenizer, and answers search, match and
** batch requests. The `jiebang` program is a thin layer over this header.
**
** Ownership rule, for the whole API: a function whose name contains "new",
** "open" or that returns through a `**pp` argument transfers ownership of the
** object to the caller, who releases it with the matching free/close function
** (for cJSON trees: cJSON_Delete). Every free/close function accepts NULL.
** Strings passed in are borrowed for the duration of the call only.
**
** Errors: every fallible function returns a jb_status and, when `err` is not
** NULL, fills it with a message that names the file, line, field and value
** where those apply. The library never prints.
*/
#ifndef JIEBANG_H
#define JIEBANG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JIEBANG_VERSION "0.1.0"

/* The one error enum. Values are stable: they are the `code` of protocol
** errors and map to the CLI's exit codes. */
typedef enum jb_status {
  JB_OK = 0,
  JB_ERR_USAGE = 1,     /* bad arguments or request shape */
  JB_ERR_IO = 2,        /* cannot read or write a file */
  JB_ERR_PARSE = 3,     /* malformed JSON, CSV or encoding */
  JB_ERR_INVALID = 4,   /* well-formed record that breaks a rule */
  JB_ERR_NOTFOUND = 5,  /* no such record */
  JB_ERR_DB = 6,        /* SQLite failed */
  JB_ERR_NOMEM = 7,
  JB_ERR_LIMIT = 8,     /* a size or resource limit was hit */
  JB_ERR_BUSY = 9,      /* database locked longer than the busy timeout */
  JB_ERR_STALE = 10,    /* an index is out of date; run `jiebang reindex` */
  JB_ERR_CORRUPT = 11,  /* integrity check failed */
  JB_ERR_INTERNAL = 12,
  JB_ERR_INTERRUPTED = 13 /* stopped by jb_interrupt() (SIGINT, SIGTERM) */
} jb_status;

/* Asks whatever the engine is doing to stop at its next safe point: between
** two records of an import (the file under way is rolled back), between
** two lines of a batch, between two tasks of an assignment. The call
** returns JB_ERR_INTERRUPTED. Async-signal-safe: made for a SIGINT/SIGTERM
** handler. jb_interrupted() says whether it was asked. */
void jb_interrupt(void);
int jb_interrupted(void);

/* Static text for a status ("invalid record"), in the current language;
** never NULL. */
const char *jb_status_str(jb_status rc);
/* Stable machine name for a status ("invalid"), used in JSON errors. */
const char *jb_status_name(jb_status rc);

/* ---------------------------------------------------------------- messages */

/* Every text a person reads comes from one catalogue (jiebang_msgs.def), in
** Chinese by default or English. JSON keys and error codes never change
** with the language. */
typedef enum jb_msg_id {
#define JB_MSG(id, zh, en) JB_MSG_##id,
#include "jiebang_msgs.def"
#undef JB_MSG
  JB_MSG_COUNT
} jb_msg_id;

typedef enum jb_lang { JB_LANG_ZH = 0, JB_LANG_EN = 1 } jb_lang;

/* The language of messages for the whole process: set once at start (the
** CLI's --lang); until then the environment's JIEBANG_LANG, else Chinese. */
void jb_lang_set(jb_lang lang);
jb_lang jb_lang_get(void);
/* Reads "zh", "zh_CN.UTF-8", "cn", "en", "en_US" ... into *lang; JB_ERR_USAGE
** for anything else. */
jb_status jb_lang_parse(const char *s, jb_lang *lang);
/* A message in the current language (a printf format where the catalogue
** says so); never NULL. */
const char *jb_msg(jb_msg_id id);
/* The same in a given language. */
const char *jb_msg_in(jb_msg_id id, jb_lang lang);
/* How a record type or a closed set's value is shown in the current
** language ("open" -> 开放, "expert" -> 专家); the value itself when it has
** no label. Never NULL. */
const char *jb_value_label(const char *value);
/* A record field's name as a person reads it, in the current language
** (kind "need", field "budget" -> 预算（万元）; the field itself in English
** or when the kind is unknown). Static storage. */
const char *jb_field_label(const char *kind, const char *field);

/* Detailed error. `message` is complete on its own ("needs.jsonl:37: title:
** missing required field"); file/line/field repeat the location for callers
** that want it separately (line 0 = no line). */
typedef struct jb_error {
  jb_status code;
  char message[1024];
  char file[512];
  long line;
  char field[128];
} jb_error;

void jb_error_clear(jb_error *err);

/* ---------------------------------------------------------------- database */

typedef struct jb_db jb_db;

typedef struct jb_open_opts {
  int readonly;              /* open without write access */
  const char *lexicon_dir;   /* NULL: JIEBANG_LEXICON, then built-in default */
  int busy_timeout_ms;       /* 0: 10000 */
  int no_create;             /* a missing database is JB_ERR_NOTFOUND, not a new file */
  int require_lexicon;       /* a missing or empty lexicon is an error (it changes every score) */
  int no_index_save;         /* never write the match index files (DB.mx, DB.mx.needs): another
                             ** connection of the same process does (the web's pool: one saves, so
                             ** an import is not followed by four writes of the same file) */
} jb_open_opts;

/* Opens (creating and migrating if needed) the database at `path`. */
jb_status jb_db_open(const char *path, const jb_open_opts *opts, jb_db **ppDb,
                     jb_error *err);
void jb_db_close(jb_db *db);

/* Counts of each kind and index state, as a JSON object (caller owns). */
jb_status jb_db_stats(jb_db *db, cJSON **ppOut, jb_error *err);

/* One record by kind ("org","need","expert","achievement") and id, as stored
** (the import format). Contacts are included only with `with_contacts`. */
jb_status jb_db_get(jb_db *db, const char *kind, const char *id,
                    int with_contacts, cJSON **ppOut, jb_error *err);

/* Writes a record for a person to read: one "标签：值" line per field, in
** the current language, evidence listed after. */
jb_status jb_record_print(const cJSON *rec, FILE *out, jb_error *err);

/* Rebuilds the full-text index and the match index from the tables. Needed
** after a tokenizer or lexicon change; `jb_db_stats` reports staleness. */
jb_status jb_db_reindex(jb_db *db, jb_error *err);

/* PRAGMA integrity_check plus FTS5 'integrity-check'. JB_OK when both pass. */
jb_status jb_db_check(jb_db *db, jb_error *err);

/* ------------------------------------------------------------------ import */

/* What became of one attached file ("file" of a need, evidence item or
** achievement, or `jiebang attach`). status: "ok" (extracted and indexed),
** "partial" (garbage blocks dropped, the rest indexed), "garbage" (font-
** encoding garbage: nothing indexed), "no_text" (no text layer, e.g. a
** scanned PDF: nothing indexed), "unchanged" (same hash as stored: not
** extracted again). Strings are borrowed for the callback's duration. */
typedef struct jb_file_report {
  const char *record;        /* "need N1", "achievement A1", "evidence E1/P1" */
  const char *file;          /* the path as resolved */
  const char *format;        /* "pdf", "docx", "txt" */
  const char *status;
  long size;                 /* bytes */
  long chars;                /* letters indexed */
  long dropped;              /* letters dropped as garbage */
  int pages;                 /* PDF pages, else 0 */
  int truncated;             /* text cut at the per-file text limit */
  const char *source;        /* the importing file and line, or NULL */
  long line;
} jb_file_report;

typedef struct jb_import_opts {
  int skip_invalid;          /* store good records, report every bad one */
  int replace;               /* a record replaces the stored one whole; else it
                             ** is a patch: only its fields change, null clears */
  int force;                 /* allow outcome transitions that skip or go back */
  int dry_run;               /* validate, count and roll everything back; fill
                             ** `changes` (when given) with what would change */
  cJSON *changes;            /* dry run: a caller's array, appended
                             ** {"kind","key","op","changes":[{"field","old","new"}]} */
  int keep_files;            /* store attached files themselves, not only their text */
  /* Called once per attached file with file_ctx, may be NULL. */
  void (*on_file)(void *file_ctx, const jb_file_report *r);
  void *file_ctx;
  const char *encoding;      /* CSV input encoding (e.g. "GB18030"); NULL = UTF-8 */
  const char *type;          /* record type when neither record nor file name says */
  int new_chains;            /* accept industry chains not in the lexicon */
  /* Called for every bad record when skip_invalid is set (and for the first
  ** when it is not). May be NULL. */
  void (*on_error)(void *ctx, const jb_error *e);
  /* Called once per file given, when its fate is known: JB_FILE_COMMITTED
  ** (its records are stored), JB_FILE_ROLLED_BACK (none are) or
  ** JB_FILE_NOT_STARTED (an earlier failure or an interrupt stopped the run
  ** before it). May be NULL. */
  void (*on_fate)(void *ctx, const char *path, int fate);
  /* Called every 1000 records with the file and the records read so far in
  ** it. May be NULL. */
  void (*on_progress)(void *ctx, const char *path, long records);
  /* Called for every stored record: its type, id, line and what changed
  ** (0 nothing, 1 inserted, 2 updated). May be NULL. */
  void (*on_record)(void *ctx, const char *type, const char *id, long line, int change);
  void *ctx;
  /* Called for each file not imported because an earlier one failed (a
  ** failed file stops the run: later files may refer to its records). */
  void (*on_skipped)(void *ctx, const char *path);
} jb_import_opts;

#define JB_FILE_COMMITTED 0
#define JB_FILE_ROLLED_BACK 1
#define JB_FILE_NOT_STARTED 2

typedef struct jb_import_stats {
  long read;        /* records read */
  long inserted;    /* new records */
  long updated;     /* existing records whose content changed */
  long unchanged;   /* existing records identical to the input */
  long invalid;     /* bad records (skipped or fatal) */
  long files_failed;/* files rolled back */
  long history;     /* change set and history lines restored */
  long long first_change, last_change; /* change set ids made (0: none), for undo */
  long rolled_back; /* records stored, then undone with their file: not in inserted/updated */
  long errors;      /* records that met a database or I/O error (not "invalid") */
  long files_skipped;/* files not imported because an earlier file failed */
} jb_import_stats;

/* Imports JSON Lines and CSV files. Each file is one transaction: on a bad
** record the file is rolled back (unless skip_invalid) and the error names
** FILE:LINE: field. Files are applied so that organizations come before the
** records that refer to them, whatever the order given. Returns the first
** error; `stats` (may be NULL) accumulates over all files. */
jb_status jb_import_files(jb_db *db, const char *const *paths, int n,
                          const jb_import_opts *opts, jb_import_stats *stats,
                          jb_error *err);

/* Imports records from a JSON array (the serve protocol's inline import) in
** one transaction; `source` names them in errors. */
jb_status jb_import_json(jb_db *db, const cJSON *records, const char *source,
                         const jb_import_opts *opts, jb_import_stats *stats,
                         jb_error *err);

/* Changes one record from "field=value" texts, typed as CSV cells are (list
** fields split on ';', numbers parsed, "null" clears the field): the same
** validation and patch as import, one transaction. `kind` is a record type
** ("need", "outcome", ...); the assignments include the key fields ("id=…",
** or "need=…" and "expert=…"). */
jb_status jb_set(jb_db *db, const char *kind, const char *const *assign, int n,
                 const jb_import_opts *opts, jb_import_stats *stats, jb_error *err);

/* ----------------------------------------------------------------- history */

/* Who changes the data and by which command line: recorded with every change
** set (store_change.c). Without it: user "unknown"; a NULL user keeps the one
** set before. */
jb_status jb_db_set_actor(jb_db *db, const char *user, const char *command);

/* A record's history key from its parts: an id; for conflict/collaboration
** expert and org; for an outcome need and candidate (with its type first when
** ids are ambiguous: need, "expert", id). Caller frees; NULL when the parts do
** not name a key (the error says why). */
char *jb_history_key(jb_db *db, const char *kind, const char *const *parts, int n, jb_error *err);

/* Every version of a record, oldest first (caller owns): {"kind","key",
** "versions":[{"version","change","at","user","command","input","sha256",
** "op","record" (or null: absent),"diff":[{"field","old","new"}]}],
** "retention":{...}}. */
jb_status jb_history(jb_db *db, const char *kind, const char *key, cJSON **ppOut, jb_error *err);
/* Makes version `version` of a record current again, as a new version (a
** version where it did not exist deletes it). Result: {"change","op"}. */
jb_status jb_revert(jb_db *db, const char *kind, const char *key, long version, cJSON **ppOut,
                    jb_error *err);
/* Deletes a record (reversible: revert or undo). Refuses while other records
** refer to it. Result: {"change"}. */
jb_status jb_delete(jb_db *db, const char *kind, const char *key, cJSON **ppOut, jb_error *err);
/* Reverses a whole change set (an import, a set, a delete ...) as a new one;
** refuses when a record it changed was changed again later (undo that first).
** Result: {"change","undoes","records"}. */
jb_status jb_undo(jb_db *db, long long change, cJSON **ppOut, jb_error *err);
/* The latest change sets, newest first (caller owns): [{"id","at","user",
** "command","input","sha256","records","undoes","undone_by"}]. */
jb_status jb_changes(jb_db *db, int limit, cJSON **ppOut, jb_error *err);
/* History retention in days (0: kept for ever, the default). */
jb_status jb_history_retention(jb_db *db, int days, jb_error *err);
/* Imports one file's contents already in memory (an upload): `name` is its
** file name, which decides CSV or JSON Lines and the default type, as a path
** would. One transaction, as for a file. */
jb_status jb_import_text(jb_db *db, const char *name, const char *text, size_t n,
                         const jb_import_opts *opts, jb_import_stats *stats, jb_error *err);

/* Attaches a file (.pdf, .docx, .txt) to a record: kind "need" or
** "achievement" with its id, or "evidence" with the expert's id and the
** evidence id in `sub`. The text is extracted, judged (garbage and scans
** are reported, not indexed), stored with the file's SHA-256, size and name
** (the file itself only with opts->keep_files), and indexed for search and
** matching; a file whose hash is stored already is not extracted again.
** opts may be NULL; opts->on_file gets the report. */
jb_status jb_attach(jb_db *db, const char *kind, const char *id, const char *sub, const char *path,
                    const jb_import_opts *opts, jb_error *err);

/* ------------------------------------------------------------------ export */

#define JB_EXPORT_WITH_CONTACTS 1
/* A sharing copy: contacts left out, and a first line
** {"type":"export","contacts":"removed",...} marking it as such, so that
** import refuses to take it for a backup (it would erase the contacts). */
#define JB_EXPORT_SHARING 2
#define JB_EXPORT_WITH_HISTORY 4  /* also change sets and history lines (restorable) */
/* Writes every record as JSON Lines, in an order that re-imports cleanly. */
jb_status jb_export(jb_db *db, FILE *out, int flags, jb_error *err);

/* The same as an Excel workbook: one sheet per kind (机构, 专家, 证据, 成果,
** 需求 ...) under the Chinese headers the importer reads, so that importing
** the workbook gives the same records. */
jb_status jb_export_xlsx(jb_db *db, FILE *out, int flags, jb_error *err);

/* A blank import template for "need", "expert", "achievement" or "org" as
** "xlsx" (drop-downs for closed sets, chains and programs) or "csv":
** Chinese headers and one example row (its id starts with 示例, which the
** importer skips). */
jb_status jb_template(jb_db *db, const char *kind, const char *format, FILE *out, jb_error *err);

/* ------------------------------------------------------------------ search */

typedef struct jb_search_opts {
  const char *query;
  const char *type;          /* NULL or "need","expert","achievement","org" */
  int k;                     /* results wanted; 0 = 10 */
  const char *mark_open;     /* highlight markers; NULL = "[" and "]" */
  const char *mark_close;
} jb_search_opts;

/* Full-text search. Result (caller owns): {"query", "expanded": [...],
** "mode": "all"|"any", "total", "results": [{"type","id","title","score",
** "snippet","field"}]}. Any user text is accepted. */
jb_status jb_search(jb_db *db, const jb_search_opts *opts, cJSON **ppOut,
                    jb_error *err);

/* ------------------------------------------------------------------- match */

typedef struct jb_match_opts {
  const char *need_id;       /* match this need ... */
  const char *text;          /* ... or this ad-hoc need text */
  const char *expert_id;     /* reverse: needs for an expert */
  const char *achievement_id;/* reverse: needs for an achievement */
  const char *type;          /* filter: "expert","achievement","org" (or "need") */
  int k;                     /* 0 = 10; <0 = every candidate */
  const char *why_not;       /* explain why this candidate is not listed */
  const cJSON *weights;      /* overrides of the scoring weights, or NULL */
  int explain;               /* include terms/evidence/components */
} jb_match_opts;

/* Ranks candidates with explanations. Result (caller owns): {"query":{...},
** "results":[{"type","id","name","score","components":{...},
** "terms":[{"term","weight"}], "evidence":{"id","title","snippet"}}],
** "excluded":[{"type","id","name","score","reason"}] (conflicts of interest,
** no capacity: at most 20), "candidates": how many scored candidates the
** list was drawn from (the best k and room for excluded ones, or all of
** them with why_not), "why_not": {...}}. */
jb_status jb_match(jb_db *db, const jb_match_opts *opts, cJSON **ppOut,
                   jb_error *err);

typedef enum jb_batch_format {
  JB_BATCH_JSONL = 0,
  JB_BATCH_CSV = 1,
  JB_BATCH_TREC = 2,
  JB_BATCH_XLSX = 3 /* a workbook for staff: names beside ids; written whole at the end */
} jb_batch_format;

typedef struct jb_batch_opts {
  const char *needs_file;    /* JSON Lines/CSV needs to match (ad hoc) ... */
  int open_needs;            /* ... or every open need in the database */
  const char *type;          /* candidate type filter */
  int k;                     /* per need; 0 = every candidate */
  jb_batch_format format;
  int threads;               /* 0 = number of cores */
  int shard_index, shard_count; /* process needs i with i % count == index */
  const char *run_tag;       /* TREC tag */
  const cJSON *weights;
  void (*on_progress)(void *ctx, long done, long total);
  void *ctx;
} jb_batch_opts;

/* Scores many needs and writes results in need order, deterministically. */
jb_status jb_batch(jb_db *db, const jb_batch_opts *opts, FILE *out,
                   jb_error *err);

/* Default scoring weights as a JSON object (caller owns), for display. */
cJSON *jb_match_default_weights(void);

/* ----------------------------------------------------------------- demands */

/* Default similarity thresholds between needs (see README, measured by
** bench/demand_quality): near-duplicates and common needs. */
#define JB_DEMAND_DUPLICATE 0.38
#define JB_DEMAND_COMMON 0.35
/* Recommendations below this score are not printed: on the bundled corpus
** pairs under 0.15 matched on one or two generic words (a judgment from
** reading the lists, not a measured optimum). */
#define JB_DEMAND_MIN_SCORE 0.15

typedef struct jb_demand_opts {
  const char *chain;        /* only this industry chain */
  const char *since;        /* only needs created on or after (YYYY-MM-DD) */
  const char *status;       /* "open" (default), "paired", "closed" or "all" */
  const char *org;          /* only this enterprise's needs */
  double dup_threshold;     /* 0 = JB_DEMAND_DUPLICATE */
  double common_threshold;  /* 0 = JB_DEMAND_COMMON */
  int min_orgs;             /* enterprises a common need spans; 0 = 2 */
  int k;                    /* experts and achievements per need; 0 = 3 */
  int with_contacts;        /* include enterprises' contacts */
  int include_expired;      /* also needs whose deadline has passed (marked) */
  double min_score;         /* recommendations at least this good; 0 = JB_DEMAND_MIN_SCORE */
  const char *title;        /* report title */
  const char *date;         /* generation date shown; NULL = today (UTC) */
} jb_demand_opts;

/* Builds the demand list (caller owns; schema in docs/demands-schema.md). */
jb_status jb_demands(jb_db *db, const jb_demand_opts *o, cJSON **ppOut, jb_error *err);
/* Writes a demand list as "json", "csv" (UTF-8 BOM, for Excel), "md" or
** "html" (self-contained, printable). */
jb_status jb_demand_render(const cJSON *list, const char *format, FILE *out, jb_error *err);

/* ---------------------------------------------------------------- progress */

typedef struct jb_progress_opts {
  int year;                 /* 0: this year */
  const char *targets_file; /* NULL: the bundled corpora/chenxi/targets.tsv */
  const char *as_of;        /* YYYY-MM-DD; NULL: the year's end, or today while it runs */
  int stale_days;           /* open needs without contact after this many days; 0 = 60 */
} jb_progress_opts;

/* Progress against the year's targets (caller owns): {"year","as_of",
** "targets":[{"metric","label","unit","target","actual","share","source"}],
** "by_chain":[...], "by_month":[...], "funnel":[...], "repeated_declines":[...],
** "no_contact":{"days","needs":[...]}}. What each metric counts: README. */
jb_status jb_progress(jb_db *db, const jb_progress_opts *o, cJSON **ppOut, jb_error *err);
/* The outcomes recorded for a need (caller owns): {"need", "outcomes": [the
** outcome records, first recorded first]}; none recorded: an empty list. */
jb_status jb_outcomes_of_need(jb_db *db, const char *need, cJSON **ppOut, jb_error *err);
/* Writes a progress report as "json", "csv", "md" or "html" (self-contained,
** A4, inline SVG charts). */
jb_status jb_progress_render(const cJSON *report, const char *format, FILE *out, jb_error *err);

/* ------------------------------------------------------------------- learn */

typedef struct jb_learn_opts {
  const char *since;        /* only outcomes dated on or after (YYYY-MM-DD) */
  int folds;                /* cross-validation folds; 0 = 5 */
  const cJSON *weights;     /* the weights in force (overrides of the defaults), or NULL */
} jb_learn_opts;

/* Fits the score's boosts (chain, region, program) to the recorded outcomes
** (accepted/signed/completed good, declined bad) and compares them with the
** weights in force on held-out outcomes. Result (caller owns): {"outcomes",
** "good","declined","not_scored","default":{...},"learned":{...},
** "held_out":{"folds","auc_default","auc_learned","logloss_default",
** "logloss_learned"},"better", "weights" (only when better: the file for
** `match --weights`), "reason" (when not)}. */
jb_status jb_learn(jb_db *db, const jb_learn_opts *o, cJSON **ppOut, jb_error *err);
/* ----------------------------------------------------------------- publish */

typedef struct jb_publish_opts {
  const char *what;       /* "list" (揭榜挂帅榜单), "letter" (推荐函), "sheet" (one enterprise) */
  const char *list;       /* list: the challenge list's tag (2021揭榜挂帅) */
  const char *need, *expert; /* letter: to this expert about this need */
  const char *org;        /* sheet: this enterprise */
  const char *issuer;     /* who signs; NULL = 县科学技术局 */
  int with_contacts;      /* print the enterprises' contacts */
} jb_publish_opts;

/* Writes the document as self-contained HTML that prints on A4. */
jb_status jb_publish(jb_db *db, const jb_publish_opts *o, FILE *out, jb_error *err);

/* ------------------------------------------------------------------ assign */

typedef struct jb_assign_opts {
  /* the tasks: a challenge list ... */
  const char *list;          /* needs whose "list" is this tag (e.g. 2021揭榜挂帅) */
  const char *needs_file;    /* need ids, one per line */
  int open_needs;            /* every open need */
  /* ... or talent placement targets */
  const char *targets;       /* "orgs" (enterprises), "chains", or a CSV file id,quota */
  /* candidates */
  const char *program;       /* only experts in this program (科技特派员 ...) */
  const char *region;        /* only experts whose region starts with this */
  int capacity;              /* >0: every expert's capacity */
  const char *capacities_file; /* CSV expert,capacity overrides */
  const char *fix_file;      /* CSV need,expert[,role][,accept]: pairs that must stay */
  const char *forbid_file;   /* CSV need,expert: pairs never to make */
  const cJSON *fix;          /* the same decisions as JSON (the protocol's): */
  const cJSON *forbid;       /* [{"need","expert","role"?}], or NULL */
  int candidates;            /* per task; 0 = 50 */
  double min_score;          /* <0: default 0.1; pairs below are never made */
  int fair;                  /* max-min first (most tasks led, weakest lead best), then total */
  const cJSON *weights;      /* matcher weight overrides */
  void (*on_progress)(void *ctx, long done, long total);
  void *ctx;
} jb_assign_opts;

/* Proposes pairings for a whole challenge list (or placement) at once,
** exactly optimal, with explanations, unmatched tasks and their reasons, the
** objective with its bound, binding constraints and a manifest for audit.
** Result (caller owns): {"pairs","unmatched","objective","binding",
** "conflicts","manifest"}. */
jb_status jb_assign(jb_db *db, const jb_assign_opts *o, cJSON **ppOut, jb_error *err);
/* Writes a proposal as "json", "csv" (UTF-8 BOM, with an accept column that
** --fix reads back) or "md". */
jb_status jb_assign_render(const cJSON *proposal, const char *format, FILE *out, jb_error *err);

/* ------------------------------------------------------------------- check */

typedef struct jb_check_opts {
  const char *need_id;      /* a need in the database ... */
  const cJSON *need;        /* ... or a need record (not stored) ... */
  int all;                  /* ... or the whole database */
  int no_candidates;        /* one need: skip "top_candidates" (and the no_candidates flag), for a caller
                            ** that matches the need itself (the workbench's need page: half its cost) */
} jb_check_opts;

/* Intake quality. For one need (caller owns): {"need", "ok", "flags":
** [{"code","severity","message"}], "signals": {...}, "suggestions":
** {"keywords","chains","similar_needs","top_candidates",...}}. For the
** database: needs without candidates, vague needs, experts without
** evidence, achievements never matched, duplicate groups. */
jb_status jb_check(jb_db *db, const jb_check_opts *o, cJSON **ppOut, jb_error *err);

/* ----------------------------------------------------------- need lists */

typedef struct jb_need_list_opts {
  const char *query;         /* full-text query: only matching needs, best first */
  const char *status;        /* "open", "paired", "closed"; NULL or "all" = every */
  const char *chain;         /* only needs of this industry chain */
  const char *org;           /* only this enterprise's needs */
  const char *list;          /* only this challenge list (e.g. 2021揭榜挂帅) */
  const char *deadline_from; /* deadline on or after (YYYY-MM-DD) */
  const char *deadline_to;   /* deadline on or before */
} jb_need_list_opts;

/* Needs with filters, newest first (or best first with a query); at most
** 1000 rows. Result (caller owns): {"total","count","needs":[{"id","title",
** "org","org_name","chains","status","deadline","list","created",
** "has_contact"}]}. */
jb_status jb_need_list(jb_db *db, const jb_need_list_opts *o, cJSON **ppOut, jb_error *err);
/* The values the need filters can take: {"chains","lists","statuses","orgs"}. */
jb_status jb_need_facets(jb_db *db, cJSON **ppOut, jb_error *err);
/* What needs attention on `as_of` (YYYY-MM-DD; NULL = today, UTC): open
** needs, open needs without a contact, challenges without a lead, deadlines
** in the next 30 days, overdue needs, experts taking no more work; each
** {"count", "needs"|"experts": the first 20} (caller owns). */
jb_status jb_dashboard(jb_db *db, const char *as_of, cJSON **ppOut, jb_error *err);

/* ------------------------------------------------------- accounts, audit */

/* 1 viewer, 2 staff, 3 admin; 0 for anything else. */
int jb_role_level(const char *role);
/* Accounts of the web workbench. Passwords are hashed with Argon2id; a
** password has 8..256 characters. A name exists once (JB_ERR_INVALID). */
jb_status jb_user_add(jb_db *db, const char *name, const char *role, const char *password, jb_error *err);
/* New password; it also re-enables a disabled account. */
jb_status jb_user_passwd(jb_db *db, const char *name, const char *password, jb_error *err);
jb_status jb_user_disable(jb_db *db, const char *name, jb_error *err);
/* [{"name","role","disabled","created","updated"}] (caller owns). */
jb_status jb_user_list(jb_db *db, cJSON **ppOut, jb_error *err);
/* JB_OK and the role (e.g. "staff") when name and password are right and the
** account is enabled; JB_ERR_NOTFOUND otherwise, whichever was wrong, in the
** same time. */
jb_status jb_user_verify(jb_db *db, const char *name, const char *password, char role[16], jb_error *err);
/* The role of an enabled account (JB_ERR_NOTFOUND when missing or disabled):
** checked on every web request, so that disabling takes effect at once. */
jb_status jb_user_role(jb_db *db, const char *name, char role[16], jb_error *err);
/* Records a change made by `user` through op `op`; `detail` says what (the
** records' ids and what happened to them), may be NULL. */
jb_status jb_audit_add(jb_db *db, const char *user, const char *op, const cJSON *detail, jb_error *err);
/* The last `limit` entries, newest first: [{"at","user","op","detail"}]. */
jb_status jb_audit_list(jb_db *db, int limit, cJSON **ppOut, jb_error *err);

/* ------------------------------------------------------------------- serve */

/* Handles one protocol request line; returns the response object (caller
** owns). Never NULL except on out-of-memory. */
cJSON *jb_serve_line(jb_db *db, const char *line, size_t n);
/* Handles one parsed request ({"id"?, "op", ...}): the dispatcher behind
** jb_serve_line and behind the web workbench's /api/<op>, so both run the
** same operations. Returns the response object (caller owns). */
cJSON *jb_serve_request(jb_db *db, const cJSON *req);
/* Whether an op changes data: 1 yes, 0 no, -1 no such op. The web
** workbench refuses changing ops to viewers by this. */
int jb_serve_op_writes(const char *op);

/* ------------------------------------------- output: files, cells, terminals */

/* The one atomic file writer. Every file jiebang writes (-o FILE of every
** command, reports, proposals) goes through it, so a file is written whole
** or not at all: the data goes to a temporary file created exclusively
** (O_CREAT|O_EXCL|O_NOFOLLOW, unpredictable name) in the target's
** directory; commit flushes, fsyncs, renames it over the target and fsyncs
** the directory. Until commit the target is untouched; abort, or any error
** in commit, removes the temporary file. A target that exists and is not a
** regular file (/dev/stdout, a pipe) is written directly. */
typedef struct jb_outfile jb_outfile;
jb_status jb_outfile_open(const char *path, jb_outfile **ppOut, jb_error *err);
/* The stream to write to (borrowed: do not fclose it). */
FILE *jb_outfile_stream(jb_outfile *f);
/* Makes the file appear whole under its name; frees `f` whatever happens. */
jb_status jb_outfile_commit(jb_outfile *f, jb_error *err);
/* Drops the file: the target keeps its old content. Accepts NULL. */
void jb_outfile_abort(jb_outfile *f);
/* Removes the temporary files of every writer not yet committed. Only
** atomic loads and unlink(): safe in a signal handler (SIGINT, SIGTERM). */
void jb_outfile_abort_all(void);
/* open + write p[0..n) + commit. */
jb_status jb_outfile_write(const char *path, const void *p, size_t n, jb_error *err);

/* Opens an input file ("-" is stdin); a directory or an unreadable file is
** an error naming it (JB_ERR_IO), never an empty input. NULL on error. */
FILE *jb_input_open(const char *path, jb_error *err);
/* Closes an input (not stdin); a read error met while reading it (ferror)
** is returned as JB_ERR_IO naming the file: the input was incomplete. */
jb_status jb_input_close(FILE *f, const char *path, jb_error *err);

/* The first key that appears twice in one object anywhere in j (borrowed
** from the tree), or NULL. cJSON keeps the first of two equal keys and most
** readers the last: such input means two different things, so every JSON
** input (records, requests, needs files, weights) is refused with it. */
const char *jb_json_duplicate_key(const cJSON *j);

/* 1 when a spreadsheet would read this cell text as a formula (it starts
** with = + - @ TAB or CR: OWASP's CSV injection list). Every CSV cell and
** every xlsx string cell holding user text must be neutralised when this
** says so (the CSV writer prefixes an apostrophe; xlsx writes a string). */
int jb_cell_is_formula(const char *s);

/* 1 for a character that must not reach a terminal raw: C0 controls other
** than TAB LF CR, DEL, C1 controls, and the bidirectional marks, overrides,
** embeddings and isolates (U+202E ...). */
int jb_char_is_unsafe(uint32_t cp);
/* Writes s[0..n) to `out` with every unsafe character as the ASCII text
** \uXXXX (visible on a terminal; the same value inside a JSON string, so
** JSON output keeps its data). Returns how many bytes were consumed: fewer
** than n only when not `final` and the buffer ends inside a UTF-8
** sequence, whose bytes the caller passes again with what follows. Bytes
** that are not UTF-8 pass unchanged. Write errors show in ferror(out). */
size_t jb_text_safe_fwrite(FILE *out, const char *s, size_t n, int final);

/* ---------------------------------------------------------------- tokenizer */

/* The tokenizer used by the index, exposed for tests, tools and fuzzing. */
typedef struct jb_tokenizer jb_tokenizer;

#define JB_TOKENIZE_DOCUMENT 0  /* bigrams with colocated unigrams */
#define JB_TOKENIZE_QUERY 1     /* bigrams only; unigram for 1-char runs */
#define JB_TOKEN_COLOCATED 1    /* same position as the previous token */

typedef int (*jb_token_cb)(void *ctx, int tflags, const char *tok, int ntok,
                           int start, int end);

jb_status jb_tokenizer_new(jb_tokenizer **ppTok);
void jb_tokenizer_free(jb_tokenizer *tok);
/* Calls cb for every token of text[0..n); offsets are byte offsets into text.
** Stops and returns the callback's value when it is non-zero. */
int jb_tokenize(jb_tokenizer *tok, int mode, const char *text, int n,
                void *ctx, jb_token_cb cb);

#ifdef __cplusplus
}
#endif
#endif /* JIEBANG_H */
