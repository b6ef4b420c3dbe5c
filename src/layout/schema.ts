/**
 * Record schemas: `struct` and `union` of named fields, laid out by C's
 * rules (src/layout/compute.ts), with the value type inferred.
 *
 * @module
 */

import type { BinaryInput } from "../bytes.ts";
import { detachedError, isOutOfBounds } from "../detached.ts";
import { BinlaneError } from "../errors.ts";
import { bytesOver, isDetachedBuffer } from "../intrinsics.ts";
import { checkCount, describeValue, readOptions } from "../options.ts";
import {
  compileRecordReader,
  compileRecordWriter,
  compileRunClass,
  compileViewClass,
  MAX_NARROW_VIEW,
  type Reader,
  type RunClass,
  type ViewClass,
  type Writer,
} from "./access.ts";
import { type Column, columnsToRecords, leavesOf, recordsToColumns, validateRecords } from "./columns.ts";
import { type Abi, layoutRecord, type RecordOptions } from "./compute.ts";
import { recordToC } from "./emit_c.ts";
import { layoutFingerprint } from "./fingerprint.ts";
import { recordToZig } from "./emit_zig.ts";
import { markFieldType } from "./types.ts";
import { checkFlag, inputSpan, type Owner } from "./input.ts";
import { canResize } from "../intrinsics.ts";
import type {
  ArrayType,
  BitsType,
  Bool8Type,
  EnumType,
  FieldType,
  PadType,
  PlacedField,
  RecordType,
  ScalarType,
} from "./types.ts";

export type { Abi, Column, RecordOptions };

/** Options for {@linkcode Schema.validate} (or just the count, in their place); other keys are `E_TYPE`. */
export interface ValidateOptions {
  /** Records to check. Default: every record; the bytes must then hold a whole number of them. */
  count?: number;
  /** Also require the records to start at a multiple of the schema's alignment, as native code may assume. */
  aligned?: boolean;
}

/** Options for {@linkcode Schema.toColumns} (or just the count, in their place); other keys are `E_TYPE`. */
export interface ToColumnsOptions {
  /** Records to decode. Default: every record; the bytes must then hold a whole number of them. */
  count?: number;
  /** The caller's columns to fill, keyed by leaf path, of the types `toColumns` would make. */
  into?: Record<string, Column>;
  /**
   * Check the decoded columns as {@linkcode Schema.validate} checks records
   * (`bool8` 0 or 1, enums declared), at a fraction of validate's cost: a
   * byte column is checked natively block by block as it is gathered, while
   * the block is in cache. Caller columns hold the decoded values even when
   * the check throws.
   */
  validate?: boolean;
}

/** Field name to field type: what `struct` and `union` take. */
export type FieldMap = Readonly<Record<string, FieldType>>;

/** The JS value of a field type. */
export type ValueOf<T> = T extends ScalarType<infer V> ? V
  : T extends Bool8Type ? boolean
  : T extends EnumType<infer N> ? N
  : T extends BitsType ? number
  : T extends ArrayType<infer E> ? (E extends ScalarType<number, "u8"> ? Uint8Array : ValueOf<E>[])
  : T extends Schema<infer F> ? RecordValue<F>
  : never;

/** The JS value of a record: every field but padding. */
export type RecordValue<F extends FieldMap> = {
  -readonly [K in keyof F as F[K] extends PadType ? never : K]: ValueOf<F[K]>;
};

/** The value type of a schema: `Infer<typeof Packet>`. */
export type Infer<S> = S extends Schema<infer F> ? RecordValue<F> : never;

/** Zero-copy views of a run of records. */
export interface RecordArray<V> extends Iterable<V> {
  /** Records in the run. */
  readonly length: number;
  /**
   * A view of record `index` (negative counts from the end), or undefined
   * outside the run; an index that is no number (a BigInt) is `E_TYPE`.
   */
  at(index: number): V | undefined;
  /**
   * The array's one moving view, placed on record `index` (0 to
   * `length - 1`): no object is made per call, so a `for` loop over
   * `cursorAt(i)` is the fastest way through the records (measured against
   * hand-written DataView code in bench/layout.bench.ts). Every call moves
   * the same view; keep a record with `at(index)` instead. An index outside
   * the run, negative, fractional, NaN or no number at all (a BigInt, a
   * Symbol; no `valueOf` of an object runs) does not throw here (a throw in
   * the call cost V8 2x on a read loop): it parks the view below the
   * records, and every access through it throws `E_RANGE` naming the run's
   * bounds until a good index moves it back.
   */
  cursorAt(index: number): V;
  /**
   * Calls `callback` for every record with the moving view of `cursorAt`.
   * Keep a record past its call with `at(index)` instead. A call per record
   * costs here what it costs in hand-written DataView code with a callback
   * (0.9-1.0x of it), which is 2.5-5x a `for` loop over `cursorAt`
   * (bench/layout.bench.ts, "16 B field read"): use the loop on hot paths.
   */
  forEach(callback: (view: V, index: number) => void): void;
}

