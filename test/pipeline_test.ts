import assert from "node:assert/strict";
import { encodeFrame, FrameDecoderStream, FrameEncoderStream, mapStage, pipeline } from "../mod.ts";
import { test, throwsCode } from "./harness.ts";

test("pipeline: stages run in order from any source, and what a stage drops is gone", async () => {
  const out: number[] = [];
  const messages = [1, 2, 3, 4].map((n) => ({ payload: new Uint8Array(n).fill(n) }));
  const stream = pipeline(
    messages,
    new FrameEncoderStream({ type: 5, timestamp: 0n }),
    new FrameDecoderStream(),
    mapStage((frame) => (frame.payload.length % 2 === 0 ? frame.payload[0] * 100 : undefined)),
  );
  for await (const value of stream) out.push(value as number);
  assert.deepEqual(out, [200, 400]);
  async function* generated() {
    yield encodeFrame(new Uint8Array([7]), { type: 1 });
  }
  const fromGenerator = pipeline(
    generated(),
    new FrameDecoderStream(),
    mapStage((frame) => Promise.resolve(frame.type)),
  );
  assert.deepEqual(await Array.fromAsync(fromGenerator), [1]);
  throwsCode(() => pipeline([1], {} as never), "E_TYPE");
  throwsCode(() => pipeline(42 as never, mapStage((x) => x)), "E_TYPE");
  throwsCode(() => mapStage(1 as never), "E_TYPE");
});

test("pipeline: a slow reader holds back the source; an error in a stage ends the pipeline and cancels the source", async () => {
  let pulled = 0;
  const source = new ReadableStream<number>({
    pull(controller) {
      controller.enqueue(pulled++);
    },
  }, { highWaterMark: 0 });
  const reader = pipeline(source, mapStage((x: number) => x + 1), mapStage((x: number) => x * 2)).getReader();
  for (let i = 0; i < 3; i++) assert.equal((await reader.read()).value, (i + 1) * 2);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(pulled <= 3 + 6, `${pulled} pulled for 3 read`);
  await reader.cancel();

  let cancelled: unknown;
  const endless = new ReadableStream<number>({
    pull(controller) {
      controller.enqueue(1);
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const failing = pipeline(
    endless,
    mapStage(() => {
      throw new Error("stage failed");
    }),
  );
  await assert.rejects(Array.fromAsync(failing), /stage failed/);
  assert.match(String(cancelled), /stage failed/);
});
