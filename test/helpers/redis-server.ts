/** Tests start their private `redis-server` the way `shield verify --replicas` does. */
export { startPrivateRedis as startTestRedis } from '../../src/verify/private-redis.js';
export type { PrivateRedis as TestRedis } from '../../src/verify/private-redis.js';
