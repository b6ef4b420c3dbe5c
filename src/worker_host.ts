/**
 * The body of every worker a {@linkcode workerStage} starts, in Deno and
 * Bun alike. The first message names the stage module and brings a private
 * `MessagePort`; its default export (or its `transform` export) is applied
 * to each chunk that arrives on that port, and each result goes back on it
 * with the buffers it fully covers transferred.
 *
 * The port lives only in this module's scope, and the built-ins used to
 * talk on it are taken before the stage module loads, so the stage module
 * can neither post a reply nor see another chunk's. Before it loads,
 * `close()`, `Deno.exit` and `process.exit` are wrapped to tell the stage
 * first that the worker is ending, since a Deno worker that ends itself
 * gives its owner no event at all.
 *
 * Not part of the public API: nothing imports it but `new Worker`.
 *
 * @module
 */

import {
  noteArrival,
  prepareForPost,
  type WorkerInit,
  type WorkerReply,
  type WorkerRequest,
} from "./worker_protocol.ts";

type Transform = (chunk: unknown) => unknown;

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerInit>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope & Record<string, unknown>;
const apply = Reflect.apply;
const portPost = MessagePort.prototype.postMessage;
// Bun reads `data` through a getter on the prototype, taken here; Deno gives each event its own property.
const dataGetter = Object.getOwnPropertyDescriptor(MessageEvent.prototype, "data")?.get;
let port: MessagePort | undefined;
let ready: Promise<Transform> | undefined;

function dataOf(event: MessageEvent): unknown {
  return dataGetter ? apply(dataGetter, event, []) : event.data;
}

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  apply(portPost, port, [reply, transfer]);
}

/** Reads `key` of a thrown value without letting its getters or its shape throw. */
function fieldOf(error: unknown, key: string): unknown {
  try {
    return (error as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** The thrown value's own text, or a fixed one when even `String()` of it throws. */
function textOf(error: unknown): string {
  try {
    return String(error);
  } catch {
    return "a value that cannot be shown";
  }
}

/** The reply for whatever a transform threw: total, since anything can be thrown (null, a Proxy, a getter). */
function describeError(error: unknown, id: number): WorkerReply & { kind: "error" } {
  const holder = typeof error === "object" && error !== null || typeof error === "function";
  const name = holder ? fieldOf(error, "name") : undefined;
  const message = holder ? fieldOf(error, "message") : undefined;
  const code = holder ? fieldOf(error, "code") : undefined;
  const offset = holder ? fieldOf(error, "offset") : undefined;
  return {
    kind: "error",
    id,
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string" ? message : textOf(error),
    code: typeof code === "string" ? code : undefined,
    offset: typeof offset === "number" ? offset : undefined,
  };
}

async function load(module: string): Promise<Transform> {
  // The user's module, by absolute URL: publishing warns that it cannot analyze this import, rightly.
  const loaded = await import(module);
  const transform = loaded.default ?? loaded.transform;
  if (typeof transform !== "function") {
    throw new TypeError(`${module} exports no default function and no function named transform`);
  }
  return transform;
}

/** Replaces `owner[key]`, a function that ends the worker, by one that says so on the port first. */
function announceExit(owner: Record<string, unknown> | undefined, key: string, how: string): void {
  const end = owner?.[key];
  if (typeof end !== "function") return;
  try {
    owner![key] = function (this: unknown, ...args: unknown[]): unknown {
      post({ kind: "exit", how });
      return apply(end, this ?? owner, args); // called bare (`close()`), it still acts on its owner
    };
  } catch {
    // A frozen owner keeps its function; the stage's timeoutMs is then what notices the end.
  }
}

async function run(request: WorkerRequest): Promise<void> {
  const id = request.id;
  try {
    if (!ready) throw new Error("a chunk came before the stage module was named");
    const transform = await ready;
    const { value, transfer } = prepareForPost(await transform(request.chunk));
    post({ kind: "result", id, result: value }, transfer);
  } catch (error) {
    post(describeError(error, id));
  }
}

scope.onmessage = (event) => {
  if (port) return; // only the first message is the host's; the stage module may post others
  const init = dataOf(event) as WorkerInit;
  port = init.port;
  port.onmessage = (message: MessageEvent<WorkerRequest>) => {
    noteArrival();
    void run(dataOf(message) as WorkerRequest);
  };
  scope.onmessage = null;
  announceExit(scope, "close", "close()");
  announceExit(scope.Deno as Record<string, unknown> | undefined, "exit", "Deno.exit()");
  announceExit(scope.process as Record<string, unknown> | undefined, "exit", "process.exit()");
  ready = load(init.module);
  ready.catch((error) => post(describeError(error, -1)));
};
