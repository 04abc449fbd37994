/*
 * Native oracle for the differential CPU test (test/native/README.md).
 *
 * Built with `gcc -m32 -O1 -no-pie`, it runs generated user-mode instruction sequences on the host
 * CPU and records the final architectural state, one process for a whole batch:
 *
 *     harness IN OUT      IN: header + N input records, OUT: header + N output records
 *
 * Both record layouts are described in test/native/format.ts (the TypeScript side is the reference;
 * the offsets below must match it). For each sequence the harness:
 *   1. clears the two scratch pages at SCRATCH_ADDR, fills the first SCRATCH_SIZE bytes from a xorshift32
 *      stream seeded by the record, then applies the record's dword patches;
 *   2. copies the code to CODE_ADDR and appends `jmp ss:[CODE_ADDR + EXIT_PTR_OFF]` to exit_stub;
 *   3. in run_seq (assembly below): saves the host stack pointer, FRSTORs the x87 image, loads
 *      EFLAGS and the eight registers (ESP last) and jumps to the code;
 *   4. exit_stub stores the eight registers first (ESP included), switches back to the host stack,
 *      and only then PUSHFDs the flags and FNSAVEs the x87 state, so nothing touches the guest stack.
 * A fault (#DE, #UD, #GP, #BR...) arrives as a signal on an alternate stack; the handler records the
 * hardware vector (sigcontext trapno), error code, EIP and the register/x87 state at the fault from
 * the ucontext, and siglongjmps back to the loop. Deterministic: the output depends only on the input.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/ucontext.h>
#include <unistd.h>

#define CODE_ADDR 0x10000000u
#define SCRATCH_ADDR 0x20000000u
#define SCRATCH_SIZE 768
/* A second compared window around the boundary between the two scratch pages. */
#define STRADDLE_OFF 0xf80
#define STRADDLE_SIZE 256
#define PAGE 4096
#define EXIT_PTR_OFF 0xF00
#define CODE_MAX 128
#define PATCHES 8

#define IN_MAGIC 0x53363858u  /* "X86S" */
#define OUT_MAGIC 0x52363858u /* "X86R" */
#define VERSION 1

/* Input record (format.ts InRec), 348 bytes. */
struct in_rec {
  uint32_t regs[8];
  uint32_t eflags;
  uint32_t mem_seed;
  uint32_t code_len;
  uint32_t reserved;
  uint8_t fsave[108]; /* FRSTOR image (32-bit protected-mode layout, SDM Vol. 1 §8.1.10 Fig. 8-9) */
  uint32_t patch_off[PATCHES];
  uint32_t patch_val[PATCHES];
  uint8_t code[CODE_MAX];
};

/* Output record (format.ts OutRec), 1196 bytes. */
struct out_rec {
  uint32_t status; /* 0 = ran to the end, 1 = fault, 2 = timed out (0.5 s) */
  uint32_t vector;
  uint32_t error_code;
  uint32_t eip_off; /* EIP - CODE_ADDR at the fault, or the code length */
  uint32_t regs[8];
  uint32_t eflags;
  uint16_t es, ds; /* selectors at the end */
  uint8_t fsave[108];
  uint16_t fs, gs; /* selectors at the end */
  uint8_t scratch[SCRATCH_SIZE];
  uint8_t straddle[STRADDLE_SIZE];
  uint32_t cr2; /* faulting address of a #PF (siginfo si_addr) */
};

_Static_assert(sizeof(struct in_rec) == 348, "in_rec layout");
_Static_assert(sizeof(struct out_rec) == 1196, "out_rec layout");

/* Shared with the assembly stubs. */
uint16_t g_out_sregs[4], g_host_fs, g_host_gs;
uint32_t g_in_regs[8], g_in_eflags, g_out_regs[8], g_out_eflags, g_host_esp, g_code_entry;
uint8_t g_fpu_in[108] __attribute__((aligned(16))), g_fpu_out[108] __attribute__((aligned(16)));

void run_seq(void);
void exit_stub(void);

