/**
 * Pillow's separable resampling (libImaging/Resample.c), reproduced for 8-bit images so that resized pixels are
 * bit-identical to `Image.resize(size, resample)`: per-axis filter weights in double precision, normalised,
 * converted to 22-bit fixed point, horizontal pass first into a uint8 image, then the vertical pass, clipping after
 * each pass.
 */

/** Pillow resample filter ids (PIL.Image.Resampling). */
export const PIL_NEAREST = 0;
export const PIL_LANCZOS = 1;
export const PIL_BILINEAR = 2;
export const PIL_BICUBIC = 3;
export const PIL_BOX = 4;
export const PIL_HAMMING = 5;

interface Filter {
  support: number;
  fn: (x: number) => number;
}

const sinc = (x: number): number => {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
};

const FILTERS: Record<number, Filter> = {
  [PIL_BOX]: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [PIL_BILINEAR]: {
    support: 1,
    fn: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  [PIL_HAMMING]: {
    support: 1,
    fn: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const px = a * Math.PI;
      return (Math.sin(px) / px) * (0.54 + 0.46 * Math.cos(px));
    },
  },
  [PIL_BICUBIC]: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  [PIL_LANCZOS]: {
    support: 3,
    fn: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
};

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  ksize: number;
  /** [outSize * 2]: first input index, count */
  bounds: Int32Array;
  /** [outSize * ksize] fixed-point weights */
  kk: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the full input range. */
function precomputeCoeffs(inSize: number, outSize: number, filter: Filter): Coeffs {
  // Pillow computes the scale from a float box (in1 - in0); for whole-image resizes that is exact.
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const weights = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C `(int)` truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      weights[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      let w = x < xmax ? weights[x]! : 0;
      if (x < xmax && ww !== 0) w /= ww;
      const scaled = w * (1 << PRECISION_BITS);
      kk[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + scaled) : Math.trunc(0.5 + scaled);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

const clip8 = (acc: number): number => {
  if (acc >= 1 << (PRECISION_BITS + 8)) return 255;
  if (acc <= 0) return 0;
  return acc >> PRECISION_BITS;
};

/** An 8-bit interleaved image. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * Resize an 8-bit interleaved image exactly like Pillow's `Image.resize((width, height), resample)` (no box, no
 * reducing_gap). Nearest neighbour is not supported (it is never used by BLIP processors).
 */
export function pillowResize(image: RawImage, width: number, height: number, resample: number = PIL_BICUBIC): RawImage {
  const filter = FILTERS[resample];
  if (!filter) throw new Error(`unsupported Pillow resample filter ${resample}`);
  const { data, width: inW, height: inH, channels: C } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`invalid target size ${width}x${height}`);
  }
  if (data.length !== inW * inH * C) {
    throw new Error(`pixel buffer has ${data.length} bytes, expected ${inW}x${inH}x${C} = ${inW * inH * C}`);
  }
  const needH = width !== inW;
  const needV = height !== inH;
  if (!needH && !needV) return { data: new Uint8Array(data), width, height, channels: C };

  const vert = precomputeCoeffs(inH, height, filter);
  let src = data;
  let srcH = inH;
  let rowOffset = 0;
  if (needH) {
    const horiz = precomputeCoeffs(inW, width, filter);
    // Only the rows the vertical pass reads are resampled (as Pillow does); results are identical either way.
    const yFirst = needV ? vert.bounds[0]! : 0;
    const yLast = needV ? vert.bounds[(height - 1) * 2]! + vert.bounds[(height - 1) * 2 + 1]! : inH;
    const tmpH = yLast - yFirst;
    const tmp = new Uint8Array(width * tmpH * C);
    const { ksize, bounds, kk } = horiz;
    const half = 1 << (PRECISION_BITS - 1);
    for (let y = 0; y < tmpH; y++) {
      const inRow = (y + yFirst) * inW * C;
      const outRow = y * width * C;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[xx * 2]!;
        const xmax = bounds[xx * 2 + 1]!;
        const k0 = xx * ksize;
        for (let c = 0; c < C; c++) {
          let ss = half;
          let p = inRow + xmin * C + c;
          for (let x = 0; x < xmax; x++, p += C) ss += data[p]! * kk[k0 + x]!;
          tmp[outRow + xx * C + c] = clip8(ss);
        }
      }
    }
    src = tmp;
    srcH = tmpH;
    rowOffset = yFirst;
  }
  if (!needV) return { data: src, width, height, channels: C };

  const out = new Uint8Array(width * height * C);
  const { ksize, bounds, kk } = vert;
  const half = 1 << (PRECISION_BITS - 1);
  const stride = width * C;
  void srcH;
  for (let yy = 0; yy < height; yy++) {
    const ymin = bounds[yy * 2]! - rowOffset;
    const ymax = bounds[yy * 2 + 1]!;
    const k0 = yy * ksize;
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) {
      let ss = half;
      let p = ymin * stride + i;
      for (let y = 0; y < ymax; y++, p += stride) ss += src[p]! * kk[k0 + y]!;
      out[outRow + i] = clip8(ss);
    }
  }
  return { data: out, width, height, channels: C };
}
