import { describe, expect, it } from 'vitest';
import { assertLoopbackEndpoint, isLoopbackHost, LoopbackGuardError } from '../servers/loopbackGuard.js';

describe('loopback guard', () => {
  it('classifies hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'sqs.us-east-1.localhost', '::1', '[::1]']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['dynamodb.us-east-1.amazonaws.com', '10.0.0.1', '128.0.0.1', 'localhost.example.com', '']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('assertLoopbackEndpoint returns loopback endpoints and throws for unset, public or malformed ones', () => {
    expect(assertLoopbackEndpoint('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000');
    expect(() => assertLoopbackEndpoint(undefined, 'AWS_ENDPOINT_URL_DYNAMODB')).toThrow(
      new LoopbackGuardError('AWS_ENDPOINT_URL_DYNAMODB is not set; refusing to let the SDK fall back to an AWS host'),
    );
    expect(() => assertLoopbackEndpoint('')).toThrow(LoopbackGuardError);
    expect(() => assertLoopbackEndpoint('https://dynamodb.us-east-1.amazonaws.com')).toThrow(
      'endpoint https://dynamodb.us-east-1.amazonaws.com is not a loopback address',
    );
    expect(() => assertLoopbackEndpoint('127.0.0.1:8000')).toThrow(LoopbackGuardError); // no scheme
  });
});