__asm__(
    ".text\n"
    ".globl run_seq\n"
    "run_seq:\n"
    "  push %ebp\n  push %ebx\n  push %esi\n  push %edi\n"
    "  mov %esp, g_host_esp\n"
    "  mov %fs, g_host_fs\n  mov %gs, g_host_gs\n"
    "  frstor g_fpu_in\n"
    "  pushl g_in_eflags\n"
    "  popfl\n"
    "  mov g_in_regs+0, %eax\n  mov g_in_regs+4, %ecx\n  mov g_in_regs+8, %edx\n"
    "  mov g_in_regs+12, %ebx\n  mov g_in_regs+20, %ebp\n  mov g_in_regs+24, %esi\n"
    "  mov g_in_regs+28, %edi\n  mov g_in_regs+16, %esp\n"
    "  jmp *g_code_entry\n"
    ".globl exit_stub\n"
    "exit_stub:\n"
    /* The sequence may have loaded a null selector into DS/ES: store through SS. */
    "  mov %eax, %ss:g_out_regs+0\n  mov %ecx, %ss:g_out_regs+4\n  mov %edx, %ss:g_out_regs+8\n"
    "  mov %ebx, %ss:g_out_regs+12\n  mov %esp, %ss:g_out_regs+16\n  mov %ebp, %ss:g_out_regs+20\n"
    "  mov %esi, %ss:g_out_regs+24\n  mov %edi, %ss:g_out_regs+28\n"
    "  mov %es, %ss:g_out_sregs+0\n  mov %ds, %ss:g_out_sregs+2\n"
    "  mov %fs, %ss:g_out_sregs+4\n  mov %gs, %ss:g_out_sregs+6\n"
    /* glibc keeps TLS (and the stack protector's canary) behind GS: restore the host's FS/GS */
    "  mov %ss:g_host_fs, %fs\n  mov %ss:g_host_gs, %gs\n"
    "  mov %ss:g_host_esp, %esp\n"
    "  push %ss\n  pop %ds\n  push %ss\n  pop %es\n"
    "  pushfl\n"
    "  popl g_out_eflags\n"
    /* back to the C ABI's flags: DF clear, and AC clear (the sequence may have set it: with
       Linux's CR0.AM every misaligned access of the harness would then raise #AC) */
    "  pushl $0x202\n"
    "  popfl\n"
    "  fnsave g_fpu_out\n"
    "  fninit\n"
    "  pop %edi\n  pop %esi\n  pop %ebx\n  pop %ebp\n"
    "  ret\n");

static sigjmp_buf g_jmp;
static struct out_rec *g_cur;

static void on_fault(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = (ucontext_t *)ctx;
  greg_t *gr = uc->uc_mcontext.gregs;
  struct out_rec *o = g_cur;
  /* EFLAGS.AC survives into the handler (the kernel clears only DF, TF, RF): clear it first. */
  __asm__ volatile("pushfl\n andl $0xfffbffff, (%%esp)\n popfl" ::: "memory", "cc");
  /* The sequence may have changed GS/FS: glibc's siglongjmp reads its pointer guard through GS. */
  __asm__ volatile("mov %0, %%fs\n mov %1, %%gs" ::"r"((uint32_t)g_host_fs), "r"((uint32_t)g_host_gs));
  /* SIGVTALRM: the per-sequence CPU-time limit expired (a generated loop that does not end). */
  o->status = sig == SIGVTALRM ? 2 : 1;
  o->vector = (uint32_t)gr[REG_TRAPNO];
  o->error_code = (uint32_t)gr[REG_ERR];
  o->eip_off = (uint32_t)gr[REG_EIP] - CODE_ADDR;
  o->cr2 = o->vector == 14 ? (uint32_t)(uintptr_t)si->si_addr : 0;
  o->regs[0] = gr[REG_EAX];
  o->regs[1] = gr[REG_ECX];
  o->regs[2] = gr[REG_EDX];
  o->regs[3] = gr[REG_EBX];
  o->regs[4] = gr[REG_ESP];
  o->regs[5] = gr[REG_EBP];
  o->regs[6] = gr[REG_ESI];
  o->regs[7] = gr[REG_EDI];
  o->eflags = (uint32_t)gr[REG_EFL];
  o->es = (uint16_t)gr[REG_ES];
  o->ds = (uint16_t)gr[REG_DS];
  o->fs = (uint16_t)gr[REG_FS];
  o->gs = (uint16_t)gr[REG_GS];
  /* The kernel hands the x87 state over in FSAVE layout (cw, sw, tag as dwords, then ST0-7). */
  if (uc->uc_mcontext.fpregs) memcpy(o->fsave, uc->uc_mcontext.fpregs, 108);
  siglongjmp(g_jmp, 1);
}

static void fill_scratch(uint8_t *p, uint32_t seed) {
  uint32_t x = seed;
  for (int i = 0; i < SCRATCH_SIZE; i += 4) {
    /* xorshift32 (Marsaglia 2003); seed 0 gives all zeros. Mirrored in format.ts fillScratch. */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    memcpy(p + i, &x, 4);
  }
}

