// Public API: the captioner, and the pieces under it for callers that need them.
export type { Captioner, CaptionResult, GenerateOptions, ImageInput, LoadCaptionerOptions } from "./captioner-types.js";
export { loadCaptioner, ModelNotFoundError, vqaPrompt, type CaptionerExtras } from "./captioner.js";

// Model seam (checkpoint → ONNX graphs → ORT sessions).
export type {
  Blip2Dims,
  Blip2Model,
  DecodeInput,
  DecodeOutput,
  Device,
  KVCache,
  LoadModelOptions,
  Precision,
} from "./model-types.js";
export { loadBlip2Model, buildGraphs, type BuildOptions, type BuildReport } from "./model.js";
export { BUILDER_VERSION, DEFAULT_BLOCK_SIZE, GRAPH_FILES, MANIFEST_FILE, type BuildManifest } from "./onnx/index.js";
export { OnnxBlip2Model, ModelInputError, resolveDevice, executionProviders } from "./runtime/index.js";
export { CheckpointError, readBlip2Config, type Blip2Config } from "./checkpoint/index.js";

// Preprocessing, tokenizer, generation.
export {
  DEFAULT_IMAGE_PROCESSOR_CONFIG,
  ImageDecodeError,
  decodeImage,
  loadImageProcessorConfig,
  parseImageProcessorConfig,
  pillowResize,
  preprocessImages,
  rgbToPixelValues,
  toRgb,
  type ImageProcessorConfig,
  type RawImage,
} from "./preprocess/index.js";
export { loadTokenizer, type TextTokenizer } from "./tokenizer.js";
export {
  BeamSearchState,
  DEFAULT_MAX_NEW_TOKENS,
  LogitsProcessorList,
  MinLengthLogitsProcessor,
  MinNewTokensLogitsProcessor,
  RepetitionPenaltyLogitsProcessor,
  buildProcessors,
  generate,
  loadGenerationConfig,
  parseGenerationConfig,
  positionsFromMask,
  prefill,
  resolveSettings,
  type GenerateRequest,
  type GeneratedSequence,
  type GenerationDefaults,
  type GenerationSettings,
  type LogitsProcessor,
} from "./generation/index.js";

// Hub and CLI.
export {
  DEFAULT_MODEL_ID,
  DownloadIntegrityError,
  HubOfflineError,
  modelPath,
  pullModel,
  selectModelFiles,
  type PullOptions,
  type PullProgress,
  type PullResult,
} from "./hub.js";
export { defaultModelsDir } from "./models-dir.js";
export { registerModelCommands, resolveModelDir, verifyFixture, type CliIo, type VerifyCheck, type VerifyOptions } from "./cli/index.js";
