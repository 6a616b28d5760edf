/* probe: ffprobe's JSON of fixture files (saved below, made with Debian 12's ffmpeg 5.1 from
 * lavfi sources, whitespace removed) read into a struct probe: container, codec, size, frame rate
 * as a fraction, duration in frames, start timecode and drop-frame from each place a container
 * keeps it, reel, sound, camera tags; raw camera formats from their names and sidecars; names
 * that lie about their content. */
#include "lib/editorial/ale_probe.h"
#include "lib/media/probe.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* p1.mov: testsrc2 320x180 at 24000/1001, ProRes 422 HQ, PCM 24-bit, -timecode 14:03:22:05,
 * reel_name A003R2CD (tmcd), QuickTime make/model/identifier/lens tags (use_metadata_tags).
 * p2.mov: H.264 at 30000/1001, AAC, drop-frame timecode 01:00:00;00.
 * p3.mxf: MPEG-2 in MXF, two mono PCM tracks, timecode 10:00:00:00, reel_name TAPE42.
 * p4.wav: BWF, two channels, bext time_reference 172800000 (01:00:00:00 at 48 kHz).
 * json_brvl: p1 with its codec removed and the tag ffprobe shows for Blackmagic RAW (brvl),
 * as lossless-cut#1637 reports it; made by hand. */
static const char json_prores_2398[] =
	"{\"streams\":[{\"index\":0,\"codec_name\":\"prores\",\"codec_long_name\":\"Apple ProRes (iC"
	"odec Pro)\",\"profile\":\"HQ\",\"codec_type\":\"video\",\"codec_tag_string\":\"apch\",\"codec_"
	"tag\":\"0x68637061\",\"width\":320,\"height\":180,\"coded_width\":320,\"coded_height\":180,"
	"\"closed_captions\":0,\"film_grain\":0,\"has_b_frames\":0,\"sample_aspect_ratio\":\"1:1\","
	"\"display_aspect_ratio\":\"16:9\",\"pix_fmt\":\"yuv422p10le\",\"level\":-99,\"color_range\":"
	"\"tv\",\"field_order\":\"progressive\",\"refs\":1,\"id\":\"0x1\",\"r_frame_rate\":\"24000/1001\""
	",\"avg_frame_rate\":\"24000/1001\",\"time_base\":\"1/24000\",\"start_pts\":0,\"start_time\":"
	"\"0.000000\",\"duration_ts\":48048,\"duration\":\"2.002000\",\"bit_rate\":\"5807864\",\"bits_"
	"per_raw_sample\":\"10\",\"nb_frames\":\"48\",\"disposition\":{\"default\":1,\"dub\":0,\"origin"
	"al\":0,\"comment\":0,\"lyrics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"visual"
	"_impaired\":0,\"clean_effects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captions\":"
	"0,\"descriptions\":0,\"metadata\":0,\"dependent\":0,\"still_image\":0},\"tags\":{\"handler_"
	"name\":\"VideoHandler\",\"vendor_id\":\"FFMP\",\"encoder\":\"Lavc59.37.100 prores_ks\",\"tim"
	"ecode\":\"14:03:22:05\"}},{\"index\":1,\"codec_name\":\"pcm_s24le\",\"codec_long_name\":\"PC"
	"M signed 24-bit little-endian\",\"codec_type\":\"audio\",\"codec_tag_string\":\"in24\",\"c"
	"odec_tag\":\"0x34326e69\",\"sample_fmt\":\"s32\",\"sample_rate\":\"48000\",\"channels\":1,\"ch"
	"annel_layout\":\"mono\",\"bits_per_sample\":24,\"id\":\"0x2\",\"r_frame_rate\":\"0/0\",\"avg_f"
	"rame_rate\":\"0/0\",\"time_base\":\"1/48000\",\"start_pts\":0,\"start_time\":\"0.000000\",\"du"
	"ration_ts\":96000,\"duration\":\"2.000000\",\"bit_rate\":\"1152000\",\"bits_per_raw_sample"
	"\":\"24\",\"nb_frames\":\"96000\",\"disposition\":{\"default\":1,\"dub\":0,\"original\":0,\"comm"
	"ent\":0,\"lyrics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"visual_impaired\":"
	"0,\"clean_effects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"descript"
	"ions\":0,\"metadata\":0,\"dependent\":0,\"still_image\":0},\"tags\":{\"handler_name\":\"Soun"
	"dHandler\",\"vendor_id\":\"[0][0][0][0]\"}},{\"index\":2,\"codec_type\":\"data\",\"codec_tag"
	"_string\":\"tmcd\",\"codec_tag\":\"0x64636d74\",\"id\":\"0x3\",\"r_frame_rate\":\"0/0\",\"avg_fr"
	"ame_rate\":\"24000/1001\",\"time_base\":\"1/24000\",\"start_pts\":0,\"start_time\":\"0.00000"
	"0\",\"duration_ts\":48048,\"duration\":\"2.002000\",\"bit_rate\":\"15\",\"nb_frames\":\"1\",\"ex"
	"tradata_size\":38,\"disposition\":{\"default\":0,\"dub\":0,\"original\":0,\"comment\":0,\"ly"
	"rics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"visual_impaired\":0,\"clean_e"
	"ffects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"descriptions\":0,\"m"
	"etadata\":0,\"dependent\":0,\"still_image\":0},\"tags\":{\"language\":\"eng\",\"handler_name"
	"\":\"TimeCodeHandler\",\"reel_name\":\"A003R2CD\",\"timecode\":\"14:03:22:05\"}}],\"format\":"
	"{\"filename\":\"p1.mov\",\"nb_streams\":3,\"nb_programs\":0,\"format_name\":\"mov,mp4,m4a,3"
	"gp,3g2,mj2\",\"format_long_name\":\"QuickTime / MOV\",\"start_time\":\"0.000000\",\"durati"
	"on\":\"2.002000\",\"size\":\"1744424\",\"bit_rate\":\"6970725\",\"probe_score\":100,\"tags\":{\""
	"major_brand\":\"qt  \",\"minor_version\":\"512\",\"compatible_brands\":\"qt  \",\"timecode\":"
	"\"14:03:22:05\",\"com.apple.quicktime.make\":\"ARRI\",\"com.apple.quicktime.model\":\"ALE"
	"XA Mini LF\",\"com.apple.quicktime.camera.identifier\":\"K1.0024567\",\"com.apple.quic"
	"ktime.camera.lens_model\":\"Signature Prime 47mm\",\"encoder\":\"Lavf59.27.100\"}}}";

