/*
 * probe: a clip's technical metadata. For files ffmpeg can read, it comes from
 * `ffprobe -print_format json -show_format -show_streams`: container, codec, picture size,
 * frame rate as a fraction (23.976 stays 24000/1001), duration in frames, start timecode
 * (MXF format tag, else the QuickTime tmcd track, else the video stream's tag) and whether it
 * is drop-frame, reel/tape name, audio channels and rate, camera make/model/serial and lens
 * data from whatever tags the container carries (CARDS.md 8; real camera tag names beyond
 * QuickTime's com.apple.quicktime.* are unverified, so every tag naming a camera or lens is
 * also kept as it is).
 *
 * Camera raw formats ffmpeg 5.1 cannot decode (ARRIRAW .ari/.arx, REDCODE .R3D, Blackmagic RAW
 * .braw, Canon Cinema RAW Light .crm, and MXF or MOV whose video codec ffprobe does not know)
 * are not failures: the clip is described from its name (vendor naming rules, CARDS.md), its
 * files (ARRIRAW frame count) and its sidecars (Blackmagic .sidecar JSON, the card's ALE), and
 * marked as needing the maker's software (vendor_tool).
 *
 * A file that is empty, not media, cut short, or whose extension names another container than
 * its content (a WAV called .mov) is a failure with a message that says which.
 *
 * Camera settings (ISO/EI, white balance, shutter, ND, focal length, T-stop, look) come from
 * the same tags and sidecars, and from the maker's clip XML (Sony M01.XML): lib/media/camera.h.
 *
 * Ownership: struct probe holds fixed-size strings plus three JSON objects it owns (tags,
 * vendor, camera); probe_release() frees them. Functions that take a struct db_conn run inside the
 * caller's transaction.
 */
#ifndef SETPOST_PROBE_H
#define SETPOST_PROBE_H

#include "lib/store/db.h"
#include "lib/core/err.h"
#include "lib/media/timecode.h"

#include <jansson.h>
#include <stdbool.h>

struct probe {
	char status[16];            /* "probed" or "vendor_tool" */
	bool decodable;             /* ffmpeg can decode its pictures (or it is sound only) */
	char vendor_tool[200];      /* what it needs when not decodable */
	char container[64];         /* ffprobe format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
	char container_long[128];
	char codec[32];             /* video codec (or audio codec for sound-only files) */
	char codec_long[128];
	char codec_tag[16];
	char profile[64];
	char pix_fmt[32];
	int bit_depth;
	char field_order[16];
	int width, height;
	int sar_num, sar_den;       /* sample aspect ratio (1:1 unless anamorphic) */
	unsigned fps_num, fps_den;  /* 0/0 when unknown */
	long long duration_frames;  /* -1 when unknown */
	double duration;            /* seconds, 0 when unknown */
	long long bit_rate;
	char start_tc[TIMECODE_BUFSZ];
	bool drop_frame;
	char reel[128];
	int video_streams;
	int audio_streams;
	int audio_channels;         /* over all audio streams */
	int audio_sample_rate;
	char audio_codec[32];
	char make[64], model[64], serial[64], lens[128];
	long long first_frame_number; /* frame files: the first one's number, else -1 */
	char recorded_at[20];       /* "YYYY-MM-DDThh:mm:ss": the container's creation_time tag */
	                            /* (format, else video stream) as the camera's clock wrote */
	                            /* it, zone dropped; "" when the file carries none */
	char recorded_at_source[48];/* where recorded_at came from, "" when none */
	json_t *tags;               /* camera/lens/reel/timecode tags found, as they are */
	json_t *vendor;             /* what the name and sidecars said (raw formats) */
	json_t *camera;             /* camera settings found (lib/media/camera.h) */
};

void probe_init(struct probe *p);
void probe_release(struct probe *p);

/* Fills p from ffprobe's JSON output (-show_format -show_streams). name is the file's name
 * (for messages). SP_EINVAL when the text is not ffprobe's JSON or holds no stream. */
int probe_parse(const char *json, size_t len, const char *name, struct probe *p,
    struct err *err);

/* SP_EUNSUPPORTED when the file's extension promises another container than the one ffprobe
 * found (".mov" holding WAV). Unknown extensions pass. */
int probe_check_name(const char *name, const struct probe *p, struct err *err);

/* Runs ffprobe on path and parses its output; canceled may be NULL. Failures name the file
 * and say what ffprobe said: SP_EUNSUPPORTED for content ffmpeg cannot read. */
int probe_file(const char *path, const char *name, struct probe *p,
    bool (*canceled)(void *), void *cancel_arg, struct err *err);

/* The maker's software a file needs, from its extension alone (".ari" -> ARRI ...), or NULL
 * when ffmpeg should be able to read it. */
const char *probe_vendor_tool(const char *name);

/* Describes a raw clip from its file name: camera index, reel, clip number per the vendor's
 * naming rules; sets status "vendor_tool". nfiles is how many picture files it has (ARRIRAW:
 * one per frame). */
void probe_from_name(const char *name, int nfiles, struct probe *p);

/* Adds what a Blackmagic .sidecar (JSON) says; SP_EINVAL when it is not a JSON object. */
int probe_from_sidecar(const char *text, size_t len, struct probe *p, struct err *err);

/* The recording time a Sony NonRealTimeMeta sidecar (C0001M01.XML) gives, CreationDate's
 * value, when p has none yet (the container's creation_time comes first); SP_EINVAL when the
 * text is not such a document. A document without CreationDate is not an error. */
int probe_from_sony_xml(const char *text, size_t len, struct probe *p, struct err *err);

/* Adds what a camera maker's clip XML says (Sony M01.XML: settings, device, lens): its Device
 * replaces make, model and serial (an MXF's own identification names the software that wrote
 * it); a known lens and settings already found stay. SP_EINVAL when it is not XML. */
int probe_from_xml(const char *text, size_t len, struct probe *p, struct err *err);

/* What another tool's log says of a clip (an ALE row: lib/editorial/ale_probe.h): its rate
 * (fps text), start timecode and, where the probe has none, its reel. */
int probe_apply_row(struct probe *p, const char *fps, const char *start_tc, const char *tape);

/* Keeps key=value in p->tags when the key names a camera, lens, focal length or serial, and in
 * p->camera when it names a camera setting; returns 1 when kept. */
int probe_add_camera_tag(struct probe *p, const char *key, const char *value);

/* The timecode label of a frame of the clip (start_tc + frame at its rate, drop-frame when the
 * start label is). Returns 0, or SP_EINVAL when the rate is not a timecode rate (out = ""). */
int probe_timecode(const struct probe *p, long long frame, char out[TIMECODE_BUFSZ]);

/* JSON view of p (new reference). */
json_t *probe_to_json(const struct probe *p);

/* Stores p as the clip's media row (status probed/vendor_tool) and copies the technical
 * fields into the clip (codec, size, rate, duration, start timecode, reel, and recorded_at
 * where the clip has none yet; never its state). */
int probe_store(struct db_conn *c, long long clip_id, long long file_id, const struct probe *p,
    struct err *err);

/* Records that probing failed, with the message a person can act on. */
int probe_store_failure(struct db_conn *c, long long clip_id, long long file_id,
    const char *message, struct err *err);

/* Loads the stored media row of a clip into p. SP_ENOTFOUND when the clip was not probed
 * (or its probe failed). */
int probe_load(struct db_conn *c, long long clip_id, struct probe *p, struct err *err);

#endif
