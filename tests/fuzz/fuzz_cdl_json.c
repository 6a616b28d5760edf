/* A CDL as the API spells it (lib/media/cdl_json.c): {"slope":[r,g,b],...,"sat":s}. What is
 * read validates, and its JSON (cdl_to_json) reads back to exactly the same numbers. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/cdl_json.h"

#include <jansson.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *back;
	struct cdl c, again;
	struct err err;

	if (j == NULL)
		return 0;
	for (int with_id = 0; with_id < 2; with_id++) {
		if (cdl_from_json(j, "look", with_id, &c, &err) < 0)
			continue;
		fuzz_check(cdl_validate(&c, &err) == 0, "read but invalid: %s", err.msg);
		back = cdl_to_json(&c, with_id);
		fuzz_check(back != NULL, "no JSON for a valid CDL");
		fuzz_check(cdl_from_json(back, "look", with_id, &again, &err) == 0,
		    "its own JSON does not read back: %s", err.msg);
		fuzz_check(memcmp(c.slope, again.slope, sizeof(c.slope)) == 0 &&
		    memcmp(c.offset, again.offset, sizeof(c.offset)) == 0 &&
		    memcmp(c.power, again.power, sizeof(c.power)) == 0 && c.sat == again.sat &&
		    strcmp(c.id, again.id) == 0, "the numbers changed on the way back");
		json_decref(back);
	}
	json_decref(j);
	return 0;
}
