/* report_workflow: the workflow sheet as a document to sign off (see report_workflow.h). */
#include "lib/report/report_workflow.h"
#include "lib/core/version.h"
#include "lib/pipeline/workflow.h"
#include "lib/report/report_doc.h"

#include <stdio.h>
#include <string.h>

/* A value as one line: text as it is, a list joined by commas, true/false as yes/no. */
static void
rwf_text(const json_t *v, char *out, size_t len)
{
	const json_t *x;
	size_t i, n = 0;

	*out = '\0';
	if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(out, len, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else
		json_array_foreach(v, i, x)
			if (n < len)
				n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "",
				    json_string_value(x) ? json_string_value(x) : "");
}

/* One two-column section, "Setting" and "Agreed", of the keys (path "a" or "a.b") given. */
static json_t *
rwf_pairs(const json_t *sheet, const char *heading, const char *const (*keys)[2], size_t n)
{
	static const char *const names[] = { "Setting", "Agreed" };
	static const double shares[] = { 1.0, 3.0 };
	json_t *rows = json_array();
	char val[2100];

	for (size_t i = 0; i < n; i++) {
		const char *path = keys[i][0], *dot = strchr(path, '.');
		const json_t *v;
		if (dot) {
			char top[32];
			snprintf(top, sizeof(top), "%.*s", (int)(dot - path), path);
			v = json_object_get(json_object_get(sheet, top), dot + 1);
		} else {
			v = json_object_get(sheet, path);
		}
		if (v == NULL)
			continue;
		rwf_text(v, val, sizeof(val));
		json_array_append_new(rows, json_pack("[s,s]", keys[i][1], val));
	}
	return report_section(heading, report_columns(names, shares, 2), rows, "Not agreed yet.");
}

/* A list of objects as a table of the given keys. */
static json_t *
rwf_table(const json_t *list, const char *heading, const char *const *keys,
    const char *const *names, const double *shares, size_t n, const char *empty)
{
	json_t *rows = json_array(), *o;
	size_t i;
	char val[2100];

	json_array_foreach(list, i, o) {
		json_t *row = json_array();
		for (size_t k = 0; k < n; k++) {
			rwf_text(json_object_get(o, keys[k]), val, sizeof(val));
			json_array_append_new(row, json_string(val));
		}
		json_array_append_new(rows, row);
	}
	return report_section(heading, report_columns(names, shares, n), rows, empty);
}

static json_t *
rwf_sections(const json_t *sheet)
{
	static const char *const picture[][2] = { { "resolution", "Resolution" },
		{ "frame_rate", "Frame rate" }, { "codecs", "Codecs" },
		{ "colour_pipeline", "Colour pipeline" }, { "looks", "Looks" }, { "luts", "LUTs" } };
	static const char *const media[][2] = { { "naming_rule", "Naming rule" },
		{ "copies_required", "Copies required" }, { "media_rule", "Media rule" },
		{ "archive_rule", "Archive rule" } };
	static const char *const post[][2] = { { "proxy_profiles", "Proxy profiles" },
		{ "delivery.schedule", "Delivery schedule" }, { "delivery.targets", "Delivery targets" },
		{ "delivery.notes", "Delivery notes" } };
	static const char *const sound[][2] = { { "sound.format", "Sound format" },
		{ "sound.recorder", "Recorder" }, { "sound.in_camera", "Sound in the camera files" },
		{ "sound.timecode", "Sound timecode" }, { "timecode", "Timecode practice" },
		{ "sound.notes", "Sound notes" }, { "notes", "Notes" } };
	static const char *const cam_keys[] = { "name", "model", "recording", "resolution",
		"frame_rate", "codec", "lens", "notes" };
	static const char *const cam_names[] = { "Camera", "Model", "Recording format",
		"Resolution", "Frame rate", "Codec", "Lens", "Notes" };
	static const double cam_shares[] = { 0.6, 1.2, 1.6, 1.0, 0.8, 0.8, 1.2, 1.6 };
	static const char *const who_keys[] = { "role", "name", "email", "phone" };
	static const char *const who_names[] = { "Role", "Name", "Email", "Phone" };
	static const double who_shares[] = { 1.2, 1.6, 2.0, 1.2 };
	static const char *const sign_keys[] = { "role", "name", "", "" };
	static const char *const sign_names[] = { "Role", "Name", "Signature", "Date" };
	static const double sign_shares[] = { 1.2, 1.6, 2.4, 1.0 };
	const json_t *cameras = json_object_get(sheet, "cameras");
	const json_t *contacts = json_object_get(sheet, "contacts");

	return json_pack("[o,o,o,o,o,o,o]",
	    rwf_table(cameras, "Cameras and recording", cam_keys, cam_names, cam_shares, 8,
	    "No camera agreed yet."),
	    rwf_pairs(sheet, "Picture and colour", picture, 6),
	    rwf_pairs(sheet, "Naming, copies and media", media, 4),
	    rwf_pairs(sheet, "Proxies and delivery", post, 4),
	    rwf_pairs(sheet, "Sound and timecode", sound, 7),
	    rwf_table(contacts, "Contacts", who_keys, who_names, who_shares, 4, "No contacts."),
	    rwf_table(contacts, "Sign-off", sign_keys, sign_names, sign_shares, 4,
	    "No contacts to sign."));
}

int
report_workflow_load(struct db_conn *c, long long production_id, const char *data_dir,
    json_t **doc, struct err *err)
{
	json_t *w, *fields, *verdicts;
	const json_t *sheet;
	char sub[400], ver[64], foot[200];
	long long version;
	int rc;

	(void)data_dir;
	*doc = NULL;
	if ((rc = workflow_load(c, production_id, &w, err)) < 0)
		return rc;
	sheet = json_object_get(w, "sheet");
	version = json_integer_value(json_object_get(w, "version"));
	snprintf(ver, sizeof(ver), "%lld", version);
	snprintf(sub, sizeof(sub), "%s · version %lld", report_str(w, "production"), version);
	fields = json_pack("[o,o,o,o]", report_field("Production", report_str(w, "production")),
	    report_field("Version", version ? ver : "none set"),
	    report_field("Changed (UTC)", report_str(w, "changed_at")),
	    report_field("Changed by", report_str(w, "changed_by")));
	verdicts = json_array();
	json_array_append_new(verdicts, json_string(version ? "Agreed by the signatures below "
	    "(a later version replaces this one)." : "No workflow sheet has been set."));
	snprintf(foot, sizeof(foot), "setpost %s, workflow sheet version %lld", SETPOST_VERSION,
	    version);
	*doc = json_pack("{s:s,s:s,s:o,s:o,s:o,s:{s:[s,s],s:[]},s:s}", "title", "Workflow sheet",
	    "subtitle", sub, "fields", fields, "verdicts", verdicts, "sections",
	    rwf_sections(sheet), "csv", "columns", "setting", "value", "rows", "footer", foot);
	json_decref(w);
	return *doc ? 0 : err_set(err, SP_ENOMEM, "report: out of memory");
}