static const char json_h264_2997df[] =
	"{\"streams\":[{\"index\":0,\"codec_name\":\"h264\",\"codec_long_name\":\"H.264 / AVC / MPEG"
	"-4 AVC / MPEG-4 part 10\",\"profile\":\"Constrained Baseline\",\"codec_type\":\"video\",\""
	"codec_tag_string\":\"avc1\",\"codec_tag\":\"0x31637661\",\"width\":320,\"height\":180,\"code"
	"d_width\":320,\"coded_height\":180,\"closed_captions\":0,\"film_grain\":0,\"has_b_frames"
	"\":0,\"sample_aspect_ratio\":\"1:1\",\"display_aspect_ratio\":\"16:9\",\"pix_fmt\":\"yuv420p"
	"\",\"level\":13,\"chroma_location\":\"left\",\"field_order\":\"progressive\",\"refs\":1,\"is_a"
	"vc\":\"true\",\"nal_length_size\":\"4\",\"id\":\"0x1\",\"r_frame_rate\":\"30000/1001\",\"avg_fra"
	"me_rate\":\"30000/1001\",\"time_base\":\"1/30000\",\"start_pts\":0,\"start_time\":\"0.000000"
	"\",\"duration_ts\":60060,\"duration\":\"2.002000\",\"bit_rate\":\"708675\",\"bits_per_raw_sa"
	"mple\":\"8\",\"nb_frames\":\"60\",\"extradata_size\":37,\"disposition\":{\"default\":1,\"dub\":"
	"0,\"original\":0,\"comment\":0,\"lyrics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":"
	"0,\"visual_impaired\":0,\"clean_effects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"c"
	"aptions\":0,\"descriptions\":0,\"metadata\":0,\"dependent\":0,\"still_image\":0},\"tags\":{"
	"\"handler_name\":\"VideoHandler\",\"vendor_id\":\"FFMP\",\"encoder\":\"Lavc59.37.100 libx26"
	"4\",\"timecode\":\"01:00:00;00\"}},{\"index\":1,\"codec_name\":\"aac\",\"codec_long_name\":\"A"
	"AC (Advanced Audio Coding)\",\"profile\":\"LC\",\"codec_type\":\"audio\",\"codec_tag_strin"
	"g\":\"mp4a\",\"codec_tag\":\"0x6134706d\",\"sample_fmt\":\"fltp\",\"sample_rate\":\"48000\",\"ch"
	"annels\":1,\"channel_layout\":\"mono\",\"bits_per_sample\":0,\"id\":\"0x2\",\"r_frame_rate\":"
	"\"0/0\",\"avg_frame_rate\":\"0/0\",\"time_base\":\"1/48000\",\"start_pts\":0,\"start_time\":\"0"
	".000000\",\"duration_ts\":96000,\"duration\":\"2.000000\",\"bit_rate\":\"69937\",\"nb_frames"
	"\":\"95\",\"extradata_size\":5,\"disposition\":{\"default\":1,\"dub\":0,\"original\":0,\"comme"
	"nt\":0,\"lyrics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"visual_impaired\":0"
	",\"clean_effects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"descripti"
	"ons\":0,\"metadata\":0,\"dependent\":0,\"still_image\":0},\"tags\":{\"handler_name\":\"Sound"
	"Handler\",\"vendor_id\":\"[0][0][0][0]\"}},{\"index\":2,\"codec_type\":\"data\",\"codec_tag_"
	"string\":\"tmcd\",\"codec_tag\":\"0x64636d74\",\"id\":\"0x3\",\"r_frame_rate\":\"0/0\",\"avg_fra"
	"me_rate\":\"30000/1001\",\"time_base\":\"1/30000\",\"start_pts\":0,\"start_time\":\"0.000000"
	"\",\"duration_ts\":60060,\"duration\":\"2.002000\",\"bit_rate\":\"15\",\"nb_frames\":\"1\",\"ext"
	"radata_size\":20,\"disposition\":{\"default\":0,\"dub\":0,\"original\":0,\"comment\":0,\"lyr"
	"ics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"visual_impaired\":0,\"clean_ef"
	"fects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"descriptions\":0,\"me"
	"tadata\":0,\"dependent\":0,\"still_image\":0},\"tags\":{\"language\":\"eng\",\"handler_name\""
	":\"TimeCodeHandler\",\"timecode\":\"01:00:00;00\"}}],\"format\":{\"filename\":\"p2.mov\",\"nb"
	"_streams\":3,\"nb_programs\":0,\"format_name\":\"mov,mp4,m4a,3gp,3g2,mj2\",\"format_long"
	"_name\":\"QuickTime / MOV\",\"start_time\":\"0.000000\",\"duration\":\"2.002000\",\"size\":\"1"
	"98825\",\"bit_rate\":\"794505\",\"probe_score\":100,\"tags\":{\"major_brand\":\"qt  \",\"minor"
	"_version\":\"512\",\"compatible_brands\":\"qt  \",\"encoder\":\"Lavf59.27.100\"}}}";

