#!/usr/bin/env node
// Completes package-lock.json with rollup's platform packages for other systems.
//
// Why: npm 11's `npm ci` requires a lock entry for every optional dependency a package names
// (rollup names ~25 platform builds), but the registry these machines reach serves only the Linux
// builds, so `npm install` here cannot record the others and `npm ci` then refuses the lock
// ("Missing: @rollup/rollup-android-arm-eabi@ from lock file"). The entries added here are what a
// lock made on a full registry holds for them: version, os, cpu (and libc), optional, no tarball;
// npm skips them on this platform. Run it after any `npm install` that rewrites the lock:
//   node scripts/complete-lock.mjs && npm ci
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let added = 0;
for (const [key, pkg] of Object.entries(lock.packages)) {
  if (!/(^|\/)node_modules\/rollup$/.test(key) || !pkg.optionalDependencies) continue;
  const base = key.slice(0, -'rollup'.length);
  for (const [name, version] of Object.entries(pkg.optionalDependencies)) {
    const entryKey = `${base}${name}`;
    if (lock.packages[entryKey]) continue;
    const [os, cpu, ...rest] = name.replace('@rollup/rollup-', '').split('-');
    const abi = rest.join('-');
    const entry = { version, cpu: [cpu], dev: pkg.dev === true, license: 'MIT', optional: true, os: [os] };
    if (os === 'linux') entry.libc = [/musl/.test(abi) ? 'musl' : 'glibc'];
    if (!entry.dev) delete entry.dev;
    lock.packages[entryKey] = entry;
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.error(`complete-lock: added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
