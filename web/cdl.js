// ASC CDL v1.2 on the page: the same formula as lib/media/cdl.c's cdl_apply. Per channel
// out = clamp(in * slope + offset) ^ power, then saturation around Rec.709 luma, clamped.
import { sample } from './lut.js';

export const IDENTITY = { slope: [1, 1, 1], offset: [0, 0, 0], power: [1, 1, 1], sat: 1 };

export function normal(look) {
  const l = look ?? {};
  return {
    slope: [...(l.slope ?? IDENTITY.slope)],
    offset: [...(l.offset ?? IDENTITY.offset)],
    power: [...(l.power ?? IDENTITY.power)],
    sat: l.sat ?? 1,
  };
}

const clamp01 = (v) => (v > 0 ? (v < 1 ? v : 1) : 0);

export function apply(c, rgb) {
  const v = [0, 1, 2].map((i) => clamp01(rgb[i] * c.slope[i] + c.offset[i]) ** c.power[i]);
  const luma = 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  return v.map((x) => clamp01(luma + c.sat * (x - luma)));
}

// Applies c to source ImageData into dest ImageData (same size), through a 3 x 256 table per
// step where possible: the per-channel part depends on one channel only. With lut (web/lut.js),
// the day's or show LUT follows the CDL, as in the proxies.
export function applyImage(c, src, dst, lut = null) {
  const tab = [0, 1, 2].map((i) => {
    const t = new Float32Array(256);
    for (let k = 0; k < 256; k++) t[k] = clamp01((k / 255) * c.slope[i] + c.offset[i]) ** c.power[i];
    return t;
  });
  const s = src.data;
  const d = dst.data;
  const sat = c.sat;
  const v = [0, 0, 0];
  const o = [0, 0, 0];
  for (let p = 0; p < s.length; p += 4) {
    const r = tab[0][s[p]];
    const g = tab[1][s[p + 1]];
    const b = tab[2][s[p + 2]];
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    v[0] = clamp01(y + sat * (r - y));
    v[1] = clamp01(y + sat * (g - y));
    v[2] = clamp01(y + sat * (b - y));
    const w = lut ? sample(lut, v, o) : v;
    d[p] = clamp01(w[0]) * 255 + 0.5;
    d[p + 1] = clamp01(w[1]) * 255 + 0.5;
    d[p + 2] = clamp01(w[2]) * 255 + 0.5;
    d[p + 3] = s[p + 3];
  }
}

// A picture to preview on when the clip has no thumbnail yet: colour bars over a grey ramp.
export function testPattern(ctx, w, hgt) {
  const bars = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];
  bars.forEach((col, i) => { ctx.fillStyle = col; ctx.fillRect((i * w) / 7, 0, w / 7 + 1, hgt * 0.66); });
  for (let x = 0; x < w; x++) {
    const v = Math.round((x / (w - 1)) * 200);
    ctx.fillStyle = `rgb(${v},${v},${v})`;
    ctx.fillRect(x, hgt * 0.66, 1, hgt * 0.34);
  }
}
