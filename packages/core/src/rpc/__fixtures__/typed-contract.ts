// Compiled by typed.test.ts with `tsc --noEmit`: every `@ts-expect-error` line MUST be an error
// (tsc fails on an unused directive), and everything else must compile.
import { getRpcClient, getRpcTransport, implementsApi, type TypedEndpoint } from '@oslo-messaging/core';

interface ComputeAPI {
  ping(args: { arg: string }): { service: string; arg: string };
  reboot(args: { instanceId: string; hard?: boolean }): void;
  stats(args?: Record<string, never>): Promise<number[]>;
}
type Ctxt = { user_id: string };

export async function client(): Promise<void> {
  const transport = await getRpcTransport({ url: 'fake://' });
  const compute = getRpcClient<Ctxt>(transport, { topic: 'compute' }).proxy<ComputeAPI>();
  const ctxt = { user_id: 'u' };

  const r: { service: string; arg: string } = await compute.ping(ctxt, { arg: 'x' });
  const n: number[] = await compute.stats(ctxt);
  await compute.reboot(ctxt, { instanceId: 'i-1' });
  await compute.cast.reboot(ctxt, { instanceId: 'i-1', hard: true });
  await compute.prepare({ server: 'host1', timeout: 5 }).ping(ctxt, { arg: 'y' });
  void r;
  void n;

  // @ts-expect-error unknown method
  await compute.pong(ctxt, { arg: 'x' });
  // @ts-expect-error wrong argument type
  await compute.ping(ctxt, { arg: 1 });
  // @ts-expect-error missing required argument
  await compute.ping(ctxt, {});
  // @ts-expect-error arguments required
  await compute.reboot(ctxt);
  // @ts-expect-error wrong context type
  await compute.ping({ nope: true }, { arg: 'x' });
  // @ts-expect-error result type is not a string
  const s: string = await compute.ping(ctxt, { arg: 'x' });
  // @ts-expect-error a cast resolves to nothing
  const c: number = await compute.cast.stats(ctxt);
  void s;
  void c;
}

export class ComputeManager implements TypedEndpoint<ComputeAPI, Ctxt> {
  ping(_ctxt: Ctxt, { arg }: { arg: string }) {
    return { service: 'compute', arg };
  }
  reboot(_ctxt: Ctxt, _args: { instanceId: string; hard?: boolean }) {}
  async stats() {
    return [1, 2];
  }
}

// @ts-expect-error missing method reboot
export class Incomplete implements TypedEndpoint<ComputeAPI, Ctxt> {
  ping(_ctxt: Ctxt, { arg }: { arg: string }) {
    return { service: 'compute', arg };
  }
  async stats() {
    return [1];
  }
}

export const checked = implementsApi<ComputeAPI, Ctxt>()(new ComputeManager());
implementsApi<ComputeAPI, Ctxt>()({
  ping: (_c: Ctxt, { arg }: { arg: string }) => ({ service: 's', arg }),
  reboot: () => undefined,
  // @ts-expect-error wrong result type
  stats: async () => ['not', 'numbers'],
});
