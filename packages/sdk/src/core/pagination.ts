import type { Mixpeek, RequestOptions } from "../client.js";
import { MixpeekError } from "./errors.js";

/** Mixpeek `PaginationResponse` (every field may be absent or null). */
export interface PaginationInfo {
  total?: number | null;
  page?: number | null;
  page_size?: number | null;
  total_pages?: number | null;
  next_page?: string | number | null;
  previous_page?: string | number | null;
  next_cursor?: string | null;
  has_more?: boolean | null;
  has_next?: boolean | null;
  limit?: number | null;
  offset?: number | null;
  [key: string]: unknown;
}

/** Wire shape of every `POST …/list` response. */
export interface ListResponse<Item> {
  results?: Item[];
  pagination?: PaginationInfo | null;
  total_count?: number | null;
  /** Some lists (retrievers) report `total` at the root. */
  total?: number | null;
  stats?: unknown;
  [key: string]: unknown;
}

/** Query parameters every list accepts. */
export interface PageParams {
  /** Page size sent as the `limit` query parameter; the server's default applies when omitted. */
  limit?: number;
  /** Items to skip, sent as the `offset` query parameter. @defaultValue 0 */
  offset?: number;
  /** Ask the server to count all matches (`include_total`). */
  include_total?: boolean;
}

/** What is needed to fetch any page of one list. */
export interface PageRequest {
  path: string;
  body: Record<string, unknown>;
  query: Record<string, unknown>;
  limit: number | undefined;
  offset: number;
  options: RequestOptions | undefined;
}

/**
 * One page of a `POST …/list` endpoint. `results` holds this page's items; iterating the page with
 * `for await` yields every item of every following page too, fetching them as needed.
 */
export class Page<Item> implements AsyncIterable<Item> {
  /** Items of this page. */
  readonly results: Item[];
  readonly pagination: PaginationInfo | null;
  /** Total matches when the server reported one (`total_count`, `pagination.total` or `total`). */
  readonly total: number | undefined;
  /** The raw response body. */
  readonly body: ListResponse<Item>;
  /** Offset this page was requested at. */
  readonly offset: number;

  readonly #client: Mixpeek;
  readonly #request: PageRequest;

  constructor(client: Mixpeek, request: PageRequest, body: unknown) {
    const parsed = normalizeListBody<Item>(body, request.path);
    this.#client = client;
    this.#request = request;
    this.body = parsed;
    this.results = parsed.results ?? [];
    this.pagination = parsed.pagination ?? null;
    const total = parsed.total_count ?? parsed.pagination?.total ?? parsed.total;
    this.total = typeof total === "number" ? total : undefined;
    this.offset = request.offset;
  }

  /** Alias of `results`, matching other SDKs. */
  get data(): Item[] {
    return this.results;
  }

  hasNextPage(): boolean {
    if (this.results.length === 0) return false;
    const explicit = this.pagination?.has_more ?? this.pagination?.has_next;
    if (typeof explicit === "boolean") return explicit;
    const nextOffset = this.offset + this.results.length;
    if (this.total !== undefined) return nextOffset < this.total;
    const pageSize = this.#request.limit ?? this.pagination?.page_size ?? this.pagination?.limit ?? undefined;
    if (typeof pageSize === "number") return this.results.length >= pageSize;
    return false;
  }

  async getNextPage(): Promise<Page<Item>> {
    if (!this.hasNextPage()) {
      throw new MixpeekError("No next page; check page.hasNextPage() before calling page.getNextPage()");
    }
    const offset = this.offset + this.results.length;
    return this.#client.requestPage<Item>({
      ...this.#request,
      offset,
      query: { ...this.#request.query, offset },
    });
  }

  /** This page and every following one. */
  async *iterPages(): AsyncGenerator<Page<Item>> {
    let page: Page<Item> = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    for await (const page of this.iterPages()) {
      yield* page.results;
    }
  }
}

/**
 * What list methods return: await it for the first `Page`, or iterate it directly with `for await` to walk
 * every item of every page. The request is sent on first use.
 */
export class PagePromise<Item> implements Promise<Page<Item>>, AsyncIterable<Item> {
  readonly [Symbol.toStringTag] = "Promise";
  #promise: Promise<Page<Item>> | undefined;
  readonly #fetch: () => Promise<Page<Item>>;

  constructor(fetch: () => Promise<Page<Item>>) {
    this.#fetch = fetch;
  }

  #start(): Promise<Page<Item>> {
    this.#promise ??= this.#fetch();
    return this.#promise;
  }

  then<TResult1 = Page<Item>, TResult2 = never>(
    onfulfilled?: ((value: Page<Item>) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    return this.#start().then(onfulfilled, onrejected);
  }

  catch<TResult = never>(onrejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null): Promise<Page<Item> | TResult> {
    return this.#start().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<Page<Item>> {
    return this.#start().finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    const page = await this.#start();
    yield* page;
  }
}

function normalizeListBody<Item>(body: unknown, path: string): ListResponse<Item> {
  if (Array.isArray(body)) return { results: body as Item[] };
  if (!body || typeof body !== "object") {
    throw new MixpeekError(`Unexpected list response from ${path}: expected an object with "results"`);
  }
  const b = body as ListResponse<Item> & { documents?: Item[]; data?: Item[] };
  const results = b.results ?? b.documents ?? b.data;
  if (results !== undefined && !Array.isArray(results)) {
    throw new MixpeekError(`Unexpected list response from ${path}: "results" is not an array`);
  }
  return { ...b, results: results ?? [] };
}
