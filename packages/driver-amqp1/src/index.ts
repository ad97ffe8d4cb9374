/** AMQP 1.0 transport driver (rhea), interoperable with Python oslo.messaging's amqp driver */
export {};
