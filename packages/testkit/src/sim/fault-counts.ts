/**
 * What the faults of a run actually did. A fault is counted only once it
 * acted (a partition cut links, a crash stopped a process, a membership
 * change was applied), never for merely having been scheduled, so a test
 * that a fault kind "occurs" cannot pass on a schedule that did nothing.
 */
export class FaultCounts {
  /** Per fault kind. */
  readonly byKind: Record<string, number> = {};
  /** Per kind and variant, `kind:variant` (partition shapes, membership actions...). */
  readonly byVariant: Record<string, number> = {};

  /** Records that a fault of `kind` (in its `variant`, if it has several) took effect `n` times. */
  count(kind: string, variant?: string, n = 1): void {
    if (n <= 0) return;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + n;
    if (variant !== undefined) this.outcome(kind, variant, n);
  }

  /** Records how a fault already counted turned out (a transfer that completed, say). */
  outcome(kind: string, variant: string, n = 1): void {
    this.byVariant[`${kind}:${variant}`] = (this.byVariant[`${kind}:${variant}`] ?? 0) + n;
  }
}
