/** Timestream (LiveAnalytics) sink: see docs/timestream.md. */
export {
  createTimestreamClient,
  createTimestreamTables,
  timestreamTableDefinitions,
  TIMESTREAM_RETENTION,
  type CreateTimestreamTablesResult,
  type TimestreamClientOptions,
  type TimestreamTableNames,
} from './timestreamClient.js';
export {
  openTimestreamSink,
  isRetryable,
  DEFAULT_RETRY,
  type RetryPolicy,
  type TimestreamSink,
  type TimestreamSinkOptions,
  type TimestreamSinkStats,
} from './timestreamSink.js';
export {
  DAILY_MEASURE,
  DAILY_METHOD,
  MAX_RECORDS_PER_WRITE,
  RUN_MEASURE,
  DEFAULT_TS_DATABASE,
  DEFAULT_TS_TABLE,
} from './timestreamRecords.js';
