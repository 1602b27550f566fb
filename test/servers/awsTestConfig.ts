/**
 * Shared client settings for tests against the local servers: a fixed region and dummy static credentials, so the
 * SDK never consults the default credential chain (profiles, IMDS) during tests.
 * DynamoDB Local only accepts access key ids made of letters and digits. Not frozen: the SDK tags the credentials
 * object it is given (a frozen one makes every request fail with "Cannot set properties of undefined").
 */
export const TEST_REGION = 'us-east-1';

export const TEST_CREDENTIALS = {
  accessKeyId: 'perfcalclocal',
  secretAccessKey: 'perfcalclocalsecret',
};
