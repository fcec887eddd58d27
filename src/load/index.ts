/** The load generator: `runLoad()` for `shield load` and `shield verify`. */
export { runLoad } from './run.js';
export type { CallRecord, LoadOptions, LoadProgress } from './options.js';
export { parseThreshold, evaluateExpectations, FAST_FAIL_OUTCOMES, FAST_FAIL_LIMIT_MS, type Threshold, type ExpectationSpec } from './expectations.js';
export type { LoadReport } from '../report/load-report.js';
export { mergeLoadReports } from './merge.js';
export { parseLoadReport, loadReportJsonSchema } from '../report/load-schema.js';
export { writeLoadReport, renderLoadReport } from '../report/load-write.js';