/** A schema's view class and the run class over it, for one width of offset arithmetic. */
interface CompiledViews {
  view: ViewClass;
  run: RunClass;
}

/**
 * The last two inputs one schema's `read`, `write`, `view` and `arrayView`
 * had to look up, newest first (a hit in either place moves nothing, so an
 * input found in the second place can be the next one dropped), and their
 * DataViews: they compare an input with these first, so
 * that a loop over one buffer, or over two in turn, pays a comparison or
 * two per call and not `asBytes`, a WeakMap and `checkPlace`'s measurement.
 * Each schema has its own: a loop reading a header from one buffer and a
 * body from another through two schemas, or one schema over two buffers,
 * shared one record of the input served last, and every call missed it: a
 * view of a header and one of a body a record took Deno 111-155 ms per
 * 1,000,000 records, and takes 10.1-13.0; Bun 78-109, and 4.0-4.7
 * (bench/layout.bench.ts, "two buffers in turn"; docs/PERFORMANCE.md,
 * session 14). The price: a schema keeps these inputs reachable until it
 * serves others, two at most.
 *
 * NativeBuffers and MappedFiles take these places too, each with its owner
 * for the views made from it. In a place of their own, tested after both
 * (session 13), they were found by `view` only through `dataViewOf` and
 * `checkPlace`: `view(buffer, i * 16).len` over a NativeBuffer took Deno
 * 13.4-15.3 ms per 1,000,000 records and takes 6.0-12.5 (the two speeds of
 * Deno's view loops, session 14), Bun 9.1-23.1 and 3.1-5.4
 * (bench/layout.bench.ts, "records in a NativeBuffer", each benchmark in its
 * own process; docs/PERFORMANCE.md, session 17).
 */
interface ServedInputs {
  /** The input looked up last, its DataView with that DataView's length when made, and its owner. */
  input: unknown;
  view: DataView;
  length: number;
  owner: Owner | null;
  /** The one looked up before it, a second way that two inputs in turn both hit. */
  input2: unknown;
  view2: DataView;
  length2: number;
  owner2: Owner | null;
  /** The owner of the input `view` placed last on its slow path, until another input is looked up. */
  placedOwner: Owner | null;
  /** The owner of the input looked up last, whether or not it took a place. */
  lookedUpOwner: Owner | null;
}

/**
 * The owner of the input served last (placed by `dataViewOf`): `bytes`
 * itself if it owns its memory, else null. Read after a look-up, so that no
 * `instanceof` runs on a caller's object, whose Proxy traps could throw.
 */
function ownerOf(bytes: BinaryInput, served: ServedInputs): Owner | null {
  if (bytes === served.input) return served.owner;
  if (bytes === served.input2) return served.owner2;
  return served.lookedUpOwner;
}

/**
 * A schema's empty record of served inputs. The two ways never hold an input
 * that can change length (a buffer that can resize). One longer than
 * `MAX_NARROW_VIEW` is held with length -1, so that `view` never takes it
 * for a narrow one and finds it, with its owner, through `placed`. Their
 * lengths cannot go stale but by detachment (a NativeBuffer or MappedFile
 * disposed, an ArrayBuffer transferred), which fails every access of the
 * views made from them, and `read` and `write` in `checkPlace`.
 */
function noInputsServed(): ServedInputs {
  const empty = new DataView(new ArrayBuffer(0));
  // No argument is this object: undefined here was served the empty view before any other input.
  const none = {};
  return {
    input: none,
    view: empty,
    length: -1,
    owner: null,
    input2: none,
    view2: empty,
    length2: -1,
    owner2: null,
    placedOwner: null,
    lookedUpOwner: null,
  };
}
const views = new WeakMap<object, DataView>();
/** The owner of each DataView made over an owner's bytes, for the error that names it once they are gone. */
const owners = new WeakMap<DataView, Owner>();

/**
 * A DataView over exactly the bytes of `bytes`, cached: creating one costs
 * Deno ~150 ns. Not over a buffer that can resize, where a view made once
 * would keep its length while the input's changed.
 *
 * Kept for NativeBuffers too, whose DataView was made at every call before:
 * `read(buffer, i * 16).len` over 200,000 records took Deno 29.2-37.0 ms and
 * takes 0.95-1.06, Bun 17.1-18.6 and 1.9-2.9 (bench/layout.bench.ts,
 * "records in a NativeBuffer"; docs/PERFORMANCE.md, session 13).
 */
function dataViewOf(bytes: BinaryInput, served: ServedInputs): DataView {
  if (bytes === served.input) return served.view;
  if (bytes === served.input2) return served.view2;
  return lookUpDataView(bytes, served);
}

