// SSE/MMX instruction handlers. Owned by the SSE code.
export {};
