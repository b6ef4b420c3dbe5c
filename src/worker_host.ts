/**
 * The body of every worker a {@linkcode workerStage} starts, in Deno and
 * Bun alike. The first message names the stage module; its default export
 * (or its `transform` export) is applied to each chunk that follows, and
 * each result goes back with the buffers it fully covers transferred.
 *
 * Not part of the public API: nothing imports it but `new Worker`.
 *
 * @module
 */

import { prepareForPost, type WorkerReply, type WorkerRequest } from "./worker_protocol.ts";

type Transform = (chunk: unknown) => unknown;

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let ready: Promise<Transform> | undefined;

function describeError(error: unknown): WorkerReply & { kind: "error" } {
  const { name, message, code, offset } = error as {
    name?: string;
    message?: string;
    code?: string;
    offset?: number;
  };
  return {
    kind: "error",
    id: -1,
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string" ? message : String(error),
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

scope.onmessage = async (event) => {
  const request = event.data;
  if (request.kind === "init") {
    ready = load(request.module);
    ready.catch((error) => scope.postMessage(describeError(error)));
    return;
  }
  try {
    if (!ready) throw new Error("a chunk came before the stage module was named");
    const transform = await ready;
    const { value, transfer } = prepareForPost(await transform(request.chunk));
    scope.postMessage({ kind: "result", id: request.id, result: value }, transfer);
  } catch (error) {
    scope.postMessage({ ...describeError(error), id: request.id });
  }
};
