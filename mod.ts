/**
 * binlane: high-throughput binary data kernels for Deno and Bun, in Zig
 * SIMD behind a safe TypeScript API, with a pure-TypeScript fallback.
 *
 * @example
 * ```ts
 * import { backend, crc32c, NativeBuffer } from "@binlane/binlane";
 *
 * using buffer = NativeBuffer.alloc(1 << 20);
 * buffer.bytes.fill(1);
 * console.log(crc32c(buffer), backend().cpu);
 * ```
 *
 * @module
 */

export {
  backend,
  type BackendInfo,
  type CpuLevel,
  type RuntimeName,
  setCpuLevel,
  supportedCpuLevels,
} from "./src/backend.ts";
export type { BinaryInput } from "./src/bytes.ts";
export { crc32, crc32c } from "./src/crc.ts";
export {
  type ArrayOf,
  byteSwap16,
  byteSwap32,
  byteSwap64,
  decodeNumbers,
  decodeNumbersInto,
  encodeNumbers,
  encodeNumbersInto,
  type Endian,
  type EndianOptions,
  type NumberArrays,
  type NumberType,
  type NumericArray,
} from "./src/endian.ts";
export { createXxh3, createXxh64, type HashAlgorithm, StreamingHasher, xxh3, xxh64 } from "./src/hash.ts";
export { isUtf8, utf8CodePointCount, utf8ErrorIndex } from "./src/utf8.ts";
export type { TextInput } from "./src/ascii.ts";
export {
  array,
  type ArrayType,
  asNumber,
  be,
  bits,
  type BitsType,
  bool8,
  type Bool8Type,
  enumOf,
  type EnumType,
  f32,
  f32be,
  f64,
  f64be,
  type FieldType,
  i16,
  i16be,
  i32,
  i32be,
  i64,
  i64be,
  i8,
  le,
  pad,
  type PadType,
  type PlacedField,
  type RecordType,
  type ScalarName,
  type ScalarType,
  u16,
  u16be,
  u32,
  u32be,
  u64,
  u64be,
  u8,
} from "./src/layout/types.ts";
export {
  type Abi,
  type Column,
  type FieldMap,
  type Infer,
  type RecordArray,
  type RecordOptions,
  type RecordValue,
  Schema,
  struct,
  type ToColumnsOptions,
  union,
  type ValidateOptions,
  type ValueOf,
} from "./src/layout/schema.ts";
export {
  type BigIntSumArray,
  type MinMax,
  minMax,
  type NumberElementArray,
  type NumberSumArray,
  sum,
} from "./src/reduce.ts";
export {
  deltaDecode,
  deltaEncode,
  type IntCodingOptions,
  type IntegerArray,
  type VarintArray,
  varintDecode,
  varintDecodeInto,
  type VarintDecodeOptions,
  varintEncode,
  varintEncodedLength,
  varintEncodeInto,
  zigzagDecode,
  zigzagEncode,
} from "./src/intcode.ts";
export {
  columnsToRows,
  type ColumnsToRowsOptions,
  rowsToColumns,
  type RowsToColumnsOptions,
  type TransposeField,
} from "./src/transpose.ts";
export { decodeHex, decodeHexInto, encodeHex, encodeHexInto } from "./src/hex.ts";
export {
  type Base64Alphabet,
  base64DecodedLength,
  type Base64DecodeOptions,
  base64EncodedLength,
  type Base64EncodeOptions,
  decodeBase64,
  decodeBase64Into,
  encodeBase64,
  encodeBase64Into,
} from "./src/base64.ts";
export { BinlaneError, type BinlaneErrorCode, type BinlaneErrorOptions } from "./src/errors.ts";
export { type AllocOptions, NativeBuffer, type NativeStats, nativeStats } from "./src/native_buffer.ts";
export {
  compare,
  countByte,
  equals,
  findAllByte,
  indexOfAny,
  indexOfByte,
  indexOfOther,
  indexOfSubarray,
  lastIndexOfByte,
  mismatch,
} from "./src/search.ts";
export {
  decodeFrame,
  type DecodeFrameOptions,
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  encodeFrameInto,
  type Frame,
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  FRAME_TRAILER_SIZE,
  FRAME_VERSION,
  FrameHeader,
  type FrameHeaderFields,
  type FrameHeaderInfo,
  type FrameOptions,
  frameSize,
  readFrameHeader,
} from "./src/frame.ts";
export {
  decodeFrameBatches,
  FrameBatchDecoderStream,
  type FrameBatches,
  type FrameDecoderOptions,
  type FrameDecoderStats,
  FrameDecoderStream,
  FrameEncoderStream,
  type FrameMessage,
} from "./src/frame_stream.ts";
export { BufferPool, type BufferPoolOptions, type BufferPoolStats, PooledBuffer } from "./src/buffer_pool.ts";
export {
  type ByteWriter,
  type SerializerSink,
  type SerializerStats,
  StreamingSerializer,
  type StreamingSerializerOptions,
} from "./src/serializer.ts";
export { mapStage, pipeline, type PipelineSource } from "./src/pipeline.ts";
export { mapFile, type MapFileOptions, type MapMode, MappedFile } from "./src/mapped_file.ts";
export {
  type StageOptions,
  WorkerPool,
  type WorkerPoolOptions,
  workerStage,
  type WorkerStageOptions,
} from "./src/worker_stage.ts";
