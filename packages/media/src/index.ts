export { MediaError, type MediaErrorCode, type MediaErrorOptions } from "./errors.js";
export { configureMedia, mediaConfig, type MediaConfig, type RunOptions } from "./config.js";
export { probeMedia, type MediaProbe } from "./probe.js";
export {
  planSegments,
  detectSceneCuts,
  segmentsFromBounds,
  frameTimesFor,
  DEFAULT_TIME_SPLIT_INTERVAL,
  DEFAULT_SCENE_THRESHOLD,
  DEFAULT_FRAMES_PER_SEGMENT,
  type SegmentOptions,
  type Segment,
  type SceneDetectOptions,
} from "./segments.js";
export { extractFrames, outputSize, type ExtractFramesOptions } from "./frames.js";
export {
  decodeImage,
  makeThumbnail,
  FLATTEN_BACKGROUND,
  THUMBNAIL_WIDTH,
  type RgbFrame,
  type DecodeImageOptions,
  type ThumbnailOptions,
} from "./image.js";
export { ffmpegVersion } from "./version.js";
export { benchSampleFrames, type SampleFramesBench, type SampleFramesBenchOptions } from "./bench.js";
