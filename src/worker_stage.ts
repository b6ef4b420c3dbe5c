/**
 * A pipeline stage that runs in worker threads, so that a pipeline uses more
 * than one core: the main thread reads, decodes and writes while workers
 * transform, in Deno and Bun alike.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { BinlaneError, type BinlaneErrorCode } from "./errors.ts";
import { prepareForPost, type WorkerReply, type WorkerRequest } from "./worker_protocol.ts";

/** Options for a {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads. Default: the number of cores less one (the main thread's), at least 1. */
  workers?: number;
}

/** Options for {@linkcode WorkerPool.stage}. */
export interface StageOptions {
  /**
   * Chunks handed to workers and not yet passed on; the stage waits for the
   * oldest before it takes more, so memory stays bounded and backpressure
   * reaches the source. Default: twice the pool's workers.
   */
  maxInFlight?: number;
}

/** Options for {@linkcode workerStage}: a pool's and a stage's. */
export interface WorkerStageOptions extends WorkerPoolOptions, StageOptions {}

interface Pending {
  readonly id: number;
  readonly worker: number;
  readonly promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

function errorFromReply(reply: WorkerReply & { kind: "error" }, module: string): BinlaneError {
  const where = `worker stage ${module}`;
  // The workers run binlane, so a BinlaneError there is one of ours: its code means what it means here.
  if (reply.name === "BinlaneError" && reply.code) {
    return new BinlaneError(reply.code as BinlaneErrorCode, `${where}: ${reply.message}`, {
      offset: reply.offset,
    });
  }
  return new BinlaneError("E_WORKER", `${where}: ${reply.name}: ${reply.message}`);
}

function defaultWorkers(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, (cores ?? 2) - 1);
}

