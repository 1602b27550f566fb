/**
 * Child process for the audit log's concurrent-append test (bundled with esbuild by the test):
 * argv: <stateDir> <writer> <count> <padBytes>. Appends `count` records, each with a `pad` string
 * of padBytes characters (to make lines longer than PIPE_BUF), as fast as it can.
 */
import { appendAudit } from '../../src/batch/auditLog.js';

const [stateDir, writer, countText, padText] = process.argv.slice(2);
const pad = writer!.repeat(Number(padText));
for (let i = 0; i < Number(countText); i++) {
  await appendAudit(stateDir!, {
    run_id: `${writer}-${i}`,
    user: `user-${writer}`,
    command: 'run',
    argv: ['run', '--pad', pad],
    inputs: [],
    counts: { seq: i },
    outcome: 'ok',
    started_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    finished_at: new Date(Date.UTC(2026, 0, 1) + i * 1000 + 500).toISOString(),
  });
}
