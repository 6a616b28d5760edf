// A 3D LUT on the page: a .cube as lib/media/lut.c reads it (LUT_3D_SIZE, DOMAIN_MIN/MAX, red
// changing fastest) and sampled as it samples: inputs clamped to the domain, tetrahedral
// interpolation (what ffmpeg's lut3d uses for the proxies), so the preview and the proxies
// agree to within the 8-bit step.

export function parseCube(text) {
  let size = 0;
  let dmin = [0, 0, 0];
  let dmax = [1, 1, 1];
  const vals = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const w = line.split(/\s+/);
    if (w[0] === 'LUT_3D_SIZE') size = Number(w[1]);
    else if (w[0] === 'DOMAIN_MIN') dmin = w.slice(1, 4).map(Number);
    else if (w[0] === 'DOMAIN_MAX') dmax = w.slice(1, 4).map(Number);
    else if (/^[-+.0-9]/.test(w[0]) && w.length === 3) vals.push(...w.map(Number));
  }
  if (!(size >= 2 && size <= 129) || vals.length !== size ** 3 * 3 || vals.some((v) => !Number.isFinite(v))) {
    throw new Error(`not a 3D .cube (size ${size}, ${vals.length / 3} entries)`);
  }
  return { size, dmin, dmax, data: Float32Array.from(vals) };
}

// The value of lut at rgb (each 0..1), written into out (3 numbers).
export function sample(lut, rgb, out) {
  const n = lut.size;
  const top = n - 1;
  const i0 = [0, 0, 0];
  const f = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    let t = ((rgb[a] - lut.dmin[a]) / (lut.dmax[a] - lut.dmin[a])) * top;
    if (!(t > 0)) t = 0;
    if (t > top) t = top;
    let i = Math.floor(t);
    if (i > top - 1) i = top - 1;
    i0[a] = i;
    f[a] = t - i;
  }
  // Axes by falling fraction: the walk from corner 000 to 111 through the tetrahedron.
  const ax = [0, 1, 2].sort((x, y) => f[y] - f[x]);
  const d = [0, 0, 0];
  let prev = 1;
  out[0] = out[1] = out[2] = 0;
  for (let k = 0; k <= 3; k++) {
    const next = k < 3 ? f[ax[k]] : 0;
    const p = 3 * ((i0[0] + d[0]) + n * ((i0[1] + d[1]) + n * (i0[2] + d[2])));
    const wgt = prev - next;
    out[0] += wgt * lut.data[p];
    out[1] += wgt * lut.data[p + 1];
    out[2] += wgt * lut.data[p + 2];
    if (k < 3) d[ax[k]] = 1;
    prev = next;
  }
  return out;
}
