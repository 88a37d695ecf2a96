/*
** ooxml.h — reading Office Open XML packages (.xlsx, .docx, .pptx): a zip
** archive (libzip) whose members are read with a size bound and parsed as a
** stream of XML events (expat). Nothing here is specific to one format; the
** spreadsheet reader (store_xlsx.c) and the document text extractor build
** on it.
**
** Hostile packages are expected. A member is refused before it is inflated
** when its declared size exceeds the caller's bound or when it inflates more
** than JB_ZIP_MAX_RATIO times (a zip bomb); the bound is enforced again on
** the bytes actually inflated, since the declared size may lie. XML with a
** DOCTYPE is refused (OOXML never has one), so no entity can expand.
*/
#ifndef JB_OOXML_H
#define JB_OOXML_H

#include "jb_int.h"

/* Default bound on one member's inflated size. The biggest part of a real
** workbook is a sheet: 64 MiB holds several hundred thousand rows of text. */
#define JB_ZIP_MAX_MEMBER ((size_t)64 << 20)
/* Inflation ratio above which a member is a zip bomb. Deflate's own ceiling
** is about 1032:1; spreadsheet XML measured 5-30:1, a sheet of one repeated
** value under 200:1. Members smaller than JB_ZIP_RATIO_FLOOR are exempt (a
** 20 KB run of spaces is harmless whatever its ratio). */
#define JB_ZIP_MAX_RATIO 200
#define JB_ZIP_RATIO_FLOOR ((size_t)1 << 20)
/* Members a package may list; real ones have tens. */
#define JB_ZIP_MAX_ENTRIES 10000

typedef struct jb_zip jb_zip;

/* Opens a zip archive from a file. `name` (borrowed) names it in errors. */
jb_status jb_zip_open(const char *path, jb_zip **ppZip, jb_error *err);
/* Opens a zip archive held in memory; p[0..n) is borrowed and must outlive
** the archive. `name` names it in errors. */
jb_status jb_zip_open_mem(const void *p, size_t n, const char *name, jb_zip **ppZip,
                          jb_error *err);
void jb_zip_close(jb_zip *z);

/* 1 when the archive has a member of that exact name, else 0. */
int jb_zip_has(jb_zip *z, const char *member);

/* Reads a whole member into a malloc'd, NUL-terminated buffer (caller
** frees *ppOut); at most `max` inflated bytes (0 = JB_ZIP_MAX_MEMBER).
** JB_ERR_NOTFOUND when there is no such member, JB_ERR_LIMIT when it is too
** big or inflates like a bomb, JB_ERR_PARSE when the archive is damaged. */
jb_status jb_zip_read(jb_zip *z, const char *member, size_t max, char **ppOut, size_t *pn,
                      jb_error *err);

/* XML events. Element names are local names: the namespace (w:, x:, r:) is
** dropped, so "w:t" arrives as "t". `attrs` is expat's NULL-ended list of
** name, value pairs, where a prefixed name still carries its namespace: look
** values up with jb_xml_attr, which compares local names. A callback returns 0 to go on, or a jb_status
** to stop the parse with that status (it fills its own error first). */
typedef struct jb_xml_handler {
  int (*start)(void *ctx, const char *name, const char **attrs);
  int (*end)(void *ctx, const char *name);
  int (*text)(void *ctx, const char *s, int n); /* pieces of character data */
  void *ctx;
} jb_xml_handler;

/* The value of attribute `name` (local name) in attrs, or NULL. */
const char *jb_xml_attr(const char **attrs, const char *name);

/* Parses p[0..n) as XML; `what` names the document in errors. */
jb_status jb_xml_parse(const char *p, size_t n, const char *what, const jb_xml_handler *h,
                       jb_error *err);
/* Streams a member through the XML parser without holding it whole; bounded
** like jb_zip_read. */
jb_status jb_zip_parse_xml(jb_zip *z, const char *member, size_t max, const jb_xml_handler *h,
                           jb_error *err);

#endif /* JB_OOXML_H */
