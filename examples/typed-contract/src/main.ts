// A typed RPC contract: the server's endpoint and the client's proxy share one interface (contract.ts).
// Runs on the in-memory driver, so it needs no broker: `npm start` in this folder after `npm run build`.
import { getRpcClient, getRpcServer, getRpcTransport } from '@oslo-messaging/core';
import { TOPIC, type InventoryAPI } from './contract.js';
import { InventoryManager } from './server.js';

const transport = await getRpcTransport({ url: process.env['TRANSPORT_URL'] ?? 'fake://typed-contract' });
const server = getRpcServer(transport, { topic: TOPIC, server: 'inventory-1' }, [new InventoryManager()]);
await server.start();

// proxy<InventoryAPI>(): method names, arguments and results are checked at compile time.
const inventory = getRpcClient(transport, { topic: TOPIC }, { timeout: 5 }).proxy<InventoryAPI>();
const ctxt = { user_id: 'alice' };

const bolts: number = await inventory.add(ctxt, { sku: 'bolt', count: 40 });
console.log(`add bolt -> ${bolts}`);
console.log(`add nut -> ${await inventory.add(ctxt, { sku: 'nut', count: 25 })}`);
console.log(`add bolt -> ${await inventory.add(ctxt, { sku: 'bolt', count: 2 })}`);
const nut = await inventory.get(ctxt, { sku: 'nut' }); // typed { sku, count } | null
console.log(`get nut -> ${nut ? nut.count : 'unknown'}`);
console.log(`list -> ${JSON.stringify(await inventory.list(ctxt))}`);

await inventory.cast.forget(ctxt, { sku: 'nut' }); // a cast: resolves once sent
await new Promise((r) => setTimeout(r, 50));
console.log(`list limit 5 -> ${JSON.stringify(await inventory.list(ctxt, { limit: 5 }))}`);

// What the compiler refuses (each line would be an error without its @ts-expect-error):
if (process.env['NEVER']) {
  // @ts-expect-error: `count` must be a number
  await inventory.add(ctxt, { sku: 'bolt', count: 'many' });
  // @ts-expect-error: `sell` is not in the contract
  await inventory.sell(ctxt, { sku: 'bolt' });
  // @ts-expect-error: the result of `get` is an object or null, not a number
  const n: number = await inventory.get(ctxt, { sku: 'bolt' });
  void n;
}

await server.stop();
await server.wait();
await transport.cleanup();
console.log('done');
