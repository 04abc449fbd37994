// System instruction handlers (segmentation, control transfers, CRs, MSRs, I/O...). Owned by the system code.
export {};
