import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  DescribeDatabaseCommand,
  DescribeTableCommand,
  ListDatabasesCommand,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type _Record,
} from '@aws-sdk/client-timestream-write';
import {
  startTimestreamServer,
  TIMESTREAM_REJECTION as R,
  type TimestreamServer,
} from '../servers/timestreamServer.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../servers/awsTestConfig.js';
import { assertLoopbackEndpoint, guardLoopback, LoopbackGuardError } from '../servers/loopbackGuard.js';

// Fixed server clock: 2026-01-15T12:00:00Z = 1768478400000 ms since the epoch.
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

let ts: TimestreamServer;
let client: TimestreamWriteClient & { loopbackHosts: string[] };

function newClient(extra: Record<string, unknown> = {}) {
  return guardLoopback(
    new TimestreamWriteClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS, ...extra }),
  );
}

/** Runs `fn` with the given environment variables set (undefined = unset), restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const ENDPOINT_ENV_UNSET = {
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_TIMESTREAM_WRITE: undefined,
  AWS_ENDPOINT_URL_TIMESTREAM: undefined,
};

const daily = (portfolio: string, timeMs: number, value: string): _Record => ({
  Dimensions: [
    { Name: 'tenant', Value: 't1' },
    { Name: 'portfolio', Value: portfolio },
  ],
  MeasureName: 'daily_return',
  MeasureValue: value,
  MeasureValueType: 'DOUBLE',
  Time: String(timeMs),
});

beforeAll(async () => {
  ts = await startTimestreamServer({ now: () => NOW_MS });
  client = newClient({ endpoint: assertLoopbackEndpoint(ts.endpoint) });
  await client.send(new CreateDatabaseCommand({ DatabaseName: 'perfcalc' }));
  await client.send(
    new CreateTableCommand({
      DatabaseName: 'perfcalc',
      TableName: 'series',
      RetentionProperties: { MemoryStoreRetentionPeriodInHours: 24, MagneticStoreRetentionPeriodInDays: 3650 },
    }),
  );
});

afterAll(async () => {
  client?.destroy();
  await ts?.stop();
});

describe('Timestream write server: resources', () => {
  it('creates, describes and lists databases and tables; explicit endpoint skips DescribeEndpoints', async () => {
    const db = await client.send(new DescribeDatabaseCommand({ DatabaseName: 'perfcalc' }));
    expect(db.Database).toMatchObject({ DatabaseName: 'perfcalc', TableCount: 1 });
    expect(db.Database?.CreationTime).toEqual(new Date(NOW_MS));
    const table = await client.send(new DescribeTableCommand({ DatabaseName: 'perfcalc', TableName: 'series' }));
    expect(table.Table).toMatchObject({
      TableName: 'series',
      TableStatus: 'ACTIVE',
      RetentionProperties: { MemoryStoreRetentionPeriodInHours: 24, MagneticStoreRetentionPeriodInDays: 3650 },
      MagneticStoreWriteProperties: { EnableMagneticStoreWrites: false },
    });
    const list = await client.send(new ListDatabasesCommand({}));
    expect(list.Databases?.map((d) => d.DatabaseName)).toEqual(['perfcalc']);
    await expect(client.send(new CreateDatabaseCommand({ DatabaseName: 'perfcalc' }))).rejects.toMatchObject({
      name: 'ConflictException',
    });
    await expect(
      client.send(new DescribeTableCommand({ DatabaseName: 'perfcalc', TableName: 'nope' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(
      client.send(new CreateTableCommand({ DatabaseName: 'missing', TableName: 'x1x' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      client.send(
        new CreateTableCommand({
          DatabaseName: 'perfcalc',
          TableName: 'bad_retention',
          RetentionProperties: { MemoryStoreRetentionPeriodInHours: 8767, MagneticStoreRetentionPeriodInDays: 1 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(ts.requests.some((r) => r.operation === 'DescribeEndpoints')).toBe(false);
  });
});

describe('Timestream write server: WriteRecords', () => {
  it('stores valid single- and multi-measure records, merging CommonAttributes', async () => {
    const t0 = NOW_MS - 2 * HOUR_MS;
    const out = await client.send(
      new WriteRecordsCommand({
        DatabaseName: 'perfcalc',
        TableName: 'series',
        CommonAttributes: { Dimensions: [{ Name: 'tenant', Value: 't1' }], TimeUnit: 'SECONDS' },
        Records: [
          {
            Dimensions: [{ Name: 'portfolio', Value: 'PF1' }],
            MeasureName: 'daily',
            MeasureValueType: 'MULTI',
            MeasureValues: [
              { Name: 'daily_return', Value: '0.0125', Type: 'DOUBLE' },
              { Name: 'cumulative_index', Value: '101.25', Type: 'DOUBLE' },
              { Name: 'observations', Value: '42', Type: 'BIGINT' },
            ],
            Time: String(t0 / 1000),
          },
          {
            Dimensions: [{ Name: 'portfolio', Value: 'PF1' }],
            MeasureName: 'status',
            MeasureValueType: 'VARCHAR',
            MeasureValue: 'ok',
            Time: String(t0 / 1000),
          },
        ],
      }),
    );
    expect(out.RecordsIngested).toEqual({ Total: 2, MemoryStore: 2, MagneticStore: 0 });
    const stored = ts.records('perfcalc', 'series');
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({
      dimensions: [
        { name: 'tenant', value: 't1' },
        { name: 'portfolio', value: 'PF1' },
      ],
      measureName: 'daily',
      measureValueType: 'MULTI',
      measureValues: [
        { name: 'daily_return', type: 'DOUBLE', value: '0.0125' },
        { name: 'cumulative_index', type: 'DOUBLE', value: '101.25' },
        { name: 'observations', type: 'BIGINT', value: '42' },
      ],
      timeUnit: 'SECONDS',
      version: 1,
      store: 'memory',
    });
    // (NOW_MS - 2 h) / 1000 s * 1e9 ns/s
    expect(stored[0]?.timeNs).toBe(BigInt(t0 / 1000) * 1_000_000_000n);
    expect(stored[1]).toMatchObject({ measureName: 'status', measureValue: 'ok', measureValueType: 'VARCHAR' });
  });

  it('rejects invalid records with their index and reason and stores the valid ones', async () => {
    const t = NOW_MS - HOUR_MS;
    const records: _Record[] = [
      daily('PF2', t, '0.01'), // 0 valid
      daily('PF2', NOW_MS - 25 * HOUR_MS, '0.01'), // 1 older than the 24 h memory store, magnetic writes off
      daily('PF2', NOW_MS + 16 * 60_000, '0.01'), // 2 more than 15 minutes ahead
      { ...daily('PF2', t, '0.01'), Dimensions: [{ Name: 'd'.repeat(31) + 'é'.repeat(15), Value: 'x' }] }, // 3: 31 + 2*15 = 61 bytes
      { ...daily('PF2', t, '0.01'), MeasureName: 'm'.repeat(257) }, // 4
      { ...daily('PF2', t, 'NaN') }, // 5
      { ...daily('PF2', t, '1'), MeasureName: 'big', MeasureValueType: 'BIGINT', MeasureValue: '9223372036854775808' }, // 6: 2^63
      { ...daily('PF2', t, 'yes'), MeasureName: 'flag', MeasureValueType: 'BOOLEAN' }, // 7
      { ...daily('PF2', t, '1'), MeasureName: 'time' }, // 8 system identifier
      { ...daily('PF2', t, '1'), Dimensions: [{ Name: 'ts_tenant', Value: 'x' }] }, // 9 system identifier prefix
      {
        ...daily('PF2', t, '1'),
        Dimensions: [
          { Name: 'portfolio', Value: 'PF2' },
          { Name: 'portfolio', Value: 'PF3' },
        ],
      }, // 10
      { ...daily('PF2', t, '1'), MeasureName: 'daily_return', MeasureValueType: 'BIGINT', MeasureValue: '1' }, // 11 type conflict with record 0
      { ...daily('PF2', t, '1'), Dimensions: [{ Name: 'portfolio', Value: 'p'.repeat(2040) }] }, // 12: 9 + 2040 > 2048
      {
        ...daily('PF2', t, '1'),
        MeasureName: 'wide',
        MeasureValueType: 'MULTI',
        MeasureValue: undefined,
        MeasureValues: Array.from({ length: 257 }, (_, i) => ({ Name: `m${i}`, Value: '1', Type: 'DOUBLE' })),
      }, // 13
      {
        ...daily('PF2', t, '1'),
        MeasureName: 'heavy',
        MeasureValueType: 'MULTI',
        MeasureValue: undefined,
        MeasureValues: [
          { Name: 'a', Value: 'x'.repeat(1100), Type: 'VARCHAR' },
          { Name: 'b', Value: 'y'.repeat(1000), Type: 'VARCHAR' },
        ],
      }, // 14: 1100 + 1000 = 2100 > 2048 bytes of values
      { ...daily('PF2', t, '1'), MeasureValueType: 'MULTI' }, // 15 MULTI with MeasureValue
      {
        ...daily('PF2', t, '1'),
        MeasureName: 'dims_as_measure',
        MeasureValueType: 'MULTI',
        MeasureValue: undefined,
        MeasureValues: [{ Name: 'portfolio', Value: '1', Type: 'DOUBLE' }],
      }, // 16 measure named like a dimension
    ];
    const err = await client
      .send(new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'series', Records: records }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ name: 'RejectedRecordsException', $metadata: { httpStatusCode: 419 } });
    expect((err as { RejectedRecords: unknown }).RejectedRecords).toEqual([
      { RecordIndex: 1, Reason: R.timeOutsideWindow },
      { RecordIndex: 2, Reason: R.timeOutsideWindow },
      { RecordIndex: 3, Reason: R.dimensionNameTooLong },
      { RecordIndex: 4, Reason: R.measureNameTooLong },
      { RecordIndex: 5, Reason: R.invalidValue('DOUBLE') },
      { RecordIndex: 6, Reason: R.invalidValue('BIGINT') },
      { RecordIndex: 7, Reason: R.invalidValue('BOOLEAN') },
      { RecordIndex: 8, Reason: R.systemIdentifier },
      { RecordIndex: 9, Reason: R.systemIdentifier },
      { RecordIndex: 10, Reason: R.duplicateDimension },
      { RecordIndex: 11, Reason: R.typeConflict },
      { RecordIndex: 12, Reason: R.dimensionsTooLarge },
      { RecordIndex: 13, Reason: R.tooManyMeasures },
      { RecordIndex: 14, Reason: R.multiValuesTooLarge },
      { RecordIndex: 15, Reason: R.multiNeedsMeasureValues },
      { RecordIndex: 16, Reason: R.nameCollision },
    ]);
    const pf2 = ts.records('perfcalc', 'series').filter((r) => r.dimensions.some((d) => d.value === 'PF2'));
    expect(pf2.map((r) => [r.measureName, r.measureValue, r.time])).toEqual([['daily_return', '0.01', String(t)]]);
  });

  it('rejects a duplicate with a different value unless its Version is higher', async () => {
    const t = NOW_MS - 3 * HOUR_MS;
    const write = (record: _Record) =>
      client.send(new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'series', Records: [record] }));
    await write(daily('PF3', t, '0.5'));
    await expect(write(daily('PF3', t, '0.5'))).resolves.toMatchObject({ RecordsIngested: { Total: 1 } }); // same value: idempotent
    await expect(write(daily('PF3', t, '0.6'))).rejects.toMatchObject({
      name: 'RejectedRecordsException',
      RejectedRecords: [{ RecordIndex: 0, Reason: R.duplicateWithDifferentValue, ExistingVersion: 1 }],
    });
    await write({ ...daily('PF3', t, '0.6'), Version: 2 });
    const pf3 = ts.records('perfcalc', 'series').filter((r) => r.dimensions.some((d) => d.value === 'PF3'));
    expect(pf3.map((r) => [r.measureValue, r.version])).toEqual([['0.6', 2]]);
  });

  it('fails the whole request with ValidationException above 100 records, and for unknown tables with ResourceNotFound', async () => {
    const before = ts.records().length;
    const records = Array.from({ length: 101 }, (_, i) => daily('PF4', NOW_MS - HOUR_MS - i * 1000, '0.1'));
    await expect(
      client.send(new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'series', Records: records })),
    ).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect(ts.records().length).toBe(before);
    await expect(
      client.send(
        new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'series', Records: records.slice(0, 100) }),
      ),
    ).resolves.toMatchObject({ RecordsIngested: { Total: 100 } });
    await expect(
      client.send(new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'nope', Records: records.slice(0, 1) })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('rejects further invalid shapes: record size, measure value rules, time format and table-wide limits', async () => {
    const t = NOW_MS - HOUR_MS;
    const base = daily('PF6', t, '1');
    const records: _Record[] = [
      // 0: dimensions tenant+t1+portfolio+PF6 = 6+2+9+3 = 20 bytes, name 'note' 4, value 2030 -> 2054 > 2048
      { ...base, MeasureName: 'note', MeasureValueType: 'VARCHAR', MeasureValue: 'n'.repeat(2030) },
      { ...base, MeasureValue: undefined }, // 1
      {
        ...base,
        MeasureName: 'm1',
        MeasureValues: [{ Name: 'x', Value: '1', Type: 'DOUBLE' }],
      }, // 2: MeasureValues on a DOUBLE record
      {
        ...base,
        MeasureName: 'm2',
        MeasureValueType: 'MULTI',
        MeasureValue: undefined,
        MeasureValues: [
          { Name: 'x', Value: '1', Type: 'DOUBLE' },
          { Name: 'x', Value: '2', Type: 'DOUBLE' },
        ],
      }, // 3
      {
        ...base,
        MeasureName: 'm3',
        MeasureValueType: 'MULTI',
        MeasureValue: undefined,
        MeasureValues: [{ Name: 'x', Value: '1', Type: 'MULTI' }],
      }, // 4
      { ...base, Time: '2026-01-15T11:00:00Z' }, // 5
      { ...base, Time: undefined }, // 6
      { ...base, MeasureName: undefined }, // 7
      {
        ...base,
        MeasureName: 'wide_dims',
        Dimensions: Array.from({ length: 100 }, (_, i) => ({ Name: `d${i}`, Value: 'v' })),
      }, // 8: valid, the table now has tenant, portfolio (earlier tests) + 100 = 102 dimensions
      {
        ...base,
        MeasureName: 'wider_dims',
        Dimensions: Array.from({ length: 27 }, (_, i) => ({ Name: `e${i}`, Value: 'v' })),
      }, // 9: 102 + 27 = 129 > 128 dimensions per table
      { ...base, MeasureName: 'ok_dims', Dimensions: Array.from({ length: 26 }, (_, i) => ({ Name: `e${i}`, Value: 'v' })) }, // 10: 128
    ];
    await expect(
      client.send(new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'series', Records: records })),
    ).rejects.toMatchObject({
      RejectedRecords: [
        { RecordIndex: 0, Reason: R.recordTooLarge },
        { RecordIndex: 1, Reason: R.missingMeasureValue },
        { RecordIndex: 2, Reason: R.measureValuesNeedMulti },
        { RecordIndex: 3, Reason: R.duplicateMeasure },
        { RecordIndex: 4, Reason: R.nestedMulti },
        { RecordIndex: 5, Reason: R.badTime },
        { RecordIndex: 6, Reason: R.missingTime },
        { RecordIndex: 7, Reason: R.missingMeasureName },
        { RecordIndex: 9, Reason: R.tooManyTableDimensions },
      ],
    });
    const names = ts.records('perfcalc', 'series').map((r) => r.measureName);
    expect(names).toContain('wide_dims');
    expect(names).toContain('ok_dims');
    expect(names).not.toContain('wider_dims');
  });

  it('injected throttling answers 429 ThrottlingException, which the SDK retries', async () => {
    ts.inject({ kind: 'throttling', operation: 'WriteRecords' });
    const out = await client.send(
      new WriteRecordsCommand({
        DatabaseName: 'perfcalc',
        TableName: 'series',
        Records: [daily('PF7', NOW_MS - HOUR_MS, '0.3')],
      }),
    );
    expect(out.$metadata.attempts).toBe(2);
    expect(ts.requests.slice(-2)).toEqual([
      { operation: 'WriteRecords', host: `127.0.0.1:${ts.port}`, fault: 'throttling' },
      { operation: 'WriteRecords', host: `127.0.0.1:${ts.port}` },
    ]);
    ts.inject({ kind: 'throttling', operation: 'WriteRecords' });
    const once = newClient({ endpoint: ts.endpoint, maxAttempts: 1 });
    try {
      await expect(
        once.send(
          new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'series', Records: [daily('PF7', NOW_MS - HOUR_MS, '0.3')] }),
        ),
      ).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    } finally {
      once.destroy();
    }
  });

  it('accepts old records into the magnetic store only when magnetic store writes are enabled', async () => {
    await client.send(
      new CreateTableCommand({
        DatabaseName: 'perfcalc',
        TableName: 'history',
        RetentionProperties: { MemoryStoreRetentionPeriodInHours: 24, MagneticStoreRetentionPeriodInDays: 3650 },
        MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
      }),
    );
    const write = (timeMs: number) =>
      client.send(
        new WriteRecordsCommand({ DatabaseName: 'perfcalc', TableName: 'history', Records: [daily('PF5', timeMs, '0.2')] }),
      );
    await expect(write(NOW_MS - 400 * DAY_MS)).resolves.toMatchObject({
      RecordsIngested: { Total: 1, MemoryStore: 0, MagneticStore: 1 },
    });
    // 3651 days back is beyond the 3650-day magnetic retention
    await expect(write(NOW_MS - 3651 * DAY_MS)).rejects.toMatchObject({
      RejectedRecords: [{ RecordIndex: 0, Reason: R.timeOutsideWindow }],
    });
  });
});

describe('Timestream endpoint modes of @aws-sdk/client-timestream-write', () => {
  it('with only AWS_ENDPOINT_URL_TIMESTREAM_WRITE it calls DescribeEndpoints, then the returned host on the same port', async () => {
    const discovering = await startTimestreamServer({ now: () => NOW_MS, discoveryAddress: 'localhost' });
    try {
      await withEnv({ ...ENDPOINT_ENV_UNSET, AWS_ENDPOINT_URL_TIMESTREAM_WRITE: discovering.endpoint }, async () => {
        const envClient = newClient();
        assertLoopbackEndpoint(process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE, 'AWS_ENDPOINT_URL_TIMESTREAM_WRITE');
        try {
          await envClient.send(new CreateDatabaseCommand({ DatabaseName: 'envdb' }));
          await envClient.send(new CreateDatabaseCommand({ DatabaseName: 'envdb2' }));
        } finally {
          envClient.destroy();
        }
        expect(discovering.requests).toEqual([
          { operation: 'DescribeEndpoints', host: `127.0.0.1:${discovering.port}` },
          { operation: 'CreateDatabase', host: `localhost:${discovering.port}` },
          { operation: 'CreateDatabase', host: `localhost:${discovering.port}` }, // discovered endpoint is cached
        ]);
      });
    } finally {
      await discovering.stop();
    }
  });

  it('rejects endpointDiscoveryEnabled: true together with an explicit endpoint', async () => {
    const before = ts.requests.length;
    const both = newClient({ endpoint: ts.endpoint, endpointDiscoveryEnabled: true });
    try {
      await expect(both.send(new ListDatabasesCommand({}))).rejects.toThrow(
        'Custom endpoint is supplied; endpointDiscoveryEnabled must not be true.',
      );
    } finally {
      both.destroy();
    }
    expect(ts.requests.length).toBe(before);
  });

  it('with no endpoint at all it would call AWS: the loopback guard blocks it before any connection', async () => {
    await withEnv(ENDPOINT_ENV_UNSET, async () => {
      expect(() => assertLoopbackEndpoint(process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE)).toThrow(LoopbackGuardError);
      const bare = newClient();
      try {
        const err = await bare.send(new ListDatabasesCommand({})).then(
          () => undefined,
          (e: unknown) => e,
        );
        // the SDK first tries DescribeEndpoints on AWS's ingest host; the guard refuses it and the SDK wraps that
        expect((err as Error).message).toBe(
          'The operation to discover endpoint failed. Please retry, or provide a custom endpoint and disable endpoint discovery to proceed.',
        );
        const reason = (err as { reason?: unknown }).reason;
        expect(reason).toBeInstanceOf(LoopbackGuardError);
        expect((reason as Error).message).toBe(
          'blocked a request to ingest.timestream.us-east-1.amazonaws.com/: not an allowed loopback host',
        );
        expect(bare.loopbackHosts).toEqual([]);
      } finally {
        bare.destroy();
      }
    });
  });
});
