# x86jit --stats test guest (issue 7, points 1 and 4): a multiboot kernel (a.out kludge, linked at
# 1 MiB) that makes a known number of VM exits of each kind, then powers off. The test runs it with
# `--reserve 1M@0x1000000` so RES below is the hypervisor's reserved region.
#
#   5 x OUT to port 0x80, 3 x IN from port 0x80, 1 x CPUID,
#   3 guest writes into the reserved region (over its header, its exit counters, and its last byte),
#   1 read from it (of the dword it wrote over the counters), written to the host console (4 bytes) by CONSOLE_WRITE,
#   a CONSOLE_WRITE of the region's first 8 bytes (the hypervisor's header), then POWER_OFF(0):
#   3 x VMCALL.

.intel_syntax noprefix
.equ RES, 0x1000000
.equ BUF, 0x200000

.text
.globl _start
_start:
  jmp entry

.balign 4
mbhdr:
  .long 0x1badb002, 0x00010000, -(0x1badb002 + 0x00010000)
  .long mbhdr, _start, end, end, entry

entry:
  mov esp, 0x90000
  mov ecx, 5
1:
  mov al, cl
  out 0x80, al
  loop 1b
  mov ecx, 3
2:
  in al, 0x80
  loop 2b
  xor eax, eax
  cpuid
  mov dword ptr [RES], 0x12345678
  mov dword ptr [RES + 0x10], 0x12345678
  mov byte ptr [RES + 0xfffff], 0
  mov eax, [RES + 0x10]
  mov [BUF], eax
  mov eax, 1
  mov ebx, BUF
  mov ecx, 4
  vmcall
  mov eax, 1                 # the hypervisor reads guest memory for the guest: all-ones too
  mov ebx, RES
  mov ecx, 8
  vmcall
  mov eax, 2
  xor ebx, ebx
  vmcall
  cli
  hlt
end:
