import sharp from "sharp";
import { probeMedia, extractFrames } from "@scenecap/media";
const w = 20, h = 10, n = 2;
const raw = Buffer.alloc(w * h * n * 4);
for (let p = 0; p < n; p++) for (let y = 0; y < h; y++) for (let x = 10; x < 20; x++) { const o = ((p * h + y) * w + x) * 4; raw[o + (p === 0 ? 0 : 2)] = 255; raw[o + 3] = 255; }
await sharp(raw, { raw: { width: w, height: h * n, channels: 4, pageHeight: h } as any }).gif({ delay: [500, 500] }).toFile("/tmp/mx/t.gif");
const p = await probeMedia("/tmp/mx/t.gif"); console.log(p.kind, p.durationSec, p.width, p.height);
const fr = await extractFrames("/tmp/mx/t.gif", [0.2, 0.7]);
for (const f of fr) console.log([...f.data.slice(0, 3)], [...f.data.slice(15 * 3, 15 * 3 + 3)]);
