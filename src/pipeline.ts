/**
 * Multi-stage pipelines over Web Streams: a source piped through stages,
 * each a `TransformStream`, with backpressure from the last reader to the
 * source and the first error ending every stage.
 *
 * @module
 */

import { BinlaneError } from "./errors.ts";

/** What a pipeline can start from. */
export type PipelineSource<T> = ReadableStream<T> | AsyncIterable<T> | Iterable<T>;

/**
 * A stage that applies `transform` (which may be async) to each chunk,
 * passing on what it returns; returning `undefined` drops the chunk.
 *
 * @example
 * ```ts
 * import { mapStage, pipeline } from "@binlane/binlane";
 *
 * for await (const n of pipeline([1, 2, 3], mapStage((x: number) => (x % 2 ? x * 10 : undefined)))) {
 *   console.log(n); // 10, then 30
 * }
 * ```
 */
export function mapStage<I, O>(
  transform: (chunk: I) => O | undefined | Promise<O | undefined>,
): TransformStream<I, O> {
  if (typeof transform !== "function") throw new BinlaneError("E_TYPE", "mapStage takes a function");
  return new TransformStream<I, O>({
    async transform(chunk, controller) {
      const result = await transform(chunk);
      if (result !== undefined) controller.enqueue(result);
    },
  });
}

function readableFrom<T>(source: PipelineSource<T>): ReadableStream<T> {
  if (source instanceof ReadableStream) return source;
  if (
    source !== null && typeof source === "object" &&
    (Symbol.asyncIterator in source || Symbol.iterator in source)
  ) {
    return ReadableStream.from(source as AsyncIterable<T>);
  }
  throw new BinlaneError("E_TYPE", "a pipeline source must be a ReadableStream or an (async) iterable");
}

/**
 * `source` piped through every stage in turn. The result is read like any
 * stream (`for await`); a slow reader holds back every stage and the
 * source, and an error in any stage, or in the source, errors the result
 * and cancels the rest.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoderStream, mapStage, pipeline } from "@binlane/binlane";
 *
 * const bytes = [encodeFrame(new Uint8Array([1, 2]), { type: 3 })];
 * const sizes = pipeline(bytes, new FrameDecoderStream(), mapStage((frame) => frame.payload.length));
 * for await (const size of sizes) console.log(size); // 2
 * ```
 */
export function pipeline<A, B>(source: PipelineSource<A>, stage1: TransformStream<A, B>): ReadableStream<B>;
/** Two stages. */
export function pipeline<A, B, C>(
  source: PipelineSource<A>,
  stage1: TransformStream<A, B>,
  stage2: TransformStream<B, C>,
): ReadableStream<C>;
/** Three stages. */
export function pipeline<A, B, C, D>(
  source: PipelineSource<A>,
  stage1: TransformStream<A, B>,
  stage2: TransformStream<B, C>,
  stage3: TransformStream<C, D>,
): ReadableStream<D>;
/** Four stages. */
export function pipeline<A, B, C, D, E>(
  source: PipelineSource<A>,
  stage1: TransformStream<A, B>,
  stage2: TransformStream<B, C>,
  stage3: TransformStream<C, D>,
  stage4: TransformStream<D, E>,
): ReadableStream<E>;
/** Any number of stages, untyped between them. */
export function pipeline(
  source: PipelineSource<unknown>,
  ...stages: TransformStream<unknown, unknown>[]
): ReadableStream<unknown>;
export function pipeline(
  source: PipelineSource<unknown>,
  ...stages: TransformStream<unknown, unknown>[]
): ReadableStream<unknown> {
  for (const [i, stage] of stages.entries()) {
    if (!(stage instanceof TransformStream)) {
      throw new BinlaneError("E_TYPE", `pipeline stage ${i + 1} is not a TransformStream`);
    }
  }
  return stages.reduce<ReadableStream<unknown>>(
    (stream, stage) => stream.pipeThrough(stage),
    readableFrom(source),
  );
}