static const char json_mxf_two_mono[] =
	"{\"streams\":[{\"index\":0,\"codec_name\":\"mpeg2video\",\"codec_long_name\":\"MPEG-2 video"
	"\",\"profile\":\"Main\",\"codec_type\":\"video\",\"codec_tag_string\":\"[0][0][0][0]\",\"codec"
	"_tag\":\"0x0000\",\"width\":320,\"height\":180,\"coded_width\":0,\"coded_height\":0,\"closed"
	"_captions\":0,\"film_grain\":0,\"has_b_frames\":1,\"sample_aspect_ratio\":\"1:1\",\"displa"
	"y_aspect_ratio\":\"16:9\",\"pix_fmt\":\"yuv420p\",\"level\":8,\"color_range\":\"tv\",\"chroma_"
	"location\":\"left\",\"field_order\":\"progressive\",\"refs\":1,\"r_frame_rate\":\"25/1\",\"avg"
	"_frame_rate\":\"25/1\",\"time_base\":\"1/25\",\"start_pts\":0,\"start_time\":\"0.000000\",\"du"
	"ration_ts\":50,\"duration\":\"2.000000\",\"extradata_size\":22,\"disposition\":{\"default\""
	":0,\"dub\":0,\"original\":0,\"comment\":0,\"lyrics\":0,\"karaoke\":0,\"forced\":0,\"hearing_i"
	"mpaired\":0,\"visual_impaired\":0,\"clean_effects\":0,\"attached_pic\":0,\"timed_thumbna"
	"ils\":0,\"captions\":0,\"descriptions\":0,\"metadata\":0,\"dependent\":0,\"still_image\":0}"
	",\"tags\":{\"file_package_umid\":\"0x060A2B340101010501010D0013E3356D52947134E1E3356D"
	"0052947134E1E301\",\"reel_umid\":\"0x060A2B340101010501010D0013E3356D52947134E1E3356"
	"D0052947134E1E302\",\"reel_name\":\"TAPE42\",\"timecode\":\"10:00:00:00\"},\"side_data_lis"
	"t\":[{\"side_data_type\":\"CPB properties\",\"max_bitrate\":0,\"min_bitrate\":0,\"avg_bitr"
	"ate\":0,\"buffer_size\":49152,\"vbv_delay\":-1}]},{\"index\":1,\"codec_name\":\"pcm_s24le\""
	",\"codec_long_name\":\"PCM signed 24-bit little-endian\",\"codec_type\":\"audio\",\"codec"
	"_tag_string\":\"[0][0][0][0]\",\"codec_tag\":\"0x0000\",\"sample_fmt\":\"s32\",\"sample_rate"
	"\":\"48000\",\"channels\":1,\"bits_per_sample\":24,\"r_frame_rate\":\"0/0\",\"avg_frame_rate"
	"\":\"0/0\",\"time_base\":\"1/48000\",\"start_pts\":0,\"start_time\":\"0.000000\",\"duration_ts"
	"\":96000,\"duration\":\"2.000000\",\"bit_rate\":\"1152000\",\"bits_per_raw_sample\":\"24\",\"d"
	"isposition\":{\"default\":0,\"dub\":0,\"original\":0,\"comment\":0,\"lyrics\":0,\"karaoke\":0"
	",\"forced\":0,\"hearing_impaired\":0,\"visual_impaired\":0,\"clean_effects\":0,\"attached"
	"_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"descriptions\":0,\"metadata\":0,\"depende"
	"nt\":0,\"still_image\":0},\"tags\":{\"file_package_umid\":\"0x060A2B340101010501010D0013"
	"E3356D52947134E1E3356D0052947134E1E301\",\"reel_umid\":\"0x060A2B340101010501010D001"
	"3E3356D52947134E1E3356D0052947134E1E302\",\"reel_name\":\"TAPE42\",\"timecode\":\"10:00:"
	"00:00\"}},{\"index\":2,\"codec_name\":\"pcm_s24le\",\"codec_long_name\":\"PCM signed 24-bi"
	"t little-endian\",\"codec_type\":\"audio\",\"codec_tag_string\":\"[0][0][0][0]\",\"codec_t"
	"ag\":\"0x0000\",\"sample_fmt\":\"s32\",\"sample_rate\":\"48000\",\"channels\":1,\"bits_per_sam"
	"ple\":24,\"r_frame_rate\":\"0/0\",\"avg_frame_rate\":\"0/0\",\"time_base\":\"1/48000\",\"start"
	"_pts\":0,\"start_time\":\"0.000000\",\"duration_ts\":96000,\"duration\":\"2.000000\",\"bit_r"
	"ate\":\"1152000\",\"bits_per_raw_sample\":\"24\",\"disposition\":{\"default\":0,\"dub\":0,\"or"
	"iginal\":0,\"comment\":0,\"lyrics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"vi"
	"sual_impaired\":0,\"clean_effects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captio"
	"ns\":0,\"descriptions\":0,\"metadata\":0,\"dependent\":0,\"still_image\":0},\"tags\":{\"file"
	"_package_umid\":\"0x060A2B340101010501010D0013E3356D52947134E1E3356D0052947134E1E3"
	"01\",\"reel_umid\":\"0x060A2B340101010501010D0013E3356D52947134E1E3356D0052947134E1E"
	"302\",\"reel_name\":\"TAPE42\",\"timecode\":\"10:00:00:00\"}}],\"format\":{\"filename\":\"p3.m"
	"xf\",\"nb_streams\":3,\"nb_programs\":0,\"format_name\":\"mxf\",\"format_long_name\":\"MXF ("
	"Material eXchange Format)\",\"start_time\":\"0.000000\",\"duration\":\"2.000000\",\"size\":"
	"\"704057\",\"bit_rate\":\"2816228\",\"probe_score\":100,\"tags\":{\"operational_pattern_ul\""
	":\"060e2b34.04010101.0d010201.01010900\",\"uid\":\"adab4424-2f25-4dc7-92ff-000c000000"
	"00\",\"generation_uid\":\"adab4424-2f25-4dc7-92ff-000c00000001\",\"company_name\":\"FFmp"
	"eg\",\"product_name\":\"OP1a Muxer\",\"product_version_num\":\"59.27.100.0.0\",\"product_v"
	"ersion\":\"59.27.100\",\"application_platform\":\"Lavf (linux)\",\"product_uid\":\"adab442"
	"4-2f25-4dc7-92ff-29bd000c0002\",\"toolkit_version_num\":\"59.27.100.0.0\",\"material_p"
	"ackage_umid\":\"0x060A2B340101010501010D0013E3356D52947134E1E3356D0052947134E1E300"
	"\",\"timecode\":\"10:00:00:00\"}}}";

