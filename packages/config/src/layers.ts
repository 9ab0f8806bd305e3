import { formatPath, isRecord, valueAt, type Segment } from './path.js';

/** Options for describing where a value came from. */
export interface DescribeOptions {
  /** Point at the key rather than the value (for unknown keys). */
  key?: boolean;
}

/** The settings one source (file, environment, flags) contributes, and how to name where each came from. */
export interface Layer {
  data: Record<string, unknown>;
  /** Where the value at `path` was written: `raftkit.yaml:3:11`, `--tick-ms`, `RAFTKIT_ID`. */
  describe(path: readonly PropertyKey[], options?: DescribeOptions): string | undefined;
}

/** The layers merged, with a way back from any path to the source that set it. */
export interface MergedLayers {
  data: Record<string, unknown>;
  /** The source of the value at `path` (or of the nearest enclosing value); `undefined` for defaults. */
  sourceOf(path: readonly PropertyKey[], options?: DescribeOptions): string | undefined;
}

/**
 * Settings of a flag or environment layer, remembering the name each came
 * from. Lists replace lists; they are not merged item by item.
 */
export class LayerBuilder {
  readonly data: Record<string, unknown> = {};
  readonly #labels = new Map<string, string>();

  /** Sets the field at `path`, remembering `label` (the flag or variable) as its source. */
  set(path: readonly string[], value: unknown, label: string): void {
    let target = this.data;
    for (const segment of path.slice(0, -1)) {
      const next = target[segment];
      target = isRecord(next) ? next : (target[segment] = {});
    }
    target[path[path.length - 1] as string] = value;
    this.#labels.set(formatPath(path), label);
  }

  /** Whether any setting went in. */
  get isEmpty(): boolean {
    return this.#labels.size === 0;
  }

  /** The finished layer; its sources are the labels given to `set`. */
  build(): Layer {
    const labels = this.#labels;
    return {
      data: this.data,
      describe(path) {
        for (let n = path.length; n > 0; n--) {
          const label = labels.get(formatPath(path.slice(0, n)));
          if (label !== undefined) return label;
        }
        return undefined;
      },
    };
  }
}

function deleteAt(root: Record<string, unknown>, path: readonly Segment[]): void {
  const parent = valueAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isRecord(parent) && typeof last === 'string') delete parent[last];
}

/**
 * Merges layers lowest first: a later layer's value replaces an earlier one,
 * mappings merge key by key. `alternatives` are groups of fields that say
 * the same thing in different units (`heartbeatTicks`, `heartbeatMs`): a
 * layer that sets one of a group hides the others from the layers below.
 */
export function mergeLayers(layers: readonly Layer[], alternatives: readonly (readonly Segment[])[][] = []): MergedLayers {
  const data: Record<string, unknown> = {};
  const owners = new Map<string, Layer>();
  // Fields an alternative replaced: the mapping around them still has an owner, which must not answer for them.
  const hidden = new Set<string>();
  const within = (path: string, root: string): boolean =>
    path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);
  const disown = (path: readonly PropertyKey[]): void => {
    const key = formatPath(path);
    for (const owned of [...owners.keys()]) if (within(owned, key)) owners.delete(owned);
    for (const gone of [...hidden]) if (within(gone, key)) hidden.delete(gone);
  };

  const merge = (target: Record<string, unknown>, source: Record<string, unknown>, path: string[], layer: Layer): void => {
    for (const [key, value] of Object.entries(source)) {
      const here = [...path, key];
      const existing = target[key];
      if (isRecord(value)) {
        // Owners are recorded per leaf, so a flag that sets one TLS field does not claim the whole `tls` mapping.
        if (isRecord(existing)) {
          merge(existing, value, here, layer);
        } else {
          disown(here);
          const fresh: Record<string, unknown> = {};
          target[key] = fresh;
          owners.set(formatPath(here), layer);
          merge(fresh, value, here, layer);
        }
      } else {
        target[key] = structuredClone(value);
        disown(here);
        owners.set(formatPath(here), layer);
      }
    }
  };

  for (const layer of layers) {
    for (const group of alternatives) {
      if (!group.some((path) => valueAt(layer.data, path) !== undefined)) continue;
      for (const path of group) {
        if (valueAt(layer.data, path) !== undefined) continue;
        deleteAt(data, path);
        disown(path);
        hidden.add(formatPath(path));
      }
    }
    merge(data, layer.data, [], layer);
  }

  return {
    data,
    sourceOf(path, options) {
      const key = formatPath(path);
      if ([...hidden].some((gone) => within(key, gone))) return undefined;
      for (let n = path.length; n > 0; n--) {
        const owner = owners.get(formatPath(path.slice(0, n)));
        const described = owner?.describe(path, options);
        if (described !== undefined) return described;
      }
      return undefined;
    },
  };
}
