/*
 * schema.c - schema.json: field names (input order), inferred types, key.
 *
 * Types are hints for policies (a date can be generalised to a year);
 * every value is stored as a string whatever its type.
 */
#include "strata/format/schema.h"
#include "strata/format/json.h"
#include "strata/format/pack.h"
#include "strata/format/trie.h"
#include "strata/base/i18n.h"

#include <stdlib.h>
#include <string.h>
#include <jansson.h>

enum { T_BOOL = 1, T_INT = 2, T_NUM = 4, T_DATE = 8 };

static int is_int(const char *v, size_t len)
{
	size_t i = 0;
	if (len && v[0] == '-')
		i++;
	if (i == len || len - i > 18)
		return 0;
	if (v[i] == '0' && len - i > 1)
		return 0;
	for (; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

static int is_num(const char *v, size_t len)
{
	const char *dot = memchr(v, '.', len);
	if (!dot)
		return is_int(v, len);
	size_t ilen = (size_t)(dot - v), flen = len - ilen - 1;
	if (flen == 0 || !is_int(v, ilen))
		return 0;
	for (size_t i = 0; i < flen; i++)
		if (dot[1 + i] < '0' || dot[1 + i] > '9')
			return 0;
	return 1;
}

static int is_date(const char *v, size_t len)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;
	if (len != 10 || v[4] != '-' || v[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return 0;
	y = atoi(v);
	m = (v[5] - '0') * 10 + v[6] - '0';
	d = (v[8] - '0') * 10 + v[9] - '0';
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100) || y % 400 == 0))
		return 0;
	return 1;
}

static const char *const kinds[] = { "resident-id", "mobile", "date", "text" };

