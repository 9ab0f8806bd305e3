import { configDefaults } from '../defaults.js';
import type { TimingSettings } from '../types.js';
import { INVALID, isValid, type Loose, type LooseFields } from './loose.js';
import type { Problem } from './problem.js';

/** One timeout as the user gave it (in ticks or in ms) and in ticks. */
interface Span {
  ticks: number;
  field: string;
  given: number;
  unit: 'ticks' | 'ms';
}

type Timing = LooseFields['timing'];

/**
 * Picks the ticks or the ms form of one timeout. Layers already let a
 * higher layer's form replace a lower layer's, so both forms here means one
 * source gave both.
 */
function span(
  timing: Timing,
  ticksField: keyof Timing,
  msField: keyof Timing,
  fallbackTicks: number | undefined,
  problems: Problem[],
): Span | undefined | typeof INVALID {
  const ticks: Loose<number> = timing[ticksField];
  const ms: Loose<number> = timing[msField];
  if (ticks === INVALID || ms === INVALID) return INVALID;
  if (ticks !== undefined && ms !== undefined) {
    problems.push({
      path: ['timing', msField],
      value: ms,
      expected: `only one of timing.${ticksField} and timing.${msField}`,
    });
    return INVALID;
  }
  if (ticks !== undefined) return { ticks, field: ticksField, given: ticks, unit: 'ticks' };
  if (ms !== undefined) {
    const tickMs = timing.tickMs;
    if (!isValid(tickMs)) return INVALID;
    if (ms % tickMs !== 0) {
      problems.push({ path: ['timing', msField], value: ms, expected: `a multiple of timing.tickMs, which is ${tickMs}` });
      return INVALID;
    }
    return { ticks: ms / tickMs, field: msField, given: ms, unit: 'ms' };
  }
  return fallbackTicks === undefined ? undefined : { ticks: fallbackTicks, field: ticksField, given: fallbackTicks, unit: 'ticks' };
}

function describe(s: Span): string {
  return s.unit === 'ms' ? `${s.given} ms (${s.ticks} ticks)` : String(s.given);
}

function mustExceed(longer: Span, shorter: Span, problems: Problem[]): boolean {
  if (longer.ticks > shorter.ticks) return true;
  problems.push({
    path: ['timing', longer.field],
    value: longer.given,
    expected: `more than timing.${shorter.field}, which is ${describe(shorter)}`,
  });
  return false;
}

/**
 * Turns the timing fields into ticks. etcd's flags give milliseconds
 * (`--heartbeat-interval`, `--election-timeout`); they land in the `*Ms`
 * fields and must be whole multiples of the tick. The election timeout must
 * exceed the heartbeat interval, or followers would start elections while
 * the leader is healthy.
 */
export function resolveTiming(timing: Timing, problems: Problem[]): TimingSettings | undefined {
  const d = configDefaults.timing;
  const heartbeat = span(timing, 'heartbeatTicks', 'heartbeatMs', d.heartbeatTicks, problems);
  const election = span(timing, 'electionTicks', 'electionMs', d.electionTicks, problems);
  if (!isValid(heartbeat) || !isValid(election)) return undefined;
  const electionIsLonger = mustExceed(election, heartbeat, problems);
  const explicitMax = span(timing, 'electionTicksMax', 'electionMsMax', undefined, problems);
  if (explicitMax === INVALID) return undefined;
  const max = explicitMax ?? {
    ticks: election.ticks * d.electionTicksMaxFactor,
    field: 'electionTicksMax',
    given: election.ticks * d.electionTicksMaxFactor,
    unit: 'ticks' as const,
  };
  if (explicitMax !== undefined && !mustExceed(max, election, problems)) return undefined;
  if (!electionIsLonger || !isValid(timing.tickMs)) return undefined;
  return {
    tickMs: timing.tickMs,
    heartbeatTicks: heartbeat.ticks,
    electionTicks: election.ticks,
    electionTicksMax: max.ticks,
  };
}
