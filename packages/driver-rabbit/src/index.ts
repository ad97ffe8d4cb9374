/** RabbitMQ transport driver (amqplib), wire-compatible with Python oslo.messaging 14 */
export {};