/**
 * `dataViewOf` for an input in neither place. Apart, so that `dataViewOf`,
 * which every `read` and `write` inlines, is two comparisons: JavaScriptCore
 * inlines by bytecode size, and with this inline Bun's `read(bytes, i *
 * 16).len` took 10.9-12.7 ms per 1,000,000 records against 8.2-11.6 before
 * NativeBuffers shared the places; apart, 8.2-12.0 against 8.1-18.1, and
 * over a NativeBuffer 8.0-11.8 against 12.8-18.7 (bench/layout.bench.ts,
 * "16 B field read", each benchmark in its own process; docs/PERFORMANCE.md,
 * session 17).
 */
function lookUpDataView(bytes: BinaryInput, served: ServedInputs): DataView {
  // Let go with every new input, so that the owner noted for `view` is never a third input kept reachable.
  served.placedOwner = null;
  served.lookedUpOwner = null;
  // The range from the engine's slots: a caller's DataView is never used itself, nor its own properties.
  const span = inputSpan(bytes, "layout input");
  const owner = span.owner;
  // An owner's bytes are its own for its life (`renew` makes another), and inputSpan refuses it disposed.
  const fixed = owner !== null || !canResize(span.buffer);
  let view = fixed ? views.get(bytes as object) : undefined;
  if (view === undefined) {
    view = new DataViewOf(span.buffer, span.byteOffset, span.byteLength);
    if (fixed) views.set(bytes as object, view);
    if (owner !== null) owners.set(view, owner);
  }
  served.lookedUpOwner = owner;
  if (fixed) {
    served.input2 = served.input;
    served.view2 = served.view;
    served.length2 = served.length;
    served.owner2 = served.owner;
    served.input = bytes;
    served.view = view;
    served.length = view.byteLength <= MAX_NARROW_VIEW ? view.byteLength : -1;
    served.owner = owner;
  }
  return view;
}

const DataViewOf = DataView;

/**
 * `view.byteLength`, or `E_DISPOSED` if its memory was detached since (its
 * owner's own error if it has one); 0 if its buffer shrank below it, which
 * makes a typed array read as empty too.
 */
function lengthOf(view: DataView): number {
  try {
    return view.byteLength;
  } catch {
    if (!isDetachedBuffer(view.buffer)) return 0;
    const owner = owners.get(view);
    if (owner !== undefined) inputSpan(owner, "layout input"); // the owner's own E_DISPOSED or E_TRANSFERRED
    throw detachedError();
  }
}

/** Whether `view` needs the wide view and run classes: it is longer than `MAX_NARROW_VIEW`. */
function isWide(view: DataView): boolean {
  return lengthOf(view) > MAX_NARROW_VIEW;
}

function checkPlace(view: DataView, byteOffset: number, size: number, name: string): void {
  if (typeof byteOffset !== "number") {
    throw new BinlaneError(
      "E_TYPE",
      `${name}: byteOffset must be a number, got ${describeValue(byteOffset)}`,
    );
  }
  const length = lengthOf(view);
  if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset + size > length) {
    throw new BinlaneError(
      "E_LENGTH",
      `${name} needs ${size} bytes at offset ${describeValue(byteOffset)}, the input has ${length}`,
      { offset: Number.isSafeInteger(byteOffset) ? byteOffset : undefined },
    );
  }
}

/**
 * A write failed with `error`: a BinlaneError passes on; memory detached
 * under the write (the caller's getter can transfer the buffer) is the
 * owner's error or `E_DISPOSED`, a resizable buffer shrunk under it
 * `E_LENGTH`.
 */
function writeFailed(view: DataView, error: unknown): never {
  if (error instanceof BinlaneError) throw error;
  lengthOf(view); // throws for detached memory
  if (isOutOfBounds(view)) {
    throw new BinlaneError(
      "E_LENGTH",
      "write: the resizable ArrayBuffer under the input shrank during the write",
      {
        cause: error,
      },
    );
  }
  throw error;
}

/** A schema's own `read`, `write` and `view`, with call sites no other schema's calls pass through. */
interface EntryPoints {
  read(bytes: BinaryInput, byteOffset?: number): Record<string, unknown>;
  write(bytes: BinaryInput, value: Record<string, unknown>, byteOffset?: number): void;
  view(bytes: BinaryInput, byteOffset?: number): unknown;
}