static const char json_bwf[] =
	"{\"streams\":[{\"index\":0,\"codec_name\":\"pcm_s24le\",\"codec_long_name\":\"PCM signed 24"
	"-bit little-endian\",\"codec_type\":\"audio\",\"codec_tag_string\":\"[1][0][0][0]\",\"code"
	"c_tag\":\"0x0001\",\"sample_fmt\":\"s32\",\"sample_rate\":\"48000\",\"channels\":2,\"channel_l"
	"ayout\":\"stereo\",\"bits_per_sample\":24,\"r_frame_rate\":\"0/0\",\"avg_frame_rate\":\"0/0\""
	",\"time_base\":\"1/48000\",\"duration_ts\":48000,\"duration\":\"1.000000\",\"bit_rate\":\"230"
	"4000\",\"bits_per_raw_sample\":\"24\",\"disposition\":{\"default\":0,\"dub\":0,\"original\":0"
	",\"comment\":0,\"lyrics\":0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"visual_impa"
	"ired\":0,\"clean_effects\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"de"
	"scriptions\":0,\"metadata\":0,\"dependent\":0,\"still_image\":0}}],\"format\":{\"filename\""
	":\"p4.wav\",\"nb_streams\":1,\"nb_programs\":0,\"format_name\":\"wav\",\"format_long_name\":"
	"\"WAV / WAVE (Waveform Audio)\",\"duration\":\"1.000000\",\"size\":\"288758\",\"bit_rate\":\""
	"2310064\",\"probe_score\":99,\"tags\":{\"time_reference\":\"172800000\",\"comment\":\"sSCENE"
	"=12A\",\"encoder\":\"Lavf59.27.100\",\"encoded_by\":\"Sound Devices 888\"}}}";

