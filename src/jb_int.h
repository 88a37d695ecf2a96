/*
** jb_int.h — private interface between the engine's source files.
** Split into "Interface to code in X.c" blocks, as SQLite's fts5Int.h does.
*/
#ifndef JB_INT_H
#define JB_INT_H

#include "jiebang.h"
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>

#define JB_ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Limits on user input. They exist so that no single request or record can
** make the process use unbounded memory; each error names the limit. */
#define JB_MAX_FIELD_BYTES 20000     /* one text field of a record */
#define JB_MAX_LINE_BYTES (16 << 20) /* one JSON Lines line */
#define JB_MAX_LIST_ITEMS 200        /* keywords, chains, programs ... */
#define JB_MAX_EVIDENCE 1000         /* evidence documents per expert */
#define JB_MAX_ID_BYTES 128
#define JB_MAX_QUERY_BYTES 8192      /* a search query */
#define JB_MAX_K 1000                /* results per request */
/* Attached files (.pdf, .docx, .txt). A 300-page paper as PDF is 5-20 MB and
** gives about 1 MB of text; the limits leave room for that and no more. */
#define JB_MAX_FILE_BYTES (64 << 20)          /* one attached file */
#define JB_MAX_FILE_TEXT (4 << 20)            /* text kept of one file */
#define JB_MAX_IMPORT_FILE_BYTES (1024LL << 20) /* files read by one import */

