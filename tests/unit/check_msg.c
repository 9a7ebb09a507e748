/* check_msg.c - framed messages: round trips, and every malformed frame refused. */
#include "fixture.h"
#include "strata/format/msg.h"

#include <unistd.h>

static void build(strata_buf *b)
{
	ck_assert_int_eq(strata_msg_begin(b), 0);
	ck_assert_int_eq(strata_msg_add_str(b, 2, "st-wangjiang"), 0);
	ck_assert_int_eq(strata_msg_add_u64(b, 1, 0x0102030405060708ULL), 0);
	ck_assert_int_eq(strata_msg_add(b, 3, "", 0), 0);
	ck_assert_int_eq(strata_msg_end(b), 0);
}

START_TEST(round_trip)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_msg m;
	uint64_t v;
	char s[64];

	build(&b);
	ck_assert_int_eq(strata_msg_parse(&m, b.ptr + 4, b.len - 4), 0);
	ck_assert_int_eq(strata_msg_str(s, sizeof(s), &m, 2), 0);
	ck_assert_str_eq(s, "st-wangjiang");
	ck_assert_int_eq(strata_msg_u64(&v, &m, 1), 0);
	ck_assert(v == 0x0102030405060708ULL);
	ck_assert(m.has[3] && m.len[3] == 0);
	ck_assert(!m.has[4]);
	ck_assert_int_lt(strata_msg_str(s, 5, &m, 2), 0);	/* too long for the buffer */
	ck_assert_int_lt(strata_msg_u64(&v, &m, 2), 0);		/* not 8 bytes */
	ck_assert_int_lt(strata_msg_str(s, sizeof(s), &m, 7), 0);	/* absent */
	strata_msg_dispose(&m);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(every_cut_refused)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_msg m;

	build(&b);
	/* cut anywhere inside a field: refused; cut at a field boundary: fewer fields */
	for (size_t len = 0; len < b.len - 4; len++) {
		int rc = strata_msg_parse(&m, b.ptr + 4, len);
		size_t nfields = 0;
		for (int t = 0; t < STRATA_MSG_FIELDS; t++)
			nfields += m.has[t];
		ck_assert(rc < 0 || len == 0 || len == 17 || len == 30);
		ck_assert(rc < 0 || nfields < 3);
		strata_msg_dispose(&m);
	}
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(repeats_and_unknown_tags_refused)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_msg m;

	ck_assert_int_eq(strata_msg_begin(&b), 0);
	ck_assert_int_eq(strata_msg_add_str(&b, 2, "a"), 0);
	ck_assert_int_eq(strata_msg_add_str(&b, 2, "b"), 0);
	ck_assert_int_eq(strata_msg_end(&b), 0);
	ck_assert_int_lt(strata_msg_parse(&m, b.ptr + 4, b.len - 4), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "repeated"));
	strata_msg_dispose(&m);
	ck_assert_int_lt(strata_msg_add_str(&b, STRATA_MSG_FIELDS, "x"), 0);
	b.ptr[4] = (char)STRATA_MSG_FIELDS;	/* forge one on the wire */
	ck_assert_int_lt(strata_msg_parse(&m, b.ptr + 4, b.len - 4), 0);
	strata_msg_dispose(&m);
	strata_buf_dispose(&b);
}
END_TEST

START_TEST(read_from_a_pipe)
{
	strata_buf b = STRATA_BUF_INIT;
	strata_msg m;
	int fds[2];
	char s[64];

	ck_assert_int_eq(pipe(fds), 0);
	build(&b);
	ck_assert_int_eq(strata_msg_write(fds[1], &b), 0);
	ck_assert_int_eq(strata_msg_write(fds[1], &b), 0);
	ck_assert_int_eq((int)write(fds[1], b.ptr, 6), 6);	/* a torn third */
	close(fds[1]);
	ck_assert_int_eq(strata_msg_read(&m, fds[0], 1024), 0);
	ck_assert_int_eq(strata_msg_str(s, sizeof(s), &m, 2), 0);
	strata_msg_dispose(&m);
	ck_assert_int_lt(strata_msg_read(&m, fds[0], 10), 0);	/* over the cap */
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "exceeds the limit"));
	strata_msg_dispose(&m);
	close(fds[0]);

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq((int)write(fds[1], b.ptr, 6), 6);
	close(fds[1]);
	ck_assert_int_lt(strata_msg_read(&m, fds[0], 1024), 0);
	ck_assert_ptr_nonnull(strstr(strata_error_last(), "mid-message"));
	strata_msg_dispose(&m);
	close(fds[0]);

	ck_assert_int_eq(pipe(fds), 0);
	close(fds[1]);
	ck_assert_int_eq(strata_msg_read(&m, fds[0], 1024), 1);	/* clean end */
	close(fds[0]);
	strata_buf_dispose(&b);
}
END_TEST

/* A body sent after the message's other bytes parses as if it were inside. */
START_TEST(body_by_reference)
{
	strata_buf a = STRATA_BUF_INIT, b = STRATA_BUF_INIT;

	ck_assert_int_eq(strata_msg_begin(&a), 0);
	ck_assert_int_eq(strata_msg_add_str(&a, 2, "peer"), 0);
	ck_assert_int_eq(strata_msg_add_str(&a, 3, "a large body"), 0);
	ck_assert_int_eq(strata_msg_end(&a), 0);
	ck_assert_int_eq(strata_msg_begin(&b), 0);
	ck_assert_int_eq(strata_msg_add_str(&b, 2, "peer"), 0);
	ck_assert_int_eq(strata_msg_end_with(&b, 3, 12), 0);
	ck_assert_int_eq(strata_buf_puts(&b, "a large body"), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(memcmp(a.ptr, b.ptr, a.len) == 0);
	ck_assert_int_lt(strata_msg_end_with(&b, STRATA_MSG_FIELDS, 1), 0);
	strata_buf_dispose(&a);
	strata_buf_dispose(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, every_cut_refused);
	tcase_add_test(tc, repeats_and_unknown_tags_refused);
	tcase_add_test(tc, read_from_a_pipe);
	tcase_add_test(tc, body_by_reference);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
