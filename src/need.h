/*
** need.h — the one need path: how a need is loaded (from the database, from
** a need record given as JSON, or from ad-hoc text) and the one rule that
** decides whether a candidate may be proposed for it.
**
** Every output that proposes someone for a need — match (both ways), batch,
** assign (leads and members, and placement targets), demands (per need and
** per common need), check's top candidates, serve — loads the need here and
** asks nd_excluded() about each candidate. A rule added to the table in
** need.c therefore applies everywhere at once.
*/
#ifndef JB_NEED_H
#define JB_NEED_H

#include "match_int.h"

/* A need with everything the matcher and the eligibility rule use. Strings
** and cJSON trees are owned by the need (nd_free releases them). */
typedef struct nd_need {
  char *id;                 /* NULL for ad-hoc text */
  char *title, *text;
  char *org, *org_name;     /* owner */
  char *region, *status, *list, *deadline, *created;
  char *file_text;          /* the stored text of its attached file, or NULL */
  cJSON *keywords;          /* list of strings, or NULL */
  cJSON *contact;           /* or NULL */
  double budget;
  int has_budget;
  int team_size;            /* members besides the lead */
  uint64_t chains;          /* as recorded, else inferred from its text */
  /* The organizations whose interest the need serves: its owner, or for a
  ** common need every member need's owner. A candidate tied to any of them
  ** is excluded. */
  char **owners;
  int nowners;
  /* Scoring for `learn`: what happened to earlier pairings (declines,
  ** engagements) must not hide the very pairs it learns from. */
  int ignore_outcomes;
} nd_need;

/* The columns nd_from_row() reads, and the FROM clause they come from;
** callers append WHERE/ORDER BY. */
#define ND_SELECT                                                                                  \
  "SELECT n.id, n.title, n.text, n.keywords, n.chains, n.org, o.name,"                              \
  " coalesce(json_extract(n.doc, '$.region'), o.region), n.status, n.list, n.team_size,"           \
  " n.deadline, n.created, n.budget, json_extract(n.doc, '$.contact')"                             \
  " FROM need n LEFT JOIN org o ON o.id = n.org "

/* Fills n from a row of ND_SELECT (n is overwritten; -1: out of memory). */
int nd_from_row(jb_db *db, const jb_match_index *mx, sqlite3_stmt *st, nd_need *n);
/* The need with this id. JB_ERR_NOTFOUND when there is none; a failed read
** is JB_ERR_DB, never "not found". */
jb_status nd_load(jb_db *db, const jb_match_index *mx, const char *id, nd_need *n, jb_error *err);
/* Every need selected by `where` (SQL after ND_SELECT, e.g. "WHERE n.status
** = 'open' ORDER BY n.id", with text parameters ?1..?nbind; a NULL
** parameter binds NULL). *v is a new array of *n needs (nd_free_all). */
jb_status nd_load_where(jb_db *db, const jb_match_index *mx, const char *where, const char *const *bind,
                        int nbind, nd_need **v, int *nv, jb_error *err);
/* A need given as a record (JSON Lines, a check request): id, title, text,
** keywords, chains, org, region, team_size are read (-1: out of memory).
** With infer_chains 0 the record's chains are taken as they are, none when
** it names none: batch files are evaluation sets from other domains, where
** chains guessed from the county's lexicon only add noise (scifact 0.6963
** -> 0.6952, csl 0.1884 -> 0.1878 when inferred). */
int nd_from_json(jb_db *db, const jb_match_index *mx, const cJSON *rec, int infer_chains, nd_need *n);
/* Ad-hoc text: no owner, chains inferred (-1: out of memory). */
int nd_from_text(jb_db *db, const char *text, nd_need *n);
/* Adds an owner (a common need: each member's owner); NULL is ignored. */
int nd_add_owner(nd_need *n, const char *org);
void nd_free(nd_need *n);
void nd_free_all(nd_need *v, int n);

/* ---- eligibility ---- */

/* Classes of rules. A conflict of interest, and a pairing the candidate
** declined before, are never allowed; availability (capacity, less the
** pairings accepted or under contract) is left out by callers that account
** for it themselves (assign gives the solver each expert's capacity). */
#define ND_CONFLICT 1u
#define ND_AVAILABILITY 2u
#define ND_ALL (ND_CONFLICT | ND_AVAILABILITY)

/* May candidate `unit` be proposed for need n? 0: yes. Otherwise the
** number (1-based) of the first rule of the given classes that excludes it;
** with why != NULL, *why gets the reason a person reads (caller frees).
** Cheap without why: the scorer asks it for every expert that lifts an
** institution. */
int nd_excluded(const jb_match_index *mx, const nd_need *n, uint32_t unit, unsigned classes, char **why);
/* The name of rule r as returned by nd_excluded ("same_institution" ...). */
const char *nd_rule_name(int r);

/* The institution an org belongs to: the top of its host chain (a platform's
** university, a subsidiary's group); the org itself when it has no host. */
const char *nd_org_root(const jb_match_index *mx, const char *org);

#endif
