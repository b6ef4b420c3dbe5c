/**
 * The ArrayBuffers whose memory binlane owns and frees itself (a
 * NativeBuffer's, a pool block's, a mapping's): binlane never transfers one
 * of them to another holder, since the owner would then free memory the new
 * holder still reads. Code that would move a buffer (a worker message)
 * copies an owned one instead.
 *
 * This module knows no handle class: the handles mark their buffers.
 *
 * @module
 */

const owned = new WeakSet<ArrayBufferLike>();

/**
 * Records that binlane owns `buffer`'s memory.
 *
 * @example
 * ```ts
 * import { isOwned, markOwned } from "./owned.ts";
 *
 * const buffer = new ArrayBuffer(8);
 * markOwned(buffer);
 * if (!isOwned(buffer)) throw new Error("a marked buffer is owned");
 * ```
 */
export function markOwned(buffer: ArrayBufferLike): void {
  owned.add(buffer);
}

/**
 * Whether binlane owns `buffer`'s memory, so that it must be copied, never
 * transferred.
 *
 * @example
 * ```ts
 * import { isOwned } from "./owned.ts";
 *
 * if (isOwned(new ArrayBuffer(8))) throw new Error("a caller's buffer is not owned");
 * ```
 */
export function isOwned(buffer: ArrayBufferLike): boolean {
  return owned.has(buffer);
}
