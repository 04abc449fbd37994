// x87 instruction handlers. Owned by the FPU code.
export {};
