#!/usr/bin/env node
// A `solc`-compatible command line on top of the npm `solc` package (the official compiler
// built to WebAssembly). py-solc-x and ape-solidity drive a native `solc` binary; none can be
// downloaded on these machines, so this file is registered in their place
// (see tigerex/toolchain/__init__.py). It implements the subset they use:
//   --version                      answered from a cache, without loading the compiler (~0.6 s)
//   --standard-json [--base-path P] [--allow-paths A,B] [--include-path P]...   JSON on stdin
//   --help                         usage, so py-solc-x's feature probe works
// Output is written with process.stdout.write and the process left to exit on its own:
// process.exit() right after a large write to a pipe truncates it at 64 KiB.
"use strict";

const fs = require("fs");
const path = require("path");

function resolveSolc() {
  const roots = [process.env.TIGEREX_ROOT, process.cwd(), __dirname].filter(Boolean);
  return require.resolve("solc", { paths: roots });
}

function solcPackageDir() {
  return path.dirname(resolveSolc());
}

function fullVersion() {
  // The long version ("0.8.30+commit.73712a01.Emscripten.clang") is only known to the
  // WebAssembly module; cache it per package version so --version stays instant.
  const pkgDir = solcPackageDir();
  const pkgVersion = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
  const cacheFile = path.join(pkgDir, ".tigerex-version-cache.json");
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
    if (cached.package === pkgVersion) return cached.full;
  } catch (_) {
    // no cache yet
  }
  const full = require(resolveSolc()).version();
  try {
    fs.writeFileSync(cacheFile, JSON.stringify({ package: pkgVersion, full }));
  } catch (_) {
    // read-only install: answer without caching
  }
  return full;
}

function parseArgs(argv) {
  const opts = { mode: null, basePath: null, includePaths: [], allowPaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case "--version":
      case "--standard-json":
      case "--help":
        opts.mode = opts.mode || flag;
        break;
      case "--base-path":
        opts.basePath = value();
        break;
      case "--include-path":
        opts.includePaths.push(value());
        break;
      case "--allow-paths":
        opts.allowPaths.push(...value().split(",").filter(Boolean));
        break;
      default:
        // Flags that only matter to the native binary's file handling are accepted and ignored.
        break;
    }
  }
  return opts;
}

function makeImportCallback(opts) {
  const roots = [opts.basePath, ...opts.includePaths, ...opts.allowPaths, process.cwd()].filter(Boolean);
  return function findImport(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      try {
        return { contents: fs.readFileSync(candidate, "utf8") };
      } catch (_) {
        // try the next root
      }
    }
    return { error: `File not found in base path or include paths: ${importPath}` };
  };
}

function readStdin() {
  const chunks = [];
  let fd = 0;
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if (err.code === "EAGAIN") continue;
      if (err.code === "EOF") break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString("utf8");
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.mode === "--version") {
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${fullVersion()}\n`,
    );
    return;
  }
  if (opts.mode === "--help" || opts.mode === null) {
    process.stdout.write(
      [
        "solc (TigerEx shim over the npm solc package)",
        "Usage: solc --standard-json [--base-path P] [--include-path P] [--allow-paths A,B]",
        "  --version            Show version and exit.",
        "  --standard-json      Read Standard JSON input on stdin, write Standard JSON output.",
        "",
      ].join("\n"),
    );
    process.exitCode = opts.mode === null ? 1 : 0;
    return;
  }
  const input = readStdin();
  const solc = require(resolveSolc());
  const output = solc.compile(input, { import: makeImportCallback(opts) });
  process.stdout.write(output);
}

main();
