/** A checkpoint directory that cannot be used: missing/truncated file, wrong architecture, bad field. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  constructor(
    message: string,
    /** The file the problem was found in, when there is one. */
    readonly file?: string,
  ) {
    super(message);
  }
}
