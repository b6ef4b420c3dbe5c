/**
 * The engine's own accessors for buffers and views, captured when binlane
 * loads. A caller's object may carry its own `byteLength`, `buffer` or
 * `subarray` (an own property, a subclass, a Proxy), and code loaded later
 * may replace a prototype's methods; what binlane hands native code must come
 * from the engine's internal slots, so every length, offset and buffer that
 * decides a memory access is read through these.
 *
 * @module
 */

const TypedArrayPrototype: object = Object.getPrototypeOf(Uint8Array.prototype);
const hasShared = typeof SharedArrayBuffer === "function";

function getterOf(prototype: object, key: PropertyKey): (this: unknown) => unknown {
  const get = Object.getOwnPropertyDescriptor(prototype, key)?.get;
  if (typeof get !== "function") throw new Error(`this engine has no getter for ${String(key)}`);
  return get;
}

const apply = Reflect.apply;
const typedArrayTag = getterOf(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayBuffer = getterOf(TypedArrayPrototype, "buffer");
const typedArrayByteOffset = getterOf(TypedArrayPrototype, "byteOffset");
const typedArrayByteLength = getterOf(TypedArrayPrototype, "byteLength");
const typedArrayLength = getterOf(TypedArrayPrototype, "length");
const dataViewBuffer = getterOf(DataView.prototype, "buffer");
const dataViewByteOffset = getterOf(DataView.prototype, "byteOffset");
const dataViewByteLength = getterOf(DataView.prototype, "byteLength");
const arrayBufferByteLength = getterOf(ArrayBuffer.prototype, "byteLength");
const arrayBufferDetached: ((this: unknown) => unknown) | undefined = Object.getOwnPropertyDescriptor(
  ArrayBuffer.prototype,
  "detached",
)?.get;
const arrayBufferTransfer: ((this: ArrayBuffer, length?: number) => ArrayBuffer) | undefined =
  (ArrayBuffer.prototype as { transfer?: (this: ArrayBuffer, length?: number) => ArrayBuffer }).transfer;
const sharedByteLength: ((this: unknown) => unknown) | undefined = hasShared
  ? getterOf(SharedArrayBuffer.prototype, "byteLength")
  : undefined;
const Bytes = Uint8Array;
const BytesPrototype: object = Uint8Array.prototype;
const prototypeOf = Object.getPrototypeOf;
const hasOwn = Object.hasOwn;
const bytesSet = Uint8Array.prototype.set;
const underJsc = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
/**
 * JSC's own brand test of a `Uint8Array` (`node:util`'s `types.isUint8Array`, a native check of the
 * object's type that no prototype, own property or Proxy can fake), at 1-2 ns where the captured
 * `Symbol.toStringTag` getter costs 13-20; undefined outside Bun, which never needs it.
 */
const isUint8ArrayInJsc: ((value: unknown) => boolean) | undefined = underJsc
  ? (import.meta as unknown as { require(id: string): { types: { isUint8Array(value: unknown): boolean } } })
    .require("node:util").types.isUint8Array
  : undefined;

/** The kind of a genuine typed array (`"Uint8Array"`, `"Float64Array"`, ...), or undefined for anything else. */
export function typedArrayKind(value: unknown): string | undefined {
  return apply(typedArrayTag, value, []) as string | undefined;
}

/** Whether `value` is a genuine `DataView` (a Proxy of one is not). */
export function isDataView(value: unknown): value is DataView {
  if (typeof value !== "object" || value === null) return false;
  try {
    apply(dataViewBuffer, value, []);
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` is a genuine `ArrayBuffer` (not a SharedArrayBuffer, not a Proxy). */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (typeof value !== "object" || value === null) return false;
  try {
    apply(arrayBufferByteLength, value, []);
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` is a genuine `SharedArrayBuffer`. */
export function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  if (sharedByteLength === undefined || typeof value !== "object" || value === null) return false;
  try {
    apply(sharedByteLength, value, []);
    return true;
  } catch {
    return false;
  }
}

/** The buffer under a genuine typed array, from its internal slot. */
export function typedArrayBufferOf(view: ArrayBufferView): ArrayBufferLike {
  return apply(typedArrayBuffer, view, []) as ArrayBufferLike;
}

/** A genuine typed array's byte offset (0 once detached or out of bounds). */
export function typedArrayByteOffsetOf(view: ArrayBufferView): number {
  return apply(typedArrayByteOffset, view, []) as number;
}

/** A genuine typed array's byte length (0 once detached or out of bounds). */
export function typedArrayByteLengthOf(view: ArrayBufferView): number {
  return apply(typedArrayByteLength, view, []) as number;
}

/** A genuine typed array's element count (0 once detached or out of bounds). */
export function typedArrayLengthOf(view: ArrayBufferView): number {
  return apply(typedArrayLength, view, []) as number;
}

/** The buffer under a genuine `DataView`. */
export function dataViewBufferOf(view: DataView): ArrayBufferLike {
  return apply(dataViewBuffer, view, []) as ArrayBufferLike;
}

/** A genuine `DataView`'s byte offset; throws (a `TypeError`) once detached or out of bounds. */
export function dataViewByteOffsetOf(view: DataView): number {
  return apply(dataViewByteOffset, view, []) as number;
}

/** A genuine `DataView`'s byte length; throws (a `TypeError`) once detached or out of bounds. */
export function dataViewByteLengthOf(view: DataView): number {
  return apply(dataViewByteLength, view, []) as number;
}

/** The byte length of a genuine `ArrayBuffer` or `SharedArrayBuffer` (0 once detached). */
export function bufferByteLengthOf(buffer: ArrayBufferLike): number {
  if (sharedByteLength !== undefined && isSharedArrayBuffer(buffer)) {
    return apply(sharedByteLength, buffer, []) as number;
  }
  return apply(arrayBufferByteLength, buffer, []) as number;
}

/**
 * Whether a genuine buffer is detached, by the engine's own getter; a
 * SharedArrayBuffer never is.
 */
export function isDetachedBuffer(buffer: ArrayBufferLike): boolean {
  if (!isArrayBuffer(buffer)) return false;
  if (arrayBufferDetached !== undefined) return apply(arrayBufferDetached, buffer, []) === true;
  // Engines without the getter: a detached buffer's length reads 0, and a view over it cannot be made.
  if (apply(arrayBufferByteLength, buffer, []) !== 0) return false;
  try {
    new Bytes(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * The engine's own `ArrayBuffer.prototype.transfer`, as it was when binlane
 * loaded, applied to a genuine `ArrayBuffer`; where the engine has none
 * (Node 20), the same move through `structuredClone`'s transfer list.
 */
export function transferBuffer(buffer: ArrayBuffer, length?: number): ArrayBuffer {
  if (arrayBufferTransfer !== undefined) {
    return length === undefined
      ? apply(arrayBufferTransfer, buffer, []) as ArrayBuffer
      : apply(arrayBufferTransfer, buffer, [length]) as ArrayBuffer;
  }
  // Engines before ES2024 (Node 20): a structuredClone transfer list detaches the buffer as transfer() does.
  const moved = cloneIntrinsic(buffer, { transfer: [buffer] }) as ArrayBuffer;
  const movedLength = apply(arrayBufferByteLength, moved, []) as number;
  if (length === undefined || length === movedLength) return moved;
  const resized = new ArrayBuffer(length);
  apply(bytesSet, new Bytes(resized), [new Bytes(moved, 0, Math.min(length, movedLength))]);
  return resized;
}

const cloneIntrinsic: typeof structuredClone = structuredClone;

/**
 * A plain `Uint8Array` over `length` bytes of `buffer` from `offset`, made
 * with the constructor captured at load, so no species, subclass or
 * replaced method of a caller's object takes part.
 *
 * @example
 * ```ts
 * import { bytesOver } from "./intrinsics.ts";
 *
 * const bytes = bytesOver(new ArrayBuffer(8), 2, 4);
 * if (bytes.byteOffset !== 2 || bytes.byteLength !== 4) throw new Error("wrong range");
 * ```
 */
export function bytesOver(buffer: ArrayBufferLike, offset: number, length: number): Uint8Array {
  return new Bytes(buffer, offset, length);
}

/**
 * The byte length of `value` when it is a genuine `Uint8Array` (a subclass
 * too, but not a Proxy of one), else -1; nothing of the value's own runs.
 *
 * In JSC the engine's getters cost 13-27 ns a call against under 2 ns for
 * the checks here, so a `Uint8Array` whose prototype is `Uint8Array.prototype`
 * and which has no own `byteLength` is read with a plain `byteLength`: that
 * trusts `%TypedArray%.prototype.byteLength` to still be the engine's getter
 * (code that replaces a built-in prototype's getter is not a caller's input
 * but a change to the runtime itself). The brand test is JSC's own: a
 * Float64Array or DataView given `Uint8Array.prototype`, or a Proxy, fails it. Anything else, and every value in V8 (where the getter costs 4 ns),
 * goes through the getters captured at load.
 *
 * @example
 * ```ts
 * import { uint8LengthOf } from "./intrinsics.ts";
 *
 * const liar = new Uint8Array(4);
 * Object.defineProperty(liar, "byteLength", { value: 1 << 30 });
 * if (uint8LengthOf(liar) !== 4 || uint8LengthOf([1, 2]) !== -1) throw new Error("wrong length");
 * ```
 */
export function uint8LengthOf(value: unknown): number {
  if (isUint8ArrayInJsc !== undefined) {
    if (
      isUint8ArrayInJsc(value) && prototypeOf(value) === BytesPrototype &&
      !hasOwn(value as object, "byteLength")
    ) {
      return (value as Uint8Array).byteLength;
    }
  }
  if (apply(typedArrayTag, value, []) !== "Uint8Array") return -1;
  return apply(typedArrayByteLength, value, []) as number;
}

/**
 * Copies `source` into `target` at `offset` with the engine's own
 * `%TypedArray%.prototype.set`, captured at load: both are read from their
 * internal slots, whatever either carries of its own.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./intrinsics.ts";
 *
 * const target = new Uint8Array(4);
 * copyBytes(target, new Uint8Array([7, 8]), 1);
 * if (target[1] !== 7 || target[2] !== 8) throw new Error("not copied");
 * ```
 */
export function copyBytes(target: Uint8Array, source: ArrayBufferView, offset = 0): void {
  apply(bytesSet, target, [source, offset]);
}

// Called with `.call`, which JSC runs at a quarter of `Reflect.apply`'s cost here (9 ns against 42 on 64
// bytes); a replaced `Function.prototype.call` could only make the caller's own search answer wrongly.
const typedIndexOf = Uint8Array.prototype.indexOf;

const typedLastIndexOf = Uint8Array.prototype.lastIndexOf;

/**
 * The engine's own `%TypedArray%.prototype.indexOf`, captured at load,
 * applied to a genuine typed array: it reads the array's slots, not its
 * properties or methods.
 *
 * @example
 * ```ts
 * import { indexOfIn } from "./intrinsics.ts";
 *
 * if (indexOfIn(new Uint8Array([1, 2, 3]), 3, 0) !== 2) throw new Error("not found");
 * ```
 */
export function indexOfIn(bytes: Uint8Array, byte: number, start: number): number {
  return typedIndexOf.call(bytes, byte, start);
}

/**
 * The engine's own `%TypedArray%.prototype.lastIndexOf`, captured at load;
 * see {@linkcode indexOfIn}.
 *
 * @example
 * ```ts
 * import { lastIndexOfIn } from "./intrinsics.ts";
 *
 * if (lastIndexOfIn(new Uint8Array([3, 2, 3]), 3, 1) !== 0) throw new Error("not found");
 * ```
 */
export function lastIndexOfIn(bytes: Uint8Array, byte: number, from: number): number {
  return typedLastIndexOf.call(bytes, byte, from);
}

/**
 * Whether `value` is, in JSC, a genuine `Uint8Array` whose prototype is
 * `Uint8Array.prototype`: the objects the JSC fast paths may read with plain
 * property accesses once they also have none of those properties as their
 * own. Always false outside JSC.
 *
 * @example
 * ```ts
 * import { isPlainUint8ArrayInJsc } from "./intrinsics.ts";
 *
 * const disguised = Object.setPrototypeOf(new Float64Array(2), Uint8Array.prototype);
 * if (isPlainUint8ArrayInJsc(disguised)) throw new Error("a Float64Array is not a Uint8Array");
 * ```
 */
export function isPlainUint8ArrayInJsc(value: unknown): boolean {
  return isUint8ArrayInJsc !== undefined && isUint8ArrayInJsc(value) && prototypeOf(value) === BytesPrototype;
}

/** A typed array constructor of the engine's, as `new` takes it: over a buffer, or a range of one. */
export type TypedArrayConstructor = new (
  buffer: ArrayBufferLike,
  offset?: number,
  length?: number,
) => ArrayBufferView;

const float16Constructor = (globalThis as unknown as { Float16Array?: TypedArrayConstructor }).Float16Array;
const typedArrayConstructors: ReadonlyMap<string, TypedArrayConstructor> = new Map(
  [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
    ...(float16Constructor === undefined ? [] : [float16Constructor]),
  ].map((constructor) => [constructor.name, constructor as unknown as TypedArrayConstructor]),
);

/**
 * The engine's constructor for a typed array kind (as {@linkcode typedArrayKind}
 * names it), captured at load, or undefined for a kind this engine lacks.
 *
 * @example
 * ```ts
 * import { typedArrayConstructorOf } from "./intrinsics.ts";
 *
 * const Words = typedArrayConstructorOf("Uint32Array")!;
 * if (new Words(new ArrayBuffer(8)).byteLength !== 8) throw new Error("wrong constructor");
 * ```
 */
export function typedArrayConstructorOf(kind: string): TypedArrayConstructor | undefined {
  return typedArrayConstructors.get(kind);
}

/**
 * A genuine (not shared) `ArrayBuffer`'s byte length by the engine's getter,
 * without the shared-or-not test of {@linkcode bufferByteLengthOf}.
 *
 * @example
 * ```ts
 * import { arrayBufferByteLengthOf } from "./intrinsics.ts";
 *
 * if (arrayBufferByteLengthOf(new ArrayBuffer(3)) !== 3) throw new Error("wrong length");
 * ```
 */
export function arrayBufferByteLengthOf(buffer: ArrayBuffer): number {
  return apply(arrayBufferByteLength, buffer, []) as number;
}

const resizableGetter = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "resizable")?.get;
const growableGetter = hasShared
  ? Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, "growable")?.get
  : undefined;

/**
 * Whether a genuine buffer can change length (a resizable ArrayBuffer, a
 * growable SharedArrayBuffer), by the engine's getters: an own `resizable`
 * property set on the buffer does not count.
 *
 * @example
 * ```ts
 * import { canResize } from "./intrinsics.ts";
 *
 * const buffer = new ArrayBuffer(8, { maxByteLength: 16 });
 * Object.defineProperty(buffer, "resizable", { value: false });
 * if (!canResize(buffer) || canResize(new ArrayBuffer(8))) throw new Error("wrong answer");
 * ```
 */
export function canResize(buffer: ArrayBufferLike): boolean {
  if (isSharedArrayBuffer(buffer)) {
    return growableGetter !== undefined && apply(growableGetter, buffer, []) === true;
  }
  return resizableGetter !== undefined && apply(resizableGetter, buffer, []) === true;
}
