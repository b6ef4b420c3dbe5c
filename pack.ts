/**
 * `deno task pack`: writes the npm tarball of `@binlane/binlane` for Bun,
 * Node and Deno's `npm:` specifier, and prints its path as the last line.
 *
 * The package keeps the checkout's layout: `mod.js`, `src/**`, `ffi/*.js`
 * (JavaScript with `.d.ts` types, emitted by the TypeScript compiler from
 * npm with `.ts` specifiers rewritten to `.js`) and every platform's library
 * with its `manifest.json` under `ffi/lib/<os>-<arch>/`, where the loader
 * looks and which it checks before `dlopen`. No install script, no
 * dependency: a package manager only unpacks it.
 *
 * Usage: `deno task pack [--out <directory>]` (default `dist/`).
 *
 * @module
 */

import type TypeScript from "typescript";
import { build, builtLibraryMismatch, targets } from "./build.ts";
import { installDevPackages } from "./bench/peers.ts";
import { libraryFileName } from "./ffi/platform.ts";

const root = new URL(".", import.meta.url).pathname;

/** What `npm pack --json` reports for one tarball. */
export interface PackResult {
  /** Absolute path of the tarball. */
  readonly path: string;
  /** Bytes of the tarball. */
  readonly size: number;
  /** Bytes of its files unpacked. */
  readonly unpackedSize: number;
  /** Every file in the package, relative to its root. */
  readonly files: readonly string[];
}

/** The package's sources: the set `deno publish` ships, less nothing. */
function sourceFiles(): string[] {
  const files = [`${root}mod.ts`];
  const walk = (directory: string, recurse: boolean) => {
    for (const entry of Deno.readDirSync(`${root}${directory}`)) {
      if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        files.push(`${root}${directory}/${entry.name}`);
      } else if (entry.isDirectory && recurse) {
        walk(`${directory}/${entry.name}`, true);
      }
    }
  };
  walk("src", true);
  walk("ffi", false);
  return files.sort();
}

/** `./x.ts` and `../x.ts` become `.js`; anything else is left as it is. */
function rewriteSpecifier(specifier: string): string {
  return /^\.\.?\//.test(specifier) && specifier.endsWith(".ts") && !specifier.endsWith(".d.ts")
    ? `${specifier.slice(0, -3)}.js`
    : specifier;
}

/**
 * Rewrites `new URL("./x.ts", import.meta.url)` (how a module names a
 * worker's entry) to `.js`: the compiler rewrites only import specifiers.
 */
