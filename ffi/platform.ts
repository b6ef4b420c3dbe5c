/**
 * Platform naming shared by the build script and the loaders, so the
 * directory a library is built into is the one it is looked up in.
 *
 * @module
 */

/** The platforms a library is built for, as `<os>-<arch>`. */
export type PlatformDirectory =
  | "linux-x86_64"
  | "linux-aarch64"
  | "darwin-x86_64"
  | "darwin-aarch64"
  | "windows-x86_64";

const libraryFiles: Record<PlatformDirectory, string> = {
  "linux-x86_64": "libbinlane.so",
  "linux-aarch64": "libbinlane.so",
  "darwin-x86_64": "libbinlane.dylib",
  "darwin-aarch64": "libbinlane.dylib",
  "windows-x86_64": "binlane.dll",
};

/**
 * The directory for an OS and architecture, accepting Deno's names
 * (`linux`, `x86_64`) and Node's and Bun's (`win32`, `x64`, `arm64`);
 * undefined for a platform binlane does not build for.
 *
 * @example
 * ```ts
 * import { platformDirectory } from "./platform.ts";
 *
 * console.log(platformDirectory("win32", "x64")); // "windows-x86_64"
 * ```
 */
export function platformDirectory(os: string, arch: string): PlatformDirectory | undefined {
  const normalOs = os === "win32" ? "windows" : os;
  const normalArch = arch === "x64" ? "x86_64" : arch === "arm64" ? "aarch64" : arch;
  const directory = `${normalOs}-${normalArch}`;
  return directory in libraryFiles ? directory as PlatformDirectory : undefined;
}

/**
 * The library's file name on a platform.
 *
 * @example
 * ```ts
 * import { libraryFileName } from "./platform.ts";
 *
 * console.log(libraryFileName("darwin-aarch64")); // "libbinlane.dylib"
 * ```
 */
export function libraryFileName(directory: PlatformDirectory): string {
  return libraryFiles[directory];
}
