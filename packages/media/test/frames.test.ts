import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractFrames, makeThumbnail, probeMedia, planSegments } from "@scenecap/media";
import sharp from "sharp";
import { makeCutsClip, makeGif, makeRotatedClip, makeSlowGif, makeTransparentGif, makeVfrClip, meanColour, near, pixel, tempDir, writeImages } from "./fixtures.js";

const t = tempDir("frames");
const f = { cuts: t.file("cuts.mp4"), rotated: t.file("rotated.mp4"), vfr: t.file("vfr.mp4"), gif: t.file("anim.gif") };
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const GREEN = [0, 128, 0]; // lavfi "green" is #008000

beforeAll(() => {
  makeCutsClip(f.cuts);
  makeRotatedClip(f.rotated, t.file("unrotated.mp4"));
  makeVfrClip(f.vfr);
  makeGif(f.gif);
});
afterAll(() => t.cleanup());

describe("extractFrames", () => {
  it("returns each scene's mid frame in the scene's colour, in the order asked", async () => {
    const probe = await probeMedia(f.cuts);
    const segs = await planSegments(f.cuts, probe, { splitMethod: "scene" });
    const times = segs.flatMap((s) => s.frameTimes);
    const frames = await extractFrames(f.cuts, [...times].reverse(), { probe });
    expect(frames).toHaveLength(3);
    for (const fr of frames) {
      expect([fr.width, fr.height]).toEqual([160, 120]);
      expect(fr.data.byteLength).toBe(160 * 120 * 3);
    }
    const [testsrc, blue, red] = frames.map(meanColour);
    expect(near(red!, RED)).toBe(true);
    expect(near(blue!, BLUE)).toBe(true);
    expect(near(testsrc!, RED) || near(testsrc!, BLUE)).toBe(false);
  });

  it("decodes more frames than one batch holds, and repeated times", async () => {
    const times = [0.1, 1.9, 2.1, 4.9, 5.1, 0.5, 3, 3, 1, 4];
    const frames = await extractFrames(f.cuts, times, { batchSize: 3, concurrency: 2 });
    const expected = times.map((s) => (s < 2 ? RED : s < 5 ? BLUE : null));
    frames.forEach((fr, i) => {
      const want = expected[i];
      if (want) expect(near(meanColour(fr), want), `frame at ${times[i]} s`).toBe(true);
    });
  });

  it("clamps times at or past the end to the last frame", async () => {
    const [end, past, last] = await extractFrames(f.cuts, [7, 120, 6.97]);
    expect(end!.data).toEqual(past!.data);
    expect(end!.data).toEqual(last!.data);
    expect(near(meanColour(end!), BLUE)).toBe(false);
  });

  it("keyframe mode returns the keyframe at or before each time", async () => {
    const frames = await extractFrames(f.cuts, [1.9, 4.5, 6.9, 30], { seekMode: "keyframe" });
    expect(frames.map((fr) => fr.data.byteLength)).toEqual([57600, 57600, 57600, 57600]);
    expect(near(meanColour(frames[0]!), RED)).toBe(true);
    expect(near(meanColour(frames[1]!), BLUE)).toBe(true);
    expect(near(meanColour(frames[2]!), RED) || near(meanColour(frames[2]!), BLUE)).toBe(false);
    await expect(extractFrames(f.cuts, [1], { seekMode: "fast" as "exact" })).rejects.toThrow(RangeError);
  });

  it("gives every frame its own ArrayBuffer, so frames can be transferred to worker threads", async () => {
    const frames = await extractFrames(f.cuts, [0.5, 1.5, 3, 6.5], { maxWidth: 64 });
    const buffers = new Set(frames.map((fr) => fr.data.buffer));
    expect(buffers.size).toBe(frames.length);
    for (const fr of frames) {
      expect(fr.data.byteOffset).toBe(0);
      expect(fr.data.buffer.byteLength).toBe(fr.data.byteLength);
    }
  });

  it("scales down to maxWidth keeping the aspect ratio", async () => {
    const [fr] = await extractFrames(f.cuts, [1], { maxWidth: 80 });
    expect([fr!.width, fr!.height]).toEqual([80, 60]);
    expect(fr!.data.byteLength).toBe(80 * 60 * 3);
    const [big] = await extractFrames(f.cuts, [1], { maxWidth: 1000 });
    expect(big!.width).toBe(160);
  });

  it("applies the display rotation: dimensions swap and the picture turns with them", async () => {
    const probe = await probeMedia(f.rotated);
    const [fr] = await extractFrames(f.rotated, [0.5], { probe });
    expect([fr!.width, fr!.height]).toEqual([120, 160]);
    expect(fr!.data.byteLength).toBe(120 * 160 * 3);
    // The red top half ends up on the right after a clockwise quarter turn, on the left after 270°.
    const left = pixel(fr!, 10, 80);
    const right = pixel(fr!, 110, 80);
    if (probe.rotation === 90) {
      expect(near(right, RED) && near(left, BLUE)).toBe(true);
    } else {
      expect(probe.rotation).toBe(270);
      expect(near(left, RED) && near(right, BLUE)).toBe(true);
    }
  });

  it("follows timestamps in a variable-frame-rate clip", async () => {
    const frames = await extractFrames(f.vfr, [0.05, 1.95, 2.02, 3.5, 50]);
    expect(frames.map((fr) => near(meanColour(fr), RED))).toEqual([true, true, false, false, false]);
    expect(frames.slice(2).every((fr) => near(meanColour(fr), GREEN))).toBe(true);
  });

  it("reads animated GIF frames", async () => {
    const frames = await extractFrames(f.gif, [0.5, 1.5, 9]);
    expect(frames.map((fr) => [fr.width, fr.height])).toEqual([[64, 48], [64, 48], [64, 48]]);
    expect(near(meanColour(frames[0]!), RED)).toBe(true);
    expect(near(meanColour(frames[1]!), BLUE)).toBe(true);
    expect(near(meanColour(frames[2]!), BLUE)).toBe(true);
  });

  it("flattens GIF transparency onto white, as decodeImage does", async () => {
    const gif = t.file("transparent.gif");
    makeTransparentGif(gif);
    const [first, second] = await extractFrames(gif, [0.2, 0.7]);
    expect(pixel(first!, 5, 20)).toEqual([255, 255, 255]);
    expect(near(pixel(first!, 50, 20), RED)).toBe(true);
    expect(pixel(second!, 5, 20)).toEqual([255, 255, 255]);
    expect(near(pixel(second!, 50, 20), BLUE)).toBe(true);
  });

  it("returns the GIF frame on screen at each time when frames last long", async () => {
    const gif = t.file("slow.gif");
    await makeSlowGif(gif);
    const probe = await probeMedia(gif);
    expect(probe.fps).toBeCloseTo(2, 1);
    const frames = await extractFrames(gif, [0, 0.25, 0.45, 0.55, 0.9, 5], { probe });
    expect(frames.map((fr) => near(meanColour(fr), RED))).toEqual([true, true, true, false, false, false]);
    expect(frames.slice(3).every((fr) => near(meanColour(fr), BLUE))).toBe(true);
  });

  it("gives the decoded image for every time when the file is a still image", async () => {
    const images = await writeImages(t);
    const frames = await extractFrames(images.exifJpeg, [0, 5]);
    expect(frames.map((fr) => [fr.width, fr.height])).toEqual([[20, 40], [20, 40]]);
  });

  it("returns nothing for no times and rejects bad ones", async () => {
    expect(await extractFrames(f.cuts, [])).toEqual([]);
    await expect(extractFrames(f.cuts, [Number.NaN])).rejects.toThrow(TypeError);
    await expect(extractFrames(f.cuts, [1], { maxWidth: 0 })).rejects.toThrow(RangeError);
    await expect(extractFrames(f.cuts, [1], { concurrency: 0 })).rejects.toThrow(RangeError);
  });
});

describe("makeThumbnail", () => {
  it("encodes a 640-wide JPEG of the frame", async () => {
    const [fr] = await extractFrames(f.cuts, [1]);
    const jpeg = await makeThumbnail(fr!);
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe("jpeg");
    expect([meta.width, meta.height]).toEqual([640, 480]);
    const { data } = await sharp(jpeg).resize(1, 1).raw().toBuffer({ resolveWithObject: true });
    expect(near([...data], RED, 30)).toBe(true);
  });

  it("takes another width and rejects malformed frames", async () => {
    const [fr] = await extractFrames(f.rotated, [0.5]);
    const meta = await sharp(await makeThumbnail(fr!, 300)).metadata();
    expect([meta.width, meta.height]).toEqual([300, 400]);
    await expect(makeThumbnail({ data: new Uint8Array(10), width: 4, height: 4 })).rejects.toThrow(TypeError);
  });
});
