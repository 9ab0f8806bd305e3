/**
 * The command line of `pnpm sim` for one run, in both directions: the
 * options of a run as flags (the replay command a failing run prints) and
 * flags back to options (what the CLI runs). Both live here so that they
 * cannot drift apart; a test runs a printed command's options and compares
 * the two runs event for event.
 */
import { parseArgs } from 'node:util';
import { BREAKABLE_RULES, type BreakableRule } from './break-rules.js';
import type { NetworkConditions } from './network.js';
import { ALL_FAULTS, type FaultKind, SIM_DEFAULTS, type SimRaftOverrides, type SimulationOptions } from './options.js';

const NETWORK_KEYS: ReadonlyArray<keyof NetworkConditions> = [
  'baseDelayMs',
  'jitterMeanMs',
  'longDelayRate',
  'longDelayMs',
  'tailRate',
  'tailScaleMs',
  'tailShape',
  'lossRate',
  'duplicateRate',
];
const RAFT_KEYS: ReadonlyArray<keyof SimRaftOverrides> = ['maxSizePerMsg', 'maxInflightMsgs', 'preVote', 'checkQuorum'];

/** The flags of one run, as `node:util` parseArgs takes them. */
export const RUN_FLAGS = {
  seed: { type: 'string' },
  faults: { type: 'string' },
  members: { type: 'string' },
  duration: { type: 'string' },
  clients: { type: 'string' },
  tick: { type: 'string' },
  liveness: { type: 'string' },
  'fault-every': { type: 'string' },
  break: { type: 'string' },
  network: { type: 'string' },
  raft: { type: 'string' },
} as const;

/** Usage lines of {@link RUN_FLAGS}. */
export const RUN_FLAGS_USAGE = `  --faults LIST     fault kinds: ${ALL_FAULTS.join(', ')} (default all)
  --members N       founding voters (default: 3 or 5 by seed)
  --duration MS     virtual duration of the fault phase (default ${SIM_DEFAULTS.durationMs})
  --clients N       concurrent clients (default ${SIM_DEFAULTS.clients})
  --tick MS         length of a Raft tick (default ${SIM_DEFAULTS.tickMs})
  --liveness MS     bound for serving again after healing (default ${SIM_DEFAULTS.livenessMs})
  --fault-every MS  mean time between scheduled faults (default ${SIM_DEFAULTS.faultEveryMs})
  --break RULE      break a rule on purpose: ${BREAKABLE_RULES.join(', ')}
  --network K=V,..  force network conditions (${NETWORK_KEYS.join(', ')})
  --raft K=V,..     override Raft settings (${RAFT_KEYS.join(', ')})`;


/** Parsed flag values (strings as parseArgs returns them). */
export type RunFlagValues = { [K in keyof typeof RUN_FLAGS]?: string | undefined };

/** The options of one run without its seed. */
export type RunOptions = Omit<SimulationOptions<unknown, unknown, unknown>, 'seed' | 'app' | 'trace'>;

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} is ${JSON.stringify(v)}; expected a non-negative integer`);
  return n;
}

function num(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${name}: ${JSON.stringify(v)} is not a non-negative number`);
  return n;
}

/** Parses a fault list: `all`, `none` or kinds separated by commas. */
export function parseFaults(text: string | undefined): FaultKind[] {
  if (!text || text === 'all') return [...ALL_FAULTS];
  if (text === 'none') return [];
  const kinds = text.split(',').map((s) => s.trim());
  const unknown = kinds.filter((k) => !ALL_FAULTS.includes(k as FaultKind));
  if (unknown.length > 0) throw new Error(`unknown fault kind(s) ${unknown.join(', ')}; expected some of: ${ALL_FAULTS.join(', ')}`);
  return kinds as FaultKind[];
}

function parseBreak(text: string): BreakableRule {
  if (!BREAKABLE_RULES.includes(text as BreakableRule)) throw new Error(`unknown rule ${text}; expected one of: ${BREAKABLE_RULES.join(', ')}`);
  return text as BreakableRule;
}

function parsePairs(flag: string, text: string, keys: readonly string[]): Array<[string, string]> {
  return text.split(',').map((pair) => {
    const [k, v, ...rest] = pair.split('=');
    if (k === undefined || v === undefined || rest.length > 0 || !keys.includes(k)) {
      throw new Error(`--${flag}: ${JSON.stringify(pair)} is not KEY=VALUE with KEY one of ${keys.join(', ')}`);
    }
    return [k, v];
  });
}

