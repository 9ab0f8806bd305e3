import * as z from 'zod';
import { ADDRESS_SYNTAX, parseAddress } from './address.js';
import { configDefaults as d } from './defaults.js';

// Every schema here states its error as the phrase that follows "expected",
// so each issue reads "<path>: got <value> from <source>; expected <phrase>".

const POSITIVE_INTEGER = 'a positive integer';
const NON_NEGATIVE_INTEGER = 'an integer of 0 or more';

// z.int() marks a non-integer as a fatal issue, which would stop the
// cross-field checks from running; a refinement keeps them going.
function positiveInteger(expected = POSITIVE_INTEGER) {
  return z.number({ error: expected }).refine((n) => Number.isSafeInteger(n) && n > 0, { error: expected });
}

function nonNegativeInteger() {
  return z
    .number({ error: NON_NEGATIVE_INTEGER })
    .refine((n) => Number.isSafeInteger(n) && n >= 0, { error: NON_NEGATIVE_INTEGER });
}

function nonEmptyString(expected: string) {
  return z.string({ error: expected }).min(1, { error: expected });
}

function trueOrFalse() {
  return z.boolean({ error: 'true or false' });
}

/** Ports below `minPort` are refused: 0 is only meaningful for addresses this process binds. */
function address(minPort: 0 | 1) {
  return z.string({ error: ADDRESS_SYNTAX }).transform((text, ctx) => {
    const parsed = parseAddress(text, minPort);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.expected, input: text });
      return z.NEVER;
    }
    return parsed.address;
  });
}

/** Splits etcd's comma-separated URL lists; an empty string is an empty list. */
function splitList(text: string): string[] {
  return text === '' ? [] : text.split(',').map((item) => item.trim());
}

function addressList(minPort: 0 | 1, minItems: 0 | 1) {
  const expected = `a list of addresses (${ADDRESS_SYNTAX}), as a YAML list or comma-separated`;
  return z
    .union([z.string().transform(splitList), z.array(z.string())], { error: expected })
    .pipe(z.array(address(minPort)).min(minItems, { error: 'at least one address' }));
}

/** A mapping of settings that may be left out; `{}` is parsed in its place so its own defaults apply. */
function section<Shape extends z.core.$ZodLooseShape>(shape: Shape, expected: string) {
  const schema = z.strictObject(shape, { error: expected });
  // Every field of a section is optional or defaulted, which the generic signature cannot show.
  return schema.prefault({} as z.input<typeof schema>);
}

const memberSchema = z.strictObject(
  {
    id: positiveInteger(),
    name: nonEmptyString('a non-empty name').optional(),
    peer: address(1),
    client: address(1).optional(),
    metrics: address(1).optional(),
  },
  { error: 'a member: a mapping with id, peer and optionally name, client, metrics' },
);

const peerOverrideSchema = z.strictObject(
  { id: positiveInteger(), peer: address(1) },
  { error: 'a peer address override: a mapping with id and peer' },
);

const tlsSide = (who: string) =>
  section(
    {
      certFile: nonEmptyString('a path to a PEM certificate').optional(),
      keyFile: nonEmptyString('a path to a PEM private key').optional(),
      trustedCaFile: nonEmptyString('a path to a PEM CA bundle').optional(),
      clientCertAuth: trueOrFalse().default(false),
    },
    `a mapping of TLS settings for ${who}`,
  );

// Long enough not to be guessed, and free of the spaces that shells and headers mangle.
const TOKEN_RULE = 'a token of at least 16 characters without whitespace';

/**
 * The fields of a member configuration, checked one by one: types, ranges,
 * address syntax and unknown keys. Cross-field rules and defaults that
 * depend on other fields come on top of it in `nodeConfigSchema`.
 */
export const nodeConfigFields = z.strictObject(
  {
    id: positiveInteger().optional(),
    name: nonEmptyString('a non-empty name').optional(),
    clusterToken: nonEmptyString('a non-empty string').default(d.clusterToken),
    clusterState: z.enum(['new', 'existing'], { error: 'new or existing' }).default(d.clusterState),
    members: z
      .array(memberSchema, { error: 'a list of members, each with id and peer' })
      .min(1, { error: 'at least one member' })
      .optional(),
    peerAddressOverrides: z
      .array(peerOverrideSchema, { error: 'a list of peer address overrides, each with id and peer' })
      .optional(),
    dataDir: nonEmptyString('a non-empty path').default(d.dataDir),
    listen: section(
      {
        client: addressList(0, 1).optional(),
        peer: addressList(0, 1).optional(),
        metrics: addressList(0, 0).optional(),
      },
      'a mapping with client, peer, metrics',
    ),
    advertise: section({ client: addressList(1, 1).optional() }, 'a mapping with client'),
    timing: section(
      {
        tickMs: positiveInteger().default(d.timing.tickMs),
        heartbeatTicks: positiveInteger().optional(),
        heartbeatMs: positiveInteger().optional(),
        electionTicks: positiveInteger().optional(),
        electionMs: positiveInteger().optional(),
        electionTicksMax: positiveInteger().optional(),
        electionMsMax: positiveInteger().optional(),
      },
      'a mapping of timing settings',
    ),
    snapshot: section(
      {
        count: positiveInteger().default(d.snapshot.count),
        catchupEntries: nonNegativeInteger().default(d.snapshot.catchupEntries),
      },
      'a mapping with count, catchupEntries',
    ),
    limits: section(
      {
        maxRequestBytes: positiveInteger().default(d.limits.maxRequestBytes),
        maxPeerMessageBytes: positiveInteger().default(d.limits.maxPeerMessageBytes),
        maxAppendBytes: positiveInteger().default(d.limits.maxAppendBytes),
        maxInflightMessages: positiveInteger().default(d.limits.maxInflightMessages),
        maxUncommittedBytes: positiveInteger().default(d.limits.maxUncommittedBytes),
        snapshotChunkBytes: positiveInteger().default(d.limits.snapshotChunkBytes),
        maxTxnOps: positiveInteger().default(d.limits.maxTxnOps),
      },
      'a mapping of size limits',
    ),
    tls: section({ client: tlsSide('clients'), peer: tlsSide('peers') }, 'a mapping with client, peer'),
    auth: section({ token: z.string({ error: TOKEN_RULE }).regex(/^\S{16,}$/, { error: TOKEN_RULE }).optional() }, 'a mapping with token'),
    log: section(
      {
        level: z.enum(['debug', 'info', 'warn', 'error'], { error: 'one of debug, info, warn, error' }).default(d.log.level),
        format: z.enum(['auto', 'json', 'pretty'], { error: 'one of auto, json, pretty' }).default(d.log.format),
      },
      'a mapping with level, format',
    ),
  },
  { error: 'a mapping of settings' },
);

/** The field-level output: what the cross-field rules receive when every field is valid. */
export type NodeConfigFields = z.output<typeof nodeConfigFields>;
