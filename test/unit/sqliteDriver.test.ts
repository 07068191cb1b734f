/**
 * The SQLite driver interface (daemon/store/sqliteDriver.ts) on each driver this runtime loads
 * (test/integration/runtimes.test.ts runs this file under Node 22 and 24 too): nested transactions,
 * the reasons given for a driver that does not load, and node:sqlite's ExperimentalWarning dropped
 * while every other warning is still printed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { availableDrivers, openSqlite, sqliteDriver, SqliteUnavailableError, type SqliteDriverName } from '../../daemon/store/sqliteDriver';

const ALL: SqliteDriverName[] = ['node:sqlite', 'better-sqlite3'];

describe('SQLite drivers', () => {
  it('this runtime loads node:sqlite from Node 22.13, better-sqlite3 (built for Node 20) otherwise', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const hasNodeSqlite = major > 22 || (major === 22 && minor >= 13);
    assert.equal(sqliteDriver(), hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3');
    assert.equal(availableDrivers()[0], sqliteDriver());
  });

  for (const driver of ALL.filter((d) => !availableDrivers().includes(d))) {
    it(`${driver} does not load here, and the error says why and under which runtime`, () => {
      assert.throws(
        () => openSqlite(':memory:', { driver }),
        (e: Error) =>
          e instanceof SqliteUnavailableError && e.message.includes(`Node ${process.versions.node}`) && !e.message.includes('\n'),
      );
    });
  }

  for (const driver of availableDrivers()) {
    describe(driver, () => {
      it('a nested transaction that fails rolls back alone; an outer one that fails rolls back everything', () => {
        const db = openSqlite(':memory:', { driver });
        try {
          db.exec('CREATE TABLE t (v INTEGER)');
          const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
          db.transaction(() => {
            insert.run(1);
            assert.throws(() =>
              db.transaction(() => {
                insert.run(2);
                throw new Error('inner');
              }),
            );
            insert.run(3);
          });
          assert.throws(() =>
            db.transaction(() => {
              insert.run(4);
              throw new Error('outer');
            }),
          );
          const rows = db.prepare('SELECT v FROM t ORDER BY v').all() as Array<{ v: number }>;
          assert.deepEqual(
            rows.map((r) => r.v),
            [1, 3],
          );
          // Named parameters: `@name` in the SQL, `name` in the object, the same with both drivers.
          assert.deepEqual({ ...(db.prepare('SELECT @a + @b AS s').get({ a: 2, b: 3 }) as object) }, { s: 5 });
        } finally {
          db.close();
        }
      });
    });
  }

  it('loading the driver prints no ExperimentalWarning, and other warnings are still printed', async () => {
    const driverUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../daemon/store/sqliteDriver.ts')).href;
    const script = `import { openSqlite } from ${JSON.stringify(driverUrl)}; openSqlite(':memory:').close(); process.emitWarning('still printed');`;
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      windowsHide: true,
    });
    assert.doesNotMatch(stderr, /ExperimentalWarning/);
    assert.match(stderr, /Warning: still printed/);
  });
});