function parseNetwork(text: string): Partial<NetworkConditions> {
  const out: Partial<NetworkConditions> = {};
  for (const [k, v] of parsePairs('network', text, NETWORK_KEYS)) out[k as keyof NetworkConditions] = num('network', v);
  return out;
}

function parseRaft(text: string): SimRaftOverrides {
  const out: SimRaftOverrides = {};
  for (const [k, v] of parsePairs('raft', text, RAFT_KEYS)) {
    if (k === 'preVote' || k === 'checkQuorum') {
      if (v !== 'true' && v !== 'false') throw new Error(`--raft: ${k} must be true or false, not ${JSON.stringify(v)}`);
      out[k] = v === 'true';
    } else {
      out[k as 'maxSizePerMsg' | 'maxInflightMsgs'] = int('raft', v);
    }
  }
  return out;
}

/** Turns parsed flags into the options of a run (defaults left unset). */
export function runOptionsFromFlags(values: RunFlagValues): RunOptions {
  const o: RunOptions = { faults: parseFaults(values.faults) };
  if (values.members !== undefined) o.members = int('members', values.members);
  if (values.duration !== undefined) o.durationMs = int('duration', values.duration);
  if (values.clients !== undefined) o.clients = int('clients', values.clients);
  if (values.tick !== undefined) o.tickMs = num('tick', values.tick);
  if (values.liveness !== undefined) o.livenessMs = int('liveness', values.liveness);
  if (values['fault-every'] !== undefined) o.faultEveryMs = num('fault-every', values['fault-every']);
  if (values.break !== undefined) o.breakRule = parseBreak(values.break);
  if (values.network !== undefined) o.network = parseNetwork(values.network);
  if (values.raft !== undefined) o.raft = parseRaft(values.raft);
  return o;
}

/** Every option of a run that differs from its default, as flags. */
export function runFlags(options: SimulationOptions<unknown, unknown, unknown>): string[] {
  const flags: string[] = [`--seed ${options.seed}`];
  const faults = options.faults ?? ALL_FAULTS;
  const allFaults = faults.length === ALL_FAULTS.length && ALL_FAULTS.every((f) => faults.includes(f));
  if (!allFaults) flags.push(`--faults ${faults.join(',') || 'none'}`);
  if (options.members !== undefined) flags.push(`--members ${options.members}`);
  const numeric: Array<[string, number | undefined, number]> = [
    ['duration', options.durationMs, SIM_DEFAULTS.durationMs],
    ['clients', options.clients, SIM_DEFAULTS.clients],
    ['tick', options.tickMs, SIM_DEFAULTS.tickMs],
    ['liveness', options.livenessMs, SIM_DEFAULTS.livenessMs],
    ['fault-every', options.faultEveryMs, SIM_DEFAULTS.faultEveryMs],
  ];
  for (const [flag, value, fallback] of numeric) if (value !== undefined && value !== fallback) flags.push(`--${flag} ${value}`);
  if (options.breakRule) flags.push(`--break ${options.breakRule}`);
  const pairs = (o: object): string =>
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
  if (options.network && pairs(options.network)) flags.push(`--network ${pairs(options.network)}`);
  if (options.raft && pairs(options.raft)) flags.push(`--raft ${pairs(options.raft)}`);
  return flags;
}

/**
 * The one-line command that replays a run: every option that differs from
 * its default, and a trace file. A custom application cannot be named on
 * the command line; the command then says so in a trailing shell comment
 * (run it through `runSimulation` with the same application instead).
 */
export function replayCommand(options: SimulationOptions<unknown, unknown, unknown>): string {
  const cmd = `pnpm sim ${runFlags(options).join(' ')} --trace sim-trace-${options.seed}.txt`;
  return options.app ? `${cmd}  # with the application "${options.app.name}": replay through runSimulation with it` : cmd;
}

/**
 * The options of the run a replay command stands for, parsed exactly as
 * the CLI parses its arguments.
 * @throws Error for a command that is not `pnpm sim --seed S ...` or has unknown flags
 */
export function optionsFromReplayCommand(command: string): SimulationOptions<unknown, unknown, unknown> {
  const words = command.replace(/\s+#.*$/, '').trim().split(/\s+/);
  if (words[0] !== 'pnpm' || words[1] !== 'sim') throw new Error(`not a pnpm sim command: ${command}`);
  const { values } = parseArgs({ args: words.slice(2), options: { ...RUN_FLAGS, trace: { type: 'string' }, 'trace-messages': { type: 'boolean' } } });
  if (values.seed === undefined) throw new Error(`the command names no seed: ${command}`);
  return { seed: int('seed', values.seed), ...runOptionsFromFlags(values) };
}
