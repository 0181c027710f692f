import { InvalidArgumentError } from '@hashslot/resp';
import { type ClusterOptions, parseAddress } from './options.js';

const NUMBER_PARAMS = new Set([
  'connectTimeout', 'commandTimeout', 'maxRedirections', 'reinitializeSteps', 'refreshInterval',
  'maxConnections', 'maxConnectionsPerNode', 'keepAlive',
]);
const BOOLEAN_PARAMS = new Set(['decodeResponses', 'skipFullCoverageCheck', 'followCluster']);
const STRING_PARAMS = new Set(['readFrom', 'clientName']);

/**
 * Reads `redis://[user[:password]@]host[:port][,host[:port]...][/0][?option=value...]`, or
 * `rediss://` for TLS. Several hosts become several startup nodes; query parameters are options
 * by their names (percent-encode an '@' in a value: the last '@' ends the credentials).
 * Credentials are percent-decoded. A cluster has database 0 only, so any other
 * database number is refused rather than ignored.
 */
export function optionsFromUrl(url: string): ClusterOptions {
  if (typeof url !== 'string') throw new InvalidArgumentError(`a cluster URL must be a string; got ${typeof url}`);
  const scheme = /^(rediss?):\/\//i.exec(url);
  if (scheme === null) throw new InvalidArgumentError('a cluster URL must start with redis:// or rediss://');
  let rest = url.slice(scheme[0].length);
  const options: Record<string, unknown> = {};
  // Credentials end at the last '@': a password may hold an unencoded '/' or '?', and those must
  // not be mistaken for the path or the query (nor end up in an error message).
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userInfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userInfo.indexOf(':');
    const user = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), 'user name');
    const password = colon === -1 ? undefined : decode(userInfo.slice(colon + 1), 'password');
    // `redis://secret@host` is commonly meant as a password alone, as redis-cli reads it.
    if (password === undefined) {
      if (user !== '') options.password = user;
    } else {
      if (user !== '') options.username = user;
      options.password = password;
    }
  }
  let query = '';
  const questionMark = rest.indexOf('?');
  if (questionMark !== -1) {
    query = rest.slice(questionMark + 1);
    rest = rest.slice(0, questionMark);
  }
  let path = '';
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    path = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  if (path !== '' && path !== '0') {
    throw new InvalidArgumentError(`a cluster has database 0 only; the URL asks for database ${JSON.stringify(path)}`);
  }
  options.startupNodes = rest.split(',').map((text) => {
    const address = text === '' ? undefined : parseAddress(text);
    if (address === undefined || address.host === '') throw new InvalidArgumentError(`the URL's host ${JSON.stringify(text)} is not host[:port]`);
    return address;
  });
  if (scheme[1].toLowerCase() === 'rediss') options.tls = true;
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === 'keepAlive' && value === 'false') {
      options.keepAlive = false;
    } else if (NUMBER_PARAMS.has(name)) {
      const number = Number(value);
      if (value === '' || Number.isNaN(number)) throw new InvalidArgumentError(`URL parameter ${name} must be a number; got ${JSON.stringify(value)}`);
      options[name] = number;
    } else if (BOOLEAN_PARAMS.has(name)) {
      if (value !== 'true' && value !== 'false') throw new InvalidArgumentError(`URL parameter ${name} must be true or false; got ${JSON.stringify(value)}`);
      options[name] = value === 'true';
    } else if (STRING_PARAMS.has(name)) {
      options[name] = value;
    } else {
      throw new InvalidArgumentError(`unknown URL parameter ${name}`);
    }
  }
  return options as unknown as ClusterOptions;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // The value may be a credential: name the part, never echo it.
    throw new InvalidArgumentError(`the URL's ${what} is not valid percent-encoding`);
  }
}
