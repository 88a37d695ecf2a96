/*
** ooxml.c — Office Open XML packages: zip members (libzip) read with a size
** bound, XML (expat) delivered as events with local names. See ooxml.h for
** the contract and the limits.
*/
#include "ooxml.h"
#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct jb_zip {
  zip_t *za;
  char *name;   /* for messages */
};

static jb_status zip_finish_open(zip_t *za, const char *name, jb_zip **ppZip, jb_error *err) {
  zip_int64_t n = zip_get_num_entries(za, 0);
  if (n > JB_ZIP_MAX_ENTRIES) {
    jb_err_set(err, JB_ERR_LIMIT, jb_msg(JB_MSG_ZIP_TOO_MANY), name, (long)n, JB_ZIP_MAX_ENTRIES);
    zip_discard(za);
    return JB_ERR_LIMIT;
  }
  jb_zip *z = calloc(1, sizeof(*z));
  if (!z || !(z->name = jb_strdup(name))) {
    free(z);
    zip_discard(za);
    jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    return JB_ERR_NOMEM;
  }
  z->za = za;
  *ppZip = z;
  return JB_OK;
}

jb_status jb_zip_open(const char *path, jb_zip **ppZip, jb_error *err) {
  *ppZip = NULL;
  int zerr = 0;
  zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
  if (!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    /* a missing file is an I/O error; anything else is not a zip */
    jb_status code = zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ ? JB_ERR_IO : JB_ERR_PARSE;
    jb_err_set(err, code, jb_msg(JB_MSG_ZIP_OPEN), path, zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return code;
  }
  return zip_finish_open(za, path, ppZip, err);
}

jb_status jb_zip_open_mem(const void *p, size_t n, const char *name, jb_zip **ppZip, jb_error *err) {
  *ppZip = NULL;
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(p, n, 0, &ze);
  zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
  if (!za) {
    jb_err_set(err, JB_ERR_PARSE, jb_msg(JB_MSG_ZIP_OPEN), name, zip_error_strerror(&ze));
    zip_source_free(src); /* accepts NULL; the archive did not take it */
    zip_error_fini(&ze);
    return JB_ERR_PARSE;
  }
  zip_error_fini(&ze);
  return zip_finish_open(za, name, ppZip, err);
}

void jb_zip_close(jb_zip *z) {
  if (!z) return;
  zip_discard(z->za); /* read-only: nothing to write back */
  free(z->name);
  free(z);
}

int jb_zip_has(jb_zip *z, const char *member) {
  return z && zip_name_locate(z->za, member, 0) >= 0;
}

/* Opens a member after checking its declared size and ratio. */
static jb_status member_open(jb_zip *z, const char *member, size_t max, zip_file_t **ppF,
                             jb_error *err) {
  *ppF = NULL;
  if (!max) max = JB_ZIP_MAX_MEMBER;
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z->za, member, 0, &st) != 0) {
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_ZIP_NO_MEMBER), z->name, member);
    return JB_ERR_NOTFOUND;
  }
  if ((st.valid & ZIP_STAT_SIZE) && st.size > max) {
    jb_err_set(err, JB_ERR_LIMIT, jb_msg(JB_MSG_ZIP_TOO_BIG), z->name, member, (size_t)st.size, max);
    return JB_ERR_LIMIT;
  }
  if ((st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE) && st.size > JB_ZIP_RATIO_FLOOR) {
    zip_uint64_t comp = st.comp_size ? st.comp_size : 1;
    if (st.size / comp > JB_ZIP_MAX_RATIO) {
      jb_err_set(err, JB_ERR_LIMIT, jb_msg(JB_MSG_ZIP_BOMB), z->name, member, (size_t)(st.size / comp));
      return JB_ERR_LIMIT;
    }
  }
  zip_file_t *f = zip_fopen(z->za, member, 0);
  if (!f) {
    jb_err_set(err, JB_ERR_PARSE, jb_msg(JB_MSG_ZIP_READ), z->name, member, zip_strerror(z->za));
    return JB_ERR_PARSE;
  }
  *ppF = f;
  return JB_OK;
}

/* Reads the next chunk of a member into buf; returns bytes (0 at the end)
** or minus a jb_status with err filled. `total` counts bytes so far against `max`. */
static long member_chunk(jb_zip *z, zip_file_t *f, const char *member, char *buf, size_t cap,
                         size_t max, size_t *total, jb_error *err) {
  zip_int64_t got = zip_fread(f, buf, cap);
  if (got < 0) {
    /* libzip checks the CRC at the end: a damaged member fails here */
    jb_err_set(err, JB_ERR_PARSE, jb_msg(JB_MSG_ZIP_READ), z->name, member, zip_file_strerror(f));
    return -JB_ERR_PARSE;
  }
  *total += (size_t)got;
  if (*total > (max ? max : JB_ZIP_MAX_MEMBER)) {
    /* the header lied about the size */
    jb_err_set(err, JB_ERR_LIMIT, jb_msg(JB_MSG_ZIP_TOO_BIG), z->name, member, *total,
               max ? max : JB_ZIP_MAX_MEMBER);
    return -JB_ERR_LIMIT;
  }
  return (long)got;
}

