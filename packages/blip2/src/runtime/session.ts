import * as ort from "onnxruntime-node";
import { sessionOptions, type ConcreteDevice } from "./providers.js";

/** A model input did not fit the graph (wrong names, sizes or values). */
export class ModelInputError extends Error {
  override readonly name = "ModelInputError";
}

/** One ONNX Runtime session loaded from a file path (so external data resolves next to the model). */
export class GraphSession {
  private constructor(
    readonly file: string,
    readonly session: ort.InferenceSession,
  ) {}

  static async create(file: string, device: ConcreteDevice): Promise<GraphSession> {
    return new GraphSession(file, await ort.InferenceSession.create(file, sessionOptions(device)));
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Run after checking the feeds name exactly the session's inputs; fetch only `outputs` when given. */
  async run(feeds: Record<string, ort.Tensor>, outputs?: string[]): Promise<ort.InferenceSession.ReturnType> {
    const expected = this.session.inputNames;
    const missing = expected.filter((n) => !(n in feeds));
    const extra = Object.keys(feeds).filter((n) => !expected.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new ModelInputError(
        `feeds do not match ${this.file}: ${missing.length ? `missing ${missing.join(", ")}` : ""}${missing.length && extra.length ? "; " : ""}${extra.length ? `unexpected ${extra.join(", ")}` : ""}`,
      );
    }
    if (outputs) {
      const unknown = outputs.filter((o) => !this.session.outputNames.includes(o));
      if (unknown.length) throw new ModelInputError(`${this.file} has no output(s) ${unknown.join(", ")}`);
      return this.session.run(feeds, outputs);
    }
    return this.session.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
