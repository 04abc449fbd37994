# x86jit hypervisor acceptance guest (issue 7, point 2). GNU as --32, Intel syntax, linked flat at
# 0x10000 and started in real mode there (`x86jit boot --kernel hv-guest.bin --flat 0x10000`).
#
# It enters protected mode, then reports one line per answer through the CONSOLE_WRITE hypercall:
#   version EAX EBX ECX EDX        VMCALL 0 (VERSION)
#   cw EAX                         return value of the CONSOLE_WRITE of the greeting line
#   cwbig EAX                      CONSOLE_WRITE of 4097 bytes (too long)
#   unknown EAX                    VMCALL 99
#   cpuid LEAF EAX EBX ECX EDX     leaves 0, 1, 0x40000000, 0x80000000-0x80000004
#   probe NAME VECTOR ERRCODE      one instruction each, at CPL 0 or CPL 3; VECTOR 000000ff = no fault
#   uvmcallN EAX                   EAX after VMCALL N issued at CPL 3 (also probed)
# and powers off with POWER_OFF(0). A fault outside a probe prints "fatal VEC ERR EIP" and powers
# off with status 99.
#
# Physical layout: program 0x10000, TSS 0x20000, IDT 0x21000, variables 0x30000, line buffer
# 0x40000, FXSAVE area 0x50000, CPL 3 stack top 0x6f000, CPL 0 stack top 0x8f000.

.intel_syntax noprefix

.equ TSS, 0x20000
.equ IDT, 0x21000
.equ CUR, 0x30000            # address of the running probe's table entry, 0 outside probes
.equ LPTR, 0x30004           # line buffer write pointer
.equ UVM0, 0x30010
.equ UVM1, 0x30014
.equ UVM2, 0x30018
.equ CWRET, 0x3001c
.equ QSLOT, 0x30020
.equ LINE, 0x40000
.equ FXAREA, 0x50000
.equ USTACK, 0x6f000
.equ STACK0, 0x8f000

# A probe runs one instruction (the macro body) with CUR pointing at its 16-byte table entry
# (length, name, vector, error code). The exception handler records vector and error code there
# and resumes after the instruction.
.macro probe name:req, body:vararg
  mov dword ptr [CUR], offset .Lent\@
.Lpb\@:
  \body
.Lpe\@:
  mov dword ptr [CUR], 0
  .text 1
.Lent\@:
  .long .Lpe\@ - .Lpb\@, .Lname\@, 0xff, 0
  .text 2
.Lname\@:
  .asciz "\name"
  .text 0
.endm

.text 1
.balign 4096                 # the table the handler writes is not on a code page
probe_tab:
.text 0

.code16
.globl _start
_start:
  cli
  mov ax, cs
  mov ds, ax
  lgdt [gdtr - _start]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  .byte 0x66, 0xea           # ljmp 0x08:pm32 with a 32-bit offset
  .long pm32
  .word 0x08

.code32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, STACK0
  cld
  mov dword ptr [CUR], 0
  mov dword ptr [LPTR], LINE

  # IDT: all gates absent, then exceptions 0-31 (DPL 0) and INT 0x80 / 0x81 (DPL 3)
  mov edi, IDT
  xor eax, eax
  mov ecx, 512
  rep stosd
  xor esi, esi
1:
  mov eax, esi
  mov ebx, [exc_stubs + esi*4]
  mov edx, 0x8e00
  call set_gate
  inc esi
  cmp esi, 32
  jb 1b
  mov eax, 0x80
  mov ebx, offset finish
  mov edx, 0xee00
  call set_gate
  mov eax, 0x81
  mov ebx, offset raise_iopl
  mov edx, 0xee00
  call set_gate
  lidt [idtr]

  # TSS: ring-0 stack, I/O map base past the limit (no I/O permission bitmap)
  mov edi, TSS
  xor eax, eax
  mov ecx, 26
  rep stosd
  mov dword ptr [TSS + 4], STACK0
  mov dword ptr [TSS + 8], 0x10
  mov word ptr [TSS + 0x66], 0x68
  mov ax, 0x28
  ltr ax

  # --- hypercalls at CPL 0
  mov esi, offset s_hello
  call emit_str
  call flush
  mov [CWRET], eax

  xor eax, eax
  vmcall
  mov esi, offset s_version
  call emit_str
  call emit4
  call flush

  mov esi, offset s_cw
  call emit_str
  mov eax, [CWRET]
  call emit_hex
  call flush

  mov eax, 1
  mov ebx, LINE
  mov ecx, 4097
  vmcall
  mov esi, offset s_cwbig
  call emit_str
  call emit_hex
  call flush

  mov eax, 99
  vmcall
  mov esi, offset s_unknown
  call emit_str
  call emit_hex
  call flush

  # --- CPUID leaves
  mov esi, offset leaves