function workerUrlTransformer(ts: typeof TypeScript): TypeScript.TransformerFactory<TypeScript.SourceFile> {
  return (context) => (sourceFile) => {
    const visit = (node: TypeScript.Node): TypeScript.Node => {
      if (
        ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "URL" &&
        node.arguments?.length === 2 && ts.isStringLiteral(node.arguments[0]) &&
        node.arguments[1].getText(sourceFile) === "import.meta.url"
      ) {
        const specifier = node.arguments[0].text;
        const rewritten = rewriteSpecifier(specifier);
        if (rewritten !== specifier) {
          return context.factory.updateNewExpression(node, node.expression, node.typeArguments, [
            context.factory.createStringLiteral(rewritten),
            node.arguments[1],
          ]);
        }
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(sourceFile, visit) as TypeScript.SourceFile;
  };
}

/**
 * Rewrites the `.ts` specifiers the compiler leaves in declarations (in
 * `import`, `export … from` and `import("…")` types) to `.js`, which a
 * consumer's compiler maps to the `.d.ts` beside it whatever its settings.
 */
function declarationSpecifierTransformer(
  ts: typeof TypeScript,
): TypeScript.TransformerFactory<TypeScript.SourceFile | TypeScript.Bundle> {
  return (context) => (node) => {
    const { factory } = context;
    const literal = (specifier: TypeScript.Expression | undefined) =>
      specifier && ts.isStringLiteral(specifier) && rewriteSpecifier(specifier.text) !== specifier.text
        ? factory.createStringLiteral(rewriteSpecifier(specifier.text))
        : undefined;
    const visit = (child: TypeScript.Node): TypeScript.Node => {
      if (ts.isImportDeclaration(child)) {
        const specifier = literal(child.moduleSpecifier);
        if (specifier) {
          return factory.updateImportDeclaration(
            child,
            child.modifiers,
            child.importClause,
            specifier,
            child.attributes,
          );
        }
      } else if (ts.isExportDeclaration(child)) {
        const specifier = literal(child.moduleSpecifier);
        if (specifier) {
          return factory.updateExportDeclaration(
            child,
            child.modifiers,
            child.isTypeOnly,
            child.exportClause,
            specifier,
            child.attributes,
          );
        }
      } else if (ts.isImportTypeNode(child) && ts.isLiteralTypeNode(child.argument)) {
        const specifier = literal(child.argument.literal);
        if (specifier) {
          return factory.updateImportTypeNode(
            child,
            factory.createLiteralTypeNode(specifier as TypeScript.StringLiteral),
            child.attributes,
            child.qualifier,
            child.typeArguments,
            child.isTypeOf,
          );
        }
      }
      return ts.visitEachChild(child, visit, context);
    };
    return ts.visitNode(node, visit) as TypeScript.SourceFile | TypeScript.Bundle;
  };
}

/** Deno's own type declarations, for the modules that call `Deno.dlopen`, without Deno-only lib references. */
async function denoDeclarations(scratch: string): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["types"], stdout: "piped" }).output();
  if (!output.success) throw new Error("`deno types` failed");
  const text = new TextDecoder().decode(output.stdout)
    .replace(/^\/\/\/ <reference (no-default-lib|lib)=.*$/gm, "");
  const path = `${scratch}/lib.deno.d.ts`;
  Deno.writeTextFileSync(path, text);
  return path;
}

/** Emits the JavaScript and declarations into `outDir`; throws on any compiler diagnostic. */
async function compile(ts: typeof TypeScript, outDir: string, scratch: string): Promise<void> {
  const options: TypeScript.CompilerOptions = {
    // Node 20 runs ES2022; `using` is lowered to try/finally, with `Symbol.dispose` (Node 20.4+).
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    rewriteRelativeImportExtensions: true,
    declaration: true,
    strict: true,
    skipLibCheck: true,
    noEmitOnError: true,
    lib: ["lib.esnext.d.ts"],
    types: ["node"],
    typeRoots: [`${root}node_modules/@types`],
    rootDir: root,
    outDir,
    newLine: ts.NewLineKind.LineFeed,
  };
  const program = ts.createProgram([...sourceFiles(), await denoDeclarations(scratch)], options);
  const emitted = program.emit(undefined, undefined, undefined, false, {
    before: [workerUrlTransformer(ts)],
    afterDeclarations: [declarationSpecifierTransformer(ts)],
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0 || emitted.emitSkipped) {
    const host = {
      getCanonicalFileName: (name: string) => name,
      getCurrentDirectory: () => root,
      getNewLine: () => "\n",
    };
    throw new Error(
      `the TypeScript compiler refused the sources:\n${ts.formatDiagnostics(diagnostics, host)}`,
    );
  }
}

/** Every file under `directory`, relative to it, with `/` separators. */
function listFiles(directory: string, prefix = ""): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(`${directory}/${prefix}`)) {
    const relative = `${prefix}${entry.name}`;
    if (entry.isDirectory) files.push(...listFiles(directory, `${relative}/`));
    else files.push(relative);
  }
  return files.sort();
}

/** A relative specifier left ending in `.ts` (outside comments) would not load in Node or Bun. */
function checkSpecifiers(packageDirectory: string): void {
  for (const file of listFiles(packageDirectory)) {
    if (!file.endsWith(".js") && !file.endsWith(".d.ts")) continue;
    const code = Deno.readTextFileSync(`${packageDirectory}/${file}`).split("\n")
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line));
    const left = code.find((line) => /["']\.\.?\/[^"']*\.ts["']/.test(line) && !/\.d\.ts["']/.test(line));
    if (left !== undefined) throw new Error(`${file} still names a .ts module: ${left.trim()}`);
  }
}

