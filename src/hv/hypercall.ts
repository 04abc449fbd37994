/**
 * The VMCALL hypercall ABI (documented in README.md, "Hypercalls").
 *
 *   EAX = function; arguments in EBX, ECX, EDX; result in EAX (negative = error).
 *   0  VERSION     -> EAX = ABI version, EBX/ECX/EDX = "x86jitHVx86j" (same as CPUID 0x40000000)
 *   1  CONSOLE_WRITE(EBX = guest-physical address, ECX = length <= 4096) -> EAX = bytes written;
 *                  the bytes go to the host console (stdout), like a debug port
 *   2  POWER_OFF(EBX = exit status) -> the emulator stops with that status
 * Unknown function: EAX = -1000 (KVM's -KVM_ENOSYS). From CPL > 0: EAX = -1 (KVM's -KVM_EPERM),
 * nothing else happens.
 */
import { HV_SIGNATURE } from './cpuid.js';

export const Hypercall = { VERSION: 0, CONSOLE_WRITE: 1, POWER_OFF: 2 } as const;
export const HYPERCALL_ABI_VERSION = 1;
export const HC_ENOSYS = -1000;
export const HC_EPERM = -1;
export const HC_EINVAL = -22;
export const CONSOLE_WRITE_MAX = 4096;

export interface HypercallEnv {
  readPhys(addr: number, len: number): Uint8Array;
  consoleWrite(bytes: Uint8Array): void;
  powerOff(status: number): never;
}

function sig(at: number): number {
  let v = 0;
  for (let k = 3; k >= 0; k--) v = (v << 8) | HV_SIGNATURE.charCodeAt(at + k);
  return v | 0;
}

/** regs = [eax, ebx, ecx, edx] in/out. */
export function hypercall(regs: Int32Array, cpl: number, env: HypercallEnv): void {
  if (cpl !== 0) {
    regs[0] = HC_EPERM;
    return;
  }
  switch (regs[0]) {
    case Hypercall.VERSION:
      regs[0] = HYPERCALL_ABI_VERSION;
      regs[1] = sig(0);
      regs[2] = sig(4);
      regs[3] = sig(8);
      return;
    case Hypercall.CONSOLE_WRITE: {
      const len = regs[2] >>> 0;
      if (len > CONSOLE_WRITE_MAX) {
        regs[0] = HC_EINVAL;
        return;
      }
      env.consoleWrite(env.readPhys(regs[1], len));
      regs[0] = len;
      return;
    }
    case Hypercall.POWER_OFF:
      env.powerOff(regs[1]);
      return;
    default:
      regs[0] = HC_ENOSYS;
  }
}