const entryPointsSource = `
function placed(bytes, byteOffset, name) {
  const view = dataViewOf(bytes, served);
  checkPlace(view, byteOffset, size, name);
  served.placedOwner = ownerOf(bytes, served);
  return view;
}
return {
  read(bytes, byteOffset = 0) {
    const view = dataViewOf(bytes, served);
    checkPlace(view, byteOffset, size, "read");
    return reader(view, byteOffset);
  },
  write(bytes, value, byteOffset = 0) {
    const view = dataViewOf(bytes, served);
    checkPlace(view, byteOffset, size, "write");
    try {
      writer(view, byteOffset, value);
    } catch (error) {
      writeFailed(view, error);
    }
  },
  view(bytes, byteOffset = 0) {
    const last = served;
    // typeof first: a BigInt, Symbol or object offset must not reach an operator that throws or runs its code.
    const hit = bytes === last.input && typeof byteOffset === "number" && byteOffset >= 0 &&
      byteOffset <= last.length - size && (byteOffset | 0) === byteOffset;
    const near = hit || bytes === last.input2 && typeof byteOffset === "number" && byteOffset >= 0 &&
        byteOffset <= last.length2 - size && (byteOffset | 0) === byteOffset;
    const view = hit ? last.view : near ? last.view2 : placed(bytes, byteOffset, "view");
    const owner = hit ? last.owner : near ? last.owner2 : last.placedOwner;
    if (!near && isWide(view)) return new (wideViewClass())(view, byteOffset, owner);
    return new Narrow(view, byteOffset, owner);
  },
};`;

/**
 * `read`, `write` and `view` for one schema, compiled with `new Function`
 * so that their call sites are their own. As methods shared by every
 * schema, their one call into the compiled reader saw every schema's
 * reader once a second schema had been read anywhere in the process, and
 * V8 stopped inlining it: `read(bytes, i * 16).len` over 1,000,000
 * records took Deno 32.8-36.3 ms and takes 8.4-9.3 compiled per schema,
 * `view` 38.5-40.6 and 8.5-14.2 (bench/layout.bench.ts, "16 B field read",
 * with another schema used first; docs/PERFORMANCE.md, session 12).
 * `cursorAt` is compiled per schema for the same reason.
 *
 * `view` first compares its input with the two its schema looked up last: a
 * loop over one buffer or two then pays a comparison or two and a bounds
 * test per call, not `dataViewOf` and `checkPlace`. It makes its narrow view
 * at one `new Narrow` whatever the path: with the class chosen by `hit ?
 * Narrow : ...`, V8 stopped inlining the constructor, and a loop of
 * `view(bytes, i * 16).len` went from 3.3-5.4 ms to 17-30 per 1,000,000
 * records. So made, that loop takes Bun 1.6-2.3 ms against 3.7-4.1,
 * 0.84-0.88x of hand-written DataView code (bench/layout.bench.ts, "16 B
 * field read"), and Deno 3.3-4.0 against 3.7-5.5 (a focused A/B after a long
 * warm-up; in the bench, 8.9-10.6 against 10.2-17.9); docs/PERFORMANCE.md,
 * session 13. Testing the second input here too cost nothing measurable on
 * one buffer; one schema over two buffers in turn takes Deno 12 ms and Bun
 * 6.8, against 20-28 and 31-33 with the second input found by `dataViewOf`
 * (bench/layout.bench.ts, "two buffers in turn"; session 14). `read` and
 * `write` gained nothing measurable from a test of their own.
 */
function compileEntryPoints(
  size: number,
  reader: Reader,
  writer: Writer,
  narrow: ViewClass,
  wideViewClass: () => ViewClass,
  served: ServedInputs,
): EntryPoints {
  const make = new Function(
    "size",
    "reader",
    "writer",
    "wideViewClass",
    "Narrow",
    "isWide",
    "served",
    "dataViewOf",
    "checkPlace",
    "ownerOf",
    "writeFailed",
    entryPointsSource,
  );
  return make(
    size,
    reader,
    writer,
    wideViewClass,
    narrow,
    isWide,
    served,
    dataViewOf,
    checkPlace,
    ownerOf,
    writeFailed,
  );
}

/** A struct or union schema. */
export class Schema<F extends FieldMap = FieldMap> implements RecordType {
  /** "struct" or "union". */
  readonly kind: "struct" | "union";
  /** `sizeof`: bytes per record, padding included. */
  readonly size: number;
  /** `_Alignof`. */
  readonly align: number;
  /** The alignment its `align` options demand, which Microsoft's `pack` does not cap. */
  readonly requiredAlign: number;
  /** The fields in declaration order, with their offsets. */
  readonly fields: readonly PlacedField[];
  /** The layout options it was declared with. */
  readonly options: RecordOptions;
  /** Phantom: the field map, for type inference. */
  declare readonly fieldTypes: F;
  #entries?: EntryPoints;
  #served: ServedInputs = noInputsServed();
  #narrowViews?: CompiledViews;
  #wideViews?: CompiledViews;
  #fingerprint?: bigint;

