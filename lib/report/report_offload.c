/* report_offload: the offload report of one card, from its card sheet (see report_offload.h). */
#include "lib/report/report_offload.h"
#include "lib/core/version.h"
#include "lib/custody/offload_doc.h"
#include "lib/report/report_doc.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* "xxh64:0123... md5:abcd..." in the order the object lists them. */
static void
ofr_hashes(const json_t *hashes, char *out, size_t len)
{
	const char *algo;
	json_t *v;
	size_t n = 0;

	*out = '\0';
	json_object_foreach((json_t *)hashes, algo, v) {
		int w = snprintf(out + n, len - n, "%s%s:%s", n ? " " : "", algo,
		    json_string_value(v) ? json_string_value(v) : "");
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

/* What the sheet knows of one file: its index in "files" by path. */
static const json_t *
ofr_file(const json_t *sheet, const char *path)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(sheet, "files"), i, f)
		if (strcmp(report_str(f, "path"), path) == 0)
			return f;
	return NULL;
}

struct ofr_totals {
	long long files, bytes, clips;
	long long copies, copies_ok;          /* copies (card folders), those with every file */
	long long failed;                     /* file copies not verified */
};

static json_t *
ofr_copies(const json_t *sheet, struct ofr_totals *t)
{
	static const char *const names[] = { "Volume", "Folder", "Files verified", "Not verified",
		"Read back", "State" };
	static const double shares[] = { 1.2, 2.6, 0.8, 0.8, 1.0, 1.8 };
	json_t *rows = json_array(), *cp;
	size_t i;

	json_array_foreach(json_object_get(sheet, "copies"), i, cp) {
		const json_t *vol = json_object_get(cp, "volume"), *f;
		long long ok = 0, bad = 0;
		size_t j;
		char okn[24], badn[24], folder[1200], state[300];
		json_array_foreach(json_object_get(cp, "files"), j, f) {
			if (strcmp(report_str(f, "state"), "verified") == 0)
				ok++;
			else
				bad++;
		}
		bad += t->files > ok + bad ? t->files - ok - bad : 0;   /* never reached there */
		t->copies++;
		t->copies_ok += bad == 0;
		t->failed += bad;
		snprintf(okn, sizeof(okn), "%lld", ok);
		snprintf(badn, sizeof(badn), "%lld", bad);
		if (*report_str(cp, "folder"))
			snprintf(folder, sizeof(folder), "%s", report_str(cp, "folder"));
		else
			snprintf(folder, sizeof(folder), "%s%s%s", report_str(vol, "mount_path"),
			    *report_str(vol, "mount_path") ? "/" : "", report_str(cp, "path"));
		snprintf(state, sizeof(state), "%s", bad == 0 ? "every file verified" :
		    "INCOMPLETE: files without a verified copy");
		json_array_append_new(rows, json_pack("[s,s,s,s,s,s]", report_str(vol, "name"), folder,
		    okn, badn, report_str(cp, "method"), state));
	}
	return report_section("Copies", report_columns(names, shares, 6), rows,
	    "No copy was verified.");
}

