/**
 * Interpreter vs JIT on small real programs: identical registers, flags, EIP, instruction count,
 * exception state and memory; every generated source passes the acorn verifier.
 */
import { describe, expect, it } from 'vitest';
import { arithLoop, crc32, crc32Loop, memcpyLoop } from '../../bench/jit-programs.mjs';
import { asm, DATA, expectSame, pair, useRegions, check } from './helpers.js';

// Regions after a few dispatcher entries, so these tests also run region code.
useRegions();

function fill(t: { phys: { u8: Uint8Array } }, seed: number, len: number): void {
  let x = seed >>> 0;
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    t.phys.u8[DATA + i] = x >>> 24;
  }
}

describe('JIT vs interpreter', () => {
  it('arithmetic loop', () => {
    const p = check(arithLoop(500));
    expect(p.jit.cpu.halted).toBe(true);
    expect(p.engine.stats.blocksCompiled).toBeGreaterThan(0);
    expect(p.engine.stats.blocksRun).toBeGreaterThan(0);
  });

  it('memcpy loop', () => {
    const p = check(memcpyLoop(300), (t) => fill(t, 1, 1200));
    expect(p.jit.phys.read32(DATA + 0x4000 + 4 * 299)).toBe(p.jit.phys.read32(DATA + 4 * 299));
  });

  it('CRC-32 loop computes the CRC', () => {
    const p = check(crc32Loop(40), (t) => fill(t, 7, 40));
    expect(p.jit.cpu.regs[0] >>> 0).toBe(crc32(p.jit.phys.u8.subarray(DATA, DATA + 40)));
  });

  it('threshold 0 (translate on first sight) and larger thresholds agree', () => {
    for (const th of [0, 3, 50]) check(arithLoop(200), () => {}, th);
  });

  it('CALL / RET / PUSH / POP in a loop', () => {
    check(`
      mov ecx, 100
    1:
      push ecx
      push 0x1234
      call 2f
      pop ebx
      pop edx
      dec ecx
      jnz 1b
      hlt
    2:
      mov eax, [esp + 4]
      add eax, [esp + 8]
      ret
    `);
  });

  it('RET imm16, indirect CALL and JMP', () => {
    check(`
      mov ecx, 50
      lea esi, [2f]
    1:
      push ecx
      push ecx
      call esi
      lea edx, [3f]
      jmp edx
    3:
      dec ecx
      jnz 1b
      hlt
    2:
      mov eax, [esp + 4]
      ret 8
    `);
  });

  it('byte and word moves, MOVZX/MOVSX, 8-bit registers', () => {
    check(`
      mov esi, 0x20000
      mov ecx, 64
    1:
      mov al, [esi]
      mov ah, [esi + 1]
      movsx ebx, byte ptr [esi + 2]
      movzx edx, word ptr [esi + 3]
      movsx edi, word ptr [esi + 5]
      mov bh, al
      mov dl, ah
      mov [esi + 0x100], bl
      mov [esi + 0x101], dh
      mov byte ptr [esi + 0x102], 0x7f
      add edx, ebx
      add edi, edx
      inc esi
      dec ecx
      jnz 1b
      hlt
    `, (t) => fill(t, 3, 512));
  });

  it('unaligned and page-crossing memory accesses', () => {
    check(`
      mov esi, 0x20ff8
      mov ecx, 16
    1:
      mov eax, [esi]
      mov [esi + 0x2000], eax
      add ebx, [esi + 1]
      cmp eax, [esi + 3]
      inc esi
      dec ecx
      jnz 1b
      hlt
    `, (t) => fill(t, 11, 0x2000));
  });

  // Every condition code after every inline flag producer, on edge operands.
  const producers = ['cmp eax, ebx', 'sub eax, ebx', 'add eax, ebx', 'test eax, ebx', 'and eax, ebx', 'or eax, ebx',
    'xor eax, ebx', 'inc eax', 'dec eax', 'cmp eax, 0x7fffffff', 'cmp dword ptr [esi], ebx'];
  const ccs = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
  for (const prod of producers) {
    it(`Jcc after ${prod}`, () => {
      let body = '';
      ccs.forEach((cc, n) => {
        body += `  mov eax, [esi]\n  mov ebx, [esi + 4]\n  ${prod}\n  j${cc} 7${n}f\n  or edx, ${1 << n}\n7${n}:\n`;
      });
      const values = [0, 1, -1, 0x7fffffff, -0x80000000, 2, -2, 0x80, 0x12345678, 0x7ffffffe];
      check(`
        mov esi, 0x20000
        mov ecx, ${values.length * values.length}
      1:
        xor edx, edx
      ${body}
        mov [esi + 0x8000], edx
        add esi, 8
        dec ecx
        jnz 1b
        hlt
      `, (t) => {
        let a = DATA;
        for (const x of values) for (const y of values) {
          t.phys.write32(a, x);
          t.phys.write32(a + 4, y);
          a += 8;
        }
      });
    });
  }

  // Inline forms beyond 32-bit register ALU, each followed by flag readers, on edge operands.
  const forms = [
    'add al, bl', 'sub bx, ax', 'cmp bh, al', 'test ah, 0x81', 'and al, [esi + 1]', 'or word ptr [esi + 2], bx',
    'xor byte ptr [esi], 0x80', 'add dword ptr [esi], eax', 'sub [esi + 4], ebx', 'cmp byte ptr [esi + 3], 0',
    'inc byte ptr [esi + 1]', 'dec word ptr [esi]', 'inc ax', 'dec bl', 'neg eax', 'neg bl', 'neg dword ptr [esi]',
    'not eax', 'not byte ptr [esi + 2]', 'shl eax, 1', 'shl eax, 31', 'shr ebx, 7', 'sar eax, 1', 'sar bl, 3',
    'shl byte ptr [esi], 5', 'shr ax, 15', 'sal ebx, 4', 'shr al, 1',
    'xchg eax, ebx', 'cmovl eax, ebx', 'cmovbe eax, [esi + 4]', 'cmove ebx, eax',
  ];
  for (const form of forms) {
    it(`inline ${form}, then every condition`, () => {
      let body = '';
      ['o', 'b', 'e', 'be', 's', 'p', 'l', 'le'].forEach((cc, n) => {
        body += `  mov eax, [esi]\n  mov ebx, [esi + 4]\n  ${form}\n  set${cc} cl\n  j${cc} 7${n}f\n  or edx, ${1 << n}\n7${n}:\n  add edi, eax\n  add edi, ebx\n  add dl, cl\n`;
      });
      const values = [0, 1, -1, 0x7fffffff, -0x80000000, 0x80, 0x7f, 0xff, 0x8000, 0x12345678];
      check(`
        mov esi, 0x20000
        mov ecx, ${values.length * values.length}
      1:
        xor edx, edx
        push ecx
      ${body}
        pop ecx
        mov [esi + 0x8000], edx
        mov [esi + 0x8004], edi
        add esi, 8
        dec ecx
        jnz 1b
        hlt
      `, (t) => {
        let a = DATA;
        for (const x of values) for (const y of values) {
          t.phys.write32(a, x);
          t.phys.write32(a + 4, y);
          a += 8;
        }
      });
    });
  }

  it('FS (base, 4 GiB limit: inline) and GS (small limit: slow path, then #GP) overrides', () => {
    const p = check(`
      mov ecx, 40
      xor ebx, ebx
    1:
      mov eax, fs:[ebx]
      add fs:[ebx + 0x100], eax
      mov dl, gs:[ebx + 3]
      add gs:[ebx + 0x200], edx
      cmp dword ptr fs:[ebx + 2], 0
      adc esi, 0
      add ebx, 0x31
      dec ecx
      jnz 1b
      hlt
    `, (t) => {
      fill(t, 9, 0x3000);
      t.cpu.segBase[4] = 0x20000;
      t.cpu.segBase[5] = 0x21000;
      t.cpu.segLimit[5] = 0x7ff;
    });
    expect(p.jit.cpu.excVector).toBe(13);
  });

  it('flags produced in one block and read in the next (ADC, SETcc, PUSHF)', () => {
    check(`
      mov ecx, 40
      mov eax, 0x7ffffff0
    1:
      add eax, 3
      jmp 2f
    2:
      adc ebx, 0
      setc dl
      seto dh
      pushfd
      pop edi
      add esi, edi
      inc eax
      dec ecx
      jnz 1b
      hlt
    `);
  });

  it('dead flags: shifts and ALU between flag writers', () => {
    check(`
      mov ecx, 100
      mov eax, 0x12345
    1:
      shl eax, 3
      add eax, ecx
      shr eax, 1
      xor eax, 0x55
      inc eax
      sub eax, ecx
      cmp eax, 0x40000
      jb 2f
      and eax, 0xffff
    2:
      dec ecx
      jnz 1b
      hlt
    `);
  });

  it('string instructions and LOOP (handler calls in translated blocks)', () => {
    check(`
      mov edx, 20
    1:
      mov esi, 0x20000
      mov edi, 0x22000
      mov ecx, 33
      cld
      rep movsb
      mov ecx, 8
    2:
      lodsd
      add ebx, eax
      loop 2b
      dec edx
      jnz 1b
      hlt
    `, (t) => fill(t, 5, 256));
  });

  it('budget: never retires more than asked, and resumes where it stopped', () => {
    const p = pair(asm(arithLoop(300)));
    let a = 0, b = 0;
    for (const step of [1, 7, 13, 100, 1000, 5000]) {
      const x = p.interp.cpu.run(step);
      const y = p.engine.run(step);
      expect(y).toBe(x);
      expect(y).toBeLessThanOrEqual(step);
      a += x; b += y;
      expectSame(p);
    }
    expect(b).toBe(a);
  });
});
