// The due timers of an s2s database fired as jobs of a job queue on the same
// PostgreSQL, for bench/engine_bench.cpp to print beside s2s's own timer
// services. Each job does what one firing writes (workflow/timer_service.cpp):
// the timer fired, the case's version, the deadline overdue, the history row
// and the outbox row, in one transaction, as the queue runs one job.
//
//   node fire.mjs --db postgresql://... --queue pg-boss|graphile-worker [--workers 2]
//
// Prints one line of JSON: the jobs, the seconds to enqueue them (not
// counted), the seconds from the workers' start until every timer is fired,
// and the timers fired a second.
import pg from 'pg';

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) {
    if (fallback === undefined) throw new Error(`${name} is required`);
    return fallback;
  }
  return process.argv[at + 1];
}

const db = option('--db');
const queue = option('--queue');
const workers = Number(option('--workers', '2'));
if (!['pg-boss', 'graphile-worker'].includes(queue)) throw new Error(`--queue: pg-boss or graphile-worker, not ${queue}`);
if (!(workers >= 1 && workers <= 64)) throw new Error('--workers: 1 to 64');

// One timer's firing, as s2s writes it.
async function fire(client, timer) {
  await client.query('BEGIN');
  try {
    const claimed = await client.query(
      "UPDATE timers SET status = 'fired', fired_at = now(), attempts = attempts + 1" +
        " WHERE id = $1 AND status = 'pending' RETURNING case_id, deadline_id",
      [timer]);
    if (claimed.rowCount === 0) {
      await client.query('ROLLBACK');
      return;
    }
    const { case_id: caseId, deadline_id: deadlineId } = claimed.rows[0];
    const bumped = await client.query(
      'UPDATE cases SET version = version + 1, updated_at = now() WHERE id = $1' +
        ' RETURNING version, kind, reference, school_urn, state',
      [caseId]);
    const c = bumped.rows[0];
    const overdue = await client.query(
      "UPDATE deadlines SET status = 'overdue', settled_on = NULL WHERE id = $1 RETURNING purpose, CAST(due_on AS TEXT) AS due_on",
      [deadlineId]);
    const d = overdue.rows[0];
    await client.query(
      'INSERT INTO case_history (case_id, sequence, event, from_state, to_state, actor, occurred_on, recorded_at,' +
        " payload, timer_id) VALUES ($1, $2, 'deadline_passed', $3, $3, 'system', CURRENT_DATE, now(), $4, $5)",
      [caseId, c.version, c.state, JSON.stringify({ deadline_id: deadlineId, purpose: d.purpose, due_on: d.due_on }), timer]);
    await client.query(
      "INSERT INTO outbox (case_id, message, payload, status, next_attempt_at, created_at)" +
        " VALUES ($1, 'deadline_passed', $2, 'pending', now(), now())",
      [caseId, JSON.stringify({
        case_id: caseId, reference: c.reference, kind: c.kind, school_urn: c.school_urn, event: 'deadline_passed',
        state: c.state, deadline_id: deadlineId, purpose: d.purpose, due_on: d.due_on,
      })]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

const pool = new pg.Pool({ connectionString: db, max: workers + 2 });
const due = (await pool.query(
  "SELECT id FROM timers WHERE status = 'pending' AND fire_on <= CURRENT_DATE ORDER BY id")).rows.map((r) => Number(r.id));
if (due.length === 0) throw new Error('no due timers to fire');

async function left() {
  const r = await pool.query("SELECT count(*) AS n FROM timers WHERE id = ANY($1) AND status = 'pending'", [due]);
  return Number(r.rows[0].n);
}

async function untilFired() {
  for (;;) {
    if (await left() === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let enqueueSeconds = 0;
let fireSeconds = 0;
if (queue === 'pg-boss') {
  const { default: PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: db, max: workers + 2, schema: 'pgboss_bench' });
  boss.on('error', (e) => { console.error(e); process.exitCode = 1; });
  await boss.start();
  await boss.createQueue('fire');
  let started = process.hrtime.bigint();
  for (let i = 0; i < due.length; i += 1000) {
    await boss.insert(due.slice(i, i + 1000).map((timer) => ({ name: 'fire', data: { timer } })));
  }
  enqueueSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  started = process.hrtime.bigint();
  // A worker fetches up to 100 jobs, runs each (in its own transaction) and
  // fetches again; one worker per timer service. (Fetching one job at a time,
  // a worker waits its polling interval, at least half a second, between jobs.)
  for (let w = 0; w < workers; ++w) {
    await boss.work('fire', { batchSize: 100, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      const client = await pool.connect();
      try {
        for (const job of jobs) await fire(client, job.data.timer);
      } finally {
        client.release();
      }
    });
  }
  await untilFired();
  fireSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await boss.stop({ graceful: false, wait: true });
} else {
  const { run, makeWorkerUtils } = await import('graphile-worker');
  const utils = await makeWorkerUtils({ connectionString: db });
  await utils.migrate();
  let started = process.hrtime.bigint();
  for (let i = 0; i < due.length; i += 1000) {
    await utils.addJobs(due.slice(i, i + 1000).map((timer) => ({ identifier: 'fire', payload: { timer } })));
  }
  enqueueSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  started = process.hrtime.bigint();
  const runner = await run({
    connectionString: db,
    concurrency: workers,
    noHandleSignals: true,
    pollInterval: 100,
    logger: undefined,
    taskList: {
      fire: async (payload, helpers) => helpers.withPgClient((client) => fire(client, payload.timer)),
    },
  });
  await untilFired();
  fireSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await runner.stop();
  await utils.release();
}
console.log(JSON.stringify({
  queue, workers, jobs: due.length, enqueue_seconds: enqueueSeconds, fire_seconds: fireSeconds,
  per_second: due.length / fireSeconds,
}));
await pool.end();
