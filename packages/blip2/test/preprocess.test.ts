import { readFile } from "node:fs/promises";
import { crc32, deflateSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  decodeImage,
  ImageDecodeError,
  loadImageProcessorConfig,
  pillowResize,
  preprocessImages,
  toRgb,
} from "../src/preprocess/index.js";

const fixture = fileURLToPath(new URL("./fixtures/blip2-tiny/", import.meta.url));

interface TensorEntry {
  name: string;
  file: string;
  dtype: string;
  shape: number[];
  image?: number;
}
interface Manifest {
  images: { file: string; mode: string; width: number; height: number }[];
  tensors: TensorEntry[];
  tolerances: { pixel_values_abs: number };
}

async function manifest(): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(fixture, "expected/manifest.json"), "utf8")) as Manifest;
}

async function readF32(file: string): Promise<Float32Array> {
  const buf = await readFile(path.join(fixture, file));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

describe("BlipImageProcessor parity (Pillow bicubic)", () => {
  it("reproduces pixel_values of every fixture image within the manifest tolerance", async () => {
    const m = await manifest();
    const config = await loadImageProcessorConfig(fixture);
    const entries = m.tensors.filter((t) => t.name.endsWith(".pixel_values"));
    expect(entries.length).toBe(m.images.length);
    for (const t of entries) {
      const img = m.images[t.image!]!;
      const bytes = await readFile(path.join(fixture, img.file));
      const { pixelValues } = await preprocessImages([bytes], config);
      const expected = await readF32(t.file);
      expect(pixelValues.length).toBe(expected.length);
      let maxErr = 0;
      for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(pixelValues[i]! - expected[i]!));
      expect(maxErr, `${t.name} (${img.mode})`).toBeLessThanOrEqual(m.tolerances.pixel_values_abs);
    }
  });

  it("gives the same values for raw RGB frames as for the encoded file", async () => {
    const m = await manifest();
    const img = m.images[0]!;
    const bytes = await readFile(path.join(fixture, img.file));
    const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const raw = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 as const };
    const a = await preprocessImages([bytes]);
    const b = await preprocessImages([raw]);
    expect(b.pixelValues).toEqual(a.pixelValues);
  });

  it("batches images in order", async () => {
    const m = await manifest();
    const files = await Promise.all(m.images.map((i) => readFile(path.join(fixture, i.file))));
    const batch = await preprocessImages(files);
    expect(batch.batch).toBe(files.length);
    const single = await preprocessImages([files[1]!]);
    const plane = 3 * batch.height * batch.width;
    expect(batch.pixelValues.subarray(plane, 2 * plane)).toEqual(single.pixelValues);
  });
});

describe("RGB conversion", () => {
  it("replicates grayscale and drops alpha without compositing", () => {
    const gray = toRgb({ data: Uint8Array.from([10, 200]), width: 2, height: 1, channels: 1 });
    expect([...gray.data]).toEqual([10, 10, 10, 200, 200, 200]);
    const la = toRgb({ data: Uint8Array.from([7, 0]), width: 1, height: 1, channels: 2 });
    expect([...la.data]).toEqual([7, 7, 7]);
    const rgba = toRgb({ data: Uint8Array.from([1, 2, 3, 0]), width: 1, height: 1, channels: 4 });
    expect([...rgba.data]).toEqual([1, 2, 3]);
  });

  it("decodes a grayscale+alpha PNG like Pillow's convert('RGB')", async () => {
    const png = await sharp(Buffer.from([50, 0, 150, 255]), { raw: { width: 2, height: 1, channels: 2 } })
      .png()
      .toBuffer();
    const out = await preprocessImages([png], {
      ...(await loadImageProcessorConfig(fixture)),
      doNormalize: false,
      doRescale: false,
      height: 1,
      width: 2,
    });
    expect([...out.pixelValues]).toEqual([50, 150, 50, 150, 50, 150]);
  });
});