jb_status jb_zip_read(jb_zip *z, const char *member, size_t max, char **ppOut, size_t *pn,
                      jb_error *err) {
  *ppOut = NULL;
  if (pn) *pn = 0;
  zip_file_t *f = NULL;
  jb_status rc = member_open(z, member, max, &f, err);
  if (rc) return rc;
  jb_buf b = {0};
  char chunk[65536];
  size_t total = 0;
  long got;
  while ((got = member_chunk(z, f, member, chunk, sizeof(chunk), max, &total, err)) > 0)
    jb_buf_add(&b, chunk, (size_t)got);
  zip_fclose(f);
  if (got < 0) {
    jb_buf_free(&b);
    return (jb_status)-got;
  }
  jb_buf_str(&b);
  if (b.oom || !b.p) {
    jb_buf_free(&b);
    jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    return JB_ERR_NOMEM;
  }
  *ppOut = b.p;
  if (pn) *pn = b.n;
  return JB_OK;
}

/* ------------------------------------------------------------------ XML */

/* Expat reports namespaced names as "URI\x01local" (XML_ParserCreateNS with
** this separator); handlers see only the local part. */
#define NS_SEP '\x01'

typedef struct xml_run {
  XML_Parser p;
  const jb_xml_handler *h;
  const char *what;
  int stop;            /* a callback's status, or JB_ERR_PARSE for a DOCTYPE */
  jb_error *err;
} xml_run;

static const char *local_name(const char *name) {
  const char *sep = strrchr(name, NS_SEP);
  return sep ? sep + 1 : name;
}

const char *jb_xml_attr(const char **attrs, const char *name) {
  for (int i = 0; attrs && attrs[i]; i += 2)
    if (!strcmp(local_name(attrs[i]), name)) return attrs[i + 1];
  return NULL;
}

static void halt(xml_run *r, int status) {
  if (r->stop) return;
  r->stop = status;
  XML_StopParser(r->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
  xml_run *r = ud;
  if (r->stop || !r->h->start) return;
  int st = r->h->start(r->h->ctx, local_name(name), (const char **)attrs);
  if (st) halt(r, st);
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
  xml_run *r = ud;
  if (r->stop || !r->h->end) return;
  int st = r->h->end(r->h->ctx, local_name(name));
  if (st) halt(r, st);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int n) {
  xml_run *r = ud;
  if (r->stop || !r->h->text) return;
  int st = r->h->text(r->h->ctx, s, n);
  if (st) halt(r, st);
}

/* No DOCTYPE means no entity declarations, so nothing can expand (billion
** laughs) and nothing external is fetched. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal) {
  xml_run *r = ud;
  jb_err_set(r->err, JB_ERR_PARSE, jb_msg(JB_MSG_XML_DOCTYPE), r->what);
  halt(r, JB_ERR_PARSE);
}

static jb_status xml_begin(xml_run *r, const char *what, const jb_xml_handler *h, jb_error *err) {
  memset(r, 0, sizeof(*r));
  r->p = XML_ParserCreateNS("UTF-8", NS_SEP);
  if (!r->p) {
    jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    return JB_ERR_NOMEM;
  }
  r->h = h;
  r->what = what;
  r->err = err;
  XML_SetUserData(r->p, r);
  XML_SetElementHandler(r->p, on_start, on_end);
  XML_SetCharacterDataHandler(r->p, on_text);
  XML_SetStartDoctypeDeclHandler(r->p, on_doctype);
  XML_SetParamEntityParsing(r->p, XML_PARAM_ENTITY_PARSING_NEVER);
  return JB_OK;
}

/* Feeds one piece (final: the last); returns the run's status. */
static jb_status xml_feed(xml_run *r, const char *p, size_t n, int final) {
  if (r->stop) return (jb_status)r->stop;
  /* expat takes an int length: feed big buffers in pieces */
  while (n > (1u << 30)) {
    jb_status st = xml_feed(r, p, 1u << 30, 0);
    if (st) return st;
    p += 1u << 30;
    n -= 1u << 30;
  }
  if (XML_Parse(r->p, p, (int)n, final) == XML_STATUS_ERROR) {
    if (r->stop) return (jb_status)r->stop;
    jb_err_set(r->err, JB_ERR_PARSE, jb_msg(JB_MSG_XML_BAD), r->what,
               (unsigned long)XML_GetCurrentLineNumber(r->p),
               (unsigned long)XML_GetCurrentColumnNumber(r->p) + 1,
               XML_ErrorString(XML_GetErrorCode(r->p)));
    r->stop = JB_ERR_PARSE;
  }
  return (jb_status)r->stop;
}

jb_status jb_xml_parse(const char *p, size_t n, const char *what, const jb_xml_handler *h,
                       jb_error *err) {
  xml_run r;
  jb_status rc = xml_begin(&r, what, h, err);
  if (rc) return rc;
  rc = xml_feed(&r, p, n, 1);
  XML_ParserFree(r.p);
  return rc;
}

jb_status jb_zip_parse_xml(jb_zip *z, const char *member, size_t max, const jb_xml_handler *h,
                           jb_error *err) {
  zip_file_t *f = NULL;
  jb_status rc = member_open(z, member, max, &f, err);
  if (rc) return rc;
  char what[600];
  snprintf(what, sizeof(what), "%s[%s]", z->name, member);
  xml_run r;
  if ((rc = xml_begin(&r, what, h, err))) {
    zip_fclose(f);
    return rc;
  }
  char chunk[65536];
  size_t total = 0;
  long got;
  while (!rc && (got = member_chunk(z, f, member, chunk, sizeof(chunk), max, &total, err)) != 0) {
    if (got < 0) rc = (jb_status)-got;
    else rc = xml_feed(&r, chunk, (size_t)got, 0);
  }
  if (!rc) rc = xml_feed(&r, "", 0, 1);
  XML_ParserFree(r.p);
  zip_fclose(f);
  return rc;
}
