/**
 * The format of the generated command table (command-table.data.ts): one compact row per command
 * and per subcommand, mirroring the server's `COMMAND` reply field by field.
 * https://redis.io/docs/latest/commands/command/
 */

/** `begin_search` of a key spec: where the search for the first key starts. */
export type BeginSearchRow =
  /** The first key is at this argument index (the command name is index 0). */
  | readonly [type: 'index', index: number]
  /** The first key follows this keyword, searched from `startFrom` (negative: from the end, backwards). */
  | readonly [type: 'keyword', keyword: string, startFrom: number]
  /** The server cannot describe it; its own key finder is used. */
  | readonly [type: 'unknown'];

/** `find_keys` of a key spec: which arguments from the begin-search position are keys. */
export type FindKeysRow =
  | readonly [type: 'range', lastKey: number, keyStep: number, limit: number]
  | readonly [type: 'keynum', keyNumIndex: number, firstKey: number, keyStep: number]
  | readonly [type: 'unknown'];

/** One key spec: its flags (`RW`, `access`, `not_key`, `incomplete` ...) and how to find its keys. */
export type KeySpecRow = readonly [flags: readonly string[], beginSearch: BeginSearchRow, findKeys: FindKeysRow];

/**
 * One COMMAND entry. `name` is lower case, `container|subcommand` for subcommands; first, last
 * and step are the legacy key positions.
 */
export type CommandRow = readonly [
  name: string,
  arity: number,
  flags: readonly string[],
  firstKey: number,
  lastKey: number,
  step: number,
  keySpecs: readonly KeySpecRow[],
  tips: readonly string[],
];