/* The camera metadata a clip carries (lib/media's probe, the makers' sidecars), as one line. */
static void
ofr_camera_meta(const json_t *clip, char *out, size_t len)
{
	static const char *const keys[][2] = { { "camera_model", "" }, { "camera_serial", "#" },
		{ "lens", "" }, { "focal_length", "" }, { "iso", "ISO " }, { "white_balance", "" },
		{ "shutter", "" }, { "nd", "ND " }, { "t_stop", "T" }, { "look", "look " } };
	const json_t *m = json_object_get(clip, "camera_metadata");
	size_t n = 0;

	*out = '\0';
	for (size_t i = 0; m && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *v = json_object_get(m, keys[i][0]);
		char val[96];
		size_t plen = strlen(keys[i][1]);
		/* "T2.8" or "2.8": the T once; "ISO 800", never "ISO ISO 800". */
		if (json_is_string(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v) +
			    (strncasecmp(json_string_value(v), keys[i][1], plen) == 0 ? plen : 0));
		else if (json_is_number(v))
			snprintf(val, sizeof(val), "%g", json_number_value(v));
		else
			continue;
		int w = snprintf(out + n, len - n, "%s%s%s", n ? ", " : "", keys[i][1], val);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

static json_t *
ofr_clips(const json_t *sheet, struct ofr_totals *t)
{
	static const char *const names[] = { "Clip", "Pictures", "Reel", "Camera", "Scene / take",
		"TC in", "Duration", "Format", "Files", "Size", "QC" };
	static const double shares[] = { 2.4, 2.0, 1.0, 1.6, 0.8, 0.9, 0.8, 1.2, 0.5, 0.8, 1.2 };
	const json_t *card = json_object_get(sheet, "card");
	json_t *rows = json_array(), *clip, *f;
	size_t i, j;

	json_array_foreach(json_object_get(sheet, "clips"), i, clip) {
		const char *name = report_str(clip, "name");
		long long nf = 0, bytes = 0;
		char st[96], dur[32], fmt[96], size[32], files[24], cam[400], meta[300];
		json_array_foreach(json_object_get(sheet, "files"), j, f)
			if (strcmp(report_str(f, "clip"), name) == 0) {
				nf++;
				bytes += json_integer_value(json_object_get(f, "size"));
			}
		t->clips++;
		snprintf(st, sizeof(st), "%s%s%s%s", report_str(clip, "scene"),
		    *report_str(clip, "take") ? " / " : "", report_str(clip, "take"),
		    json_is_true(json_object_get(clip, "circled")) ? " (circled)" : "");
		report_clip_duration(clip, dur, sizeof(dur));
		report_clip_format(clip, fmt, sizeof(fmt));
		report_size(bytes, size, sizeof(size));
		snprintf(files, sizeof(files), "%lld", nf);
		ofr_camera_meta(clip, meta, sizeof(meta));
		snprintf(cam, sizeof(cam), "%s%s%s", *report_str(clip, "camera") ?
		    report_str(clip, "camera") : report_str(card, "camera"), *meta ? "; " : "", meta);
		json_t *pics = json_object_get(clip, "thumbs");
		json_array_append_new(rows, json_pack("[s,o,s,s,s,s,s,s,s,s,s]", name,
		    json_pack("{s:o}", "images", json_is_array(pics) ? json_incref(pics) : json_array()),
		    *report_str(clip, "reel") ? report_str(clip, "reel") : report_str(card, "reel"),
		    cam, st, report_str(clip, "start_tc"), dur, fmt, files, size,
		    report_str(clip, "qc")));
	}
	return report_section("Clips", report_columns(names, shares, 11), rows,
	    "No clips: the card's layout was not recognised (every file is listed below).");
}

/* One row per file and copy: the table a camera department or an insurer checks line by
 * line, and the CSV. */
static void
ofr_files(const json_t *sheet, json_t **section, json_t **csv)
{
	static const char *const names[] = { "File", "Clip", "Size", "Hashes", "Volume", "State",
		"Checked (UTC)" };
	static const double shares[] = { 3.2, 2.0, 0.7, 2.4, 0.9, 0.8, 1.3 };
	const char *label = report_str(json_object_get(sheet, "card"), "label");
	json_t *rows = json_array(), *crows = json_array(), *cp, *cf;
	size_t i, j;

	json_array_foreach(json_object_get(sheet, "copies"), i, cp) {
		const char *vol = report_str(json_object_get(cp, "volume"), "name");
		json_array_foreach(json_object_get(cp, "files"), j, cf) {
			const char *path = report_str(cf, "path");
			const json_t *f = ofr_file(sheet, path);
			const json_t *hashes = json_object_get(cf, "hashes");
			char size[32], bytes[24], h[600], state[400];
			long long n = json_integer_value(json_object_get(f, "size"));
			report_size(n, size, sizeof(size));
			snprintf(bytes, sizeof(bytes), "%lld", n);
			ofr_hashes(json_object_size(hashes) ? hashes : json_object_get(f, "hashes"), h,
			    sizeof(h));
			snprintf(state, sizeof(state), "%s%s%s", report_str(cf, "state"),
			    *report_str(cf, "error") ? ": " : "", report_str(cf, "error"));
			json_array_append_new(rows, json_pack("[s,s,s,s,s,s,s]", path,
			    report_str(f, "clip"), size, h, vol, state, report_str(cf, "verified_at")));
			json_array_append_new(crows, json_pack("[s,s,s,s,s,s,s,s,s,s,s]", label,
			    report_str(f, "clip"), path, bytes, report_str(f, "role"), h, vol,
			    report_str(cp, "path"), report_str(cf, "state"), report_str(cf, "verified_at"),
			    report_str(cf, "error")));
		}
	}
	*section = report_section("Files on each copy", report_columns(names, shares, 7), rows,
	    "No file was copied.");
	*csv = json_pack("{s:[s,s,s,s,s,s,s,s,s,s,s],s:o}", "columns", "card", "clip", "file",
	    "size", "role", "hashes", "volume", "copy_path", "state", "verified_at", "error", "rows",
	    crows);
}

static void
ofr_fields(const json_t *sheet, const struct ofr_totals *t, json_t *fields)
{
	const json_t *card = json_object_get(sheet, "card"), *run = json_object_get(sheet, "run");
	const json_t *a;
	double secs = json_number_value(json_object_get(run, "seconds"));
	json_int_t read = json_integer_value(json_object_get(run, "bytes_read"));
	char buf[400], size[32];
	size_t i, n = 0;

	json_array_append_new(fields, report_field("Production", *report_str(sheet, "production") ?
	    report_str(sheet, "production") : "(the server's default)"));
	json_array_append_new(fields, report_field("Day", *report_str(sheet, "day") ?
	    report_str(sheet, "day") : "(the day it was registered)"));
	snprintf(buf, sizeof(buf), "%s (%s)", report_str(card, "label"),
	    strcmp(report_str(card, "kind"), "sound") == 0 ? "sound roll" : "camera card");
	json_array_append_new(fields, report_field("Card", buf));
	snprintf(buf, sizeof(buf), "%s%s%s", report_str(card, "camera"),
	    *report_str(card, "vendor") ? " · " : "", report_str(card, "vendor"));
	json_array_append_new(fields, report_field("Camera", buf));
	json_array_append_new(fields, report_field("Reel / roll", report_str(card, "reel")));
	report_size(t->bytes, size, sizeof(size));
	snprintf(buf, sizeof(buf), "%lld files in %lld clips, %s", t->files, t->clips, size);
	json_array_append_new(fields, report_field("Content", buf));
	if (*report_str(run, "source"))
		json_array_append_new(fields, report_field("Source", report_str(run, "source")));
	if (*report_str(run, "registered")) {     /* the database's view (report_card.c) */
		json_array_append_new(fields, report_field("Registered (UTC)",
		    report_str(run, "registered")));
		json_array_append_new(fields, report_field("Latest check (UTC)",
		    report_str(run, "last_check")));
	} else {
		json_array_append_new(fields, report_field("Started (UTC)", report_str(run, "started")));
		json_array_append_new(fields, report_field("Ended (UTC)", report_str(run, "ended")));
	}
	if (secs > 0) {
		snprintf(buf, sizeof(buf), "%d:%02d:%02d, %.0f MB/s read", (int)secs / 3600,
		    (int)secs / 60 % 60, (int)secs % 60, (double)read / 1e6 / secs);
		json_array_append_new(fields, report_field("Duration", buf));
	}
	buf[0] = '\0';
	json_array_foreach(json_object_get(run, "algorithms"), i, a)
		if (json_is_string(a) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "",
			    json_string_value(a));
	json_array_append_new(fields, report_field("Hash algorithms", buf));
	json_array_append_new(fields, report_field("Verification", *report_str(run, "registered") ?
	    "each copy as of its latest check (the offload's read-back, setpost verify, or the "
	    "ASC MHL history of the tool that made it)" : "each copy flushed, read back from its "
	    "drive and compared with the source's hashes"));
	snprintf(buf, sizeof(buf), "setpost %s on %s", *report_str(run, "version") ?
	    report_str(run, "version") : SETPOST_VERSION, report_str(run, "host"));
	json_array_append_new(fields, report_field("Made by", buf));
	json_array_append_new(fields, report_field("Operator", *report_str(run, "operator") ?
	    report_str(run, "operator") : "(not given)"));
}

int
report_offload_document(const json_t *sheet, json_t **doc, struct err *err)
{
	const json_t *card = json_object_get(sheet, "card"), *verdict = json_object_get(sheet, "verdict");
	const json_t *run = json_object_get(sheet, "run"), *f;
	struct ofr_totals t;
	json_t *sections, *fields = json_array(), *verdicts = json_array(), *files, *csv, *copies;
	char line[1200], sub[400];
	size_t i;

	memset(&t, 0, sizeof(t));
	json_array_foreach(json_object_get(sheet, "files"), i, f) {
		t.files++;
		t.bytes += json_integer_value(json_object_get(f, "size"));
	}
	copies = ofr_copies(sheet, &t);
	sections = json_pack("[o,o]", copies, ofr_clips(sheet, &t));
	ofr_files(sheet, &files, &csv);
	json_array_append_new(sections, files);
	ofr_fields(sheet, &t, fields);
	if (*report_str(run, "status"))
		snprintf(line, sizeof(line), "Final status: %s", report_str(run, "status"));
	else
		snprintf(line, sizeof(line), "Final status: %s", t.failed == 0 && t.copies > 0 ?
		    "VERIFIED, every file on every copy" : "INCOMPLETE, files without a verified copy");
	json_array_append_new(verdicts, json_string(line));
	snprintf(line, sizeof(line), "Copies: %lld of %lld hold every file, verified", t.copies_ok,
	    t.copies);
	json_array_append_new(verdicts, json_string(line));
	if (json_is_object(verdict)) {
		const json_t *why = json_array_get(json_object_get(verdict, "why_not"), 0);
		if (json_is_true(json_object_get(verdict, "safe_to_format")))
			snprintf(line, sizeof(line), "Safe to format: YES%s%s",
			    *report_str(verdict, "rule") ? ", " : "", report_str(verdict, "rule"));
		else
			snprintf(line, sizeof(line), "Safe to format: NO, %s",
			    json_is_string(why) ? json_string_value(why) : "not secured");
	} else {
		snprintf(line, sizeof(line), "Safe to format: %s", t.failed == 0 && t.copies >= 2 ?
		    "YES by these copies (the production's copy rule was not checked: no server)" :
		    t.failed ? "NO, files without a verified copy" :
		    "NO, one copy only (at least two on distinct volumes are needed)");
	}
	json_array_append_new(verdicts, json_string(line));
	snprintf(sub, sizeof(sub), "%s%s%s%s%s", report_str(card, "label"),
	    *report_str(sheet, "production") ? " · " : "", report_str(sheet, "production"),
	    *report_str(sheet, "day") ? " · " : "", report_str(sheet, "day"));
	snprintf(line, sizeof(line), "setpost %s on %s, %s", *report_str(run, "version") ?
	    report_str(run, "version") : SETPOST_VERSION, report_str(run, "host"),
	    *report_str(run, "ended") ? report_str(run, "ended") : report_str(run, "last_check"));
	*doc = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:s}", "title", "Offload report", "subtitle",
	    sub, "fields", fields, "verdicts", verdicts, "sections", sections, "csv", csv, "footer",
	    line);
	return *doc ? 0 : err_set(err, SP_ENOMEM, "report: out of memory");
}

int
report_offload_is_report(const char *name)
{
	return offload_doc_is_report(name);
}
