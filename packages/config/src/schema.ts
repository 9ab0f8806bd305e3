import type * as z from 'zod';
import { nodeConfigFields } from './fields.js';
import { analyzeNodeConfig } from './rules/analyze.js';
import { FailedPaths, readLooseFields } from './rules/loose.js';
import type { NodeConfig } from './types.js';

/**
 * The whole configuration of a member as one zod schema: field checks
 * (types, ranges, address syntax, unknown keys), then the cross-field rules
 * (unique ids and addresses, the local member among the members, election
 * timeout above the heartbeat, TLS consistency, ...), then resolution into a
 * {@link NodeConfig} with every default filled in.
 *
 * Its input is the shape of the config file ({@link NodeConfigInput}).
 * Issues carry the offending value (parse with `{ reportInput: true }`) and
 * say in their message what was expected. `loadConfig` also makes paths
 * absolute; parsing directly leaves them as given.
 */
export const nodeConfigSchema = nodeConfigFields
  .superRefine(
    (fields, ctx) => {
      // Unknown keys do not make the known fields next to them unusable.
      const failed = new FailedPaths(ctx.issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => i.path ?? []));
      for (const p of analyzeNodeConfig(readLooseFields(fields, failed)).problems) {
        ctx.addIssue({
          code: 'custom',
          path: p.path,
          message: p.expected,
          input: p.value,
          params: { problem: p.problem, origin: p.origin },
        });
      }
    },
    // Run even when some fields failed, so cross-field problems are reported in the same pass.
    { when: () => true },
  )
  .transform((fields): NodeConfig => {
    const { config } = analyzeNodeConfig(readLooseFields(fields, new FailedPaths([])));
    if (!config) throw new Error('a configuration without issues could not be resolved');
    return config;
  });

/** What a config file (or a program building a configuration) may contain: every field optional but `members[].id`/`peer`. */
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
