/*
 * transcode.h - text in the encodings Chinese offices' spreadsheets save
 * (GB18030, and GBK, its two-byte subset), read and written as UTF-8.
 *
 * A transcoder is a stdio stream (fopencookie) over another: a reader
 * yields UTF-8 from a file in the encoding, a writer takes UTF-8 and
 * writes the encoding, both streaming (memory stays flat).  GB18030
 * holds every Unicode character, the four-byte ones of rare names (𠈌)
 * included, so text round-trips byte for byte.  A byte sequence the
 * encoding does not allow, or a character it cannot hold (GBK), stops the
 * stream with an error that names the file, the line and the bytes:
 * strata_transcode_failed() sets it as the thread's message.
 */
#ifndef STRATA_BASE_TRANSCODE_H
#define STRATA_BASE_TRANSCODE_H

#include <stdio.h>

typedef struct strata_transcode strata_transcode;

/*
 * The encoding a name gives: "utf-8" (no transcoding), "gb18030" or
 * "gbk", any case.  Returns 0, or an error naming the ones there are.
 */
int strata_transcode_name(const char **canonical, const char *name);
/*
 * A stream reading `in` (in `encoding`, not UTF-8) as UTF-8, or writing
 * UTF-8 into `out` in `encoding`; `name` is the file for messages.
 * fclose() on the stream flushes a writer and leaves `in` and `out` open;
 * then strata_transcode_free() (the transcoder outlives the stream, to say
 * what stopped it).  A writer drops a UTF-8 byte order mark at the start
 * (no other encoding wants it).
 */
int strata_transcode_reader(FILE **stream, strata_transcode **t, FILE *in, const char *encoding, const char *name);
int strata_transcode_writer(FILE **stream, strata_transcode **t, FILE *out, const char *encoding, const char *name);
void strata_transcode_free(strata_transcode *t);
/* After a stream failed: its message (file, line, bytes) set, STRATA_ERROR; 0 if the transcoder saw none. */
int strata_transcode_failed(const strata_transcode *t);
/* 1 if the whole file at `path` is valid text in `encoding` ("utf-8" too), else 0 (unreadable: 0). */
int strata_transcode_file_is(const char *path, const char *encoding);

#endif
