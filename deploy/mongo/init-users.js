// Run once, by the image's entrypoint, on a fresh data volume (/docker-entrypoint-initdb.d), as the
// root user it has just created from MONGO_INITDB_ROOT_USERNAME/PASSWORD. One user per role:
//   paredao   the api and the consumer: read and write the paredao database, nothing else
//   exporter  the Prometheus exporter: cluster monitoring and reading `local` (the oplog), no data
// mongosh runs on Node, so process.env carries the passwords; they never appear on a command line.
const app = process.env.MONGO_APP_PASSWORD;
const exporter = process.env.MONGO_EXPORTER_PASSWORD;
if (!app || !exporter) throw new Error('MONGO_APP_PASSWORD and MONGO_EXPORTER_PASSWORD are required');

db.getSiblingDB('paredao').createUser({ user: 'paredao', pwd: app, roles: [{ role: 'readWrite', db: 'paredao' }] });
db.getSiblingDB('admin').createUser({
  user: 'exporter',
  pwd: exporter,
  roles: [
    { role: 'clusterMonitor', db: 'admin' },
    { role: 'read', db: 'local' },
  ],
});
