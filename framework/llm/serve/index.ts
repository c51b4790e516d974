export { startServer, type RunningServer, type ServeOptions, type ServerStats } from './server.js';
export { DEFAULT_LIMITS, LIMIT_FLAGS, type ServeLimits } from './limits.js';
