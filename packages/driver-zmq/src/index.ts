/** ZeroMQ brokerless transport driver (zeromq.js) */
export {};