/** The published manifest: the root one, at deno.json's version, without what only the checkout uses. */
function packageManifest(): Record<string, unknown> {
  const manifest = JSON.parse(Deno.readTextFileSync(`${root}package.json`));
  const deno = JSON.parse(Deno.readTextFileSync(`${root}deno.json`));
  if (manifest.name !== deno.name) {
    throw new Error(`package.json names ${manifest.name}, deno.json names ${deno.name}`);
  }
  // A package manager that ran these would run code at install time; binlane needs none.
  const scripts = Object.keys(manifest.scripts ?? {});
  if (scripts.length > 0) throw new Error(`package.json must have no scripts, has ${scripts.join(", ")}`);
  for (const field of ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies"]) {
    if (manifest[field] !== undefined) throw new Error(`package.json must have no ${field}`);
  }
  delete manifest.devDependencies;
  return { ...manifest, version: deno.version };
}

/**
 * Builds what is missing or stale, compiles, lays out and packs the package
 * into `outDirectory`.
 */
export async function pack(outDirectory: string): Promise<PackResult> {
  await installDevPackages();
  const { default: ts } = await import("typescript") as { default: typeof TypeScript };
  // Every platform's library from the current sources, each matching its manifest.
  await build({ ifChanged: true });
  for (const target of targets) {
    const mismatch = builtLibraryMismatch(target.directory);
    if (mismatch !== undefined) throw new Error(`cannot pack: ${mismatch}`);
  }
  const scratch = Deno.makeTempDirSync({ prefix: "binlane-pack-" });
  try {
    const packageDirectory = `${scratch}/package`;
    await compile(ts, packageDirectory, scratch);
    checkSpecifiers(packageDirectory);
    for (const target of targets) {
      const directory = `ffi/lib/${target.directory}`;
      Deno.mkdirSync(`${packageDirectory}/${directory}`, { recursive: true });
      for (const file of [libraryFileName(target.directory), "manifest.json"]) {
        Deno.copyFileSync(`${root}${directory}/${file}`, `${packageDirectory}/${directory}/${file}`);
      }
    }
    for (const file of ["README.md", "LICENSE"]) {
      Deno.copyFileSync(`${root}${file}`, `${packageDirectory}/${file}`);
    }
    Deno.writeTextFileSync(
      `${packageDirectory}/package.json`,
      JSON.stringify(packageManifest(), null, 2) + "\n",
    );
    Deno.mkdirSync(outDirectory, { recursive: true });
    const output = await new Deno.Command("npm", {
      args: ["pack", "--json", "--ignore-scripts", "--pack-destination", outDirectory],
      cwd: packageDirectory,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!output.success) throw new Error("npm pack failed");
    const [report] = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string }[];
    }[];
    const files = report.files.map((file) => file.path).sort();
    // npm's `files` globs and the staged layout must agree: nothing compiled may be left out.
    const staged = listFiles(packageDirectory);
    const omitted = staged.filter((file) => !files.includes(file));
    if (omitted.length > 0) throw new Error(`package.json "files" leaves out ${omitted.join(", ")}`);
    return {
      path: `${outDirectory.replace(/\/$/, "")}/${report.filename}`,
      size: report.size,
      unpackedSize: report.unpackedSize,
      files,
    };
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--out");
  const out = at >= 0 ? Deno.args[at + 1] : `${root}dist`;
  if (out === undefined || Deno.args.some((arg, i) => arg !== "--out" && i !== at + 1)) {
    console.error("usage: deno task pack [--out <directory>]");
    Deno.exit(2);
  }
  try {
    const absolute = out.startsWith("/") ? out : `${Deno.cwd()}/${out}`;
    const result = await pack(absolute);
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log(
      `packed ${result.files.length} files: ${kib(result.size)} packed, ${kib(result.unpackedSize)} unpacked`,
    );
    console.log(result.path);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
