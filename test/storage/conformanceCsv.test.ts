import { openCsvSource } from '../../src/storage/csv/csvSource.js';
import { FIXTURE_FILES, sourceConformance } from './conformance.js';

sourceConformance('csv', async () => openCsvSource({ valuations: FIXTURE_FILES.valuations, cashFlows: FIXTURE_FILES.cashFlows, returns: [FIXTURE_FILES.returns] }));
