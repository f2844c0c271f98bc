import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closestCommand, MAX_COMMAND_LENGTH, parseCommand, parseWhen } from '../../bot/command-parser.ts';
import { OBJECT_TYPES } from '../../src/domain.ts';

describe('command parser', () => {
  it('strips the channel mention and HTML, and ignores case', () => {
    expect(parseCommand('<at>Entra Backup</at> STATUS')).toEqual({ kind: 'status' });
    expect(parseCommand('<p><at>Entra&nbsp;Backup</at>&nbsp;Help</p>')).toEqual({ kind: 'help' });
    expect(parseCommand('  ApProVaLs ')).toEqual({ kind: 'approvals' });
  });

  it('parses every command of the help list', () => {
    expect(parseCommand('backup now')).toEqual({ kind: 'backup' });
    expect(parseCommand('Backup Now Users')).toEqual({ kind: 'backup', objectType: 'user' });
    expect(parseCommand('backup now ca')).toEqual({ kind: 'backup', objectType: 'conditionalAccessPolicy' });
    expect(parseCommand('find adele@contoso')).toEqual({ kind: 'find', text: 'adele@contoso' });
    expect(parseCommand('history group Sales Team')).toEqual({
      kind: 'history',
      objectType: 'group',
      name: 'Sales Team',
    });
    expect(parseCommand('restore user jane@contoso')).toEqual({
      kind: 'restore',
      objectType: 'user',
      name: 'jane@contoso',
    });
    expect(parseCommand('restore user Jane Doe at 2026-11-20')).toEqual({
      kind: 'restore',
      objectType: 'user',
      name: 'Jane Doe',
      at: '2026-11-20T23:59:59.999Z',
    });
    expect(parseCommand('changes')).toEqual({ kind: 'changes', sinceMs: 86_400_000, sinceText: '24h' });
    expect(parseCommand('changes since 7d')).toEqual({
      kind: 'changes',
      sinceMs: 7 * 86_400_000,
      sinceText: '7d',
    });
    expect(parseCommand('changes since 30 minutes')).toEqual({
      kind: 'changes',
      sinceMs: 30 * 60_000,
      sinceText: '30m',
    });
    expect(parseCommand('settings')).toEqual({ kind: 'settings' });
  });

  it('answers bad arguments with the usage of that command', () => {
    const r = parseCommand('restore printer hp');
    expect(r).toMatchObject({
      kind: 'invalid',
      command: 'restore',
      usage: 'restore user|group <name|upn|id> [at <date>]',
    });
    expect(parseCommand('restore user Jane at yesterday-ish')).toMatchObject({
      kind: 'invalid',
      command: 'restore',
    });
    expect(parseCommand('backup now printers')).toMatchObject({ kind: 'invalid', command: 'backup' });
    expect(parseCommand('backup')).toMatchObject({ kind: 'invalid', message: 'Did you mean "backup now"?' });
    expect(parseCommand('find')).toMatchObject({ kind: 'invalid', command: 'find' });
    expect(parseCommand('changes since forever')).toMatchObject({ kind: 'invalid', command: 'changes' });
  });

  it('suggests the closest command for an unknown word', () => {
    expect(parseCommand('staus')).toEqual({ kind: 'unknown', word: 'staus', suggestion: 'status' });
    expect(parseCommand('restor user x')).toMatchObject({ kind: 'unknown', suggestion: 'restore' });
    expect(closestCommand('aprovals')).toBe('approvals');
    expect(closestCommand('setings')).toBe('settings');
  });

  it('refuses very long input before parsing it', () => {
    expect(parseCommand(`find ${'a'.repeat(100_000)}`)).toMatchObject({ kind: 'too-long' });
    expect(parseCommand(`find ${'a'.repeat(MAX_COMMAND_LENGTH + 1)}`)).toMatchObject({ kind: 'too-long' });
  });

  it('drops control characters and bidi/zero-width tricks from names', () => {
    const r = parseCommand('restore user ja\u200bne\u202e@contoso\u0007');
    expect(r).toEqual({ kind: 'restore', objectType: 'user', name: 'ja ne @contoso' });
  });

  it('reads dates strictly', () => {
    expect(parseWhen('2026-11-20T14:00Z')).toBe('2026-11-20T14:00:00.000Z');
    expect(parseWhen('2026-11-20 14:00')).toBe('2026-11-20T14:00:00.000Z');
    expect(parseWhen('2026-13-40')).toBeUndefined();
    expect(parseWhen('tomorrow')).toBeUndefined();
  });

  it('property: any input yields a well-formed command and never throws', () => {
    const kinds = new Set([
      'help',
      'status',
      'backup',
      'find',
      'history',
      'restore',
      'changes',
      'approvals',
      'settings',
      'empty',
      'too-long',
      'invalid',
      'unknown',
    ]);
    const words = fc.constantFrom(
      'restore',
      'user',
      'group',
      'at',
      'find',
      'backup',
      'now',
      'changes',
      'since',
      '<at>Bot</at>',
      '2026-01-01',
      '7d',
      'help',
      ['$', '{x}'].join(''),
      '&amp;',
    );
    const input = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.array(words, { maxLength: 8 }).map((w) => w.join(' ')),
    );
    fc.assert(
      fc.property(input, (text) => {
        const cmd = parseCommand(text);
        expect(kinds.has(cmd.kind)).toBe(true);
        if (cmd.kind === 'restore' || cmd.kind === 'history') {
          expect(cmd.name.length).toBeGreaterThan(0);
          expect(cmd.name).not.toMatch(/<at>/i);
        }
        if (cmd.kind === 'restore' && cmd.at) expect(Number.isNaN(Date.parse(cmd.at))).toBe(false);
        if (cmd.kind === 'backup' && cmd.objectType) expect(OBJECT_TYPES).toContain(cmd.objectType);
        if (cmd.kind === 'unknown') expect(cmd.suggestion.length).toBeGreaterThan(0);
        if (cmd.kind === 'changes') expect(cmd.sinceMs).toBeGreaterThan(0);
      }),
      { numRuns: 1500 },
    );
  });

  it('property: the command word is case-insensitive', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('status', 'help', 'approvals', 'settings', 'changes'),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        (word, upper) => {
          const mixed = [...word].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join('');
          expect(parseCommand(mixed).kind).toBe(parseCommand(word).kind);
        },
      ),
    );
  });
});
