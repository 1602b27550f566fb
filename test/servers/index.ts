/** Real local servers for perfcalc's AWS code paths. See docs/testing-aws.md. */
export { TEST_CREDENTIALS, TEST_REGION } from './awsTestConfig.js';
export { startDynamoDbLocal, dynamoDbLocalDir, type DynamoDbLocal, type DynamoDbLocalOptions } from './dynamoDbLocal.js';
export { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from './faultProxy.js';
export { startFauxqs, type FauxqsServer } from './fauxqs.js';
export {
  startTimestreamServer,
  TIMESTREAM_LIMITS,
  TIMESTREAM_REJECTION,
  type StoredMeasureValue,
  type StoredRecord,
  type TimestreamFault,
  type TimestreamRequestLog,
  type TimestreamServer,
  type TimestreamServerOptions,
} from './timestreamServer.js';
export { assertLoopbackEndpoint, guardLoopback, isLoopbackHost, LoopbackGuardError } from './loopbackGuard.js';
export { findFreeLoopbackPort } from './freePort.js';
export { useDynamoDbLocal, useFauxqs, useTimestreamServer } from './vitestHooks.js';
