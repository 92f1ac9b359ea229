// The public face of harness/report: what the runner and the CLI use to turn a run folder into reports for people
// (report.html), for CI (junit.xml) and for regression tracking (compare, baselines).
export { registerReportCommands, writeRunReports } from './commands';
export { writeHtmlReport, renderHtmlReport } from './html-report';
export { buildReportData, type ReportData } from './report-data';
export { writeJunit, writeRunJunit, renderJunit } from './junit';
export { compare, renderCompareMarkdown, writeCompare, type CompareReport } from './compare';
export { DEFAULT_THRESHOLDS, parseThresholds } from './compare-thresholds';
export { saveBaseline } from './baseline';
export { rerunReport, type RerunResult } from './report-command';
export { loadRun, RunFolderError, type LoadedRun } from './run-files';
