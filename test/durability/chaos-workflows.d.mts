export declare const ORDER: string[];
export declare function expected(i: number): unknown;
export declare function makeWorkflows(ledgerPath: string): Record<string, unknown>;
export declare const RESUMES: Record<string, Record<string, unknown>>;
export declare const CALLBACK_OUTCOMES: Record<string, string[]>;
