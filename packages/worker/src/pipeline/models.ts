import { stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { PermanentJobError } from "../errors.js";

/**
 * `model_id` → checkpoint directory: an absolute path is used as is, a Hugging Face id resolves to
 * `<modelsDir>/<model_id>/`. A missing model is a permanent error that says how to get it.
 */
export async function resolveModelDir(modelId: string, modelsDir: string): Promise<string> {
  if (modelId.includes("\0") || (!isAbsolute(modelId) && modelId.split(/[\\/]/).some((p) => p === ".." || p === ""))) {
    throw new PermanentJobError("bad_params", `invalid model_id ${JSON.stringify(modelId)}`);
  }
  const dir = isAbsolute(modelId) ? modelId : resolve(modelsDir, modelId);
  const ok = await stat(join(dir, "config.json")).then((s) => s.isFile(), () => false);
  if (!ok) {
    throw new PermanentJobError(
      "missing_model",
      `model ${modelId} is not installed (no config.json in ${dir}); run \`scenecap models pull ${modelId}\` ` +
        `on this worker, or set SCENECAP_MODELS_DIR to the directory that holds it`,
    );
  }
  return dir;
}
