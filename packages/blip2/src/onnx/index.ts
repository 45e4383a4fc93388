export { buildGraphs, BUILDER_VERSION, DEFAULT_BLOCK_SIZE, GRAPH_FILES, MANIFEST_FILE } from "./build.js";
export type { BuildOptions, BuildReport, BuildManifest } from "./build.js";
export { buildVisionGraph, buildEmbedGraph, buildDecoderGraph } from "./blip2-graphs.js";
export type { GraphOptions, GraphPrecision } from "./blip2-graphs.js";
export { GraphBuilder, attr } from "./graph.js";
export { encodeModel, decodeModel, DataType } from "./proto.js";
export { quantizeBlockwise, dequantizeBlockwise, transpose2d } from "./quant.js";
export type { QuantizedWeight, QuantizeOptions } from "./quant.js";
