import { stat } from "node:fs/promises";
import path from "node:path";
import type { CaptionResult, Captioner, GenerateOptions, ImageInput, LoadCaptionerOptions } from "./captioner-types.js";
import { loadGenerationConfig, resolveSettings, type GenerationDefaults } from "./generation/config.js";
import { generate } from "./generation/generate.js";
import { loadBlip2Model } from "./model.js";
import type { Blip2Model } from "./model-types.js";
import { loadImageProcessorConfig, preprocessImages, type ImageProcessorConfig } from "./preprocess/image-processor.js";
import { loadTokenizer, type TextTokenizer } from "./tokenizer.js";

/** The model directory is missing or incomplete. */
export class ModelNotFoundError extends Error {
  override readonly name = "ModelNotFoundError";
}

/** The VQA prompt of BLIP-2 (OPT). */
export const vqaPrompt = (question: string): string => `Question: ${question} Answer:`;

/**
 * Extra captioner options. `model` lets callers supply an already opened `Blip2Model` (e.g. a shared one);
 * the captioner then does not dispose it.
 */
export interface CaptionerExtras {
  model?: Blip2Model;
}

const now = (): number => performance.now();

class Blip2Captioner implements Captioner {
  private disposed = false;
  constructor(
    readonly modelDir: string,
    private readonly model: Blip2Model,
    private readonly ownsModel: boolean,
    private readonly tokenizer: TextTokenizer,
    private readonly imageConfig: ImageProcessorConfig,
    private readonly defaults: GenerationDefaults,
  ) {}

  get device(): string {
    return this.model.device;
  }
  get precision(): string {
    return this.model.precision;
  }

  async caption(images: ImageInput[], options: GenerateOptions = {}): Promise<CaptionResult[]> {
    if (this.disposed) throw new Error("captioner is disposed");
    if (!Array.isArray(images) || images.length === 0) throw new Error("no images given: the batch is empty");
    const t0 = now();
    const { prompt, ...rest } = options;
    const settings = resolveSettings(rest, this.defaults, {
      eosTokenIds: [this.model.dims.text.eosTokenId],
      padTokenId: this.model.dims.text.padTokenId,
    });
    const textIds = this.promptIds(prompt ?? "");
    const { pixelValues, batch } = await preprocessImages(images, this.imageConfig);
    const t1 = now();
    const queryEmbeds = await this.model.encodeImages(pixelValues, batch);
    const t2 = now();
    const out = await generate(this.model, {
      queryEmbeds,
      batch,
      textIds: Array.from({ length: batch }, () => textIds),
      settings,
      imageTokenId: this.model.dims.imageTokenIndex,
    });
    const t3 = now();
    const timings = { preprocessMs: t1 - t0, visionMs: t2 - t1, decodeMs: t3 - t2, totalMs: t3 - t0 };
    return out.map((r) => ({
      text: this.tokenizer.decode(r.tokens).trim(),
      tokenIds: r.tokens,
      timings: { ...timings },
    }));
  }

  answer(images: ImageInput[], question: string, options: Omit<GenerateOptions, "prompt"> = {}): Promise<CaptionResult[]> {
    if (typeof question !== "string" || question.trim() === "") return Promise.reject(new Error("question must be a non-empty string"));
    return this.caption(images, { ...options, prompt: vqaPrompt(question.trim()) });
  }

  /** Prompt text → ids with BOS first (an empty prompt is BOS alone). */
  private promptIds(prompt: string): number[] {
    const ids = this.tokenizer.encode(prompt);
    const bos = this.model.dims.text.bosTokenId;
    if (ids[0] !== bos) ids.unshift(bos);
    return ids;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsModel) await this.model.dispose();
  }
}

/**
 * Load a captioner from a checkpoint directory: builds (or reuses) the ONNX graphs, opens sessions, reads the
 * tokenizer, preprocessor and generation configs. Defaults for decoding come from `generation_config.json`.
 */
export async function loadCaptioner(
  modelDir: string,
  options: LoadCaptionerOptions & CaptionerExtras = {},
): Promise<Captioner> {
  const dir = path.resolve(modelDir);
  const hint = `download it with \`scenecap models pull <model_id>\` (e.g. scenecap models pull Salesforce/blip2-opt-2.7b) or pass a local checkpoint directory`;
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new ModelNotFoundError(`model path ${dir} is not a directory; ${hint}`);
  } catch (err) {
    if (err instanceof ModelNotFoundError) throw err;
    throw new ModelNotFoundError(`model directory ${dir} does not exist; ${hint}`);
  }
  try {
    await stat(path.join(dir, "config.json"));
  } catch {
    throw new ModelNotFoundError(`model directory ${dir} has no config.json (not a Hugging Face checkpoint); ${hint}`);
  }
  const { model: given, ...loadOptions } = options;
  const [tokenizer, imageConfig, defaults] = await Promise.all([
    loadTokenizer(dir),
    loadImageProcessorConfig(dir),
    loadGenerationConfig(dir),
  ]);
  const model = given ?? (await loadBlip2Model(dir, loadOptions));
  return new Blip2Captioner(dir, model, !given, tokenizer, imageConfig, defaults);
}
