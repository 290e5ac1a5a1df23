// Real servers for integration tests, each on free loopback ports, stopped by stop() and killed
// when the test process exits. Install the Debian packages with scripts/ensure-services.sh.
export { freePort } from './free-port.js';
export type { LoopbackServer } from './loopback-server.js';
export { startMosquitto } from './mosquitto.js';
export { startNats } from './nats.js';
export { startPostgres } from './postgres.js';
export { startRabbitMq } from './rabbitmq.js';
export { startRedis } from './redis.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
