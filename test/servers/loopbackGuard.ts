/**
 * Guards that keep tests on loopback: a test that would reach AWS (because an endpoint is unset or an SDK resolved
 * a public host) fails instead.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** True for 127.0.0.0/8, ::1 and `localhost` (and its `*.localhost` subdomains, which resolve to loopback per RFC 6761). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (LOOPBACK_HOSTS.has(host) || host.endsWith('.localhost')) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class LoopbackGuardError extends Error {
  override name = 'LoopbackGuardError';
}

/**
 * Throws unless `endpoint` is an http(s) URL whose host is loopback; returns it unchanged otherwise.
 * Use it on every endpoint a test hands to an SDK client (including `process.env.AWS_ENDPOINT_URL_*`), so an unset
 * variable fails the test instead of silently sending traffic to AWS.
 */
export function assertLoopbackEndpoint(endpoint: string | undefined, label = 'endpoint'): string {
  if (endpoint === undefined || endpoint === '') {
    throw new LoopbackGuardError(`${label} is not set; refusing to let the SDK fall back to an AWS host`);
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new LoopbackGuardError(`${label} is not a URL: ${endpoint}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LoopbackGuardError(`${label} must be http(s): ${endpoint}`);
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new LoopbackGuardError(`${label} ${endpoint} is not a loopback address`);
  }
  return endpoint;
}

interface GuardableClient {
  config: { requestHandler: unknown };
}

interface HandlerLike {
  handle(request: { hostname?: string; protocol?: string; path?: string }, options?: unknown): Promise<unknown>;
}

/**
 * Wraps an AWS SDK v3 client's request handler so that every HTTP request it would send (including internal ones
 * such as Timestream's DescribeEndpoints) is checked first: a non-loopback host throws `LoopbackGuardError` before
 * any DNS lookup or connection. Returns the same client, and records the hosts it let through in `loopbackHosts`.
 * `options.allow` narrows what passes (e.g. only `127.0.0.1`, to also keep `*.localhost` names off the resolver).
 */
export function guardLoopback<C extends GuardableClient>(
  client: C,
  options: { allow?: (hostname: string) => boolean } = {},
): C & { loopbackHosts: string[] } {
  const allow = options.allow ?? isLoopbackHost;
  const handler = client.config.requestHandler as HandlerLike;
  if (handler === null || typeof handler !== 'object' || typeof handler.handle !== 'function') {
    throw new Error('client has no request handler to guard');
  }
  const hosts: string[] = [];
  const original = handler.handle.bind(handler);
  handler.handle = (request, options) => {
    const hostname = request.hostname ?? '';
    if (!allow(hostname)) {
      return Promise.reject(
        new LoopbackGuardError(`blocked a request to ${hostname}${request.path ?? ''}: not an allowed loopback host`),
      );
    }
    hosts.push(hostname);
    return original(request, options);
  };
  return Object.assign(client, { loopbackHosts: hosts });
}
