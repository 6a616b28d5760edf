/*
 * frameseq: a clip recorded or scanned as one image file per frame (DPX, OpenEXR), and the
 * words that make ffmpeg read it as one moving picture.
 *
 * ffmpeg reads a numbered sequence through its image2 demuxer given a name pattern
 * ("A001C003.%07d.dpx"), the first number and a frame rate; given the first frame's path
 * alone it would read one still picture. The frame rate and the start timecode come from the
 * first frame's own header when the camera or scanner wrote them (DPX: the film header's frame
 * rate at byte 1724, else the television header's at 1940, and its SMPTE timecode at 1920;
 * OpenEXR: the framesPerSecond and timeCode attributes); else the rate is FRAMESEQ_RATE_DEFAULT
 * and the caller says it was assumed.
 *
 * media_input_of() is the one place every ffmpeg and ffprobe command of a clip gets its input
 * from (probe, QC, thumbnails, transcode): a file is "-i file:PATH", the first frame of a
 * sequence the image2 words. Nothing here allocates.
 */
#ifndef SETPOST_FRAMESEQ_H
#define SETPOST_FRAMESEQ_H

#include "lib/core/err.h"
#include "lib/media/timecode.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define FRAMESEQ_RATE_DEFAULT 24   /* frames per second when the headers do not say */
#define FRAMESEQ_MIN_DIGITS 4      /* a frame number has at least this many digits */

/* What a sequence's first frame says about the clip. */
struct frameseq {
	char pattern[PATH_MAX * 2];     /* the path with its frame number as %0Nd, '%' doubled */
	unsigned long long start;       /* the first frame's number */
	unsigned rate_num, rate_den;    /* from the header; 0/0 when it does not say */
	char timecode[TIMECODE_BUFSZ];  /* start timecode from the header, "" when none */
	bool drop_frame;
};

/* True for a file name ffmpeg reads as one frame of a numbered sequence: .dpx or .exr with at
 * least FRAMESEQ_MIN_DIGITS digits at the end of its stem ("A001C003.0086400.dpx"). */
bool frameseq_is_frame(const char *name);

/* Fills s from the sequence's first frame (path); SP_EINVAL when path is not a frame name,
 * SP_EIO when its header cannot be read. A header without rate or timecode is not an error. */
int frameseq_open(const char *path, struct frameseq *s, struct err *err);

/* Reads rate and timecode from the first n bytes of a frame (DPX or OpenEXR; anything else
 * leaves s as it is). Any bytes are safe: the fuzz harness feeds it garbage. */
void frameseq_header(const unsigned char *b, size_t n, struct frameseq *s);

/* The input words of an ffmpeg or ffprobe command: argv[0..argc) point into the struct. */
struct media_input {
	const char *argv[12];
	int argc;
	bool sequence;                  /* the image2 words of a frame sequence */
	bool rate_assumed;              /* a sequence whose headers gave no frame rate */
	struct frameseq seq;
	char in[PATH_MAX * 2 + 8];
	char rate[32], start[24];
};

/* The input words for the clip whose (first) media file is path. */
int media_input_of(const char *path, struct media_input *mi, struct err *err);

#endif
