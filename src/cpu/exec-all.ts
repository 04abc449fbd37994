// Registers every handler module with the dispatch table (handlers.ts).
export {};
