import { ConfigurationError } from '@oslo-messaging/core';

/** The address style of a connection (oslo's addressers, plus `rabbitmq` for RabbitMQ's AMQP 1.0 plugin). */
export type AddressingMode = 'legacy' | 'routable' | 'rabbitmq';

/** What an address is for: RPC or notifications (routable addresses tell them apart). */
export type Service = 'rpc' | 'notify';

/** The parts of a target an address is made of. */
export interface AddressTarget {
  readonly exchange?: string | undefined;
  readonly topic: string;
  readonly server?: string | undefined;
  readonly fanout?: boolean | undefined;
}

export interface AddressingOptions {
  readonly defaultExchange: string;
  readonly vhost: string | undefined;
  readonly serverPrefix: string;
  readonly broadcastPrefix: string;
  readonly groupPrefix: string;
  readonly rpcPrefix: string;
  readonly notifyPrefix: string;
  readonly unicastTag: string;
  readonly multicastTag: string;
  readonly anycastTag: string;
  readonly rpcExchange: string | null;
  readonly notifyExchange: string | null;
}

const join = (sep: string, items: ReadonlyArray<string | undefined | null>) =>
  items.filter((i): i is string => !!i).join(sep);

/**
 * Turns oslo targets into AMQP 1.0 addresses exactly as oslo.messaging's `LegacyAddresser` and
 * `RoutableAddresser` do; `rabbitmq` uses the legacy names inside the plugin's `/queue/` and `/topic/`
 * address forms, so fanout gets a queue per subscriber and replies need no dynamic source.
 */
export class Addresser {
  constructor(
    readonly mode: AddressingMode,
    private readonly o: AddressingOptions,
  ) {}

  /** fanout ⇒ multicast; server ⇒ unicast; else anycast (oslo's `resolve`). */
  resolve(target: AddressTarget, service: Service): string {
    if (target.fanout) return this.multicast(target, service);
    if (target.server) return this.unicast(target, service);
    return this.anycast(target, service);
  }

  #legacy(prefix: string, target: AddressTarget, last: string | undefined): string {
    return join('.', [prefix, this.o.vhost, target.exchange || this.o.defaultExchange, target.topic, last]);
  }

  #routable(tag: string, target: AddressTarget, service: Service, server?: string): string {
    const prefix = `${service === 'rpc' ? this.o.rpcPrefix : this.o.notifyPrefix}/${tag}`;
    const exchange =
      target.exchange ||
      (service === 'rpc'
        ? this.o.rpcExchange || this.o.defaultExchange || 'rpc'
        : this.o.notifyExchange || this.o.defaultExchange || 'notify');
    return join('/', [prefix, this.o.vhost, exchange, target.topic, server]);
  }

  multicast(target: AddressTarget, service: Service): string {
    if (this.mode === 'routable') return this.#routable(this.o.multicastTag, target, service);
    const legacy = this.#legacy(this.o.broadcastPrefix, target, 'all');
    return this.mode === 'rabbitmq' ? `/topic/${legacy}` : legacy;
  }

  unicast(target: AddressTarget, service: Service): string {
    if (this.mode === 'routable') return this.#routable(this.o.unicastTag, target, service, target.server);
    const legacy = this.#legacy(this.o.serverPrefix, target, target.server);
    return this.mode === 'rabbitmq' ? `/queue/${legacy}` : legacy;
  }

  anycast(target: AddressTarget, service: Service): string {
    if (this.mode === 'routable') return this.#routable(this.o.anycastTag, target, service);
    const legacy = this.#legacy(this.o.groupPrefix, target, undefined);
    return this.mode === 'rabbitmq' ? `/queue/${legacy}` : legacy;
  }
}

/**
 * oslo's `AddresserFactory`: `legacy`/`routable` as configured; `dynamic` looks at the peer's Open
 * `product`: `qpid-cpp` or none ⇒ legacy, `RabbitMQ` ⇒ rabbitmq (our addition), anything else ⇒ routable.
 */
export function chooseMode(configured: string, peerProduct: unknown): AddressingMode {
  switch (configured) {
    case 'legacy':
    case 'routable':
    case 'rabbitmq':
      return configured;
    case 'dynamic':
      if (peerProduct === undefined || peerProduct === null || peerProduct === 'qpid-cpp') return 'legacy';
      return peerProduct === 'RabbitMQ' ? 'rabbitmq' : 'routable';
    default:
      throw new ConfigurationError(`Unknown addressing_mode "${configured}"`);
  }
}
