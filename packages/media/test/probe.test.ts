import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { decodeImage, probeMedia } from "@scenecap/media";
import { makeCutsClip, makeGif, makeRotatedClip, makeStreamedWebm, makeVfrClip, tempDir, writeImages, ffmpeg } from "./fixtures.js";

const t = tempDir("probe");
const f = {
  cuts: t.file("cuts.mp4"),
  rotated: t.file("rotated.mp4"),
  vfr: t.file("vfr.mp4"),
  gif: t.file("anim.gif"),
  stillGif: t.file("still.gif"),
  webm: t.file("streamed.webm"),
};
let images: Awaited<ReturnType<typeof writeImages>>;

beforeAll(async () => {
  makeCutsClip(f.cuts);
  makeRotatedClip(f.rotated, t.file("unrotated.mp4"));
  makeVfrClip(f.vfr);
  makeGif(f.gif);
  makeStreamedWebm(f.webm);
  ffmpeg(["-f", "lavfi", "-i", "color=red:s=32x16", "-frames:v", "1", f.stillGif]);
  images = await writeImages(t);
});
afterAll(() => t.cleanup());

describe("probeMedia", () => {
  it("describes a video with audio", async () => {
    const p = await probeMedia(f.cuts);
    expect(p.kind).toBe("video");
    expect(p.durationSec).toBeCloseTo(7, 1);
    expect([p.width, p.height]).toEqual([160, 120]);
    expect(p.rotation).toBe(0);
    expect(p.fps).toBeCloseTo(25, 3);
    expect(p.variableFrameRate).toBe(false);
    expect(p.hasAudio).toBe(true);
    expect(p.videoCodec).toBe("h264");
    expect(p.formatName).toContain("mp4");
  });

  it("reports display rotation and swaps the dimensions", async () => {
    const p = await probeMedia(f.rotated);
    expect([90, 270]).toContain(p.rotation);
    expect([p.width, p.height]).toEqual([120, 160]);
    expect([p.codedWidth, p.codedHeight]).toEqual([160, 120]);
    expect(p.hasAudio).toBe(false);
  });

  it("flags a variable frame rate", async () => {
    const p = await probeMedia(f.vfr);
    expect(p.kind).toBe("video");
    expect(p.variableFrameRate).toBe(true);
    // 20 frames over the first 2 s and 60 over the next 2 s: the average lies between 10 and 30.
    expect(p.fps).toBeGreaterThan(10);
    expect(p.fps).toBeLessThan(30);
  });

  it("reads the duration from the packets when the header has none (streamed WebM)", async () => {
    const p = await probeMedia(f.webm);
    expect(p.kind).toBe("video");
    expect(p.videoCodec).toBe("vp8");
    expect(p.durationSec).not.toBeNull();
    expect(Math.abs(p.durationSec! - 3)).toBeLessThanOrEqual(0.05);
  });

  it("treats AVIF (an ISO-BMFF still ffmpeg reads as a video track) as an image", async () => {
    const avif = t.file("still.avif");
    await sharp({ create: { width: 32, height: 16, channels: 3, background: { r: 0, g: 0, b: 255 } } }).avif().toFile(avif);
    const p = await probeMedia(avif);
    expect(p).toMatchObject({ kind: "image", durationSec: null, width: 32, height: 16 });
    const frame = await decodeImage(avif);
    expect(frame.data[2]).toBeGreaterThan(200);
  });

  it("treats an animated WebP (which ffmpeg cannot decode) as an image of its first frame", async () => {
    const webp = t.file("anim.webp");
    await sharp(f.gif, { animated: true }).webp().toFile(webp);
    expect((await sharp(webp).metadata()).pages).toBeGreaterThan(1);
    const p = await probeMedia(webp);
    expect(p).toMatchObject({ kind: "image", width: 64, height: 48 });
  });

  it("treats an animated GIF as a video and a one-frame GIF as an image", async () => {
    const anim = await probeMedia(f.gif);
    expect(anim.kind).toBe("video");
    expect(anim.durationSec).toBeCloseTo(2, 1);
    expect(anim.videoCodec).toBe("gif");
    const still = await probeMedia(f.stillGif);
    expect(still.kind).toBe("image");
    expect(still.durationSec).toBeNull();
    expect([still.width, still.height]).toEqual([32, 16]);
  });

  it("describes still images, honouring EXIF orientation", async () => {
    const png = await probeMedia(images.alphaPng);
    expect(png).toMatchObject({ kind: "image", durationSec: null, fps: null, width: 20, height: 10, rotation: 0, hasAudio: false });
    const jpeg = await probeMedia(images.exifJpeg);
    expect(jpeg).toMatchObject({ kind: "image", width: 20, height: 40, rotation: 90 });
    const cmyk = await probeMedia(images.cmykJpeg);
    expect(cmyk).toMatchObject({ kind: "image", width: 16, height: 8 });
    const deep = await probeMedia(images.png16);
    expect(deep).toMatchObject({ kind: "image", width: 16, height: 8 });
  });
});