static const char json_brvl[] =
	"{\"streams\":[{\"index\":0,\"codec_type\":\"video\",\"codec_tag_string\":\"brvl\",\"codec_tag"
	"\":\"0x6c767262\",\"width\":320,\"height\":180,\"coded_width\":320,\"coded_height\":180,\"cl"
	"osed_captions\":0,\"film_grain\":0,\"has_b_frames\":0,\"sample_aspect_ratio\":\"1:1\",\"di"
	"splay_aspect_ratio\":\"16:9\",\"level\":-99,\"color_range\":\"tv\",\"field_order\":\"progres"
	"sive\",\"refs\":1,\"id\":\"0x1\",\"r_frame_rate\":\"24000/1001\",\"avg_frame_rate\":\"24000/10"
	"01\",\"time_base\":\"1/24000\",\"start_pts\":0,\"start_time\":\"0.000000\",\"duration_ts\":48"
	"048,\"duration\":\"2.002000\",\"bit_rate\":\"5807864\",\"bits_per_raw_sample\":\"10\",\"nb_fr"
	"ames\":\"48\",\"disposition\":{\"default\":1,\"dub\":0,\"original\":0,\"comment\":0,\"lyrics\":"
	"0,\"karaoke\":0,\"forced\":0,\"hearing_impaired\":0,\"visual_impaired\":0,\"clean_effects"
	"\":0,\"attached_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"descriptions\":0,\"metadat"
	"a\":0,\"dependent\":0,\"still_image\":0},\"tags\":{\"handler_name\":\"VideoHandler\",\"vendo"
	"r_id\":\"FFMP\",\"encoder\":\"Lavc59.37.100 prores_ks\",\"timecode\":\"14:03:22:05\"}},{\"in"
	"dex\":1,\"codec_name\":\"pcm_s24le\",\"codec_long_name\":\"PCM signed 24-bit little-endi"
	"an\",\"codec_type\":\"audio\",\"codec_tag_string\":\"in24\",\"codec_tag\":\"0x34326e69\",\"sam"
	"ple_fmt\":\"s32\",\"sample_rate\":\"48000\",\"channels\":1,\"channel_layout\":\"mono\",\"bits_"
	"per_sample\":24,\"id\":\"0x2\",\"r_frame_rate\":\"0/0\",\"avg_frame_rate\":\"0/0\",\"time_base"
	"\":\"1/48000\",\"start_pts\":0,\"start_time\":\"0.000000\",\"duration_ts\":96000,\"duration\""
	":\"2.000000\",\"bit_rate\":\"1152000\",\"bits_per_raw_sample\":\"24\",\"nb_frames\":\"96000\","
	"\"disposition\":{\"default\":1,\"dub\":0,\"original\":0,\"comment\":0,\"lyrics\":0,\"karaoke\""
	":0,\"forced\":0,\"hearing_impaired\":0,\"visual_impaired\":0,\"clean_effects\":0,\"attach"
	"ed_pic\":0,\"timed_thumbnails\":0,\"captions\":0,\"descriptions\":0,\"metadata\":0,\"depen"
	"dent\":0,\"still_image\":0},\"tags\":{\"handler_name\":\"SoundHandler\",\"vendor_id\":\"[0]["
	"0][0][0]\"}},{\"index\":2,\"codec_type\":\"data\",\"codec_tag_string\":\"tmcd\",\"codec_tag\""
	":\"0x64636d74\",\"id\":\"0x3\",\"r_frame_rate\":\"0/0\",\"avg_frame_rate\":\"24000/1001\",\"tim"
	"e_base\":\"1/24000\",\"start_pts\":0,\"start_time\":\"0.000000\",\"duration_ts\":48048,\"dur"
	"ation\":\"2.002000\",\"bit_rate\":\"15\",\"nb_frames\":\"1\",\"extradata_size\":38,\"dispositi"
	"on\":{\"default\":0,\"dub\":0,\"original\":0,\"comment\":0,\"lyrics\":0,\"karaoke\":0,\"forced"
	"\":0,\"hearing_impaired\":0,\"visual_impaired\":0,\"clean_effects\":0,\"attached_pic\":0,"
	"\"timed_thumbnails\":0,\"captions\":0,\"descriptions\":0,\"metadata\":0,\"dependent\":0,\"s"
	"till_image\":0},\"tags\":{\"language\":\"eng\",\"handler_name\":\"TimeCodeHandler\",\"reel_n"
	"ame\":\"A003R2CD\",\"timecode\":\"14:03:22:05\"}}],\"format\":{\"filename\":\"A001_08151512_"
	"C012.braw\",\"nb_streams\":3,\"nb_programs\":0,\"format_name\":\"mov,mp4,m4a,3gp,3g2,mj2"
	"\",\"format_long_name\":\"QuickTime / MOV\",\"start_time\":\"0.000000\",\"duration\":\"2.002"
	"000\",\"size\":\"1744424\",\"bit_rate\":\"6970725\",\"probe_score\":100,\"tags\":{\"major_bran"
	"d\":\"qt  \",\"minor_version\":\"512\",\"compatible_brands\":\"qt  \",\"timecode\":\"14:03:22:"
	"05\",\"com.apple.quicktime.make\":\"ARRI\",\"com.apple.quicktime.model\":\"ALEXA Mini LF"
	"\",\"com.apple.quicktime.camera.identifier\":\"K1.0024567\",\"com.apple.quicktime.came"
	"ra.lens_model\":\"Signature Prime 47mm\",\"encoder\":\"Lavf59.27.100\"}}}";

