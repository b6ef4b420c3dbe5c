/**
 * Options objects read once, checked, and described without running the
 * caller's code twice: every entry that takes options reads them through
 * {@linkcode readOptions} before it looks at its input's length, so a getter
 * that detaches or shrinks the input runs before the length is taken.
 *
 * @module
 */

import { BinlaneError } from "./errors.ts";
import { isArrayBuffer, isDataView, isSharedArrayBuffer, typedArrayKind } from "./intrinsics.ts";

/**
 * A short description of any value for an error message, made without
 * calling anything of the value's own: no `toString`, no getter, no Proxy
 * trap.
 *
 * @example
 * ```ts
 * import { describeValue } from "./options.ts";
 *
 * const hostile = { toString: () => { throw new Error("ran caller code"); } };
 * if (describeValue(hostile) !== "an object") throw new Error("wrong description");
 * if (describeValue(3) !== "the number 3") throw new Error("wrong description");
 * ```
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "boolean":
      return `the boolean ${value}`;
    case "number":
      return `the number ${String(value)}`;
    case "bigint":
      return `the bigint ${String(value)}n`;
    case "symbol":
      return "a symbol";
    case "string":
      return value.length <= 40
        ? `the string ${JSON.stringify(value)}`
        : `a string of ${value.length} characters`;
    case "function":
      return "a function";
  }
  if (value === null) return "null";
  const kind = typedArrayKind(value);
  if (kind !== undefined) return `a ${kind}`;
  if (isDataView(value)) return "a DataView";
  if (isArrayBuffer(value)) return "an ArrayBuffer";
  if (isSharedArrayBuffer(value)) return "a SharedArrayBuffer";
  try {
    if (Array.isArray(value)) return "an array";
  } catch {
    return "a revoked Proxy";
  }
  return "an object";
}

/**
 * Reads an options object once: `undefined` is no options; anything but a
 * plain object (null, a number, an array) is `E_TYPE`; an own key outside
 * `keys` is `E_TYPE` naming it; each known key is read exactly once, and an
 * exception from the caller's getter becomes `E_TYPE` with it as the cause.
 * Later code reads only the returned snapshot, which has every key of `keys`
 * as its own (`undefined` where the caller gave none).
 *
 * @example
 * ```ts
 * import { readOptions } from "./options.ts";
 *
 * const options = readOptions({ seed: 1 }, ["seed", "into"], "crc32c");
 * if (options.seed !== 1 || options.into !== undefined) throw new Error("wrong snapshot");
 * try {
 *   readOptions({ sede: 1 }, ["seed"], "crc32c");
 *   throw new Error("an unknown key must be refused");
 * } catch (error) {
 *   if ((error as { code?: string }).code !== "E_TYPE") throw error;
 * }
 * ```
 */
export function readOptions<K extends string>(
  options: unknown,
  keys: readonly K[],
  where: string,
): { [key in K]?: unknown } {
  // A plain object whose every key is its own: V8 keeps one shape per key list (a null-prototype object
  // is a dictionary, 2x slower to fill and read), and no read falls through to Object.prototype.
  const snapshot = {} as { [key in K]?: unknown };
  if (options === undefined) {
    for (let i = 0; i < keys.length; i++) snapshot[keys[i]] = undefined;
    return snapshot;
  }
  if (typeof options !== "object" || options === null || isArray(options)) {
    throw new BinlaneError("E_TYPE", `${where}: options must be an object, got ${describeValue(options)}`);
  }
  let own: string[];
  try {
    own = Object.keys(options);
  } catch (cause) {
    throw new BinlaneError("E_TYPE", `${where}: the options object cannot be read`, { cause });
  }
  for (let i = 0; i < own.length; i++) {
    if ((keys as readonly string[]).indexOf(own[i]) === -1) {
      const known = keys.length === 0 ? "none" : keys.join(", ");
      throw new BinlaneError(
        "E_TYPE",
        `${where}: unknown option ${JSON.stringify(own[i])} (known: ${known})`,
      );
    }
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    try {
      snapshot[key] = (options as Record<string, unknown>)[key];
    } catch (cause) {
      throw new BinlaneError("E_TYPE", `${where}: reading option ${key} threw`, { cause });
    }
  }
  return snapshot;
}

/** `Array.isArray`, which throws on a revoked Proxy: that is no options object either. */
function isArray(value: object): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return true;
  }
}

/**
 * A count (of records) given by a caller: undefined, or a non-negative safe
 * integer; a BigInt, Symbol or object is `E_TYPE`, NaN, a fraction or a
 * negative number `E_RANGE`, each described without running caller code.
 *
 * @example
 * ```ts
 * import { checkCount } from "./options.ts";
 *
 * if (checkCount(3, "toColumns") !== 3 || checkCount(undefined, "toColumns") !== undefined) {
 *   throw new Error("wrong count");
 * }
 * ```
 */
export function checkCount(count: unknown, where: string): number | undefined {
  if (count === undefined) return undefined;
  if (typeof count !== "number") {
    throw new BinlaneError("E_TYPE", `${where}: count must be a number, got ${describeValue(count)}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new BinlaneError(
      "E_RANGE",
      `${where}: count must be a non-negative integer, got ${describeValue(count)}`,
    );
  }
  return count;
}
