// What a file made in the run's shared RabbitMQ (test/integration/shared-server.ts), removed in
// its afterAll so that the next file finds the broker as it was: durable exchanges and queues
// would otherwise outlive the file, with their messages.

import { connect } from 'amqplib';

export async function deleteRabbitMqObjects(url: string, made: { exchanges?: string[]; queues?: string[] }): Promise<void> {
  const connection = await connect(url, { timeout: 10_000 });
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    // Deleting what does not exist is not an error in AMQP 0-9-1 (RabbitMQ answers delete-ok).
    for (const queue of made.queues ?? []) await channel.deleteQueue(queue);
    for (const exchange of made.exchanges ?? []) await channel.deleteExchange(exchange);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
