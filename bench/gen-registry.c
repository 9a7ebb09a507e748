/*
 * gen-registry - deterministic, fictitious sample data of any size.
 *
 *   gen-registry residents N [SEED]   resident registry CSV
 *   gen-registry events N [SEED]      grid-event log CSV
 *   gen-registry change PERCENT SEED  (stdin CSV -> stdout) change PERCENT% of rows
 *
 * Same arguments, same bytes, on any machine.  ID numbers have valid GB
 * 11643 check digits and are unique (an affine permutation of the row
 * index over region x birth date x sequence).  Names, addresses and phone
 * numbers are drawn from small tables; nothing here is a real person.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }

static const char *surnames[] = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
	"徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐",
	"许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
	"欧阳", "司马" };
static const char *given[] = { "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
	"勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文",
	"华", "玉兰", "红", "志强", "晓东", "海燕", "雪", "婷", "宇", "浩然", "子涵", "欣怡", "梓轩" };
static const struct { const char *code, *district; } regions[] = {
	{ "330102", "上城区" }, { "330105", "拱墅区" }, { "330106", "西湖区" },
	{ "330108", "滨江区" }, { "330109", "萧山区" }, { "330110", "余杭区" } };
static const struct { const char *name, *street, *street_code; } communities[] = {
	{ "望江社区", "望江街道", "wangjiang" }, { "近江社区", "望江街道", "wangjiang" },
	{ "翠苑社区", "翠苑街道", "cuiyuan" }, { "文新社区", "翠苑街道", "cuiyuan" } };
static const char *roads[] = { "解放路", "秋涛路", "文一路", "文二路", "莫干山路", "天目山路",
	"清泰街", "望江路", "古翠路", "教工路" };
static const char *income[] = { "<1000", "1000-2999", "3000-4999", "5000-7999", "8000-11999", ">=12000" };
static const char *phone_prefix[] = { "130", "131", "135", "136", "138", "139", "150", "151",
	"158", "159", "177", "180", "186", "188", "189" };

static void id_number(char out[19], uint64_t i)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	const uint64_t R = 6, D = 80 * 372, S = 1000, M = R * D * S;
	uint64_t k = (i * 2654435761ull + 12345) % M;	/* gcd(2654435761, M) = 1 */
	unsigned r = (unsigned)(k % R), d = (unsigned)(k / R % D), s = (unsigned)(k / R / D);
	unsigned y = 1935 + d / 372, m = d % 372 / 31 + 1, dd = d % 31 + 1;
	int sum = 0;

	if (dd > 28)	/* keep every date valid */
		dd = 28 - (dd - 28);
	snprintf(out, 19, "%s%04u%02u%02u%03u", regions[r].code, y, m, dd, s);
	for (int j = 0; j < 17; j++)
		sum += (out[j] - '0') * w[j];
	out[17] = check[sum % 11];
	out[18] = '\0';
}

static void residents(uint64_t n)
{
	printf("id_number,name,gender,birth_date,phone,address,community,street,grid_code,household_id,income_band,consent\n");
	for (uint64_t i = 0; i < n; i++) {
		char id[19];
		unsigned c = (unsigned)(i % 4);
		id_number(id, i);
		printf("%s,%s%s,%s,%.4s-%.2s-%.2s,%s%08u,\"浙江省杭州市%s%s%u号%u幢%u室\",%s,%s,%s-%03u-%03u,H%s%05u,%s,%s\n",
		       id, surnames[pick(sizeof(surnames) / sizeof(*surnames))],
		       given[pick(sizeof(given) / sizeof(*given))],
		       (id[16] - '0') % 2 ? "男" : "女",
		       id + 6, id + 10, id + 12,
		       phone_prefix[pick(sizeof(phone_prefix) / sizeof(*phone_prefix))], pick(100000000),
		       communities[c].street, roads[pick(10)], 1 + pick(300), 1 + pick(30), 101 + pick(1800),
		       communities[c].name, communities[c].street,
		       communities[c].street_code, c + 1, 1 + pick(60),
		       communities[c].street_code, (unsigned)(i / 3 % 100000),
		       income[pick(6)], pick(10) < 8 ? "true" : "false");
	}
}

static void events(uint64_t n)
{
	static const char *cats[] = { "环境卫生", "治安隐患", "矛盾纠纷", "设施损坏", "违章搭建", "消防安全", "噪音扰民" };
	static const char *status[] = { "reported", "verified", "accepted", "assigned", "handled", "checked", "closed" };
	printf("event_id,grid_code,community,reported_at,category,status,satisfaction\n");
	for (uint64_t i = 0; i < n; i++) {
		unsigned c = (unsigned)(i % 4), st = pick(7);
		unsigned day = pick(300), h = pick(24), mi = pick(60);
		unsigned m = day / 28 + 1, d = day % 28 + 1;
		printf("E2026%07llu,%s-%03u-%03u,%s,2026-%02u-%02uT%02u:%02u:00+08:00,%s,%s,%s\n",
		       (unsigned long long)i + 1, communities[c].street_code, c + 1, 1 + pick(60),
		       communities[c].name, m, d, h, mi, cats[pick(7)], status[st],
		       st == 6 ? (const char *[]){ "满意", "基本满意", "不满意" }[pick(3)] : "");
	}
}

/*
 * Reads CSV lines (no embedded newlines) and changes the phone of PERCENT%
 * of rows; PERCENT may be a fraction (0.01: one row in 10,000).
 */
static void change(double percent)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int header = 1;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		char *c1, *c2, *c3, *c4, *c5;
		if (header || pick(1000000) >= (unsigned)(percent * 10000 + 0.5)) {
			fputs(line, stdout);
			header = 0;
			continue;
		}
		/* phone is the 5th column */
		c1 = strchr(line, ',');
		c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		c3 = c2 ? strchr(c2 + 1, ',') : NULL;
		c4 = c3 ? strchr(c3 + 1, ',') : NULL;
		c5 = c4 ? strchr(c4 + 1, ',') : NULL;
		if (!c5) {
			fputs(line, stdout);
			continue;
		}
		fwrite(line, 1, (size_t)(c4 - line + 1), stdout);
		printf("199%08u", pick(100000000));
		fputs(c5, stdout);
	}
	free(line);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gen-registry residents|events N [SEED] | change PERCENT SEED\n");
		return 2;
	}
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 20261122;
	if (!strcmp(argv[1], "residents"))
		residents(strtoull(argv[2], NULL, 10));
	else if (!strcmp(argv[1], "events"))
		events(strtoull(argv[2], NULL, 10));
	else if (!strcmp(argv[1], "change"))
		change(strtod(argv[2], NULL));
	else
		return 2;
	return fflush(stdout) == 0 ? 0 : 1;
}
