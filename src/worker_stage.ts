/**
 * A pipeline stage that runs in worker threads, so that a pipeline uses more
 * than one core: the main thread reads, decodes and writes while workers
 * transform, in Deno and Bun alike.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { BinlaneError, type BinlaneErrorCode } from "./errors.ts";
import { describeValue, readOptions } from "./options.ts";
import {
  noteArrival,
  prepareForPost,
  type WorkerInit,
  type WorkerReply,
  type WorkerRequest,
} from "./worker_protocol.ts";

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
  /**
   * Milliseconds a chunk may take, counted from when the chunks sent before
   * it to the same worker are done; past it the chunk fails with `E_WORKER`
   * and its worker is ended (a pool starts a new one for later chunks). An
   * integer from 1 to 2^31 - 1. Default: no limit. Deno cannot stop a
   * worker busy in synchronous code (a loop, `Atomics.wait`): the ended
   * worker does not keep the process alive, but runs on until it ends.
   */
  timeoutMs?: number;
}

/** Options for {@linkcode workerStage}: a pool's and a stage's. */
export interface WorkerStageOptions extends WorkerPoolOptions, StageOptions {}

const POOL_KEYS: readonly string[] = ["workers"];
const STAGE_KEYS: readonly string[] = ["maxInFlight", "timeoutMs"];
const MAX_TIMEOUT = 2 ** 31 - 1;

/** One worker thread, its private port, and the chunks sent to it, oldest first. */
interface Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly pending: Map<number, Pending>;
  /** The chunk whose timeout is running, and its timer. */
  timed: Pending | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Cleared once the thread is ended, so that nothing it says later counts. */
  live: boolean;
}

/** A chunk in flight, settled at once by the pool when its reply comes or its worker ends. */
interface Pending {
  readonly id: number;
  readonly thread: Thread;
  readonly timeoutMs: number | undefined;
  settled: boolean;
  /** The result, or the BinlaneError it failed with (`failed`). */
  outcome: unknown;
  failed: boolean;
  /** Told by the pool once the chunk is settled: its stage passes on what is ready. */
  onSettled: () => void;
}

/** Every code a BinlaneError can carry; a `Record` so that the type checker refuses a missing or extra one. */
const KNOWN_CODES: Readonly<Record<BinlaneErrorCode, true>> = {
  E_INVALID_ARGUMENT: true,
  E_LENGTH: true,
  E_TYPE: true,
  E_RANGE: true,
  E_INVALID_INPUT: true,
  E_OUT_OF_MEMORY: true,
  E_INVALID_HANDLE: true,
  E_UNSUPPORTED_CPU: true,
  E_BUFFER_TOO_SMALL: true,
  E_ALIGNMENT: true,
  E_DISPOSED: true,
  E_TRANSFERRED: true,
  E_LIBRARY_LOAD: true,
  E_ABI_MISMATCH: true,
  E_LAYOUT_MISMATCH: true,
  E_NO_NATIVE: true,
  E_CONFIG: true,
  E_NATIVE_UNKNOWN: true,
  E_FRAME_TRUNCATED: true,
  E_FRAME_MAGIC: true,
  E_FRAME_HEADER_CRC: true,
  E_FRAME_UNSUPPORTED: true,
  E_FRAME_TOO_LARGE: true,
  E_FRAME_MALFORMED: true,
  E_FRAME_PAYLOAD_CRC: true,
  E_FRAME_FINGERPRINT: true,
  E_NOT_FOUND: true,
  E_PERMISSION_DENIED: true,
  E_IO: true,
  E_NOT_A_FILE: true,
  E_TRUNCATED: true,
  E_UNSUPPORTED_PLATFORM: true,
  E_WORKER: true,
};

function isKnownCode(code: string | undefined): code is BinlaneErrorCode {
  return typeof code === "string" && Object.hasOwn(KNOWN_CODES, code);
}