2:
  lodsd
  cmp eax, -1
  je 3f
  push esi
  push eax
  mov esi, offset s_cpuid
  call emit_str
  pop eax
  call emit_hex
  xor ecx, ecx
  cpuid
  call emit4
  call flush
  pop esi
  jmp 2b
3:

  # --- CPL 0 probes: what CPUID advertises works, unknown MSRs fault
  probe r0_cmov, cmovz eax, ebx
  xor eax, eax
  xor edx, edx
  probe r0_cmpxchg8b, cmpxchg8b [QSLOT]
  probe r0_rdtsc, rdtsc
  mov ecx, 0x10
  probe r0_rdmsr_tsc, rdmsr
  mov ecx, 0x174
  mov eax, 0x08
  xor edx, edx
  probe r0_wrmsr_sysenter_cs, wrmsr
  mov ecx, 0x12345678
  probe r0_rdmsr_unknown, rdmsr
  mov ecx, 0x12345678
  probe r0_wrmsr_unknown, wrmsr
  probe r0_fninit, fninit
  probe r0_fxsave, fxsave [FXAREA]
  probe r0_fxrstor, fxrstor [FXAREA]
  mov eax, cr4
  or eax, 0x90
  probe r0_cr4_pse_pge, mov cr4, eax
  probe r0_ud2, ud2

  # --- to CPL 3 with IOPL 0 and IF 0
  mov ax, 0x23
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  push 0x23
  push USTACK
  push 0x2
  push 0x1b
  push offset user_code
  iretd

user_code:
  xor eax, eax
  probe hlt, hlt
  probe cli, cli
  probe sti, sti
  probe mov_from_cr0, mov eax, cr0
  probe mov_to_cr0, mov cr0, eax
  probe mov_to_cr3, mov cr3, eax
  probe mov_to_cr4, mov cr4, eax
  probe mov_to_dr7, mov dr7, eax
  probe lgdt, lgdt [gdtr]
  probe lidt, lidt [idtr]
  mov eax, 0x28
  probe ltr, ltr ax
  xor eax, eax
  probe lldt, lldt ax
  probe lmsw, lmsw ax
  probe clts, clts
  mov ecx, 0x10
  probe wrmsr, wrmsr
  probe rdmsr, rdmsr
  probe invlpg, invlpg [0x1000]
  probe wbinvd, wbinvd
  probe invd, invd
  mov edx, 0x80
  mov edi, LINE
  mov esi, LINE
  probe in_imm, in al, 0x80
  probe out_imm, out 0x80, al
  probe in_dx, in al, dx
  probe out_dx, out dx, al
  probe insb, insb
  probe outsb, outsb
  probe cpuid_user, cpuid
  probe rdtsc_user, rdtsc

  # VMCALL at CPL 3: -1 and nothing else (no write, no power-off)
  # (as probes too, so a #GP is reported instead of ending the run)
  mov eax, 0
  probe vmcall0_user, vmcall
  mov [UVM0], eax
  mov eax, 1
  mov ebx, offset s_hello
  mov ecx, 5
  probe vmcall1_user, vmcall
  mov [UVM1], eax
  mov eax, 2
  mov ebx, 5
  probe vmcall2_user, vmcall
  mov [UVM2], eax

  int 0x81                   # the kernel side sets IOPL 3
  probe cli_iopl3, cli
  probe in_iopl3, in al, 0x80
  probe out_iopl3, out 0x80, al
  probe hlt_iopl3, hlt
  int 0x80                   # report and power off
  jmp .

# ring 0, from CPL 3: IOPL 3 in the saved EFLAGS
raise_iopl:
  or dword ptr [esp + 8], 0x3000
  iretd

finish:
  mov ebx, offset probe_tab
4:
  cmp ebx, offset probe_end
  jae 5f
  mov esi, offset s_probe
  call emit_str
  mov esi, [ebx + 4]
  call emit_str
  mov eax, [ebx + 8]
  call emit_hex
  mov eax, [ebx + 12]
  call emit_hex
  call flush
  add ebx, 16
  jmp 4b