static void
parse(const char *json, const char *name, struct probe *p)
{
	struct err err;

	probe_init(p);
	cr_assert_eq(probe_parse(json, strlen(json), name, p, &err), 0, "%s", err.msg);
}

Test(probe, prores_2398_keeps_the_fraction_timecode_reel_and_camera)
{
	struct probe p;

	parse(json_prores_2398, "A003C001.mov", &p);
	cr_expect_str_eq(p.status, "probed");
	cr_expect(p.decodable);
	cr_expect(strstr(p.container, "mov") != NULL);
	cr_expect_str_eq(p.codec, "prores");
	cr_expect_str_eq(p.profile, "HQ");
	cr_expect_eq(p.width, 320);
	cr_expect_eq(p.height, 180);
	cr_expect_eq(p.fps_num, 24000);
	cr_expect_eq(p.fps_den, 1001);
	cr_expect_eq(p.duration_frames, 48);
	cr_expect_eq(p.bit_depth, 10);
	cr_expect_str_eq(p.start_tc, "14:03:22:05");
	cr_expect(!p.drop_frame);
	cr_expect_str_eq(p.reel, "A003R2CD");
	cr_expect_eq(p.audio_streams, 1);
	cr_expect_eq(p.audio_channels, 1);
	cr_expect_eq(p.audio_sample_rate, 48000);
	cr_expect_str_eq(p.make, "ARRI");
	cr_expect_str_eq(p.model, "ALEXA Mini LF");
	cr_expect_str_eq(p.serial, "K1.0024567");
	cr_expect_str_eq(p.lens, "Signature Prime 47mm");
	cr_expect_str_eq(json_string_value(json_object_get(p.tags, "reel_name")), "A003R2CD");
	cr_expect_eq(probe_check_name("A003R2CD/A003C001.mov", &p, NULL), 0);
	probe_release(&p);
}

Test(probe, drop_frame_2997_from_the_semicolon)
{
	struct probe p;
	char tc[TIMECODE_BUFSZ];

	parse(json_h264_2997df, "C0001.MOV", &p);
	cr_expect_str_eq(p.codec, "h264");
	cr_expect_eq(p.fps_num, 30000);
	cr_expect_eq(p.fps_den, 1001);
	cr_expect_eq(p.duration_frames, 60);
	cr_expect_eq(p.bit_depth, 8);
	cr_expect_str_eq(p.start_tc, "01:00:00;00");
	cr_expect(p.drop_frame);
	cr_expect_str_eq(p.audio_codec, "aac");
	/* 1800 frames on, labels ;00 and ;01 of minute 1 are skipped. */
	cr_expect_eq(probe_timecode(&p, 1799, tc), 0);
	cr_expect_str_eq(tc, "01:00:59;29");
	cr_expect_eq(probe_timecode(&p, 1800, tc), 0);
	cr_expect_str_eq(tc, "01:01:00;02");
	probe_release(&p);
}

Test(probe, mxf_timecode_reel_and_mono_tracks)
{
	struct probe p;

	parse(json_mxf_two_mono, "C0002.MXF", &p);
	cr_expect_str_eq(p.container, "mxf");
	cr_expect_str_eq(p.codec, "mpeg2video");
	cr_expect_eq(p.fps_num, 25);
	cr_expect_eq(p.fps_den, 1);
	cr_expect_eq(p.duration_frames, 50, "from the duration: MXF gives no nb_frames");
	cr_expect_str_eq(p.start_tc, "10:00:00:00");
	cr_expect_str_eq(p.reel, "TAPE42");
	cr_expect_eq(p.audio_streams, 2);
	cr_expect_eq(p.audio_channels, 2);
	cr_expect_eq(probe_check_name("Clip/C0002.MXF", &p, NULL), 0);
	probe_release(&p);
}

Test(probe, sound_only_bwf_is_decodable_without_picture)
{
	struct probe p;

	parse(json_bwf, "S01T01.WAV", &p);
	cr_expect(p.decodable);
	cr_expect_eq(p.video_streams, 0);
	cr_expect_str_eq(p.codec, "pcm_s24le");
	cr_expect_eq(p.audio_channels, 2);
	cr_expect_eq(p.audio_sample_rate, 48000);
	cr_expect_eq(p.fps_num, 0);
	cr_expect_eq(p.duration_frames, -1);
	cr_expect_eq(probe_check_name("S01T01.WAV", &p, NULL), 0);
	probe_release(&p);
}

Test(probe, unknown_video_codec_needs_the_makers_software)
{
	struct probe p;

	parse(json_brvl, "A001_08151512_C012.braw", &p);
	cr_expect(!p.decodable);
	cr_expect_str_eq(p.status, "vendor_tool");
	cr_expect(strstr(p.vendor_tool, "Blackmagic RAW") != NULL, "%s", p.vendor_tool);
	cr_expect_eq(p.width, 320, "what the container says is still kept");
	probe_release(&p);
}

Test(probe, a_name_that_lies_about_its_content_fails)
{
	struct probe p;
	struct err err;

	parse(json_bwf, "A001C022.mov", &p);
	cr_expect_eq(probe_check_name("A001R1AB/A001C022.mov", &p, &err), SP_EUNSUPPORTED);
	cr_expect(strstr(err.msg, "A001R1AB/A001C022.mov: its name says QuickTime (.mov) but it "
	    "holds WAV") != NULL, "%s", err.msg);
	cr_expect_eq(probe_check_name("A001C022.MOV", &p, NULL), SP_EUNSUPPORTED, "case-folded");
	cr_expect_eq(probe_check_name("notes.xyz", &p, NULL), 0, "unknown extensions pass");
	probe_release(&p);
}

Test(probe, bad_output_is_refused)
{
	struct probe p;
	struct err err;
	const char *none = "{\"streams\":[],\"format\":{\"format_name\":\"tty\"}}";

	probe_init(&p);
	cr_expect_eq(probe_parse("not json", 8, "x.mov", &p, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "x.mov") != NULL, "%s", err.msg);
	cr_expect_eq(probe_parse(none, strlen(none), "y.mov", &p, &err), SP_EUNSUPPORTED);
	cr_expect(strstr(err.msg, "no picture or sound stream") != NULL, "%s", err.msg);
	probe_release(&p);
}

Test(probe, raw_formats_by_extension)
{
	cr_expect(strstr(probe_vendor_tool("A/A001C011_250101_R1AB.0086400.ari"), "ARRI") != NULL);
	cr_expect(strstr(probe_vendor_tool("A001_C013_0101AB_001.R3D"), "RED") != NULL);
	cr_expect(strstr(probe_vendor_tool("A001_08151512_C012.BRAW"), "Blackmagic") != NULL);
	cr_expect(strstr(probe_vendor_tool("A001C001_231125AB_CANON.CRM"), "Canon") != NULL);
	cr_expect_null(probe_vendor_tool("A001C001.mov"));
	cr_expect_null(probe_vendor_tool("A001C001.MXF"));
	cr_expect_null(probe_vendor_tool("noextension"));
}

Test(probe, arriraw_from_its_names)
{
	struct probe p;

	probe_init(&p);
	probe_from_name("A001R1AB/A001C011_250101_R1AB/A001C011_250101_R1AB.0086400.ari", 3, &p);
	cr_expect_str_eq(p.status, "vendor_tool");
	cr_expect(!p.decodable);
	cr_expect_str_eq(p.reel, "A001R1AB", "tape name: index + reel + camera id");
	cr_expect_str_eq(p.make, "ARRI");
	cr_expect_str_eq(p.codec, "arriraw");
	cr_expect_eq(p.duration_frames, 3, "one file per frame");
	cr_expect_eq(p.first_frame_number, 86400);
	cr_expect_str_eq(json_string_value(json_object_get(p.vendor, "clip_number")), "011");
	probe_release(&p);
}

Test(probe, red_and_blackmagic_names)
{
	struct probe p;

	probe_init(&p);
	probe_from_name("A001_C013_0101AB.RDC/A001_C013_0101AB_001.R3D", 2, &p);
	cr_expect_str_eq(p.make, "RED");
	cr_expect_str_eq(p.reel, "A001");
	cr_expect_str_eq(json_string_value(json_object_get(p.vendor, "clip_number")), "013");
	cr_expect_eq(p.duration_frames, -1, "segments are not frames");
	probe_release(&p);
	probe_init(&p);
	probe_from_name("A001_08151512_C012.braw", 1, &p);
	cr_expect_str_eq(p.make, "Blackmagic");
	cr_expect_str_eq(json_string_value(json_object_get(p.vendor, "clip_number")), "012");
	probe_release(&p);
}

