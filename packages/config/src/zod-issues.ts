import type * as z from 'zod';
import { nodeConfigFields } from './fields.js';
import { makeIssue, REDACTED, type ConfigIssue } from './issues.js';
import type { DescribeOptions } from './layers.js';
import { formatPath, isRecord, type Segment } from './path.js';
import { closestName } from './suggest.js';

/** Names the source of the value at a path; `undefined` when it is unknown. */
export type SourceOf = (path: readonly PropertyKey[], options?: DescribeOptions) => string | undefined;

interface Def {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
}

function defOf(schema: z.core.$ZodType): Def {
  return schema._zod.def as unknown as Def;
}

/** Looks through optional, default and pipe wrappers to the object or array inside. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** The keys the schema knows at a path (`[]` for the top level, `['members', 0]` for a member). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = nodeConfigFields;
  for (const segment of path) {
    if (!schema) return [];
    const def = defOf(unwrap(schema));
    schema = typeof segment === 'number' ? def.element : def.shape?.[String(segment)];
  }
  const shape = schema ? defOf(unwrap(schema)).shape : undefined;
  return shape ? Object.keys(shape) : [];
}

/** Every field path of the schema, for suggesting a field that sits in another section. */
function allFieldPaths(): Segment[][] {
  const paths: Segment[][] = [];
  const walk = (schema: z.core.$ZodType, path: Segment[]): void => {
    const def = defOf(unwrap(schema));
    if (def.shape) {
      for (const [key, child] of Object.entries(def.shape)) {
        paths.push([...path, key]);
        walk(child, [...path, key]);
      }
    } else if (def.element) {
      walk(def.element, [...path, 0]);
    }
  };
  walk(nodeConfigFields, []);
  return paths;
}

let fieldPaths: Segment[][] | undefined;

/** The full path a misplaced or misspelt key most likely meant. */
function suggestKey(parent: readonly PropertyKey[], key: string): string | undefined {
  const sibling = closestName(key, knownKeysAt(parent));
  if (sibling !== undefined) return formatPath([...parent, sibling]);
  fieldPaths ??= allFieldPaths().filter((p) => !p.includes(0));
  const lastNames = fieldPaths.map((p) => String(p[p.length - 1]));
  const match = closestName(key, lastNames);
  const found = match === undefined ? undefined : fieldPaths.find((p) => p[p.length - 1] === match);
  return found ? formatPath(found) : undefined;
}

// Anything under `auth` may be a token, including a misspelt key holding one.
function isSecret(path: readonly PropertyKey[]): boolean {
  return path[0] === 'auth';
}

/**
 * Turns zod issues into `ConfigIssue`s that name the source of each value
 * (a file position, a flag, a variable, or the default) and split unknown
 * keys into one issue each, with a did-you-mean where one is close.
 */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[], sourceOf: SourceOf): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const suggestion = suggestKey(issue.path, key);
        const source = sourceOf(path, { key: true });
        out.push(
          makeIssue({
            path: formatPath(path),
            value: isSecret(path) ? REDACTED : isRecord(issue.input) ? issue.input[key] : undefined,
            problem: 'unknown key',
            showGiven: true,
            expected: `one of ${known.join(', ')}`,
            ...(source !== undefined && { source }),
            ...(suggestion !== undefined && { suggestion }),
          }),
        );
      }
      continue;
    }
    const params = issue.code === 'custom' ? ((issue.params ?? {}) as { problem?: string; origin?: string }) : {};
    const value = isSecret(issue.path) && issue.input !== undefined ? REDACTED : issue.input;
    const problem = params.problem ?? (value === undefined ? 'missing' : undefined);
    const source = params.origin ?? sourceOf(issue.path);
    out.push(
      makeIssue({
        path: formatPath(issue.path) || '(the whole configuration)',
        value,
        expected: issue.message,
        ...(problem !== undefined && { problem }),
        ...(source !== undefined && { source }),
      }),
    );
  }
  return out;
}
