/**
 * Control-register bits (SDM Vol. 3 §2.5, Figure 2-7). A leaf module: the CPU, the MMU and the
 * hypervisor all read them, and none of those layers may import another's state to get them
 * (DESIGN.md "Layers").
 */
export const CR0 = { PE: 1 << 0, MP: 1 << 1, EM: 1 << 2, TS: 1 << 3, ET: 1 << 4, NE: 1 << 5, WP: 1 << 16, AM: 1 << 18, NW: 1 << 29, CD: 1 << 30, PG: 1 << 31 } as const;
export const CR4 = { VME: 1 << 0, PVI: 1 << 1, TSD: 1 << 2, DE: 1 << 3, PSE: 1 << 4, PAE: 1 << 5, MCE: 1 << 6, PGE: 1 << 7, PCE: 1 << 8, OSFXSR: 1 << 9, OSXMMEXCPT: 1 << 10 } as const;
