/*
 * i18n.h - messages a person reads, in the reader's language (gettext).
 *
 * _("text") translates now; N_("text") marks a message kept in a table and
 * translated where it is printed.  The library's error functions (error.h)
 * translate their format themselves: pass them the English text.  What a
 * program reads (JSON, file formats, names, protocol text) is never
 * marked.  The catalogue is po/zh_CN.po; main() picks the language from
 * LANG / LC_ALL / LC_MESSAGES, English by default.
 */
#ifndef STRATA_BASE_I18N_H
#define STRATA_BASE_I18N_H

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#define P_(one, many, n) ngettext((one), (many), (n))
#else
#define _(s) (s)
#define P_(one, many, n) ((n) == 1 ? (one) : (many))
#endif
#define N_(s) (s)

#endif
