import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSegments, probeMedia, segmentsFromBounds, frameTimesFor, type MediaProbe } from "@scenecap/media";
import { makeCutsClip, makeGif, makeTransportStream, tempDir, writeImages } from "./fixtures.js";
import { extractFrames } from "@scenecap/media";

const t = tempDir("segments");
const clip = t.file("cuts.mp4");
const gif = t.file("anim.gif");
let probe: MediaProbe;
const FRAME = 1 / 25;

beforeAll(async () => {
  makeCutsClip(clip);
  makeGif(gif);
  probe = await probeMedia(clip);
});
afterAll(() => t.cleanup());

describe("planSegments: time", () => {
  it("defaults to 10 s segments with one mid-segment frame", async () => {
    const segs = await planSegments(clip, probe);
    expect(segs).toHaveLength(1);
    expect(segs[0]).toMatchObject({ index: 0, startTime: 0 });
    expect(segs[0]!.endTime).toBeCloseTo(7, 1);
    expect(segs[0]!.frameTimes[0]).toBeCloseTo(3.5, 1);
  });

  it("cuts at every interval and ends at the duration", async () => {
    const segs = await planSegments(clip, probe, { splitMethod: "time", timeSplitInterval: 3 });
    expect(segs.map((s) => [s.startTime, s.endTime])).toEqual([[0, 3], [3, 6], [6, probe.durationSec]]);
    expect(segs.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(segs[1]!.frameTimes).toEqual([4.5]);
  });

  it("spreads several frames per segment evenly", async () => {
    const segs = await planSegments(clip, probe, { timeSplitInterval: 4, framesPerSegment: 2 });
    expect(segs[0]!.frameTimes).toEqual([1, 3]);
  });

  it("rejects nonsense options with a clear error", async () => {
    await expect(planSegments(clip, probe, { timeSplitInterval: 0 })).rejects.toThrow(/timeSplitInterval/);
    await expect(planSegments(clip, probe, { framesPerSegment: 1.5 })).rejects.toThrow(/framesPerSegment/);
    await expect(planSegments(clip, probe, { splitMethod: "scene", sceneDetectionThreshold: 2 })).rejects.toThrow(/sceneDetectionThreshold/);
    await expect(planSegments(clip, probe, { splitMethod: "shot" as "time" })).rejects.toThrow(/splitMethod/);
  });
});

describe("planSegments: scene", () => {
  it("finds the hard cuts within one frame", async () => {
    const segs = await planSegments(clip, probe, { splitMethod: "scene" });
    expect(segs).toHaveLength(3);
    expect(segs[0]!.startTime).toBe(0);
    expect(Math.abs(segs[0]!.endTime - 2)).toBeLessThanOrEqual(FRAME);
    expect(segs[1]!.startTime).toBe(segs[0]!.endTime);
    expect(Math.abs(segs[1]!.endTime - 5)).toBeLessThanOrEqual(FRAME);
    expect(segs[2]!.endTime).toBe(probe.durationSec);
    for (const s of segs) expect(s.frameTimes[0]).toBeCloseTo((s.startTime + s.endTime) / 2, 5);
  });

  it("a threshold above every score gives one segment", async () => {
    const segs = await planSegments(clip, probe, { splitMethod: "scene", sceneDetectionThreshold: 0.99 });
    expect(segs).toHaveLength(1);
  });

  it("subdivides scenes longer than maxSegmentDuration evenly", async () => {
    const segs = await planSegments(clip, probe, { splitMethod: "scene", maxSegmentDuration: 1.6 });
    // 2 s → 2 × 1 s; 3 s → 2 × 1.5 s; 2 s → 2 × 1 s (limit 1.6 s)
    expect(segs).toHaveLength(6);
    for (const s of segs) expect(s.endTime - s.startTime).toBeLessThanOrEqual(1.6 + 1e-6);
    expect(segs[2]!.endTime - segs[2]!.startTime).toBeCloseTo(1.5, 1);
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.startTime).toBe(segs[i - 1]!.endTime);
  });

  it("measures cut times from the start of the media when the container starts later (MPEG-TS)", async () => {
    const ts = t.file("cuts.ts");
    makeTransportStream(ts, clip);
    const p = await probeMedia(ts);
    expect(p.startTimeSec).toBeGreaterThan(1);
    const segs = await planSegments(ts, p, { splitMethod: "scene" });
    expect(segs).toHaveLength(3);
    expect(Math.abs(segs[0]!.endTime - 2)).toBeLessThanOrEqual(FRAME);
    expect(Math.abs(segs[1]!.endTime - 5)).toBeLessThanOrEqual(FRAME);
    // Frame times share that origin: the middle of the second scene is blue.
    const [mid] = await extractFrames(ts, segs[1]!.frameTimes, { probe: p });
    const o = (60 * mid!.width + 80) * 3;
    expect(mid!.data[o + 2]).toBeGreaterThan(200);
    expect(mid!.data[o]).toBeLessThan(40);
  });

  it("works on an animated GIF", async () => {
    const p = await probeMedia(gif);
    const segs = await planSegments(gif, p, { splitMethod: "scene" });
    expect(segs).toHaveLength(2);
    expect(Math.abs(segs[0]!.endTime - 1)).toBeLessThanOrEqual(0.1);
  });
});

describe("planSegments: images and helpers", () => {
  it("an image is one segment at 0", async () => {
    const images = await writeImages(t);
    const p = await probeMedia(images.plainJpeg);
    expect(await planSegments(images.plainJpeg, p, { splitMethod: "scene" })).toEqual([{ index: 0, startTime: 0, endTime: 0, frameTimes: [0] }]);
  });

  it("drops zero-length segments and splits long ones", () => {
    const segs = segmentsFromBounds([0, 2, 2, 10], 4, 1);
    expect(segs.map((s) => [s.index, s.startTime, s.endTime])).toEqual([[0, 0, 2], [1, 2, 6], [2, 6, 10]]);
    expect(frameTimesFor(0, 9, 3)).toEqual([1.5, 4.5, 7.5]);
  });
});