  /**
   * A 64-bit hash of the layout (names, types, offsets, endianness, enum
   * values): what a frame's `fingerprint` carries, so that a reader can
   * refuse payloads written with another layout.
   *
   * @example
   * ```ts
   * import { struct, u32, u32be } from "@binlane/binlane";
   *
   * console.log(struct({ a: u32 }).fingerprint === struct({ a: u32be }).fingerprint); // false
   * ```
   */
  get fingerprint(): bigint {
    this.#fingerprint ??= layoutFingerprint(this);
    return this.#fingerprint;
  }

  /** Lays out `fields`; use {@linkcode struct} or {@linkcode union}. */
  constructor(kind: "struct" | "union", fields: F, options?: RecordOptions) {
    const given = readOptions(options, recordKeys, kind) as RecordOptions;
    const entries = readFields(kind, fields);
    const layout = layoutRecord(kind, entries, given);
    this.kind = kind;
    this.size = layout.size;
    this.align = layout.align;
    this.requiredAlign = layout.requiredAlign;
    this.fields = Object.freeze(layout.fields.map((field) => Object.freeze({ ...field })));
    this.options = Object.freeze({ ...given });
    // Fixed for the schema's life: its readers, columns and every record nested in it rely on its layout.
    for (const key of ["kind", "size", "align", "requiredAlign", "fields", "options"]) {
      Object.defineProperty(this, key, { writable: false, configurable: false });
    }
    markFieldType(this);
  }

  /**
   * Byte offset of the field at `path`: dotted through nested records, and
   * through arrays by index (`"quotes.2.price"`). A bitfield's offset is
   * that of the byte holding its first bit.
   *
   * @example
   * ```ts
   * import { struct, u8, u64 } from "@binlane/binlane";
   *
   * const Outer = struct({ tag: u8, inner: struct({ a: u8, b: u64 }) });
   * console.log(Outer.offsetOf("inner.b")); // 16
   * ```
   */
  offsetOf(path: string): number {
    if (typeof path !== "string") {
      throw new BinlaneError("E_TYPE", `offsetOf takes a dotted path, got ${describeValue(path)}`);
    }
    let type: FieldType = this as Schema;
    let offset = 0;
    for (const part of path.split(".")) {
      if (type.kind === "struct" || type.kind === "union") {
        const field: PlacedField | undefined = type.fields.find((f) => f.name === part);
        if (!field) {
          throw new BinlaneError("E_INVALID_ARGUMENT", `no field ${JSON.stringify(part)} in path ${path}`);
        }
        offset += field.offset;
        type = field.type;
      } else if (type.kind === "array" && /^\d+$/.test(part) && Number(part) < type.length) {
        offset += Number(part) * type.element.size;
        type = type.element;
      } else {
        throw new BinlaneError(
          "E_INVALID_ARGUMENT",
          `path ${path} does not lead into a field at ${JSON.stringify(part)}`,
        );
      }
    }
    return offset;
  }

  /**
   * The record at `byteOffset` of `bytes` as a plain object (byte arrays
   * copied). A union, whose members share bytes that only one of them
   * holds validly, reads as a view of a copy of its bytes: each member is
   * decoded when it is read. A `bool8` other than 0 or 1 or an undeclared enum value is
   * `E_INVALID_INPUT`; a 64-bit field read as a number above 2^53 - 1 is
   * `E_RANGE`.
   *
   * @example
   * ```ts
   * import { struct, u8, u32be } from "@binlane/binlane";
   *
   * const Header = struct({ kind: u8, length: u32be }, { pack: 1 });
   * console.log(Header.read(new Uint8Array([7, 0, 0, 1, 0]))); // { kind: 7, length: 256 }
   * ```
   */
  read(bytes: BinaryInput, byteOffset = 0): RecordValue<F> {
    return this.#ownEntries().read(bytes, byteOffset) as RecordValue<F>;
  }

  /**
   * Writes `value` as the record at `byteOffset` of `bytes`; every field is
   * checked first against its type (`E_TYPE`, `E_RANGE`), so nothing is
   * truncated. Padding bytes are left as they are.
   *
   * @example
   * ```ts
   * import { struct, u8, u16 } from "@binlane/binlane";
   *
   * const bytes = new Uint8Array(4);
   * struct({ a: u8, b: u16 }).write(bytes, { a: 1, b: 0x0203 });
   * console.log(bytes); // Uint8Array(4) [1, 0, 3, 2]
   * ```
   */
  write(bytes: BinaryInput, value: RecordValue<F>, byteOffset = 0): void {
    this.#ownEntries().write(bytes, value as Record<string, unknown>, byteOffset);
  }