function errorFromReply(reply: WorkerReply & { kind: "error" }, module: string): BinlaneError {
  const where = `worker stage ${module}`;
  // Anything can call itself BinlaneError, so only a code binlane defines is kept: callers branch on it.
  if (reply.name === "BinlaneError" && isKnownCode(reply.code)) {
    const offset = typeof reply.offset === "number" ? reply.offset : undefined;
    return new BinlaneError(reply.code, `${where}: ${reply.message}`, { offset });
  }
  return new BinlaneError("E_WORKER", `${where}: ${reply.name}: ${reply.message}`);
}

function defaultWorkers(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, (cores ?? 2) - 1);
}

function checkCount(name: string, value: unknown, max: number): number {
  if (typeof value !== "number") {
    throw new BinlaneError("E_TYPE", `${name} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new BinlaneError(
      "E_RANGE",
      `${name} must be an integer from 1 to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Deno's `Worker` releases its hold on the event loop through a method keyed by an unnamed symbol; Deno's
 * `terminate()` only asks the worker's own loop to stop, which a worker spinning or blocked in synchronous
 * code never reaches, so without this a terminated worker keeps the process alive forever.
 */
const denoWorkerRef: symbol | undefined = "Deno" in globalThis && !("Bun" in globalThis)
  ? Object.getOwnPropertySymbols(Worker.prototype).find((key) =>
    key.description === undefined &&
    (Worker.prototype as unknown as Record<symbol, { length?: unknown } | undefined>)[key]?.length === 1 &&
    typeof (Worker.prototype as unknown as Record<symbol, unknown>)[key] === "function"
  )
  : undefined;

/** Terminates `worker` and, in Deno, stops it holding the process open if it cannot stop at once. */
function endWorker(worker: Worker): void {
  worker.terminate();
  if (denoWorkerRef === undefined) return;
  try {
    (worker as unknown as Record<symbol, (ref: boolean) => void>)[denoWorkerRef](false);
  } catch {
    // A Deno whose Worker changed shape: the worker is terminated, only the process's exit may wait.
  }
}

/** URL's own `href` getter: it throws for anything but a genuine URL, so a subclass's getter never runs. */
const urlHref = Object.getOwnPropertyDescriptor(URL.prototype, "href")!.get! as (this: unknown) => string;
/** DOMException's own `message` getter, which throws for anything else: a clone failure's text. */
const domExceptionMessage = Object.getOwnPropertyDescriptor(DOMException.prototype, "message")!.get! as (
  this: unknown,
) => string;

/** The text of `error` when the engine made it (a DOMException), else a description that runs no code of it. */
function errorText(error: unknown): string {
  try {
    return domExceptionMessage.call(error);
  } catch {
    return describeValue(error);
  }
}

function moduleUrl(module: string | URL): string {
  if (typeof module === "object" && module !== null) {
    try {
      return urlHref.call(module);
    } catch {
      // Not a genuine URL: refused below.
    }
  }
  if (typeof module !== "string" || module === "") {
    throw new BinlaneError(
      "E_TYPE",
      `a worker stage needs a module URL or path, got ${describeValue(module)}`,
    );
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)
    ? module
    : pathToFileURL(module).href;
}

/** A well-formed reply envelope: only these are matched against chunks in flight. */
function isReply(data: unknown): data is WorkerReply {
  if (data === null || typeof data !== "object") return false;
  const reply = data as { kind?: unknown; id?: unknown; how?: unknown };
  if (reply.kind === "exit") return typeof reply.how === "string";
  return (reply.kind === "result" || reply.kind === "error") && Number.isSafeInteger(reply.id);
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
 * is copied, and so is memory binlane owns (a `NativeBuffer`, a pool block,
 * a mapping, which cross as a `Uint8Array` of their bytes); `SharedArrayBuffer`s
 * are shared. Anything else is structured-cloned.
 *
 * A worker that ends (an uncaught error, a message that cannot be read, or
 * its stage module calling `close()`, `Deno.exit` or `process.exit`) fails
 * the chunks it held with `E_WORKER`, and a later chunk starts a new worker
 * in its place; a chunk past its stage's `timeoutMs` does the same. A stage
 * module that cannot load ends the pool.
 *
 * @example
 * ```ts
 * import { pipeline, WorkerPool } from "@binlane/binlane";
 *
 * const module = URL.createObjectURL(
 *   new Blob(["export default (bytes) => bytes.length;"], { type: "text/javascript" }),
 * );
 * using pool = new WorkerPool(module, { workers: 2 });
 * for (const sizes of [[3], [5, 8]]) {
 *   const chunks = sizes.map((size) => new Uint8Array(size));
 *   const lengths = await Array.fromAsync(pipeline(chunks, pool.stage<Uint8Array, number>()));
 *   if (lengths.join() !== sizes.join()) throw new Error("one length a chunk, in order");
 * }
 * ```
 */
export class WorkerPool {
  /** The stage module's URL. */
  readonly module: string;
  /** How many workers the pool runs. */
  readonly workers: number;
  readonly #threads: (Thread | undefined)[] = [];
  #nextId = 0;
  #failure: BinlaneError | undefined;
  #closed = false;

  /**
   * A pool for `module` (a URL, or a path); its workers start with the first
   * chunk. Options other than `workers` are refused with `E_TYPE`.
   */
  constructor(module: string | URL, options: WorkerPoolOptions = {}) {
    this.module = moduleUrl(module);
    const { workers } = readOptions(options, POOL_KEYS, "WorkerPool");
    this.workers = checkCount("workers", workers ?? defaultWorkers(), 256);
    this.#threads.length = this.workers;
  }

  /**
   * A `TransformStream` that runs each chunk through the stage module in
   * the pool's workers and passes the results on in input order. A
   * transform that throws errors the stage with its `BinlaneError` code if
   * it had one, else `E_WORKER`; the pool's workers go on serving other
   * stages. Options other than `maxInFlight` and `timeoutMs` are refused
   * with `E_TYPE`.
   *
   * @example
   * ```ts
   * import { pipeline, WorkerPool } from "@binlane/binlane";
   *
   * const module = URL.createObjectURL(new Blob(["export default (n) => n * 2;"], { type: "text/javascript" }));
   * using pool = new WorkerPool(module, { workers: 1 });
   * const doubled = await Array.fromAsync(pipeline([1, 2, 3], pool.stage<number, number>({ maxInFlight: 2 })));
   * if (doubled.join() !== "2,4,6") throw new Error("each chunk doubled, in order");
   * ```
   */
  stage<I, O>(options: StageOptions = {}): TransformStream<I, O> {
    return this.#stage(readOptions(options, STAGE_KEYS, "stage"), false);
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
    oneShotStage = (module, options) => {
      const values = readOptions(options, [...POOL_KEYS, ...STAGE_KEYS], "workerStage");
      const stageValues = { maxInFlight: values.maxInFlight, timeoutMs: values.timeoutMs };
      return new WorkerPool(module, { workers: values.workers as number | undefined }).#stage(
        stageValues,
        true,
      );
    };
  }

  #fail(error: BinlaneError): void {
    this.#failure ??= error;
    this.#closed = true;
    for (const thread of this.#threads) if (thread) this.#end(thread, this.#failure);
  }

  /** Ends `thread` and fails every chunk it held with `error`; a later chunk starts a new worker. */
  #end(thread: Thread, error: BinlaneError): void {
    if (!thread.live) return;
    thread.live = false;
    clearTimeout(thread.timer);
    endWorker(thread.worker);
    thread.port.close();
    const slot = this.#threads.indexOf(thread);
    if (slot >= 0) this.#threads[slot] = undefined;
    const lost = [...thread.pending.values()];
    thread.pending.clear();
    for (const pending of lost) settle(pending, error, true);
  }

  #lost(thread: Thread, why: string): void {
    this.#end(thread, new BinlaneError("E_WORKER", `worker stage ${this.module}: ${why}`));
  }

  #start(slot: number): Thread {
    const host = new URL("./worker_host.ts", import.meta.url);
    const worker = new Worker(host, { type: "module" });
    const { port1, port2 } = new MessageChannel();
    const thread: Thread = {
      worker,
      port: port1,
      pending: new Map(),
      timed: undefined,
      timer: undefined,
      live: true,
    };
    port1.onmessage = (event: MessageEvent<unknown>) => this.#receive(thread, event.data);
    port1.onmessageerror = () => this.#lost(thread, "a reply from the worker could not be read");
    worker.onmessageerror = () => this.#lost(thread, "a message from the worker could not be read");
    worker.onerror = (event: Event) => {
      event.preventDefault();
      this.#lost(thread, (event as ErrorEvent).message ?? "the worker failed");
    };
    // Bun says when a worker ends; Deno does not, and its workers announce their own end instead.
    worker.addEventListener("close", () => this.#lost(thread, "the worker ended"));
    worker.postMessage({ kind: "init", module: this.module, port: port2 } satisfies WorkerInit, [port2]);
    this.#threads[slot] = thread;
    return thread;
  }

  #receive(thread: Thread, reply: unknown): void {
    noteArrival();
    if (!thread.live) return;
    if (!isReply(reply)) return this.#lost(thread, "a reply outside the protocol");
    if (reply.kind === "exit") return this.#lost(thread, `the stage module ended its worker (${reply.how})`);
    if (reply.kind === "error" && reply.id === -1) return this.#fail(errorFromReply(reply, this.module));
    const pending = thread.pending.get(reply.id);
    if (!pending) return this.#lost(thread, `a reply for chunk ${reply.id}, which is not in flight there`);
    thread.pending.delete(reply.id);
    this.#arm(thread);
    if (reply.kind === "result") settle(pending, reply.result, false);
    else settle(pending, errorFromReply(reply, this.module), true);
  }

  /** Runs the timeout of `thread`'s oldest chunk, if it has one: the chunks before it are done. */
  #arm(thread: Thread): void {
    const oldest = thread.pending.values().next().value as Pending | undefined;
    if (oldest === thread.timed) return;
    clearTimeout(thread.timer);
    thread.timed = oldest;
    thread.timer = undefined;
    const ms = oldest?.timeoutMs;
    if (ms === undefined) return;
    thread.timer = setTimeout(
      () => this.#lost(thread, `chunk ${oldest!.id} did not finish within timeoutMs (${ms} ms)`),
      ms,
    );
  }

  /** Posts `chunk` to the least busy worker; the returned record settles with its result. */
  #send(chunk: unknown, timeoutMs: number | undefined): Pending {
    if (this.#failure) throw this.#failure;
    // First, so that a chunk refused here (a released block) starts no worker.
    const { value, transfer } = prepareForPost(chunk);
    let slot = 0;
    for (let i = 1; i < this.#threads.length; i++) {
      if ((this.#threads[i]?.pending.size ?? 0) < (this.#threads[slot]?.pending.size ?? 0)) slot = i;
    }
    const thread = this.#threads[slot] ?? this.#start(slot);
    const id = this.#nextId++;
    const pending: Pending = {
      id,
      thread,
      timeoutMs,
      settled: false,
      outcome: undefined,
      failed: false,
      onSettled: () => {},
    };
    try {
      thread.port.postMessage({ kind: "chunk", id, chunk: value } satisfies WorkerRequest, transfer);
    } catch (error) {
      throw new BinlaneError("E_TYPE", `a chunk that cannot be sent to a worker: ${errorText(error)}`, {
        cause: error,
      });
    }
    thread.pending.set(id, pending);
    this.#arm(thread);
    return pending;
  }

  #stage<I, O>(options: Record<string, unknown>, ownsPool: boolean): TransformStream<I, O> {
    const maxInFlight = checkCount("maxInFlight", options.maxInFlight ?? 2 * this.workers, 1 << 16);
    const timeoutMs = options.timeoutMs === undefined
      ? undefined
      : checkCount("timeoutMs", options.timeoutMs, MAX_TIMEOUT);
    const queue: Pending[] = [];
    let controller!: TransformStreamDefaultController<O>;
    let failure: BinlaneError | undefined;
    let ended = false;
    /** The transform or flush waiting for room in the queue, or for it to empty. */
    let wake: (() => void) | undefined;
    // A failed chunk ends this stage; the pool goes on serving others, unless it is this stage's own.
    const failWith = (error: unknown): BinlaneError => {
      failure ??= error instanceof BinlaneError
        ? error
        : new BinlaneError("E_WORKER", `the stage failed: ${errorText(error)}`, {
          cause: error,
        });
      if (ownsPool) this.#fail(failure);
      return failure;
    };
    // Run as each chunk settles, so results (and a failure) go on at once, in input order, even while
    // the source sends nothing.
    const passReady = () => {
      while (!ended && queue.length > 0 && queue[0].settled) {
        const oldest = queue.shift()!;
        if (oldest.failed) {
          ended = true;
          queue.length = 0;
          controller.error(failWith(oldest.outcome));
        } else {
          try {
            controller.enqueue(oldest.outcome as O);
          } catch {
            // The reader has gone (the stream was cancelled or errored): nothing is waiting for results.
            ended = true;
            queue.length = 0;
          }
        }
      }
      const waiting = wake;
      wake = undefined;
      waiting?.();
    };
    const waitFor = async (done: () => boolean) => {
      while (!ended && !done()) await new Promise<void>((resolve) => wake = resolve);
      if (failure) throw failure;
    };
    return new TransformStream<I, O>({
      start: (streamController) => {
        controller = streamController;
      },
      transform: async (chunk) => {
        await waitFor(() => queue.length < maxInFlight);
        let pending: Pending;
        try {
          pending = this.#send(chunk, timeoutMs);
        } catch (error) {
          ended = true;
          throw failWith(error);
        }
        pending.onSettled = passReady;
        queue.push(pending);
      },
      flush: async () => {
        await waitFor(() => queue.length === 0);
        ended = true;
        if (ownsPool) this[Symbol.dispose]();
      },
      cancel: () => {
        ended = true;
        queue.length = 0;
        if (ownsPool) this[Symbol.dispose]();
      },
    });
  }
}