static void die(const char *m) {
  perror(m);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
    return 2;
  }
  uint8_t *code = mmap((void *)CODE_ADDR, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  /* scratch pages: two read/write, a third read-only (zeros), a fourth never mapped (#PF tests) */
  uint8_t *ro = mmap((void *)(SCRATCH_ADDR + 2 * PAGE), PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (ro != (uint8_t *)(SCRATCH_ADDR + 2 * PAGE)) die("mmap fixed (read-only page)");
  uint8_t *scratch = mmap((void *)SCRATCH_ADDR, 2 * PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code != (uint8_t *)CODE_ADDR || scratch != (uint8_t *)SCRATCH_ADDR) die("mmap fixed");

  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, 0)) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGVTALRM};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, 0)) die("sigaction");

  FILE *in = fopen(argv[1], "rb");
  if (!in) die(argv[1]);
  uint32_t hdr[4];
  if (fread(hdr, 4, 4, in) != 4 || hdr[0] != IN_MAGIC || hdr[1] != VERSION || hdr[3] != sizeof(struct in_rec)) {
    fprintf(stderr, "harness: bad input header\n");
    return 2;
  }
  uint32_t n = hdr[2];
  struct in_rec *recs = malloc((size_t)n * sizeof *recs);
  struct out_rec *outs = calloc(n ? n : 1, sizeof *outs);
  if (!recs || !outs) die("malloc");
  if (fread(recs, sizeof *recs, n, in) != n) die("read records");
  fclose(in);

  *(uint32_t *)(code + EXIT_PTR_OFF) = (uint32_t)(uintptr_t)exit_stub;
  struct itimerval on = {{0, 0}, {0, 500000}}, off = {{0, 0}, {0, 0}};
  for (uint32_t k = 0; k < n; k++) {
    struct in_rec *r = &recs[k];
    struct out_rec *o = &outs[k];
    g_cur = o;
    memset(scratch, 0, 2 * PAGE);
    /* Touch the read-only page so that its page-table entry is present: a store to a never-touched
       PROT_READ page faults with P = 0 (error code 6), to a mapped one with P = 1 (7), and the
       interpreter's page table has it present. */
    (void)*(volatile uint8_t *)ro;
    fill_scratch(scratch, r->mem_seed);
    for (int p = 0; p < PATCHES; p++)
      if (r->patch_off[p] != 0xffffffffu && (r->patch_off[p] <= SCRATCH_SIZE - 4 ||
          (r->patch_off[p] >= STRADDLE_OFF && r->patch_off[p] <= STRADDLE_OFF + STRADDLE_SIZE - 4)))
        memcpy(scratch + r->patch_off[p], &r->patch_val[p], 4);
    uint32_t len = r->code_len > CODE_MAX ? CODE_MAX : r->code_len;
    memset(code, 0xCC, EXIT_PTR_OFF);
    memcpy(code, r->code, len);
    /* jmp dword ss:[CODE_ADDR + EXIT_PTR_OFF] (SS: the sequence may have nulled DS) */
    code[len] = 0x36;
    code[len + 1] = 0xFF;
    code[len + 2] = 0x25;
    uint32_t ptr = CODE_ADDR + EXIT_PTR_OFF;
    memcpy(code + len + 3, &ptr, 4);
    memcpy(g_in_regs, r->regs, sizeof g_in_regs);
    /* TF, AC and the system bits stay clear at the start; bit 1 is always 1. */
    g_in_eflags = (r->eflags & 0x0cd5u) | 2u;
    memcpy(g_fpu_in, r->fsave, 108);
    g_code_entry = CODE_ADDR;
    if (sigsetjmp(g_jmp, 1) == 0) {
      setitimer(ITIMER_VIRTUAL, &on, 0);
      run_seq();
      setitimer(ITIMER_VIRTUAL, &off, 0);
      o->status = 0;
      o->vector = 0;
      o->error_code = 0;
      o->eip_off = len;
      memcpy(o->regs, g_out_regs, sizeof o->regs);
      o->eflags = g_out_eflags;
      o->es = g_out_sregs[0];
      o->ds = g_out_sregs[1];
      o->fs = g_out_sregs[2];
      o->gs = g_out_sregs[3];
      memcpy(o->fsave, g_fpu_out, 108);
    } else {
      setitimer(ITIMER_VIRTUAL, &off, 0);
      __asm__ volatile("cld\n fninit\n mov g_host_fs, %%fs\n mov g_host_gs, %%gs" ::: "memory");
    }
    memcpy(o->scratch, scratch, SCRATCH_SIZE);
    memcpy(o->straddle, scratch + STRADDLE_OFF, STRADDLE_SIZE);
  }

  FILE *out = fopen(argv[2], "wb");
  if (!out) die(argv[2]);
  uint32_t oh[4] = {OUT_MAGIC, VERSION, n, sizeof(struct out_rec)};
  if (fwrite(oh, 4, 4, out) != 4 || fwrite(outs, sizeof *outs, n, out) != n) die("write");
  if (fclose(out)) die("close");
  return 0;
}