Test(probe, blackmagic_sidecar_and_card_ale)
{
	static const char sidecar[] = "{\"camera_type\": \"URSA Mini Pro 12K\", \"camera_serial\":"
		" \"BMD-42\", \"lens_type\": \"Zeiss CP.3 50mm\", \"iso\": 800,"
		" \"timecode\": \"10:00:00:00\", \"sensor_rate\": \"24\"}";
	static const char ale_text[] = "Heading\nFIELD_DELIM\tTABS\nVIDEO_FORMAT\t1080\nFPS\t23.976\n\n"
		"Column\nName\tStart\tEnd\tTape\tLens_Type\n\nData\n"
		"A001C011_250101_R1AB\t11:22:33:04\t11:22:33:07\tA001R1AB\tUltra Prime 32mm\n";
	struct ale ale = ALE_INIT;
	struct probe p;
	struct err err;

	probe_init(&p);
	cr_expect_eq(probe_from_sidecar(sidecar, strlen(sidecar), &p, &err), 0, "%s", err.msg);
	cr_expect_str_eq(p.model, "URSA Mini Pro 12K");
	cr_expect_str_eq(p.serial, "BMD-42");
	cr_expect_str_eq(p.lens, "Zeiss CP.3 50mm");
	cr_expect_str_eq(p.start_tc, "10:00:00:00");
	cr_expect_eq(p.fps_num, 24);
	cr_expect_eq(probe_from_sidecar("[1]", 3, &p, &err), SP_EINVAL);
	probe_release(&p);

	probe_init(&p);
	cr_assert_eq(ale_parse(ale_text, strlen(ale_text), &ale, &err), 0, "%s", err.msg);
	cr_expect_eq(probe_from_ale(&ale, "A001C011_250101_R1AB", &p), 1);
	cr_expect_str_eq(p.start_tc, "11:22:33:04");
	cr_expect_str_eq(p.reel, "A001R1AB");
	cr_expect_eq(p.fps_num, 24000);
	cr_expect_eq(p.fps_den, 1001);
	cr_expect_str_eq(json_string_value(json_object_get(p.tags, "Lens_Type")), "Ultra Prime 32mm");
	cr_expect_eq(probe_from_ale(&ale, "A001C012", &p), 0);
	ale_release(&ale);
	probe_release(&p);
}

Test(probe, json_view_has_no_made_up_values)
{
	struct probe p;
	json_t *j;

	parse(json_bwf, "S01T01.WAV", &p);
	j = probe_to_json(&p);
	cr_expect(json_is_null(json_object_get(j, "fps_num")));
	cr_expect(json_is_null(json_object_get(j, "width")));
	cr_expect(json_is_null(json_object_get(j, "duration_frames")));
	cr_expect_eq(json_integer_value(json_object_get(j, "audio_channels")), 2);
	json_decref(j);
	probe_release(&p);
}

/* When the clip was recorded (migration 0071): creation_time as the camera's clock wrote it,
 * its zone dropped; a 1970 clock (never set) or no tag is no time; a Sony NonRealTimeMeta's
 * CreationDate when the container gave none, never over it. */
Test(probe, recorded_at_from_creation_time_or_the_sony_xml)
{
	static const char head[] = "{\"streams\":[{\"codec_name\":\"prores\",\"codec_type\":\"video\","
	    "\"width\":16,\"height\":16,\"r_frame_rate\":\"25/1\"%s}],\"format\":{\"format_name\":"
	    "\"mov\",\"duration\":\"1.0\"%s}}";
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NonRealTimeMeta xmlns="
	    "\"urn:schemas-professionalDisc:nonRealTimeMeta:ver.2.00\"><Duration value=\"25\"/>"
	    "<CreationDate value=\"2026-12-07T09:41:02+01:00\"/></NonRealTimeMeta>";
	char j[600];
	struct probe p;

	snprintf(j, sizeof(j), head, "", ",\"tags\":{\"creation_time\":\"2026-12-07T14:05:38.000000Z\"}");
	parse(j, "A.mov", &p);
	cr_expect_str_eq(p.recorded_at, "2026-12-07T14:05:38");
	cr_expect_str_eq(p.recorded_at_source, "creation_time");
	cr_expect_eq(probe_from_sony_xml(xml, strlen(xml), &p, NULL), 0);
	cr_expect_str_eq(p.recorded_at, "2026-12-07T14:05:38", "the container's comes first");
	probe_release(&p);

	snprintf(j, sizeof(j), head, ",\"tags\":{\"creation_time\":\"2026-12-07T10:00:00.000000Z\"}",
	    ",\"tags\":{\"creation_time\":\"1970-01-01T00:00:00.000000Z\"}");
	parse(j, "A.mov", &p);
	cr_expect_str_eq(p.recorded_at, "2026-12-07T10:00:00", "the video stream's, the format's unset");
	probe_release(&p);

	snprintf(j, sizeof(j), head, "", "");
	parse(j, "C0001.MXF", &p);
	cr_expect_str_eq(p.recorded_at, "", "no tag: no time (never the file's mtime)");
	cr_expect_eq(probe_from_sony_xml(xml, strlen(xml), &p, NULL), 0);
	cr_expect_str_eq(p.recorded_at, "2026-12-07T09:41:02");
	cr_expect_str_eq(p.recorded_at_source, "Sony XML CreationDate");
	cr_expect_eq(probe_from_sony_xml("<x/>", 4, &p, NULL), SP_EINVAL);
	cr_expect_eq(probe_from_sony_xml("not xml", 7, &p, NULL), SP_EINVAL);
	probe_release(&p);
}