/**************************************************************************
** Interface to code in error.c
*/
void jb_err_set(jb_error *err, jb_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error located in an input: message "FILE:LINE: FIELD: what". */
void jb_err_at(jb_error *err, jb_status code, const char *file, long line,
               const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Translates a SQLite failure, naming what we were doing. */
jb_status jb_err_db(jb_error *err, sqlite3 *db, int rc, const char *doing);

/**************************************************************************
** Interface to code in util.c
*/
/* Growable byte buffer; `p` is always NUL-terminated when n > 0 or after
** jb_buf_str(). Zero-initialise to start; jb_buf_free releases. */
typedef struct jb_buf {
  char *p;
  size_t n, cap;
  int oom;              /* a failed allocation happened; contents truncated */
} jb_buf;

void jb_buf_free(jb_buf *b);
void jb_buf_reset(jb_buf *b);
int jb_buf_add(jb_buf *b, const void *p, size_t n);
int jb_buf_adds(jb_buf *b, const char *s);
int jb_buf_addc(jb_buf *b, char c);
int jb_buf_printf(jb_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *jb_buf_str(jb_buf *b);

/* Decodes one UTF-8 code point at p[0..n); returns its length (1..4) and the
** code point in *cp, or returns 0 for an invalid/overlong/truncated sequence
** (callers then skip one byte). */
int jb_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);
int jb_utf8_encode(uint32_t cp, char *out);
/* Offset of the first invalid byte, or -1 when s[0..n) is valid UTF-8. */
long jb_utf8_invalid_at(const char *s, size_t n);

/* Offset of a \u0000 escape in JSON text (which would cut a C string short
** without a word), or -1. An escaped backslash before it does not count. */
long jb_json_nul_escape_at(const char *s, size_t n);

/* 1 when s is a date as records hold them: YYYY-MM-DD, YYYY-MM or YYYY,
** 1900..2200, a real month and day (2021-02-29 and 2021-13-45 are not). */
int jb_date_valid(const char *s);
/* qsort() that accepts an empty or NULL array (qsort(NULL, 0) is undefined). */
void jb_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

char *jb_strdup(const char *s);
char *jb_strndup(const char *s, size_t n);
/* 64-bit FNV-1a, for content fingerprints (not for security). */
uint64_t jb_hash64(const void *p, size_t n, uint64_t seed);
/* SHA-256 of p[0..n) as 64 lowercase hex digits plus NUL in out[65]; the
** streaming form: init, update any number of times, final. */
typedef struct jb_sha256 {
  uint32_t h[8];
  uint64_t len;
  unsigned char buf[64];
  size_t nbuf;
} jb_sha256;
void jb_sha256_init(jb_sha256 *c);
void jb_sha256_update(jb_sha256 *c, const void *p, size_t n);
void jb_sha256_final(jb_sha256 *c, char out[65]);
/* Monotonic seconds, for progress reporting. */
double jb_now(void);

/**************************************************************************
** Interface to code in io_csv.c (jb_cell_is_formula is public)
*/
#define JB_CSV_FIRST 1   /* first field of its row: no comma before it */
#define JB_CSV_NUMBER 2  /* a number jiebang formatted: not neutralised */
/* Appends one quoted CSV field; user text that a spreadsheet would run as a
** formula gets a leading apostrophe (see io_csv.c). */
void jb_csv_field(jb_buf *b, const char *s, int flags);
/* A row of text fields and its CRLF. */
void jb_csv_row(jb_buf *b, const char *const *cells, int n);

/**************************************************************************
** Interface to code in io_text.c (jb_char_is_unsafe, jb_text_safe_fwrite
** are public)
*/
/* 1 for a character an imported field may not hold: C0 controls (TAB, LF,
** CR only when `multiline`), DEL, bidi overrides/embeddings/isolates. */
int jb_char_refused_at_import(uint32_t cp, int multiline);
/* Offset of the first such character in s[0..n) (its code point in
** *cpOut), or -1. */
long jb_text_refused_at(const char *s, size_t n, int multiline, uint32_t *cpOut);
/* Appends s[0..n) to out with unsafe characters as \uXXXX; returns the
** bytes consumed (see jb_text_safe_fwrite). */
size_t jb_text_neutralize(const char *s, size_t n, int final, jb_buf *out);
/* A neutralised copy of s (caller frees), NULL when s is NULL or on OOM. */
char *jb_text_safe_dup(const char *s);
/* Why s cannot be a record id (empty, invalid UTF-8, controls, bidi,
** spaces or invisible characters), or NULL when it can. */
const char *jb_id_problem(const char *s);
/* Appends user text escaped for Markdown (and HTML inside it), on one line:
** the one Markdown escaper of every Markdown output. */
void jb_md_text(jb_buf *b, const char *s);

/**************************************************************************
** Interface to code in text_tokenize.c
*/
/* Normalises text the way the index sees it (full-width folded, case folded,
** stemmed words, CJK kept) into a space-separated token string; used for
** lexicon lookups so that "３Ｄ打印" and "3D打印" are the same key. */
int jb_text_normalize(jb_tokenizer *tok, const char *s, int n, jb_buf *out);
/* Classifies a code point after folding: 0 separator, 1 word char, 2 CJK. */
int jb_char_class(uint32_t cp);
uint32_t jb_char_fold(uint32_t cp);

/**************************************************************************
** Interface to code in text_extract.c
*/
typedef struct jb_extract {
  char *text;         /* the usable text, garbage blocks dropped ("" when none) */
  const char *format; /* "pdf", "docx", "txt" */
  const char *status; /* "ok", "partial" (garbage dropped), "garbage", "no_text" (a scan) */
  int pages;          /* PDF pages, else 0 */
  int truncated;      /* text cut at JB_MAX_FILE_TEXT */
  long chars;         /* letters kept */
  long dropped;       /* letters dropped as garbage */
  long size;          /* file bytes */
  char sha256[65];
} jb_extract;
/* Extracts the text of a file (format from its content, else its name);
** errors name the file. On success the caller frees with jb_extract_free. */
jb_status jb_extract_file(const char *path, jb_extract *x, jb_error *err);
/* The same for bytes in memory, format "pdf", "docx" or "txt" (fuzzing). */
jb_status jb_extract_mem(const void *p, size_t n, const char *format, jb_extract *x, jb_error *err);
void jb_extract_free(jb_extract *x);
/* SHA-256 and size of a file without extracting it: 0, or -1 when unreadable. */
int jb_extract_sha256(const char *path, char out[65], long *size);

/**************************************************************************
** Interface to code in text_fts5.c
*/
/* Registers the "jiebang" FTS5 tokenizer on a connection. */
int jb_fts5_register(sqlite3 *db);
/* Identifies the tokenizer's behaviour; stored in the database so that an
** index built by another version is detected as stale. */
#define JB_TOKENIZER_VERSION "jiebang-tok-1"

/**************************************************************************
** Interface to code in text_lexicon.c
*/
typedef struct jb_lexicon jb_lexicon;

typedef struct jb_chain {
  char *name;
  char *parent;       /* "" for a top-level chain */
  int priority;       /* 1..10, 10 = county's highest */
  char **keywords;    /* normalized keyword strings */
  int nkeywords;
} jb_chain;

/* Loads synonyms.txt, terms.txt, chains.tsv from dir (missing files are
** empty). Errors name file and line. */
jb_status jb_lexicon_load(const char *dir, jb_tokenizer *tok,
                          jb_lexicon **ppLex, jb_error *err);
void jb_lexicon_free(jb_lexicon *lex);
/* Fingerprint of everything loaded, for staleness checks. */
uint64_t jb_lexicon_hash(const jb_lexicon *lex);
const char *jb_lexicon_dir(const jb_lexicon *lex);
/* Synonym group of a normalized term: returns the number of members and sets
** *members to their original spellings (borrowed), or 0 when none. */
int jb_lexicon_synonyms(const jb_lexicon *lex, const char *norm,
                        const char *const **members);
/* Longest lexicon phrase (synonym member or term) starting at token i of a
** normalized token array; returns the number of tokens it covers, 0 if none. */
int jb_lexicon_longest(const jb_lexicon *lex, char **toks, int ntoks, int i,
                       char **normOut);
int jb_lexicon_nchains(const jb_lexicon *lex);
const jb_chain *jb_lexicon_chain(const jb_lexicon *lex, int i);
const jb_chain *jb_lexicon_find_chain(const jb_lexicon *lex, const char *name);
/* The chain a person means by a name that is not exactly one: "油茶产业",
** "油茶产业链", "油茶行业" -> 油茶; other case or spaces. NULL when not certain. */
const char *jb_chain_resolve(const jb_lexicon *lex, const char *name);
int jb_lexicon_nterms(const jb_lexicon *lex);
/* The programs of programs.tsv (科技特派员, 三区人才 ...), in file order; the
** names are the closed set an expert's "programs" are checked against. */
int jb_lexicon_nprograms(const jb_lexicon *lex);
const char *jb_lexicon_program_name(const jb_lexicon *lex, int i);
/* The kind of a program named in programs.tsv, 0 when it is not there. */
#define JB_PROGRAM_SERVES_COUNTIES 1 /* 派驻: 科技特派员, 三区人才 */
#define JB_PROGRAM_TALENT 2          /* 人才: talent programs */
int jb_lexicon_program_kind(const jb_lexicon *lex, const char *name);

/**************************************************************************
** Interface to code in text_words.c
*/
/* A word segmenter: friso's dictionary with the lexicon's terms as user
** words. jb_lexicon_words() gives the lexicon's (loaded on first use). */
typedef struct jb_words jb_words;
typedef int (*jb_word_cb)(void *ctx, int start, int end);
/* Creates *slot on first use (thread-safe); NULL when out of memory. */
const jb_words *jb_words_get(jb_words **slot, const char *lexdir);
void jb_words_free(jb_words *w);
/* 1 when friso's own dictionary is there (not only the lexicon's terms). */
int jb_words_have_dictionary(const jb_words *w);
/* Calls cb with the byte range of each word of text[0..n) (Latin words and
** numbers too; a CJK run friso does not know comes one character at a
** time). Nonzero from cb stops and is returned; -1 when out of memory. */
int jb_words_split(const jb_words *w, const char *text, int n, void *ctx, jb_word_cb cb);
/* 1 when s[0..n) is one of the lexicon's terms (Latin letters folded). */
int jb_words_is_lexicon(const jb_words *w, const char *s, int n);
const jb_words *jb_lexicon_words(const jb_lexicon *lex);
/* Loads the lexicon's word segmenter on a thread of its own (while the
** caller loads the match index): 1 when *th was started (join it). */
int jb_words_preload(const jb_lexicon *lex, pthread_t *th);

/**************************************************************************
** Interface to code in store_db.c
*/
struct jb_db {
  sqlite3 *db;
  char *path;
  int readonly;
  int no_index_save;        /* jb_open_opts.no_index_save */
  jb_tokenizer *tok;        /* for query analysis on this connection's thread */
  jb_lexicon *lex;          /* loaded on open */
  struct jb_match_index *mx;/* lazily loaded match index, or NULL */
  /* prepared statements of the write path, reused across records (an
  ** import prepares each once, not once per record) */
  struct {
    const char *sql;
    sqlite3_stmt *st;
  } cache[64];
  int ncache;
  int fts_active;           /* batched full-text indexing under way */
  /* who writes, and the change set under way (store_change.c) */
  char *user, *command;
  struct {
    int active;
    sqlite3_int64 id;       /* 0 until the first record changes */
    char *input, *sha;      /* the input file and its SHA-256, or NULL */
    int restoring;          /* history lines of a backup are being restored */
    int supply;             /* a record other than a need or an outcome changed:
                            ** the supply part of the match index is stale too */
  } chg;
  int learning;             /* scoring for `learn`: outcomes are not consulted */
};

/* Prepares (cached by SQLite's statement cache is not available, so callers
** finalize) and reports errors with context. */
int jb_db_prepare(jb_db *db, const char *sql, sqlite3_stmt **ppStmt,
                  jb_error *err);
jb_status jb_db_exec(jb_db *db, const char *sql, jb_error *err);
/* sqlite3_step() that never takes a read error for the end of the rows:
** returns 1 for a row, 0 when done, or -(jb_status) after filling err with
** "cannot read WHAT: <SQLite's reason>" (a damaged page is JB_ERR_CORRUPT).
** Every loop over rows uses it, so a failure fails the command instead of
** yielding a shorter result:
**   while ((s = jb_step(st, "the open needs", err)) > 0) ...;
**   if (s < 0) return (jb_status)-s; */
int jb_step(sqlite3_stmt *st, const char *what, jb_error *err);
/* A statement prepared once per connection and reused; `sql` must be a
** string constant (its address is the key). Do not finalize it: give it
** back with jb_db_release(), which resets it and clears its bindings. */
sqlite3_stmt *jb_db_cached(jb_db *db, const char *sql, jb_error *err);
void jb_db_release(sqlite3_stmt *st);
/* meta table access; get returns a malloc'd string or NULL. */
char *jb_meta_get(jb_db *db, const char *key);
jb_status jb_meta_set(jb_db *db, const char *key, const char *value,
                      jb_error *err);
/* Batched full-text indexing for writers. Inside a write transaction:
** jb_fts_begin() once; each new search document is noted with
** jb_fts_pending_add(); jb_fts_flush() indexes the noted ones together
** (before COMMIT, and before a pending document is changed or any is
** deleted); jb_fts_end() at the end. */
jb_status jb_fts_begin(jb_db *db, jb_error *err);
jb_status jb_fts_pending_add(jb_db *db, sqlite3_int64 rowid, jb_error *err);
int jb_fts_is_pending(jb_db *db, sqlite3_int64 rowid);
jb_status jb_fts_flush(jb_db *db, jb_error *err);
void jb_fts_end(jb_db *db);
/* Bumps the data generation; the match index compares against it. */
jb_status jb_db_touch(jb_db *db, jb_error *err);
/* The same for a write that changed needs only (the match index then
** re-indexes the needs alone). */
jb_status jb_db_touch_needs(jb_db *db, jb_error *err);
/* Makes sure the FTS index was built by this tokenizer; rebuilds otherwise
** (writers must call this before changing indexed rows). */
jb_status jb_db_ensure_fts(jb_db *db, jb_error *err);

/**************************************************************************
** Interface to code in store_records.c
*/
/* The kinds of record; the order is the order of dependency (an expert
** refers to an org, a need to an org, a relation to both). */
typedef enum jb_kind {
  JB_KIND_ORG = 0,
  JB_KIND_EXPERT,
  JB_KIND_EVIDENCE,
  JB_KIND_ACHIEVEMENT,
  JB_KIND_NEED,
  JB_KIND_CONFLICT,
  JB_KIND_COLLABORATION,
  JB_KIND_OUTCOME,      /* refers to a need and an expert/achievement/org */
  JB_KIND_COUNT,
  JB_KIND_UNKNOWN = -1
} jb_kind;

const char *jb_kind_name(jb_kind k);
/* Accepts the names and common aliases ("organization", "orgs", "needs"). */
jb_kind jb_kind_parse(const char *s);
/* Kind implied by a file name ("needs.jsonl", "experts-agri.csv"). */
jb_kind jb_kind_from_filename(const char *path);

typedef struct jb_attacher jb_attacher;

typedef struct jb_loc {
  const char *file;
  long line;
  jb_attacher *att;     /* attached files allowed (resolved against file), or NULL */
  int new_chains;     /* chains outside the lexicon are allowed (--new-chains) */
  /* For tables: the column header as the file wrote it for a field, so that
  ** messages name what the person sees; NULL when not a table. */
  const char *(*column_of)(void *ctx, const char *field);
  void *ctx;
} jb_loc;

/* The states of an outcome, in the order of the field table's enum. */
#define JB_OUTCOME_STATES "proposed|contacted|accepted|declined|signed|completed|abandoned"

/* jb_record_store flags */
#define JB_STORE_REPLACE 1  /* the record replaces the stored one whole (else: a patch) */
#define JB_STORE_FORCE 2    /* allow outcome transitions that skip or go back */

/* Validates one record and upserts it. `rec` is borrowed. An existing record
** is patched: the given fields replace the stored ones, the others stay, and
** a field given as null is cleared (JB_STORE_REPLACE: the record replaces the
** stored one whole). The merged record is validated as a whole; reference
** checks are done against the database as it stands inside the current
** transaction. A change is noted in the history (store_change.c). Sets
** *changed to 0 (identical), 1 (inserted) or 2 (updated). */
jb_status jb_record_store(jb_db *db, cJSON *rec, jb_kind deflt, int flags,
                          const jb_loc *loc, int *changed, jb_error *err);
/* The history key of a record as given ("id", or "expert\torg" for a
** relation, "need\tTYPE\tcandidate" for an outcome) into out; kind of the
** history (evidence counts as a change of its expert). 0, or -1 when the
** record lacks its key fields. */
int jb_record_hkey(jb_kind k, const cJSON *rec, jb_kind *hkind, jb_buf *out);
/* The stored doc column of a record by its history key (caller frees), or
** NULL when absent. */
char *jb_record_stored_doc(jb_db *db, jb_kind k, const char *key);
/* The whole stored record of a history key, contacts and (for an expert) its
** evidence included, as JSON text (caller frees), or NULL when absent. */
char *jb_record_snapshot(jb_db *db, jb_kind k, const char *key);
/* The rowid of the record's row (export order), or 0 when absent. */
sqlite3_int64 jb_record_rowid(jb_db *db, jb_kind k, const char *key);
/* Gives an existing record the rowid it had before it was deleted, when that
** rowid is free, so that export lists it where it was. */
jb_status jb_record_set_rowid(jb_db *db, jb_kind k, const char *key, sqlite3_int64 rowid, jb_error *err);
/* Deletes a record (and its search documents); refuses, naming them, while
** other records refer to it. Notes the deletion in the history. */
jb_status jb_record_delete(jb_db *db, jb_kind k, const char *key, jb_error *err);
/* Canonical JSON of a record from its `doc` column, minus contacts unless
** asked (caller owns). */
cJSON *jb_record_public(const char *doc, int with_contacts);
/* A record from a CSV row, typed by the kind's field table: list fields
** split on ';', numbers parsed, "contact.x" columns nested (caller owns). */
cJSON *jb_record_from_row(jb_kind deflt, char **hdr, char **vals, int n);
/* The fields of a kind as table columns: contact split into contact.name,
** .phone, .email, .address; type and evidence lists left out. */
typedef struct jb_field_info {
  const char *name;
  int list, number, required;
  const char *values;        /* a closed set's '|'-separated values, or NULL */
} jb_field_info;
int jb_kind_fields(jb_kind k, jb_field_info *out, int max);
/* 1 when kind k has a field of that name (or name is "type", "contact.x"). */
int jb_field_known(jb_kind k, const char *name);

/**************************************************************************
** Interface to code in store_table.c
*/
/* The field a column header names for kind k: a Chinese alias (编号, 需求名称,
** 截止日期 ... see docs/records.md) or the English field name in any case;
** NULL for an empty header. buf[cap] holds a lower-cased English name. */
const char *jb_header_field(jb_kind k, const char *header, char *buf, size_t cap);
/* The header a table written for people gives field f of kind k: Chinese
** (需求名称) or, in English, the field name. Never NULL. */
const char *jb_field_header(jb_kind k, const char *field);
/* 1 for a row-counter column (序号, No.) that carries no data. */
int jb_header_ignored(const char *header);
/* The kind a sheet or table label names (需求, 专家表, 企业名单, needs). */
jb_kind jb_kind_from_label(const char *name);
/* The kind a table's headers name when only one kind has those headers
** (专家编号, 姓名, 职称 are an expert's); JB_KIND_UNKNOWN when unclear. */
jb_kind jb_kind_from_headers(char **hdr, int n);
/* A cell's line breaks (CRLF, CR) as LF, in place. */
void jb_cell_normalize(char *s);
/* A date in any common form (2025-06-30, 2025/6/30, 2025.6.30, 2025年6月30日,
** 20250630, an Excel serial number such as 45838, with or without a time)
** as YYYY-MM-DD (or YYYY-MM, YYYY) in out; 0 when it is not a date. */
int jb_date_normalize(const char *in, char out[11]);
/* An Excel date serial (1900 or 1904 system) as YYYY-MM-DD; 0 if out of range. */
int jb_date_from_serial(double serial, int date1904, char out[11]);
/* The canonical value of a closed set ('|'-separated values) that s means
** (itself, another case, or a certain synonym: 企业 -> enterprise), or NULL. */
const char *jb_closed_canon(const char *values, const char *s, char *buf, size_t cap);
/* The allowed value closest to s (a slip of the pen, or a synonym's), or NULL. */
const char *jb_closed_suggest(const char *values, const char *s, char *buf, size_t cap);
/* A proposal's accept cell: 1 yes (是, 接受, 同意, √, ok ...), 0 no (否, 不接受,
** 不同意, ×, reject ...), -1 blank (undecided), -2 anything else, with
** *suggest (may be NULL) set to the closest word when one is close. */
int jb_accept_value(const char *s, const char **suggest);
/* The candidate closest to value: one containing it or contained in it, or
** within an edit distance of 1 (2 for five characters or more); NULL if none. */
const char *jb_did_you_mean(const char *value, const char *const *cands, int n);

/* Upserts the search document (kind, ref, sub) and queues it for indexing. */
jb_status jb_sdoc_put(jb_db *db, const char *kind, const char *ref, const char *sub,
                      const char *title, const char *keywords, const char *body, jb_error *err);

/**************************************************************************
** Interface to code in store_attach.c
*/
/* One import's (or attach's) state for attached files. */
struct jb_attacher {
  const char *base;            /* relative paths resolve against this file's folder */
  const jb_import_opts *opts;  /* keep_files, on_file; may be NULL */
  long long bytes;             /* file bytes extracted so far (JB_MAX_IMPORT_FILE_BYTES) */
  const char *source;          /* for reports: the importing file and line */
  long line;
};
/* base's folder + path (path as is when absolute or base is NULL or "-"). */
jb_status jb_attach_resolve(const char *base, const char *path, jb_buf *out);
/* Why a resolved path cannot be attached (missing, too large, wrong kind), or NULL. */
const char *jb_attach_check(const char *path);
/* Attaches a file to (kind, ref, sub) inside the caller's write transaction
** with batched indexing on; *changed = 1 when the stored text changed. */
jb_status jb_attach_path(jb_db *db, jb_attacher *a, const char *kind, const char *ref, const char *sub,
                         const char *path, int *changed, jb_error *err);
/* The stored text of a record's attached file, or NULL (caller frees). */
char *jb_attach_text(jb_db *db, const char *kind, const char *ref, const char *sub);
/* Drops the attachments of an expert's evidence items that are gone. */
jb_status jb_attach_prune(jb_db *db, const char *expert, jb_error *err);

/**************************************************************************
** Interface to code in store_change.c
*/
/* Every write command is one transaction and one change set (the `change`
** table: when, who, which command, which input and its SHA-256); each record
** it changes keeps its previous version in `history`. */
jb_status jb_write_begin(jb_db *db, const char *input, const char *input_sha, jb_error *err);
/* Commits (or, with rc or dry_run, rolls back) the transaction begun by
** jb_write_begin. With dry_run, `changes` (when not NULL) receives what would
** have changed first. Returns rc, or the commit's failure. */
jb_status jb_write_end(jb_db *db, jb_status rc, int dry_run, cJSON *changes, jb_error *err);
/* The id of the change set under way (0 while nothing changed yet). */
sqlite3_int64 jb_change_current(jb_db *db);
/* After a ROLLBACK TO a savepoint: forgets the change set's row when the
** rollback took it (it is made again by the next change). */
void jb_change_rolled_back(jb_db *db);
/* Notes that a record is about to change: op "insert", "update", "delete";
** `before` is its whole previous version (NULL when it did not exist). */
jb_status jb_history_note(jb_db *db, jb_kind hkind, const char *key, const char *op,
                          const char *before, sqlite3_int64 before_rowid, jb_error *err);
/* Field-by-field differences between two versions of a record (either may
** be NULL: absent) as [{"field","old","new"}] (caller owns). */
cJSON *jb_record_diff(const char *before, const char *after);

/**************************************************************************
** Interface to code in store_history.c
*/
/* Is this import line a change set or history line of an export made with
** its history? */
int jb_history_line(const cJSON *rec);
/* Restores one such line (only into a database with no history of its own
** but the importing change set's, which the restored history replaces). */
jb_status jb_history_restore(jb_db *db, const cJSON *rec, const jb_loc *loc, jb_error *err);
/* Writes every change set and history line as JSON Lines. */
jb_status jb_history_export(jb_db *db, FILE *out, jb_error *err);

/**************************************************************************
** Interface to code in store_outcome.c
*/
/* Outcome rules beyond the field table: exactly one candidate, a reason when
** declined, a value and date when signed, no date far in the future, and a
** transition from `old` (the stored record, or NULL) that follows the states'
** order unless JB_STORE_FORCE. Errors name the field. Fills the derived
** fields: date (today, when the state moved without one), signed (= date). */
jb_status jb_outcome_check(cJSON *rec, const cJSON *old, int flags, const jb_loc *loc, jb_error *err);
/* Is a need with this status and deadline open past its deadline? */
int jb_need_expired(const char *status, const char *deadline);
/* Adds to a `check --all` result: "repeated_declines" (experts who declined
** two or more pairings, with the needs and reasons) and "expired_needs"
** (open past their deadline), and their counts to its "summary". */
jb_status jb_outcome_audit(jb_db *db, cJSON *out, jb_error *err);
/* Today's date (UTC) as YYYY-MM-DD; $JIEBANG_TODAY overrides it for tests. */
void jb_today(char out[11]);

/**************************************************************************
** Interface to code in learn_fit.c
*/
/* One recorded outcome as the matcher saw it: the text relevance and the
** structured components (each in [0,1]); label 1 good (accepted, signed,
** completed), 0 declined. */
typedef struct jb_learn_sample {
  double text, chain, region, program;
  int label;
} jb_learn_sample;

typedef struct jb_learn_result {
  double w[3];               /* chain, region, program fitted on every sample */
  double auc_default, auc_learned; /* mean over the held-out folds */
  double loss_default, loss_learned; /* held-out log-loss, summed over folds (nats) */
  int folds;
} jb_learn_result;

/* Held-out log-loss the learned boosts must gain: 3 nats, one per boost. */
#define JB_LEARN_MARGIN 3.0
/* Do the learned boosts beat the defaults on held-out outcomes? */
int jb_learn_better(const jb_learn_result *r);

/* The boosts (chain, region, program) that make the labels most likely,
** searched from start (see learn_fit.c). */
void jb_learn_fit(const jb_learn_sample *s, const int *idx, int n, const double start[3], double out[3]);
/* AUC of the score under boosts w over the samples idx[0..n). */
double jb_learn_auc(const jb_learn_sample *s, const int *idx, int n, const double w[3]);
/* k-fold cross-validated AUC of dflt vs learned boosts, and the boosts
** fitted on all samples. -1 on out of memory. */
int jb_learn_cv(const jb_learn_sample *s, int n, const double dflt[3], int folds, unsigned seed, jb_learn_result *out);

/**************************************************************************
** Interface to code in store_csv.c
*/
/* Streaming CSV reader (RFC 4180: quoted fields with "" and newlines). */
typedef struct jb_csv jb_csv;
jb_status jb_csv_open(FILE *f, jb_csv **ppCsv);
void jb_csv_free(jb_csv *c);
/* The field separator: ',' (the default) or '\t' (Excel's text export). */
void jb_csv_set_delim(jb_csv *c, char delim);
/* Reads the next row; returns 1 with fields set, 0 at end, <0 on error
** (-JB_ERR_LIMIT for an over-long row, -JB_ERR_INVALID for a NUL byte,
** -JB_ERR_PARSE for an unterminated quote). `line` is the row's first line. */
int jb_csv_next(jb_csv *c, char ***fields, int *nfields, long *line);
/* Appends one CSV field (quoted as needed, formula-like text defused) to b,
** preceded by a comma unless `first`. NULL is an empty field. */
void jb_csv_put(jb_buf *b, const char *s, int first);

/**************************************************************************
** Interface to code in store_xlsx.c
*/
/* A worksheet as text: rows in order (row numbers as Excel shows them),
** each with its cells by column (NULL for an empty cell). */
typedef struct jb_sheet_row {
  long r;
  int n;
  char **cells;
} jb_sheet_row;
typedef struct jb_sheet_merge {
  long r0;
  int c0;
  long r1;
  int c1;
} jb_sheet_merge;
typedef struct jb_sheet {
  char *name;
  jb_sheet_row *rows;
  long nrows, cap;
  jb_sheet_merge *merges;
  int nmerges;
} jb_sheet;
/* Reads every visible sheet of an .xlsx file (caller frees with
** jb_sheets_free). Dates by cell style become YYYY-MM-DD; merged ranges
** carry their value in every cell. */
jb_status jb_xlsx_read(const char *path, jb_sheet **ppSheets, int *pn, jb_error *err);
void jb_sheets_free(jb_sheet *sheets, int n);

/**************************************************************************
** Interface to code in xlsx_out.c
*/
/* A column of a table written for Excel. */
typedef struct jb_xcol {
  const char *header;          /* as shown (already in the reader's language) */
  double width;                /* in characters; 0 = 12 */
  int wrap;                    /* long text: wrapped */
  int number;                  /* numeric text is written as a number */
  const char *const *choices;  /* NULL-ended drop-down list, or NULL */
} jb_xcol;
typedef struct jb_xlsx jb_xlsx;
jb_status jb_xlsx_new(jb_xlsx **ppX, jb_error *err);
/* Starts a sheet: header row (bold, frozen, filter), widths, drop-downs.
** `cols` is borrowed until the next sheet or jb_xlsx_finish. */
jb_status jb_xlsx_sheet(jb_xlsx *x, const char *name, const jb_xcol *cols, int ncols, jb_error *err);
/* One row: ncols cells (NULL or "" = empty). */
jb_status jb_xlsx_row(jb_xlsx *x, const char *const *cells, jb_error *err);
/* Closes the workbook and copies it to out; free with jb_xlsx_free after. */
jb_status jb_xlsx_finish(jb_xlsx *x, FILE *out, jb_error *err);
void jb_xlsx_free(jb_xlsx *x);

/**************************************************************************
** Interface to code in search.c
*/
/* A parsed query: groups AND-ed together, each an OR of phrases (a term and
** its synonyms). */
typedef struct jb_query {
  int ngroups;
  struct jb_qgroup {
    int nalts;
    char **alts;          /* original spellings, FTS5-quoted later */
  } *groups;
} jb_query;

jb_status jb_query_parse(jb_db *db, const char *text, jb_query *q,
                         jb_error *err);
void jb_query_clear(jb_query *q);
/* FTS5 MATCH expression; `any` joins groups with OR instead of AND. */
int jb_query_fts(const jb_query *q, int any, jb_buf *out);

/**************************************************************************
** Interface to code in demand_render.c
*/
/* Data as HTML text or attribute value: escaped, invalid UTF-8 replaced,
** control characters dropped. The one HTML escaper. */
void jb_html_text(jb_buf *b, const char *s);

/**************************************************************************
** Interface to code in match_*.c
*/
struct jb_match_index;
void jb_match_index_free(struct jb_match_index *mx);
/* The connection's match index: forget it (in memory), or forget it and
** remove its file so the next match rebuilds it (match_store.c owns it). */
void jb_mx_release(jb_db *db);
void jb_mx_discard(jb_db *db);
/* The saved index files of the current state, checked whole (`jiebang
** integrity`): 0 intact or absent, 1 damaged (reported and removed: the
** next match rebuilds them), -1 out of memory. */
int mx_check_saved(jb_db *db);

#endif /* JB_INT_H */
