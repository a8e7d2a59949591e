/**
 * Jest for `npm run test:faults`: the permanent fault proofs of test/faults (a SIGKILL mid-burst,
 * a tenant sweep driven by introspection, a generated hostile-input run, SIGTERM under load).
 * They start servers of their own and are heavy, so plain `npm test` leaves them out.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: [],
  testTimeout: 240000,
};
