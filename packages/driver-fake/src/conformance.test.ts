import { runDriverConformanceSuite } from '@oslo-messaging/testkit';

// Each transport gets its own virtual host, so tests never see each other's messages.
runDriverConformanceSuite({ name: 'fake', url: () => `fake:///conformance-${Math.random().toString(36).slice(2)}` });
