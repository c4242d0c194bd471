#!/usr/bin/env node
// Makes the npm `solc` (solcjs) answer like the native solc binary that py-solc-x drives:
// `--version` prints the version line, `--standard-json` reads the input JSON on stdin and
// prints only the output JSON (solcjs's CLI prints an SMT notice first and has no
// --allow-paths). Imports resolve from contracts/ and node_modules/ of the repository.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const solc = require(path.join(root, "node_modules", "solc"));
const searchPaths = [root, path.join(root, "contracts"), path.join(root, "node_modules")];

function findImports(importPath) {
  for (const base of searchPaths) {
    const candidate = path.resolve(base, importPath);
    if (!candidate.startsWith(root + path.sep)) continue;
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `File not found in contracts/ or node_modules/: ${importPath}` };
}

const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes("--standard-json")) {
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: findImports }));
} else {
  process.stderr.write("usage: solcjs-shim.js --version | --standard-json < input.json\n");
  process.exit(2);
}
