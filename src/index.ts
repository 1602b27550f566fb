/** perfcalc as a library: the pure engine and the commands, for embedding (the Lambda handler uses the same code). */
export * from './engine/calendarDate.js';
export * from './engine/money.js';
export * from './engine/types.js';
export * from './errors.js';
