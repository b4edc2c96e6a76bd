// Docker healthcheck for the single-node replica set (run by mongosh inside the mongo container).
// The first probe after a fresh volume initiates the set; every probe then passes only while this
// member is primary, which is when the api and the consumer can run transactions.
// Access control is on: authenticate as the root user the image's entrypoint created, with
// the password from the container's environment, never from a command-line argument.
db.getSiblingDB('admin').auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD);
try {
  rs.status();
} catch (e) {
  // NotYetInitialized (94) is the only error that means "initiate me"; anything else is a real failure.
  if (e.code !== 94) throw e;
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
}
if (!db.hello().isWritablePrimary) quit(1);
