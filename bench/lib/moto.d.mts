// Types for bench/lib/moto.mjs.
import type { ChildProcess } from 'node:child_process';
export declare function freePort(): Promise<number>;
export declare function startMotoServer(): Promise<{ endpoint: string; child: ChildProcess; stop: () => void }>;