5:
  mov esi, offset s_uvm0
  call emit_str
  mov eax, [UVM0]
  call emit_hex
  call flush
  mov esi, offset s_uvm1
  call emit_str
  mov eax, [UVM1]
  call emit_hex
  call flush
  mov esi, offset s_uvm2
  call emit_str
  mov eax, [UVM2]
  call emit_hex
  call flush
  mov eax, 2
  xor ebx, ebx
  vmcall
  cli
  hlt

# stack on entry: vector, error code, EIP, CS, EFLAGS (, ESP, SS from CPL 3)
exc_common:
  push eax
  push ebx
  mov ebx, [CUR]
  test ebx, ebx
  jz fatal
  mov eax, [esp + 8]
  mov [ebx + 8], eax
  mov eax, [esp + 12]
  mov [ebx + 12], eax
  mov eax, [ebx]
  add [esp + 16], eax        # resume after the probed instruction
  pop ebx
  pop eax
  add esp, 8
  iretd
fatal:
  mov esi, offset s_fatal
  call emit_str
  mov eax, [esp + 8]
  call emit_hex
  mov eax, [esp + 12]
  call emit_hex
  mov eax, [esp + 16]
  call emit_hex
  call flush
  mov eax, 2
  mov ebx, 99
  vmcall
  cli
  hlt

# eax = vector, ebx = handler, edx = attribute word
set_gate:
  lea edi, [IDT + eax * 8]
  mov [edi], bx
  mov word ptr [edi + 2], 0x08
  mov [edi + 4], dx
  shr ebx, 16
  mov [edi + 6], bx
  ret

# append the NUL-terminated string at esi to the line (esi advances)
emit_str:
  push eax
  push edi
  mov edi, [LPTR]
6:
  lodsb
  test al, al
  jz 7f
  stosb
  jmp 6b
7:
  mov [LPTR], edi
  pop edi
  pop eax
  ret

# append " %08x" of eax
emit_hex:
  push eax
  push ecx
  push edx
  push edi
  mov edi, [LPTR]
  mov byte ptr [edi], 0x20
  inc edi
  mov ecx, 8
8:
  rol eax, 4
  mov edx, eax
  and edx, 15
  mov dl, [hexdigits + edx]
  mov [edi], dl
  inc edi
  dec ecx
  jnz 8b
  mov [LPTR], edi
  pop edi
  pop edx
  pop ecx
  pop eax
  ret

# append eax ebx ecx edx
emit4:
  push eax
  call emit_hex
  mov eax, ebx
  call emit_hex
  mov eax, ecx
  call emit_hex
  mov eax, edx
  call emit_hex
  pop eax
  ret

# end the line with '\n' and CONSOLE_WRITE it; eax = the hypercall's result
flush:
  push ebx
  push ecx
  mov ecx, [LPTR]
  mov byte ptr [ecx], 10
  inc ecx
  sub ecx, LINE
  mov ebx, LINE
  mov eax, 1
  vmcall
  mov dword ptr [LPTR], LINE
  pop ecx
  pop ebx
  ret

.macro stub v
exc\v:
  .if \v == 8 || \v == 10 || \v == 11 || \v == 12 || \v == 13 || \v == 14 || \v == 17
  push \v
  .else
  push 0
  push \v
  .endif
  jmp exc_common
.endm
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  stub \v
.endr

.balign 4
exc_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  .long exc\v
.endr

leaves:
  .long 0, 1, 0x40000000, 0x80000000, 0x80000001, 0x80000002, 0x80000003, 0x80000004, -1

.balign 8
gdt:
  .quad 0                          # 0x00
  .quad 0x00cf9a000000ffff         # 0x08 code, DPL 0
  .quad 0x00cf92000000ffff         # 0x10 data, DPL 0
  .quad 0x00cffa000000ffff         # 0x18 code, DPL 3
  .quad 0x00cff2000000ffff         # 0x20 data, DPL 3
  .quad 0x0000890200000067         # 0x28 TSS at 0x20000, limit 0x67
gdt_end:
gdtr:
  .word gdt_end - gdt - 1
  .long gdt
idtr:
  .word 256 * 8 - 1
  .long IDT

hexdigits: .ascii "0123456789abcdef"
s_hello: .asciz "hello from the x86jit hv test guest"
s_version: .asciz "version"
s_cw: .asciz "cw"
s_cwbig: .asciz "cwbig"
s_unknown: .asciz "unknown"
s_cpuid: .asciz "cpuid"
s_probe: .asciz "probe "
s_uvm0: .asciz "uvmcall0"
s_uvm1: .asciz "uvmcall1"
s_uvm2: .asciz "uvmcall2"
s_fatal: .asciz "fatal"

.text 1
probe_end:
