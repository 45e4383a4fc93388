import { join } from "node:path";
import { Blip2Weights } from "./checkpoint/weights.js";
import type { Blip2Model, LoadModelOptions } from "./model-types.js";
import { buildGraphs, type BuildOptions, type BuildReport } from "./onnx/build.js";
import { OnnxBlip2Model } from "./runtime/blip2-model.js";

export { buildGraphs };
export type { BuildOptions, BuildReport };

/**
 * Load a BLIP-2 (OPT) checkpoint directory for inference: read config.json and the safetensors headers,
 * build the ONNX graphs for the requested precision (or reuse the cached build in
 * `<modelDir>/onnx/<precision>/` / `cacheDir`), and open ONNX Runtime sessions on the chosen device.
 */
export async function loadBlip2Model(modelDir: string, options: LoadModelOptions = {}): Promise<Blip2Model> {
  const precision = options.precision ?? "fp32";
  const log = options.log ?? (() => {});
  const weights = Blip2Weights.open(modelDir);
  const dims = weights.dims();
  const { vision, qformer } = weights.config;
  const grid = vision.imageSize / vision.patchSize;
  const visionDims = { numTokens: grid * grid + 1, hiddenSize: vision.hiddenSize, qformerHiddenSize: qformer.hiddenSize };
  weights.close();
  const report = await buildGraphs(modelDir, {
    precision,
    outDir: options.cacheDir ?? join(modelDir, "onnx", precision),
    log,
    ...options.quantization,
  });
  return OnnxBlip2Model.open(report.files, dims, visionDims, precision, options.device ?? "auto", log);
}
