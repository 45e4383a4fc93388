import os from "node:os";
import path from "node:path";

// Kept free of heavy imports: the worker's main thread reads it without loading onnxruntime.

/** Where models live: `$SCENECAP_MODELS_DIR`, else `~/.cache/scenecap/models`. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SCENECAP_MODELS_DIR || path.join(os.homedir(), ".cache", "scenecap", "models");
}
