/** Notification drivers messagingv2 (oslo 2.0 envelope) and messaging (v1) that publish through the transport */
export {};