describe("Pillow resize", () => {
  it("is the identity at the same size and keeps constant images constant", () => {
    const data = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256);
    expect(pillowResize({ data, width: 5, height: 4, channels: 3 }, 5, 4).data).toEqual(data);
    const flat = new Uint8Array(7 * 9 * 3).fill(77);
    const up = pillowResize({ data: flat, width: 7, height: 9, channels: 3 }, 20, 3);
    expect(up.data.every((v) => v === 77)).toBe(true);
  });

  it("matches a hand-computed Pillow bicubic downscale (2→1 averages with the antialiased kernel)", () => {
    // 4 px → 2 px: scale 2, support 4; each output weights its four nearest inputs symmetrically.
    const out = pillowResize({ data: Uint8Array.from([0, 0, 255, 255]), width: 4, height: 1, channels: 1 }, 2, 1);
    expect(out.data[0]).toBeLessThan(out.data[1]!);
    expect(out.data[0]! + out.data[1]!).toBe(255);
  });
});

/** Insert a PNG chunk right after IHDR. */
function withChunk(png: Buffer, type: string, data: Buffer): Buffer {
  const ihdrEnd = 8 + 8 + png.readUInt32BE(8) + 4;
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([png.subarray(0, ihdrEnd), head, data, crc, png.subarray(ihdrEnd)]);
}

describe("decoding like Pillow", () => {
  it("ignores embedded ICC profiles (Pillow does not colour-manage)", async () => {
    const raw = Buffer.from(Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 53) % 256));
    const plain = await sharp(raw, { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer();
    const icc = (await sharp(await sharp(raw, { raw: { width: 4, height: 4, channels: 3 } }).withIccProfile("p3").png().toBuffer()).metadata()).icc!;
    const tagged = withChunk(plain, "iCCP", Buffer.concat([Buffer.from("p3\0\0", "latin1"), deflateSync(icc)]));
    expect((await sharp(tagged).metadata()).icc).toBeDefined();
    // a colour-managed decode would change the samples; ours keeps them
    const managed = await sharp(tagged).raw().toBuffer();
    expect(managed.equals(raw)).toBe(false);
    const decoded = await decodeImage(tagged);
    expect(Buffer.from(decoded.data).equals(raw)).toBe(true);
  });

  it("applies EXIF orientation", async () => {
    const raw = Buffer.from(Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 10));
    const jpeg = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const decoded = await decodeImage(jpeg);
    expect([decoded.width, decoded.height]).toEqual([2, 4]);
  });
});

describe("bad input", () => {
  it("rejects corrupt bytes, empty batches and inconsistent raw frames with clear errors", async () => {
    await expect(preprocessImages([Uint8Array.from([1, 2, 3, 4])])).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(preprocessImages([Uint8Array.from([1, 2, 3, 4])])).rejects.toThrow(/image 0: cannot decode image/);
    await expect(preprocessImages([])).rejects.toThrow(/empty/);
    await expect(
      preprocessImages([{ data: new Uint8Array(10), width: 2, height: 2, channels: 3 }]),
    ).rejects.toThrow(/expected 2x2x3 = 12/);
  });
});

describe("Pillow references (convert('RGB') + bicubic resize)", () => {
  const refDir = fileURLToPath(new URL("./fixtures/pillow-reference/", import.meta.url));
  it("reproduces Pillow's bytes for every reference image", async () => {
    const { cases } = JSON.parse(await readFile(path.join(refDir, "cases.json"), "utf8")) as {
      cases: { image: string; mode: string; width: number; height: number; resize_to: [number, number]; expected_rgb: string }[];
    };
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const rgb = toRgb(await decodeImage(await readFile(path.join(refDir, c.image))));
      expect([rgb.width, rgb.height], c.image).toEqual([c.width, c.height]);
      const out = pillowResize(rgb, c.resize_to[0], c.resize_to[1]);
      const expected = await readFile(path.join(refDir, c.expected_rgb));
      expect(Buffer.from(out.data).equals(expected), `${c.image} (${c.mode})`).toBe(true);
    }
  });
});
