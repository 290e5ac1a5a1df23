/**
 * A components folder that cannot be used as written. The message lists every problem found,
 * one per line, each naming the file, the field and the fix, e.g.
 * `components/redis.yaml: spec.metadata[2] (redisHost) has neither value nor secretKeyRef; ...`.
 */
export class ComponentConfigError extends Error {
  readonly code = 'DUETIME_COMPONENT_CONFIG';

  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems in components:\n${problems.join('\n')}`);
    this.name = 'ComponentConfigError';
  }
}
