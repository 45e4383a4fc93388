import type { Mixpeek } from "../client.js";

/** Base of every resource class: holds the client that sends its requests. */
export abstract class APIResource {
  protected readonly _client: Mixpeek;

  constructor(client: Mixpeek) {
    this._client = client;
  }
}
