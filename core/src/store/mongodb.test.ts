import { describe, expect, it } from 'vitest';
import { transactionSupportProblem } from './mongodb.js';

// hello answers as MongoDB 8.0 gives them (fields trimmed to the ones that tell the topologies apart,
// plus the common ones every answer carries).
const common = { maxBsonObjectSize: 16777216, maxMessageSizeBytes: 48000000, maxWriteBatchSize: 100000, localTime: new Date(), logicalSessionTimeoutMinutes: 30, minWireVersion: 0, maxWireVersion: 25, readOnly: false, ok: 1 };
const standalone = { ...common, isWritablePrimary: true, topologyVersion: { processId: 'x', counter: 0 }, connectionId: 5 };
const primary = { ...common, isWritablePrimary: true, secondary: false, hosts: ['mongo:27017'], setName: 'rs0', setVersion: 1, primary: 'mongo:27017', me: 'mongo:27017' };
const secondary = { ...primary, isWritablePrimary: false, secondary: true, me: 'mongo-2:27017' };
const notInitiated = { ...common, isWritablePrimary: false, secondary: false, info: 'Does not have a valid replica set config', isreplicaset: true };
const mongos = { ...common, isWritablePrimary: true, msg: 'isdbgrid' };

describe('transactionSupportProblem (the check openMongoStore makes before anything else)', () => {
  it('when the server is a replica set member or a mongos, then it can run transactions', () => {
    expect(transactionSupportProblem(primary)).toBeNull();
    expect(transactionSupportProblem(secondary)).toBeNull();
    expect(transactionSupportProblem(mongos)).toBeNull();
  });

  it('when the server is a standalone mongod, then it is refused with what to do', () => {
    expect(transactionSupportProblem(standalone)).toMatch(/standalone.*--replSet.*rs\.initiate\(\)/);
  });

  it('when the server was started with --replSet but never initiated, then it says to run rs.initiate()', () => {
    expect(transactionSupportProblem(notInitiated)).toMatch(/not initiated.*rs\.initiate\(\)/);
  });

  it('when setName is empty or another type, then it is not taken for a replica set', () => {
    expect(transactionSupportProblem({ ...standalone, setName: '' })).not.toBeNull();
    expect(transactionSupportProblem({ ...standalone, setName: 1 })).not.toBeNull();
    expect(transactionSupportProblem({ ...standalone, msg: 'something else' })).not.toBeNull();
  });
});
