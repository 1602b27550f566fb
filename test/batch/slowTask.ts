/**
 * Task module for the scanWorkers termination test: in the worker of any range but the first it
 * holds its module evaluation in a top-level await for 700 ms, then records that its evaluation
 * finished by appending the range start to the file named by PERFCALC_TEST_MARKER.
 */
import { appendFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

const { start } = workerData as { start: number };
if (start > 64) await new Promise((resolve) => setTimeout(resolve, 700));
appendFileSync(process.env.PERFCALC_TEST_MARKER!, `${start}\n`);

export function handleGroup(g: { portfolioId: string }): { id: string } {
  return { id: g.portfolioId };
}
