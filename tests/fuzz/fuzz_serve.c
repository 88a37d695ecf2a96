/*
** fuzz_serve.c — jb_serve_line on arbitrary bytes (the line is passed with
** its length and is not NUL-terminated, as the contract allows) against the
** fixture database. What must hold for every line:
**   - a response, never NULL;
**   - it prints as one line of valid UTF-8 JSON that parses back;
**   - it has "id" and a boolean "ok"; ok:true has "result"; ok:false has
**     "error" with a known code name and a non-empty message;
**   - when the request is an object with an "id", the response echoes it
**     (unless the whole line is refused as a parse error, id null).
** An "import" request writes: the database must then still pass jb_db_check,
** and is put back to the fixture so that the next input sees the same state.
**
** And no line may make the engine open a file: the protocol's client is not
** the server's user, and a path in a request (an error quotes the line it
** stopped at) would let it read any file the server can. The harness is
** linked with -Wl,--wrap=fopen (scripts/fuzz.sh, CMakeLists.txt), so every
** fopen() of the engine comes through here while a line is being served.
*/
#include "fuzz_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jb_db *db;
static int serving;      /* inside jb_serve_line */
static char opened[256]; /* the first file it tried to open */

FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);

/* The database's own side files (DB.mx, the match index cache), the word
** segmenter's installed dictionary (friso-dict, a fixed system path:
** text_words.c), the configured lexicon and targets file are the engine's
** business; any other path came from the request. */
static int own_file(const char *path) {
  static const char friso_dict[] = "/usr/share/friso/dict/UTF-8/";
  if (strstr(path, "..")) return 0;
  if (!strncmp(path, friso_dict, sizeof(friso_dict) - 1)) return 1;
  /* the lexicon the database was opened with (its terms are the segmenter's
  ** user words, read on first use) and the work plan's targets file */
  const char *lex = db ? jb_lexicon_dir(db->lex) : "";
  if (*lex && !strncmp(path, lex, strlen(lex))) return 1;
  if (!strcmp(path, JB_SOURCE_TARGETS)) return 1;
  size_t n = db && db->path ? strlen(db->path) : 0;
  return n && !strncmp(path, db->path, n);
}

FILE *__wrap_fopen(const char *path, const char *mode) {
  if (!serving || own_file(path)) return __real_fopen(path, mode);
  if (!opened[0]) snprintf(opened, sizeof(opened), "%s", path);
  errno = EACCES; /* refused: a fuzzed path could be /dev/zero */
  return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  db = jbf_db_open(JBF_DB_FIXTURE);
  return 0;
}

static int known_code(const char *name) {
  for (int s = JB_OK; s <= JB_ERR_INTERNAL; s++)
    if (!strcmp(name, jb_status_name((jb_status)s))) return 1;
  return 0;
}

static void check_response(const cJSON *resp, const cJSON *req) {
  jbf_check_json(resp, "serve response");
  JBF_CHECK(cJSON_IsObject(resp), "response is not an object");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(resp, "id");
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(resp, "ok");
  JBF_CHECK(id != NULL, "response without \"id\"");
  JBF_CHECK(cJSON_IsBool(ok), "response without a boolean \"ok\"");
  if (cJSON_IsTrue(ok)) {
    JBF_CHECK(cJSON_GetObjectItemCaseSensitive(resp, "result") != NULL, "ok:true without result");
  } else {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    JBF_CHECK(cJSON_IsString(code) && known_code(code->valuestring),
              "error without a known code");
    JBF_CHECK(strcmp(code->valuestring, "ok") != 0, "ok:false with code \"ok\"");
    JBF_CHECK(cJSON_IsString(msg) && msg->valuestring[0], "error without a message");
  }
  const cJSON *rid = cJSON_IsObject(req) ? cJSON_GetObjectItemCaseSensitive(req, "id") : NULL;
  /* A line the protocol refuses as a whole (a \u0000 escape) is answered
  ** like malformed JSON: a parse error with id null. */
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "error"), "code");
  int refused = cJSON_IsFalse(ok) && cJSON_IsNull(id) && cJSON_IsString(code) &&
                !strcmp(code->valuestring, "parse");
  if (rid && !refused) {
    /* Compared as printed: that is what the client gets back (an id of
    ** 1e999 parses as infinity and prints, on both sides, as null). */
    char *a = cJSON_PrintUnformatted(rid), *b = cJSON_PrintUnformatted(id);
    JBF_CHECK(a && b && !strcmp(a, b), "response id %s differs from the request's %s", b, a);
    free(a);
    free(b);
  }
}

/* The request as the protocol defines it (valid UTF-8, one JSON value,
** nothing after it but blanks), or NULL: used for the id and the op. */
static cJSON *parse_request(const char *p, size_t n) {
  if (jb_utf8_invalid_at(p, n) >= 0) return NULL;
  const char *end = NULL;
  cJSON *req = cJSON_ParseWithLengthOpts(p, n, &end, 0);
  if (!req) return NULL;
  while (end < p + n && (*end == ' ' || *end == '\t' || *end == '\r')) end++;
  if (end != p + n) {
    cJSON_Delete(req);
    return NULL;
  }
  return req;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Big enough for an import of a few records; the 4 MiB line limit is the
  ** CLI's (cmd_serve.c), not jb_serve_line's. */
  if (size > 256 * 1024) return 0;
  long gen = jbf_db_generation(db);
  opened[0] = 0;
  serving = 1;
  cJSON *resp = jb_serve_line(db, (const char *)data, size);
  serving = 0;
  JBF_CHECK(resp != NULL, "jb_serve_line returned NULL");
  JBF_CHECK(!opened[0], "a protocol request made the engine open the file '%s'", opened);
  jbf_check_no_txn(db, "jb_serve_line");
  cJSON *req = parse_request((const char *)data, size);
  check_response(resp, req);
  const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
  int wrote = (cJSON_IsString(op) && !strcmp(op->valuestring, "import")) ||
              jbf_db_generation(db) != gen;
  if (wrote) {
    jb_error err;
    jb_error_clear(&err);
    jb_status rc = jb_db_check(db, &err);
    JBF_CHECK(rc == JB_OK, "database fails jb_db_check after the request: %s", err.message);
    db = jbf_db_restore(db);
  }
  cJSON_Delete(req);
  cJSON_Delete(resp);
  return 0;
}
