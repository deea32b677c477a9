/** The disassembler's API: disassemble() on an Instr, and disassembleBytes() over a range. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/vm/cpu/decoder';
import { Instr } from '../../src/vm/cpu/instr';
import { disassemble, disassembleBytes, type Syntax } from '../../src/vm/cpu/disasm';
import { readElf, SHF_EXECINSTR } from './elf';
import { hexBytes, parseListing, symbolizer } from './listing';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'test/fixtures/objdump');

function insn(hex: string, code32 = true): Instr {
  const bytes = Uint8Array.from(hex.split(' ').map((b) => parseInt(b, 16)));
  const ins = new Instr(() => {});
  expect(decode(bytes, 0, bytes.length, code32, ins)).toBe(bytes.length);
  return ins;
}

describe('disassemble', () => {
  it('prints both syntaxes with objdump spacing', () => {
    const ins = insn('8b 45 f0');
    expect(disassemble(ins, { syntax: 'att', address: 0 })).toBe('mov    -0x10(%ebp),%eax');
    expect(disassemble(ins, { syntax: 'intel', address: 0 })).toBe('mov    eax,DWORD PTR [ebp-0x10]');
    expect(disassemble(insn('c3'), { syntax: 'att', address: 0 })).toBe('ret');
    expect(disassemble(insn('f3 a5'), { syntax: 'att', address: 0 })).toBe('rep movsl %ds:(%esi),%es:(%edi)');
  });

  it('prints branch targets as addresses, with the symbol when there is one', () => {
    const ins = insn('e9 1b 00 00 00');
    expect(disassemble(ins, { syntax: 'att', address: 0x100000 })).toBe('jmp    0x100020');
    expect(disassemble(ins, { syntax: 'intel', address: 0x100000, symbolize: () => 'main+0x10' })).toBe('jmp    100020 <main+0x10>');
    // A 16-bit displacement wraps within the 64 KiB segment.
    expect(disassemble(insn('e8 20 00', false), { syntax: 'att', address: 0x2fff0, code32: false })).toBe('call   0x20013');
  });

  it('needs no bytes when the prefixes are the ordinary ones', () => {
    expect(disassemble(insn('66 c7 00 01 02'), { syntax: 'att', address: 0 })).toBe('movw   $0x201,(%eax)');
    expect(disassemble(insn('f0 0f b1 0b'), { syntax: 'intel', address: 0 })).toBe('lock cmpxchg DWORD PTR [ebx],ecx');
    expect(disassemble(insn('64 a1 00 00 00 00'), { syntax: 'att', address: 0 })).toBe('mov    %fs:0x0,%eax');
    expect(disassemble(insn('66 0f 01 10', false), { syntax: 'att', address: 0, code32: false })).toBe('lgdtl  (%bx,%si)');
  });

  // Every instruction of a guest kernel, decoded without its bytes.
  it.each(['att', 'intel'] as const)('matches objdump on a whole kernel from the Instr alone (%s)', (syntax) => {
    const { insns, text } = sweep('bare-hello', syntax);
    const ins = new Instr(() => {});
    const wrong: string[] = [];
    for (const l of insns) {
      decode(text.data, l.address - text.addr, text.data.length, true, ins);
      const ours = disassemble(ins, { syntax, address: l.address, symbolize: text.symbolize });
      if (ours !== l.text) wrong.push(`${l.address.toString(16)}: ${hexBytes(l.bytes)}: ${ours} / ${l.text}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('disassembleBytes', () => {
  it.each(['att', 'intel'] as const)('lists a kernel\'s .text as objdump does (%s)', (syntax: Syntax) => {
    for (const name of ['bare-hello', 'bare-arith', 'lguest-hello']) {
      const { insns, text } = sweep(name, syntax);
      const lines = disassembleBytes(text.data, text.addr, true, syntax, text.symbolize);
      expect(lines.map((l) => `${l.address.toString(16)} ${hexBytes(l.bytes)} ${l.text}`))
        .toEqual(insns.map((l) => `${l.address.toString(16)} ${hexBytes(l.bytes)} ${l.text}`));
      expect(lines.every((l) => l.length === l.bytes.length)).toBe(true);
    }
  });

  it('shows an instruction cut off by the end of the range as objdump does', () => {
    const lines = disassembleBytes(Uint8Array.from([0x90, 0x66, 0xb8, 0x01]), 0x1000, true, 'att');
    expect(lines.map((l) => [l.address, l.length, l.text])).toEqual([
      [0x1000, 1, 'nop'], [0x1001, 1, 'data16'], [0x1002, 1, '.byte 0xb8'], [0x1003, 1, '.byte 0x1'],
    ]);
  });
});

/** A kernel's .text, its symbols, and objdump's listing of it. */
/** A guest kernel by its fixture name: FOLDER-NAME is guests/FOLDER/build/NAME.elf. */
function sweep(name: string, syntax: Syntax) {
  const [folder, file] = name.split(/-(.*)/s);
  const elf = readElf(new Uint8Array(readFileSync(join(ROOT, `guests/${folder}/build/${file}.elf`))));
  const index = elf.sections.findIndex((s) => s.name === '.text' && (s.flags & SHF_EXECINSTR) !== 0);
  const sec = elf.sections[index];
  const listing = parseListing(readFileSync(join(FIXTURES, `${name}.${syntax}.txt`), 'utf8'));
  return {
    insns: listing.insns.filter((l) => l.section === '.text'),
    text: { data: sec.data, addr: sec.addr, symbolize: symbolizer(elf, index) },
  };
}