int strata_schema_kind_known(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

static int digits(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

static int rid_shape(const char *v, size_t len)
{
	return len == 18 && digits(v, 17) && ((v[17] >= '0' && v[17] <= '9') || v[17] == 'X' || v[17] == 'x');
}

unsigned strata_schema_shape(const char *v, size_t len)
{
	unsigned shape = 0;

	if (rid_shape(v, len))
		shape |= STRATA_SHAPE_RESIDENT_ID;
	if (len == 10 && v[4] == '-' && v[7] == '-' && digits(v, 4) && digits(v + 5, 2) && digits(v + 8, 2))
		shape |= STRATA_SHAPE_DATE;
	return shape;
}

int strata_schema_kind_check(char *why, size_t size, const char *kind, const char *v, size_t len)
{
	if (!strcmp(kind, "resident-id")) {
		static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
		static const char check[] = "10X98765432";
		char date[11];
		int sum = 0;
		if (!rid_shape(v, len)) {
			snprintf(why, size, "%s", _("a resident ID number (18 characters: 17 digits, then a digit or X)"));
			return 1;
		}
		snprintf(date, sizeof(date), "%.4s-%.2s-%.2s", v + 6, v + 10, v + 12);
		if (!is_date(date, 10)) {
			snprintf(why, size, _("a valid resident ID number: its birth date %s does not exist"), date);
			return 1;
		}
		for (int i = 0; i < 17; i++)
			sum += (v[i] - '0') * weight[i];
		if (check[sum % 11] != (v[17] == 'x' ? 'X' : v[17])) {
			snprintf(why, size, _("a valid resident ID number: its check digit is %c, not %c (GB 11643)"),
				 check[sum % 11], v[17]);
			return 1;
		}
		return 0;
	}
	if (!strcmp(kind, "mobile")) {
		if (len != 11 || !digits(v, 11) || v[0] != '1' || v[1] < '3') {
			snprintf(why, size, "%s", _("a mobile number (11 digits, 13 to 19 first)"));
			return 1;
		}
		return 0;
	}
	if (!strcmp(kind, "date")) {
		if (!is_date(v, len)) {
			snprintf(why, size, "%s",
				 strata_schema_shape(v, len) & STRATA_SHAPE_DATE ? _("a date that exists")
										: _("a date (YYYY-MM-DD)"));
			return 1;
		}
		return 0;
	}
	return 0;	/* text */
}

unsigned strata_schema_type_narrow(unsigned mask, const char *v, size_t len)
{
	if (len == 0)
		return mask;
	if ((mask & T_BOOL) && !((len == 4 && !memcmp(v, "true", 4)) || (len == 5 && !memcmp(v, "false", 5))))
		mask &= ~(unsigned)T_BOOL;
	if ((mask & T_INT) && !is_int(v, len))
		mask &= ~(unsigned)T_INT;
	if ((mask & T_NUM) && !is_num(v, len))
		mask &= ~(unsigned)T_NUM;
	if ((mask & T_DATE) && !is_date(v, len))
		mask &= ~(unsigned)T_DATE;
	return mask;
}

const char *strata_schema_type_name(unsigned mask)
{
	if (mask == STRATA_TYPES_ALL)
		return "string";	/* only empty values seen */
	if (mask & T_BOOL) return "boolean";
	if (mask & T_INT) return "integer";
	if (mask & T_NUM) return "number";
	if (mask & T_DATE) return "date";
	return "string";
}

void strata_schema_free(strata_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfields; i++) {
		free(s->names ? s->names[i] : NULL);
		free(s->types ? s->types[i] : NULL);
		free(s->kinds ? s->kinds[i] : NULL);
	}
	free(s->kinds);
	for (size_t i = 0; i < s->nkey; i++)
		free(s->key ? s->key[i] : NULL);
	free(s->names);
	free(s->types);
	free(s->key);
	free(s);
}

int strata_schema_field(const strata_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (strcmp(s->names[i], name) == 0)
			return (int)i;
	return -1;
}

int strata_schema_write(strata_buf *out, const strata_schema *s)
{
	if (strata_buf_puts(out, "{\"fields\":[") < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < s->nfields; i++) {
		if ((i && strata_buf_putc(out, ',') < 0) || strata_buf_putc(out, '{') < 0 ||
		    (s->kinds && s->kinds[i] &&
		     (strata_buf_puts(out, "\"kind\":") < 0 ||
		      strata_json_put_string(out, s->kinds[i], strlen(s->kinds[i])) < 0 || strata_buf_putc(out, ',') < 0)) ||
		    strata_buf_puts(out, "\"name\":") < 0 ||
		    strata_json_put_string(out, s->names[i], strlen(s->names[i])) < 0 ||
		    strata_buf_puts(out, ",\"type\":") < 0 ||
		    strata_json_put_string(out, s->types[i], strlen(s->types[i])) < 0 ||
		    strata_buf_putc(out, '}') < 0)
			return STRATA_ERROR;
	}
	if (strata_buf_puts(out, "],\"format\":1,\"key\":[") < 0)
		return STRATA_ERROR;
	for (size_t i = 0; i < s->nkey; i++)
		if ((i && strata_buf_putc(out, ',') < 0) ||
		    strata_json_put_string(out, s->key[i], strlen(s->key[i])) < 0)
			return STRATA_ERROR;
	return strata_buf_puts(out, "]}\n");
}

int strata_schema_parse(strata_schema **out, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *fields, *key;
	strata_schema *s = NULL;
	int error = STRATA_ERROR;

	*out = NULL;
	if (!root) {
		error = strata_error_set("schema.json: line %d: %s", jerr.line, jerr.text);
		goto done;
	}
	fields = json_object_get(root, "fields");
	key = json_object_get(root, "key");
	if (!json_is_array(fields) || !json_is_array(key) || json_array_size(fields) == 0 ||
	    json_array_size(key) == 0 || json_integer_value(json_object_get(root, "format")) != 1) {
		error = strata_error_set("schema.json: not a strata schema (format 1)");
		goto done;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->names = calloc(json_array_size(fields), sizeof(char *))) == NULL ||
	    (s->types = calloc(json_array_size(fields), sizeof(char *))) == NULL ||
	    (s->kinds = calloc(json_array_size(fields), sizeof(char *))) == NULL ||
	    (s->key = calloc(json_array_size(key), sizeof(char *))) == NULL) {
		error = strata_error_set("out of memory");
		goto done;
	}
	for (size_t i = 0; i < json_array_size(fields); i++) {
		json_t *f = json_array_get(fields, i);
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *type = json_string_value(json_object_get(f, "type"));
		if (!name || !type) {
			error = strata_error_set("schema.json: field %zu has no name or type", i + 1);
			goto done;
		}
		if (strata_schema_field(s, name) >= 0) {
			error = strata_error_set("schema.json: field '%s' is named twice", name);
			goto done;
		}
		s->names[i] = strdup(name);
		s->types[i] = strdup(type);
		s->nfields = i + 1;
		if (!s->names[i] || !s->types[i]) {
			error = strata_error_set("out of memory");
			goto done;
		}
		if (json_object_get(f, "kind")) {
			const char *kind = json_string_value(json_object_get(f, "kind"));
			if (!kind || !strata_schema_kind_known(kind)) {
				error = strata_error_set("schema.json: field '%s': unknown kind (resident-id, mobile, date or text)",
							 name);
				goto done;
			}
			if ((s->kinds[i] = strdup(kind)) == NULL) {
				error = strata_error_set("out of memory");
				goto done;
			}
		}
	}
	for (size_t i = 0; i < json_array_size(key); i++) {
		const char *k = json_string_value(json_array_get(key, i));
		if (!k || (error = strata_schema_field(s, k)) < 0) {
			error = strata_error_set("schema.json: key field %zu is not a field", i + 1);
			goto done;
		}
		if ((s->key[i] = strdup(k)) == NULL) {
			error = strata_error_set("out of memory");
			goto done;
		}
		s->nkey = i + 1;
	}
	*out = s;
	s = NULL;
	error = 0;
done:
	json_decref(root);
	strata_schema_free(s);
	return error;
}

int strata_schema_load(strata_schema **out, git_repository *repo, const git_tree *root)
{
	const git_tree_entry *e = git_tree_entry_byname(root, "schema.json");
	git_blob *blob = NULL;
	int error;

	*out = NULL;
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return strata_error_set("dataset has no schema.json");
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		return strata_error_git("cannot read schema.json");
	error = strata_schema_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return error;
}

int strata_schema_write_root(struct strata_packw *w, const strata_schema *s,
			      const git_oid *records, git_oid *root)
{
	strata_buf text = STRATA_BUF_INIT, tree = STRATA_BUF_INIT;
	git_oid schema;
	int error = STRATA_ERROR;

	if (strata_schema_write(&text, s) == 0 &&
	    strata_pack_writer_add(w, GIT_OBJECT_BLOB, text.ptr, text.len, &schema) == 0 &&
	    strata_trie_tree_entry(&tree, "records", 1, records) == 0 &&
	    strata_trie_tree_entry(&tree, "schema.json", 0, &schema) == 0)
		error = strata_pack_writer_add(w, GIT_OBJECT_TREE, tree.ptr, tree.len, root);
	strata_buf_dispose(&text);
	strata_buf_dispose(&tree);
	return error;
}
