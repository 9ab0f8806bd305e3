import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { makeIssue, showValue, type ConfigIssue } from '../issues.js';
import type { DescribeOptions, Layer } from '../layers.js';
import { isRecord } from '../path.js';
import type { ConfigFileReference } from './environment.js';

/** What the config file contributes; `failed` when it could not be read or parsed at all. */
export interface ConfigFileReading {
  layer: Layer | undefined;
  issues: ConfigIssue[];
  failed: boolean;
}

interface Position {
  line: number;
  col: number;
}

/** Finds where a path was written, falling back to the nearest enclosing node. */
function locate(doc: Document, lines: LineCounter, path: readonly PropertyKey[], options?: DescribeOptions): Position | undefined {
  const keys = path.map((s) => (typeof s === 'symbol' ? String(s) : s));
  if (options?.key && keys.length > 0) {
    const parent = keys.length === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
    const last = String(keys[keys.length - 1]);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === last);
      if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]);
    }
  }
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]);
  }
  return undefined;
}

function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before[before.length - 1]?.length ?? 0) + 1 };
}

// Node reports JSON errors as "... in JSON at position 9" or "... after JSON at position 9"
// (Node 20), or as "... (line 1 column 10)" (Node 22 and later).
function jsonError(text: string, error: Error): { where: Position; reason: string } {
  const position = / (?:in JSON )?at position (\d+)/.exec(error.message);
  const lineCol = /\s*\(line (\d+) column (\d+)\)/.exec(error.message);
  if (position?.[1] !== undefined) {
    return { where: positionOf(text, Number(position[1])), reason: error.message.replace(position[0], '') };
  }
  if (lineCol?.[1] !== undefined && lineCol[2] !== undefined) {
    return { where: { line: Number(lineCol[1]), col: Number(lineCol[2]) }, reason: error.message.replace(lineCol[0], '') };
  }
  return { where: positionOf(text, text.length), reason: error.message };
}

/** JSON by extension or, without a known extension, by a leading `{`; YAML otherwise. */
function formatOf(path: string, text: string): 'json' | 'yaml' {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return /^\s*\{/.test(text) ? 'json' : 'yaml';
}

/**
 * Reads a YAML or JSON config file (relative paths from `cwd`). Syntax
 * errors are all reported, each with its line and column. The file is
 * parsed with the YAML parser in either case (JSON is YAML), which keeps
 * the position of every value so later errors can point into the file.
 */
export function readConfigFile(ref: ConfigFileReference, cwd: string): ConfigFileReading {
  const fail = (issue: ConfigIssue): ConfigFileReading => ({ layer: undefined, issues: [issue], failed: true });
  if (ref.path.trim() === '') {
    return fail(makeIssue({ path: ref.namedBy, value: ref.path, expected: 'a path to a YAML or JSON file' }));
  }
  const display = ref.path;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, ref.path), 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message.split(',')[0] : String(error);
    return fail(
      makeIssue({
        path: ref.namedBy,
        value: ref.path,
        problem: `cannot read ${showValue(ref.path)} (${reason})`,
        expected: 'a readable YAML or JSON file',
      }),
    );
  }

  const format = formatOf(ref.path, text);
  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (error) {
      const { where, reason } = jsonError(text, error as Error);
      return fail(makeIssue({ path: `${display}:${where.line}:${where.col}`, value: undefined, problem: reason, expected: 'valid JSON' }));
    }
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const [where] = e.linePos ?? [];
      const reason = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return makeIssue({
        path: where ? `${display}:${where.line}:${where.col}` : display,
        value: undefined,
        problem: reason,
        expected: format === 'json' ? 'valid JSON' : 'valid YAML',
      });
    });
    return { layer: undefined, issues, failed: true };
  }

  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (error) {
    // toJS refuses documents whose aliases would expand without bound.
    return fail(makeIssue({ path: display, value: undefined, problem: (error as Error).message, expected: 'valid YAML' }));
  }
  if (!isRecord(data)) {
    return fail(
      makeIssue({
        path: display,
        value: Array.isArray(data) ? 'a list' : data,
        problem: `the file holds ${Array.isArray(data) ? 'a list' : showValue(data)}`,
        expected: 'a mapping of settings (key: value) at the top level',
      }),
    );
  }
  return {
    layer: {
      data,
      describe(path, options) {
        const at = locate(doc, lines, path, options);
        return at ? `${display}:${at.line}:${at.col}` : display;
      },
    },
    issues: [],
    failed: false,
  };
}
