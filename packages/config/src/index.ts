/**
 * @raftkit/config — one validated configuration for a raftkit member, from
 * a YAML or JSON file, `RAFTKIT_*` environment variables and command-line
 * flags. Start with {@link loadConfig}.
 *
 * @packageDocumentation
 */
export { loadConfig, parseNodeConfig, type LoadConfigOptions } from './load.js';
export { nodeConfigSchema, type NodeConfigInput } from './schema.js';
export type { NodeConfig, ClusterMember, TlsSettings, PeerTlsSettings, TimingSettings, LimitSettings, LogLevel, LogFormat } from './types.js';
export { ConfigError, formatIssues, type ConfigIssue } from './issues.js';
export { configOptions, envVarName, type ConfigOption, type OptionKind } from './options.js';
export { formatConfigHelp, type HelpOptions } from './help.js';
export { detectInfoFlag, type InfoFlag } from './sources/arguments.js';
export { configDefaults } from './defaults.js';
export {
  parseAddress,
  formatAddress,
  addressesCollide,
  type NetAddress,
  type ParsedAddress,
  type AddressScheme,
  type AddressParseResult,
} from './address.js';