/** Records `pending`'s outcome and tells its stage. */
function settle(pending: Pending, outcome: unknown, failed: boolean): void {
  pending.settled = true;
  pending.outcome = outcome;
  pending.failed = failed;
  pending.onSettled();
}

/**
 * A `TransformStream` whose chunks are transformed in worker threads by the
 * default export (or the `transform` export) of `module`: a function from a
 * chunk to its result, or a promise of it. Results come out in input order.
 * Its own {@linkcode WorkerPool} starts with the first chunk and ends with
 * the stream; to keep workers across streams, use a pool's `stage()`. A
 * worker that ends, or a chunk past `timeoutMs`, errors the stream with
 * `E_WORKER` and ends every worker. Options other than `workers`,
 * `maxInFlight` and `timeoutMs` are refused with `E_TYPE`.
 *
 * @example
 * ```ts
 * import { pipeline, workerStage } from "@binlane/binlane";
 *
 * const module = URL.createObjectURL(
 *   new Blob(["export default (bytes) => bytes.reduce((a, b) => a + b, 0);"], { type: "text/javascript" }),
 * );
 * const chunks = [new Uint8Array([1, 2]), new Uint8Array([3, 4])];
 * const totals = await Array.fromAsync(pipeline(chunks, workerStage<Uint8Array, number>(module, { workers: 2 })));
 * if (totals.join() !== "3,7") throw new Error("one total a chunk, in order");
 * ```
 */
export function workerStage<I, O>(
  module: string | URL,
  options: WorkerStageOptions = {},
): TransformStream<I, O> {
  return oneShotStage(module, options) as TransformStream<I, O>;
}
