/** The Guest console terminal's logic that needs no VS Code: line ends, the restart notice, input to the adapter. */
import { describe, it, expect } from 'vitest';
import { TerminalText, ConsoleInput, isRestartNotice, inputPieces, MAX_INPUT } from './terminalText';
import { describeEvent } from '../vm/lguest/describe';

describe('TerminalText', () => {
  it('gives a bare \\n its \\r and leaves a \\r\\n alone', () => {
    const t = new TerminalText();
    expect(t.convert('a\nb\r\nc\n\n')).toBe('a\r\nb\r\nc\r\n\r\n');
    expect(t.convert('\r\n')).toBe('\r\n');
    expect(t.convert('')).toBe('');
  });

  it('remembers a \\r that ended the last chunk', () => {
    const t = new TerminalText();
    expect(t.convert('a\r')).toBe('a\r');
    expect(t.convert('\nb\n')).toBe('\nb\r\n');
    expect(t.convert('\n')).toBe('\r\n');
    // An empty chunk between them changes nothing.
    expect(t.convert('c\r') + t.convert('') + t.convert('\n')).toBe('c\r\n');
  });

  it('puts a marker on a line of its own, dim', () => {
    const t = new TerminalText();
    expect(t.marker('restarted')).toBe('\x1b[0;2m── restarted ──\x1b[0m\r\n');
    t.convert('/ # ');
    expect(t.marker('restarted')).toBe('\r\n\x1b[0;2m── restarted ──\x1b[0m\r\n');
    t.convert('x\r');
    t.marker('restarted');
    expect(t.convert('\n')).toBe('\r\n');
  });
});

describe('isRestartNotice', () => {
  it("knows the adapter's words for a Guest restart", () => {
    const said = describeEvent({ kind: 'restart', message: 'Restarting system', time: 5 });
    expect(isRestartNotice(`${said}\n`)).toBe(true);
    expect(isRestartNotice(`${describeEvent({ kind: 'restart', message: '', time: 5 })}\n`)).toBe(true);
    expect(isRestartNotice('the Guest powered off\n')).toBe(false);
  });
});

describe('inputPieces', () => {
  it('keeps a text the adapter takes whole, an empty one too', () => {
    expect(inputPieces('ls\r')).toEqual(['ls\r']);
    expect(inputPieces('')).toEqual(['']);
    expect(inputPieces('x'.repeat(MAX_INPUT))).toEqual(['x'.repeat(MAX_INPUT)]);
  });

  it('cuts a long paste into pieces of at most the limit, never inside a surrogate pair', () => {
    expect(inputPieces('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(inputPieces('ab😀cd', 3)).toEqual(['ab', '😀c', 'd']);
    const big = 'y'.repeat(MAX_INPUT + 1);
    expect(inputPieces(big).map((p) => p.length)).toEqual([MAX_INPUT, 1]);
  });
});

describe('ConsoleInput', () => {
  function input(deaf = false) {
    const sent: string[] = [];
    const errors: unknown[] = [];
    let fail = false;
    const i = new ConsoleInput((text) => {
      sent.push(text);
      return fail ? Promise.reject(new Error('refused')) : Promise.resolve();
    }, deaf, (e) => errors.push(e));
    return { i, sent, errors, failNext: () => { fail = true; } };
  }

  it('holds what is typed until the launch succeeds, then sends it', () => {
    const { i, sent } = input();
    i.hello();
    i.send('ls\r');
    expect(sent).toEqual([]);
    i.launch();
    expect(sent).toEqual(['ls\r']);
    i.send('a');
    expect(sent).toEqual(['ls\r', 'a']);
  });

  it('says hello once, with an empty input', () => {
    const { i, sent } = input();
    i.launch();
    i.hello();
    i.hello();
    expect(sent).toEqual(['']);
  });

  it('sends nothing to a session that takes no input (a bare machine), or after the end', () => {
    const bare = input(true);
    bare.i.launch();
    bare.i.hello();
    bare.i.send('x');
    expect(bare.sent).toEqual([]);
    const { i, sent } = input();
    i.send('lost');
    i.end();
    i.launch();
    i.send('y');
    expect(sent).toEqual([]);
    expect(i.isEnded).toBe(true);
  });

  it('hands a failed request to its listener, not to the caller', async () => {
    const { i, errors, failNext } = input();
    i.launch();
    failNext();
    expect(() => i.send('z')).not.toThrow();
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toHaveLength(1);
  });
});
