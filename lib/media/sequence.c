/* sequence: gaps and duplicates in a clip's numbered files (see sequence.h). */
#include "lib/media/sequence.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seq_item {
	unsigned long long number;
	const char *name;
};

/* The last run of digits of the file's name before its extension; false when none. */
static int
seq_number(const char *path, unsigned long long *out)
{
	const char *base = strrchr(path, '/'), *dot, *end, *start;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	end = dot && dot != base ? dot : base + strlen(base);
	start = end;
	while (start > base && start[-1] >= '0' && start[-1] <= '9')
		start--;
	if (start == end || end - start > 18)
		return 0;
	*out = strtoull(start, NULL, 10);
	return 1;
}

static int
seq_cmp(const void *a, const void *b)
{
	const struct seq_item *x = a, *y = b;

	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char *
seq_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Appends to why (always terminated, cut when full). */
static void seq_put(char *why, size_t whylen, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
seq_put(char *why, size_t whylen, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*used + 1 >= whylen)
		return;
	va_start(ap, fmt);
	w = vsnprintf(why + *used, whylen - *used, fmt, ap);
	va_end(ap);
	if (w > 0)
		*used = *used + (size_t)w < whylen ? *used + (size_t)w : whylen - 1;
}

int
sequence_check(const char *const *names, size_t n, const char *unit, char *why, size_t whylen)
{
	struct seq_item *v = calloc(n ? n : 1, sizeof(*v));
	size_t k = 0, used = 0, gaps = 0, dups = 0;

	if (v == NULL)
		return -1;
	if (whylen)
		why[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (seq_number(names[i], &v[k].number))
			v[k++].name = names[i];
	if (k < 2) {
		free(v);
		return 0;
	}
	qsort(v, k, sizeof(*v), seq_cmp);
	for (size_t i = 1; i < k; i++) {
		unsigned long long a = v[i - 1].number, b = v[i].number;
		if (b <= a + 1)
			continue;
		if (gaps++ == 0)
			seq_put(why, whylen, &used, "%s missing from the sequence: ", unit);
		else
			seq_put(why, whylen, &used, ", ");
		if (b - a == 2)
			seq_put(why, whylen, &used, "%llu (1)", a + 1);
		else
			seq_put(why, whylen, &used, "%llu-%llu (%llu)", a + 1, b - 1, b - a - 1);
	}
	for (size_t i = 1; i < k; i++) {
		if (v[i].number != v[i - 1].number)
			continue;
		if (dups++ == 0)
			seq_put(why, whylen, &used, "%sduplicate %s numbers: ", gaps ? "; " : "",
			    strcmp(unit, "frames") == 0 ? "frame" : "segment");
		else
			seq_put(why, whylen, &used, ", ");
		seq_put(why, whylen, &used, "%llu (%s, %s)", v[i].number, seq_base(v[i - 1].name),
		    seq_base(v[i].name));
	}
	free(v);
	return (int)(gaps + dups);
}
