/** The DocumentStore contract against PostgreSQL (a private cluster, a new database per test). */
import t from 'tap';
import { PostgresDocumentStore } from '../../../src/store';
import { startPostgres } from '../../helpers/postgres';
import { storeContract } from './contract';

t.test('postgres', async (t) => {
  const pg = await startPostgres(t);
  storeContract(t, {
    name: 'postgres',
    async backing() {
      const url = await pg.createDatabase();
      return { open: (now) => PostgresDocumentStore.open({ url, ...(now ? { now } : {}) }) };
    },
  });
});
