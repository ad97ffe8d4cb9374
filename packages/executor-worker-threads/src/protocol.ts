import type { Failure } from '@oslo-messaging/core/spi';

/** Main thread → worker: run `method` of the endpoint exported as `exportName` from `module`. */
export interface TaskMessage {
  readonly id: number;
  readonly module: string;
  readonly exportName: string;
  readonly method: string;
  readonly ctxt: unknown;
  readonly args: unknown;
}

/** Worker → main thread. */
export type ResultMessage =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly failure: Failure };