  /**
   * A zero-copy view of the record at `byteOffset`: a getter and setter per
   * field, straight on the bytes (byte arrays are `Uint8Array` views). A view
   * of a `NativeBuffer` or `MappedFile` throws `E_DISPOSED`, naming it, once
   * it is disposed (`E_TRANSFERRED` once its memory is transferred away), and
   * a view of other detached memory (`ArrayBuffer.prototype.transfer`) throws
   * `E_DISPOSED` too, whether the memory was detached before `view` or after:
   * `view` itself throws it when it sees the detachment first, but does not
   * look at the memory of an input it served before. A view of a resizable
   * buffer shrunk below it throws `E_LENGTH`. For a loop over many records,
   * `arrayView(bytes).cursorAt(i)` moves one view and reads at the speed of
   * hand-written DataView code in Deno and Bun. A `view` per record comes
   * close to that in Bun, but takes Deno 2.5 to 7 times as long
   * (bench/layout.bench.ts, "16 B field read"; docs/PERFORMANCE.md says
   * why).
   *
   * @example
   * ```ts
   * import { struct, u8, u32 } from "@binlane/binlane";
   *
   * const bytes = new Uint8Array(8);
   * const packet = struct({ type: u8, len: u32 }).view(bytes);
   * packet.len = 1500;
   * console.log(packet.len, bytes[4]); // 1500 220
   * ```
   */
  view(bytes: BinaryInput, byteOffset = 0): RecordValue<F> {
    return this.#ownEntries().view(bytes, byteOffset) as RecordValue<F>;
  }

