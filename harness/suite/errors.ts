// Errors of suites, shards and merges, with stable codes; all are the user's to fix, so the CLI exits 254:
//   LAB_ERR_SHARD   a bad --shard value
//   LAB_ERR_MERGE   `w3lab merge` got folders it cannot merge (no suite, mixed shard totals, a shard twice or missing)

export class ShardError extends Error {
  readonly code = 'LAB_ERR_SHARD';
  readonly exitCode = 254;
  constructor(message: string) {
    super(message);
    this.name = 'ShardError';
  }
}

export class MergeError extends Error {
  readonly code = 'LAB_ERR_MERGE';
  readonly exitCode = 254;
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}
