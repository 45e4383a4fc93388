import { APIResource } from "../core/resource.js";
import { MixpeekError } from "../core/errors.js";
import type { RequestOptions } from "../client.js";
import { fileSize } from "../internal/files.js";
import { path } from "../internal/path.js";
import { mimeFromName } from "../internal/media.js";
import type { BucketFieldType } from "./buckets.js";
import type { BucketObject } from "./objects.js";

/** `POST /v1/buckets/{bucket}/uploads`. */
export interface UploadCreateParams {
  filename: string;
  content_type: string;
  /** The server checks the uploaded size against it on confirm. */
  file_size_bytes?: number;
  /** Seconds the presigned URL stays valid. @defaultValue 3600 */
  presigned_url_expiration?: number;
  metadata?: Record<string, unknown>;
  /** Confirming creates an object holding the file. @defaultValue true (server side) */
  create_object_on_confirm?: boolean;
  object_metadata?: Record<string, unknown>;
  /** Bucket field the created object's blob fills. */
  blob_property?: string;
  blob_type?: BucketFieldType;
  /** sha256 (hex) the uploaded bytes must have. */
  file_hash?: string;
  skip_duplicates?: boolean;
  [key: string]: unknown;
}

export interface UploadSession {
  upload_id: string;
  bucket_id: string;
  filename: string;
  content_type: string;
  status: "PENDING" | "UPLOADED" | "COMPLETED" | string;
  /** Where to PUT the file; it carries its own authorisation (no API key is sent there). */
  presigned_url: string | null;
  method?: "PUT" | string;
  expires_at?: string | null;
  file_size_bytes?: number | null;
  sha256?: string | null;
  create_object_on_confirm?: boolean;
  object_id?: string | null;
  created_at?: string;
  [key: string]: unknown;
}

export interface UploadConfirmResponse extends UploadSession {
  /** The object created on confirm (`create_object_on_confirm`), else null. */
  object?: BucketObject | null;
}

/** `uploads.uploadFile`: a local file through the whole presigned flow. */
export interface UploadFileParams extends Omit<UploadCreateParams, "filename" | "content_type" | "file_size_bytes"> {
  /** Local file to upload; it is streamed, never read into memory whole. */
  path: string;
  /** @defaultValue the path's base name */
  filename?: string;
  /** @defaultValue from the file extension, else `application/octet-stream` */
  content_type?: string;
  /** Called as bytes go out (`total` is the file size). */
  onProgress?: (sent: number, total: number) => void;
}

/** Per-attempt timeout of the file PUT unless the call passes `timeout`: an hour, like the URL's default lifetime. */
export const DEFAULT_UPLOAD_TIMEOUT_MS = 3_600_000;

/**
 * `/v1/buckets/{bucket}/uploads`: presigned uploads. `create` returns a `presigned_url`, `put` sends the bytes
 * there, `confirm` checks them (and, by default, creates the object). `uploadFile` does all three for a file.
 */
export class Uploads extends APIResource {
  async create(bucketIdentifier: string, body: UploadCreateParams, options?: RequestOptions): Promise<UploadSession> {
    return this._client.post(path`/v1/buckets/${bucketIdentifier}/uploads`, body, options);
  }

  async get(bucketIdentifier: string, uploadId: string, options?: RequestOptions): Promise<UploadSession> {
    return this._client.get(path`/v1/buckets/${bucketIdentifier}/uploads/${uploadId}`, options);
  }

  async confirm(bucketIdentifier: string, uploadId: string, options?: RequestOptions): Promise<UploadConfirmResponse> {
    return this._client.post(path`/v1/buckets/${bucketIdentifier}/uploads/${uploadId}/confirm`, {}, options);
  }

  /**
   * PUTs a file (streamed from `file.path`) or bytes to a session's `presigned_url`. Retries reopen the file.
   * @defaultValue `options.timeout` is {@link DEFAULT_UPLOAD_TIMEOUT_MS} per attempt
   */
  async put(
    session: Pick<UploadSession, "presigned_url" | "content_type" | "upload_id">,
    file: { path: string } | Uint8Array,
    options?: RequestOptions & { onProgress?: (sent: number, total: number) => void },
  ): Promise<unknown> {
    if (!session.presigned_url) throw new MixpeekError(`Upload ${session.upload_id} has no presigned_url to send the file to`);
    const { onProgress, ...requestOptions } = options ?? {};
    let size: number;
    let open: () => unknown;
    if (file instanceof Uint8Array) {
      size = file.byteLength;
      open = () => Buffer.from(file.buffer, file.byteOffset, file.byteLength);
    } else {
      const { createReadStream } = await import("node:fs");
      size = await fileSize(file.path);
      open = () => createReadStream(file.path);
    }
    return this._client.request({
      method: "put",
      path: "",
      url: session.presigned_url,
      anonymous: true,
      rawBody: {
        contentType: session.content_type,
        contentLength: size,
        open,
        ...(onProgress ? { onProgress: (sent: number) => onProgress(sent, size) } : {}),
      },
      options: { ...requestOptions, timeout: requestOptions.timeout ?? DEFAULT_UPLOAD_TIMEOUT_MS },
    });
  }

  /** create → put → confirm for a local file. Returns the confirmed session (with `object` when one was created). */
  async uploadFile(bucketIdentifier: string, params: UploadFileParams, options?: RequestOptions): Promise<UploadConfirmResponse> {
    const { path: filePath, filename, content_type, onProgress, ...rest } = params;
    if (typeof filePath !== "string" || filePath === "") throw new MixpeekError("uploads.uploadFile: path must be a non-empty string");
    // Checked before the session is created, so a bad path leaves nothing behind on the server.
    const { basename } = await import("node:path");
    const size = await fileSize(filePath);
    if (size === 0) throw new MixpeekError(`uploads.uploadFile: ${filePath} is empty`);
    const name = filename ?? basename(filePath);
    const type = content_type ?? mimeFromName(name) ?? "application/octet-stream";
    return this.send(bucketIdentifier, { path: filePath }, size, { ...rest, filename: name, content_type: type }, onProgress, options);
  }

  /** create → put → confirm, for a file or bytes whose size is known (it overrides `params.file_size_bytes`). */
  async send(
    bucketIdentifier: string,
    content: { path: string } | Uint8Array,
    size: number,
    params: UploadCreateParams,
    onProgress?: (sent: number, total: number) => void,
    options?: RequestOptions,
  ): Promise<UploadConfirmResponse> {
    const session = await this.create(bucketIdentifier, { ...params, file_size_bytes: size }, options);
    await this.put(session, content, { ...options, ...(onProgress ? { onProgress } : {}) });
    return this.confirm(bucketIdentifier, session.upload_id, options);
  }
}
