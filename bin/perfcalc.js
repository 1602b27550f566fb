#!/usr/bin/env node
// Node's on-disk compile cache (Node >= 22.1; in the OS temp directory) saves most of the ~0.1 s of compiling the CLI's modules on every start.
import('node:module').then((m) => m.enableCompileCache?.()).catch(() => undefined).then(() => import('../dist/cli.js')).then(({ main }) => main(process.argv)).then((code) => { process.exitCode = code; });
