import { expose, type Context } from '@oslo-messaging/core';

/**
 * The compute service's RPC API, the way nova versions it: one endpoint per major version, both served at
 * once while clients upgrade. A call asking for 5.x reaches `ComputeManagerV5`; 6.0–6.2 reach
 * `ComputeManagerV6`; anything else fails with UnsupportedVersion. The server uses ExplicitRPCAccessPolicy, so
 * only methods wrapped in `expose` can be called remotely.
 */
export class ComputeManagerV5 {
  readonly target = { version: '5.13' };
  constructor(private readonly host: string) {}

  /** 5.x returned the console as one string. */
  get_console_output = expose((_ctxt: Context, { instance, tail_length }: { instance: string; tail_length?: number }) =>
    consoleOf(instance)
      .slice(-(tail_length ?? 2))
      .join('\n'),
  );

  reboot_instance = expose((_ctxt: Context, { instance, reboot_type }: { instance: string; reboot_type: string }) => {
    console.log(`[ts server ${this.host}] v5 reboot_instance ${instance} (${reboot_type})`);
  });
}

export class ComputeManagerV6 {
  readonly target = { version: '6.2' };
  constructor(private readonly host: string) {}

  /** 6.0 changed the result: lines plus the host that produced them. */
  get_console_output = expose(
    (_ctxt: Context, { instance, tail_length }: { instance: string; tail_length?: number }) => ({
      host: this.host,
      lines: consoleOf(instance).slice(-(tail_length ?? 2)),
    }),
  );

  reboot_instance = expose((ctxt: Context, { instance, reboot_type }: { instance: string; reboot_type: string }) => {
    console.log(
      `[ts server ${this.host}] v6 reboot_instance ${instance} (${reboot_type}) for user ${String(ctxt['user_id'])}`,
    );
  });

  /** New in 6.2. */
  get_host_uptime = expose(() => `${this.host} up 42 days`);

  /** Not exposed: a client calling it gets NoSuchMethod. */
  sync_power_states(): void {
    throw new Error('never called remotely');
  }
}

/** nova's `baseapi` namespace: every nova service answers `ping` there. */
export class BaseAPI {
  readonly target = { namespace: 'baseapi', version: '1.1' };
  constructor(private readonly service: string) {}
  ping = expose((_ctxt: Context, { arg }: { arg: unknown }) => ({ service: this.service, arg }));
}

function consoleOf(instance: string): string[] {
  return [`${instance} login:`, `Welcome to ${instance}`, `${instance} ready`];
}
