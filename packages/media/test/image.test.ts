import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeImage, FLATTEN_BACKGROUND, MediaError } from "@scenecap/media";
import sharp from "sharp";
import { near, pixel, tempDir, writeImages } from "./fixtures.js";

const t = tempDir("image");
let images: Awaited<ReturnType<typeof writeImages>>;
beforeAll(async () => {
  images = await writeImages(t);
});
afterAll(() => t.cleanup());

describe("decodeImage", () => {
  it("flattens transparency onto white", async () => {
    const fr = await decodeImage(images.alphaPng);
    expect([fr.width, fr.height]).toEqual([20, 10]);
    expect(fr.data.byteLength).toBe(20 * 10 * 3);
    expect(pixel(fr, 2, 5)).toEqual([FLATTEN_BACKGROUND.r, FLATTEN_BACKGROUND.g, FLATTEN_BACKGROUND.b]);
    expect(pixel(fr, 15, 5)).toEqual([0, 255, 0]);
  });

  it("applies EXIF orientation 6 (a clockwise quarter turn)", async () => {
    expect((await sharp(images.exifJpeg).metadata()).orientation).toBe(6);
    const fr = await decodeImage(images.exifJpeg);
    expect([fr.width, fr.height]).toEqual([20, 40]);
    // Red was on top: after turning clockwise it is on the right.
    expect(near(pixel(fr, 17, 20), [255, 0, 0], 40)).toBe(true);
    expect(near(pixel(fr, 2, 20), [0, 0, 255], 40)).toBe(true);
  });

  it("reduces 16-bit PNG to 8-bit", async () => {
    expect((await sharp(images.png16).metadata()).depth).toBe("ushort");
    const fr = await decodeImage(images.png16);
    expect(fr.data.byteLength).toBe(16 * 8 * 3);
    expect(near(pixel(fr, 3, 3), [255, 128, 0], 2)).toBe(true);
  });

  it("converts CMYK to sRGB", async () => {
    expect((await sharp(images.cmykJpeg).metadata()).space).toBe("cmyk");
    const fr = await decodeImage(images.cmykJpeg);
    expect(fr.data.byteLength).toBe(16 * 8 * 3);
    const [r, g, b] = pixel(fr, 8, 4);
    expect(r).toBeGreaterThan(170);
    expect(g).toBeLessThan(80);
    expect(b).toBeLessThan(80);
  });

  it("decodes from bytes and scales down to maxWidth", async () => {
    const fr = await decodeImage(new Uint8Array(readFileSync(images.plainJpeg)), { maxWidth: 10 });
    expect([fr.width, fr.height]).toEqual([10, 5]);
  });

  it("rejects garbage, empty and missing input with a MediaError", async () => {
    const junk = decodeImage(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    await expect(junk).rejects.toBeInstanceOf(MediaError);
    await expect(decodeImage(new Uint8Array(0))).rejects.toMatchObject({ code: "empty_file" });
    await expect(decodeImage(t.file("missing.png"))).rejects.toMatchObject({ code: "not_found" });
  });
});
