/** DynamoDB behind perfcalc's source and sink interfaces; the design is in docs/dynamodb.md. */
export { openDynamo, dynamoEndpoint, type DynamoSettings, type DynamoTarget } from './client.js';
export { checkTenant, checkTable, keys, DEFAULT_TABLE, DEFAULT_TENANT, GSI1, GSI2 } from './keys.js';
export { tableDefinition, createTables, type CreateTablesResult } from './tables.js';
export { batchWriteAll, BATCH_SIZE, type BatchWriteOptions, type BatchWriteStats, type Item } from './batchWrite.js';
export { importCsv, type ImportOptions, type ImportReport } from './importCsv.js';
export { openDynamoSource, queryAll, type DynamoSourceOptions } from './dynamoSource.js';
export { openDynamoSink, resultItem, finishToken, ERRORS_IN_TRANSACTION } from './dynamoSink.js';
export {
  auditItems,
  auditResources,
  writeAuditRecord,
  queryAuditDynamo,
  AuditQueryCache,
  auditQueryCache,
  auditCacheStats,
  type AuditDynamoQuery,
  type AuditPage,
} from './audit.js';
