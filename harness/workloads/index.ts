// Public surface of the workloads: the connection-tracking client (per-request and per-socket history), autocannon
// load, and the throughput comparison between the two.
export { runTrackedClient, type TrackedClientSummary } from './tracked-client';
export { MAX_CONNECTIONS, MAX_DURATION_MS, type TrackedClientOptions } from './tracked-client-options';
export { runAutocannon, summarizeAutocannon, AUTOCANNON_NOTE } from './autocannon-load';
export type { AutocannonLoadOptions, AutocannonSummary, AutocannonCompactSummary } from './autocannon-load';
export { compareWithAutocannon, type ThroughputComparison, type CompareOptions } from './compare-throughput';
export { classifyStatus, classifyTransportError, errorKindOf, type Classification, type OkStatuses } from './outcome';
export { encodeRequest, isIdempotent, type RequestSpec, type EncodedRequest } from './request-spec';
export { ResponseParser, type ResponseHead } from './http-response-parser';
export { LatencyHistogram, type LatencySummary } from './latency-histogram';
export { WorkloadError, WorkloadOptionsError } from './errors';
