import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@hashslot/resp';
import { checkCommand } from './command.js';
import { refusal } from './refusals.js';

describe('refusal', () => {
  it('refuses inside MULTI what the transaction sends itself, with what to use instead', () => {
    expect(refusal(['MULTI'], 'transaction')).toMatch(/^MULTI is sent by the transaction itself/);
    expect(refusal(['exec'], 'transaction')).toMatch(/^EXEC /);
    expect(refusal(['WATCH', 'k'], 'transaction')).toMatch(/client\.watch/);
    expect(refusal(['unwatch'], 'transaction')).toMatch(/unwatch\(\) of the watch session/);
  });

  it('refuses in both places what would spoil a pooled connection, subcommands included', () => {
    for (const place of ['transaction', 'session'] as const) {
      expect(refusal(['SUBSCRIBE', 'c'], place)).toMatch(/client\.subscriber\(\)/);
      expect(refusal(['ssubscribe', 'c'], place)).toMatch(/subscribed/);
      expect(refusal(['CLIENT', 'REPLY', 'OFF'], place)).toMatch(/^CLIENT REPLY /);
      expect(refusal([Buffer.from('client'), Buffer.from('tracking'), 'on'], place)).toMatch(/^CLIENT TRACKING /);
      expect(refusal(['READWRITE'], place)).toMatch(/readFrom/);
      expect(refusal(['ASKING'], place)).toMatch(/sent by the client itself/);
      expect(refusal(['GET', 'k'], place)).toBeUndefined();
      expect(refusal(['CLIENT', 'LIST'], place)).toBeUndefined();
      expect(refusal(['NOSUCHCOMMAND'], place)).toBeUndefined();
    }
  });

  it("refuses the server's no_multi commands inside MULTI only", () => {
    expect(refusal(['SAVE'], 'transaction')).toBe('SAVE is not allowed inside a transaction');
    expect(refusal(['SAVE'], 'session')).toBeUndefined();
  });

  it('points a session to its own methods for MULTI, EXEC, DISCARD and UNWATCH, and lets WATCH through', () => {
    expect(refusal(['MULTI'], 'session')).toMatch(/session\.multi\(\)/);
    expect(refusal(['DISCARD'], 'session')).toMatch(/discard\(\) of session\.multi\(\)/);
    expect(refusal(['UNWATCH'], 'session')).toMatch(/session\.unwatch\(\)/);
    expect(refusal(['WATCH', 'k'], 'session')).toBeUndefined();
  });
});

describe('checkCommand', () => {
  it('gives the command name for errors, subcommand included', () => {
    expect(checkCommand(['hgetall', 'h'], 'transaction')).toBe('HGETALL');
    expect(checkCommand(['xinfo', 'stream', 's'], 'transaction')).toBe('XINFO STREAM');
    expect(checkCommand(['nosuch', 1n, 2.5, Buffer.from('x'), -Infinity], 'transaction')).toBe('NOSUCH');
  });

  it('throws InvalidArgumentError for a refused command and for arguments the encoder would drop', () => {
    expect(() => checkCommand([], 'transaction')).toThrow(InvalidArgumentError);
    expect(() => checkCommand('GET k' as never, 'transaction')).toThrow(InvalidArgumentError);
    expect(() => checkCommand(['MULTI'], 'transaction')).toThrow(InvalidArgumentError);
    expect(() => checkCommand(['SET', 'k', Number.NaN], 'transaction')).toThrow(/SET/);
    expect(() => checkCommand(['SET', 'k', null as never], 'session')).toThrow(InvalidArgumentError);
    expect(() => checkCommand(['SET', 'k', {} as never], 'session')).toThrow(InvalidArgumentError);
  });
});
