import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import type { Device } from "../model-types.js";

export type ConcreteDevice = Exclude<Device, "auto">;

/** Directory holding onnxruntime-node's native binding and libonnxruntime for this platform. */
export function ortBinaryDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("onnxruntime-node");
    // <pkg>/dist/index.js → <pkg>/bin/napi-v*/<platform>/<arch>
    const pkg = dirname(dirname(main));
    for (const napi of ["napi-v6", "napi-v5", "napi-v3"]) {
      const dir = join(pkg, "bin", napi, process.platform, process.arch);
      if (existsSync(dir)) return dir;
    }
  } catch {
    /* not resolvable */
  }
  return null;
}

/** Whether the CUDA execution provider's libraries sit next to the binding (onnxruntime-node ships none by default). */
export function cudaProviderAvailable(): { available: boolean; reason: string } {
  if (process.platform !== "linux" && process.platform !== "win32") {
    return { available: false, reason: `the CUDA provider is not built for ${process.platform}` };
  }
  const dir = ortBinaryDir();
  if (!dir) return { available: false, reason: "onnxruntime-node binaries not found" };
  const lib = process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  if (!existsSync(join(dir, lib))) {
    return {
      available: false,
      reason: `${lib} is not installed next to the onnxruntime-node binding (install onnxruntime-node with its CUDA binaries)`,
    };
  }
  return { available: true, reason: `${lib} found` };
}

/** The provider list for a concrete device; CPU is always the last resort inside a session. */
export function executionProviders(device: ConcreteDevice): InferenceSession.ExecutionProviderConfig[] {
  switch (device) {
    case "cuda":
      return ["cuda", "cpu"];
    case "webgpu":
      return ["webgpu", "cpu"];
    case "cpu":
      return ["cpu"];
  }
}

/**
 * Resolve the requested device to the provider to try first. `auto` prefers CUDA when its libraries are
 * present, else CPU. An explicit `cuda` without libraries falls back to CPU with the reason logged.
 * (WebGPU availability is only known once a session is created; see `createSessions`' fallback.)
 */
export function resolveDevice(requested: Device, log: (m: string) => void): ConcreteDevice {
  if (requested === "cpu") return "cpu";
  if (requested === "webgpu") return "webgpu";
  const cuda = cudaProviderAvailable();
  if (requested === "cuda") {
    if (cuda.available) return "cuda";
    log(`device cuda requested but unavailable: ${cuda.reason}; falling back to cpu`);
    return "cpu";
  }
  if (cuda.available) return "cuda";
  log(`device auto: CUDA unavailable (${cuda.reason}); using cpu`);
  return "cpu";
}

/** Session options used for every graph. */
export function sessionOptions(device: ConcreteDevice): InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(device),
    intraOpNumThreads: availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    enableMemPattern: true,
    enableCpuMemArena: true,
    executionMode: "sequential",
    logSeverityLevel: 3,
  };
}
