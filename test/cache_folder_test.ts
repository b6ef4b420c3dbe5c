/**
 * binlane's cache folder under attack, in process: another user who created
 * the hash folder first (writable by others, foreign-owned, or a symlink to
 * a folder of theirs) could swap the library between its check and
 * `dlopen`, so such a folder is refused, naming it; and a write that fails
 * because another process got there first re-checks that process's file.
 */

import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { sha256Hex } from "../ffi/library_check.ts";
import { checkOrRepairLibrary, type LibraryLocation } from "../ffi/load.ts";
import { platformDirectory } from "../ffi/platform.ts";
import { importShipped, type ShippedLibrary, unpackEmbedded } from "../ffi/shipped.ts";
import { test } from "./harness.ts";

const host = platformDirectory(process.platform, process.arch);
const posix = process.platform !== "win32";

async function shipped(): Promise<ShippedLibrary> {
  const found = await importShipped(host!);
  assert.ok(typeof found !== "string", String(found));
  return found;
}

/** A scratch cache folder (mode 0700, as binlane would create it) and the library's place in it. */
async function inCache(
  body: (
    at: { cache: string; hashFolder: string; location: LibraryLocation; library: ShippedLibrary },
  ) => void,
): Promise<void> {
  const library = await shipped();
  const base = mkdtempSync(join(tmpdir(), "binlane-cache-"));
  try {
    const cache = join(base, "cache");
    mkdirSync(cache, { mode: 0o700 });
    const hashFolder = join(cache, library.manifest.sha256);
    const path = join(hashFolder, library.manifest.file);
    body({
      cache,
      hashFolder,
      library,
      location: { path, platform: host, cache: { folder: cache, shipped: library } },
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

test("a fresh cache folder gets the library written, checked and accepted", async () => {
  if (host === undefined) return;
  await inCache(({ hashFolder, location, library }) => {
    assert.equal(checkOrRepairLibrary(location, undefined), undefined);
    assert.equal(sha256Hex(readFileSync(location.path)), library.manifest.sha256);
    assert.deepEqual(readdirSync(hashFolder), [library.manifest.file]);
    // Later loads read what was written.
    assert.equal(checkOrRepairLibrary(location, undefined), undefined);
  });
});

if (posix) {
  test("a hash folder another user pre-created, opened to others, is refused naming it", async () => {
    if (host === undefined) return;
    for (const mode of [0o777, 0o770, 0o702]) {
      await inCache(({ hashFolder, location }) => {
        mkdirSync(hashFolder);
        chmodSync(hashFolder, mode);
        const refusal = checkOrRepairLibrary(location, undefined);
        assert.equal(refusal?.failure, "check-failed", mode.toString(8));
        assert.ok(refusal?.detail.includes(hashFolder), refusal?.detail);
        assert.match(refusal?.detail ?? "", /writable by its group or others/);
        assert.deepEqual(
          readdirSync(hashFolder),
          [],
          "the library was written into a folder others may write",
        );
      });
    }
  });

  test("a valid library already in a folder others may write is never accepted", async () => {
    if (host === undefined) return;
    await inCache(({ hashFolder, location, library }) => {
      mkdirSync(hashFolder);
      chmodSync(hashFolder, 0o777);
      const bytes = unpackEmbedded(library.manifest, library.embedded) as Uint8Array;
      writeFileSync(location.path, bytes);
      const refusal = checkOrRepairLibrary(location, undefined);
      assert.ok(refusal?.detail.includes(hashFolder), refusal?.detail);
    });
  });

  test("a cache folder opened to others is refused, naming it", async () => {
    if (host === undefined) return;
    await inCache(({ cache, location }) => {
      chmodSync(cache, 0o777);
      const refusal = checkOrRepairLibrary(location, undefined);
      assert.ok(refusal?.detail.includes(`${cache} is writable by its group or others`), refusal?.detail);
    });
  });

  test("a symlink in the hash folder's place is refused, and nothing is written through it", async () => {
    if (host === undefined) return;
    await inCache(({ cache, hashFolder, location }) => {
      const theirs = join(cache, "..", "theirs");
      mkdirSync(theirs, { mode: 0o700 });
      symlinkSync(theirs, hashFolder);
      const refusal = checkOrRepairLibrary(location, undefined);
      assert.ok(refusal?.detail.includes(`${hashFolder} is a symbolic link`), refusal?.detail);
      assert.deepEqual(readdirSync(theirs), []);
    });
  });

  // Only root can give a folder away; as another user the attack needs a second account.
  if (process.getuid?.() === 0) {
    test("a hash folder owned by another user is refused, naming it and its owner", async () => {
      if (host === undefined) return;
      await inCache(({ hashFolder, location }) => {
        mkdirSync(hashFolder, { mode: 0o755 });
        chownSync(hashFolder, 65534, 65534);
        const refusal = checkOrRepairLibrary(location, undefined);
        assert.ok(refusal?.detail.includes(`${hashFolder} is owned by uid 65534`), refusal?.detail);
        assert.deepEqual(readdirSync(hashFolder), []);
      });
    });
  }
}

test("a write failing after another process wrote the library re-checks that file, accepted", async () => {
  if (host === undefined) return;
  await inCache(({ hashFolder, location, library }) => {
    const bytes = unpackEmbedded(library.manifest, library.embedded) as Uint8Array;
    // The other process wins the race; this one's rename is refused, as Windows refuses it over a loaded DLL.
    const lost = (path: string): string => {
      mkdirSync(hashFolder, { recursive: true, mode: 0o700 });
      writeFileSync(path, bytes);
      return `cannot write the library into binlane's cache (${path}): EBUSY: resource busy or locked`;
    };
    assert.equal(checkOrRepairLibrary(location, undefined, lost), undefined);
  });
});

test("a write that fails with nothing usable written is refused with the write's reason", async () => {
  if (host === undefined) return;
  await inCache(({ hashFolder, location }) => {
    const reason = "cannot write the library into binlane's cache: EBUSY";
    const nothing = (): string => reason;
    const refused = checkOrRepairLibrary(location, undefined, nothing);
    assert.equal(refused?.failure, "open-failed");
    assert.equal(refused?.detail, reason);
    // A damaged file left by the other process is not accepted either.
    const damaged = (path: string): string => {
      mkdirSync(hashFolder, { recursive: true, mode: 0o700 });
      writeFileSync(path, new Uint8Array(4096));
      return reason;
    };
    assert.equal(checkOrRepairLibrary(location, undefined, damaged)?.detail, reason);
    assert.ok(existsSync(location.path));
  });
});
