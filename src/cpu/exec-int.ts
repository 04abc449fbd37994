// Integer instruction handlers: each exec-*.ts registers its mnemonics (handlers.ts). Owned by the integer interpreter.
export {};
