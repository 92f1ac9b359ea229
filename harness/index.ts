// The public API of the `w3lab` package (require('w3lab')). Everything exported here is supported; modules reached
// any other way are private and may change. Three ways in:
//   - run a scenario (an object in the YAML format, or a file) and get a typed result: runScenario, runScenarios;
//   - step by step: startTarget() brings a target up; the session drives load, injects faults and checks;
//   - the registries: the checkers and targets scenarios can name, and how to add your own.
// The Jest helpers are in `w3lab/jest`, the w3 server alone in `w3lab/w3`.

// Running scenarios
export {
  runScenario,
  runScenarios,
  type ScenarioInput,
  type RunOptions,
  type ScenarioResult,
  type SuiteRunResult,
} from './api/run';
export { loadScenario, parseScenario, ScenarioError } from './scenarios/load-scenario';
export { PreflightError, type PreflightProblem } from './runner/preflight';
export type { Scenario, WorkloadPhase, FaultStep } from './scenarios/schema';
export { parseShard, type Shard } from './suite/shard';
export { mergeSuites, type MergeResult } from './suite/merge';
export type { SuiteInfo, SuiteRun } from './suite/suite-folder';
export type { RunOutcome } from './runner/run-outcome';
export { DEFAULT_RESULTS_DIR } from './results/store';
export type { RunStats, Summary as StatsSummary } from './results/stats';

// Step by step
export {
  startTarget,
  LabSession,
  type TargetOptions,
  type ExpectInput,
  type WorkloadInput,
  type FaultInput,
} from './api/session';
export type { TrackedClientSummary } from './workloads/tracked-client';
export type { AutocannonCompactSummary } from './workloads/autocannon-summary';
export type {
  HistoryRecord,
  RequestRecord,
  SocketRecord,
  MarkRecord,
  Outcome,
  RequestErrorKind,
  SocketCloseKind,
} from './history/types';

// Checkers: the registry, running checks over recorded data, and the verdict types
export { checkers, checkerNames, registerChecker, combine, combineValidity, CheckerConfigError } from './checkers';
export type { Checker, CheckInput, Validity, Verdict, CheckResult, SchemaChecker } from './checkers';
export { defineChecker, verdict } from './checkers/shared';
export { check } from './api/check';

// Targets: the registry and the protocol a target implements
export { getTarget, targetNames, registerTarget } from './targets/registry';
export { TargetError, type TargetErrorCode } from './targets/errors';
export type {
  Target,
  TargetContext,
  StartedTarget,
  Endpoint,
  WorkerInfo,
  RuntimeKind,
  CanRecycle,
  CanControlPools,
  CanListWorkers,
  CanInjectFault,
  CanSignal,
  HasEvents,
} from './targets/types';
export type { Capability } from './targets/capabilities';
export type { LabEvent, LabEventType, LabEventOf } from './events';
export type { WorkerFaultSpec, StartupFaultSpec } from '../faults/spec';

export { MissingPackageError } from './optional-package';
