/** A unique key is taken: (kind, namespace, name) or id of a resource, a document id, an api key. */
export class StoreConflictError extends Error {
  constructor(
    message: string,
    /** What collided: `"id"`, `"name"`, `"key_hash"`… */
    readonly field: string = "id",
  ) {
    super(message);
    this.name = "StoreConflictError";
  }
}

/** A store call got input it cannot serve (bad limit/offset, bad sort field, unknown resource kind…). */
export class StoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreInputError";
  }
}

/** `BlobStore.get/path` on a key that holds no blob. */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob not found: ${key}`);
    this.name = "BlobNotFoundError";
  }
}

/** A blob key that is empty, absolute, or tries to leave the blob directory. */
export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`invalid blob key ${JSON.stringify(key)}: ${reason}`);
    this.name = "InvalidBlobKeyError";
  }
}
