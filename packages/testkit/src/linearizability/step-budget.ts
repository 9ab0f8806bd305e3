/** How often, in steps, the wall clock is consulted; reading it on every step would dominate. */
const CLOCK_CHECK_INTERVAL = 1024;

/** Comparing two remembered cases is much cheaper than a step; this many make one. */
const COMPARISONS_PER_STEP = 16;

/**
 * Bounds one search. The search is exponential in the worst case, so it
 * must be able to give up with a distinct answer instead of hanging. A step
 * limit gives the same answer on every machine; a wall-clock deadline is a
 * safety net for callers that care more about time than reproducibility.
 */
export class StepBudget {
  /** Fractional, because comparisons cost a fraction of a step. */
  private spent = 0;
  private calls = 0;
  private exhausted = false;

  /**
   * @param maxSteps - steps allowed before giving up.
   * @param deadline - `performance.now()` value after which to give up; +infinity for none.
   */
  constructor(
    private readonly maxSteps: number,
    private readonly deadline: number,
  ) {}

  /** Steps taken so far. */
  get used(): number {
    return Math.round(this.spent);
  }

  /**
   * Takes one step.
   *
   * @returns false once the budget is exhausted; the search must then stop.
   */
  spend(): boolean {
    if (this.exhausted) return false;
    if (this.spent >= this.maxSteps) {
      this.exhausted = true;
      return false;
    }
    if (this.calls++ % CLOCK_CHECK_INTERVAL === 0 && this.deadline !== Number.POSITIVE_INFINITY && performance.now() > this.deadline) {
      this.exhausted = true;
      return false;
    }
    this.spent++;
    return true;
  }

  /**
   * Accounts for comparisons made within a step, such as scanning a list of
   * remembered cases, so that no step can hide unbounded work. The next
   * {@link spend} notices if the budget ran out.
   */
  chargeComparisons(count: number): void {
    this.spent = Math.min(this.maxSteps, this.spent + count / COMPARISONS_PER_STEP);
  }
}
