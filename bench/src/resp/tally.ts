import type { Contender, Sink } from './peers.js';

/**
 * Counts and touches the replies of one contender. Each contender gets one for the whole run,
 * self-check included, so that its parser's reply callback is one long-lived function, as in a
 * real client. A new callback per run made V8 deoptimise the parsers between runs ("wrong call
 * target"), and after a full GC ("weak objects") once the previous run's callback had died.
 */
export class Tally {
  count = 0;
  touched = 0;
  /** When set, also sees every reply; the self-check collects replies through it. */
  tap: Sink | undefined = undefined;

  // Every reply is counted and read the cheapest way its type allows, the same for every
  // contender, so that no parser's work can be optimised away and none pays for more reading.
  readonly sink: Sink = (reply) => {
    this.count++;
    if (typeof reply === 'string') this.touched += reply.length;
    else if (typeof reply === 'number') this.touched += reply;
    else if (Array.isArray(reply)) this.touched += reply.length;
    if (this.tap !== undefined) this.tap(reply);
  };

  reset(): void {
    this.count = 0;
    this.touched = 0;
  }
}

/** One Tally per contender, by name. */
export type Tallies = ReadonlyMap<string, Tally>;

export function talliesFor(contenders: readonly Contender[]): Tallies {
  return new Map(contenders.map((contender) => [contender.name, new Tally()]));
}

export function tallyOf(tallies: Tallies, contender: Contender): Tally {
  const tally = tallies.get(contender.name);
  if (tally === undefined) throw new Error(`no tally for ${contender.name}`);
  return tally;
}
