#!/usr/bin/env node
// The I/O floor: one read-only pass over a file in 1 MB chunks (fs.readSync into one reused Buffer), counting
// newlines with Buffer#indexOf (memchr). No parsing, no allocation per chunk. Prints one JSON line.
//   node bench/probes/ioFloor.mjs FILE [--chunk-mb N]
import fs from 'node:fs';

const file = process.argv[2];
if (!file) { console.error('usage: node bench/probes/ioFloor.mjs FILE [--chunk-mb N]'); process.exit(2); }
const i = process.argv.indexOf('--chunk-mb');
const chunk = (i > 0 ? Number(process.argv[i + 1]) : 1) * (1 << 20);
const t0 = process.hrtime.bigint();
const fd = fs.openSync(file, 'r');
const buf = Buffer.allocUnsafe(chunk);
let bytes = 0;
let newlines = 0;
for (;;) {
  const n = fs.readSync(fd, buf, 0, chunk, null);
  if (n === 0) break;
  bytes += n;
  const view = n === chunk ? buf : buf.subarray(0, n);
  let p = view.indexOf(10);
  while (p !== -1) { newlines++; p = view.indexOf(10, p + 1); }
}
fs.closeSync(fd);
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ probe: 'io-floor', file, bytes, newlines, seconds: +s.toFixed(3), MBps: +(bytes / 1e6 / s).toFixed(1) }));