  /**
   * Views of the records packed back to back in `bytes` (whose length must
   * be a whole number of records).
   *
   * @example
   * ```ts
   * import { struct, u16 } from "@binlane/binlane";
   *
   * const Pair = struct({ a: u16, b: u16 });
   * const records = Pair.arrayView(new Uint16Array([1, 2, 3, 4]));
   * console.log(records.length, records.at(1)?.a); // 2 3
   * ```
   */
  arrayView(bytes: BinaryInput): RecordArray<RecordValue<F>> {
    const view = dataViewOf(bytes, this.#served);
    const byteLength = lengthOf(view);
    const length = Math.floor(byteLength / this.size);
    if (length * this.size !== byteLength) {
      throw new BinlaneError(
        "E_LENGTH",
        `${byteLength} bytes are not a whole number of ${this.size}-byte records`,
        { offset: length * this.size },
      );
    }
    const Run = this.#viewsOf(byteLength > MAX_NARROW_VIEW).run;
    return new Run(view, ownerOf(bytes, this.#served), length) as RecordArray<unknown> as RecordArray<
      RecordValue<F>
    >;
  }

  /**
   * This schema's own `read`, `write` and `view`, compiled on first use and
   * installed on the schema itself, so that later calls go straight to them.
   * A frozen schema keeps calling through these methods.
   */
  #ownEntries(): EntryPoints {
    if (this.#entries !== undefined) return this.#entries;
    const entries = compileEntryPoints(
      this.size,
      compileRecordReader(this, this.kind),
      compileRecordWriter(this, this.kind),
      this.#viewsOf(false).view,
      () => this.#viewsOf(true).view,
      this.#served,
    );
    this.#entries = entries;
    if (Object.isExtensible(this)) {
      for (const name of ["read", "write", "view"] as const) {
        Object.defineProperty(this, name, { value: entries[name], writable: true, configurable: true });
      }
    }
    return entries;
  }

  /**
   * The view and run classes, compiled on first use: the narrow pair, or
   * the wide pair for DataViews longer than `MAX_NARROW_VIEW` (2 GiB), whose
   * offsets the narrow pair's 32-bit arithmetic would wrap.
   */
  #viewsOf(wide: boolean): CompiledViews {
    const compiled = wide ? this.#wideViews : this.#narrowViews;
    if (compiled !== undefined) return compiled;
    const viewClass = compileViewClass(this, this.kind, { wide });
    const made = { view: viewClass, run: compileRunClass(viewClass, this.size, { wide }) };
    if (wide) this.#wideViews = made;
    else this.#narrowViews = made;
    return made;
  }

  /** The records in `bytes`: `count`, or every whole record. */
  #records(bytes: BinaryInput, count: number | undefined, name: string): { rows: Uint8Array; count: number } {
    // A plain Uint8Array over the range in the engine's slots: this length is what native code reads.
    const span = inputSpan(bytes, name);
    const rows = bytesOver(span.buffer, span.byteOffset, span.byteLength);
    const whole = Math.floor(rows.byteLength / this.size);
    const wanted = count ?? whole;
    if (wanted > whole || (count === undefined && whole * this.size !== rows.byteLength)) {
      throw new BinlaneError(
        "E_LENGTH",
        `${name}: ${rows.byteLength} bytes do not hold ${
          count === undefined ? "a whole number of" : wanted
        } ${this.size}-byte records`,
        { offset: whole * this.size },
      );
    }
    return { rows, count: wanted };
  }

  /**
   * One typed array per leaf field of `count` records (default: all of
   * `bytes`, a whole number of records), keyed by dotted path: nested
   * fields as `inner.a`, array elements as `values.2`, byte strings
   * (`array(u8, n)`) as one `Uint8Array` of n bytes per record. 64-bit
   * integers give BigInt64/BigUint64 arrays; enums their stored values;
   * bitfields `Uint32Array`/`Int32Array`. Decoded by the native transpose,
   * byte swaps in the same pass.
   *
   * The second argument is the record count, or options: `count`, and
   * `into`, the caller's columns (each of exactly the type above, at least
   * `count` long) to fill instead of new ones. Reusing columns skips the
   * allocation, which costs more than the transpose (docs/PERFORMANCE.md).
   *
   * @example
   * ```ts
   * import { struct, u16be, u32 } from "@binlane/binlane";
   *
   * const Reading = struct({ id: u16be, value: u32 }, { pack: 1 });
   * const columns = Reading.toColumns(new Uint8Array([0, 1, 10, 0, 0, 0, 0, 2, 20, 0, 0, 0]));
   * console.log(columns.id, columns.value); // Uint16Array(2) [1, 2] Uint32Array(2) [10, 20]
   *
   * const into = { id: new Uint16Array(2), value: new Uint32Array(2) };
   * Reading.toColumns(new Uint8Array([0, 3, 30, 0, 0, 0, 0, 4, 40, 0, 0, 0]), { into });
   * console.log(into.id); // Uint16Array(2) [3, 4]
   * ```
   */
  toColumns(bytes: BinaryInput, options?: number | ToColumnsOptions): Record<string, Column> {
    const given = typeof options === "number"
      ? { count: options }
      : readOptions(options, toColumnsKeys, "toColumns");
    const count = checkCount(given.count, "toColumns");
    const validate = checkFlag(given.validate, "validate", "toColumns");
    // The caller's columns are read (their getters run) before the input's length is taken.
    const into = given.into === undefined
      ? undefined
      : readColumns(given.into, leafPaths(this as Schema), "toColumns: into");
    const records = this.#records(bytes, count, "toColumns");
    return recordsToColumns(this, records.rows, { count: records.count, into, validate, name: this.kind });
  }

  /**
   * Records from columns keyed as {@linkcode Schema.toColumns} gives them:
   * one for every leaf field, except that of each union the columns of
   * exactly one member are given (members share their bytes, so two would
   * overwrite each other: `E_INVALID_ARGUMENT`). A new buffer of `count`
   * records (default: the first column's length); bytes no column covers
   * (padding, the other members) are zero.
   *
   * @example
   * ```ts
   * import { struct, u16be, u32 } from "@binlane/binlane";
   *
   * const Reading = struct({ id: u16be, value: u32 }, { pack: 1 });
   * console.log(Reading.fromColumns({ id: new Uint16Array([1]), value: new Uint32Array([10]) })); // Uint8Array(6) [0, 1, 10, 0, 0, 0]
   * ```
   */
  fromColumns(columns: Record<string, Column>, count?: number): Uint8Array {
    const wanted = checkCount(count, "fromColumns");
    return columnsToRecords(this, readColumns(columns, undefined, "fromColumns: columns"), wanted);
  }

  /**
   * Checks untrusted bytes before they are trusted: that they hold `count`
   * records (the second argument, or its `count`; default: a whole number of
   * them; else `E_LENGTH`), that every
   * `bool8` is 0 or 1 and every enum a declared value (`E_INVALID_INPUT`
   * naming the record index, the field path and the byte offset), and with
   * `aligned` that they start at a multiple of the alignment (`E_ALIGNMENT`).
   *
   * @example
   * ```ts
   * import { enumOf, struct, u8 } from "@binlane/binlane";
   *
   * const Order = struct({ side: enumOf(u8, { BUY: 1, SELL: 2 }) });
   * try {
   *   Order.validate(new Uint8Array([1, 2, 9]));
   * } catch (error) {
   *   console.log((error as Error).message); // "struct record 2, field side: 9 is not a valid enum value (byte offset 2)"
   * }
   * ```
   */
  validate(bytes: BinaryInput, options?: number | ValidateOptions): void {
    const given = typeof options === "number"
      ? { count: options }
      : readOptions(options, validateKeys, "validate");
    const count = checkCount(given.count, "validate");
    const aligned = checkFlag(given.aligned, "aligned", "validate");
    const records = this.#records(bytes, count, "validate");
    if (aligned && records.rows.byteOffset % this.align !== 0) {
      throw new BinlaneError(
        "E_ALIGNMENT",
        `records start at byte offset ${records.rows.byteOffset}, not a multiple of their alignment ${this.align}`,
      );
    }
    validateRecords(this, records.rows, records.count, this.kind);
  }

  /**
   * A C declaration of this record named `name` (nested records get their
   * own names), with `_Static_assert`s on its size, alignment and offsets.
   *
   * @example
   * ```ts
   * import { struct, u8, u32 } from "@binlane/binlane";
   *
   * console.log(struct({ a: u8, b: u32 }).toC("Pair"));
   * ```
   */
  toC(name: string): string {
    return recordToC(this, checkName(name));
  }

  /**
   * A Zig declaration of this record named `name`: an `extern struct` (or
   * `extern union`) whose fields sit at the C offsets, bitfield runs as
   * opaque bytes, with comptime assertions on size, alignment and offsets.
   * It expects `const std = @import("std");` in scope.
   *
   * @example
   * ```ts
   * import { struct, u8, u64 } from "@binlane/binlane";
   *
   * console.log(struct({ type: u8, ts: u64 }).toZig("Tick"));
   * ```
   */
  toZig(name: string): string {
    return recordToZig(this, checkName(name));
  }
}

const recordKeys = ["pack", "align", "abi"] as const;
const toColumnsKeys = ["count", "into", "validate"] as const;
const validateKeys = ["count", "aligned"] as const;

/** A record's field entries, each read once: a getter that throws, or a Proxy's trap, is `E_TYPE`. */
function readFields(kind: string, fields: unknown): [string, FieldType][] {
  if (fields === null || typeof fields !== "object") {
    throw new BinlaneError("E_TYPE", `${kind} takes an object of field types, got ${describeValue(fields)}`);
  }
  let names: string[];
  try {
    names = Object.keys(fields);
  } catch (cause) {
    throw new BinlaneError("E_TYPE", `${kind}: the object of field types cannot be read`, { cause });
  }
  return names.map((name) => {
    try {
      return [name, (fields as Record<string, FieldType>)[name]];
    } catch (cause) {
      throw new BinlaneError("E_TYPE", `${kind}: reading field ${JSON.stringify(name)} threw`, { cause });
    }
  });
}

/** The leaf paths of a record type, worked out once per type. */
const leafPathsOf = new WeakMap<Schema, readonly string[]>();
function leafPaths(schema: Schema): readonly string[] {
  let paths = leafPathsOf.get(schema);
  if (paths === undefined) {
    paths = leavesOf(schema).map((leaf) => leaf.path);
    leafPathsOf.set(schema, paths);
  }
  return paths;
}

/**
 * A caller's object of columns read once into a snapshot: `paths` only (the
 * columns `toColumns` fills), or every own key. Later code reads only the
 * snapshot, so a getter cannot hand it one column for its checks and
 * another for its writes.
 */
function readColumns(
  columns: unknown,
  paths: readonly string[] | undefined,
  where: string,
): Record<string, unknown> {
  if (columns === null || typeof columns !== "object") {
    throw new BinlaneError(
      "E_TYPE",
      `${where} must be an object of columns keyed by field path, got ${describeValue(columns)}`,
    );
  }
  let keys: readonly string[];
  try {
    keys = paths ?? Object.keys(columns);
  } catch (cause) {
    throw new BinlaneError("E_TYPE", `${where}: the object of columns cannot be read`, { cause });
  }
  const snapshot: Record<string, unknown> = Object.create(null);
  for (const key of keys) {
    let value: unknown;
    try {
      value = (columns as Record<string, unknown>)[key];
    } catch (cause) {
      throw new BinlaneError("E_TYPE", `${where}: reading column ${JSON.stringify(key)} threw`, { cause });
    }
    if (value !== undefined || paths === undefined) snapshot[key] = value;
  }
  return snapshot;
}

function checkName(name: string): string {
  if (typeof name !== "string") {
    throw new BinlaneError("E_TYPE", `a C name must be a string, got ${describeValue(name)}`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new BinlaneError("E_INVALID_ARGUMENT", `${JSON.stringify(name)} is not a C identifier`);
  }
  return name;
}

/**
 * A struct of `fields` in declaration order, laid out as C lays it out:
 * natural alignment by default, `{ pack }` as `#pragma pack(N)`, `{ align }`
 * as `__attribute__((aligned(N)))`, and bitfields per `{ abi }`.
 *
 * @example
 * ```ts
 * import { struct, u8, u32, u64 } from "@binlane/binlane";
 *
 * const Packet = struct({ type: u8, len: u32, flags: u8, ts: u64 });
 * console.log(Packet.size, Packet.align, Packet.offsetOf("ts")); // 24 8 16
 * ```
 */
export function struct<const F extends FieldMap>(fields: F, options?: RecordOptions): Schema<F> {
  return new Schema("struct", fields, options);
}

/**
 * A union: every field at offset 0, the size of the largest rounded to the
 * alignment of the most aligned.
 *
 * @example
 * ```ts
 * import { array, u8, u32, union } from "@binlane/binlane";
 *
 * console.log(union({ word: u32, bytes: array(u8, 6) }).size); // 8
 * ```
 */
export function union<const F extends FieldMap>(fields: F, options?: RecordOptions): Schema<F> {
  return new Schema("union", fields, options);
}
