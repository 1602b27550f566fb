import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { cli: 'src/cli.ts', index: 'src/index.ts', scanWorker: 'src/batch/scanWorker.ts', scanTask: 'src/batch/scanTask.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  sourcemap: true,
  clean: true,
  dts: false,
  splitting: true,
  // The runtime libraries are bundled in (ESM), except the AWS SDK (loaded only for DynamoDB/Timestream runs).
  noExternal: [/^(?!@aws-sdk\/)/],
  // bundled CommonJS libraries require Node's built-ins
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
