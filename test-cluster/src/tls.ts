import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestClusterError } from './errors.js';

const execFileAsync = promisify(execFile);

/** PEM contents (for clients) and the files they were written to (for redis-server and redis-cli). */
export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new TestClusterError('ERR_TLS', `openssl ${args[0]} failed: ${stderr.trim()}`, { cause: error });
  }
}

/**
 * A throwaway CA and one certificate signed by it, valid for 127.0.0.1 and localhost.
 *
 * The same certificate serves clients, replication and the cluster bus: nodes present it as a
 * client certificate to each other, hence both serverAuth and clientAuth. P-256 keys because RSA
 * key generation costs noticeable time on small CI machines.
 */
export async function generateTls(dir: string): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7',
    '-subj', '/CN=hashslot test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', '-new', ...ec, '-keyout', 'redis.key', '-out', 'redis.csr',
    '-subj', '/CN=127.0.0.1'], dir);
  await writeFile(join(dir, 'redis.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '',
  ].join('\n'));
  await openssl(['x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-CAcreateserial', '-out', 'redis.crt', '-days', '7', '-extfile', 'redis.ext'], dir);

  const caFile = join(dir, 'ca.crt');
  const certFile = join(dir, 'redis.crt');
  const keyFile = join(dir, 'redis.key');
  const [ca, cert, key] = await Promise.all([caFile, certFile, keyFile].map((file) => readFile(file, 'utf8')));
  return { ca, cert, key, caFile, certFile, keyFile };
}
