import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One injected fault. `operation` is the DynamoDB operation name from X-Amz-Target (e.g. `BatchWriteItem`);
 * omitted = any operation. `times` = how many matching requests it applies to (default 1).
 *
 * - `unprocessed`: BatchWriteItem only. The proxy withholds the last `count` write requests (default: half,
 *   rounded up) from the real server and returns them in `UnprocessedItems`, exactly as DynamoDB does under load,
 *   so the withheld items are really not written until the caller retries them.
 * - `throttling`: answers 400 ThrottlingException without forwarding.
 * - `provisioned-throughput-exceeded`: answers 400 ProvisionedThroughputExceededException without forwarding.
 */
export type Fault =
  | { kind: 'unprocessed'; operation?: 'BatchWriteItem'; count?: number; times?: number }
  | { kind: 'throttling'; operation?: string; times?: number }
  | { kind: 'provisioned-throughput-exceeded'; operation?: string; times?: number };

export interface ProxiedRequest {
  operation: string;
  /** The fault applied to this request, if any. */
  fault?: Fault['kind'];
  /** For `unprocessed`: how many write requests were withheld. */
  withheld?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point the DynamoDB client here instead of at the real server. */
  endpoint: string;
  /** Queue another fault (applied after the ones already queued, in order). */
  inject(fault: Fault): void;
  /** Faults not yet used up. */
  pending(): number;
  /** Every request seen, in order. */
  requests: ProxiedRequest[];
  stop(): Promise<void>;
}

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

type WriteRequest = Record<string, unknown>;

const ERROR_TYPES = {
  throttling: 'com.amazon.coral.availability#ThrottlingException',
  'provisioned-throughput-exceeded': 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
} as const;

const ERROR_MESSAGES = {
  throttling: 'Rate of requests exceeds the allowed throughput.',
  'provisioned-throughput-exceeded':
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
} as const;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(text.length),
  });
  res.end(text);
}

/**
 * Withholds the last `count` write requests across the request's tables (tables in request order, items in order).
 * Returns the trimmed RequestItems and the withheld ones keyed by table.
 */
function splitWrites(
  requestItems: Record<string, WriteRequest[]>,
  count: number,
): { kept: Record<string, WriteRequest[]>; withheld: Record<string, WriteRequest[]>; withheldCount: number } {
  const flat: Array<{ table: string; item: WriteRequest }> = [];
  for (const [table, items] of Object.entries(requestItems)) for (const item of items) flat.push({ table, item });
  const cut = Math.max(0, flat.length - count);
  const kept: Record<string, WriteRequest[]> = {};
  const withheld: Record<string, WriteRequest[]> = {};
  flat.forEach(({ table, item }, i) => {
    const target = i < cut ? kept : withheld;
    (target[table] ??= []).push(item);
  });
  return { kept, withheld, withheldCount: flat.length - cut };
}

/**
 * Starts an HTTP proxy on a free 127.0.0.1 port in front of `target` (a DynamoDB endpoint such as DynamoDB Local's)
 * that injects the queued faults in order. Requests without a matching fault pass through unchanged. The proxy
 * forwards the client's signed request byte for byte (same path, headers and body) except for a trimmed
 * BatchWriteItem body; DynamoDB Local does not verify signatures, so that is accepted.
 */
export async function startFaultProxy(target: string, plan: Fault[] = []): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const queue: QueuedFault[] = plan.map((fault) => ({ fault, remaining: fault.times ?? 1 }));
  const requests: ProxiedRequest[] = [];

  function takeFault(operation: string): Fault | undefined {
    const entry = queue.find(
      (q) =>
        (q.fault.operation === undefined || q.fault.operation === operation) &&
        (q.fault.kind !== 'unprocessed' || operation === 'BatchWriteItem'),
    );
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) queue.splice(queue.indexOf(entry), 1);
    return entry.fault;
  }

  function forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      headers['content-length'] = String(body.length);
      const upstream = httpRequest(
        { hostname: targetUrl.hostname, port: targetUrl.port, path: req.url, method: req.method, headers },
        (res) => {
          readBody(res).then((b) => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
            resolve({ status: res.statusCode ?? 502, headers: out, body: b });
          }, reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    const operation = targetHeader.slice(targetHeader.indexOf('.') + 1);
    const fault = takeFault(operation);
    if (fault === undefined) {
      requests.push({ operation });
      const upstream = await forward(req, body);
      res.writeHead(upstream.status, upstream.headers);
      res.end(upstream.body);
      return;
    }
    if (fault.kind === 'throttling' || fault.kind === 'provisioned-throughput-exceeded') {
      requests.push({ operation, fault: fault.kind });
      sendJson(res, 400, { __type: ERROR_TYPES[fault.kind], message: ERROR_MESSAGES[fault.kind] });
      return;
    }
    const parsed = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, WriteRequest[]> };
    const total = Object.values(parsed.RequestItems).reduce((n, items) => n + items.length, 0);
    const { kept, withheld, withheldCount } = splitWrites(parsed.RequestItems, fault.count ?? Math.ceil(total / 2));
    requests.push({ operation, fault: fault.kind, withheld: withheldCount });
    let response: Record<string, unknown> = { UnprocessedItems: {} };
    if (Object.keys(kept).length > 0) {
      const upstream = await forward(req, Buffer.from(JSON.stringify({ ...parsed, RequestItems: kept })));
      if (upstream.status !== 200) {
        res.writeHead(upstream.status, upstream.headers);
        res.end(upstream.body);
        return;
      }
      response = JSON.parse(upstream.body.toString('utf8')) as Record<string, unknown>;
    }
    const unprocessed = { ...((response.UnprocessedItems as Record<string, WriteRequest[]>) ?? {}) };
    for (const [table, items] of Object.entries(withheld)) unprocessed[table] = [...(unprocessed[table] ?? []), ...items];
    // The body changed, so the upstream x-amz-crc32 header would no longer match: it is not copied.
    sendJson(res, 200, { ...response, UnprocessedItems: unprocessed });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { __type: 'ProxyError', message: String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (fault) => queue.push({ fault, remaining: fault.times ?? 1 }),
    pending: () => queue.length,
    requests,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
