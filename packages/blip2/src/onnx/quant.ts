/**
 * Block-wise round-to-nearest weight quantization in the layout of the com.microsoft `MatMulNBits` operator:
 * the weight keeps its nn.Linear orientation `[N = out, K = in]`, each row is cut into blocks of `blockSize`
 * along K (the last block zero-padded), codes are packed low nibble first (4-bit) or one per byte (8-bit).
 */
export interface QuantizedWeight {
  /** uint8 [N, blocksPerRow, blockSize * bits / 8] */
  data: Uint8Array;
  /** float32 [N * blocksPerRow] */
  scales: Float32Array;
  /** uint8 packed zero points [N * ceil(blocksPerRow * bits / 8)], absent when symmetric. */
  zeroPoints: Uint8Array | null;
  n: number;
  k: number;
  blocksPerRow: number;
  blockSize: number;
  bits: 4 | 8;
}

export interface QuantizeOptions {
  bits?: 4 | 8;
  /** @defaultValue 32 */
  blockSize?: number;
  /** Symmetric: no zero points (implicit mid-range code). @defaultValue true */
  symmetric?: boolean;
}

export function quantizeBlockwise(w: Float32Array, n: number, k: number, opts: QuantizeOptions = {}): QuantizedWeight {
  const bits = opts.bits ?? 4;
  const bs = opts.blockSize ?? 32;
  const symmetric = opts.symmetric ?? true;
  if (w.length !== n * k) throw new Error(`quantize: ${w.length} values do not match [${n}, ${k}]`);
  if (bs < 16 || (bs & (bs - 1)) !== 0) throw new Error(`quantize: block size ${bs} must be a power of two ≥ 16`);
  const nb = Math.ceil(k / bs);
  const bytesPerBlock = (bs * bits) / 8;
  const maxCode = (1 << bits) - 1;
  const mid = 1 << (bits - 1);
  const data = new Uint8Array(n * nb * bytesPerBlock);
  const scales = new Float32Array(n * nb);
  const zpPerRow = Math.ceil((nb * bits) / 8);
  const zeroPoints = symmetric ? null : new Uint8Array(n * zpPerRow);
  const codes = new Uint8Array(bs);
  for (let r = 0; r < n; r++) {
    const row = r * k;
    for (let b = 0; b < nb; b++) {
      const start = b * bs;
      const end = Math.min(start + bs, k);
      let scale: number;
      let zp: number;
      if (symmetric) {
        let amax = 0;
        for (let i = start; i < end; i++) {
          const a = Math.abs(w[row + i]!);
          if (a > amax) amax = a;
        }
        // Codes span [-mid, mid-1] around zp = mid; use the positive side's reach.
        scale = amax / (mid - 1);
        zp = mid;
      } else {
        let lo = 0;
        let hi = 0;
        for (let i = start; i < end; i++) {
          const v = w[row + i]!;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        scale = (hi - lo) / maxCode;
        zp = scale > 0 ? Math.min(maxCode, Math.max(0, Math.round(-lo / scale))) : mid;
      }
      const sIdx = r * nb + b;
      scales[sIdx] = scale;
      const inv = scale > 0 ? 1 / scale : 0;
      codes.fill(zp);
      for (let i = start; i < end; i++) {
        const q = Math.round(w[row + i]! * inv) + zp;
        codes[i - start] = q < 0 ? 0 : q > maxCode ? maxCode : q;
      }
      const base = sIdx * bytesPerBlock;
      if (bits === 4) {
        for (let i = 0; i < bytesPerBlock; i++) data[base + i] = codes[2 * i]! | (codes[2 * i + 1]! << 4);
      } else {
        data.set(codes.subarray(0, bs), base);
      }
      if (zeroPoints) {
        if (bits === 4) {
          const zi = r * zpPerRow + (b >> 1);
          zeroPoints[zi] = b & 1 ? zeroPoints[zi]! | (zp << 4) : zp;
        } else {
          zeroPoints[r * zpPerRow + b] = zp;
        }
      }
    }
  }
  return { data, scales, zeroPoints, n, k, blocksPerRow: nb, blockSize: bs, bits };
}

/** Reference dequantization (tests): back to float32 [N, K]. */
export function dequantizeBlockwise(q: QuantizedWeight): Float32Array {
  const { n, k, blocksPerRow: nb, blockSize: bs, bits } = q;
  const out = new Float32Array(n * k);
  const bytesPerBlock = (bs * bits) / 8;
  const zpPerRow = Math.ceil((nb * bits) / 8);
  const mid = 1 << (bits - 1);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < nb; b++) {
      const sIdx = r * nb + b;
      const scale = q.scales[sIdx]!;
      let zp = mid;
      if (q.zeroPoints) {
        if (bits === 4) {
          const z = q.zeroPoints[r * zpPerRow + (b >> 1)]!;
          zp = b & 1 ? z >> 4 : z & 15;
        } else zp = q.zeroPoints[r * zpPerRow + b]!;
      }
      for (let i = 0; i < bs && b * bs + i < k; i++) {
        const byte = q.data[sIdx * bytesPerBlock + (bits === 4 ? i >> 1 : i)]!;
        const code = bits === 4 ? (i & 1 ? byte >> 4 : byte & 15) : byte;
        out[r * k + b * bs + i] = (code - zp) * scale;
      }
    }
  }
  return out;
}

/** Row-major transpose of a [rows, cols] matrix. */
export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const tile = 64;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(r0 + tile, rows);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(c0 + tile, cols);
      for (let r = r0; r < r1; r++) {
        const srow = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[srow + c]!;
      }
    }
  }
  return out;
}