function checkCount(name: string, value: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new BinlaneError("E_RANGE", `${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
}

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string" || module === "") {
    throw new BinlaneError("E_TYPE", `a worker stage needs a module URL or path, got ${String(module)}`);
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)
    ? module
    : pathToFileURL(module).href;
}

/** For workerStage: a stage on a pool of its own, which ends when the stage does. */
let oneShotStage: (module: string | URL, options: WorkerStageOptions) => TransformStream<unknown, unknown>;

/**
 * Worker threads that each load the stage module `module` once, and run its
 * default export (or its `transform` export) on the chunks of any number of
 * {@linkcode WorkerPool.stage}s, one after another or at once. Starting a
 * worker costs tens of milliseconds (Deno 55-75 ms, Bun 20 ms here) and its
 * code warms up as it runs, so a pool that outlives one stream pays that
 * once. Dispose of it (`using`) to end the workers; stages still running
 * then fail with `E_WORKER`.
 *
 * What crosses to a worker, and back: a view over a whole `ArrayBuffer`
 * moves without a copy (the sender's views of it become empty, so nothing
 * can write to what the other thread reads); a view over part of a buffer
 * is copied; `SharedArrayBuffer`s are shared. Anything else is structured-
 * cloned.
 *
 * @example
 * ```ts
 * import { pipeline, WorkerPool } from "@binlane/binlane";
 *
 * const module = URL.createObjectURL(
 *   new Blob(["export default (bytes) => bytes.length;"], { type: "text/javascript" }),
 * );
 * using pool = new WorkerPool(module, { workers: 2 });
 * for (const chunks of [[new Uint8Array(3)], [new Uint8Array(5), new Uint8Array(8)]]) {
 *   console.log(await Array.fromAsync(pipeline(chunks, pool.stage<Uint8Array, number>()))); // [3], then [5, 8]
 * }
 * ```
 */
export class WorkerPool {
  /** The stage module's URL. */
  readonly module: string;
  /** How many workers the pool runs. */
  readonly workers: number;
  readonly #threads: Worker[] = [];
  readonly #busy: number[] = [];
  readonly #byId = new Map<number, Pending>();
  #nextId = 0;
  #failure: BinlaneError | undefined;
  #closed = false;

  /** A pool for `module` (a URL, or a path); its workers start with the first chunk. */
  constructor(module: string | URL, options: WorkerPoolOptions = {}) {
    this.module = moduleUrl(module);
    this.workers = options.workers ?? defaultWorkers();
    checkCount("workers", this.workers, 256);
  }

  /**
   * A `TransformStream` that runs each chunk through the stage module in
   * the pool's workers and passes the results on in input order. A
   * transform that throws errors the stage with its `BinlaneError` code if
   * it had one, else `E_WORKER`; the pool's workers go on serving other
   * stages.
   *
   * @example
   * ```ts
   * import { pipeline, WorkerPool } from "@binlane/binlane";
   *
   * const module = URL.createObjectURL(new Blob(["export default (n) => n * 2;"], { type: "text/javascript" }));
   * using pool = new WorkerPool(module, { workers: 1 });
   * console.log(await Array.fromAsync(pipeline([1, 2, 3], pool.stage<number, number>({ maxInFlight: 2 })))); // [2, 4, 6]
   * ```
   */
  stage<I, O>(options: StageOptions = {}): TransformStream<I, O> {
    return this.#stage(options, false);
  }

  /** Whether the pool's workers have been ended, by disposal or a failure. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every worker; stages still running fail with `E_WORKER`. A second call does nothing. */
  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#fail(new BinlaneError("E_WORKER", `the worker pool for ${this.module} was disposed`));
  }

  /** The same as `[Symbol.dispose]()`, for code that cannot use `using`. */
  terminate(): void {
    this[Symbol.dispose]();
  }

  static {
    oneShotStage = (module, options) => new WorkerPool(module, options).#stage(options, true);
  }

  #fail(error: BinlaneError): void {
    this.#failure ??= error;
    this.#closed = true;
    for (const thread of this.#threads) thread.terminate();
    this.#threads.length = 0;
    for (const pending of this.#byId.values()) pending.reject(this.#failure);
    this.#byId.clear();
  }

  #start(): void {
    const host = new URL("./worker_host.ts", import.meta.url);
    for (let i = 0; i < this.workers; i++) {
      const thread = new Worker(host, { type: "module" });
      thread.onmessage = (event: MessageEvent<WorkerReply>) => this.#receive(event.data);
      thread.onerror = (event: Event) => {
        event.preventDefault();
        const message = (event as ErrorEvent).message ?? "the worker failed";
        this.#fail(new BinlaneError("E_WORKER", `worker stage ${this.module}: ${message}`));
      };
      thread.postMessage({ kind: "init", module: this.module } satisfies WorkerRequest);
      this.#threads.push(thread);
      this.#busy.push(0);
    }
  }

  #receive(reply: WorkerReply): void {
    if (reply.kind === "error" && reply.id === -1) return this.#fail(errorFromReply(reply, this.module));
    const pending = this.#byId.get(reply.id);
    if (!pending) return;
    this.#byId.delete(reply.id);
    this.#busy[pending.worker] -= 1;
    if (reply.kind === "result") pending.resolve(reply.result);
    else pending.reject(errorFromReply(reply, this.module));
  }

  /** Posts `chunk` to the least busy worker; the returned record settles with its result. */
  #send(chunk: unknown): Pending {
    if (this.#failure) throw this.#failure;
    if (this.#threads.length === 0) this.#start();
    let worker = 0;
    for (let i = 1; i < this.#busy.length; i++) if (this.#busy[i] < this.#busy[worker]) worker = i;
    const id = this.#nextId++;
    let resolve!: (value: unknown) => void, reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => (resolve = res, reject = rej));
    promise.catch(() => {}); // observed when its turn comes; until then it must not count as unhandled
    const pending: Pending = { id, worker, promise, resolve, reject };
    const { value, transfer } = prepareForPost(chunk);
    try {
      this.#threads[worker].postMessage(
        { kind: "chunk", id, chunk: value } satisfies WorkerRequest,
        transfer,
      );
    } catch (error) {
      throw new BinlaneError("E_TYPE", `a chunk that cannot be sent to a worker: ${String(error)}`, {
        cause: error,
      });
    }
    this.#byId.set(id, pending);
    this.#busy[worker] += 1;
    return pending;
  }

  #settled(pending: Pending): boolean {
    return !this.#byId.has(pending.id);
  }

  #stage<I, O>(options: StageOptions, ownsPool: boolean): TransformStream<I, O> {
    const maxInFlight = options.maxInFlight ?? 2 * this.workers;
    checkCount("maxInFlight", maxInFlight, 1 << 16);
    const queue: Pending[] = [];
    const passOldest = async (controller: TransformStreamDefaultController<O>) => {
      const oldest = queue.shift()!;
      controller.enqueue(await oldest.promise as O);
    };
    // A failed chunk ends this stage; the pool goes on serving others, unless it is this stage's own.
    const failWith = (error: unknown) => {
      const failure = error instanceof BinlaneError ? error : new BinlaneError("E_WORKER", String(error));
      if (ownsPool) this.#fail(failure);
      return failure;
    };
    return new TransformStream<I, O>({
      transform: async (chunk, controller) => {
        try {
          while (queue.length >= maxInFlight) await passOldest(controller);
          queue.push(this.#send(chunk));
          // Results that are ready go on at once, so output does not wait for the window to fill.
          while (queue.length > 0 && this.#settled(queue[0])) await passOldest(controller);
        } catch (error) {
          throw failWith(error);
        }
      },
      flush: async (controller) => {
        try {
          while (queue.length > 0) await passOldest(controller);
        } catch (error) {
          throw failWith(error);
        }
        if (ownsPool) this[Symbol.dispose]();
      },
      cancel: () => {
        queue.length = 0;
        if (ownsPool) this[Symbol.dispose]();
      },
    });
  }
}

/**
 * A `TransformStream` whose chunks are transformed in worker threads by the
 * default export (or the `transform` export) of `module`: a function from a
 * chunk to its result, or a promise of it. Results come out in input order.
 * Its own {@linkcode WorkerPool} starts with the first chunk and ends with
 * the stream; to keep workers across streams, use a pool's `stage()`.
 *
 * @example
 * ```ts
 * import { pipeline, workerStage } from "@binlane/binlane";
 *
 * const module = URL.createObjectURL(
 *   new Blob(["export default (bytes) => bytes.reduce((a, b) => a + b, 0);"], { type: "text/javascript" }),
 * );
 * const chunks = [new Uint8Array([1, 2]), new Uint8Array([3, 4])];
 * for await (const total of pipeline(chunks, workerStage<Uint8Array, number>(module, { workers: 2 }))) {
 *   console.log(total); // 3, then 7
 * }
 * ```
 */
export function workerStage<I, O>(
  module: string | URL,
  options: WorkerStageOptions = {},
): TransformStream<I, O> {
  return oneShotStage(module, options) as TransformStream<I, O>;
}
