// web/cdl.js against the vectors tests/unit/test_cdl.c checks lib/media/cdl.c's cdl_apply with: the
// page previews a look with the same numbers the server's renders use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, applyImage, normal } from '../../web/cdl.js';

const spec = { slope: [1, 1, 0.9], offset: [-0.03, -0.02, 0], power: [1.25, 1, 1], sat: 1.7 };
const near = (got, want, eps) => want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= eps, `channel ${i}: ${got[i]} want ${w}`));

test('the ASC CDL vectors of lib/media/cdl.c', () => {
  near(apply(spec, [0.5, 0.4, 0.3]), [0.399760, 0.384197, 0.197197], 1e-6);
  near(apply(spec, [0.18, 0.18, 0.18]), [0.056513, 0.169818, 0.173218], 1e-6);
  near(apply(spec, [1.0, 0.9, 0.02]), [1.0, 0.911267, 0.0], 1e-6);
});

test('identity, clamps and full desaturation to Rec.709 luma', () => {
  const id = normal(null);
  near(apply(id, [0.2, 0.5, 0.9]), [0.2, 0.5, 0.9], 1e-12);
  near(apply(id, [1.5, -0.2, NaN]), [1, 0, 0], 0);
  near(apply({ ...id, sat: 0 }, [1, 0, 0]), [0.2126, 0.2126, 0.2126], 1e-12);
});

test('the canvas path agrees with the per-pixel formula to the 8-bit step', () => {
  const src = { data: new Uint8ClampedArray(256 * 4), width: 256, height: 1 };
  for (let i = 0; i < 256; i++) src.data.set([i, 255 - i, (i * 7) % 256, 255], i * 4);
  const dst = { data: new Uint8ClampedArray(256 * 4) };
  applyImage(spec, src, dst);
  for (let i = 0; i < 256; i++) {
    const want = apply(spec, [i / 255, (255 - i) / 255, ((i * 7) % 256) / 255]).map((v) => Math.round(v * 255));
    near([...dst.data.slice(i * 4, i * 4 + 3)], want, 1);
    assert.equal(dst.data[i * 4 + 3], 255);
  }
});

test('web/lut.js reads a .cube as lib/media/lut.c does and refuses a broken one', async () => {
  const { parseCube, sample } = await import('../../web/lut.js');
  // A 2-point cube over a domain of 0..2 that halves every channel, with a comment and a title.
  const text = '# made by hand\r\nTITLE "half"\r\nDOMAIN_MIN 0 0 0\r\nDOMAIN_MAX 2 2 2\r\nLUT_3D_SIZE 2\r\n' +
    [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]].map((v) => v.join(' ')).join('\r\n');
  const l = parseCube(text);
  assert.equal(l.size, 2);
  near(sample(l, [0.5, 1, 1.5], [0, 0, 0]), [0.5, 1, 1.5].map((v) => v / 2), 1e-9);
  near(sample(l, [3, -1, NaN], [0, 0, 0]), [1, 0, 0], 0);   // clamped to the domain, NaN to its floor
  assert.throws(() => parseCube('LUT_3D_SIZE 2\n0 0 0\n'), /not a 3D .cube/);
});
